/*
 * aggregate - the database's answers for a period, turned into the report model (aggregate.h)
 *
 * DESCRIPTION
 *	The questions, each one pass over the period's events through the events(ts) index:
 *	totals by kind (and the hosts and log files behind them), failures by category per bucket
 *	of the series (their sum is the period), failures by category for the previous period,
 *	one top list per field, and the commonest reply texts per category with their first and
 *	last events, which become the examples. Then a few point lookups: the example events,
 *	their reply texts, the log files.
 *
 *	The advice of a category is filled from its representative event: the latest event
 *	carrying the commonest value of the list that matters most for it (the sending domain for
 *	SPF, the IP for a block list, the address for an unknown user), else the latest event of
 *	its commonest reply text. That event's template is classified again with the rules in
 *	effect, so the rule's named groups ({list}) are there to fill; when the rules changed
 *	since the ingest and now say another category, the category's own advice is used without
 *	the rule's. Categories whose first list is evidence an admin acts on (the addresses that
 *	bounced most, the listed IPs) get that list appended to the advice.
 *
 *	Impact, the order of the advice: (5xx + no-code failures + a quarter of the 4xx, which
 *	mostly pass on retry) times the category's severity weight (high 4, medium 2, low 1,
 *	info 1/4, none given 1).
 */
#include "aggregate.h"
#include "advice.h"
#include "classify.h"
#include "mask.h"
#include "store_rollup.h"
#include "timeparse.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HOUR_US        (INT64_C(3600) * US_PER_SEC)
#define DAY_US         (24 * HOUR_US)
#define MAX_BUCKETS    400
#define MAX_HOSTS      4
#define LIST_IN_ADVICE 10

/* ---------------------------------------------------------------- time */

static time_t to_time(int64_t us)
{
    int64_t s = us / US_PER_SEC;

    if (us < 0 && us % US_PER_SEC != 0)
        s--;
    return (time_t)s;
}

static void local_tm(int64_t us, struct tm *tm)
{
    time_t t = to_time(us);

    if (localtime_r(&t, tm) == NULL)
        memset(tm, 0, sizeof *tm);
}

/* from_tm - a local civil time (normalised by mktime) to UTC microseconds */
static int64_t from_tm(struct tm *tm)
{
    time_t t = mktime(tm);

    return (int64_t)t * US_PER_SEC;
}

enum unit { UNIT_HOUR, UNIT_DAY, UNIT_WEEK, UNIT_MONTH, UNIT_YEAR };

/* align - the start of the unit holding t */
static int64_t align(int64_t us, enum unit u)
{
    struct tm tm;

    local_tm(us, &tm);
    tm.tm_min = 0;
    tm.tm_sec = 0;
    if (u == UNIT_HOUR) /* keep tm_isdst: the repeated hour of autumn stays the one it is */
        return from_tm(&tm);
    tm.tm_hour = 0;
    tm.tm_isdst = -1;
    if (u == UNIT_WEEK)
        tm.tm_mday -= (tm.tm_wday + 6) % 7;
    else if (u == UNIT_MONTH)
        tm.tm_mday = 1;
    else if (u == UNIT_YEAR) {
        tm.tm_mday = 1;
        tm.tm_mon = 0;
    }
    return from_tm(&tm);
}

/* next - the start of the unit after the one starting at start */
static int64_t next(int64_t start, enum unit u)
{
    struct tm tm;

    if (u == UNIT_HOUR)
        return start + HOUR_US;
    local_tm(start, &tm);
    tm.tm_hour = 0;
    tm.tm_min = 0;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    if (u == UNIT_DAY)
        tm.tm_mday += 1;
    else if (u == UNIT_WEEK)
        tm.tm_mday += 7;
    else if (u == UNIT_MONTH) {
        tm.tm_mday = 1;
        tm.tm_mon += 1;
    } else {
        tm.tm_mday = 1;
        tm.tm_mon = 0;
        tm.tm_year += 1;
    }
    int64_t n = from_tm(&tm);
    return n > start ? n : start + HOUR_US; /* never stand still, whatever the zone does */
}

static void label(int64_t us, enum unit u, struct report_bucket *b)
{
    static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    struct tm tm;

    local_tm(us, &tm);
    switch (u) {
    case UNIT_HOUR:
        strftime(b->label, sizeof b->label, "%Y-%m-%d %H:00", &tm);
        strftime(b->short_label, sizeof b->short_label, "%Hh", &tm);
        break;
    case UNIT_DAY:
        strftime(b->label, sizeof b->label, "%Y-%m-%d", &tm);
        snprintf(b->short_label, sizeof b->short_label, "%s %d", wd[tm.tm_wday % 7], tm.tm_mday);
        break;
    case UNIT_WEEK:
        strftime(b->label, sizeof b->label, "%G-W%V", &tm);
        strftime(b->short_label, sizeof b->short_label, "W%V", &tm);
        break;
    case UNIT_MONTH:
        strftime(b->label, sizeof b->label, "%Y-%m", &tm);
        strftime(b->short_label, sizeof b->short_label, "%b", &tm);
        break;
    case UNIT_YEAR:
        strftime(b->label, sizeof b->label, "%Y", &tm);
        strftime(b->short_label, sizeof b->short_label, "%Y", &tm);
        break;
    }
}

