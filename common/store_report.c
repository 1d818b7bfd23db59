/*
 * store_report - the SQL aggregates behind "rejectlens report" (see store_report.h)
 *
 * DESCRIPTION
 *	Every statement is a string literal, prepared once and cached; every value is bound. The
 *	filter is the same fragment in every statement, bound by bind_filter(): ?1 and ?2 the time
 *	range (which the events(ts) index serves), ?3 MTA, ?4 host, ?5 direction, ?6..?15 the code
 *	filter. Kinds appear in the SQL as numbers; the static assertions below tie them to
 *	event.h. The SQL is the same for SQLite and PostgreSQL but for one function (instr);
 *	what makes it so: a text parameter tested for NULL is CAST to TEXT (PostgreSQL must know
 *	its type), a derived table has a name, a comparison that is counted is a CASE.
 *
 *	Top lists and the commonest reply texts per category use row_number() over a partition
 *	(SQL:2003 window functions; SQLite 3.25 and PostgreSQL have them), so each list is one pass
 *	over the period instead of one pass per category.
 */
#include "store_internal.h"
#include "store_report.h"
#include "xalloc.h"

#include <string.h>

_Static_assert(EVENT_REJECT == 1 && EVENT_BOUNCE == 3 && EVENT_DEFER == 4 && EVENT_EXPIRE == 5,
               "the report's SQL names event kinds by number");

/* the category of a failure (events e LEFT JOIN reply_texts r) */
#define CAT "coalesce(r.category, 'unclassified')"
/* its code class: reply code, else enhanced status, else kind (bounce, expire 5; defer 4) */
#define CLS                                                                                        \
    "(CASE WHEN e.reply_code BETWEEN 400 AND 599 THEN e.reply_code / 100 "                         \
    "WHEN e.status LIKE '5.%' THEN 5 WHEN e.status LIKE '4.%' THEN 4 "                             \
    "WHEN e.kind IN (3, 5) THEN 5 WHEN e.kind = 4 THEN 4 ELSE 0 END)"
#define FROM_EVENTS " FROM events e LEFT JOIN reply_texts r ON r.id = e.reply_text_id"
#define WHERE_FILTER                                                                               \
    " WHERE e.ts >= ?1 AND e.ts < ?2 AND (CAST(?3 AS TEXT) IS NULL OR e.mta = ?3)"                 \
    " AND (CAST(?4 AS TEXT) IS NULL OR e.host = ?4) AND (?5 = 0 OR e.direction = ?5)"
/* failures: reject, bounce, defer, expire; then the code filter */
#define AND_FAILURE                                                                                \
    " AND e.kind IN (1, 3, 4, 5) AND (?6 = 0 OR ((?7 & 16) <> 0 AND " CLS " = 4)"                  \
    " OR ((?7 & 32) <> 0 AND " CLS " = 5)"                                                         \
    " OR e.reply_code IN (?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15))"

static void bind_filter(struct store_stmt *st, const struct store_report_filter *f)
{
    store_bind_int64(st, 1, f->since_us);
    store_bind_int64(st, 2, f->until_us);
    store_bind_text(st, 3, f->mta);
    store_bind_text(st, 4, f->host);
    store_bind_int64(st, 5, (int64_t)f->direction);
    store_bind_int64(st, 6, f->code_filter ? 1 : 0);
    store_bind_int64(st, 7, (int64_t)f->classes);
    for (int i = 0; i < STORE_REPORT_MAX_CODES; i++) {
        if ((size_t)i < f->ncodes)
            store_bind_int64(st, 8 + i, f->codes[i]);
        else
            store_bind_null(st, 8 + i);
    }
}

/* grow - make room for one more row in *rows (n rows, capacity *cap) */
static void *grow(void *rows, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return rows;
    *cap = *cap ? *cap * 2 : 16;
    return xreallocarray(rows, *cap, size);
}

