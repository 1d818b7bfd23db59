/*
 * store_top - the counts behind "rejectlens top" (see store_top.h)
 *
 * DESCRIPTION
 *	The counts of both periods (the current one and the one of the same length before it)
 *	are added up in C, then ordered and cut to the limit: when only failures are counted
 *	(the default) and some whole hours are rolled up (store_rollup.h), from the roll-ups
 *	(rollup_failures for categories and texts, the blobs of rollup_values for the rest);
 *	everything else on SQLite from the events, one at a time into a hash (stream_piece).
 *
 *	On PostgreSQL, and on SQLite beyond max_values distinct values, what is not rolled up
 *	is one grouped pass over the events of both periods: on the partial index
 *	events_failures when only failures are counted, on events_ts otherwise; a window sum
 *	gives the totals before the rows are cut to the limit. The statements are assembled
 *	from fixed pieces (a row of the subject table and the filters asked for); every value
 *	is bound.
 */
#include "store_top.h"
#include "lru.h"
#include "store_internal.h"
#include "store_rollup.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* how a subject is rolled up: by reply text group (categories, texts), or by the values of a
 * dimension (domains take the recipient's domain for outbound failures, else the sender's) */
enum rolled { BY_GROUP, BY_VALUE, BY_DOMAIN };

/* the value expressions are the roll-up's (store_rollup.h), so both count the same values; a
 * domain is what follows the last '@' (as in the report), NULL without one */
static const struct subject {
    const char *name;
    const char *key;        /* the value counted */
    const char *key_pg;     /* the same for PostgreSQL, where it must be said otherwise; NULL */
    const char *detail;     /* shown beside it: a grouped column or an aggregate; NULL: none */
    int group_detail;       /* 1: detail is part of the key */
    const char *detail_row; /* detail of one event, where detail is an aggregate (max) */
    enum rolled rolled;
    enum store_report_dim dim; /* BY_VALUE: the dimension rolled up */
} subjects[TOP_SUBJECT_COUNT] = {
    [TOP_CATEGORIES] = {"categories", "r.category", NULL, NULL, 0, NULL, BY_GROUP, 0},
    [TOP_DOMAINS] = {"domains",
                     "CASE WHEN e.direction = 2 THEN " ROLLUP_RECIPIENT_DOMAIN
                     " ELSE " ROLLUP_SENDER_DOMAIN " END",
                     "CASE WHEN e.direction = 2 THEN " ROLLUP_DOMAIN_OF_PG(
                         "e.recipient") " ELSE " ROLLUP_DOMAIN_OF_PG("e.sender") " END",
                     NULL, 0, NULL, BY_DOMAIN, 0},
    [TOP_RELAYS] = {"relays", ROLLUP_RELAY, NULL, NULL, 0, NULL, BY_VALUE, STORE_DIM_RELAY},
    [TOP_CLIENTS] = {"clients", ROLLUP_CLIENT, NULL, "max(e.client_name)", 0, "e.client_name",
                     BY_VALUE, STORE_DIM_CLIENT_IP},
    [TOP_SENDERS] = {"senders", ROLLUP_SENDER, NULL, NULL, 0, NULL, BY_VALUE, STORE_DIM_SENDER},
    [TOP_RECIPIENTS] = {"recipients", ROLLUP_RECIPIENT, NULL, NULL, 0, NULL, BY_VALUE,
                        STORE_DIM_RECIPIENT},
    [TOP_HELOS] = {"helos", ROLLUP_HELO, NULL, NULL, 0, NULL, BY_VALUE, STORE_DIM_HELO},
    [TOP_TEXTS] = {"texts", "r.template", NULL, "r.category", 1, "r.category", BY_GROUP, 0},
};

const char *top_subject_name(enum top_subject t)
{
    return t < TOP_SUBJECT_COUNT ? subjects[t].name : "?";
}

int top_subject_from_name(const char *name, enum top_subject *t)
{
    for (int i = 0; i < TOP_SUBJECT_COUNT; i++)
        if (strcmp(name, subjects[i].name) == 0) {
            *t = (enum top_subject)i;
            return 0;
        }
    return -1;
}

