/*
 * ahead - a thread that reads a log ahead of its parser: it splits the lines, copies them in
 * batches, and runs the parser's first stage (parser_ops.prepare) on each, so that the parser's
 * thread only runs the second (parse_prepared) on the lines that need it
 *
 * For a run with a core to spare and no other thread to give it to: a dry run of a plain file
 * (ingest_options.parse_ahead). The reader belongs to the thread from line_ahead_start to
 * line_ahead_finish: the caller must not touch it in between.
 */
#ifndef REJECTLENS_AHEAD_H
#define REJECTLENS_AHEAD_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "parser.h"
#include "reader.h"

/* one line as the thread hands it over; valid until the next line_ahead_next */
struct ahead_line {
    struct log_line ln; /* text NULL when the verdict is LINE_INFO or LINE_FOREIGN */
    /*
     * LINE_EVENT: the parser must see the line: parse_prepared with prep, or parse_line when
     * prep is NULL (a format with one stage, or a blank or cut line, left to the caller);
     * otherwise what prepare decided, with why for LINE_UNPARSED
     */
    enum line_result verdict;
    const char *why;
    const void *prep;
    int64_t end_offset; /* reader_offset() after the line */
    int64_t file_pos;   /* reader_file_pos() when its batch was read, for progress */
};

struct line_ahead;

/*
 * line_ahead_start - read r from where it is in a thread of its own, preparing each line
 * with ops->prepare (when it has one) and a copy of ctx's time and host fields (ctx as the
 * file's lines before left it). lines_per_batch 0 is the default; tests use a few. NULL when
 * the thread cannot be started: the caller reads on by itself. The result is the caller's to
 * end with line_ahead_finish.
 */
struct line_ahead *line_ahead_start(struct reader *r, const struct parser_ops *ops,
                                    const struct parse_ctx *ctx, size_t lines_per_batch);

/*
 * line_ahead_next - the next line: 1 and *out; 0 at the end of the file; -1 when reading
 * failed (after every line before the failure), with d set as reader_next set it
 */
int line_ahead_next(struct line_ahead *a, struct ahead_line *out, struct diag *d);

/*
 * line_ahead_finish - stop the thread (it may have read lines that were never asked for: the
 * reader is then past them) and free a; NULL is allowed
 */
void line_ahead_finish(struct line_ahead *a);

#endif
