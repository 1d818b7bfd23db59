/*
 * test_rollup - the roll-ups change what a report or top costs, never what it says
 *
 * Every sample set (Postfix on three hosts across New Year in several zones, Exim, Exchange)
 * goes into one database, copied twice. One copy is only ever read by a user who cannot write
 * it (nobody, when the tests run as root), so nothing is rolled up and every answer comes from
 * the events; the other is written, so reports and top roll its days up and answer from the
 * roll-ups. The two must print the same bytes, for periods that start and end on and off the
 * hour, in zones a whole, a half and a non-hour offset from UTC, with every filter; and again
 * with some days rolled up and some not, after an ingest adds to a rolled-up day, and after a
 * prune.
 */
#include "event.h"
#include "store.h"
#include "store_rollup.h"
#include "store_top.h"
#include "testutil.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIN "NO_COLOR=1 " REJECTLENS_BIN

static char dir[600], raw[700], rolled[700], as_other[128];

/* sh - run a shell command that must succeed */
__attribute__((format(printf, 1, 2))) static void sh(const char *fmt, ...)
{
    char cmd[4096];
    char *err = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(tu_run(cmd, NULL, &err) == 0, "%s: %s", cmd, err ? err : "");
    free(err);
}

/* setup - the sample sets in one database, and its two copies (built once per process) */
static void setup(void)
{
    static const char *const sets[] = {"postfix", "exim", "exchange"};

    snprintf(dir, sizeof dir, "%s/rollup", tu_tempdir());
    snprintf(raw, sizeof raw, "%s/raw.db", dir);
    snprintf(rolled, sizeof rolled, "%s/rolled.db", dir);
    /* root writes whatever the mode says: the raw copy is read as nobody */
    if (geteuid() == 0)
        snprintf(as_other, sizeof as_other, "setpriv --reuid=65534 --regid=65534 --clear-groups ");
    if (tu_exists(rolled))
        return; /* made by an earlier test of this run */
    sh("mkdir -p '%s' && chmod 0777 '%s' && chmod 0755 '%s'", dir, dir, tu_tempdir());
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        sh("cd '%s/samples/%s' && " BIN " ingest -q --db '%s' $(cat golden.args)", SOURCE_DIR,
           sets[i], raw);
    sh("cp '%s' '%s' && chmod 0444 '%s'", raw, rolled, raw);
}

/* without_stamp - out with the time the report was made taken out (it differs by a second) */
static void without_stamp(char *out)
{
    char *p = strstr(out, "\"generated\":\"");

    if (p != NULL) {
        char *end = strchr(p + 13, '"');
        if (end != NULL)
            memmove(p, end + 1, strlen(end + 1) + 1);
    }
}

/*
 * same_dbs - "rejectlens ARGS" (with TZ) on the copies raw_db (read by a user who may not
 * write it) and rolled_db prints the same; the rolled copy rolls up what it reads. Returns how
 * many bytes it printed.
 */
static size_t same_dbs(const char *tz, const char *args, const char *raw_db, const char *rolled_db)
{
    char cmd[4096], *a = NULL, *b = NULL, *ea = NULL, *eb = NULL;
    int ra, rb;
    size_t len;

    snprintf(cmd, sizeof cmd, "TZ=%s NO_COLOR=1 %s" REJECTLENS_BIN " %s --db '%s'", tz, as_other,
             args, raw_db);
    ra = tu_run(cmd, &a, &ea);
    snprintf(cmd, sizeof cmd, "TZ=%s " BIN " %s --db '%s'", tz, args, rolled_db);
    rb = tu_run(cmd, &b, &eb);
    ck_assert_msg(ra == 0 && rb == 0, "TZ=%s %s: exit %d and %d: %s / %s", tz, args, ra, rb, ea,
                  eb);
    without_stamp(a);
    without_stamp(b);
    if (strcmp(a, b) != 0) {
        size_t i = 0;
        while (a[i] == b[i])
            i++;
        ck_abort_msg("TZ=%s %s: from the events and from the roll-ups differ at byte %zu:\n"
                     "%.200s\n----\n%.200s",
                     tz, args, i, a + (i > 60 ? i - 60 : 0), b + (i > 60 ? i - 60 : 0));
    }
    len = strlen(a);
    free(a);
    free(b);
    free(ea);
    free(eb);
    return len;
}

