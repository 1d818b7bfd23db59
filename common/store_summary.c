/*
 * store_summary - the counts behind "rejectlens summary" (see store.h)
 */
#include "store_internal.h"
#include "store_rollup.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * What the summary counts is read piece by piece (store_rollup_segments): the whole hours of
 * rolled-up days from rollup_kinds and rollup_failures, the rest from the events, and added up
 * here, so that a summary of months reads a few thousand rows instead of every event. The
 * answer is the same whatever is rolled up (test_rollup: test_summary_same).
 */

/* a count under a key of two numbers (the first may be NULL: num_null) and two texts (NULL:
 * none), as SQL groups them: (kind, direction, their names) or (code, status, category) */
struct tally_row {
    int64_t num, num2;
    int num_null;
    char *txt, *txt2;
    int64_t n;
};

struct tally {
    struct tally_row *rows;
    size_t n, cap;
};

/* text_or_null - a copy of column i, NULL when it is NULL */
static char *text_or_null(struct store_stmt *st, int i)
{
    if (store_column_is_null(st, i))
        return NULL;
    return xstrndup(store_column_text(st, i), store_column_bytes(st, i));
}

static void tally_add(struct tally *t, const struct tally_row *r)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->rows = xreallocarray(t->rows, t->cap, sizeof *t->rows);
    }
    t->rows[t->n++] = *r;
}

static void tally_free(struct tally *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->rows[i].txt);
        free(t->rows[i].txt2);
    }
    free(t->rows);
    memset(t, 0, sizeof *t);
}

static int cmp_text(const char *a, const char *b)
{
    return rollup_cmp(a, a ? strlen(a) : 0, b, b ? strlen(b) : 0);
}

/* by_key - SQL's order of the keys: the number (NULL first), the second, then the texts
 * (NULL first, BINARY) */
static int by_key(const void *pa, const void *pb)
{
    const struct tally_row *a = pa, *b = pb;
    int c;

    if (a->num_null != b->num_null)
        return b->num_null - a->num_null;
    if (a->num != b->num)
        return a->num < b->num ? -1 : 1;
    if (a->num2 != b->num2)
        return a->num2 < b->num2 ? -1 : 1;
    if ((c = cmp_text(a->txt, b->txt)) != 0)
        return c;
    return cmp_text(a->txt2, b->txt2);
}

/* by_count - the commonest first, ties in the order of their keys */
static int by_count(const void *pa, const void *pb)
{
    const struct tally_row *a = pa, *b = pb;

    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return by_key(pa, pb);
}

/* sort_by_count - the commonest first (qsort must not see the NULL of an empty tally) */
static void sort_by_count(struct tally *t)
{
    if (t->n > 1)
        qsort(t->rows, t->n, sizeof *t->rows, by_count);
}

/* tally_merge - rows with the same key made one, their counts added; sorted by key */
static void tally_merge(struct tally *t)
{
    size_t k = 0;

    if (t->n > 1)
        qsort(t->rows, t->n, sizeof *t->rows, by_key);
    for (size_t i = 0; i < t->n; i++) {
        if (k > 0 && by_key(&t->rows[k - 1], &t->rows[i]) == 0) {
            t->rows[k - 1].n += t->rows[i].n;
            free(t->rows[i].txt);
            free(t->rows[i].txt2);
            continue;
        }
        t->rows[k++] = t->rows[i];
    }
    t->n = k;
}

/* to_table - a count table from the merged rows, with label_of's labels (the tally is emptied) */
static void to_table(struct tally *t, char *(*label_of)(const struct tally_row *),
                     struct count_table *out)
{
    out->rows = xcalloc(t->n ? t->n : 1, sizeof *out->rows);
    out->n = t->n;
    for (size_t i = 0; i < t->n; i++) {
        out->rows[i].label = label_of(&t->rows[i]);
        out->rows[i].count = t->rows[i].n;
    }
    tally_free(t);
}

static char *label_txt(const struct tally_row *r)
{
    return xstrdup(r->txt);
}

static char *label_direction(const struct tally_row *r)
{
    return xstrdup(r->txt[0] == '\0' ? "(none)" : r->txt);
}

static char *label_kind_direction(const struct tally_row *r)
{
    size_t a = strlen(r->txt), b = strlen(r->txt2);
    char *l = xmalloc(a + b + 2);

    memcpy(l, r->txt, a);
    l[a] = ' ';
    memcpy(l + a + 1, r->txt2, b + 1);
    return l;
}

static char *label_code(const struct tally_row *r)
{
    char buf[24];

    if (r->num_null)
        return xstrdup("(none)");
    snprintf(buf, sizeof buf, "%lld", (long long)r->num);
    return xstrdup(buf);
}

static char *label_status(const struct tally_row *r)
{
    return xstrdup(r->txt ? r->txt : "(none)");
}

static char *label_category(const struct tally_row *r)
{
    return xstrdup(r->txt ? r->txt : "(not classified)");
}