void report_buckets(int64_t since, int64_t until, struct report_bucket **out, size_t *n,
                    const char **unit)
{
    static const char *const names[] = {"hour", "day", "week", "month", "year"};
    int64_t span = until - since;
    enum unit u = span <= 25 * HOUR_US        ? UNIT_HOUR
                  : span <= 93 * DAY_US       ? UNIT_DAY
                  : span <= 731 * DAY_US      ? UNIT_WEEK
                  : span <= 10 * 366 * DAY_US ? UNIT_MONTH
                                              : UNIT_YEAR;
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    *unit = names[u];
    for (int64_t start = align(since, u); start < until && *n < MAX_BUCKETS;) {
        int64_t end = next(start, u);
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            *out = xreallocarray(*out, cap, sizeof **out);
        }
        struct report_bucket *b = &(*out)[(*n)++];
        memset(b, 0, sizeof *b);
        b->start_us = start > since ? start : since;
        b->end_us = end < until ? end : until;
        label(start, u, b);
        start = end;
    }
    /* the series always covers the whole range: what no bucket holds goes to the last */
    if (*n > 0)
        (*out)[*n - 1].end_us = until;
}

static int is_midnight(int64_t us)
{
    struct tm tm;

    local_tm(us, &tm);
    return us % US_PER_SEC == 0 && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0;
}

void report_format_range(int64_t since, int64_t until, struct strbuf *out)
{
    char a[64], b[64], z[16];
    struct tm ts, tu;

    local_tm(since, &ts);
    strftime(z, sizeof z, "%Z", &ts);
    if (is_midnight(since) && is_midnight(until)) {
        local_tm(until - US_PER_SEC, &tu);
        strftime(a, sizeof a, "%a %Y-%m-%d", &ts);
        strftime(b, sizeof b, "%a %Y-%m-%d", &tu);
        if (strcmp(a, b) == 0)
            strbuf_printf(out, "%s (%s)", a, z);
        else
            strbuf_printf(out, "%s to %s (%s)", a, b, z);
        return;
    }
    local_tm(until, &tu);
    strftime(a, sizeof a, "%a %Y-%m-%d %H:%M", &ts);
    strftime(b, sizeof b, "%a %Y-%m-%d %H:%M", &tu);
    strbuf_printf(out, "%s to %s (%s)", a, b, z);
}

/* ---------------------------------------------------------------- categories */

/* the top lists that matter most for a category, and what to call the first in the advice */
static const struct focus {
    const char *category;
    enum report_list lists[3];
    const char *caption; /* NULL: the list is not appended to the advice */
} focus_table[] = {
    {"recipient_unknown",
     {REPORT_LIST_RECIPIENT, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_SENDER},
     "Addresses refused most often (a cleanup list):"},
    {"recipient_disabled",
     {REPORT_LIST_RECIPIENT, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_SENDER},
     "Disabled mailboxes seen most often:"},
    {"recipient_moved",
     {REPORT_LIST_RECIPIENT, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_SENDER},
     "Moved addresses seen most often:"},
    {"mailbox_full",
     {REPORT_LIST_RECIPIENT, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_SENDER},
     "Full mailboxes seen most often:"},
    {"domain_not_found",
     {REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_RECIPIENT, REPORT_LIST_SENDER},
     "Domains that did not resolve most often:"},
    {"domain_refuses_mail",
     {REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_RECIPIENT, REPORT_LIST_SENDER},
     "Domains that accept no mail:"},
    {"sender_auth_failed",
     {REPORT_LIST_SENDER_DOMAIN, REPORT_LIST_CLIENT_IP, REPORT_LIST_RELAY},
     "Sending domains refused most often:"},
    {"sender_address_rejected",
     {REPORT_LIST_SENDER, REPORT_LIST_SENDER_DOMAIN, REPORT_LIST_CLIENT_IP},
     "Senders refused most often:"},
    {"ip_blocklisted",
     {REPORT_LIST_CLIENT_IP, REPORT_LIST_RELAY, REPORT_LIST_HELO},
     "IPs refused as listed most often:"},
    {"reverse_dns_missing",
     {REPORT_LIST_CLIENT_IP, REPORT_LIST_HELO, REPORT_LIST_RELAY},
     "IPs refused for reverse DNS most often:"},
    {"helo_invalid",
     {REPORT_LIST_HELO, REPORT_LIST_CLIENT_IP, REPORT_LIST_SENDER},
     "HELO names refused most often:"},
    {"relay_denied",
     {REPORT_LIST_CLIENT_IP, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_SENDER},
     NULL},
    {"client_auth_required", {REPORT_LIST_CLIENT_IP, REPORT_LIST_SENDER, REPORT_LIST_HELO}, NULL},
    {"tls_failure", {REPORT_LIST_RELAY, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_CLIENT_IP}, NULL},
    {"network_routing_error",
     {REPORT_LIST_RELAY, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_RECIPIENT},
     NULL},
    {"remote_system_error",
     {REPORT_LIST_RELAY, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_RECIPIENT},
     NULL},
    {"rate_limited",
     {REPORT_LIST_RELAY, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_CLIENT_IP},
     NULL},
    {"bad_reputation",
     {REPORT_LIST_RELAY, REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_CLIENT_IP},
     NULL},
    {"greylisted", {REPORT_LIST_RELAY, REPORT_LIST_CLIENT_IP, REPORT_LIST_RECIPIENT_DOMAIN}, NULL},
    {"spam_content", {REPORT_LIST_SENDER, REPORT_LIST_CLIENT_IP, REPORT_LIST_RELAY}, NULL},
};