void store_top_free(struct top_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].key);
        free(r->rows[i].detail);
    }
    free(r->rows);
    memset(r, 0, sizeof *r);
}

/* the failures, in the very words of the partial index events_failures (STORE_FAILURES) */
#define FAILURE_KINDS                                                                              \
    ((1u << EVENT_REJECT) | (1u << EVENT_BOUNCE) | (1u << EVENT_DEFER) | (1u << EVENT_EXPIRE))
#define AND_FAILURES " AND " STORE_FAILURES
_Static_assert(EVENT_REJECT == 1 && EVENT_BOUNCE == 3 && EVENT_DEFER == 4 && EVENT_EXPIRE == 5,
               "AND_FAILURES names the failure kinds by number");

/*
 * build - the statement for subject sub and filter f. Parameters: ?1 since, ?2 until, ?3 the
 * start of the previous period, ?4 the limit (-1: none), then from ?5 the filters in order
 */
static void and_filters(struct strbuf *sql, const struct top_filter *f);

static void build(struct strbuf *sql, const struct subject *sub, const struct top_filter *f, int pg)
{
    const char *key = pg && sub->key_pg ? sub->key_pg : sub->key;

    strbuf_puts(sql, "SELECT key, detail, n, prev, total, ptotal FROM ("
                     "SELECT key, detail, n, prev, sum(n) OVER () AS total, "
                     "sum(prev) OVER () AS ptotal FROM (SELECT ");
    strbuf_printf(sql, "%s AS key, %s AS detail, ", key, sub->detail ? sub->detail : "NULL");
    strbuf_puts(sql, "sum(CASE WHEN e.ts >= ?1 THEN 1 ELSE 0 END) AS n, "
                     "sum(CASE WHEN e.ts < ?1 THEN 1 ELSE 0 END) AS prev "
                     "FROM events e LEFT JOIN reply_texts r ON r.id = e.reply_text_id "
                     "WHERE e.ts >= ?3 AND e.ts < ?2");
    and_filters(sql, f);
    strbuf_puts(sql, sub->group_detail ? " GROUP BY key, detail" : " GROUP BY key");
    /* values seen only in the previous period sort last; the caller drops them. NULL first,
     * as SQLite sorts it anyway; PostgreSQL knows no LIMIT -1, its LIMIT NULL is none */
    strbuf_puts(sql, ") AS k) AS t ORDER BY n DESC, key NULLS FIRST");
    strbuf_puts(sql, pg ? " LIMIT nullif(?4, -1)" : " LIMIT ?4");
}

/* and_filters - the conditions of f on events (or groups) e and reply texts r, their values
 * bound from ?5 in order by bind_filters */
static void and_filters(struct strbuf *sql, const struct top_filter *f)
{
    int p = 5;

    if (f->kinds != 0) {
        strbuf_puts(sql, " AND e.kind IN (");
        for (int k = 0, first = 1; k < EVENT_KIND_COUNT; k++)
            if (f->kinds & (1u << k)) {
                strbuf_printf(sql, "%s%d", first ? "" : ", ", k);
                first = 0;
            }
        strbuf_puts(sql, ")");
        /* failures only: read on events_failures, which holds every column a subject needs */
        if ((f->kinds & ~FAILURE_KINDS) == 0)
            strbuf_puts(sql, AND_FAILURES);
    }
    if (f->direction != DIRECTION_NONE)
        strbuf_printf(sql, " AND e.direction = ?%d", p++);
    if (f->category != NULL)
        strbuf_printf(sql, " AND r.category = ?%d", p++);
    if (f->mta != NULL)
        strbuf_printf(sql, " AND e.mta = ?%d", p++);
    if (f->host != NULL)
        strbuf_printf(sql, " AND e.host = ?%d", p++);
}

static void bind_filters(struct store_stmt *st, const struct top_filter *f)
{
    int p = 5;

    if (f->direction != DIRECTION_NONE)
        store_bind_int64(st, p++, f->direction);
    if (f->category != NULL)
        store_bind_text(st, p++, f->category);
    if (f->mta != NULL)
        store_bind_text(st, p++, f->mta);
    if (f->host != NULL)
        store_bind_text(st, p++, f->host);
}