/* project - the rows of t regrouped under one part of their key (keep says which), in *out */
static void project(const struct tally *t, void (*keep)(struct tally_row *), struct tally *out)
{
    for (size_t i = 0; i < t->n; i++) {
        struct tally_row r = t->rows[i];
        r.txt = r.txt ? xstrdup(r.txt) : NULL;
        r.txt2 = r.txt2 ? xstrdup(r.txt2) : NULL;
        keep(&r);
        tally_add(out, &r);
    }
    tally_merge(out);
}

static void drop_txt2(struct tally_row *r)
{
    free(r->txt2);
    r->txt2 = NULL;
}

/* the kind's row: (kind, kind name) */
static void keep_kind(struct tally_row *r)
{
    r->num2 = 0;
    drop_txt2(r);
}

/* the direction's row: (direction, direction name) */
static void keep_direction(struct tally_row *r)
{
    r->num = r->num2;
    r->num2 = 0;
    free(r->txt);
    r->txt = r->txt2;
    r->txt2 = NULL;
}

/* a failure's (code, status, category): num the code, txt the status, txt2 the category */
static void keep_code(struct tally_row *r)
{
    free(r->txt);
    r->txt = NULL;
    drop_txt2(r);
}

static void keep_status(struct tally_row *r)
{
    r->num = 0;
    r->num_null = 0;
    drop_txt2(r);
}

static void keep_category(struct tally_row *r)
{
    r->num = 0;
    r->num_null = 0;
    free(r->txt);
    r->txt = r->txt2;
    r->txt2 = NULL;
}

/* by kind and direction, with their names: the events of a piece, or its rolled-up hours */
static const char q_kinds[] =
    "SELECT e.kind, e.direction, k.name, d.name, count(*) FROM events e"
    " JOIN event_kinds k ON k.code = e.kind JOIN event_directions d ON d.code = e.direction"
    " WHERE e.ts >= ?1 AND e.ts < ?2 GROUP BY e.kind, e.direction, k.name, d.name";
static const char r_kinds[] =
    "SELECT e.kind, e.direction, k.name, d.name, sum(e.n) FROM rollup_kinds e"
    " JOIN event_kinds k ON k.code = e.kind JOIN event_directions d ON d.code = e.direction"
    " WHERE e.hour >= ?1 / 3600000000 AND e.hour < ?2 / 3600000000"
    " GROUP BY e.kind, e.direction, k.name, d.name";
/* the failures (those the report counts) by reply code, enhanced status and cause; the events'
 * query is served by the partial index events_failures alone */
static const char q_failures[] =
    "SELECT e.reply_code, e.status, r.category, count(*) FROM events e"
    " LEFT JOIN reply_texts r ON r.id = e.reply_text_id"
    " WHERE e.ts >= ?1 AND e.ts < ?2 AND " STORE_FAILURES " GROUP BY 1, 2, 3";
static const char r_failures[] =
    "SELECT e.reply_code, e.status, r.category, sum(f.n)"
    " FROM " ROLLUP_FAILURES " f CROSS JOIN rollup_groups e ON e.id = f.group_id"
    " LEFT JOIN reply_texts r ON r.id = e.reply_text_id GROUP BY 1, 2, 3";

/* tally_piece - add the rows of sql over [from, to) to t */
static int tally_piece(struct store *s, const char *sql, int64_t from, int64_t to, struct tally *t,
                       struct diag *d)
{
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int64_t day_from, day_to;
    int rc, kinds = sql == q_kinds || sql == r_kinds; /* kinds' rows have two numbers */

