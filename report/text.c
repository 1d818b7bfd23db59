/*
 * text - the report as plain text: for a terminal and the text/plain part of the weekly mail
 *
 * DESCRIPTION
 *	Sections in the order an admin reads them: the headline, the totals, why mail was
 *	rejected with 550, all failures by cause, the series, what to do (by impact, with
 *	evidence), the texts no rule knows, how the logs read. Lines fit 78 columns except log
 *	lines and advice commands, which are never cut. Every log-derived string goes through
 *	esc_text: no control character or bidi override reaches a terminal.
 */
#include "escape.h"
#include "writers.h"

#include <stdio.h>
#include <string.h>

#define BAR_WIDTH 40

/* width - display columns of s (code points; good enough for log text) */
static size_t width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

/* cell - s made safe, cut to w columns ("..." ending) and padded (right-aligned when right) */
static void cell(struct strbuf *out, const char *s, size_t w, int right)
{
    struct strbuf t = STRBUF_INIT;
    size_t n;

    esc_text(&t, s ? s : "", 0);
    n = width(strbuf_str(&t));
    if (n > w && w > 3) {
        /* cut at a code point boundary */
        size_t cols = 0, i = 0;
        while (i < t.len && cols < w - 3) {
            i++;
            while (i < t.len && ((unsigned char)t.buf[i] & 0xc0) == 0x80)
                i++;
            cols++;
        }
        t.len = i;
        t.buf[i] = '\0';
        strbuf_puts(&t, "...");
        n = w;
    }
    if (right)
        for (size_t i = n; i < w; i++)
            strbuf_putc(out, ' ');
    strbuf_append(out, t.buf ? t.buf : "", t.len);
    if (!right)
        for (size_t i = n; i < w; i++)
            strbuf_putc(out, ' ');
    strbuf_free(&t);
}

static void num(struct strbuf *out, int64_t v, size_t w)
{
    char b[32];

    snprintf(b, sizeof b, "%lld", (long long)v);
    cell(out, b, w, 1);
}

static void heading(struct strbuf *out, const char *title)
{
    strbuf_printf(out, "\n%s\n", title);
    for (size_t i = width(title); i > 0; i--)
        strbuf_putc(out, '=');
    strbuf_putc(out, '\n');
}

static void header(const struct report_model *m, struct strbuf *out)
{
    esc_text(out, m->title, 0);
    strbuf_puts(out, "\n");
    strbuf_printf(out, "Period: %s\n", m->range);
    if (m->compare)
        strbuf_printf(out, "Compared with: %s\n", m->prev_range);
    if (m->filters && m->filters[0]) {
        strbuf_puts(out, "Filters: ");
        esc_text(out, m->filters, 0);
        strbuf_putc(out, '\n');
    }
    strbuf_putc(out, '\n');
    esc_text(out, m->headline, 0);
    strbuf_putc(out, '\n');
}

static void total_row(struct strbuf *out, const struct report_model *m, const char *name,
                      int64_t now, int64_t before)
{
    char b[32];

    strbuf_puts(out, "  ");
    cell(out, name, 30, 0);
    num(out, now, 12);
    if (m->compare) {
        num(out, before, 12);
        strbuf_puts(out, "  ");
        cell(out, fmt_change(now, before, b, sizeof b), 10, 1);
    }
    strbuf_putc(out, '\n');
}

