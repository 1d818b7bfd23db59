/*
 * store_summary - the counts behind "rejectlens summary" (see store.h)
 */
#include "store_internal.h"
#include "xalloc.h"

#include <string.h>

/*
 * count_rows - run a "SELECT label, count" statement with the time bounds as ?1 and ?2; with
 * failures_only, ?3 and ?4 are the kinds to leave out (deliveries and discards)
 */
static int count_rows(struct store *s, const char *sql, int64_t since, int64_t until,
                      int failures_only, struct count_table *out, struct diag *d)
{
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    size_t cap = 0;
    int rc;

    memset(out, 0, sizeof *out);
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, since);
    store_bind_int64(st, 2, until);
    if (failures_only) {
        store_bind_int64(st, 3, EVENT_DELIVER);
        store_bind_int64(st, 4, EVENT_DISCARD);
    }
    while ((rc = store_step(s, st, d)) == 1) {
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            out->rows = xreallocarray(out->rows, cap, sizeof *out->rows);
        }
        out->rows[out->n].label = xstrdup(store_column_text(st, 0));
        out->rows[out->n].count = store_column_int64(st, 1);
        out->n++;
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

int store_summary(struct store *s, int64_t since, int64_t until, size_t max_samples,
                  struct store_summary *out, struct diag *d)
{
    static const char q_total[] =
        "SELECT count(*), min(ts), max(ts) FROM events WHERE ts >= ?1 AND ts < ?2";
    static const char q_kind[] =
        "SELECT k.name, count(*) FROM events e JOIN event_kinds k ON k.code = e.kind "
        "WHERE e.ts >= ?1 AND e.ts < ?2 GROUP BY e.kind, k.name ORDER BY e.kind";
    static const char q_direction[] =
        "SELECT CASE WHEN d.name = '' THEN '(none)' ELSE d.name END, count(*) FROM events e "
        "JOIN event_directions d ON d.code = e.direction "
        "WHERE e.ts >= ?1 AND e.ts < ?2 GROUP BY e.direction, d.name ORDER BY e.direction";
    static const char q_kind_direction[] =
        "SELECT k.name || ' ' || d.name, count(*) FROM events e "
        "JOIN event_kinds k ON k.code = e.kind JOIN event_directions d ON d.code = e.direction "
        "WHERE e.ts >= ?1 AND e.ts < ?2 GROUP BY e.kind, e.direction, k.name, d.name "
        "ORDER BY e.kind, e.direction";
    static const char q_code[] =
        "SELECT coalesce(CAST(reply_code AS TEXT), '(none)'), count(*) FROM events "
        "WHERE ts >= ?1 AND ts < ?2 AND kind NOT IN (?3, ?4) "
        "GROUP BY reply_code ORDER BY count(*) DESC, reply_code";
    static const char q_status[] = "SELECT coalesce(status, '(none)'), count(*) FROM events "
                                   "WHERE ts >= ?1 AND ts < ?2 AND kind NOT IN (?3, ?4) "
                                   "GROUP BY status ORDER BY count(*) DESC, status";
    static const char q_category[] =
        "SELECT coalesce(r.category, '(not classified)'), count(*) FROM events e "
        "LEFT JOIN reply_texts r ON r.id = e.reply_text_id "
        "WHERE e.ts >= ?1 AND e.ts < ?2 AND e.kind NOT IN (?3, ?4) "
        "GROUP BY r.category ORDER BY count(*) DESC, r.category";
    static const char q_parse[] =
        "SELECT count(*), coalesce(sum(lines), 0), coalesce(sum(info_lines), 0), "
        "coalesce(sum(foreign_lines), 0), coalesce(sum(unparsed_lines), 0), "
        "coalesce(sum(events), 0) FROM sources";
    static const char q_samples[] =
        "SELECT coalesce(s.path, '-'), u.\"offset\", u.reason, u.line FROM unparsed_lines u "
        "LEFT JOIN sources s ON s.id = u.source_id ORDER BY u.id LIMIT ?1";
    struct store_stmt *st;
    int rc;

    memset(out, 0, sizeof *out);
    if ((st = store_stmt_cached(s, q_total, d)) == NULL)
        return -1;
    store_bind_int64(st, 1, since);
    store_bind_int64(st, 2, until);
    if ((rc = store_step(s, st, d)) == 1) {
        out->events = store_column_int64(st, 0);
        out->first_us = store_column_int64(st, 1);
        out->last_us = store_column_int64(st, 2);
    }
    store_reset(st);
    if (rc < 0)
        goto fail;
    /* codes, statuses and causes are those of failures: deliveries have none to speak of */
    if (count_rows(s, q_kind, since, until, 0, &out->by_kind, d) < 0 ||
        count_rows(s, q_direction, since, until, 0, &out->by_direction, d) < 0 ||
        count_rows(s, q_kind_direction, since, until, 0, &out->by_kind_direction, d) < 0 ||
        count_rows(s, q_code, since, until, 1, &out->by_code, d) < 0 ||
        count_rows(s, q_status, since, until, 1, &out->by_status, d) < 0 ||
        count_rows(s, q_category, since, until, 1, &out->by_category, d) < 0)
        goto fail;
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
