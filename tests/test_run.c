/*
 * test_run - the pieces of "rejectlens run" that need no log: which report period is due on
 * which day, that a period is sent once (and retried when sending failed), the argv handed to
 * the report command, and the order a rotation set is read in
 */
#include "cli.h"
#include "config.h"
#include "logfiles.h"
#include "run_reports.h"
#include "schedule.h"
#include "store.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static struct config_report report(enum config_period p, int weekday, int monthday)
{
    struct config_report r;

    memset(&r, 0, sizeof r);
    r.name = "r";
    r.period = p;
    r.weekday = weekday;
    r.monthday = monthday;
    return r;
}

static const struct {
    enum config_period period;
    int weekday, monthday;
    const char *today; /* YYYY-MM-DD */
    const char *start, *last, *as_of;
} due[] = {
    /* daily: yesterday, also across a month and a year */
    {PERIOD_DAILY, 1, 1, "2026-03-11", "2026-03-10", "2026-03-10", "2026-03-11"},
    {PERIOD_DAILY, 1, 1, "2026-03-01", "2026-02-28", "2026-02-28", "2026-03-01"},
    {PERIOD_DAILY, 1, 1, "2027-01-01", "2026-12-31", "2026-12-31", "2027-01-01"},
    /* weekly on Monday: on the Monday, the week before; on Tuesday, still that week */
    {PERIOD_WEEKLY, 1, 1, "2026-03-09", "2026-03-02", "2026-03-08", "2026-03-09"},
    {PERIOD_WEEKLY, 1, 1, "2026-03-10", "2026-03-02", "2026-03-08", "2026-03-09"},
    {PERIOD_WEEKLY, 1, 1, "2026-03-15", "2026-03-02", "2026-03-08", "2026-03-09"},
    {PERIOD_WEEKLY, 1, 1, "2026-03-16", "2026-03-09", "2026-03-15", "2026-03-16"},
    /* weekly on Wednesday: Monday and Tuesday still belong to the send day before */
    {PERIOD_WEEKLY, 3, 1, "2026-03-10", "2026-02-23", "2026-03-01", "2026-03-04"},
    {PERIOD_WEEKLY, 3, 1, "2026-03-11", "2026-03-02", "2026-03-08", "2026-03-11"},
    /* weekly on Sunday: the last full week is the one before the Sunday's own */
    {PERIOD_WEEKLY, 0, 1, "2026-03-15", "2026-03-02", "2026-03-08", "2026-03-15"},
    /* across New Year */
    {PERIOD_WEEKLY, 1, 1, "2027-01-04", "2026-12-28", "2027-01-03", "2027-01-04"},
    /* monthly on the 1st, the 3rd, the 31st (the last day of shorter months) */
    {PERIOD_MONTHLY, 1, 1, "2026-03-01", "2026-02-01", "2026-02-28", "2026-03-01"},
    {PERIOD_MONTHLY, 1, 1, "2026-03-20", "2026-02-01", "2026-02-28", "2026-03-01"},
    {PERIOD_MONTHLY, 1, 3, "2026-03-02", "2026-01-01", "2026-01-31", "2026-02-03"},
    {PERIOD_MONTHLY, 1, 31, "2026-02-28", "2026-01-01", "2026-01-31", "2026-02-28"},
    {PERIOD_MONTHLY, 1, 31, "2026-03-30", "2026-01-01", "2026-01-31", "2026-02-28"},
    {PERIOD_MONTHLY, 1, 1, "2026-01-05", "2025-12-01", "2025-12-31", "2026-01-01"},
    {PERIOD_MONTHLY, 1, 15, "2026-01-05", "2025-11-01", "2025-11-30", "2025-12-15"},
};

START_TEST(test_schedule)
{
    struct config_report r = report(due[_i].period, due[_i].weekday, due[_i].monthday);
    struct due_period p;
    int y, m, d;

    ck_assert_int_eq(sscanf(due[_i].today, "%d-%d-%d", &y, &m, &d), 3);
    schedule_due(&r, y, m, d, &p);
    ck_assert_msg(strcmp(p.start, due[_i].start) == 0 && strcmp(p.last, due[_i].last) == 0 &&
                      strcmp(p.as_of, due[_i].as_of) == 0,
                  "case %d (%s): got %s..%s as of %s", _i, due[_i].today, p.start, p.last, p.as_of);
}
END_TEST