/* same - same_dbs on the samples' two copies */
static size_t same(const char *tz, const char *args)
{
    return same_dbs(tz, args, raw, rolled);
}

static const char *const zones[] = {"UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns",
                                    "Asia/Kathmandu"};

/* the report's periods and filters (the samples run from 2016 to March 2026) */
static const char *const reports[] = {
    "--since 2025-12-01 --until 2026-03-10",
    "--period 2026-01-05..2026-01-11",
    "--period 2025-12-31",
    "--since 2025-12-28T07:30 --until 2026-01-02T13:10",
    "--since 2025-12-28T07:30:01.5 --until 2026-01-02T13:00 --compare none",
    "--since 2025-12-01 --until 2026-03-10 --only-550 --top 3",
    "--since 2025-12-01 --until 2026-03-10 --codes 4xx,554",
    "--since 2025-12-01 --until 2026-03-10 --mta exim --direction outbound",
    "--since 2025-12-01 --until 2026-03-10 --host mx2 --direction inbound",
    "--since @0 --compare none",
};

START_TEST(test_report_same)
{
    char args[512];
    size_t bytes = 0;

    setup();
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++) {
        snprintf(args, sizeof args, "report %s --now 2026-03-10 --format json", reports[i]);
        bytes += same(zones[_i], args);
    }
    ck_assert_uint_gt(bytes, 50000);
    /* the rolled copy rolled up every day with events (and no other); the raw one did not */
    ck_assert_int_gt(tu_sql_int(rolled, "SELECT count(*) FROM rollup_days"), 10);
    ck_assert_int_eq(tu_sql_int(rolled, "SELECT count(*) FROM rollup_days"),
                     tu_sql_int(rolled, "SELECT count(DISTINCT ts / 86400000000) FROM events"));
    ck_assert_int_eq(tu_sql_int(raw, "SELECT count(*) FROM rollup_days"), 0);
}
END_TEST

/* top's subjects over periods on and off the hour, with its filters (one subject a run) */
static const char *const subjects[] = {"categories", "domains",    "relays", "clients",
                                       "senders",    "recipients", "helos",  "texts"};

START_TEST(test_top_same)
{
    static const char *const filters[] = {
        "--since 2025-12-20 --until 2026-01-20",
        "--since 2026-01-05T10:17 --until 2026-01-12T03:45 --limit 5",
        "--since 2025-12-01 --until 2026-03-05 --direction outbound --limit 0",
        "--since 2025-12-01 --until 2026-03-05 --kind reject,defer",
        "--since 2025-12-01 --until 2026-03-05 --category recipient_unknown",
        "--since 2025-12-01 --until 2026-03-05 --mta postfix --host mx1 --kind bounce",
    };
    char args[512];

    setup();
    for (size_t f = 0; f < sizeof filters / sizeof filters[0]; f++) {
        snprintf(args, sizeof args, "top %s %s --format tsv", subjects[_i], filters[f]);
        same(zones[(_i + f) % (sizeof zones / sizeof zones[0])], args);
    }
}
END_TEST

/* summary's periods: its counts by kind, direction, code, status and cause are per period */
static const char *const summaries[] = {
    "",
    "--since 2025-12-01 --until 2026-03-10",
    "--since 2025-12-28T07:30 --until 2026-01-02T13:10",
    "--since 2025-12-28T07:30:01.5 --until 2026-01-02T13:00 --samples 0",
    "--since 2026-01-05 --until 2026-01-06",
    "--until 2026-01-01T00:30",
};