/* dup_or_null - a copy of column i, NULL when it is NULL */
static char *dup_or_null(struct store_stmt *st, int i)
{
    if (store_column_is_null(st, i))
        return NULL;
    return xstrndup(store_column_text(st, i), store_column_bytes(st, i));
}

int store_report_kinds(struct store *s, const struct store_report_filter *f,
                       struct store_report_kind_row **rows, size_t *n, struct diag *d)
{
    /* two passes that need no sort of all the period's events: counts by kind, then the few
     * distinct (source, host) pairs; events_ts covers both */
    static const char q_kind[] =
        "SELECT e.kind, count(*) FROM events e" WHERE_FILTER " GROUP BY e.kind ORDER BY e.kind";
    static const char q_source[] = "SELECT DISTINCT coalesce(e.source_id, 0), coalesce(e.host, '')"
                                   " FROM events e" WHERE_FILTER " ORDER BY 1, 2";
    struct store_stmt *st;
    size_t cap = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    if ((st = store_stmt_cached(s, q_kind, d)) == NULL)
        return -1;
    bind_filter(st, f);
    while ((rc = store_step(s, st, d)) == 1) {
        *rows = grow(*rows, *n, &cap, sizeof **rows);
        struct store_report_kind_row *r = &(*rows)[(*n)++];
        r->source_id = -1;
        r->kind = (enum event_kind)store_column_int64(st, 0);
        r->host = NULL;
        r->count = store_column_int64(st, 1);
    }
    store_reset(st);
    if (rc >= 0 && (st = store_stmt_cached(s, q_source, d)) == NULL)
        rc = -1;
    if (rc >= 0) {
        bind_filter(st, f);
        while ((rc = store_step(s, st, d)) == 1) {
            *rows = grow(*rows, *n, &cap, sizeof **rows);
            struct store_report_kind_row *r = &(*rows)[(*n)++];
            r->source_id = store_column_int64(st, 0);
            r->kind = EVENT_KIND_NONE;
            r->host = xstrdup(store_column_text(st, 1));
            r->count = 0;
        }
        store_reset(st);
    }
    if (rc < 0) {
        store_report_kind_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void store_report_kind_rows_free(struct store_report_kind_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].host);
    free(rows);
}

int store_report_span(struct store *s, const struct store_report_filter *f, int64_t *first_us,
                      int64_t *last_us, struct diag *d)
{
    static const char sql[] = "SELECT min(e.ts), max(e.ts) FROM events e" WHERE_FILTER;
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc, found = 0;

    if (st == NULL)
        return -1;
    bind_filter(st, f);
    if ((rc = store_step(s, st, d)) == 1 && !store_column_is_null(st, 0)) {
        *first_us = store_column_int64(st, 0);
        *last_us = store_column_int64(st, 1);
        found = 1;
    }
    store_reset(st);
    return rc < 0 ? -1 : found;
}

int store_report_categories(struct store *s, const struct store_report_filter *f,
                            struct store_report_cat_row **rows, size_t *n, struct diag *d)
{
    static const char sql[] =
        "SELECT " CAT ", " CLS
        ", (CASE WHEN e.reply_code = 550 THEN 1 ELSE 0 END), count(*)" FROM_EVENTS WHERE_FILTER
            AND_FAILURE " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    size_t cap = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    bind_filter(st, f);
    while ((rc = store_step(s, st, d)) == 1) {
        *rows = grow(*rows, *n, &cap, sizeof **rows);
        struct store_report_cat_row *r = &(*rows)[(*n)++];
        r->category = xstrdup(store_column_text(st, 0));
        r->cls = (int)store_column_int64(st, 1);
        r->is_550 = store_column_int64(st, 2) != 0;
        r->count = store_column_int64(st, 3);
    }
    store_reset(st);
    if (rc < 0) {
        store_report_cat_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void store_report_cat_rows_free(struct store_report_cat_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].category);
    free(rows);
}