/* ------------------------------------------------------------------ the report step */

static int calls, fail_calls;
static char last_argv[4096];

static int fake_report(int argc, char **argv)
{
    size_t o = 0;

    calls++;
    last_argv[0] = '\0';
    for (int i = 0; i < argc && o < sizeof last_argv - 1; i++)
        o += (size_t)snprintf(last_argv + o, sizeof last_argv - o, "%s%s", i ? " " : "", argv[i]);
    ck_assert_ptr_null(argv[argc]);
    return fail_calls > 0 ? (fail_calls--, 1) : 0;
}

static int64_t local_noon(int y, int m, int d)
{
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = 12;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

static struct store *fresh_store(const char *name, char *path, size_t cap)
{
    struct store *s = NULL;
    struct diag d = {""};

    snprintf(path, cap, "%s/%s", tu_tempdir(), name);
    unlink(path);
    ck_assert_msg(store_open(path, STORE_READ_WRITE, 1000, &s, &d) == 0, "%s", d.msg);
    /* one event, long before every period below: reports are due only once there is data */
    struct event ev;
    event_init(&ev);
    ev.ts_us = INT64_C(1735689600) * 1000000; /* 2025-01-01 */
    ev.mta = "postfix";
    ev.kind = EVENT_REJECT;
    ck_assert_int_eq(store_begin(s, &d), 0);
    ck_assert_msg(store_event_add(s, &ev, 0, 0, &d) == 0, "%s", d.msg);
    ck_assert_int_eq(store_commit(s, &d), 0);
    return s;
}

/* an empty database: nothing is due (a new installation reports nothing of the past) */
START_TEST(test_reports_need_data)
{
    char db[700];
    struct store *s = NULL;
    struct config *cfg = NULL;
    struct run_reports_result rr;
    struct diag d = {""};

    snprintf(db, sizeof db, "%s/empty.db", tu_tempdir());
    unlink(db);
    ck_assert_int_eq(store_open(db, STORE_READ_WRITE, 1000, &s, &d), 0);
    ck_assert_int_eq(config_load_string("c.yaml",
                                        "reports:\n  - name: d\n    period: daily\n"
                                        "    to: a@example.org\n",
                                        &cfg, &d),
                     0);
    calls = 0;
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 3, 9), fake_report, 0, &rr, &d), 0);
    ck_assert_int_eq(calls, 0);
    ck_assert_int_eq(rr.due, 0);
    store_close(s);
    config_free(cfg);
}
END_TEST

static const char yaml[] = "reports:\n"
                           "  - name: weekly\n"
                           "    period: weekly\n"
                           "    weekday: monday\n"
                           "    to: [a@example.org, b@example.org]\n"
                           "    from: rl@example.org\n"
                           "    subject: Last week\n"
                           "    smtp: smtp://mail.example.org:587\n"
                           "    smtp_user: rl\n"
                           "    smtp_password_file: /etc/rl-pw\n"
                           "    codes: 5xx\n"
                           "    top: 5\n";