START_TEST(test_summary_same)
{
    char args[512];
    size_t bytes = 0;

    setup();
    for (size_t i = 0; i < sizeof summaries / sizeof summaries[0]; i++) {
        snprintf(args, sizeof args, "summary %s", summaries[i]);
        bytes += same(zones[(_i + i) % (sizeof zones / sizeof zones[0])], args);
    }
    ck_assert_uint_gt(bytes, 10000);
    /* a summary of every event rolled up every day it read */
    ck_assert_int_eq(tu_sql_int(rolled, "SELECT count(*) FROM rollup_days"),
                     tu_sql_int(rolled, "SELECT count(DISTINCT ts / 86400000000) FROM events"));
    ck_assert_int_eq(tu_sql_int(raw, "SELECT count(*) FROM rollup_days"), 0);
}
END_TEST

/* same_as_raw - "rejectlens ARGS" on db, read by a user who may not write it, prints what it
 * prints on the raw copy */
static void same_as_raw(const char *db, const char *args)
{
    char cmd[2000], *a, *b;

    snprintf(cmd, sizeof cmd, "TZ=Europe/Berlin %s" REJECTLENS_BIN " %s --db '%s'", as_other, args,
             raw);
    ck_assert_int_eq(tu_run(cmd, &a, NULL), 0);
    snprintf(cmd, sizeof cmd, "TZ=Europe/Berlin %s" REJECTLENS_BIN " %s --db '%s'", as_other, args,
             db);
    ck_assert_int_eq(tu_run(cmd, &b, NULL), 0);
    without_stamp(a);
    without_stamp(b);
    ck_assert_msg(strcmp(a, b) == 0, "%s differs with some days rolled up", args);
    free(a);
    free(b);
}

/* some days rolled up, some not, some stale: read as it is (no one may write it) */
START_TEST(test_partly_rolled)
{
    char part[800], args[512];

    setup();
    same("UTC", "report --since 2025-12-01 --until 2026-03-10 --now 2026-03-10 --format json");
    snprintf(part, sizeof part, "%s/part.db", dir);
    sh("cp '%s' '%s' && sqlite3 '%s' 'DELETE FROM rollup_days WHERE day %% 3 = 0' && chmod 0444 "
       "'%s'",
       rolled, part, part, part);
    ck_assert_int_gt(tu_sql_int(part, "SELECT count(*) FROM rollup_days"), 5);
    ck_assert_int_lt(tu_sql_int(part, "SELECT count(*) FROM rollup_days"),
                     tu_sql_int(rolled, "SELECT count(*) FROM rollup_days"));
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++) {
        snprintf(args, sizeof args, "report %s --now 2026-03-10 --format json", reports[i]);
        same_as_raw(part, args);
    }
    for (size_t i = 0; i < sizeof summaries / sizeof summaries[0]; i++) {
        snprintf(args, sizeof args, "summary %s", summaries[i]);
        same_as_raw(part, args);
    }
    /* nothing was rolled up by a reader who may not write */
    ck_assert_int_eq(tu_sql_int(part, "SELECT count(*) FROM rollup_days WHERE day % 3 = 0"), 0);
}
END_TEST

/*
 * addresses as a hostile log may write them: the roll-up works an address's lower-cased form
 * and its domain out itself, SQL the events'; both must count every one under the same value
 * (several '@', none, nothing after it, upper case, UTF-8, bytes that are not UTF-8 around
 * the '@', control bytes)
 */