    if (st == NULL)
        return -1;
    rollup_days_within(from, to, &day_from, &day_to);
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    if (sql == r_failures) {
        store_bind_int64(st, 18, day_from);
        store_bind_int64(st, 19, day_to);
    }
    while ((rc = store_step(s, st, d)) == 1) {
        struct tally_row r = {0};
        r.num_null = store_column_is_null(st, 0);
        r.num = r.num_null ? 0 : store_column_int64(st, 0);
        r.num2 = kinds ? store_column_int64(st, 1) : 0;
        r.txt = text_or_null(st, 1 + kinds);
        r.txt2 = text_or_null(st, 2 + kinds);
        r.n = store_column_int64(st, 3 + kinds);
        tally_add(t, &r);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* event_span - the first and the last event time in [since, until): two look-ups in events_ts
 * (min and max together would read the whole period) */
static int event_span(struct store *s, int64_t since, int64_t until, int64_t *first, int64_t *last,
                      struct diag *d)
{
    static const char q_first[] = "SELECT min(ts) FROM events WHERE ts >= ?1 AND ts < ?2";
    static const char q_last[] = "SELECT max(ts) FROM events WHERE ts >= ?1 AND ts < ?2";
    const char *sql[2] = {q_first, q_last};
    int64_t *out[2] = {first, last};

    for (int i = 0; i < 2; i++) {
        struct store_stmt *st = store_stmt_cached(s, sql[i], d);
        int rc;
        if (st == NULL)
            return -1;
        store_bind_int64(st, 1, since);
        store_bind_int64(st, 2, until);
        if ((rc = store_step(s, st, d)) == 1 && !store_column_is_null(st, 0))
            *out[i] = store_column_int64(st, 0);
        store_reset(st);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void free_table(struct count_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].label);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

void store_summary_free(struct store_summary *sum)
{
    free_table(&sum->by_kind);
    free_table(&sum->by_direction);
    free_table(&sum->by_kind_direction);
    free_table(&sum->by_code);
    free_table(&sum->by_status);
    free_table(&sum->by_category);
    for (size_t i = 0; i < sum->nsamples; i++) {
        free(sum->samples[i].source);
        free(sum->samples[i].reason);
        free(sum->samples[i].line);
    }
    free(sum->samples);
    memset(sum, 0, sizeof *sum);
}

int store_summary(struct store *s, int64_t since_us, int64_t until_us, size_t max_samples,
                  struct store_summary *out, struct diag *d)
{
    static const char q_parse[] =
        "SELECT count(*), coalesce(sum(lines), 0), coalesce(sum(info_lines), 0), "
        "coalesce(sum(foreign_lines), 0), coalesce(sum(unparsed_lines), 0), "
        "coalesce(sum(events), 0) FROM sources";
    static const char q_samples[] =
        "SELECT coalesce(s.path, '-'), u.\"offset\", u.reason, u.line FROM unparsed_lines u "
        "LEFT JOIN sources s ON s.id = u.source_id ORDER BY u.id LIMIT ?1";
    struct rollup_segment *segs = NULL;
    struct tally kinds = {0}, failures = {0}, part = {0};
    size_t nseg = 0;
    struct store_stmt *st;
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (store_rollup_segments(s, since_us, until_us, &segs, &nseg, d) < 0)
        return -1;
    for (size_t i = 0; i < nseg && rc == 0; i++) {
        int rolled = segs[i].rolled;
        rc = tally_piece(s, rolled ? r_kinds : q_kinds, segs[i].from_us, segs[i].to_us, &kinds, d);
        if (rc == 0)
            rc = tally_piece(s, rolled ? r_failures : q_failures, segs[i].from_us, segs[i].to_us,
                             &failures, d);
    }
    free(segs);
    if (rc < 0 || event_span(s, since_us, until_us, &out->first_us, &out->last_us, d) < 0) {
        tally_free(&kinds);
        tally_free(&failures);
        goto fail;
    }
    tally_merge(&kinds);
    tally_merge(&failures);
    for (size_t i = 0; i < kinds.n; i++)
        out->events += kinds.rows[i].n;
    project(&kinds, keep_kind, &part);
    to_table(&part, label_txt, &out->by_kind);
    project(&kinds, keep_direction, &part);
    to_table(&part, label_direction, &out->by_direction);
    to_table(&kinds, label_kind_direction, &out->by_kind_direction);
    /* codes, statuses and causes are those of failures: deliveries have none to speak of */
    project(&failures, keep_code, &part);
    sort_by_count(&part);
    to_table(&part, label_code, &out->by_code);
    project(&failures, keep_status, &part);
    sort_by_count(&part);
    to_table(&part, label_status, &out->by_status);
    project(&failures, keep_category, &part);
    sort_by_count(&part);
    to_table(&part, label_category, &out->by_category);
    tally_free(&failures);
    if ((st = store_stmt_cached(s, q_parse, d)) == NULL)
        goto fail;
    if ((rc = store_step(s, st, d)) == 1) {
        out->sources = store_column_int64(st, 0);
        out->lines = (int64_t)store_column_double(st, 1);
        out->info_lines = (int64_t)store_column_double(st, 2);
        out->foreign_lines = (int64_t)store_column_double(st, 3);
        out->unparsed_lines = (int64_t)store_column_double(st, 4);
        out->source_events = (int64_t)store_column_double(st, 5);
    }
    store_reset(st);
    if (rc < 0)
        goto fail;
    if (max_samples > 0) {
        if ((st = store_stmt_cached(s, q_samples, d)) == NULL)
            goto fail;
        store_bind_int64(st, 1, (int64_t)max_samples);
        out->samples = xcalloc(max_samples, sizeof *out->samples);
        while (out->nsamples < max_samples && (rc = store_step(s, st, d)) == 1) {
            struct unparsed_sample *u = &out->samples[out->nsamples++];
            u->source = xstrdup(store_column_text(st, 0));
            u->offset = store_column_int64(st, 1);
            u->reason = xstrdup(store_column_text(st, 2));
            u->line_len = store_column_bytes(st, 3);
            u->line = xmalloc(u->line_len + 1);
            memcpy(u->line, store_column_blob(st, 3), u->line_len);
            u->line[u->line_len] = '\0';
        }
        store_reset(st);
        if (rc < 0)
            goto fail;
    }
    return 0;
fail:
    store_summary_free(out);
    return -1;
}