static void totals(const struct report_model *m, struct strbuf *out)
{
    const struct report_totals *t = &m->totals, *p = &m->prev_totals;
    char a[32], b[32];

    heading(out, "Totals");
    strbuf_puts(out, "  ");
    cell(out, "", 30, 0);
    cell(out, "this period", 12, 1);
    if (m->compare) {
        cell(out, "before", 12, 1);
        strbuf_puts(out, "  ");
        cell(out, "change", 10, 1);
    }
    strbuf_putc(out, '\n');
    total_row(out, m, "delivery attempts", t->attempts, p->attempts);
    total_row(out, m, "delivered", t->deliveries, p->deliveries);
    total_row(out, m, "rejected (SMTP)", t->rejections, p->rejections);
    total_row(out, m, "bounced", t->bounces, p->bounces);
    total_row(out, m, "deferred", t->deferrals, p->deferrals);
    total_row(out, m, "expired", t->expiries, p->expiries);
    strbuf_puts(out, "  ");
    cell(out, "rejection rate", 30, 0);
    cell(out, fmt_pct(t->rejection_rate, a, sizeof a), 12, 1);
    if (m->compare)
        cell(out, fmt_pct(p->rejection_rate, b, sizeof b), 12, 1);
    strbuf_putc(out, '\n');
    total_row(out, m, "failures (4xx/5xx)", t->failures, p->failures);
    total_row(out, m, "  of them 550", t->failures_550, p->failures_550);
    total_row(out, m, "  5xx", t->failures_5xx, p->failures_5xx);
    total_row(out, m, "  4xx", t->failures_4xx, p->failures_4xx);
    if (t->failures_other || p->failures_other)
        total_row(out, m, "  without a code", t->failures_other, p->failures_other);
    if (t->reject_warnings || p->reject_warnings)
        total_row(out, m, "reject warnings (not refused)", t->reject_warnings, p->reject_warnings);
    if (t->holds || t->discards)
        total_row(out, m, "held / discarded", t->holds + t->discards, p->holds + p->discards);
}

static void table_550(const struct report_model *m, struct strbuf *out)
{
    char a[32], b[32];

    heading(out, "Why mail was rejected with 550");
    if (m->n550 == 0) {
        strbuf_puts(out, "  No rejections with code 550 in this period.\n");
        return;
    }
    strbuf_puts(out, "  ");
    cell(out, "cause", 44, 0);
    cell(out, "550s", 8, 1);
    cell(out, "share", 9, 1);
    if (m->compare)
        cell(out, "change", 10, 1);
    strbuf_putc(out, '\n');
    for (size_t i = 0; i < m->n550; i++) {
        const struct report_category *c = &m->categories[m->by_550[i]];
        strbuf_puts(out, "  ");
        cell(out, c->title, 44, 0);
        num(out, c->count_550, 8);
        cell(out, fmt_pct(c->share_550, a, sizeof a), 9, 1);
        if (m->compare)
            cell(out, fmt_change(c->count_550, c->prev_550, b, sizeof b), 10, 1);
        strbuf_putc(out, '\n');
    }
}

static void table_all(const struct report_model *m, struct strbuf *out)
{
    char a[32], b[32];

    heading(out, "All failures (4xx and 5xx) by cause");
    if (m->ncategories == 0) {
        strbuf_puts(out, "  No failures in this period.\n");
        return;
    }
    strbuf_puts(out, "  ");
    cell(out, "cause", 36, 0);
    cell(out, "total", 7, 1);
    cell(out, "5xx", 7, 1);
    cell(out, "4xx", 7, 1);
    cell(out, "share", 8, 1);
    if (m->compare)
        cell(out, "change", 10, 1);
    strbuf_putc(out, '\n');
    for (size_t i = 0; i < m->ncategories; i++) {
        const struct report_category *c = &m->categories[m->by_count[i]];
        strbuf_puts(out, "  ");
        cell(out, c->title, 36, 0);
        num(out, c->count, 7);
        num(out, c->count_5xx, 7);
        num(out, c->count_4xx, 7);
        cell(out, fmt_pct(c->share, a, sizeof a), 8, 1);
        if (m->compare)
            cell(out, fmt_change(c->count, c->prev_count, b, sizeof b), 10, 1);
        strbuf_putc(out, '\n');
    }
}