START_TEST(test_odd_addresses)
{
    static const char *const addrs[] = {
        "Bob@Example.COM",
        "a@b@Example.NET",
        "user@",
        "@@@",
        "@",
        "NoAt.example",
        "J\xc3\xb6rg@B\xc3\xbc"
        "cher.DE",
        "x\xc3@\xa9Y.org",
        "Z@\xa9\xc3",
        "\xff\xfe@\xfe\xff.Org",
        "tab\x01@ctl.ORG",
        "bob@example.com",
    };
    static const char *const asks[] = {
        "top domains --since @0 --format tsv --limit 0",
        "top recipients --since @0 --format tsv --limit 0",
        "top senders --since @0 --format tsv --limit 0",
        "report --since @0 --now 2026-03-10 --format json",
    };
    char log[800], raw_db[800], rolled_db[800], cmd[2000], *out = NULL;
    FILE *f;

    setup();
    snprintf(log, sizeof log, "%s/odd.log", dir);
    snprintf(raw_db, sizeof raw_db, "%s/odd-raw.db", dir);
    snprintf(rolled_db, sizeof rolled_db, "%s/odd-rolled.db", dir);
    ck_assert_ptr_nonnull(f = fopen(log, "w"));
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
        for (int j = 0; j < 2; j++) /* inbound: the sender's domain counts */
            fprintf(f,
                    "Jan  2 10:%02zu:%02d mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
                    "unknown[192.0.2.%zu]: 550 5.1.1 <%s>: Recipient address rejected: User "
                    "unknown in virtual mailbox table; from=<%s> to=<%s> proto=ESMTP helo=<h>\n",
                    i, j, i + 1, addrs[i], j ? addrs[i] : "Sender@Example.ORG", addrs[i]);
    ck_assert_int_eq(fclose(f), 0);
    sh("rm -f '%s' '%s' && chmod 0644 '%s' && " BIN
       " ingest -q --db '%s' --year-ref 2026-01-08 --timezone UTC '%s' && cp '%s' '%s' && "
       "chmod 0444 '%s'",
       raw_db, rolled_db, log, raw_db, log, raw_db, rolled_db, raw_db);
    for (size_t i = 0; i < sizeof asks / sizeof asks[0]; i++)
        same_dbs("UTC", asks[i], raw_db, rolled_db);
    ck_assert_int_eq(tu_sql_int(rolled_db, "SELECT count(*) FROM rollup_days"), 1);
    ck_assert_int_eq(tu_sql_int(raw_db, "SELECT count(*) FROM rollup_days"), 0);
    /* what SQL says a domain is, on the rolled copy: after the last '@', ASCII lower-cased;
     * SQLite's rtrim takes "\xc3@" apart as UTF-8 would not */
    snprintf(cmd, sizeof cmd, BIN " top domains --since @0 --format tsv --limit 0 --db '%s'",
             rolled_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "\nexample.net\t"));
    ck_assert_ptr_nonnull(strstr(out, "\nb\xc3\xbc"
                                      "cher.de\t"));
    ck_assert_ptr_nonnull(strstr(out, "\ny.org\t"));
    ck_assert_ptr_nonnull(strstr(out, "\nctl.org\t"));
    free(out);
}
END_TEST