START_TEST(test_reports_once)
{
    char db[700];
    struct store *s = fresh_store("sched.db", db, sizeof db);
    struct config *cfg = NULL;
    struct run_reports_result rr;
    struct diag d = {""};
    char *err;

    ck_assert_msg(config_load_string("c.yaml", yaml, &cfg, &d) == 0, "%s", d.msg);
    calls = fail_calls = 0;
    /* Monday: due, sent, with the argv the configuration gives */
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 3, 9), fake_report, 0, &rr, &d), 0);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(rr.due, 1);
    ck_assert_int_eq(rr.sent, 1);
    char want[2048];
    snprintf(want, sizeof want,
             "report --db %s --period last-week --now 2026-03-09 --codes 5xx --top 5 "
             "--mail-to a@example.org,b@example.org --mail-from rl@example.org --subject "
             "Last week --smtp smtp://mail.example.org:587 --smtp-user rl "
             "--smtp-password-file /etc/rl-pw",
             db);
    ck_assert_str_eq(last_argv, want);
    /* Tuesday and Sunday: the same week, sent already */
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 3, 10), fake_report, 0, &rr, &d), 0);
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 3, 15), fake_report, 0, &rr, &d), 0);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(rr.due, 0);
    /* the next Monday: the next week; sending fails, so it is not recorded ... */
    fail_calls = 1;
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 3, 16), fake_report, 0, &rr, &d), 0);
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(rr.sent, 0);
    ck_assert_int_eq(rr.problems, 1);
    /* ... and Tuesday's run sends it, as of Monday */
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 3, 17), fake_report, 0, &rr, &d), 0);
    ck_assert_int_eq(calls, 3);
    ck_assert_int_eq(rr.sent, 1);
    ck_assert_ptr_nonnull(strstr(last_argv, "--now 2026-03-16"));
    /* a run that died while sending the week of 2026-03-16: never sent again, one warning
     * (captured from stderr), then silence */
    ck_assert_int_eq(store_report_run_begin(s, "weekly", "2026-03-16", "2026-03-23", &d), 0);
    char errpath[700];
    snprintf(errpath, sizeof errpath, "%s/sched.err", tu_tempdir());
    fflush(stderr);
    ck_assert_ptr_nonnull(freopen(errpath, "w", stderr));
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 3, 23), fake_report, 0, &rr, &d), 0);
    ck_assert_int_eq(rr.problems, 1);
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 3, 24), fake_report, 0, &rr, &d), 0);
    ck_assert_int_eq(rr.problems, 0); /* told once */
    fflush(stderr);
    err = tu_read_file(errpath, NULL);
    ck_assert_ptr_nonnull(strstr(err, "report 'weekly' for 2026-03-16 .. 2026-03-22: a run died "
                                      "while sending it"));
    free(err);
    ck_assert_int_eq(calls, 3);
    store_close(s);
    config_free(cfg);
}
END_TEST

/* a build without the report command: due reports are warnings, nothing is recorded */
START_TEST(test_reports_no_command)
{
    char db[700], errpath[700];
    struct store *s = fresh_store("nocmd.db", db, sizeof db);
    struct config *cfg = NULL;
    struct run_reports_result rr;
    struct diag d = {""};
    enum report_run_state st;

    ck_assert_int_eq(config_load_string("c.yaml", yaml, &cfg, &d), 0);
    snprintf(errpath, sizeof errpath, "%s/nocmd.err", tu_tempdir());
    ck_assert_ptr_nonnull(freopen(errpath, "w", stderr));
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 3, 9), NULL, 0, &rr, &d), 0);
    fflush(stderr);
    ck_assert_int_eq(rr.due, 1);
    ck_assert_int_eq(rr.problems, 1);
    ck_assert_int_eq(store_report_run_get(s, "weekly", "2026-03-02", &st, &d), 0);
    ck_assert_int_eq(st, REPORT_RUN_NONE);
    char *err = tu_read_file(errpath, NULL);
    ck_assert_ptr_nonnull(strstr(err, "report 'weekly' for 2026-03-02 .. 2026-03-08 is due, but "
                                      "this rejectlens has no report command"));
    free(err);
    store_close(s);
    config_free(cfg);
}
END_TEST