static void series(const struct report_model *m, struct strbuf *out)
{
    int64_t max = 0;
    char title[64];

    snprintf(title, sizeof title, "Failures per %s", m->bucket_unit);
    heading(out, title);
    for (size_t i = 0; i < m->nbuckets; i++)
        if (m->bucket_totals[i] > max)
            max = m->bucket_totals[i];
    for (size_t i = 0; i < m->nbuckets; i++) {
        int64_t v = m->bucket_totals[i];
        strbuf_puts(out, "  ");
        cell(out, m->buckets[i].label, 17, 0);
        num(out, v, 8);
        strbuf_puts(out, "  ");
        int bar = max > 0 ? (int)((v * BAR_WIDTH + max - 1) / max) : 0;
        for (int k = 0; k < bar; k++)
            strbuf_putc(out, '#');
        strbuf_putc(out, '\n');
    }
}

/* indent - s (several lines) made safe, each line indented */
static void indent(struct strbuf *out, const char *s, const char *pad)
{
    struct strbuf t = STRBUF_INIT;
    const char *p;

    esc_text(&t, s, 1);
    p = strbuf_str(&t);
    while (*p) {
        size_t n = strcspn(p, "\n");
        if (n > 0)
            strbuf_printf(out, "%s%.*s", pad, (int)n, p);
        strbuf_putc(out, '\n');
        p += n + (p[n] == '\n');
    }
    strbuf_free(&t);
}

static void advice(const struct report_model *m, struct strbuf *out)
{
    size_t k = 0;
    char b[32];

    heading(out, "What to do, by impact");
    for (size_t i = 0; i < m->ncategories; i++) {
        const struct report_category *c = &m->categories[i];
        struct strbuf who = STRBUF_INIT;
        if (c->count == 0)
            continue;
        strbuf_printf(out, "\n%zu. ", ++k);
        esc_text(out, c->title, 0);
        strbuf_printf(out, " [%s]\n", c->id);
        strbuf_printf(out, "   %lld failure%s (5xx %lld, 4xx %lld", (long long)c->count,
                      c->count == 1 ? "" : "s", (long long)c->count_5xx, (long long)c->count_4xx);
        if (c->count_550)
            strbuf_printf(out, ", 550 %lld", (long long)c->count_550);
        strbuf_puts(out, ")");
        if (m->compare && c->prev_count >= 0)
            strbuf_printf(out, ", before %lld (%s)", (long long)c->prev_count,
                          fmt_change(c->count, c->prev_count, b, sizeof b));
        strbuf_putc(out, '\n');
        fmt_who(c, &who);
        if (who.len > 0)
            strbuf_printf(out, "   Who acts: %s\n", strbuf_str(&who));
        if (c->severity)
            strbuf_printf(out, "   Severity: %s%s%s\n", c->severity, c->hardness ? ", " : "",
                          c->hardness ? c->hardness : "");
        strbuf_free(&who);
        if (c->advice) {
            strbuf_puts(out, "\n   What to do:\n");
            indent(out, c->advice, "     ");
        }
        if (c->nexamples > 0) {
            strbuf_puts(out, "\n   Examples:\n");
            for (size_t e = 0; e < c->nexamples; e++) {
                indent(out, c->examples[e].line, "     ");
                if (c->examples[e].source) {
                    const char *base = strrchr(c->examples[e].source, '/');
                    strbuf_puts(out, "       (");
                    esc_text(out, base ? base + 1 : c->examples[e].source, 0);
                    strbuf_printf(out, ", byte %lld)\n", (long long)c->examples[e].offset);
                }
            }
        }
        for (size_t l = 0, shown = 0; l < REPORT_LIST_COUNT && shown < 3; l++) {
            const struct report_top *t = &c->top[c->order[l]];
            if (t->n == 0 || (int)c->order[l] == c->advice_list)
                continue;
            shown++;
            strbuf_printf(out, "\n   %s:", report_list_title(c->order[l]));
            for (size_t r = 0; r < t->n && r < 5; r++) {
                strbuf_puts(out, r ? ", " : " ");
                esc_text(out, t->rows[r].value, 0);
                strbuf_printf(out, " (%lld)", (long long)t->rows[r].count);
            }
            strbuf_putc(out, '\n');
        }
        if (c->ntemplates > 1) {
            strbuf_puts(out, "\n   Commonest reply texts:\n");
            for (size_t t = 0; t < c->ntemplates; t++) {
                const struct report_template *x = &c->templates[t];
                strbuf_printf(out, "     %6lld  ", (long long)x->count);
                if (x->reply_code)
                    strbuf_printf(out, "%d ", x->reply_code);
                if (x->status)
                    strbuf_printf(out, "%s ", x->status);
                esc_text(out, x->text ? x->text : "(no text)", 0);
                strbuf_putc(out, '\n');
            }
        }
    }
    if (k == 0)
        strbuf_puts(out, "  Nothing: no failures in this period.\n");
}