/* an ingest into a rolled-up day makes it stale; a prune takes its roll-up away */
START_TEST(test_stale)
{
    static const char late[] =
        "2026-01-07T12:00:00.250000+00:00 mx9 postfix/smtpd[5]: NOQUEUE: reject: RCPT from "
        "unknown[203.0.113.77]: 550 5.1.1 <late@example.com>: Recipient address rejected: "
        "User unknown in virtual mailbox table; from=<x@late.example> to=<late@example.com> "
        "proto=ESMTP helo=<late>\n";
    char log[800], cmd[2000], *out;

    setup();
    same("UTC", "report --period 2026-01-05..2026-01-11 --now 2026-03-10 --format json");
    same("UTC", "top recipients --since 2026-01-07 --until 2026-01-08 --format tsv --limit 0");
    /* 2026-01-07 is day 20460 since 1970 */
    ck_assert_int_eq(tu_sql_int(rolled, "SELECT count(*) FROM rollup_days WHERE day = 20460"), 1);
    snprintf(log, sizeof log, "%s/late.log", dir);
    tu_write_file(log, late, -1);
    sh("chmod 0644 '%s' && " BIN " ingest -q --db '%s' '%s' && " BIN
       " ingest -q --db '%s' '%s' && chmod 0444 '%s'",
       raw, raw, log, rolled, log, raw);
    /* the ingest did nothing to the roll-ups: the day is still listed, as of an older event */
    ck_assert_int_eq(tu_sql_int(rolled, "SELECT count(*) FROM rollup_days WHERE day = 20460 AND "
                                        "max_id < (SELECT max(id) FROM events)"),
                     1);
    /* a reader who may not write reads the stale day from the events */
    char stale[800];
    snprintf(stale, sizeof stale, "%s/stale.db", dir);
    sh("cp '%s' '%s' && chmod 0444 '%s'", rolled, stale, stale);
    snprintf(cmd, sizeof cmd,
             "TZ=UTC %s" REJECTLENS_BIN " top recipients --since 2026-01-07 --until 2026-01-08 "
             "--format tsv --limit 0 --db '%s'",
             as_other, stale);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "\nlate@example.com\t1\t"));
    free(out);
    ck_assert_int_eq(tu_sql_int(stale, "SELECT count(*) FROM rollup_days WHERE day = 20460 AND "
                                       "max_id < (SELECT max(id) FROM events)"),
                     1);
    /* the new event counts, from the events and from the day rolled up again */
    same("UTC", "top recipients --since 2026-01-07 --until 2026-01-08 --format tsv --limit 0");
    same("UTC", "report --period 2026-01-05..2026-01-11 --now 2026-03-10 --format json");
    ck_assert_int_eq(tu_sql_int(rolled, "SELECT count(*) FROM rollup_days WHERE day = 20460 AND "
                                        "max_id = (SELECT max(id) FROM events)"),
                     1);
    snprintf(cmd, sizeof cmd,
             "TZ=UTC " BIN " top recipients --since 2026-01-07 --until 2026-01-08 --format tsv "
             "--limit 0 --db '%s'",
             rolled);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "\nlate@example.com\t1\t"));
    free(out);
    /* a prune deletes the roll-ups of the days it empties (2026-01-01 is day 20454) */
    sh("chmod 0644 '%s' && " BIN " prune -q --db '%s' --older-than 2026-01-01 && " BIN
       " prune -q --db '%s' --older-than 2026-01-01 && chmod 0444 '%s'",
       raw, raw, rolled, raw);
    ck_assert_int_eq(tu_sql_int(rolled, "SELECT count(*) FROM rollup_days WHERE day < 20454"), 0);
    ck_assert_int_eq(
        tu_sql_int(rolled, "SELECT count(*) FROM rollup_failures WHERE start < 20454 * 24"), 0);
    ck_assert_int_eq(
        tu_sql_int(rolled, "SELECT count(*) FROM rollup_values WHERE hour < 20454 * 24"), 0);
    ck_assert_int_eq(
        tu_sql_int(rolled, "SELECT count(*) FROM rollup_kinds WHERE hour < 20454 * 24"), 0);
    same("Europe/Berlin", "report --since @0 --compare none --now 2026-03-10 --format json");
    /* each group is numbered once, however many runs rolled its days up */
    ck_assert_int_eq(tu_sql_int(rolled, "SELECT count(*) FROM (SELECT 1 FROM rollup_groups GROUP "
                                        "BY reply_text_id, kind, reply_code, status, direction, "
                                        "mta, host HAVING count(*) > 1)"),
                     0);
}
END_TEST

/* top_result_same - a and b list the same rows with the same counts and totals */
static void top_result_same(const struct top_result *a, const struct top_result *b,
                            const char *what)
{
    ck_assert_msg(a->total == b->total && a->previous_total == b->previous_total,
                  "%s: totals %lld/%lld against %lld/%lld", what, (long long)a->total,
                  (long long)a->previous_total, (long long)b->total, (long long)b->previous_total);
    ck_assert_msg(a->n == b->n, "%s: %zu rows against %zu", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const struct top_row *x = &a->rows[i], *y = &b->rows[i];
        ck_assert_msg((x->key == NULL) == (y->key == NULL) &&
                          (x->key == NULL || strcmp(x->key, y->key) == 0) &&
                          (x->detail == NULL) == (y->detail == NULL) &&
                          (x->detail == NULL || strcmp(x->detail, y->detail) == 0) &&
                          x->count == y->count && x->previous == y->previous,
                      "%s: row %zu: %s (%s) %lld/%lld against %s (%s) %lld/%lld", what, i,
                      x->key ? x->key : "NULL", x->detail ? x->detail : "NULL", (long long)x->count,
                      (long long)x->previous, y->key ? y->key : "NULL",
                      y->detail ? y->detail : "NULL", (long long)y->count, (long long)y->previous);
    }
}