/* ---------------------------------------------------------------- from the roll-ups */

/* the (key, detail) pairs of categories and texts, numbered: the keys of their histogram. A
 * month of a busy server has tens of thousands of texts: a pair is found again by a map, not
 * by comparing it with every pair before it */
struct labels {
    char **key, **detail; /* NULL: none */
    size_t n, cap;
    struct lru *number; /* the pair as pair_bytes writes it -> its index + 1 */
    struct strbuf pair;
};

/* pair_bytes - (key, detail) as one byte string: which of them are NULL, then each up to its
 * NUL (as strcmp compares them) and a NUL */
static void pair_bytes(struct strbuf *b, const char *key, const char *detail)
{
    strbuf_reset(b);
    strbuf_putc(b, (char)('0' + (key == NULL) + 2 * (detail == NULL)));
    if (key != NULL)
        strbuf_append(b, key, strlen(key) + 1);
    if (detail != NULL)
        strbuf_append(b, detail, strlen(detail) + 1);
}

static int64_t label_of(struct labels *l, const char *key, const char *detail)
{
    void *found;

    if (l->number == NULL)
        l->number = lru_new(SIZE_MAX, NULL);
    pair_bytes(&l->pair, key, detail);
    if ((found = lru_get(l->number, l->pair.buf, l->pair.len)) != NULL)
        return (int64_t)((uintptr_t)found - 1);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->key = xreallocarray(l->key, l->cap, sizeof *l->key);
        l->detail = xreallocarray(l->detail, l->cap, sizeof *l->detail);
    }
    l->key[l->n] = key ? xstrdup(key) : NULL;
    l->detail[l->n] = detail ? xstrdup(detail) : NULL;
    lru_put(l->number, l->pair.buf, l->pair.len, (void *)(uintptr_t)(l->n + 1));
    return (int64_t)l->n++;
}

static void labels_free(struct labels *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->key[i]);
        free(l->detail[i]);
    }
    free(l->key);
    free(l->detail);
    if (l->number != NULL)
        lru_free(l->number);
    strbuf_free(&l->pair);
}

static const char *text_or_null(struct store_stmt *st, int i)
{
    return store_column_is_null(st, i) ? NULL : store_column_text(st, i);
}

/* a row of the merged result, before it is cut */
struct merged_row {
    const char *key, *detail;
    size_t klen, dlen;
    int64_t n, prev;
};

static int by_count(const void *a, const void *b)
{
    const struct merged_row *x = a, *y = b;
    int c;

    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    if ((c = rollup_cmp(x->key, x->klen, y->key, y->klen)) != 0)
        return c;
    return rollup_cmp(x->detail, x->dlen, y->detail, y->dlen);
}

/*
 * key_of_groups - for each group the filter lets through, its key in the histogram: a label
 * (categories, texts) or 0; for domains two arrays, outbound groups in out[0], the others in
 * out[1]. *ngroups is the size of the arrays.
 */
static int key_of_groups(struct store *s, const struct subject *sub, const struct top_filter *f,
                         struct labels *l, int64_t *out[2], size_t *ngroups, struct diag *d)
{
    struct strbuf sql = STRBUF_INIT;
    struct store_stmt *st;
    int64_t max;
    int rc;

