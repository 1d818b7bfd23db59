/*
 * json - the whole report model as one JSON document (RFC 8259; shape in docs/report-json.md)
 *
 * DESCRIPTION
 *	Written by hand, member by member, so the order is stable and the shape is the documented
 *	one. Strings go through esc_json (invalid UTF-8 becomes U+FFFD, controls \uXXXX); a value
 *	that is not known is null, never left out. Times are ISO 8601 UTC; the bucket labels are
 *	local time, as in the other formats.
 */
#include "escape.h"
#include "writers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define JSON_FORMAT_VERSION 1

struct json {
    struct strbuf *o;
    int first; /* no comma before the next member */
};

static void sep(struct json *j)
{
    if (!j->first)
        strbuf_putc(j->o, ',');
    j->first = 0;
}

static void key(struct json *j, const char *k)
{
    sep(j);
    esc_json(j->o, k);
    strbuf_putc(j->o, ':');
}

static void open_(struct json *j, const char *k, char c)
{
    if (k)
        key(j, k);
    else
        sep(j);
    strbuf_putc(j->o, c);
    j->first = 1;
}

static void close_(struct json *j, char c)
{
    strbuf_putc(j->o, c);
    j->first = 0;
}

static void s_(struct json *j, const char *k, const char *v)
{
    if (k)
        key(j, k);
    else
        sep(j);
    esc_json(j->o, v);
}

static void i_(struct json *j, const char *k, int64_t v)
{
    if (k)
        key(j, k);
    else
        sep(j);
    strbuf_printf(j->o, "%lld", (long long)v);
}

/* opt_i - an integer that may be unknown (< 0): null */
static void opt_i(struct json *j, const char *k, int64_t v)
{
    key(j, k);
    if (v < 0)
        strbuf_puts(j->o, "null");
    else
        strbuf_printf(j->o, "%lld", (long long)v);
}

static void d_(struct json *j, const char *k, double v)
{
    key(j, k);
    strbuf_printf(j->o, "%.4f", v);
}

static void time_(struct json *j, const char *k, int64_t us)
{
    char b[40];
    time_t t = (time_t)(us / 1000000);
    struct tm tm;

    key(j, k);
    if (gmtime_r(&t, &tm) == NULL || strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        strbuf_puts(j->o, "null");
        return;
    }
    esc_json(j->o, b);
}

static void totals(struct json *j, const char *k, const struct report_totals *t)
{
    open_(j, k, '{');
    i_(j, "events", t->events);
    i_(j, "attempts", t->attempts);
    i_(j, "deliveries", t->deliveries);
    i_(j, "rejections", t->rejections);
    i_(j, "bounces", t->bounces);
    i_(j, "deferrals", t->deferrals);
    i_(j, "expiries", t->expiries);
    i_(j, "reject_warnings", t->reject_warnings);
    i_(j, "holds", t->holds);
    i_(j, "discards", t->discards);
    i_(j, "failures", t->failures);
    i_(j, "failures_550", t->failures_550);
    i_(j, "failures_5xx", t->failures_5xx);
    i_(j, "failures_4xx", t->failures_4xx);
    i_(j, "failures_no_code", t->failures_other);
    d_(j, "rejection_rate", t->rejection_rate);
    close_(j, '}');
}

static void template_(struct json *j, const struct report_template *x)
{
    open_(j, NULL, '{');
    i_(j, "count", x->count);
    s_(j, "template", x->text);
    key(j, "reply_code");
    if (x->reply_code)
        strbuf_printf(j->o, "%d", x->reply_code);
    else
        strbuf_puts(j->o, "null");
    s_(j, "status", x->status);
    s_(j, "stage", x->stage[0] ? x->stage : NULL);
    s_(j, "kind", x->kind[0] ? x->kind : NULL);
    s_(j, "rule", x->rule);
    s_(j, "example", x->example);
    close_(j, '}');
}

static void example_(struct json *j, const struct report_example *x)
{
    open_(j, NULL, '{');
    time_(j, "time", x->ts_us);
    s_(j, "kind", x->kind);
    s_(j, "direction", x->direction[0] ? x->direction : NULL);
    s_(j, "stage", x->stage[0] ? x->stage : NULL);
    s_(j, "host", x->host);
    s_(j, "program", x->program);
    s_(j, "queue_id", x->queue_id);
    s_(j, "client_ip", x->client_ip);
    s_(j, "client_name", x->client_name);
    s_(j, "helo", x->helo);
    s_(j, "sender", x->sender);
    s_(j, "recipient", x->recipient);
    s_(j, "relay", x->relay);
    key(j, "reply_code");
    if (x->reply_code)
        strbuf_printf(j->o, "%d", x->reply_code);
    else
        strbuf_puts(j->o, "null");
    s_(j, "status", x->status);
    s_(j, "text", x->text);
    s_(j, "source", x->source);
    i_(j, "offset", x->offset);
    s_(j, "line", x->line);
    close_(j, '}');
}

