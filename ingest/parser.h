/*
 * parser - the interface every log format implements, and the table of formats
 *
 * A parser turns one line into zero or more events. It may keep state across lines (a queue id's
 * sender, a postscreen session's verdict); that state is bounded in size, survives between runs
 * through save_state/load_state, and is emitted or dropped by flush at the end of the input.
 * Parsers never touch the database and know nothing about classification.
 *
 * Adding a format is one new file with one `const struct parser_ops` and one row in parsers.c.
 */
#ifndef REJECTLENS_PARSER_H
#define REJECTLENS_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "reader.h"
#include "strbuf.h"
#include "timeparse.h"

enum line_result {
    LINE_EVENT,    /* understood, one or more events emitted */
    LINE_INFO,     /* understood, nothing to record (connect, TLS, statistics, ...) */
    LINE_FOREIGN,  /* another program's line (dovecot in mail.log): not ours to judge */
    LINE_UNPARSED, /* looks like ours, but its shape is unknown or broken */
    LINE_ABORT     /* the sink refused an event: stop the ingest */
};

/* what the driver lends a parser for each line */
struct parse_ctx {
    struct event_sink sink;
    struct year_guess years;  /* for logs without a year */
    struct tz_cache tz;       /* for logs without a zone */
    struct ts_memo ts_memo;   /* the file's last timestamp text and its time */
    const char *default_host; /* recorded when the log names none; may be NULL */
    const char *why;          /* set by the parser with LINE_UNPARSED: a short static reason */
    /* source - the file being read, as named to the reader ("-" for stdin); NULL in flush.
     * Exim tells its mainlog, rejectlog and paniclog apart by it; Exchange finds the #Fields
     * header of the file a resumed run is in. */
    const char *source;
};

struct parser_ops {
    const char *name; /* "postfix" */
    /* sniff - 1 when this line is unmistakably of this format (used to auto-detect a file) */
    int (*sniff)(const char *line, size_t len);
    void *(*create)(void);
    void (*destroy)(void *state);
    enum line_result (*parse_line)(void *state, struct parse_ctx *ctx, const struct log_line *ln);
    /* flush - the input ended: emit what is pending and final (0, or -1 when the sink refused) */
    int (*flush)(void *state, struct parse_ctx *ctx);
    /* save_state - append the cross-line state to out (opaque bytes) */
    void (*save_state)(void *state, struct strbuf *out);
    /* load_state - restore what save_state wrote; bad bytes are ignored, never fatal */
    void (*load_state)(void *state, const char *data, size_t len);
    /*
     * parse_line in two stages, so that a reading thread can run the first ahead of the parser
     * (ingest_options.parse_ahead); NULL (and 0) for a format with one stage. prepare sees the
     * line and ctx's time and host fields, never the parser's state: it writes prep_size
     * bytes at prep and returns LINE_EVENT when parse_prepared must see the line (with prep as
     * it was, and ln the same line, perhaps copied elsewhere: prep never points into it), or
     * the line's result (ctx->why with LINE_UNPARSED) when it is done.
     * memo is prep_memo_size bytes, zeroed, kept by the caller for one file: what prepare
     * remembers from line to line to be faster, never to answer differently. parse_line is
     * the two in turn.
     */
    size_t prep_size, prep_memo_size;
    enum line_result (*prepare)(void *memo, struct parse_ctx *ctx, const struct log_line *ln,
                                void *prep);
    enum line_result (*parse_prepared)(void *state, struct parse_ctx *ctx,
                                       const struct log_line *ln, const void *prep);
};

/* parser_by_name - the parser of that name, or NULL */
const struct parser_ops *parser_by_name(const char *name);

/* parser_detect - the parser that claims most of these sample lines, or NULL when none does */
const struct parser_ops *parser_detect(const struct log_line *lines, size_t n);

/* parser_names - write "postfix, exim, ..." into buf, for help and error messages */
void parser_names(char *buf, size_t cap);

/* parse_emit - send ev to the sink; returns 0, or -1 when the sink refused */
static inline int parse_emit(struct parse_ctx *ctx, const struct event *ev)
{
    return ctx->sink.emit(ctx->sink.ctx, ev);
}

#endif
