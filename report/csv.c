/*
 * csv - the report as CSV, one table at a time (RFC 4180: CRLF, header row, UTF-8)
 *
 * DESCRIPTION
 *	A table of tables, as GoAccess keeps its panels: each has a name (--table NAME), a header
 *	and one function that writes its rows. Strings are quoted and defused by esc_csv (a cell
 *	starting with = + - @ TAB or CR gets a '), numbers are written bare. A new table is one
 *	function and one row in tables[].
 */
#include "escape.h"
#include "writers.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>

#define EOL "\r\n"

static void str(struct strbuf *o, const char *s, int last)
{
    esc_csv(o, s);
    strbuf_puts(o, last ? EOL : ",");
}

static void i64(struct strbuf *o, int64_t v, int last)
{
    strbuf_printf(o, "%lld%s", (long long)v, last ? EOL : ",");
}

static void dbl(struct strbuf *o, double v, int last)
{
    strbuf_printf(o, "%.4f%s", v, last ? EOL : ",");
}

/* opt_i64 - a count that may be unknown (-1): an empty cell */
static void opt_i64(struct strbuf *o, int64_t v, int last)
{
    if (v < 0)
        strbuf_puts(o, last ? EOL : ",");
    else
        i64(o, v, last);
}

static void header(struct strbuf *o, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        strbuf_printf(o, "%s%s", names[i], names[i + 1] ? "," : EOL);
}

/* ---------------------------------------------------------------- tables */

static void t_categories(const struct report_model *m, struct strbuf *o)
{
    static const char *const h[] = {"category",      "title",     "who",
                                    "severity",      "hardness",  "count_550",
                                    "count",         "count_5xx", "count_4xx",
                                    "count_no_code", "share_550", "share",
                                    "previous_550",  "previous",  "change_percent",
                                    "impact",        "advice",    NULL};
    int *done = xcalloc(m->ncategories + 1, sizeof *done);

    header(o, h);
    /* the 550s first, as in every other format; then the rest by count */
    for (size_t pass = 0; pass < 2; pass++) {
        size_t n = pass == 0 ? m->n550 : m->ncategories;
        for (size_t i = 0; i < n; i++) {
            size_t idx = pass == 0 ? m->by_550[i] : m->by_count[i];
            const struct report_category *c = &m->categories[idx];
            struct strbuf who = STRBUF_INIT;
            if (done[idx])
                continue;
            done[idx] = 1;
            for (size_t w = 0; w < c->nwho; w++)
                strbuf_printf(&who, "%s%s", w ? " " : "", c->who[w]);
            str(o, c->id, 0);
            str(o, c->title, 0);
            str(o, strbuf_str(&who), 0);
            str(o, c->severity, 0);
            str(o, c->hardness, 0);
            i64(o, c->count_550, 0);
            i64(o, c->count, 0);
            i64(o, c->count_5xx, 0);
            i64(o, c->count_4xx, 0);
            i64(o, c->count_other, 0);
            dbl(o, c->share_550, 0);
            dbl(o, c->share, 0);
            opt_i64(o, c->prev_550, 0);
            opt_i64(o, c->prev_count, 0);
            if (c->prev_count > 0)
                strbuf_printf(o, "%.1f,", report_change(c->count, c->prev_count));
            else
                strbuf_puts(o, ",");
            dbl(o, c->impact, 0);
            str(o, c->advice, 1);
            strbuf_free(&who);
        }
    }
    free(done);
}