/* TOP_SQL - the per-category top list of a value expression, with an extra column */
#define TOP_SQL(val, extra)                                                                        \
    "SELECT cat, val, extra, n, last FROM (SELECT " CAT " AS cat, " val " AS val, " extra          \
    " AS extra, count(*) AS n, max(e.id) AS last, row_number() OVER (PARTITION BY " CAT            \
    " ORDER BY count(*) DESC, " val ")"                                                            \
    " AS rk" FROM_EVENTS WHERE_FILTER AND_FAILURE " AND " val " <> '' GROUP BY 1, 2) AS t"         \
    " WHERE rk <= ?16 ORDER BY cat, rk"
/* the part after the last '@' (rtrim keeps the text up to the last '@', replace drops it) */
#define DOMAIN_OF(col)                                                                             \
    "(CASE WHEN instr(" col ", '@') > 0 THEN lower(replace(" col ", rtrim(" col ", replace(" col   \
    ", '@', '')), '')) END)"
/* PostgreSQL has no instr(); strpos() is the same function */
#define DOMAIN_OF_PG(col)                                                                          \
    "(CASE WHEN strpos(" col ", '@') > 0 THEN lower(replace(" col ", rtrim(" col ", replace(" col  \
    ", '@', '')), '')) END)"

int store_report_top(struct store *s, const struct store_report_filter *f,
                     enum store_report_dim dim, size_t per_category,
                     struct store_report_top_row **rows, size_t *n, struct diag *d)
{
    static const char q_recipient[] = TOP_SQL("lower(e.recipient)", "NULL");
    static const char q_recipient_domain[] = TOP_SQL(DOMAIN_OF("e.recipient"), "NULL");
    static const char q_recipient_domain_pg[] = TOP_SQL(DOMAIN_OF_PG("e.recipient"), "NULL");
    static const char q_sender[] = TOP_SQL("lower(e.sender)", "NULL");
    static const char q_sender_domain[] = TOP_SQL(DOMAIN_OF("e.sender"), "NULL");
    static const char q_sender_domain_pg[] = TOP_SQL(DOMAIN_OF_PG("e.sender"), "NULL");
    static const char q_client[] = TOP_SQL("e.client_ip", "max(e.client_name)");
    static const char q_helo[] = TOP_SQL("e.helo", "NULL");
    /* relay=none is no relay: the delivery never reached one */
    static const char q_relay[] = TOP_SQL("(CASE WHEN e.relay <> 'none' THEN e.relay END)", "NULL");
    static const char *const sql[STORE_DIM_COUNT] = {
        q_recipient, q_recipient_domain, q_sender, q_sender_domain, q_client, q_helo, q_relay,
    };
    static const char *const sql_pg[STORE_DIM_COUNT] = {
        q_recipient, q_recipient_domain_pg, q_sender, q_sender_domain_pg, q_client, q_helo, q_relay,
    };
    struct store_stmt *st;
    size_t cap = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    if ((unsigned)dim >= STORE_DIM_COUNT)
        return diag_set(d, "bug: no top list %d", (int)dim);
    if ((st = store_stmt_cached(s, STORE_SQL(s, sql[dim], sql_pg[dim]), d)) == NULL)
        return -1;
    bind_filter(st, f);
    store_bind_int64(st, 16, (int64_t)per_category);
    while ((rc = store_step(s, st, d)) == 1) {
        *rows = grow(*rows, *n, &cap, sizeof **rows);
        struct store_report_top_row *r = &(*rows)[(*n)++];
        r->category = xstrdup(store_column_text(st, 0));
        r->value = xstrndup(store_column_text(st, 1), store_column_bytes(st, 1));
        r->extra = dup_or_null(st, 2);
        r->count = store_column_int64(st, 3);
        r->last_event_id = store_column_int64(st, 4);
    }
    store_reset(st);
    if (rc < 0) {
        store_report_top_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void store_report_top_rows_free(struct store_report_top_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].category);
        free(rows[i].value);
        free(rows[i].extra);
    }
    free(rows);
}