/*
 * store_top counts in memory (from the roll-ups, or the events one at a time) up to
 * max_values distinct values, and beyond them leaves the count to SQL's GROUP BY: the same rows
 * either way, for every subject, kinds that the roll-ups count and kinds they do not (every
 * delivery), on the copy never rolled up and the rolled one, with filters
 */
START_TEST(test_top_in_memory_or_by_sql)
{
    static const unsigned kind_sets[] = {
        0, /* every kind */
        1u << EVENT_DELIVER,
        (1u << EVENT_REJECT) | (1u << EVENT_BOUNCE) | (1u << EVENT_EXPIRE),
        (1u << EVENT_DEFER) | (1u << EVENT_DELIVER) | (1u << EVENT_HOLD),
    };
    /* 2025-12-01, 2026-01-05T10:17, 2026-03-10 in UTC */
    static const int64_t since[] = {INT64_MIN, INT64_C(1764547200000000),
                                    INT64_C(1767608220000000)};
    static const int64_t until = INT64_C(1773100800000000);
    const char *dbs[2];
    size_t rows = 0, cases = 0;
    struct diag d;

    setup();
    dbs[0] = raw;
    dbs[1] = rolled;
    for (int db = 0; db < 2; db++) {
        struct store *s = NULL;
        ck_assert_msg(
            store_open(dbs[db], db == 0 ? STORE_READ_ONLY : STORE_READ_WRITE, 5000, &s, &d) == 0,
            "%s", d.msg);
        if (db == 1)
            ck_assert_msg(store_rollup_build(s, INT64_MIN, INT64_MAX, &d) == 0, "%s", d.msg);
        for (int t = 0; t < TOP_SUBJECT_COUNT; t++)
            for (size_t k = 0; k < sizeof kind_sets / sizeof kind_sets[0]; k++)
                for (size_t p = 0; p < sizeof since / sizeof since[0]; p++)
                    for (int filter = 0; filter < 3; filter++) {
                        struct top_filter f = {0};
                        struct top_result a, b;
                        char what[200];
                        f.kinds = kind_sets[k];
                        f.since_us = since[p];
                        f.until_us = until;
                        f.prev_since_us = p == 0 ? since[p] : since[p] - (until - since[p]);
                        f.direction = filter == 1 ? DIRECTION_OUTBOUND : DIRECTION_NONE;
                        f.mta = filter == 2 ? "postfix" : NULL;
                        f.limit = filter == 2 ? 5 : 0;
                        snprintf(what, sizeof what, "%s: top %s, kinds %#x, since %lld, filter %d",
                                 db == 0 ? "raw" : "rolled", top_subject_name(t), f.kinds,
                                 (long long)f.since_us, filter);
                        ck_assert_msg(store_top(s, t, &f, &a, &d) == 0, "%s: %s", what, d.msg);
                        f.max_values = 1;
                        ck_assert_msg(store_top(s, t, &f, &b, &d) == 0, "%s: %s", what, d.msg);
                        top_result_same(&a, &b, what);
                        rows += a.n;
                        cases++;
                        store_top_free(&a);
                        store_top_free(&b);
                    }
        store_close(s);
    }
    /* the samples have hundreds of values per subject: the comparison was not of nothing */
    ck_assert_uint_gt(rows, 20 * cases);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rollup");
    TCase *tc = tcase_create("same");

    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_report_same, 0, sizeof zones / sizeof zones[0]);
    tcase_add_loop_test(tc, test_top_same, 0, sizeof subjects / sizeof subjects[0]);
    tcase_add_loop_test(tc, test_summary_same, 0, sizeof zones / sizeof zones[0]);
    tcase_add_test(tc, test_partly_rolled);
    tcase_add_test(tc, test_stale);
    tcase_add_test(tc, test_odd_addresses);
    tcase_add_test(tc, test_top_in_memory_or_by_sql);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
