/*
 * pipeline - log files into the store: source tracking, the ingest driver, checkpoints
 *
 * For each file: recognise it by the fingerprint of its first bytes (of the decompressed text:
 * not by name, so a rotated mail.log.1, and later mail.log.2.gz, is the mail.log read last
 * night), resume at the offset reached before with the format found then, read to the end, and
 * commit events together with the new offset and the parsers' state every batch. A crash
 * loses at most the uncommitted batch, which the next run reads again. A file shorter than the
 * offset reached (copytruncate) is read from its start. A compressed file is final: its last
 * line is taken even without a newline, and once read to its end it is not decompressed again
 * while its device, inode, size and modification time stay the same.
 *
 * BUGS: a source is one text, known by its first bytes. Two copies of the same text on disk at
 * once (a mail.log.1 and a copy of it compressed elsewhere) share the row: nothing is read
 * twice, but the row follows whichever copy was read last, so the archive is decompressed up
 * to the offset on every run (the fast path keys on the file the row last saw).
 *
 * Every event but a delivery that carries a reply (text, code or status) points at its reply
 * text: the text is masked into a template (mask.h), and the template with the event's code,
 * status, stage, kind, direction and MTA is looked up in a bounded cache, then in the
 * database, and only when it is new there classified and stored. So each distinct reply text
 * is classified once per run and once per database, and no pattern runs per event.
 */
#ifndef REJECTLENS_PIPELINE_H
#define REJECTLENS_PIPELINE_H

#include <stdint.h>

#include "diag.h"
#include "ingest.h"
#include "rules.h"
#include "store.h"

/* where a run is, for a progress bar */
struct pipeline_progress {
    int file;         /* index of the file being read */
    int64_t file_pos; /* bytes of that file read or skipped (compressed bytes for an archive) */
    int64_t skipped;  /* of which skipped at its start: read by an earlier run */
    int64_t lines;    /* lines read in this run, all files */
    int done;         /* the file is finished */
};

struct pipeline_options {
    const char *format;                /* "auto" or a parser name */
    int64_t year_ref_s;                /* 0: the file's mtime */
    const char *default_host;          /* may be NULL */
    int64_t checkpoint_lines;          /* 0: the driver's default */
    const volatile sig_atomic_t *stop; /* set by a signal handler: finish the batch and stop */
    struct ruleset *rules; /* classifies each distinct reply text; NULL: leave unclassified */
    int threads;           /* 2: the store writes in a thread of its own while lines are read */
    /* progress - called every few thousand lines and after each file; may be NULL */
    void (*progress)(void *ctx, const struct pipeline_progress *pp);
    void *progress_ctx;
};

/* what one run did, per file and in total */
struct pipeline_file_result {
    const char *path;
    const char *format;   /* static; NULL when the file was not read */
    int64_t start_offset; /* where this run began in the file */
    int64_t pending;      /* bytes of an unfinished last line left for the next run */
    struct ingest_stats stats;
    int failed;    /* the file could not be read, or only up to damage (message printed) */
    int unchanged; /* an archive read to its end before: not opened again */
    const char *compression; /* static; NULL when read as it is */
};

struct pipeline_result {
    struct pipeline_file_result *files;
    int nfiles;
    struct ingest_stats total;
    int files_failed;
    int interrupted;     /* a signal stopped the run; what was read is committed */
    int64_t reply_texts; /* a dry run: the distinct reply texts classified */
    int threaded;        /* the store had a thread of its own */
};

/*
 * pipeline_ingest - ingest the files (a path of "-" is standard input) into s. Files that
 * cannot be read are reported on stderr and skipped. With s NULL it is a dry run: every file
 * is read whole, parsed and its replies classified, and nothing is kept. Returns 0, or -1 when the
 * store failed (the message is in d; everything committed before stays). Free the result with
 * pipeline_result_free.
 */
int pipeline_ingest(struct store *s, char *const *paths, int npaths,
                    const struct pipeline_options *opt, struct pipeline_result *res,
                    struct diag *d);
void pipeline_result_free(struct pipeline_result *res);

#endif