static void t_totals(const struct report_model *m, struct strbuf *o)
{
    static const char *const h[] = {"metric", "value", "previous", NULL};
    const struct report_totals *t = &m->totals, *p = &m->prev_totals;
    const struct {
        const char *name;
        int64_t now, before;
    } rows[] = {
        {"events", t->events, p->events},
        {"attempts", t->attempts, p->attempts},
        {"deliveries", t->deliveries, p->deliveries},
        {"rejections", t->rejections, p->rejections},
        {"bounces", t->bounces, p->bounces},
        {"deferrals", t->deferrals, p->deferrals},
        {"expiries", t->expiries, p->expiries},
        {"reject_warnings", t->reject_warnings, p->reject_warnings},
        {"holds", t->holds, p->holds},
        {"discards", t->discards, p->discards},
        {"failures", t->failures, p->failures},
        {"failures_550", t->failures_550, p->failures_550},
        {"failures_5xx", t->failures_5xx, p->failures_5xx},
        {"failures_4xx", t->failures_4xx, p->failures_4xx},
        {"failures_no_code", t->failures_other, p->failures_other},
    };

    header(o, h);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        str(o, rows[i].name, 0);
        i64(o, rows[i].now, 0);
        opt_i64(o, m->compare ? rows[i].before : -1, 1);
    }
    str(o, "rejection_rate", 0);
    dbl(o, t->rejection_rate, 0);
    if (m->compare)
        dbl(o, p->rejection_rate, 1);
    else
        strbuf_puts(o, EOL);
}

static void t_series(const struct report_model *m, struct strbuf *o)
{
    char a[32], b[32];

    strbuf_puts(o, "bucket,start,end,total");
    for (size_t i = 0; i < m->ncategories; i++) {
        strbuf_putc(o, ',');
        esc_csv(o, m->categories[m->by_count[i]].id);
    }
    strbuf_puts(o, EOL);
    for (size_t k = 0; k < m->nbuckets; k++) {
        str(o, m->buckets[k].label, 0);
        str(o, fmt_local(m->buckets[k].start_us, a, sizeof a), 0);
        str(o, fmt_local(m->buckets[k].end_us, b, sizeof b), 0);
        i64(o, m->bucket_totals[k], m->ncategories == 0);
        for (size_t i = 0; i < m->ncategories; i++)
            i64(o, m->categories[m->by_count[i]].series[k], i + 1 == m->ncategories);
    }
}

static void t_top(const struct report_model *m, struct strbuf *o)
{
    static const char *const h[] = {"category", "list", "rank", "value", "extra", "count", NULL};

    header(o, h);
    for (size_t i = 0; i < m->ncategories; i++) {
        const struct report_category *c = &m->categories[m->by_count[i]];
        for (int l = 0; l < REPORT_LIST_COUNT; l++) {
            const struct report_top *t = &c->top[c->order[l]];
            for (size_t r = 0; r < t->n; r++) {
                str(o, c->id, 0);
                str(o, report_list_id(c->order[l]), 0);
                i64(o, (int64_t)r + 1, 0);
                str(o, t->rows[r].value, 0);
                str(o, t->rows[r].extra, 0);
                i64(o, t->rows[r].count, 1);
            }
        }
    }
}

static void template_row(struct strbuf *o, const char *category, const struct report_template *x)
{
    if (category != NULL)
        str(o, category, 0);
    i64(o, x->count, 0);
    str(o, x->kind, 0);
    str(o, x->stage, 0);
    if (x->reply_code)
        i64(o, x->reply_code, 0);
    else
        strbuf_putc(o, ',');
    str(o, x->status, 0);
    str(o, x->rule, 0);
    str(o, x->text, 0);
    str(o, x->example, 1);
}

static void t_unclassified(const struct report_model *m, struct strbuf *o)
{
    static const char *const h[] = {"count", "kind",     "stage",   "reply_code", "status",
                                    "rule",  "template", "example", NULL};

    header(o, h);
    for (size_t i = 0; i < m->nunclassified; i++)
        template_row(o, NULL, &m->unclassified[i]);
}

static void t_templates(const struct report_model *m, struct strbuf *o)
{
    static const char *const h[] = {"category", "count", "kind",     "stage",   "reply_code",
                                    "status",   "rule",  "template", "example", NULL};

    header(o, h);
    for (size_t i = 0; i < m->ncategories; i++) {
        const struct report_category *c = &m->categories[m->by_count[i]];
        for (size_t t = 0; t < c->ntemplates; t++)
            template_row(o, c->id, &c->templates[t]);
    }
}

