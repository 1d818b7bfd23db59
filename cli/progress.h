/*
 * progress - a progress bar on standard error for long ingests: bytes, lines per second, ETA
 *
 *	[##########..........]  52%  412.3/790.1 MB  2.41 M lines  198 k lines/s  ETA 0:19
 *
 * Drawn on one line with carriage returns, at most five times a second, and only once a run
 * has lasted a second (a quick nightly run draws nothing). Bytes are bytes of the files on
 * disk (an archive's compressed bytes); the part of a file read by an earlier run counts as
 * done at once and is left out of the rate.
 *
 * Ownership: progress_end clears the line and frees the bar (NULL is a no-op).
 */
#ifndef REJECTLENS_PROGRESS_H
#define REJECTLENS_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* progress_mode - "auto" (a bar when standard error is a terminal), "always", "never"; -1 for
 * anything else, else 1 when a bar is wanted, 0 when not */
int progress_mode(const char *mode);

struct progress;

/* progress_start - a bar over files of these sizes (bytes on disk); NULL when !on */
struct progress *progress_start(int on, const int64_t *sizes, size_t nfiles);

/*
 * progress_update - file `file` (an index into the sizes) has `pos` bytes read or skipped, of
 * which `skipped` were skipped at its start; `lines` lines were read in this run so far
 */
void progress_update(struct progress *pg, size_t file, int64_t pos, int64_t skipped, int64_t lines);

void progress_end(struct progress *pg);

#endif
