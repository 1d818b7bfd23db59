/*
 * writers - the table of report formats: each renders the one report model (model.h)
 *
 * A writer appends its whole output to a strbuf (a mailed report needs it in memory anyway)
 * and returns 0, or -1 with a message in d (only for a bad option, such as an unknown CSV
 * table). Writers never touch the database or the environment; every string of the model that
 * came from a log goes through escape.h. A new format is one file and one row in writers.c.
 */
#ifndef REJECTLENS_WRITERS_H
#define REJECTLENS_WRITERS_H

#include <stddef.h>

#include "diag.h"
#include "model.h"
#include "strbuf.h"

/* the HTML report's Content-Security-Policy: no script, nothing fetched, only its own CSS */
#define REPORT_HTML_CSP                                                                            \
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

struct report_options {
    const char *table; /* csv: the table to write; NULL: "categories" */
};

struct report_writer {
    const char *name;       /* "html", as --format takes it */
    const char *media_type; /* "text/html; charset=utf-8" */
    const char *extension;  /* "html" */
    int (*write)(const struct report_model *m, const struct report_options *o, struct strbuf *out,
                 struct diag *d);
};

/* the table, ending with a row whose name is NULL */
extern const struct report_writer report_writers[];

/* report_writer_find - the writer named so, or NULL */
const struct report_writer *report_writer_find(const char *name);

/* report_writer_names - "html, csv, text, json" into buf */
void report_writer_names(char *buf, size_t cap);

int report_write_html(const struct report_model *m, const struct report_options *o,
                      struct strbuf *out, struct diag *d);
int report_write_csv(const struct report_model *m, const struct report_options *o,
                     struct strbuf *out, struct diag *d);
int report_write_text(const struct report_model *m, const struct report_options *o,
                      struct strbuf *out, struct diag *d);
int report_write_json(const struct report_model *m, const struct report_options *o,
                      struct strbuf *out, struct diag *d);

/* csv_table_names - the tables --table takes, "categories, codes550, ..." into buf */
void csv_table_names(char *buf, size_t cap);
/* csv_table_exists - 1 when name is one of them */
int csv_table_exists(const char *name);

/* ---- helpers the writers share (writers.c) ---- */

/* fmt_change - now against before for people: "+12.5 %", "-3.0 %", "±0", "new", "gone", "" when
 * there is no comparison (before < 0) */
const char *fmt_change(int64_t now, int64_t before, char *buf, size_t cap);
/* fmt_pct - a share 0..1 as "43.7 %" */
const char *fmt_pct(double share, char *buf, size_t cap);
/* fmt_who - "sender's admin, end user" for a category; "" when the rules say none */
void fmt_who(const struct report_category *c, struct strbuf *out);
/* fmt_local - microseconds as local "2026-01-05 14:03:09" */
const char *fmt_local(int64_t us, char *buf, size_t cap);

#endif