static void t_examples(const struct report_model *m, struct strbuf *o)
{
    static const char *const h[] = {
        "category",   "time",      "kind",        "direction", "stage",  "host",      "program",
        "queue_id",   "client_ip", "client_name", "helo",      "sender", "recipient", "relay",
        "reply_code", "status",    "text",        "source",    "offset", "line",      NULL};
    char when[32];

    header(o, h);
    for (size_t i = 0; i < m->ncategories; i++) {
        const struct report_category *c = &m->categories[i];
        for (size_t e = 0; e < c->nexamples; e++) {
            const struct report_example *x = &c->examples[e];
            str(o, c->id, 0);
            str(o, fmt_local(x->ts_us, when, sizeof when), 0);
            str(o, x->kind, 0);
            str(o, x->direction, 0);
            str(o, x->stage, 0);
            str(o, x->host, 0);
            str(o, x->program, 0);
            str(o, x->queue_id, 0);
            str(o, x->client_ip, 0);
            str(o, x->client_name, 0);
            str(o, x->helo, 0);
            str(o, x->sender, 0);
            str(o, x->recipient, 0);
            str(o, x->relay, 0);
            if (x->reply_code)
                i64(o, x->reply_code, 0);
            else
                strbuf_putc(o, ',');
            str(o, x->status, 0);
            str(o, x->text, 0);
            str(o, x->source, 0);
            i64(o, x->offset, 0);
            str(o, x->line, 1);
        }
    }
}

static void t_sources(const struct report_model *m, struct strbuf *o)
{
    static const char *const h[] = {"path",       "format",        "lines",          "events",
                                    "info_lines", "foreign_lines", "unparsed_lines", NULL};

    header(o, h);
    for (size_t i = 0; i < m->nsources; i++) {
        const struct report_source *s = &m->sources[i];
        str(o, s->path, 0);
        str(o, s->format, 0);
        i64(o, s->lines, 0);
        i64(o, s->events, 0);
        i64(o, s->info_lines, 0);
        i64(o, s->foreign_lines, 0);
        i64(o, s->unparsed_lines, 1);
    }
}

static void t_unparsed(const struct report_model *m, struct strbuf *o)
{
    static const char *const h[] = {"source", "offset", "reason", "line", NULL};

    header(o, h);
    for (size_t i = 0; i < m->nunparsed; i++) {
        str(o, m->unparsed[i].source, 0);
        i64(o, m->unparsed[i].offset, 0);
        str(o, m->unparsed[i].reason, 0);
        str(o, m->unparsed[i].line, 1);
    }
}

static const struct csv_table {
    const char *name;
    void (*write)(const struct report_model *m, struct strbuf *o);
} tables[] = {
    {"categories", t_categories},
    {"totals", t_totals},
    {"daily", t_series}, /* the series, whatever its unit: "daily" is what admins ask for */
    {"series", t_series},
    {"top", t_top},
    {"templates", t_templates},
    {"examples", t_examples},
    {"unclassified", t_unclassified},
    {"sources", t_sources},
    {"unparsed", t_unparsed},
};

void csv_table_names(char *buf, size_t cap)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof tables / sizeof tables[0] && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", tables[i].name);
}

int csv_table_exists(const char *name)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (strcmp(tables[i].name, name) == 0)
            return 1;
    return 0;
}

int report_write_csv(const struct report_model *m, const struct report_options *o,
                     struct strbuf *out, struct diag *d)
{
    const char *name = o && o->table ? o->table : "categories";
    char names[256];

    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (strcmp(tables[i].name, name) == 0) {
            tables[i].write(m, out);
            return 0;
        }
    csv_table_names(names, sizeof names);
    return diag_set(d, "no CSV table '%s' (there are: %s)", name, names);
}
