/*
 * out - rows of cells to a terminal or a pipe: an aligned table, CSV, JSON or TSV
 *
 * What query, trace and top print goes through here, so that every byte that came from a log
 * is made harmless in one place. A log line is hostile: it may carry terminal escape
 * sequences, invalid UTF-8, a spreadsheet formula. So:
 *
 *	table	control characters, DEL, the C1 controls (U+0080..U+009F), the bidirectional
 *		overrides and invalid UTF-8 are shown escaped (\x1b, \u202e); nothing raw
 *		reaches the terminal. Long cells are cut ("...") unless wide; colour only when
 *		asked for (a terminal without NO_COLOR).
 *	csv	RFC 4180 quoting; the same visible escapes as the table; a text cell starting with
 *		= + - @ (or a tab, CR, or their full-width forms) gets a leading ' so that a
 *		spreadsheet shows it instead of running it.
 *	json	an array of objects, one per row; strings escaped as JSON requires, control and
 *		format characters as \uXXXX, invalid UTF-8 replaced by U+FFFD.
 *	tsv	one line per row; tab, newline, CR and backslash as \t \n \r \\, other controls
 *		and invalid UTF-8 as \xNN.
 *
 * Headings (a line before the next rows) and notes (an indented line after the last row) are
 * for a table only; the other formats carry the same facts as columns.
 *
 * A table is aligned over its first OUT_BUFFER_ROWS rows; later rows keep those widths. On a
 * terminal narrower than the table, the columns that may be cut are narrowed (widest first),
 * then the columns that may be left out are (a category's title beside its id), never the
 * columns to keep. All
 * output goes to the FILE given; out_close reports a write error (a full disk, a closed pipe).
 */
#ifndef REJECTLENS_OUT_H
#define REJECTLENS_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "strbuf.h"

#define OUT_BUFFER_ROWS 1000
#define OUT_DEFAULT_MAX 48 /* widest a table cell gets unless the column says otherwise */

enum out_format { OUT_TABLE, OUT_CSV, OUT_JSON, OUT_TSV };

enum out_type {
    OUT_NULL,   /* no value: empty in a table, CSV and TSV, null in JSON */
    OUT_TEXT,   /* a string, perhaps from a log */
    OUT_NUMBER, /* a number written by the program or SQLite: right-aligned, a JSON number */
};

enum out_style { OUT_PLAIN, OUT_BOLD, OUT_DIM, OUT_RED, OUT_YELLOW, OUT_GREEN, OUT_CYAN };

struct out_cell {
    const char *s; /* NULL: OUT_NULL */
    size_t len;    /* bytes of s (may hold NUL bytes) */
    enum out_type type;
    enum out_style style; /* table on a colour terminal only */
};

/* what a table column does when the table is wider than the terminal */
enum out_fit {
    OUT_FIT_CUT,  /* narrowed with the others (not below 10), cells cut with "..." */
    OUT_FIT_KEEP, /* never narrowed: an id, a time, a code */
    OUT_FIT_DROP, /* narrowed like CUT, then left out when the table still does not fit */
};

struct out_col {
    const char *name;
    int numeric;      /* right-aligned in a table */
    int max;          /* widest in a table unless wide; 0: OUT_DEFAULT_MAX */
    enum out_fit fit; /* on a terminal narrower than the table */
};

struct out_opts {
    enum out_format fmt;
    int wide;  /* never cut a table cell */
    int color; /* ANSI colours in a table */
    int width; /* terminal columns to fit a table into; 0: no limit */
};

struct out;

/* out_format_parse - "table", "csv", "json", "tsv"; 0, or -1 for anything else */
int out_format_parse(const char *name, enum out_format *fmt);

/*
 * out_opts_for - options for writing to f: colour when f is a terminal, TERM is not "dumb"
 * and NO_COLOR is unset or empty; the terminal's width; the table format, not wide
 */
void out_opts_for(FILE *f, struct out_opts *opts);

/* out_open - start writing rows of ncols cells; the columns are copied */
struct out *out_open(FILE *f, const struct out_opts *opts, const struct out_col *cols,
                     size_t ncols);
/* out_row - one row of ncols cells (copied: they may die after the call) */
void out_row(struct out *o, const struct out_cell *cells);
/* out_heading - a table line of its own before the next row (bold); other formats: nothing */
void out_heading(struct out *o, const char *s, size_t len);
/* out_note - an indented table line after the last row (dim); other formats: nothing */
void out_note(struct out *o, const char *s, size_t len);
/* out_rows - the rows written so far */
size_t out_rows(const struct out *o);
/* out_close - write what is buffered, free o; 0, or -1 when writing failed */
int out_close(struct out *o);

/* cell constructors: text (NULL for no value), a number, a text with a style */
struct out_cell out_text(const char *s);
struct out_cell out_textn(const char *s, size_t len);
struct out_cell out_styled(const char *s, enum out_style style);
struct out_cell out_int(char *buf, size_t cap, long long v); /* formats v into buf */
struct out_cell out_num(const char *s);

/* the escapers, for tests and for lines printed outside a table (append to sb) */
void out_escape_terminal(struct strbuf *sb, const char *s, size_t n);
void out_escape_json(struct strbuf *sb, const char *s, size_t n);
void out_escape_tsv(struct strbuf *sb, const char *s, size_t n);
/* out_escape_csv - one CSV cell, quoted when needed; formula defused when is_text */
void out_escape_csv(struct strbuf *sb, const char *s, size_t n, int is_text);

#endif
