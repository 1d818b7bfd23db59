/*
 * store_top - the counts behind "rejectlens top" (see store_top.h)
 *
 * DESCRIPTION
 *	One grouped pass over the events of both periods (the current one and the one of the
 *	same length before it): on the partial index events_failures when only failures are
 *	counted (the default), on events_ts otherwise; a window sum gives the totals before
 *	the rows are cut to the limit. The statement is assembled from fixed pieces (a row of
 *	the subject table and the filters asked for); every value is bound.
 */
#include "store_top.h"
#include "store_internal.h"
#include "strbuf.h"
#include "xalloc.h"

#include <string.h>

/* the domain of an address column, lower-cased; NULL when it has no @ */
#define DOMAIN_OF(col)                                                                             \
    "CASE WHEN instr(" col ", '@') > 0 THEN lower(substr(" col ", instr(" col ", '@') + 1)) END"
/* PostgreSQL: strpos() is SQLite's instr() */
#define DOMAIN_OF_PG(col)                                                                          \
    "CASE WHEN strpos(" col ", '@') > 0 THEN lower(substr(" col ", strpos(" col ", '@') + 1)) END"

static const struct subject {
    const char *name;
    const char *key;    /* the value counted */
    const char *key_pg; /* the same for PostgreSQL, where it must be said otherwise; NULL */
    const char *detail; /* shown beside it: a grouped column or an aggregate; NULL: none */
    int group_detail;   /* 1: detail is part of the key */
} subjects[TOP_SUBJECT_COUNT] = {
    [TOP_CATEGORIES] = {"categories", "r.category", NULL, NULL, 0},
    [TOP_DOMAINS] = {"domains",
                     "CASE WHEN e.direction = 2 THEN " DOMAIN_OF("e.recipient") " ELSE " DOMAIN_OF(
                         "e.sender") " END",
                     "CASE WHEN e.direction = 2 THEN " DOMAIN_OF_PG(
                         "e.recipient") " ELSE " DOMAIN_OF_PG("e.sender") " END",
                     NULL, 0},
    [TOP_RELAYS] = {"relays", "e.relay", NULL, NULL, 0},
    [TOP_CLIENTS] = {"clients", "e.client_ip", NULL, "max(e.client_name)", 0},
    [TOP_SENDERS] = {"senders", "lower(e.sender)", NULL, NULL, 0},
    [TOP_RECIPIENTS] = {"recipients", "lower(e.recipient)", NULL, NULL, 0},
    [TOP_HELOS] = {"helos", "e.helo", NULL, NULL, 0},
    [TOP_TEXTS] = {"texts", "r.template", NULL, "r.category", 1},
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

/* the failures, in the very words of the partial index events_failures (schema version 2):
 * SQLite uses a partial index only for a query that repeats its condition */
#define FAILURE_KINDS                                                                              \
    ((1u << EVENT_REJECT) | (1u << EVENT_BOUNCE) | (1u << EVENT_DEFER) | (1u << EVENT_EXPIRE))
#define AND_FAILURES " AND e.kind IN (1, 3, 4, 5)"
_Static_assert(EVENT_REJECT == 1 && EVENT_BOUNCE == 3 && EVENT_DEFER == 4 && EVENT_EXPIRE == 5,
               "AND_FAILURES names the failure kinds by number");

/*
 * build - the statement for subject sub and filter f. Parameters: ?1 since, ?2 until, ?3 the
 * start of the previous period, ?4 the limit (-1: none), then from ?5 the filters in order
 */
static void build(struct strbuf *sql, const struct subject *sub, const struct top_filter *f, int pg)
{
    int p = 5;
    const char *key = pg && sub->key_pg ? sub->key_pg : sub->key;

    strbuf_puts(sql, "SELECT key, detail, n, prev, total, ptotal FROM ("
                     "SELECT key, detail, n, prev, sum(n) OVER () AS total, "
                     "sum(prev) OVER () AS ptotal FROM (SELECT ");
    strbuf_printf(sql, "%s AS key, %s AS detail, ", key, sub->detail ? sub->detail : "NULL");
    strbuf_puts(sql, "sum(CASE WHEN e.ts >= ?1 THEN 1 ELSE 0 END) AS n, "
                     "sum(CASE WHEN e.ts < ?1 THEN 1 ELSE 0 END) AS prev "
                     "FROM events e LEFT JOIN reply_texts r ON r.id = e.reply_text_id "
                     "WHERE e.ts >= ?3 AND e.ts < ?2");
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
    strbuf_puts(sql, sub->group_detail ? " GROUP BY key, detail" : " GROUP BY key");
    /* values seen only in the previous period sort last; the caller drops them. NULL first,
     * as SQLite sorts it anyway; PostgreSQL knows no LIMIT -1, its LIMIT NULL is none */
    strbuf_puts(sql, ") AS k) AS t ORDER BY n DESC, key NULLS FIRST");
    strbuf_puts(sql, pg ? " LIMIT nullif(?4, -1)" : " LIMIT ?4");
}

int store_top(struct store *s, enum top_subject t, const struct top_filter *f,
              struct top_result *out, struct diag *d)
{
    struct strbuf sql = STRBUF_INIT;
    struct store_stmt *st;
    size_t cap = 0;
    int rc, p = 5;

    memset(out, 0, sizeof *out);
    if (t >= TOP_SUBJECT_COUNT)
        return diag_set(d, "bug: top subject %d", (int)t);
    build(&sql, &subjects[t], f, store_is_pg(s));
    st = store_stmt_prepare(s, strbuf_str(&sql), d);
    strbuf_free(&sql);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, f->since_us);
    store_bind_int64(st, 2, f->until_us);
    store_bind_int64(st, 3, f->prev_since_us);
    store_bind_int64(st, 4, f->limit > 0 ? (int64_t)f->limit : -1);
    if (f->direction != DIRECTION_NONE)
        store_bind_int64(st, p++, f->direction);
    if (f->category != NULL)
        store_bind_text(st, p++, f->category);
    if (f->mta != NULL)
        store_bind_text(st, p++, f->mta);
    if (f->host != NULL)
        store_bind_text(st, p++, f->host);
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
