/*
 * store_trace - the events behind "rejectlens trace" (see store_trace.h)
 *
 * DESCRIPTION
 *	Each look-up is one statement. An address is looked up on events_recipient,
 *	events_sender and events_orig_recipient, on (hour, address key) since schema 10 (the
 *	key, then the address itself are compared), and a queue id on events_queue_id, on (hour,
 *	queue id): the statement walks the hours of the period that hold entries (a recursive
 *	CTE, bounded by the oldest and newest event) and searches each. PostgreSQL's indexes lead
 *	with the UTC day, so its statements walk days. A bounce notice's parent has
 *	an index of its own. A Message-ID, a client IP and a domain have none (bench/INDEXES.md
 *	says why): they are read off the rows of the period on events_ts, newest first, so the
 *	caller gives them short periods first. So is the next hop's "queued as".
 */
#include "store_trace.h"
#include "store_internal.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLUMNS                                                                                    \
    "SELECT e.id, e.ts, e.ts_prec, e.kind, e.direction, e.stage, e.reply_code, e.size, "           \
    "e.offset, e.host, e.mta, e.program, e.queue_id, e.parent_queue_id, e.message_id, "            \
    "e.client_ip, e.client_name, e.helo, e.sender, e.recipient, e.orig_recipient, e.relay, "       \
    "e.status, e.text, r.category, r.rule, r.template, s.path "                                    \
    "FROM events e LEFT JOIN reply_texts r ON r.id = e.reply_text_id "                             \
    "LEFT JOIN sources s ON s.id = e.source_id "

/* the text columns, in the order of COLUMNS from column 9 */
enum { FIRST_TEXT = 9, NTEXT = 19 };

static char *take(struct store_stmt *st, int col)
{
    return store_column_is_null(st, col) ? NULL : xstrdup(store_column_text(st, col));
}

/* read_row - append the current row to out */
static void read_row(struct store_stmt *st, struct trace_events *out)
{
    struct trace_event *t;
    char *txt[NTEXT];

    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 16;
        out->v = xreallocarray(out->v, out->cap, sizeof *out->v);
    }
    t = &out->v[out->n++];
    memset(t, 0, sizeof *t);
    event_init(&t->ev);
    t->id = store_column_int64(st, 0);
    t->ev.ts_us = store_column_int64(st, 1);
    t->ev.ts_prec = (int)store_column_int64(st, 2);
    t->ev.kind = (enum event_kind)store_column_int64(st, 3);
    t->ev.direction = (enum event_direction)store_column_int64(st, 4);
    t->ev.stage = (enum smtp_stage)store_column_int64(st, 5);
    t->ev.reply_code = store_column_is_null(st, 6) ? 0 : (int)store_column_int64(st, 6);
    t->ev.size = store_column_is_null(st, 7) ? -1 : store_column_int64(st, 7);
    t->ev.offset = store_column_int64(st, 8);
    for (int i = 0; i < NTEXT; i++)
        txt[i] = take(st, FIRST_TEXT + i);
    t->ev.host = txt[0];
    t->ev.mta = txt[1];
    t->ev.program = txt[2];
    t->ev.queue_id = txt[3];
    t->ev.parent_queue_id = txt[4];
    t->ev.message_id = txt[5];
    t->ev.client_ip = txt[6];
    t->ev.client_name = txt[7];
    t->ev.helo = txt[8];
    t->ev.sender = txt[9];
    t->ev.recipient = txt[10];
    t->ev.orig_recipient = txt[11];
    t->ev.relay = txt[12];
    t->ev.status = txt[13];
    t->ev.text = txt[14];
    t->category = txt[15];
    t->rule = txt[16];
    t->template_text = txt[17];
    t->source = txt[18];
}