int store_report_templates(struct store *s, const struct store_report_filter *f,
                           const char *category, size_t per_category,
                           struct store_report_tmpl_row **rows, size_t *n, struct diag *d)
{
    static const char sql[] =
        "SELECT cat, rid, n, first, last FROM (SELECT " CAT " AS cat,"
        " coalesce(e.reply_text_id, 0) AS rid, count(*) AS n, min(e.id) AS first,"
        " max(e.id) AS last, row_number() OVER (PARTITION BY " CAT
        " ORDER BY count(*) DESC, coalesce(e.reply_text_id, 0)) AS rk" FROM_EVENTS WHERE_FILTER
            AND_FAILURE " AND (CAST(?17 AS TEXT) IS NULL OR " CAT
        " = ?17) GROUP BY 1, 2) AS t WHERE rk <= ?16"
        " ORDER BY cat, rk";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    size_t cap = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    bind_filter(st, f);
    store_bind_int64(st, 16, (int64_t)per_category);
    store_bind_text(st, 17, category);
    while ((rc = store_step(s, st, d)) == 1) {
        *rows = grow(*rows, *n, &cap, sizeof **rows);
        struct store_report_tmpl_row *r = &(*rows)[(*n)++];
        r->category = xstrdup(store_column_text(st, 0));
        r->reply_text_id = store_column_int64(st, 1);
        r->count = store_column_int64(st, 2);
        r->first_event_id = store_column_int64(st, 3);
        r->last_event_id = store_column_int64(st, 4);
    }
    store_reset(st);
    if (rc < 0) {
        store_report_tmpl_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void store_report_tmpl_rows_free(struct store_report_tmpl_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(rows[i].category);
    free(rows);
}

int store_report_event(struct store *s, int64_t id, struct store_report_event *out, struct diag *d)
{
    static const char sql[] =
        "SELECT e.ts, e.ts_prec, e.host, e.mta, e.program, e.kind, e.direction, e.stage,"
        " e.queue_id, e.client_ip, e.client_name, e.helo, e.sender, e.recipient, e.relay,"
        " e.reply_code, e.status, e.text, e.size, e.\"offset\", e.reply_text_id, s.path"
        " FROM events e LEFT JOIN sources s ON s.id = e.source_id WHERE e.id = ?1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    memset(out, 0, sizeof *out);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    if ((rc = store_step(s, st, d)) == 1) {
        out->id = id;
        out->ts_us = store_column_int64(st, 0);
        out->ts_prec = (int)store_column_int64(st, 1);
        out->host = dup_or_null(st, 2);
        out->mta = dup_or_null(st, 3);
        out->program = dup_or_null(st, 4);
        out->kind = (enum event_kind)store_column_int64(st, 5);
        out->direction = (enum event_direction)store_column_int64(st, 6);
        out->stage = (enum smtp_stage)store_column_int64(st, 7);
        out->queue_id = dup_or_null(st, 8);
        out->client_ip = dup_or_null(st, 9);
        out->client_name = dup_or_null(st, 10);
        out->helo = dup_or_null(st, 11);
        out->sender = dup_or_null(st, 12);
        out->recipient = dup_or_null(st, 13);
        out->relay = dup_or_null(st, 14);
        out->reply_code = (int)store_column_int64(st, 15);
        out->status = dup_or_null(st, 16);
        out->text = dup_or_null(st, 17);
        out->size = store_column_is_null(st, 18) ? -1 : store_column_int64(st, 18);
        out->offset = store_column_int64(st, 19);
        out->reply_text_id = store_column_int64(st, 20);
        out->source = dup_or_null(st, 21);
    }
    store_reset(st);
    return rc;
}

void store_report_event_free(struct store_report_event *ev)
{
    char **strings[] = {&ev->host,        &ev->mta,  &ev->program, &ev->queue_id,  &ev->client_ip,
                        &ev->client_name, &ev->helo, &ev->sender,  &ev->recipient, &ev->relay,
                        &ev->status,      &ev->text, &ev->source};

    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        free(*strings[i]);
        *strings[i] = NULL;
    }
}

