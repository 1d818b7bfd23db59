/*
 * ingest - drives a parser over a reader: detects the format, counts every line, and says
 * when a batch of lines is complete so that the caller can commit it with its offset
 *
 * One ingest_session spans a run over several files: parser state (a queue id's sender) goes
 * on from mail.log.1 into mail.log. The caller supplies hooks for events, for unparsed lines,
 * for checkpoints and for the state saved by the previous run. The session never touches the
 * database itself.
 */
#ifndef REJECTLENS_INGEST_H
#define REJECTLENS_INGEST_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "event.h"
#include "reader.h"
#include "strbuf.h"

struct ingest_options {
    const char *format;       /* "auto" (or NULL) or a parser name */
    int64_t year_ref_s;       /* for logs without a year: 0 = the file's mtime (now for stdin) */
    const char *default_host; /* host recorded when a line names none; may be NULL */
    /*
     * lines per batch, across files; 0: the default (200,000 lines, and each batch at least
     * INGEST_STATE_RATIO times as many log bytes as the parsers' states last saved, since
     * every checkpoint writes the states whole: an Exchange ingest's is ~19 MB)
     */
    int64_t checkpoint_lines;
    /* with checkpoint_lines > 0: a batch's log bytes at least this many times the states'
     * (0: lines alone) */
    int64_t checkpoint_state_ratio;
    /* stop - when it becomes non-zero (a signal), the file ends at the next line boundary
     * with a checkpoint; may be NULL */
    const volatile sig_atomic_t *stop;
    /*
     * parse_ahead - read a regular, uncompressed file in a thread of its own that also runs the
     * parser's first stage (ahead.h): for a second core that nothing else uses (a dry run).
     * The events, counts and hooks are the same either way. parse_ahead_lines: lines per
     * batch handed over (0: the default; tests use a few).
     */
    int parse_ahead;
    size_t parse_ahead_lines;
};

struct ingest_stats {
    int64_t lines;     /* lines read */
    int64_t bytes;     /* bytes consumed */
    int64_t events;    /* events emitted */
    int64_t info;      /* understood lines that are not events */
    int64_t foreign;   /* lines of other programs */
    int64_t unparsed;  /* lines we could not read (includes truncated) */
    int64_t truncated; /* lines longer than the reader's limit */
};

struct parser_state_blob {
    const char *format;
    const char *data;
    size_t len;
    struct strbuf *buf; /* holds data: the checkpoint hook may take the bytes (swap it out) */
};

struct ingest_hooks {
    void *ctx;
    /* event - keep one event; return -1 to stop (the diag is the caller's to fill) */
    int (*event)(void *ctx, const struct event *ev);
    /* unparsed - a line that could not be read, for the report's samples */
    int (*unparsed)(void *ctx, const struct log_line *ln, const char *why);
    /*
     * checkpoint - every line before offset is handled; persist it with the parser states, and
     * whatever file_read left pending. offset is -1 for ingest_session_checkpoint (no file).
     */
    int (*checkpoint)(void *ctx, int64_t offset, const struct parser_state_blob *states,
                      size_t nstates);
    /*
     * file_read - a file ended before offset and before the batch was full (checkpoint_lines
     * lines since the last checkpoint, and their bytes): record it, but leave it to the next
     * checkpoint (of a later file, or ingest_session_checkpoint) to save the states with it.
     * Saving them at every file's end costs megabytes a file. May be NULL: every file then
     * ends with a checkpoint.
     */
    int (*file_read)(void *ctx, int64_t offset);
    /* load_state - append the state a format saved last time to out (nothing when none) */
    int (*load_state)(void *ctx, const char *format, struct strbuf *out);
    /* progress - every INGEST_PROGRESS_LINES lines of a file, with the bytes of the file read
     * so far (of the file itself when it is compressed); may be NULL */
    void (*progress)(void *ctx, const struct ingest_stats *file_stats, int64_t file_pos);
};

#define INGEST_PROGRESS_LINES 16384
/* writing a state costs about what ingesting as many bytes of log does: at 20 times its size
 * a batch spends ~5 % on it */
#define INGEST_STATE_RATIO 20

struct ingest_session;

/* ingest_session_new - hooks are copied; the session owns the parser states it creates */
struct ingest_session *ingest_session_new(const struct ingest_hooks *hooks);
void ingest_session_free(struct ingest_session *s);

/*
 * ingest_session_file - read r to its end with the options' format (detected from the first
 * lines for "auto"). Adds to *stats. When `last` is set, parsers flush what they hold before
 * the final checkpoint. Returns 0; 1 when opt->stop interrupted it (everything read is
 * checkpointed); -1 on a read error (lines before it stay checkpointed) or when a hook refused;
 * the message is in d. *format_out receives the format used (static).
 */
int ingest_session_file(struct ingest_session *s, struct reader *r,
                        const struct ingest_options *opt, int last, struct ingest_stats *stats,
                        const char **format_out, struct diag *d);

/*
 * ingest_session_checkpoint - the checkpoint hook with every parser's state, outside a file:
 * ends a run whose last file ended with file_read. 0, or -1 when the hook refused.
 */
int ingest_session_checkpoint(struct ingest_session *s, struct diag *d);

/* ingest_session_flush - flush every parser (use when the last file was not marked `last`) */
int ingest_session_flush(struct ingest_session *s, struct diag *d);

#endif