void store_trace_events_free(struct trace_events *l)
{
    for (size_t i = 0; i < l->n; i++) {
        struct trace_event *t = &l->v[i];
        char *owned[NTEXT] = {
            (char *)t->ev.host,
            (char *)t->ev.mta,
            (char *)t->ev.program,
            (char *)t->ev.queue_id,
            (char *)t->ev.parent_queue_id,
            (char *)t->ev.message_id,
            (char *)t->ev.client_ip,
            (char *)t->ev.client_name,
            (char *)t->ev.helo,
            (char *)t->ev.sender,
            (char *)t->ev.recipient,
            (char *)t->ev.orig_recipient,
            (char *)t->ev.relay,
            (char *)t->ev.status,
            (char *)t->ev.text,
            t->category,
            t->rule,
            t->template_text,
            t->source,
        };
        for (int i2 = 0; i2 < NTEXT; i2++)
            free(owned[i2]);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

/*
 * BUCKETS - SQLite: the hours from lo to hi that hold an entry of the index whose condition is
 * cond, each found with one seek from the one before. Walking every hour of the period instead
 * would cost a look-up per hour even where there are no events: the period "everything" of a
 * database with one event stamped 1970 (a clock before NTP) would walk 490,000 hours per index
 * (with ten-minute buckets, tried first, 2.5 s for a trace). The last bucket found may lie after
 * hi; the statement's own time range leaves it out. No CAST: it would give b a type the index's
 * expression has not, and the index goes unused (a trace on ten million events took 18 s
 * instead of 0.1 s).
 */
/* the macros in the strings read as calls to clang-format */
/* clang-format off */
#define NEXT_BUCKET(cond, op, from)                                                                \
    "(SELECT " STORE_BUCKET_EXPR " FROM events e WHERE " STORE_BUCKET_EXPR " " op " " from         \
    " AND " cond " ORDER BY " STORE_BUCKET_EXPR " LIMIT 1)"
#define BUCKETS(cond, lo, hi)                                                                      \
    "WITH RECURSIVE buckets(b) AS (SELECT " NEXT_BUCKET(cond, ">=", lo) " UNION ALL "              \
    "SELECT " NEXT_BUCKET(cond, ">", "b") " FROM buckets WHERE b < " hi ") "
/* clang-format on */
/* PostgreSQL: every UTC day from ?6 to ?7, for its day-led indexes (it needs the CAST) */
#define DAYS_PG                                                                                    \
    "WITH RECURSIVE buckets(b) AS (SELECT CAST(?6 AS BIGINT) UNION ALL SELECT b + 1 FROM buckets " \
    "WHERE b < ?7) "
#define IN_BUCKETS STORE_BUCKET_EXPR " IN (SELECT b FROM buckets) "
#define IN_DAYS_PG STORE_DAY_EXPR " IN (SELECT b FROM buckets) "

/*
 * bucket_of - the bucket of s's indexes that a time in microseconds falls in, as the index's
 * expression computes it: SQLite's and PostgreSQL's integer division truncate toward zero, as
 * C's does, so a time before 1970 is in the bucket above (rounding down instead walked one
 * bucket short of the last event before 1970)
 */
static int64_t bucket_of(const struct store *s, int64_t us)
{
    return us / store_trace_bucket_us(s);
}

int64_t store_trace_bucket_us(const struct store *s)
{
    return store_is_pg(s) ? STORE_DAY_US : STORE_BUCKET_US;
}

/*
 * run - bind ?1 text (may be NULL), ?2 ?3 the window, ?4 the limit (when max > 0), ?5 text2,
 * ?6 ?7 the first and last bucket of the window, ?8 the address key of text (a statement that
 * walks no buckets has no ?6 ?7, and both backends ignore what is bound to a parameter a
 * statement does not have)
 */
static int run(struct store *s, const char *sql, const char *text, int64_t from, int64_t to,
               size_t max, const char *text2, struct trace_events *out, struct diag *d)
{
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_text(st, 1, text);
    store_bind_int64(st, 2, from);
    store_bind_int64(st, 3, to);
    /* no limit: the largest (PostgreSQL knows no LIMIT -1) */
    store_bind_int64(st, 4, max > 0 ? (int64_t)max : INT64_MAX);
    if (text2 != NULL)
        store_bind_text(st, 5, text2);
    store_bind_int64(st, 6, bucket_of(s, from));
    store_bind_int64(st, 7, bucket_of(s, to - 1));
    if (text != NULL)
        store_bind_int64(st, 8, store_address_key(text, strlen(text)));
    while ((rc = store_step(s, st, d)) == 1)
        read_row(st, out);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* bounds - the times of the oldest and newest event; INT64_MIN both when there is none */
static int bounds(struct store *s, int64_t *first, int64_t *last, struct diag *d)
{
    /* two subqueries: SQLite reads one end of events_ts for a lone min() or max(), but the
     * whole index for both in one query (a second on ten million events) */
    static const char sql[] = "SELECT (SELECT min(ts) FROM events), (SELECT max(ts) FROM events)";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    *first = *last = INT64_MIN;
    if (st == NULL)
        return -1;
    if ((rc = store_step(s, st, d)) == 1 && !store_column_is_null(st, 0)) {
        *first = store_column_int64(st, 0);
        *last = store_column_int64(st, 1);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/*
 * Measured on 1.5 million events (docs/performance.md, "A trace's page cache"): with 2 MB a
 * trace of a busy address read 891,883 pages through pread, most of them again, and spent more
 * time in the kernel than in its own code. 32 MiB holds what one trace walks; more only costs
 * the page faults of memory that a short trace fills once (64 MiB: +18 % for a default trace).
 * Only the trace gets it: a query or a top reads most pages once, and a larger cache made them
 * slower by the same faults.
 */
int store_trace_cache(struct store *s, struct diag *d)
{
    if (store_is_pg(s))
        return 0;
    return store_exec(s, "PRAGMA cache_size = -32768", d);
}

int store_trace_find(struct store *s, enum trace_by by, const char *value, int64_t from, int64_t to,
                     size_t max, struct trace_events *out, struct diag *d)
{
    /* one statement per index, each newest first and cut at the limit */
    static const char q_recipient[] = BUCKETS("e.recipient_key IS NOT NULL", "?6", "?7") COLUMNS
        "WHERE " IN_BUCKETS "AND e.recipient_key = ?8 AND e.recipient = ?1 COLLATE NOCASE "
        "AND e.ts >= ?2 AND e.ts < ?3 "
        "ORDER BY e.ts DESC LIMIT ?4";
    static const char q_sender[] = BUCKETS("e.sender_key IS NOT NULL", "?6", "?7") COLUMNS
        "WHERE " IN_BUCKETS "AND e.sender_key = ?8 AND e.sender = ?1 COLLATE NOCASE "
        "AND e.ts >= ?2 AND e.ts < ?3 "
        "ORDER BY e.ts DESC LIMIT ?4";
    static const char q_orig[] = BUCKETS("e.orig_recipient_key IS NOT NULL", "?6", "?7") COLUMNS
        "WHERE " IN_BUCKETS
        "AND e.orig_recipient_key = ?8 AND e.orig_recipient = ?1 COLLATE NOCASE "
        "AND e.ts >= ?2 AND e.ts < ?3 "
        "ORDER BY e.ts DESC LIMIT ?4";
    /* PostgreSQL: lower() on both sides where SQLite has NOCASE (the indexes of schema 4 are
     * on lower()), ILIKE where SQLite's LIKE ignores case */
    static const char q_recipient_pg[] =
        DAYS_PG COLUMNS "WHERE " IN_DAYS_PG "AND lower(e.recipient) = lower(?1) "
                        "AND e.ts >= ?2 AND e.ts < ?3 "
                        "ORDER BY e.ts DESC LIMIT ?4";
    static const char q_sender_pg[] =
        DAYS_PG COLUMNS "WHERE " IN_DAYS_PG "AND lower(e.sender) = lower(?1) "
                        "AND e.ts >= ?2 AND e.ts < ?3 "
                        "ORDER BY e.ts DESC LIMIT ?4";
    static const char q_orig_pg[] = COLUMNS "WHERE lower(e.orig_recipient) = lower(?1) "
                                            "AND e.ts >= ?2 AND e.ts < ?3 "
                                            "ORDER BY e.ts DESC LIMIT ?4";
    /* ?5 is '%@domain' with LIKE's wildcards escaped; LIKE ignores ASCII case */
    static const char q_domain[] = COLUMNS "WHERE e.ts >= ?2 AND e.ts < ?3 "
                                           "AND (e.recipient LIKE ?5 ESCAPE '\\' "
                                           "OR e.sender LIKE ?5 ESCAPE '\\' "
                                           "OR e.orig_recipient LIKE ?5 ESCAPE '\\') "
                                           "ORDER BY e.ts DESC LIMIT ?4";
    static const char q_domain_pg[] = COLUMNS "WHERE e.ts >= ?2 AND e.ts < ?3 "
                                              "AND (e.recipient ILIKE ?5 ESCAPE '\\' "
                                              "OR e.sender ILIKE ?5 ESCAPE '\\' "
                                              "OR e.orig_recipient ILIKE ?5 ESCAPE '\\') "
                                              "ORDER BY e.ts DESC LIMIT ?4";
    static const char q_queue[] = BUCKETS("e.queue_id IS NOT NULL", "?6", "?7") COLUMNS
        "WHERE " IN_BUCKETS "AND e.queue_id = ?1 "
        "AND e.ts >= ?2 AND e.ts < ?3 "
        "ORDER BY e.ts DESC LIMIT ?4";
    static const char q_queue_pg[] = DAYS_PG COLUMNS "WHERE " IN_DAYS_PG "AND e.queue_id = ?1 "
                                                     "AND e.ts >= ?2 AND e.ts < ?3 "
                                                     "ORDER BY e.ts DESC LIMIT ?4";
    static const char q_msgid[] = COLUMNS "WHERE e.ts >= ?2 AND e.ts < ?3 "
                                          "AND e.message_id IN (?1, ?5) "
                                          "ORDER BY e.ts DESC LIMIT ?4";
    static const char q_ip[] = COLUMNS "WHERE e.ts >= ?2 AND e.ts < ?3 AND e.client_ip = ?1 "
                                       "ORDER BY e.ts DESC LIMIT ?4";
    char buf[600];
    int64_t first, last;
    int rc = 0;

    /* the buckets to walk: no further than the events go */
    if (bounds(s, &first, &last, d) < 0)
        return -1;
    if (first == INT64_MIN)
        return 0; /* no events at all */
    if (from < first)
        from = first;
    if (to > last + 1)
        to = last + 1;
    if (from >= to)
        return 0;

    switch (by) {
    case TRACE_ADDRESS:
        if (run(s, STORE_SQL(s, q_recipient, q_recipient_pg), value, from, to, max, NULL, out, d) <
                0 ||
            run(s, STORE_SQL(s, q_sender, q_sender_pg), value, from, to, max, NULL, out, d) < 0 ||
            run(s, STORE_SQL(s, q_orig, q_orig_pg), value, from, to, max, NULL, out, d) < 0)
            rc = -1;
        break;
    case TRACE_DOMAIN: {
        size_t n = 0;
        buf[n++] = '%';
        buf[n++] = '@';
        for (const char *p = value; *p && n + 3 < sizeof buf; p++) {
            if (*p == '%' || *p == '_' || *p == '\\')
                buf[n++] = '\\';
            buf[n++] = *p;
        }
        buf[n] = '\0';
        rc = run(s, STORE_SQL(s, q_domain, q_domain_pg), NULL, from, to, max, buf, out, d);
        break;
    }
    case TRACE_QUEUE_ID:
        rc = run(s, STORE_SQL(s, q_queue, q_queue_pg), value, from, to, max, NULL, out, d);
        break;
    case TRACE_MESSAGE_ID: {
        /* stored with or without the angle brackets, as the MTA logged it */
        size_t len = strlen(value);
        if (len >= 2 && value[0] == '<' && value[len - 1] == '>')
            snprintf(buf, sizeof buf, "%.*s", (int)(len - 2), value + 1);
        else
            snprintf(buf, sizeof buf, "<%s>", value);
        rc = run(s, q_msgid, value, from, to, max, buf, out, d);
        break;
    }
    case TRACE_IP:
        rc = run(s, q_ip, value, from, to, max, NULL, out, d);
        break;
    }
    return rc;
}

int store_trace_queue(struct store *s, const char *host, const char *qid, int64_t from, int64_t to,
                      struct trace_events *out, struct diag *d)
{
    static const char sql[] = BUCKETS("e.queue_id IS NOT NULL", "?6", "?7") COLUMNS
        "WHERE " IN_BUCKETS "AND e.queue_id = ?1 "
        "AND e.ts >= ?2 AND e.ts < ?3 "
        "AND (CAST(?5 AS TEXT) IS NULL OR e.host = ?5) "
        "ORDER BY e.ts, e.id LIMIT ?4";
    static const char sql_pg[] = DAYS_PG COLUMNS "WHERE " IN_DAYS_PG "AND e.queue_id = ?1 "
                                                 "AND e.ts >= ?2 AND e.ts < ?3 "
                                                 "AND (CAST(?5 AS TEXT) IS NULL OR e.host = ?5) "
                                                 "ORDER BY e.ts, e.id LIMIT ?4";

    return run(s, STORE_SQL(s, sql, sql_pg), qid, from, to, 0, host, out, d);
}

int store_trace_children(struct store *s, const char *host, const char *qid, int64_t from,
                         int64_t to, struct trace_events *out, struct diag *d)
{
    static const char sql[] = COLUMNS "WHERE e.parent_queue_id = ?1 "
                                      "AND e.ts >= ?2 AND e.ts < ?3 "
                                      "AND (CAST(?5 AS TEXT) IS NULL OR e.host = ?5) "
                                      "ORDER BY e.ts, e.id LIMIT ?4";

    return run(s, sql, qid, from, to, 0, host, out, d);
}

int store_trace_handed_over(struct store *s, const char *host, const char *qid,
                            const char *recipient, int64_t from, int64_t to,
                            struct trace_events *out, struct diag *d)
{
    /* ?6 the kind; with a recipient ?7 ?8 the buckets, ?9 the address and ?10 its key */
#define HANDED_OVER                                                                                \
    "AND e.ts >= ?2 AND e.ts < ?3 AND e.kind = ?6 AND (CAST(?5 AS TEXT) IS NULL OR e.host = ?5) "  \
    "AND (instr(e.text, 'queued as ' || ?1) > 0 OR instr(e.text, 'id=' || ?1) > 0) "               \
    "ORDER BY e.ts, e.id LIMIT ?4"
#define HANDED_OVER_PG                                                                             \
    "AND e.ts >= ?2 AND e.ts < ?3 AND e.kind = ?6 AND (CAST(?5 AS TEXT) IS NULL OR e.host = ?5) "  \
    "AND (strpos(e.text, 'queued as ' || CAST(?1 AS TEXT)) > 0 "                                   \
    "OR strpos(e.text, 'id=' || CAST(?1 AS TEXT)) > 0) "                                           \
    "ORDER BY e.ts, e.id LIMIT ?4"
#define RECIPIENT_DAYS_PG                                                                          \
    "WITH RECURSIVE buckets(b) AS (SELECT CAST(?7 AS BIGINT) UNION ALL SELECT b + 1 FROM buckets " \
    "WHERE b < ?8) "
    static const char scan[] = COLUMNS "WHERE 1 = 1 " HANDED_OVER;
    static const char scan_pg[] = COLUMNS "WHERE 1 = 1 " HANDED_OVER_PG;
    static const char to_recipient[] = BUCKETS("e.recipient_key IS NOT NULL", "?7", "?8") COLUMNS
        "WHERE " IN_BUCKETS
        "AND e.recipient_key = ?10 AND e.recipient = ?9 COLLATE NOCASE " HANDED_OVER;
    static const char to_recipient_pg[] = RECIPIENT_DAYS_PG COLUMNS
        "WHERE " IN_DAYS_PG "AND lower(e.recipient) = lower(?9) " HANDED_OVER_PG;
#undef HANDED_OVER
#undef HANDED_OVER_PG
#undef RECIPIENT_DAYS_PG
    struct store_stmt *st = store_stmt_cached(
        s, recipient ? STORE_SQL(s, to_recipient, to_recipient_pg) : STORE_SQL(s, scan, scan_pg),
        d);
    int rc;

    if (st == NULL)
        return -1;
    if (recipient != NULL) {
        store_bind_int64(st, 7, bucket_of(s, from));
        store_bind_int64(st, 8, bucket_of(s, to - 1));
        store_bind_text(st, 9, recipient);
        store_bind_int64(st, 10, store_address_key(recipient, strlen(recipient)));
    }
    store_bind_text(st, 1, qid);
    store_bind_int64(st, 2, from);
    store_bind_int64(st, 3, to);
    store_bind_int64(st, 4, INT64_MAX);
    store_bind_text(st, 5, host);
    store_bind_int64(st, 6, EVENT_DELIVER);
    while ((rc = store_step(s, st, d)) == 1)
        read_row(st, out);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int store_trace_hops(struct store *s, const char *host, const char *recipient, int64_t from,
                     int64_t to, struct trace_texts *out, struct diag *d)
{
    /* ?1 ?2 the window, ?3 the host, ?4 the kind, ?5 the address, ?6 ?7 the buckets, ?8 its key */
#define HOPS                                                                                       \
    "AND e.ts >= ?1 AND e.ts < ?2 AND e.kind = ?4 AND (CAST(?3 AS TEXT) IS NULL OR e.host = ?3) "
#define HOP_COLUMNS "SELECT e.ts, e.text FROM events e "
    static const char sql[] = BUCKETS("e.recipient_key IS NOT NULL", "?6", "?7") HOP_COLUMNS
        "WHERE " IN_BUCKETS "AND e.recipient_key = ?8 AND e.recipient = ?5 COLLATE NOCASE " HOPS
        "AND (instr(e.text, 'queued as ') > 0 OR instr(e.text, 'id=') > 0) ORDER BY e.ts, e.id";
    static const char sql_pg[] = DAYS_PG HOP_COLUMNS
        "WHERE " IN_DAYS_PG "AND lower(e.recipient) = lower(?5) " HOPS
        "AND (strpos(e.text, 'queued as ') > 0 OR strpos(e.text, 'id=') > 0) ORDER BY e.ts, e.id";
#undef HOPS
#undef HOP_COLUMNS
    struct store_stmt *st = store_stmt_cached(s, STORE_SQL(s, sql, sql_pg), d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    store_bind_text(st, 3, host);
    store_bind_int64(st, 4, EVENT_DELIVER);
    store_bind_text(st, 5, recipient);
    store_bind_int64(st, 6, bucket_of(s, from));
    store_bind_int64(st, 7, bucket_of(s, to - 1));
    store_bind_int64(st, 8, store_address_key(recipient, strlen(recipient)));
    while ((rc = store_step(s, st, d)) == 1) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 64;
            out->v = xreallocarray(out->v, out->cap, sizeof *out->v);
        }
        out->v[out->n++] = (struct trace_text){store_column_int64(st, 0), take(st, 1)};
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

void store_trace_texts_free(struct trace_texts *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].text);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int store_trace_newest(struct store *s, int64_t *us, struct diag *d)
{
    int64_t first;

    return bounds(s, &first, us, d);
}