void store_report_event_view(const struct store_report_event *ev, struct event *out)
{
    event_init(out);
    out->ts_us = ev->ts_us;
    out->ts_prec = ev->ts_prec;
    out->host = ev->host;
    out->mta = ev->mta;
    out->program = ev->program;
    out->kind = ev->kind;
    out->direction = ev->direction;
    out->stage = ev->stage;
    out->queue_id = ev->queue_id;
    out->client_ip = ev->client_ip;
    out->client_name = ev->client_name;
    out->helo = ev->helo;
    out->sender = ev->sender;
    out->recipient = ev->recipient;
    out->relay = ev->relay;
    out->reply_code = ev->reply_code;
    out->status = ev->status;
    out->text = ev->text;
    out->size = ev->size;
    out->offset = ev->offset;
}

int store_report_reply_text(struct store *s, int64_t id, struct reply_text_row *out, struct diag *d)
{
    static const char sql[] = "SELECT template, mta, kind, direction, stage, reply_code, status,"
                              " category, rule, rules_hash FROM reply_texts WHERE id = ?1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    memset(out, 0, sizeof *out);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    if ((rc = store_step(s, st, d)) == 1) {
        out->id = id;
        out->key.template_text = xstrndup(store_column_text(st, 0), store_column_bytes(st, 0));
        out->key.mta = xstrdup(store_column_text(st, 1));
        out->key.kind = (enum event_kind)store_column_int64(st, 2);
        out->key.direction = (enum event_direction)store_column_int64(st, 3);
        out->key.stage = (enum smtp_stage)store_column_int64(st, 4);
        out->key.reply_code = (int)store_column_int64(st, 5);
        out->key.status = xstrdup(store_column_text(st, 6));
        out->category = dup_or_null(st, 7);
        out->rule = dup_or_null(st, 8);
        out->rules_hash = dup_or_null(st, 9);
    }
    store_reset(st);
    return rc;
}

int store_report_source(struct store *s, int64_t id, struct store_report_source *out,
                        struct diag *d)
{
    static const char sql[] = "SELECT path, coalesce(format, ''), lines, events, info_lines,"
                              " foreign_lines, unparsed_lines FROM sources WHERE id = ?1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    memset(out, 0, sizeof *out);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    if ((rc = store_step(s, st, d)) == 1) {
        out->path = xstrdup(store_column_text(st, 0));
        out->format = xstrdup(store_column_text(st, 1));
        out->lines = store_column_int64(st, 2);
        out->events = store_column_int64(st, 3);
        out->info_lines = store_column_int64(st, 4);
        out->foreign_lines = store_column_int64(st, 5);
        out->unparsed_lines = store_column_int64(st, 6);
    }
    store_reset(st);
    return rc;
}

void store_report_source_free(struct store_report_source *src)
{
    free(src->path);
    free(src->format);
    memset(src, 0, sizeof *src);
}

int store_report_unparsed(struct store *s, int64_t source_id, size_t max,
                          struct unparsed_sample **rows, size_t *n, struct diag *d)
{
    static const char sql[] = "SELECT coalesce(s.path, '-'), u.\"offset\", u.reason, u.line"
                              " FROM unparsed_lines u LEFT JOIN sources s ON s.id = u.source_id"
                              " WHERE u.source_id = ?1 ORDER BY u.id LIMIT ?2";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    size_t cap = *n;
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, source_id);
    store_bind_int64(st, 2, (int64_t)max);
    while ((rc = store_step(s, st, d)) == 1) {
        /* the caller's array grows one row at a time: samples are few */
        *rows = xreallocarray(*rows, ++cap, sizeof **rows);
        struct unparsed_sample *u = &(*rows)[(*n)++];
        u->source = xstrdup(store_column_text(st, 0));
        u->offset = store_column_int64(st, 1);
        u->reason = xstrdup(store_column_text(st, 2));
        u->line = xstrndup(store_column_text(st, 3), store_column_bytes(st, 3));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
