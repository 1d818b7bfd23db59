/*
 * store_prune - forget old events, and what only they needed (see store.h)
 *
 * DESCRIPTION
 *	Events go in batches of PRUNE_BATCH, each batch its own transaction: a prune of a year
 *	of events neither holds the write lock for long nor grows the WAL without bound, and a
 *	crash in the middle keeps the batches done. The sources are never touched: a source's
 *	offset is what keeps the lines of a file still on disk from being read a second time.
 */
#include "store_internal.h"

#include <stdio.h>
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

int store_prune(struct store *s, int64_t before_us, const volatile sig_atomic_t *stop,
                struct store_prune_result *out, struct diag *d)
{
    static const char del_events[] = "DELETE FROM events WHERE id IN "
                                     "(SELECT id FROM events WHERE ts < ?1 LIMIT 20000)";
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
    do {
        if (run_delete(s, del_events, before_us, NULL, &n, d) < 0)
            return -1;
        out->events += n;
    } while (n == PRUNE_BATCH && !(stop != NULL && *stop));
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