    out[0] = out[1] = NULL;
    if (store_rollup_max_group(s, &max, d) < 0)
        return -1;
    *ngroups = (size_t)max + 1;
    for (int k = 0; k < 2; k++) {
        out[k] = xreallocarray(NULL, *ngroups, sizeof *out[k]);
        for (size_t i = 0; i < *ngroups; i++)
            out[k][i] = -1;
    }
    strbuf_puts(&sql, "SELECT e.id, r.category, r.template, e.direction FROM rollup_groups e"
                      " LEFT JOIN reply_texts r ON r.id = e.reply_text_id WHERE 1 = 1");
    and_filters(&sql, f);
    st = store_stmt_prepare(s, strbuf_str(&sql), d);
    strbuf_free(&sql);
    if (st == NULL)
        return -1;
    bind_filters(st, f);
    while ((rc = store_step(s, st, d)) == 1) {
        int64_t id = store_column_int64(st, 0);
        if (id < 0 || (size_t)id >= *ngroups)
            continue;
        if (sub->rolled == BY_GROUP)
            out[0][id] = sub == &subjects[TOP_TEXTS]
                             ? label_of(l, text_or_null(st, 2), text_or_null(st, 1))
                             : label_of(l, text_or_null(st, 1), NULL);
        else if (sub->rolled == BY_DOMAIN && store_column_int64(st, 3) != DIRECTION_OUTBOUND)
            out[1][id] = 0;
        else
            out[0][id] = 0;
    }
    store_stmt_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* rolled_piece - add the rolled-up hours [from, to) to h */
static int rolled_piece(struct store *s, const struct subject *sub, int64_t from, int64_t to,
                        int64_t *key_of[2], size_t ngroups, struct rollup_hist *h, struct diag *d)
{
    static const char sql[] = "SELECT group_id, n FROM " ROLLUP_FAILURES;
    struct store_stmt *st;
    int64_t day_from, day_to;
    int rc;

    if (sub->rolled == BY_VALUE)
        return store_rollup_values(s, sub->dim, from, to, key_of[0], ngroups, h, d);
    if (sub->rolled == BY_DOMAIN)
        return store_rollup_values(s, STORE_DIM_RECIPIENT_DOMAIN, from, to, key_of[0], ngroups, h,
                                   d) < 0 ||
                       store_rollup_values(s, STORE_DIM_SENDER_DOMAIN, from, to, key_of[1], ngroups,
                                           h, d) < 0
                   ? -1
                   : 0;
    if ((st = store_stmt_cached(s, sql, d)) == NULL)
        return -1;
    rollup_days_within(from, to, &day_from, &day_to);
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    store_bind_int64(st, 18, day_from);
    store_bind_int64(st, 19, day_to);
    while ((rc = store_step(s, st, d)) == 1) {
        int64_t id = store_column_int64(st, 0);
        if (id < 0 || (size_t)id >= ngroups || key_of[0][id] < 0)
            continue;
        struct rollup_entry e = {key_of[0][id], NULL, 0, store_column_int64(st, 1), 0, NULL, 0};
        rollup_hist_add(h, &e);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* value_and_extra - e's value and extra from columns i and i + 1 of st (NULL: none); valid
 * until the next step */
static void value_and_extra(struct store_stmt *st, int i, struct rollup_entry *e)
{
    if (!store_column_is_null(st, i)) {
        e->value = store_column_text(st, i);
        e->vlen = store_column_bytes(st, i);
    }
    if (!store_column_is_null(st, i + 1)) {
        e->extra = store_column_text(st, i + 1);
        e->elen = store_column_bytes(st, i + 1);
    }
}

/* piece_stmt - sql over the events of [from, to) (?1, ?2) with f's filters, prepared and
 * bound; sql is freed. NULL with d set. */
static struct store_stmt *piece_stmt(struct store *s, struct strbuf *sql,
                                     const struct top_filter *f, int64_t from, int64_t to,
                                     struct diag *d)
{
    struct store_stmt *st = store_stmt_prepare(s, strbuf_str(sql), d);

    strbuf_free(sql);
    if (st == NULL)
        return NULL;
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    bind_filters(st, f);
    return st;
}

/* raw_piece - add the events of [from, to) to h: the subject's key and detail, grouped */
static int raw_piece(struct store *s, const struct subject *sub, const struct top_filter *f,
                     int64_t from, int64_t to, struct labels *l, struct rollup_hist *h,
                     struct diag *d)
{
    struct strbuf sql = STRBUF_INIT;
    struct store_stmt *st;
    int rc;

    strbuf_printf(&sql,
                  "SELECT %s AS key, %s AS detail, count(*) FROM events e"
                  " LEFT JOIN reply_texts r ON r.id = e.reply_text_id"
                  " WHERE e.ts >= ?1 AND e.ts < ?2",
                  sub->key, sub->detail ? sub->detail : "NULL");
    and_filters(&sql, f);
    strbuf_puts(&sql, sub->group_detail ? " GROUP BY key, detail" : " GROUP BY key");
    if ((st = piece_stmt(s, &sql, f, from, to, d)) == NULL)
        return -1;
    while ((rc = store_step(s, st, d)) == 1) {
        struct rollup_entry e = {0, NULL, 0, store_column_int64(st, 2), 0, NULL, 0};
        if (sub->rolled == BY_GROUP) {
            e.key = label_of(l, text_or_null(st, 0), text_or_null(st, 1));
        } else {
            value_and_extra(st, 0, &e);
        }
        rollup_hist_add(h, &e);
    }
    store_stmt_finalize(st);
    return rc < 0 ? -1 : 0;
}

/*
 * stream_piece - add the events of [from, to) to h[0] when at or after split, else to h[1],
 * one event at a time (SQLite): 0, 1 when the histograms grew beyond f's max_values (the
 * caller then leaves the count to SQL), -1 on error. SQLite's GROUP BY sorts the keys in a
 * temporary B-tree, most of a top of deliveries (which no roll-up counts); a hash is faster
 * but holds every value. PostgreSQL groups by hashing itself: raw_piece's GROUP BY stays its.
 */
static int stream_piece(struct store *s, const struct subject *sub, const struct top_filter *f,
                        int64_t from, int64_t to, int64_t split, struct labels *l,
                        struct rollup_hist *h[2], struct diag *d)
{
    const char *detail = sub->group_detail ? sub->detail : sub->detail_row;
    size_t max = f->max_values > 0 ? f->max_values : TOP_MAX_VALUES, n0, n1;
    struct strbuf sql = STRBUF_INIT;
    struct lru *label_by_id = NULL; /* categories, texts: a reply text's label, by its id */
    struct store_stmt *st;
    int rc;

    strbuf_printf(&sql,
                  "SELECT e.ts, e.reply_text_id, %s, %s FROM events e"
                  " LEFT JOIN reply_texts r ON r.id = e.reply_text_id"
                  " WHERE e.ts >= ?1 AND e.ts < ?2",
                  sub->key, detail ? detail : "NULL");
    and_filters(&sql, f);
    if ((st = piece_stmt(s, &sql, f, from, to, d)) == NULL)
        return -1;
    if (sub->rolled == BY_GROUP)
        label_by_id = lru_new(SIZE_MAX, NULL);
    while ((rc = store_step(s, st, d)) == 1) {
        struct rollup_hist *into = h[store_column_int64(st, 0) >= split ? 0 : 1];
        struct rollup_entry e = {0, NULL, 0, 1, 0, NULL, 0};
        if (sub->rolled == BY_GROUP) {
            int64_t id = store_column_is_null(st, 1) ? INT64_MIN : store_column_int64(st, 1);
            void *found = lru_get(label_by_id, (const char *)&id, sizeof id);
            if (found != NULL) {
                e.key = (int64_t)((uintptr_t)found - 1);
            } else {
                e.key = label_of(l, text_or_null(st, 2), text_or_null(st, 3));
                lru_put(label_by_id, (const char *)&id, sizeof id, (void *)(uintptr_t)(e.key + 1));
            }
        } else {
            value_and_extra(st, 2, &e);
        }
        rollup_hist_add(into, &e);
        rollup_hist_entries(h[0], &n0);
        rollup_hist_entries(h[1], &n1);
        if (n0 + n1 > max) {
            rc = 2;
            break;
        }
    }
    store_stmt_finalize(st);
    if (label_by_id != NULL)
        lru_free(label_by_id);
    return rc < 0 ? -1 : rc == 2;
}

/* add_row - a row of the result from the merged histograms */
static void add_row(struct top_result *out, size_t *cap, const struct merged_row *m)
{
    struct top_row *r;

    if (out->n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        out->rows = xreallocarray(out->rows, *cap, sizeof *out->rows);
    }
    r = &out->rows[out->n++];
    r->key = m->key ? xstrndup(m->key, m->klen) : NULL;
    r->detail = m->detail ? xstrndup(m->detail, m->dlen) : NULL;
    r->count = m->n;
    r->previous = m->prev;
}

/*
 * merged - store_top counted here: from the roll-ups where there are some, and on SQLite from
 * the events one at a time (stream_piece) for the rest. 1 done (out filled); 0 to run the
 * single pass instead: on PostgreSQL when nothing is rolled up or the kinds asked for are not
 * only failures, on SQLite beyond max_values; -1 on error
 */
static int merged(struct store *s, const struct subject *sub, const struct top_filter *f,
                  struct top_result *out, struct diag *d)
{
    struct rollup_segment *segs[2] = {NULL, NULL};
    size_t nseg[2] = {0, 0}, ngroups = 0, nrows = 0, cap = 0;
    struct rollup_hist *h[2] = {NULL, NULL};
    struct labels l = {NULL, NULL, 0, 0, NULL, STRBUF_INIT};
    int64_t *key_of[2] = {NULL, NULL};
    struct merged_row *rows = NULL;
    int rc;

    /* the roll-ups count failures only */
    int failures = f->kinds != 0 && (f->kinds & ~FAILURE_KINDS) == 0, pg = store_is_pg(s);
    int any = 0;

    if (!failures && pg)
        return 0;
    if (failures) {
        if (store_rollup_segments(s, f->since_us, f->until_us, &segs[0], &nseg[0], d) < 0 ||
            store_rollup_segments(s, f->prev_since_us, f->since_us, &segs[1], &nseg[1], d) < 0) {
            rc = -1;
            goto done;
        }
        any = rollup_any(segs[0], nseg[0]) || rollup_any(segs[1], nseg[1]);
        if (!any && pg) {
            rc = 0;
            goto done;
        }
    }
    h[0] = rollup_hist_new();
    h[1] = rollup_hist_new();
    if (!any) /* both periods in one pass */
        rc = stream_piece(s, sub, f, f->prev_since_us, f->until_us, f->since_us, &l, h, d);
    else
        rc = key_of_groups(s, sub, f, &l, key_of, &ngroups, d);
    for (int p = 0; p < 2 && any && rc == 0; p++)
        for (size_t i = 0; i < nseg[p] && rc == 0; i++) {
            int64_t from = segs[p][i].from_us, to = segs[p][i].to_us;
            struct rollup_hist *into[2] = {h[p], h[p]};
            if (segs[p][i].rolled)
                rc = rolled_piece(s, sub, from, to, key_of, ngroups, h[p], d);
            else if (pg)
                rc = raw_piece(s, sub, f, from, to, &l, h[p], d);
            else
                rc = stream_piece(s, sub, f, from, to, from, &l, into, d);
        }
    if (rc != 0) {
        if (rc > 0)
            rc = 0; /* too many values to count here: the single pass */
        goto done;
    }
    /* this period's rows with the previous count, then those only in the previous one */
    for (int p = 0; p < 2; p++) {
        size_t n;
        struct rollup_entry *v = rollup_hist_entries(h[p], &n);
        rows = xreallocarray(rows, nrows + n + 1, sizeof *rows);
        for (size_t i = 0; i < n; i++) {
            struct rollup_entry *other = rollup_hist_find(h[!p], v[i].key, v[i].value, v[i].vlen);
            struct merged_row m = {v[i].value, NULL, v[i].vlen, 0, 0, 0};
            if (p == 1 && other != NULL)
                continue; /* counted with this period's row */
            if (p == 0) {
                m.n = v[i].n;
                m.prev = other ? other->n : 0;
            } else {
                m.prev = v[i].n;
            }
            /* the detail: the greatest client name of both periods, or the category */
            const struct rollup_entry *x = v[i].extra ? &v[i] : NULL;
            if (other != NULL && other->extra != NULL &&
                (x == NULL || rollup_cmp(other->extra, other->elen, x->extra, x->elen) > 0))
                x = other;
            if (x != NULL) {
                m.detail = x->extra;
                m.dlen = x->elen;
            }
            if (sub->rolled == BY_GROUP) {
                m.key = l.key[v[i].key];
                m.klen = m.key ? strlen(m.key) : 0;
                m.detail = l.detail[v[i].key];
                m.dlen = m.detail ? strlen(m.detail) : 0;
            }
            rows[nrows++] = m;
        }
    }
    for (size_t i = 0; i < nrows; i++) {
        out->total += rows[i].n;
        out->previous_total += rows[i].prev;
    }
    /* values seen only before are counted in the totals, not listed; of the others the
     * first limit in order: kept in a short sorted list as they come (most are turned away
     * by one comparison), or all sorted when the limit is large or none */
    size_t nbest = 0, k = f->limit;
    struct merged_row *best = rows;
    if (k == 0 || k > 256) {
        for (size_t i = 0; i < nrows; i++)
            if (rows[i].n > 0)
                rows[nbest++] = rows[i];
        qsort(rows, nbest, sizeof *rows, by_count);
        if (k > 0 && nbest > k)
            nbest = k;
    } else {
        best = xreallocarray(NULL, k, sizeof *best);
        for (size_t i = 0; i < nrows; i++) {
            size_t at = nbest;
            if (rows[i].n == 0 || (nbest == k && by_count(&rows[i], &best[k - 1]) >= 0))
                continue;
            while (at > 0 && by_count(&rows[i], &best[at - 1]) < 0)
                at--;
            if (nbest < k)
                nbest++;
            memmove(&best[at + 1], &best[at], (nbest - 1 - at) * sizeof *best);
            best[at] = rows[i];
        }
    }
    for (size_t i = 0; i < nbest; i++)
        add_row(out, &cap, &best[i]);
    if (best != rows)
        free(best);
    rc = 1;
done:
    free(rows);
    for (int p = 0; p < 2; p++) {
        free(segs[p]);
        free(key_of[p]);
        rollup_hist_free(h[p]);
    }
    labels_free(&l);
    if (rc < 0)
        store_top_free(out);
    return rc;
}

int store_top(struct store *s, enum top_subject t, const struct top_filter *f,
              struct top_result *out, struct diag *d)
{
    struct strbuf sql = STRBUF_INIT;
    struct store_stmt *st;
    size_t cap = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if (t >= TOP_SUBJECT_COUNT)
        return diag_set(d, "bug: top subject %d", (int)t);
    if ((rc = merged(s, &subjects[t], f, out, d)) != 0)
        return rc < 0 ? -1 : 0;
    build(&sql, &subjects[t], f, store_is_pg(s));
    st = store_stmt_prepare(s, strbuf_str(&sql), d);
    strbuf_free(&sql);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, f->since_us);
    store_bind_int64(st, 2, f->until_us);
    store_bind_int64(st, 3, f->prev_since_us);
    store_bind_int64(st, 4, f->limit > 0 ? (int64_t)f->limit : -1);
    bind_filters(st, f);
    while ((rc = store_step(s, st, d)) == 1) {
        struct top_row *r;
        out->total = store_column_int64(st, 4);
        out->previous_total = store_column_int64(st, 5);
        if (store_column_int64(st, 2) == 0)
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 32;
            out->rows = xreallocarray(out->rows, cap, sizeof *out->rows);
        }
        r = &out->rows[out->n++];
        r->key = store_column_is_null(st, 0) ? NULL : xstrdup(store_column_text(st, 0));
        r->detail = store_column_is_null(st, 1) ? NULL : xstrdup(store_column_text(st, 1));
        r->count = store_column_int64(st, 2);
        r->previous = store_column_int64(st, 3);
    }
    store_stmt_finalize(st);
    if (rc < 0) {
        store_top_free(out);
        return -1;
    }
    return 0;
}

int store_category_known(struct store *s, const char *category, struct diag *d)
{
    static const char sql[] = "SELECT 1 FROM reply_texts WHERE category = ?1 LIMIT 1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_text(st, 1, category);
    rc = store_step(s, st, d);
    store_reset(st);
    return rc;
}