static const enum report_list default_order[REPORT_LIST_COUNT] = {
    REPORT_LIST_RECIPIENT_DOMAIN, REPORT_LIST_CLIENT_IP,     REPORT_LIST_RELAY, REPORT_LIST_SENDER,
    REPORT_LIST_RECIPIENT,        REPORT_LIST_SENDER_DOMAIN, REPORT_LIST_HELO,
};

static const struct focus *focus_of(const char *category)
{
    for (size_t i = 0; i < sizeof focus_table / sizeof focus_table[0]; i++)
        if (strcmp(focus_table[i].category, category) == 0)
            return &focus_table[i];
    return NULL;
}

/* order_lists - the focus lists first, then the default order; empty lists last */
static void order_lists(struct report_category *c)
{
    const struct focus *f = focus_of(c->id);
    int used[REPORT_LIST_COUNT] = {0};
    enum report_list all[REPORT_LIST_COUNT];
    size_t n = 0, k = 0;

    for (size_t i = 0; f != NULL && i < 3; i++)
        if (!used[f->lists[i]]) {
            used[f->lists[i]] = 1;
            all[n++] = f->lists[i];
        }
    for (size_t i = 0; i < REPORT_LIST_COUNT; i++)
        if (!used[default_order[i]]) {
            used[default_order[i]] = 1;
            all[n++] = default_order[i];
        }
    for (size_t i = 0; i < n; i++)
        if (c->top[all[i]].n > 0)
            c->order[k++] = all[i];
    for (size_t i = 0; i < n; i++)
        if (c->top[all[i]].n == 0)
            c->order[k++] = all[i];
}

struct build {
    struct store *s;
    struct ruleset *rs;
    const struct report_request *rq;
    struct report_model *m;
    size_t cap;
    struct diag *d;
};

/* category - the model's category with that id, made (with its series) when new */
static struct report_category *category(struct build *b, const char *id)
{
    struct report_model *m = b->m;

    for (size_t i = 0; i < m->ncategories; i++)
        if (strcmp(m->categories[i].id, id) == 0)
            return &m->categories[i];
    if (m->ncategories == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        m->categories = xreallocarray(m->categories, b->cap, sizeof *m->categories);
    }
    struct report_category *c = &m->categories[m->ncategories++];
    memset(c, 0, sizeof *c);
    c->id = xstrdup(id);
    c->prev_count = b->rq->compare ? 0 : -1;
    c->prev_550 = b->rq->compare ? 0 : -1;
    c->series = xcalloc(m->nbuckets ? m->nbuckets : 1, sizeof *c->series);
    c->advice_list = -1;
    return c;
}

static struct report_category *find_category(struct report_model *m, const char *id)
{
    for (size_t i = 0; i < m->ncategories; i++)
        if (strcmp(m->categories[i].id, id) == 0)
            return &m->categories[i];
    return NULL;
}

static void describe(struct build *b, struct report_category *c)
{
    const struct category *cat = b->rs ? ruleset_category(b->rs, c->id) : NULL;
    static const struct {
        const char *name;
        double weight;
    } weights[] = {{"high", 4}, {"medium", 2}, {"low", 1}, {"info", 0.25}};
    double w = 1;

    c->title = xstrdup(cat && cat->title ? cat->title : c->id);
    for (size_t i = 0; cat && i < cat->nwho && i < REPORT_MAX_WHO; i++)
        c->who[c->nwho++] = xstrdup(cat->who[i]);
    c->severity = cat && cat->severity ? xstrdup(cat->severity) : NULL;
    c->hardness = cat && cat->hardness ? xstrdup(cat->hardness) : NULL;
    for (size_t i = 0; c->severity && i < sizeof weights / sizeof weights[0]; i++)
        if (strcmp(c->severity, weights[i].name) == 0)
            w = weights[i].weight;
    c->impact = w * ((double)(c->count_5xx + c->count_other) + (double)c->count_4xx / 4.0);
}

/* ---------------------------------------------------------------- the questions */