static void category_(struct json *j, const struct report_model *m, const struct report_category *c)
{
    open_(j, NULL, '{');
    s_(j, "id", c->id);
    s_(j, "title", c->title);
    open_(j, "who", '[');
    for (size_t i = 0; i < c->nwho; i++)
        s_(j, NULL, c->who[i]);
    close_(j, ']');
    s_(j, "severity", c->severity);
    s_(j, "hardness", c->hardness);
    i_(j, "count", c->count);
    i_(j, "count_5xx", c->count_5xx);
    i_(j, "count_4xx", c->count_4xx);
    i_(j, "count_no_code", c->count_other);
    i_(j, "count_550", c->count_550);
    d_(j, "share", c->share);
    d_(j, "share_550", c->share_550);
    opt_i(j, "previous", c->prev_count);
    opt_i(j, "previous_550", c->prev_550);
    key(j, "change_percent");
    if (c->prev_count > 0)
        strbuf_printf(j->o, "%.1f", report_change(c->count, c->prev_count));
    else
        strbuf_puts(j->o, "null");
    d_(j, "impact", c->impact);
    open_(j, "series", '[');
    for (size_t k = 0; k < m->nbuckets; k++)
        i_(j, NULL, c->series[k]);
    close_(j, ']');
    open_(j, "top", '{');
    for (int l = 0; l < REPORT_LIST_COUNT; l++) {
        const struct report_top *t = &c->top[c->order[l]];
        open_(j, report_list_id(c->order[l]), '[');
        for (size_t r = 0; r < t->n; r++) {
            open_(j, NULL, '{');
            s_(j, "value", t->rows[r].value);
            if (t->rows[r].extra)
                s_(j, "name", t->rows[r].extra);
            i_(j, "count", t->rows[r].count);
            close_(j, '}');
        }
        close_(j, ']');
    }
    close_(j, '}');
    open_(j, "templates", '[');
    for (size_t t = 0; t < c->ntemplates; t++)
        template_(j, &c->templates[t]);
    close_(j, ']');
    open_(j, "examples", '[');
    for (size_t e = 0; e < c->nexamples; e++)
        example_(j, &c->examples[e]);
    close_(j, ']');
    s_(j, "advice", c->advice);
    close_(j, '}');
}

int report_write_json(const struct report_model *m, const struct report_options *o,
                      struct strbuf *out, struct diag *d)
{
    struct json j = {out, 1};

    (void)o;
    (void)d;
    open_(&j, NULL, '{');
    i_(&j, "format", JSON_FORMAT_VERSION);
    s_(&j, "title", m->title);
    s_(&j, "headline", m->headline);
    s_(&j, "period", m->period);
    s_(&j, "range", m->range);
    time_(&j, "since", m->since_us);
    time_(&j, "until", m->until_us);
    key(&j, "previous");
    if (m->compare) {
        j.first = 1;
        strbuf_putc(out, '{');
        s_(&j, "range", m->prev_range);
        time_(&j, "since", m->prev_since_us);
        time_(&j, "until", m->prev_until_us);
        totals(&j, "totals", &m->prev_totals);
        close_(&j, '}');
    } else {
        strbuf_puts(out, "null");
    }
    s_(&j, "timezone", m->timezone);
    s_(&j, "generated", m->generated);
    s_(&j, "version", m->version);
    s_(&j, "rules_hash", m->rules_hash);
    s_(&j, "hosts", m->hosts);
    open_(&j, "filters", '{');
    s_(&j, "mta", m->mta);
    s_(&j, "host", m->host);
    s_(&j, "direction", m->direction);
    s_(&j, "codes", m->codes);
    close_(&j, '}');
    totals(&j, "totals", &m->totals);
    open_(&j, "series", '{');
    s_(&j, "unit", m->bucket_unit);
    open_(&j, "buckets", '[');
    for (size_t k = 0; k < m->nbuckets; k++) {
        open_(&j, NULL, '{');
        s_(&j, "label", m->buckets[k].label);
        time_(&j, "start", m->buckets[k].start_us);
        time_(&j, "end", m->buckets[k].end_us);
        i_(&j, "failures", m->bucket_totals[k]);
        close_(&j, '}');
    }
    close_(&j, ']');
    close_(&j, '}');
    open_(&j, "by_550", '[');
    for (size_t i = 0; i < m->n550; i++)
        s_(&j, NULL, m->categories[m->by_550[i]].id);
    close_(&j, ']');
    open_(&j, "by_count", '[');
    for (size_t i = 0; i < m->ncategories; i++)
        s_(&j, NULL, m->categories[m->by_count[i]].id);
    close_(&j, ']');
    open_(&j, "categories", '[');
    for (size_t i = 0; i < m->ncategories; i++)
        category_(&j, m, &m->categories[i]);
    close_(&j, ']');
    open_(&j, "unclassified", '{');
    i_(&j, "count", m->unclassified_count);
    open_(&j, "templates", '[');
    for (size_t i = 0; i < m->nunclassified; i++)
        template_(&j, &m->unclassified[i]);
    close_(&j, ']');
    close_(&j, '}');
    open_(&j, "parse", '{');
    i_(&j, "lines", m->lines);
    i_(&j, "events", m->source_events);
    i_(&j, "info_lines", m->info_lines);
    i_(&j, "foreign_lines", m->foreign_lines);
    i_(&j, "unparsed_lines", m->unparsed_lines);
    open_(&j, "sources", '[');
    for (size_t i = 0; i < m->nsources; i++) {
        const struct report_source *s = &m->sources[i];
        open_(&j, NULL, '{');
        s_(&j, "path", s->path);
        s_(&j, "format", s->format);
        i_(&j, "lines", s->lines);
        i_(&j, "events", s->events);
        i_(&j, "info_lines", s->info_lines);
        i_(&j, "foreign_lines", s->foreign_lines);
        i_(&j, "unparsed_lines", s->unparsed_lines);
        close_(&j, '}');
    }
    close_(&j, ']');
    open_(&j, "unparsed_samples", '[');
    for (size_t i = 0; i < m->nunparsed; i++) {
        open_(&j, NULL, '{');
        s_(&j, "source", m->unparsed[i].source);
        i_(&j, "offset", m->unparsed[i].offset);
        s_(&j, "reason", m->unparsed[i].reason);
        s_(&j, "line", m->unparsed[i].line);
        close_(&j, '}');
    }
    close_(&j, ']');
    close_(&j, '}');
    close_(&j, '}');
    strbuf_putc(out, '\n');
    return 0;
}