static void unclassified(const struct report_model *m, struct strbuf *out)
{
    if (m->nunclassified == 0)
        return;
    heading(out, "Texts no rule knows (write a rule for these)");
    strbuf_printf(out, "  %lld failures are unclassified. The commonest texts, masked:\n\n",
                  (long long)m->unclassified_count);
    for (size_t i = 0; i < m->nunclassified; i++) {
        const struct report_template *x = &m->unclassified[i];
        strbuf_printf(out, "  %6lld  %s %s ", (long long)x->count, x->kind,
                      x->stage[0] ? x->stage : "-");
        if (x->reply_code)
            strbuf_printf(out, "%d ", x->reply_code);
        if (x->status)
            strbuf_printf(out, "%s ", x->status);
        esc_text(out, x->text ? x->text : "(no text)", 0);
        strbuf_putc(out, '\n');
    }
    strbuf_puts(out, "\n  Try one: rejectlens explain 'TEXT'; add a rule with --rules FILE.\n");
}

static void parse_stats(const struct report_model *m, struct strbuf *out)
{
    heading(out, "How the logs read");
    for (size_t i = 0; i < m->nsources; i++) {
        const struct report_source *s = &m->sources[i];
        strbuf_puts(out, "  ");
        esc_text(out, s->path, 0);
        if (s->format[0])
            strbuf_printf(out, " (%s)", s->format);
        strbuf_printf(out, ": %lld lines, %lld events, %lld unparsed\n", (long long)s->lines,
                      (long long)s->events, (long long)s->unparsed_lines);
    }
    strbuf_printf(out,
                  "  In all: %lld lines read, %lld events, %lld lines without an event, %lld "
                  "other programs' lines, %lld unparsed.\n",
                  (long long)m->lines, (long long)m->source_events, (long long)m->info_lines,
                  (long long)m->foreign_lines, (long long)m->unparsed_lines);
    if (m->nunparsed > 0) {
        strbuf_puts(out, "\n  Lines that could not be read:\n");
        for (size_t i = 0; i < m->nunparsed; i++) {
            const struct report_unparsed *u = &m->unparsed[i];
            const char *base = strrchr(u->source, '/');
            strbuf_puts(out, "    ");
            esc_text(out, base ? base + 1 : u->source, 0);
            strbuf_printf(out, "@%lld (", (long long)u->offset);
            esc_text(out, u->reason, 0);
            strbuf_puts(out, "): ");
            esc_text(out, u->line, 0);
            strbuf_putc(out, '\n');
        }
    }
}

int report_write_text(const struct report_model *m, const struct report_options *o,
                      struct strbuf *out, struct diag *d)
{
    (void)o;
    (void)d;
    header(m, out);
    totals(m, out);
    table_550(m, out);
    table_all(m, out);
    series(m, out);
    advice(m, out);
    unclassified(m, out);
    parse_stats(m, out);
    strbuf_printf(out, "\n-- \nrejectlens %s, %s", m->version ? m->version : "",
                  m->generated ? m->generated : "");
    if (m->rules_hash)
        strbuf_printf(out, ", rules %s", m->rules_hash);
    strbuf_putc(out, '\n');
    return 0;
}