static int totals(struct build *b, const struct store_report_filter *f, struct report_totals *t,
                  int with_sources)
{
    struct store_report_kind_row *rows;
    size_t n;
    struct report_model *m = b->m;
    struct strbuf hosts = STRBUF_INIT;
    size_t nhosts = 0;

    if (store_report_kinds(b->s, f, &rows, &n, b->d) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int64_t k = rows[i].count;
        t->events += k;
        switch (rows[i].kind) {
        case EVENT_REJECT:
            t->rejections += k;
            break;
        case EVENT_REJECT_WARNING:
            t->reject_warnings += k;
            break;
        case EVENT_BOUNCE:
            t->bounces += k;
            break;
        case EVENT_DEFER:
            t->deferrals += k;
            break;
        case EVENT_EXPIRE:
            t->expiries += k;
            break;
        case EVENT_DELIVER:
            t->deliveries += k;
            break;
        case EVENT_HOLD:
            t->holds += k;
            break;
        case EVENT_DISCARD:
            t->discards += k;
            break;
        default:
            break;
        }
        if (!with_sources || rows[i].host == NULL)
            continue;
        /* the hosts, in the order first seen, at most a few */
        if (rows[i].host[0] != '\0' && nhosts <= MAX_HOSTS) {
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = rows[j].host != NULL && strcmp(rows[j].host, rows[i].host) == 0;
            if (!seen) {
                if (nhosts == MAX_HOSTS)
                    strbuf_puts(&hosts, ", ...");
                else
                    strbuf_printf(&hosts, "%s%s", nhosts ? ", " : "", rows[i].host);
                nhosts++;
            }
        }
        /* the log files behind the period */
        if (rows[i].source_id > 0) {
            size_t j;
            for (j = 0; j < m->nsources; j++)
                if (m->sources[j].id == rows[i].source_id)
                    break;
            if (j == m->nsources) {
                m->sources = xreallocarray(m->sources, m->nsources + 1, sizeof *m->sources);
                memset(&m->sources[j], 0, sizeof m->sources[j]);
                m->sources[j].id = rows[i].source_id;
                m->nsources++;
            }
        }
    }
    t->attempts = t->rejections + t->bounces + t->deferrals + t->expiries + t->deliveries;
    t->rejection_rate = t->attempts > 0 ? (double)t->rejections / (double)t->attempts : 0.0;
    if (with_sources)
        m->hosts = strbuf_detach(&hosts);
    strbuf_free(&hosts);
    store_report_kind_rows_free(rows, n);
    return 0;
}

/* add_failures - category rows into the categories (bucket >= 0: that bucket's series) */
static int failures(struct build *b, const struct store_report_filter *f, long bucket, int prev)
{
    struct store_report_cat_row *rows;
    size_t n;
    struct report_totals *t = prev ? &b->m->prev_totals : &b->m->totals;

    if (store_report_categories(b->s, f, &rows, &n, b->d) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct report_category *c = category(b, rows[i].category);
        int64_t k = rows[i].count;
        t->failures += k;
        if (rows[i].is_550)
            t->failures_550 += k;
        if (rows[i].cls == 5)
            t->failures_5xx += k;
        else if (rows[i].cls == 4)
            t->failures_4xx += k;
        else
            t->failures_other += k;
        if (prev) {
            c->prev_count += k;
            if (rows[i].is_550)
                c->prev_550 += k;
            continue;
        }
        c->count += k;
        if (rows[i].is_550)
            c->count_550 += k;
        if (rows[i].cls == 5)
            c->count_5xx += k;
        else if (rows[i].cls == 4)
            c->count_4xx += k;
        else
            c->count_other += k;
        if (bucket >= 0) {
            c->series[bucket] += k;
            b->m->bucket_totals[bucket] += k;
        }
    }
    store_report_cat_rows_free(rows, n);
    return 0;
}

static int top_lists(struct build *b)
{
    static const enum store_report_dim dims[REPORT_LIST_COUNT] = {
        [REPORT_LIST_RECIPIENT] = STORE_DIM_RECIPIENT,
        [REPORT_LIST_RECIPIENT_DOMAIN] = STORE_DIM_RECIPIENT_DOMAIN,
        [REPORT_LIST_SENDER] = STORE_DIM_SENDER,
        [REPORT_LIST_SENDER_DOMAIN] = STORE_DIM_SENDER_DOMAIN,
        [REPORT_LIST_CLIENT_IP] = STORE_DIM_CLIENT_IP,
        [REPORT_LIST_HELO] = STORE_DIM_HELO,
        [REPORT_LIST_RELAY] = STORE_DIM_RELAY,
    };
    _Static_assert((int)REPORT_LIST_COUNT == (int)STORE_DIM_COUNT, "one top list per dimension");
    struct store_report_top_row *all[STORE_DIM_COUNT];
    size_t count[STORE_DIM_COUNT];

    if (store_report_tops(b->s, &b->rq->filter, b->rq->top_n, all, count, b->d) < 0)
        return -1;
    for (int l = 0; l < REPORT_LIST_COUNT; l++) {
        struct store_report_top_row *rows = all[dims[l]];
        size_t n = count[dims[l]];
        for (size_t i = 0; i < n; i++) {
            struct report_category *c = find_category(b->m, rows[i].category);
            if (c == NULL)
                continue;
            struct report_top *t = &c->top[l];
            const struct focus *f = focus_of(c->id);
            /* the advice speaks of the commonest value of the list that matters most */
            if (t->n == 0 && f != NULL && f->lists[0] == (enum report_list)l)
                c->advice_event_id = rows[i].last_event_id;
            t->rows = xreallocarray(t->rows, t->n + 1, sizeof *t->rows);
            t->rows[t->n].value = rows[i].value;
            t->rows[t->n].extra = rows[i].extra;
            t->rows[t->n].count = rows[i].count;
            t->n++;
            rows[i].value = rows[i].extra = NULL; /* now the model's */
        }
        store_report_top_rows_free(rows, n);
    }
    return 0;
}

