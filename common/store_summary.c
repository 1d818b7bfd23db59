/*
 * store_summary - the counts behind "rejectlens summary" (see store.h)
 */
#include "store_internal.h"
#include "store_report.h"
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

/* a count under a key as SQL groups it: a number (NULL: num_null), a second number, and a text
 * (NULL: none) that is also the label where there is one */
struct tally_row {
    int64_t num, num2;
    int num_null;
    char *txt;
    int64_t n;
};

struct tally {
    struct tally_row *rows;
    size_t n, cap;
};

static void tally_add(struct tally *t, int64_t num, int num_null, int64_t num2, char *txt,
                      int64_t n)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->rows = xreallocarray(t->rows, t->cap, sizeof *t->rows);
    }
    t->rows[t->n++] = (struct tally_row){num, num2, num_null, txt, n};
}

static void tally_free(struct tally *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->rows[i].txt);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

/* by_key - SQL's order of the keys: the number (NULL first), the second, then the text (NULL
 * first, BINARY) */
static int by_key(const void *pa, const void *pb)
{
    const struct tally_row *a = pa, *b = pb;

    if (a->num_null != b->num_null)
        return b->num_null - a->num_null;
    if (a->num != b->num)
        return a->num < b->num ? -1 : 1;
    if (a->num2 != b->num2)
        return a->num2 < b->num2 ? -1 : 1;
    return rollup_cmp(a->txt, a->txt ? strlen(a->txt) : 0, b->txt, b->txt ? strlen(b->txt) : 0);
}

/* by_count - the commonest first, ties in the order of their keys */
static int by_count(const void *pa, const void *pb)
{
    const struct tally_row *a = pa, *b = pb;

    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    return by_key(pa, pb);
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
            continue;
        }
        t->rows[k++] = t->rows[i];
    }
    t->n = k;
}

/*
 * to_table - the count table of t, merged, in key order or (by_count) the commonest first;
 * labelled by the text, else if_null, or (numeric) by the number, "(none)" when NULL. The
 * tally is freed.
 */
static void to_table(struct tally *t, int commonest_first, int numeric, const char *if_null,
                     struct count_table *out)
{
    tally_merge(t);
    if (commonest_first && t->n > 1) /* never a NULL array to qsort */
        qsort(t->rows, t->n, sizeof *t->rows, by_count);
    out->rows = xcalloc(t->n ? t->n : 1, sizeof *out->rows);
    out->n = t->n;
    for (size_t i = 0; i < t->n; i++) {
        const struct tally_row *r = &t->rows[i];
        char buf[24];
        if (numeric && !r->num_null)
            snprintf(buf, sizeof buf, "%lld", (long long)r->num);
        out->rows[i].label =
            xstrdup(numeric ? (r->num_null ? "(none)" : buf) : (r->txt ? r->txt : if_null));
        out->rows[i].count = r->n;
    }
    tally_free(t);
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

/*
 * tally_piece - add the rows of sql over [from, to) to the three tallies t: by kind, by
 * direction, by both (q_kinds, r_kinds), or by code, by status, by cause (the failures)
 */
static int tally_piece(struct store *s, const char *sql, int64_t from, int64_t to,
                       struct tally t[3], struct diag *d)
{
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int64_t day_from, day_to;
    int rc;

    if (st == NULL)
        return -1;
    rollup_days_within(from, to, &day_from, &day_to);
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    store_bind_int64(st, 18, day_from); /* ROLLUP_FAILURES' days; the others have no ?18 ?19 */
    store_bind_int64(st, 19, day_to);
    while ((rc = store_step(s, st, d)) == 1) {
        if (sql == q_kinds || sql == r_kinds) {
            int64_t kind = store_column_int64(st, 0), dir = store_column_int64(st, 1), n;
            const char *dname = store_column_text(st, 3);
            char *both;
            n = store_column_int64(st, 4);
            tally_add(&t[0], kind, 0, 0, store_column_dup(st, 2), n);
            tally_add(&t[1], dir, 0, 0, xstrdup(dname[0] == '\0' ? "(none)" : dname), n);
            size_t len = strlen(store_column_text(st, 2)) + strlen(dname) + 2;
            both = xmalloc(len);
            snprintf(both, len, "%s %s", store_column_text(st, 2), dname);
            tally_add(&t[2], kind, 0, dir, both, n);
        } else {
            int64_t n = store_column_int64(st, 3);
            int no_code = store_column_is_null(st, 0);
            tally_add(&t[0], no_code ? 0 : store_column_int64(st, 0), no_code, 0, NULL, n);
            tally_add(&t[1], 0, 0, 0, store_column_dup(st, 1), n);
            tally_add(&t[2], 0, 0, 0, store_column_dup(st, 2), n);
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
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
    struct store_report_filter all = {since_us, until_us, NULL, NULL, DIRECTION_NONE, 0, 0, {0}, 0};
    struct rollup_segment *segs = NULL;
    struct tally kinds[3] = {{0}}, failures[3] = {{0}};
    size_t nseg = 0;
    struct store_stmt *st;
    int rc = 0;

    memset(out, 0, sizeof *out);
    if (store_rollup_segments(s, since_us, until_us, &segs, &nseg, d) < 0)
        return -1;
    for (size_t i = 0; i < nseg && rc == 0; i++) {
        int rolled = segs[i].rolled;
        rc = tally_piece(s, rolled ? r_kinds : q_kinds, segs[i].from_us, segs[i].to_us, kinds, d);
        if (rc == 0)
            rc = tally_piece(s, rolled ? r_failures : q_failures, segs[i].from_us, segs[i].to_us,
                             failures, d);
    }
    free(segs);
    if (rc == 0 && store_report_span(s, &all, &out->first_us, &out->last_us, d) < 0)
        rc = -1;
    if (rc < 0) {
        for (int k = 0; k < 3; k++) {
            tally_free(&kinds[k]);
            tally_free(&failures[k]);
        }
        goto fail;
    }
    for (size_t i = 0; i < kinds[0].n; i++)
        out->events += kinds[0].rows[i].n;
    to_table(&kinds[0], 0, 0, NULL, &out->by_kind);
    to_table(&kinds[1], 0, 0, NULL, &out->by_direction);
    to_table(&kinds[2], 0, 0, NULL, &out->by_kind_direction);
    /* codes, statuses and causes are those of failures: deliveries have none to speak of */
    to_table(&failures[0], 1, 1, NULL, &out->by_code);
    to_table(&failures[1], 1, 0, "(none)", &out->by_status);
    to_table(&failures[2], 1, 0, "(not classified)", &out->by_category);
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
