/*
 * store_prune - forget old events, and what only they needed (see store.h)
 *
 * DESCRIPTION
 *	Events go in batches, each batch its own transaction: a prune of a year of events
 *	neither holds the write lock for long nor grows the WAL without bound, and a crash
 *	in the middle keeps the batches done. A batch is the whole hours, oldest first, that
 *	hold at least PRUNE_BATCH events (or what is left before the cutoff). The address
 *	and queue-id indexes are led by the hour (STORE_BUCKET_US), in random order within
 *	it: an hour's entries then go together. Batches of 20,000 events took a little of
 *	each of a busy hour's index pages, and wrote 8.7 GB to prune a 775 MB database
 *	(docs/performance.md). The WAL is bounded by a batch's hours.
 *
 *	The sources are never touched: a source's offset is what keeps the lines of a file
 *	still on disk from being read a second time. The roll-ups of the days reached go
 *	first (store_rollup.c).
 *
 *	PostgreSQL: events is partitioned by month; a month wholly before the cutoff goes as a
 *	whole (DROP TABLE of its partition, its own transaction: no dead rows, no vacuum), and
 *	only the month the cutoff falls in is deleted from row by row.
 */
#include "store_internal.h"
#include "store_rollup.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PRUNE_BATCH 20000

/* run_delete - one DELETE in its own transaction; the rows deleted in *n */
static int run_delete(struct store *s, const char *sql, int64_t arg, const char *text_arg,
                      int64_t *n, struct diag *d)
{
    struct store_stmt *st;
    int rc;

    if (store_begin(s, d) < 0)
        return -1;
    if ((st = store_stmt_cached(s, sql, d)) == NULL) {
        store_rollback(s);
        return -1;
    }
    if (text_arg != NULL)
        store_bind_text(st, 1, text_arg);
    else
        store_bind_int64(st, 1, arg);
    rc = store_step(s, st, d);
    store_reset(st);
    if (rc < 0) {
        store_rollback(s);
        return -1;
    }
    *n = store_changes(s);
    return store_commit(s, d);
}

/* month_end_us - the first microsecond after month (year, 1..12), UTC */
static int64_t month_end_us(int year, int month)
{
    struct tm tm = {0};

    tm.tm_year = year - 1900 + (month == 12);
    tm.tm_mon = month % 12;
    tm.tm_mday = 1;
    return (int64_t)timegm(&tm) * 1000000;
}

/*
 * drop_partitions - PostgreSQL: drop the partitions of events that end at or before
 * before_us, each in its own transaction; their rows counted into *n
 */
static int drop_partitions(struct store *s, int64_t before_us, const volatile sig_atomic_t *stop,
                           int64_t *n, struct diag *d)
{
    static const char q_parts[] =
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'events'::regclass ORDER BY 1";
    struct store_stmt *st = store_stmt_prepare(s, q_parts, d);
    char(*names)[32] = NULL;
    size_t nnames = 0, cap = 0;
    int rc;

    if (st == NULL)
        return -1;
    while ((rc = store_step(s, st, d)) == 1) {
        const char *name = store_column_text(st, 0);
        int year, month;
        char tail;
        /* only the partitions store_pg.c makes: events_pYYYYMM */
        if (sscanf(name, "events_p%4d%2d%c", &year, &month, &tail) != 2 || strlen(name) != 14 ||
            month < 1 || month > 12 || month_end_us(year, month) > before_us)
            continue;
        if (nnames == cap) {
            cap = cap ? cap * 2 : 16;
            names = xreallocarray(names, cap, sizeof *names);
        }
        snprintf(names[nnames++], sizeof names[0], "%s", name);
    }
    store_stmt_finalize(st);
    for (size_t i = 0; rc == 0 && i < nnames && !(stop != NULL && *stop); i++) {
        char sql[96];
        if (store_begin(s, d) < 0) {
            rc = -1;
            break;
        }
        /* the name is ours (checked above), not a value: it cannot be bound */
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", names[i]);
        if ((st = store_stmt_prepare(s, sql, d)) == NULL || (rc = store_step(s, st, d)) < 0) {
            store_stmt_finalize(st);
            store_rollback(s);
            rc = -1;
            break;
        }
        *n += store_column_int64(st, 0);
        store_stmt_finalize(st);
        snprintf(sql, sizeof sql, "DROP TABLE %s", names[i]);
        if (store_exec(s, sql, d) < 0) {
            store_rollback(s);
            rc = -1;
            break;
        }
        rc = store_commit(s, d);
    }
    free(names);
    store_partitions_forget(s);
    return rc < 0 ? -1 : 0;
}

/*
 * prune_batch - one batch, a transaction of its own (run_delete): the events before the end of
 * the hour of the PRUNE_BATCH-th oldest event, or, when there are not that many, before
 * before_us; where the batch ended in *cut (before_us: the last one), the events deleted in *n.
 * The end is read before the batch's transaction: events older than it that an ingest adds
 * meanwhile are before the cutoff as well.
 */
static int prune_batch(struct store *s, int64_t before_us, int64_t *cut, int64_t *n, struct diag *d)
{
    /* (ts / b + 1) * b is after ts also before 1970, where the division truncates upwards */
    static const char q_cut[] = "SELECT (ts / ?2 + 1) * ?2 FROM events WHERE ts < ?1"
                                " ORDER BY ts LIMIT 1 OFFSET ?3";
    static const char del[] = "DELETE FROM events WHERE ts < ?1";
    struct store_stmt *st = store_stmt_cached(s, q_cut, d);
    int rc;

    *cut = before_us;
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, before_us);
    store_bind_int64(st, 2, STORE_BUCKET_US);
    store_bind_int64(st, 3, PRUNE_BATCH - 1);
    if ((rc = store_step(s, st, d)) == 1 && store_column_int64(st, 0) < before_us)
        *cut = store_column_int64(st, 0);
    store_reset(st);
    return rc < 0 ? -1 : run_delete(s, del, *cut, NULL, n, d);
}

int store_prune(struct store *s, int64_t before_us, const volatile sig_atomic_t *stop,
                struct store_prune_result *out, struct diag *d)
{
    static const char del_replies[] =
        "DELETE FROM reply_texts WHERE id > ?1 AND NOT EXISTS "
        "(SELECT 1 FROM events e WHERE e.reply_text_id = reply_texts.id)";
    static const char del_samples[] = "DELETE FROM unparsed_lines WHERE source_id IN "
                                      "(SELECT id FROM sources WHERE last_seen < ?1)";
    int64_t n;
    char cutoff[32];
    time_t secs = (time_t)(before_us / 1000000);
    struct tm tm;

    memset(out, 0, sizeof *out);
    /* the roll-ups of the days it reaches first, and marked again after */
    if (store_rollup_forget(s, before_us, d) < 0)
        return -1;
    if (store_is_pg(s) && drop_partitions(s, before_us, stop, &out->events, d) < 0)
        return -1;
    do {
        int64_t cut;
        if (prune_batch(s, before_us, &cut, &n, d) < 0)
            return -1;
        out->events += n;
        if (cut == before_us)
            break;
    } while (!(stop != NULL && *stop));
    if (store_rollup_forget(s, before_us, d) < 0)
        return -1;
    if (stop != NULL && *stop)
        return 0;
    if (run_delete(s, del_replies, 0, NULL, &out->reply_texts, d) < 0)
        return -1;
    gmtime_r(&secs, &tm);
    strftime(cutoff, sizeof cutoff, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (run_delete(s, del_samples, 0, cutoff, &out->samples, d) < 0)
        return -1;
    return 0;
}