/* example_line - an event as one log-like line, in local time */
static void example_line(const struct store_report_event *ev, struct strbuf *out)
{
    char when[40];
    struct tm tm;

    local_tm(ev->ts_us, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    strbuf_printf(out, "%s %s %s: %s: %s", when, ev->host ? ev->host : "-",
                  ev->program ? ev->program
                  : ev->mta   ? ev->mta
                              : "-",
                  ev->queue_id ? ev->queue_id : "NOQUEUE", event_kind_name(ev->kind));
    if (ev->stage != STAGE_NONE) {
        strbuf_putc(out, ' ');
        for (const char *p = smtp_stage_name(ev->stage); *p; p++)
            strbuf_putc(out, (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p));
    }
    if (ev->direction == DIRECTION_INBOUND && (ev->client_ip || ev->client_name))
        strbuf_printf(out, " from %s[%s]", ev->client_name ? ev->client_name : "unknown",
                      ev->client_ip ? ev->client_ip : "");
    if (ev->relay)
        strbuf_printf(out, " relay=%s", ev->relay);
    strbuf_puts(out, ":");
    if (ev->reply_code > 0)
        strbuf_printf(out, " %d", ev->reply_code);
    if (ev->status)
        strbuf_printf(out, " %s", ev->status);
    if (ev->text)
        strbuf_printf(out, " %s", ev->text);
    if (ev->sender)
        strbuf_printf(out, "; from=<%s>", ev->sender);
    if (ev->recipient)
        strbuf_printf(out, "%sto=<%s>", ev->sender ? " " : "; ", ev->recipient);
    if (ev->helo)
        strbuf_printf(out, " helo=<%s>", ev->helo);
}

static char *dup(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void take_example(struct report_example *x, struct store_report_event *ev)
{
    struct strbuf line = STRBUF_INIT;

    memset(x, 0, sizeof *x);
    x->ts_us = ev->ts_us;
    x->ts_prec = ev->ts_prec;
    x->kind = event_kind_name(ev->kind);
    x->direction = event_direction_name(ev->direction);
    x->stage = smtp_stage_name(ev->stage);
    x->reply_code = ev->reply_code;
    x->offset = ev->offset;
    example_line(ev, &line);
    x->line = strbuf_detach(&line);
    strbuf_free(&line);
    x->host = dup(ev->host);
    x->program = dup(ev->program);
    x->queue_id = dup(ev->queue_id);
    x->client_ip = dup(ev->client_ip);
    x->client_name = dup(ev->client_name);
    x->helo = dup(ev->helo);
    x->sender = dup(ev->sender);
    x->recipient = dup(ev->recipient);
    x->relay = dup(ev->relay);
    x->status = dup(ev->status);
    x->text = dup(ev->text);
    x->source = dup(ev->source);
}

/* reply_text_free - what store_report_reply_text handed out */
static void reply_text_free(struct reply_text_row *rt)
{
    free((char *)rt->key.template_text);
    free((char *)rt->key.mta);
    free((char *)rt->key.status);
    free(rt->category);
    free(rt->rule);
    free(rt->rules_hash);
    memset(rt, 0, sizeof *rt);
}

/* take_template - a reply text row (and one event's text) as a model template */
static int take_template(struct build *b, const struct store_report_tmpl_row *row,
                         struct report_template *t)
{
    struct reply_text_row rt;
    struct store_report_event ev;
    int found;

    memset(t, 0, sizeof *t);
    t->count = row->count;
    t->stage = "";
    t->kind = "";
    if (row->reply_text_id > 0) {
        if ((found = store_report_reply_text(b->s, row->reply_text_id, &rt, b->d)) < 0)
            return -1;
        if (found) {
            t->text = xstrdup(rt.key.template_text);
            t->reply_code = rt.key.reply_code;
            t->status = rt.key.status && rt.key.status[0] ? xstrdup(rt.key.status) : NULL;
            t->stage = smtp_stage_name(rt.key.stage);
            t->kind = event_kind_name(rt.key.kind);
            t->rule = dup(rt.rule);
            reply_text_free(&rt);
        }
    }
    if ((found = store_report_event(b->s, row->last_event_id, &ev, b->d)) < 0)
        return -1;
    if (found)
        t->example = dup(ev.text);
    store_report_event_free(&ev);
    return 0;
}

/* fill_advice - the category's advice filled from the representative event */
static void fill_advice(struct build *b, struct report_category *c,
                        const struct store_report_event *rep)
{
    const struct category *cat = ruleset_category(b->rs, c->id);
    struct strbuf tmpl = STRBUF_INIT, composed = STRBUF_INIT, filled = STRBUF_INIT;
    struct reply_text_row rt;
    struct classification cl;
    struct mask_values values;
    struct advice_data ad;
    struct event ev;
    int found = 0;

    memset(&values, 0, sizeof values);
    memset(&cl, 0, sizeof cl);
    memset(&rt, 0, sizeof rt);
    store_report_event_view(rep, &ev);
    if (ev.text != NULL)
        mask(ev.text, strlen(ev.text), &tmpl, &values);
    if (rep->reply_text_id > 0 &&
        (found = store_report_reply_text(b->s, rep->reply_text_id, &rt, NULL)) == 1) {
        struct classify_input in = {rt.key.template_text, strlen(rt.key.template_text),
                                    rt.key.reply_code,    rt.key.status,
                                    rt.key.stage,         rt.key.kind,
                                    rt.key.direction,     rt.key.mta};
        classify(b->rs, &in, &cl);
    }
    if (cl.category_id == NULL || strcmp(cl.category_id, c->id) != 0) {
        /* the rules say otherwise now, or nothing: the category's own advice, no rule's */
        memset(&cl, 0, sizeof cl);
        cl.category_id = c->id;
        cl.category = cat;
        cl.ev.code = ev.reply_code;
        snprintf(cl.ev.status, sizeof cl.ev.status, "%s", ev.status ? ev.status : "");
    }
    /* the advice of the representative event's direction: an inbound refusal and an outbound one
     * call for different hands */
    advice_compose(&cl, ev.mta, ev.direction, &composed);
    if (found == 1)
        advice_data_init(&ad, &ev, &values, b->rs, &cl, rt.key.template_text,
                         strlen(rt.key.template_text));
    else
        advice_data_init(&ad, &ev, &values, b->rs, &cl, NULL, 0);
    advice_fill(strbuf_str(&composed), &ad, &filled);

    const struct focus *f = focus_of(c->id);
    if (f != NULL && f->caption != NULL && c->top[f->lists[0]].n > 0) {
        const struct report_top *t = &c->top[f->lists[0]];
        if (filled.len > 0 && filled.buf[filled.len - 1] != '\n')
            strbuf_putc(&filled, '\n');
        strbuf_printf(&filled, "%s%s\n", filled.len ? "\n" : "", f->caption);
        c->advice_list = (int)f->lists[0];
        for (size_t i = 0; i < t->n && i < LIST_IN_ADVICE; i++)
            strbuf_printf(&filled, "  %s (%lld)\n", t->rows[i].value, (long long)t->rows[i].count);
    }
    if (filled.len > 0)
        c->advice = strbuf_detach(&filled);
    if (found == 1)
        reply_text_free(&rt);
    strbuf_free(&tmpl);
    strbuf_free(&composed);
    strbuf_free(&filled);
}

/* evidence - each category's commonest reply texts, examples and advice */
static int evidence(struct build *b)
{
    const struct report_request *rq = b->rq;
    struct store_report_tmpl_row *rows;
    size_t n, per = rq->templates > rq->examples ? rq->templates : rq->examples;

    if (per == 0)
        return 0;
    if (store_report_templates(b->s, &rq->filter, NULL, per, &rows, &n, b->d) < 0)
        return -1;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(rows[j].category, rows[i].category) == 0)
            j++;
        struct report_category *c = find_category(b->m, rows[i].category);
        if (c == NULL) {
            i = j;
            continue;
        }
        /* the reply texts */
        size_t nt = j - i < rq->templates ? j - i : rq->templates;
        c->templates = xcalloc(nt ? nt : 1, sizeof *c->templates);
        for (size_t k = 0; k < nt; k++, c->ntemplates++)
            if (take_template(b, &rows[i + k], &c->templates[k]) < 0)
                goto fail;
        /* examples: the event the advice speaks of, the latest event of each of the
         * commonest texts, then their first ones */
        int64_t ids[16];
        size_t nids = 0;
        if (c->advice_event_id > 0 && rq->examples > 0)
            ids[nids++] = c->advice_event_id;
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = i; k < j && nids < rq->examples && nids < 16; k++) {
                int64_t id = pass == 0 ? rows[k].last_event_id : rows[k].first_event_id;
                int dup = 0;
                for (size_t q = 0; q < nids; q++)
                    dup |= ids[q] == id;
                if (!dup)
                    ids[nids++] = id;
            }
        c->examples = xcalloc(nids ? nids : 1, sizeof *c->examples);
        for (size_t k = 0; k < nids; k++) {
            struct store_report_event ev;
            int found = store_report_event(b->s, ids[k], &ev, b->d);
            if (found < 0)
                goto fail;
            if (found) {
                take_example(&c->examples[c->nexamples++], &ev);
                if (c->advice_event_id == 0)
                    c->advice_event_id = ev.id;
            }
            store_report_event_free(&ev);
        }
        /* the advice, filled from the representative event */
        if (b->rs != NULL && c->advice_event_id > 0) {
            struct store_report_event ev;
            int found = store_report_event(b->s, c->advice_event_id, &ev, b->d);
            if (found < 0)
                goto fail;
            if (found)
                fill_advice(b, c, &ev);
            store_report_event_free(&ev);
        }
        i = j;
    }
    store_report_tmpl_rows_free(rows, n);
    return 0;
