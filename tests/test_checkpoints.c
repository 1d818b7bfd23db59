/*
 * test_checkpoints - a bulk ingest's checkpoints in a thread of their own (store.c): they run,
 * the WAL stays bounded, and what was committed is whole in the database file after close.
 *
 * store.c is built into this test with STORE_SETTLE_FRAMES=2048 (8 MiB), so that a few
 * transactions of ~5 MB show the WAL being let start again; the archive's store.o is then
 * not linked.
 */
#include "store.h"
#include "store_internal.h"
#include "testutil.h"
#include "timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEXT_BYTES 2000
#define PER_TXN    2500 /* ~5 MB of WAL a transaction: past 1,000 frames, below 2,048 */

static char dbpath[600];

static struct store *fresh_store(const char *name)
{
    struct store *s = NULL;
    struct diag d = {""};

    snprintf(dbpath, sizeof dbpath, "%s/%s", tu_tempdir(), name);
    unlink(dbpath);
    ck_assert_msg(store_open(dbpath, STORE_READ_WRITE, 1000, &s, &d) == 0, "%s", d.msg);
    return s;
}

static long long file_size(const char *suffix)
{
    char path[700];
    struct stat sb;

    snprintf(path, sizeof path, "%s%s", dbpath, suffix);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* add_events - PER_TXN events with texts of TEXT_BYTES that differ from event to event */
static void add_events(struct store *s, int txn)
{
    static char text[TEXT_BYTES + 1];
    struct diag d = {""};
    struct event ev;

    for (int i = 0; i < PER_TXN; i++) {
        snprintf(text, sizeof text, "%d-%d ", txn, i);
        for (size_t k = strlen(text); k < TEXT_BYTES; k++)
            text[k] = (char)('a' + (k * 7 + (size_t)i) % 26);
        text[TEXT_BYTES] = '\0';
        event_init(&ev);
        ev.ts_us = days_from_civil(2026, 11, 1) * 86400 * US_PER_SEC + (int64_t)i * US_PER_SEC;
        ev.mta = "postfix";
        ev.kind = EVENT_REJECT;
        ev.direction = DIRECTION_INBOUND;
        ev.recipient = "bob@example.org";
        ev.reply_code = 550;
        ev.text = text;
        ck_assert_msg(store_event_add(s, &ev, 0, 0, &d) == 0, "%s", d.msg);
    }
}

static long long count_events(struct store *s)
{
    struct diag d = {""};
    struct store_stmt *st = store_stmt_prepare(s, "SELECT count(*) FROM events", &d);
    long long n;

    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(store_step(s, st, &d), 1);
    n = (long long)store_column_int64(st, 0);
    store_stmt_finalize(st);
    return n;
}

static void assert_whole(int txns)
{
    struct store *s = NULL;
    struct diag d = {""};
    struct store_stmt *st;

    ck_assert_int_eq(file_size("-wal"), 0); /* the close folded it back */
    ck_assert_msg(store_open(dbpath, STORE_READ_ONLY, 1000, &s, &d) == 0, "%s", d.msg);
    ck_assert_int_eq(count_events(s), (long long)txns * PER_TXN);
    st = store_stmt_prepare(s, "PRAGMA integrity_check", &d);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(store_step(s, st, &d), 1);
    ck_assert_str_eq(store_column_text(st, 0), "ok");
    store_stmt_finalize(st);
    store_close(s);
}

/*
 * Each commit leaves more than 1,000 frames: a checkpoint is due every time, and the thread
 * runs every one that was asked for before it stops. Transactions follow each other at once,
 * as in a busy ingest, so the WAL starts again only when the writer waits for a copy: past
 * 2,048 frames it does, and the WAL never holds much more than that and one transaction.
 */
START_TEST(test_background_checkpoints)
{
    struct store *s = fresh_store("ckpt.db");
    struct diag d = {""};
    const int txns = 10;
    long long wal_max = 0;

    ck_assert_int_eq(store_ingest_tuning(s, 1, &d), 0);
    for (int t = 0; t < txns; t++) {
        ck_assert_msg(store_begin(s, &d) == 0, "%s", d.msg);
        add_events(s, t);
        ck_assert_msg(store_commit(s, &d) == 0, "%s", d.msg);
        if (file_size("-wal") > wal_max)
            wal_max = file_size("-wal");
    }
    ck_assert_int_eq(store_ingest_tuning(s, 0, &d), 0);
    ck_assert_int_ge(store_background_checkpoints(s), 1);
    /* ~120 MB went through the WAL; 8 MiB and two transactions' worth is the most it may hold */
    ck_assert_msg(wal_max < 24LL * 1024 * 1024, "the WAL grew to %lld bytes", wal_max);
    ck_assert_int_eq(count_events(s), (long long)txns * PER_TXN);
    store_close(s);
    assert_whole(txns);
}
END_TEST

/* closing the store with the thread still running stops it first, and loses nothing */
START_TEST(test_close_while_tuned)
{
    struct store *s = fresh_store("ckpt-close.db");
    struct diag d = {""};

    ck_assert_int_eq(store_ingest_tuning(s, 1, &d), 0);
    for (int t = 0; t < 2; t++) {
        ck_assert_msg(store_begin(s, &d) == 0, "%s", d.msg);
        add_events(s, t);
        ck_assert_msg(store_commit(s, &d) == 0, "%s", d.msg);
    }
    store_close(s);
    assert_whole(2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("checkpoints");
    TCase *tc = tcase_create("checkpoints");

    tcase_add_test(tc, test_background_checkpoints);
    tcase_add_test(tc, test_close_while_tuned);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