/* files to keep: one call per format, named after the report and its period, then the mail */
START_TEST(test_reports_files)
{
    char db[700], yml[1500];
    struct store *s = fresh_store("files.db", db, sizeof db);
    struct config *cfg = NULL;
    struct run_reports_result rr;
    struct diag d = {""};
    struct argv_list a;
    struct due_period p;
    const char *file;

    snprintf(yml, sizeof yml,
             "reports:\n  - name: month\n    period: monthly\n    formats: [html, text]\n"
             "    directory: %s/archive/sub\n    direction: inbound\n",
             tu_tempdir());
    ck_assert_msg(config_load_string("c.yaml", yml, &cfg, &d) == 0, "%s", d.msg);
    schedule_due(&cfg->reports[0], 2026, 4, 2, &p);
    run_report_argv(&cfg->reports[0], db, &p, "text", &a, &file);
    char want[2048];
    snprintf(want, sizeof want, "%s/archive/sub/month-2026-03-01.txt", tu_tempdir());
    ck_assert_str_eq(file, want);
    ck_assert_str_eq(a.v[0], "report");
    ck_assert_str_eq(a.v[a.n - 2], "-o");
    argv_list_free(&a);
    calls = fail_calls = 0;
    ck_assert_int_eq(run_reports(s, cfg, db, local_noon(2026, 4, 2), fake_report, 0, &rr, &d), 0);
    ck_assert_int_eq(calls, 2); /* html and text, no mail */
    ck_assert_int_eq(rr.sent, 1);
    ck_assert_ptr_nonnull(strstr(last_argv, "--period last-month --now 2026-04-01 --direction "
                                            "inbound --format text -o "));
    snprintf(want, sizeof want, "%s/archive/sub", tu_tempdir());
    ck_assert(tu_exists(want)); /* the directory is made */
    store_close(s);
    config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------------ reading order */

static void touch(const char *dir, const char *name, time_t mtime)
{
    char path[800];
    struct utimbuf ut = {mtime, mtime};

    snprintf(path, sizeof path, "%s/%s", dir, name);
    tu_write_file(path, "x\n", -1);
    ck_assert_int_eq(utime(path, &ut), 0);
}

START_TEST(test_order)
{
    char dir[700], pat[800];
    struct logfiles lf = {NULL, 0, 0, NULL, 0};
    struct diag d = {""};
    time_t t = 1772400000;

    snprintf(dir, sizeof dir, "%s/order", tu_tempdir());
    mkdir(dir, 0755);
    /* logrotate's compression makes mail.log.2.gz newer than mail.log.1: the names decide */
    touch(dir, "mail.log", t + 300);
    touch(dir, "mail.log.1", t + 100);
    touch(dir, "mail.log.2.gz", t + 200);
    touch(dir, "mail.log.10.gz", t + 50);
    touch(dir, "mail.log.3.xz", t + 150);
    /* another set, older: first */
    touch(dir, "maillog-20260301.gz", t - 1000);
    touch(dir, "maillog-20260302", t - 900);
    touch(dir, "maillog", t - 800);
    snprintf(pat, sizeof pat, "%s/mail*", dir);
    ck_assert_int_eq(logfiles_glob(&lf, pat, &d), 8);
    logfiles_order(&lf, 0);
    static const char *const want[] = {"maillog-20260301.gz", "maillog-20260302", "maillog",
                                       "mail.log.10.gz",      "mail.log.3.xz",    "mail.log.2.gz",
                                       "mail.log.1",          "mail.log"};
    ck_assert_uint_eq(lf.n, 8);
    for (size_t i = 0; i < lf.n; i++)
        ck_assert_str_eq(strrchr(lf.paths[i], '/') + 1, want[i]);
    logfiles_free(&lf);
    /* given on a command line: sets keep their order, a rotation set is put right */
    static const char *const given[] = {"b/mainlog",    "b/rejectlog", "a/mail.log",
                                        "a/mail.log.1", "-",           "b/mainlog"};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++)
        logfiles_add(&lf, given[i]);
    logfiles_order(&lf, 1);
    static const char *const kept[] = {"b/mainlog", "b/rejectlog", "a/mail.log.1", "a/mail.log",
                                       "-"};
    ck_assert_uint_eq(lf.n, 5);
    for (size_t i = 0; i < lf.n; i++)
        ck_assert_str_eq(lf.paths[i], kept[i]);
    logfiles_free(&lf);
    /* nothing matches: 0, not an error */
    snprintf(pat, sizeof pat, "%s/nothing*", dir);
    ck_assert_int_eq(logfiles_glob(&lf, pat, &d), 0);
    logfiles_free(&lf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("run");

    setenv("TZ", "Europe/Berlin", 1);
    tcase_add_loop_test(tc, test_schedule, 0, sizeof due / sizeof due[0]);
    tcase_add_test(tc, test_reports_once);
    tcase_add_test(tc, test_reports_need_data);
    tcase_add_test(tc, test_reports_no_command);
    tcase_add_test(tc, test_reports_files);
    tcase_add_test(tc, test_order);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
