/*
 * store_schedule - the scheduled reports sent, per name and period (see store.h)
 */
#include "store_internal.h"

#include <stdint.h>
#include <string.h>

int store_report_run_get(struct store *s, const char *name, const char *period_start,
                         enum report_run_state *state, struct diag *d)
{
    static const char sql[] = "SELECT state FROM report_runs WHERE name = ?1 AND period_start = ?2";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    *state = REPORT_RUN_NONE;
    if (st == NULL)
        return -1;
    store_bind_text(st, 1, name);
    store_bind_text(st, 2, period_start);
    if ((rc = store_step(s, st, d)) == 1) {
        const char *t = store_column_text(st, 0);
        *state = strcmp(t, "sent") == 0      ? REPORT_RUN_SENT
                 : strcmp(t, "unknown") == 0 ? REPORT_RUN_UNKNOWN
                                             : REPORT_RUN_SENDING;
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* exec1 - one statement with up to three text arguments, in its own transaction */
static int exec1(struct store *s, const char *sql, const char *a, const char *b, const char *c,
                 struct diag *d)
{
    struct store_stmt *st;
    int rc;

    if (store_begin(s, d) < 0)
        return -1;
    if ((st = store_stmt_cached(s, sql, d)) == NULL) {
        store_rollback(s);
        return -1;
    }
    store_bind_text(st, 1, a);
    store_bind_text(st, 2, b);
    if (c != NULL)
        store_bind_text(st, 3, c);
    rc = store_step(s, st, d);
    store_reset(st);
    if (rc < 0) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s, d);
}

int store_report_run_begin(struct store *s, const char *name, const char *period_start,
                           const char *period_end, struct diag *d)
{
    static const char sql[] = "INSERT INTO report_runs (name, period_start, period_end, state) "
                              "VALUES (?1, ?2, ?3, 'sending')";

    return exec1(s, sql, name, period_start, period_end, d);
}

int store_report_run_end(struct store *s, const char *name, const char *period_start,
                         enum report_run_state outcome, struct diag *d)
{
    static const char set[] =
        "UPDATE report_runs SET state = ?3, "
        "finished = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE name = ?1 AND period_start = ?2";
    static const char set_pg[] =
        "UPDATE report_runs SET state = ?3, finished = to_char(now() AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') WHERE name = ?1 AND period_start = ?2";
    static const char forget[] = "DELETE FROM report_runs WHERE name = ?1 AND period_start = ?2";

    if (outcome == REPORT_RUN_SENT || outcome == REPORT_RUN_UNKNOWN)
        return exec1(s, STORE_SQL(s, set, set_pg), name, period_start,
                     outcome == REPORT_RUN_SENT ? "sent" : "unknown", d);
    return exec1(s, forget, name, period_start, NULL, d);
}

int store_first_event(struct store *s, int64_t *ts_us, struct diag *d)
{
    *ts_us = INT64_MAX;
    return store_one_int64(s, "SELECT min(ts) FROM events", ts_us, d) < 0 ? -1 : 0;
}