fail:
    store_report_tmpl_rows_free(rows, n);
    return -1;
}

static int unclassified(struct build *b)
{
    struct store_report_tmpl_row *rows;
    size_t n;
    struct report_model *m = b->m;
    const struct report_category *c = find_category(m, CATEGORY_UNCLASSIFIED);

    m->unclassified_count = c ? c->count : 0;
    if (b->rq->unclassified == 0 || c == NULL)
        return 0;
    if (store_report_templates(b->s, &b->rq->filter, CATEGORY_UNCLASSIFIED, b->rq->unclassified,
                               &rows, &n, b->d) < 0)
        return -1;
    m->unclassified = xcalloc(n ? n : 1, sizeof *m->unclassified);
    for (size_t i = 0; i < n; i++, m->nunclassified++)
        if (take_template(b, &rows[i], &m->unclassified[i]) < 0) {
            m->nunclassified++;
            store_report_tmpl_rows_free(rows, n);
            return -1;
        }
    store_report_tmpl_rows_free(rows, n);
    return 0;
}

static int parse_stats(struct build *b)
{
    struct report_model *m = b->m;

    for (size_t i = 0; i < m->nsources; i++) {
        struct report_source *src = &m->sources[i];
        struct store_report_source row;
        int64_t id = src->id;
        int found = store_report_source(b->s, id, &row, b->d);
        if (found < 0)
            return -1;
        if (!found) {
            src->path = xstrdup("?");
            src->format = xstrdup("");
            continue;
        }
        src->path = row.path;
        src->format = row.format;
        src->lines = row.lines;
        src->events = row.events;
        src->info_lines = row.info_lines;
        src->foreign_lines = row.foreign_lines;
        src->unparsed_lines = row.unparsed_lines;
        m->lines += row.lines;
        m->source_events += row.events;
        m->info_lines += row.info_lines;
        m->foreign_lines += row.foreign_lines;
        m->unparsed_lines += row.unparsed_lines;
        if (m->nunparsed < b->rq->samples) {
            struct unparsed_sample *u = NULL;
            size_t nu = 0;
            if (store_report_unparsed(b->s, id, b->rq->samples - m->nunparsed, &u, &nu, b->d) < 0) {
                for (size_t k = 0; k < nu; k++) {
                    free(u[k].source);
                    free(u[k].reason);
                    free(u[k].line);
                }
                free(u);
                return -1;
            }
            m->unparsed = xreallocarray(m->unparsed, m->nunparsed + nu + 1, sizeof *m->unparsed);
            for (size_t k = 0; k < nu; k++) {
                struct report_unparsed *r = &m->unparsed[m->nunparsed++];
                r->source = u[k].source;
                r->reason = u[k].reason;
                r->line = u[k].line;
                r->offset = u[k].offset;
            }
            free(u);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- order, words */

static const struct report_model *sort_model;

static int by_impact(const void *a, const void *b)
{
    const struct report_category *x = a, *y = b;

    if (x->impact != y->impact)
        return x->impact < y->impact ? 1 : -1;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->id, y->id);
}

static int by_550(const void *a, const void *b)
{
    const struct report_category *x = &sort_model->categories[*(const size_t *)a];
    const struct report_category *y = &sort_model->categories[*(const size_t *)b];

    if (x->count_550 != y->count_550)
        return x->count_550 < y->count_550 ? 1 : -1;
    return strcmp(x->id, y->id);
}

static int by_count(const void *a, const void *b)
{
    const struct report_category *x = &sort_model->categories[*(const size_t *)a];
    const struct report_category *y = &sort_model->categories[*(const size_t *)b];

    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    if (x->prev_count != y->prev_count)
        return x->prev_count < y->prev_count ? 1 : -1;
    return strcmp(x->id, y->id);
}

static void order(struct report_model *m)
{
    if (m->ncategories > 1)
        qsort(m->categories, m->ncategories, sizeof *m->categories, by_impact);
    m->by_550 = xcalloc(m->ncategories + 1, sizeof *m->by_550);
    m->by_count = xcalloc(m->ncategories + 1, sizeof *m->by_count);
    for (size_t i = 0; i < m->ncategories; i++) {
        struct report_category *c = &m->categories[i];
        c->share = m->totals.failures ? (double)c->count / (double)m->totals.failures : 0;
        c->share_550 =
            m->totals.failures_550 ? (double)c->count_550 / (double)m->totals.failures_550 : 0;
        order_lists(c);
        m->by_count[i] = i;
        if (c->count_550 > 0)
            m->by_550[m->n550++] = i;
    }
    sort_model = m;
    if (m->n550 > 1)
        qsort(m->by_550, m->n550, sizeof *m->by_550, by_550);
    if (m->ncategories > 1)
        qsort(m->by_count, m->ncategories, sizeof *m->by_count, by_count);
    sort_model = NULL;
}

static void headline(struct report_model *m)
{
    struct strbuf h = STRBUF_INIT;
    const struct report_totals *t = &m->totals;

    if (t->failures_550 > 0 && m->n550 > 0) {
        const struct report_category *c = &m->categories[m->by_550[0]];
        strbuf_printf(&h, "%lld rejection%s with code 550. Main cause: %s (%lld, %.1f %%).",
                      (long long)t->failures_550, t->failures_550 == 1 ? "" : "s", c->title,
                      (long long)c->count_550, 100.0 * c->share_550);
    } else if (t->failures > 0 && m->ncategories > 0) {
        const struct report_category *c = &m->categories[m->by_count[0]];
        strbuf_printf(&h,
                      "No rejections with code 550; %lld other failure%s. Main cause: %s "
                      "(%lld, %.1f %%).",
                      (long long)t->failures, t->failures == 1 ? "" : "s", c->title,
                      (long long)c->count, 100.0 * c->share);
    } else {
        strbuf_puts(&h, "No rejections, bounces or deferrals in this period.");
    }
    m->headline = strbuf_detach(&h);
}

static void describe_request(struct build *b)
{
    const struct report_request *rq = b->rq;
    const struct store_report_filter *f = &rq->filter;
    struct report_model *m = b->m;
    struct strbuf s = STRBUF_INIT;
    char when[64], zone[16];
    struct tm tm;

    report_format_range(f->since_us, f->until_us, &s);
    m->range = strbuf_detach(&s);
    if (rq->compare) {
        report_format_range(rq->prev_since_us, rq->prev_until_us, &s);
        m->prev_range = strbuf_detach(&s);
    }
    m->period = xstrdup(rq->period ? rq->period : m->range);
    m->since_us = f->since_us;
    m->until_us = f->until_us;
    m->compare = rq->compare;
    m->prev_since_us = rq->compare ? rq->prev_since_us : 0;
    m->prev_until_us = rq->compare ? rq->prev_until_us : 0;
    m->mta = dup(f->mta);
    m->host = dup(f->host);
    m->direction = f->direction ? xstrdup(event_direction_name(f->direction)) : NULL;
    m->codes = dup(rq->codes);
    if (f->mta)
        strbuf_printf(&s, "MTA %s", f->mta);
    if (f->host)
        strbuf_printf(&s, "%shost %s", s.len ? ", " : "", f->host);
    if (f->direction)
        strbuf_printf(&s, "%s%s only", s.len ? ", " : "", event_direction_name(f->direction));
    if (rq->codes)
        strbuf_printf(&s, "%scodes %s", s.len ? ", " : "", rq->codes);
    m->filters = strbuf_detach(&s);
    local_tm(rq->now_us, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S %z", &tm);
    strftime(zone, sizeof zone, "%Z", &tm);
    m->generated = xstrdup(when);
    m->timezone = xstrdup(zone);
    if (f->host)
        strbuf_printf(&s, "Mail rejections on %s", f->host);
    else if (m->hosts && m->hosts[0])
        strbuf_printf(&s, "Mail rejections on %s", m->hosts);
    else
        strbuf_puts(&s, "Mail rejections");
    m->title = strbuf_detach(&s);
    m->rules_hash = b->rs ? xstrdup(b->rs->hash) : NULL;
    m->top_n = rq->top_n;
    strbuf_free(&s);
}

/* ---------------------------------------------------------------- the build */

void report_request_init(struct report_request *rq)
{
    memset(rq, 0, sizeof *rq);
    rq->filter.since_us = INT64_MIN;
    rq->filter.until_us = INT64_MAX;
    rq->top_n = 10;
    rq->examples = 3;
    rq->templates = 5;
    rq->unclassified = 15;
    rq->samples = 5;
    rq->now_us = (int64_t)time(NULL) * US_PER_SEC;
}

int report_build(struct store *s, struct ruleset *rs, const struct report_request *rq,
                 struct report_model *m, struct diag *d)
{
    struct build b = {s, rs, rq, m, 0, d};
    struct store_report_filter f = rq->filter;

    memset(m, 0, sizeof *m);
    if (rq->filter.since_us >= rq->filter.until_us || rq->filter.since_us == INT64_MIN ||
        rq->filter.until_us == INT64_MAX)
        return diag_set(d, "bug: a report needs a bounded period");
    /* the days of both periods rolled up where they are not yet (when this user may write
     * the database), then every figure read from one snapshot, so that they add up even
     * while an ingest runs */
    if (store_rollup_build(s, f.since_us, f.until_us, d) < 0 ||
        (rq->compare && store_rollup_build(s, rq->prev_since_us, rq->prev_until_us, d) < 0) ||
        store_read_begin(s, d) < 0)
        return -1;
    /* a series over years of nothing is no picture: a long range is drawn from its first
     * event to its last (every event is in it, so no count changes) */
    int64_t from = f.since_us, to = f.until_us, first, last;
    if (to - from > 366 * DAY_US) {
        int found = store_report_span(s, &f, &first, &last, d);
        if (found < 0)
            goto fail;
        if (found) {
            from = first > from ? first : from;
            to = last + 1 < to ? last + 1 : to;
        }
    }
    report_buckets(from, to, &m->buckets, &m->nbuckets, &m->bucket_unit);
    m->bucket_totals = xcalloc(m->nbuckets ? m->nbuckets : 1, sizeof *m->bucket_totals);
    if (totals(&b, &f, &m->totals, 1) < 0)
        goto fail;
    for (size_t i = 0; i < m->nbuckets; i++) {
        f.since_us = m->buckets[i].start_us;
        f.until_us = m->buckets[i].end_us;
        if (failures(&b, &f, (long)i, 0) < 0)
            goto fail;
    }
    if (rq->compare) {
        f.since_us = rq->prev_since_us;
        f.until_us = rq->prev_until_us;
        if (totals(&b, &f, &m->prev_totals, 0) < 0 || failures(&b, &f, -1, 1) < 0)
            goto fail;
    }
    for (size_t i = 0; i < m->ncategories; i++)
        describe(&b, &m->categories[i]);
    if (top_lists(&b) < 0 || evidence(&b) < 0 || unclassified(&b) < 0 || parse_stats(&b) < 0)
        goto fail;
    store_read_end(s);
    order(m);
    headline(m);
    describe_request(&b);
    return 0;
fail:
    store_read_end(s);
    report_model_free(m);
    return -1;
}
