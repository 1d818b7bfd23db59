/*
 * test_report_cli - "rejectlens report" as an admin runs it, on a project-written log
 * (tests/fixtures/report/mail.log, two weeks of Postfix in CET with hostile bytes in it):
 *
 *   - the text report: headline numbers, the 550 table first, advice filled with the week's
 *     domain, IP and addresses, examples, unclassified texts, parse statistics, no raw
 *     control characters;
 *   - JSON valid for python3 -m json.tool, with the documented shape and the fixture's numbers;
 *   - every CSV table parses as RFC 4180, and no cell is a formula;
 *   - the HTML: tidy -errors -q reports nothing, nothing is fetched or run, and the text
 *     headless Chromium shows holds the headline, titles, numbers and advice;
 *   - filters, periods, errors and exit codes;
 *   - the mail: a dry run and sendmail parse as RFC 5322 with the three parts; one message sent
 *     over SMTP with STARTTLS and AUTH to a local aiosmtpd arrives whole.
 *
 * The checks that need a parser (JSON, CSV, MIME) or a browser live in report_checks.py.
 */
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIN      REJECTLENS_BIN
#define FIXTURES SOURCE_DIR "/tests/fixtures/report"
#define CHECKS   SOURCE_DIR "/tests/report_checks.py"
/* the fixture's week, made as on the Wednesday after it */
#define WEEK "--period last-week --now 2026-01-21"

static char dir[600], db[700], rules[700];
static const char *python;

static void setup(void)
{
    char *err = NULL;

    python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    snprintf(dir, sizeof dir, "%s", tu_tempdir());
    snprintf(db, sizeof db, "%s/report.db", dir);
    snprintf(rules, sizeof rules, "%s/rules.yaml", FIXTURES);
    if (access(db, F_OK) == 0)
        return;
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "TZ=Europe/Berlin " BIN " ingest -q --db '%s' --rules '%s' '%s/mail.log'", db, rules,
             FIXTURES);
    ck_assert_msg(tu_run(cmd, NULL, &err) == 0, "ingest failed: %s", err ? err : "");
    free(err);
}

/* report - run "rejectlens report" with the fixture's db, rules and zone; returns the status */
__attribute__((format(printf, 3, 4))) static int report(char **out, char **err, const char *fmt,
                                                        ...)
{
    char args[3000], cmd[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "TZ=Europe/Berlin " BIN " report --db '%s' --rules '%s' %s", db,
             rules, args);
    return tu_run(cmd, out, err);
}

/* sh - run a shell command line; returns the status, output in *out (may be NULL) */
__attribute__((format(printf, 2, 3))) static int sh(char **out, const char *fmt, ...)
{
    char cmd[4096];
    char *err = NULL;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    rc = tu_run(cmd, out, &err);
    if (rc != 0)
        fprintf(stderr, "%s\n-> %d: %s\n", cmd, rc, err ? err : "");
    free(err);
    return rc;
}

/* checks - run a report_checks.py subcommand; fails the test with its output */
static void checks(const char *args)
{
    char cmd[3000];
    char *out = NULL;
    int rc;

    snprintf(cmd, sizeof cmd, "%s '%s' %s", python, CHECKS, args);
    rc = tu_run(cmd, &out, NULL);
    ck_assert_msg(rc == 0, "report_checks.py %s:\n%s", args, out ? out : "");
    free(out);
}

#define HAS(s, x) ck_assert_msg(strstr((s), (x)) != NULL, "missing: %s", (x))

START_TEST(test_text)
{
    char *out, *err;

    setup();
    ck_assert_int_eq(report(&out, &err, WEEK), 0);
    HAS(out, "Mail rejections on mx1\n");
    HAS(out, "Period: Mon 2026-01-12 to Sun 2026-01-18 (CET)\n");
    HAS(out, "Compared with: Mon 2026-01-05 to Sun 2026-01-11 (CET)\n");
    HAS(out, "13 rejections with code 550. Main cause: Recipient address does not exist "
             "(7, 53.8 %).");
    /* 550 first: its table comes before all failures */
    char *t550 = strstr(out, "Why mail was rejected with 550");
    char *tall = strstr(out, "All failures (4xx and 5xx) by cause");
    ck_assert(t550 != NULL && tall != NULL && t550 < tall);
    /* the admin's title and advice, filled with the week's domain and IP */
    HAS(out, "Sender domain not authenticated (SPF, DKIM, DMARC)");
    HAS(out, "Publish an SPF record for spoofed.example that includes the sending IP "
             "203.0.113.7:\n");
    HAS(out, "dig +short TXT spoofed.example\n");
    HAS(out, "4 failures (5xx 4, 4xx 0, 550 4), before 6 (-33.3 %)");
    /* the block list named with the listed IP; the cleanup list of addresses */
    HAS(out, "listed by zen.spamhaus.org");
    HAS(out, "dig +short 66.2.0.192.zen.spamhaus.org");
    HAS(out, "Addresses refused most often (a cleanup list):\n       ghost1@example.com (3)\n"
             "       ghost2@example.com (2)\n");
    /* examples are real lines of the week, with where they are */
    HAS(out, "NOQUEUE: reject RCPT from mail.spoofed.example[203.0.113.7]: 550 5.7.23");
    HAS(out, "(mail.log, byte ");
    /* series per day; the day after the week does not count */
    HAS(out, "Failures per day\n");
    HAS(out, "  2026-01-13              4  ####");
    ck_assert_ptr_null(strstr(out, "late@example.com"));
    /* what no rule knows, masked; how the log read */
    HAS(out, "2 failures are unclassified");
    HAS(out, "1 unparsed");
    HAS(out, "no syslog header");
    /* hostile bytes: escaped, never raw */
    HAS(out, "\\x1b[31mred");
    HAS(out, "\\u{202e}gnp.exe");
    for (const char *p = out; *p; p++) {
        unsigned char c = (unsigned char)*p;
        ck_assert_msg(c >= 0x20 || c == '\n' || c == '\t', "raw control byte %02x", c);
        ck_assert_msg(c != 0xff && c != 0xfe, "invalid UTF-8 passed through");
    }
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    /* the same week is the default period */
    ck_assert_int_eq(report(&out, NULL, "--now 2026-01-21"), 0);
    HAS(out, "Period: Mon 2026-01-12 to Sun 2026-01-18 (CET)\n");
    free(out);
}
END_TEST

START_TEST(test_json)
{
    char path[800], arg[1700];

    setup();
    snprintf(path, sizeof path, "%s/week.json", dir);
    ck_assert_int_eq(report(NULL, NULL, WEEK " -o '%s'", path), 0); /* format from the name */
    snprintf(arg, sizeof arg, "json '%s'", path);
    checks(arg);
}
END_TEST

START_TEST(test_csv)
{
    static const char *const tables[] = {"categories",   "totals",    "daily",
                                         "top",          "templates", "examples",
                                         "unclassified", "sources",   "unparsed"};
    char csvdir[800], arg[900];

    setup();
    snprintf(csvdir, sizeof csvdir, "%s/csv", dir);
    ck_assert_int_eq(sh(NULL, "mkdir -p '%s'", csvdir), 0);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        ck_assert_int_eq(report(NULL, NULL, WEEK " --format csv --table %s -o '%s/%s.csv'",
                                tables[i], csvdir, tables[i]),
                         0);
    snprintf(arg, sizeof arg, "csv '%s'", csvdir);
    checks(arg);
}
END_TEST

START_TEST(test_html)
{
    char page[800], json[800], arg[2600];

    setup();
    snprintf(page, sizeof page, "%s/week.html", dir);
    snprintf(json, sizeof json, "%s/week-for-html.json", dir);
    ck_assert_int_eq(report(NULL, NULL, WEEK " -o '%s'", page), 0);
    ck_assert_int_eq(report(NULL, NULL, WEEK " --format json -o '%s'", json), 0);
    snprintf(arg, sizeof arg, "html '%s' '%s' '%s'", page, dir, json);
    checks(arg);
}
END_TEST

/* a period without events is a report too, and still valid HTML */
START_TEST(test_empty)
{
    char *out;
    char page[800], cmd[1000];

    setup();
    ck_assert_int_eq(report(&out, NULL, "--period 2025-06-01..2025-06-07"), 0);
    HAS(out, "No rejections, bounces or deferrals in this period.");
    free(out);
    snprintf(page, sizeof page, "%s/empty.html", dir);
    ck_assert_int_eq(report(NULL, NULL, "--period 2025-06-01 --format html -o '%s'", page), 0);
    snprintf(cmd, sizeof cmd, "tidy -errors -q '%s'", page);
    ck_assert_int_eq(sh(NULL, "%s", cmd), 0);
    ck_assert_int_eq(report(&out, NULL, "--period 2025-06-01 --format json"), 0);
    HAS(out, "\"categories\":[]");
    free(out);
}
END_TEST

START_TEST(test_filters)
{
    char *out;

    setup();
    /* --only-550: only the 550s count as failures */
    ck_assert_int_eq(report(&out, NULL, WEEK " --only-550 --format json"), 0);
    HAS(out, "\"failures\":13,");
    HAS(out, "\"codes\":\"550\"");
    ck_assert_ptr_null(strstr(out, "\"id\":\"greylisted\""));
    free(out);
    /* --codes 4xx: the greylisting deferrals */
    ck_assert_int_eq(report(&out, NULL, WEEK " --codes 4xx --format json"), 0);
    HAS(out, "\"failures\":2,");
    HAS(out, "\"id\":\"greylisted\"");
    free(out);
    /* --codes with an exact code */
    ck_assert_int_eq(report(&out, NULL, WEEK " --codes 554 --format json"), 0);
    HAS(out, "\"failures\":3,");
    free(out);
    /* outbound: what remote servers said */
    ck_assert_int_eq(report(&out, NULL, WEEK " --direction outbound --format json"), 0);
    HAS(out, "\"failures\":3,");
    HAS(out, "\"direction\":\"outbound\"");
    free(out);
    ck_assert_int_eq(report(&out, NULL, WEEK " --host mx9 --format json"), 0);
    HAS(out, "\"failures\":0,");
    free(out);
    ck_assert_int_eq(report(&out, NULL, WEEK " --mta postfix --compare none --format json"), 0);
    HAS(out, "\"previous\":null");
    HAS(out, "\"failures\":18,");
    free(out);
    /* --top 1: one row per list */
    ck_assert_int_eq(report(&out, NULL, WEEK " --top 1 --format csv --table top"), 0);
    HAS(out, "\"recipient_unknown\",\"recipients\",1,\"ghost1@example.com\",\"\",3\r\n");
    ck_assert_ptr_null(strstr(out, "\"ghost2@example.com\""));
    free(out);
    /* one day: hours */
    ck_assert_int_eq(report(&out, NULL, "--period 2026-01-13 --format json"), 0);
    HAS(out, "\"unit\":\"hour\"");
    HAS(out, "\"label\":\"2026-01-13 23:00\"");
    free(out);
    /* everything since 1970: every failure counted, the series drawn where the events are */
    ck_assert_int_eq(report(&out, NULL, "--since @0 --compare none --format json"), 0);
    HAS(out, "\"failures\":27,");
    HAS(out, "\"unit\":\"day\"");
    free(out);
    /* --since/--until */
    ck_assert_int_eq(
        report(&out, NULL, "--since 2026-01-12 --until 2026-01-18 --now 2026-01-21 --format json"),
        0);
    HAS(out, "\"failures\":18,");
    free(out);
}
END_TEST

START_TEST(test_errors)
{
    static const struct {
        const char *args, *msg;
    } cases[] = {
        {"--period lastweek", "--period: give"},
        {"--period 2026-02-30", "--period: give"},
        {"--codes 6xx", "--codes: '6xx'"},
        {"--only-550 --codes 5xx", "not both"},
        {"--format pdf", "--format: give one of html, text, csv, json"},
        {"--table nosuch --format csv", "--table: no table 'nosuch'"},
        {"--table top --format html", "--table is for --format csv"},
        {"--subject x", "the mail options need --mail-to"},
        {"--mail-to 'not an address'", "not a mail address"},
        {"--mail-to 'a@example.com\nBcc: b@example.com'", "not a mail address"},
        {"--mail-to a@example.com --mail-from nobody", "--mail-from: not a mail address"},
        {"--mail-to a@example.com --smtp smtp://u:p@127.0.0.1:1", "no user or password in the URL"},
        {"--mail-to a@example.com --smtp ftp://x", "give smtp://HOST"},
        {"--mail-to a@example.com --sendmail /x --smtp smtp://x", "not both"},
        {"--mail-to a@example.com --smtp smtp://127.0.0.1:1 --smtp-user u", "REJECTLENS_SMTP"},
        {"--mail-to a@example.com --smtp-user u", "need --smtp URL"},
        {"--period last-week --since 7d", "not both"},
        {"--until 2026-01-01", "--until needs --since"},
        {"--top 0", "--top: give a number"},
        {"--direction sideways", "--direction: give inbound or outbound"},
        {"--compare maybe", "--compare: give previous or none"},
        {"extra", "unexpected argument 'extra'"},
    };
    char *out, *err;

    setup();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = report(&out, &err, "%s", cases[i].args);
        ck_assert_msg(rc == 2, "%s: exit %d", cases[i].args, rc);
        ck_assert_msg(strstr(err, cases[i].msg) != NULL, "%s: said [%s], want [%s]", cases[i].args,
                      err, cases[i].msg);
        ck_assert_msg(strncmp(err, "rejectlens: ", 12) == 0 || strstr(err, "usage:") != NULL,
                      "%s: [%s]", cases[i].args, err);
        free(out);
        free(err);
    }
    /* no database */
    ck_assert_int_eq(sh(&out, "TZ=UTC " BIN " report --db '%s/none.db' 2>&1; test $? -eq 2", dir),
                     0);
    HAS(out, "no database there");
    free(out);
    /* --help */
    ck_assert_int_eq(sh(&out, BIN " report --help"), 0);
    HAS(out, "usage: rejectlens report");
    HAS(out, "--mail-dry-run");
    free(out);
}
END_TEST

#define SUBJECT_UTF8                                                                               \
    "W\xc3\xb6"                                                                                    \
    "chentlicher Bericht \xe2\x9c\x89 mx1"

START_TEST(test_mail_dry_run)
{
    char path[800], arg[1600];

    setup();
    snprintf(path, sizeof path, "%s/dry.eml", dir);
    ck_assert_int_eq(report(NULL, NULL,
                            WEEK " --mail-to admin@example.com,boss@example.org "
                                 "--mail-from reports@mx1.example.com --subject '" SUBJECT_UTF8
                                 "' --mail-dry-run > '%s'",
                            path),
                     0);
    snprintf(arg, sizeof arg, "mail '%s' '%s'", path, SUBJECT_UTF8);
    checks(arg);
    /* a subject with a line break stays one header */
    ck_assert_int_eq(report(NULL, NULL,
                            WEEK " --mail-to admin@example.com --subject \"$(printf "
                                 "'x\\r\\nBcc: evil@example.net')\" --mail-dry-run > '%s'",
                            path),
                     0);
    snprintf(arg, sizeof arg, "mail '%s' 'x\\x0d\\x0aBcc: evil@example.net'", path);
    checks(arg);
}
END_TEST

START_TEST(test_mail_sendmail)
{
    char fake[800], got[800], args[800], arg[1000];
    char *out, *err;

    setup();
    snprintf(fake, sizeof fake, "%s/fake-sendmail", dir);
    snprintf(got, sizeof got, "%s/sendmail.eml", dir);
    snprintf(args, sizeof args, "%s/sendmail.args", dir);
    char script[3000];
    snprintf(script, sizeof script, "#!/bin/sh\necho \"$@\" > '%s'\ncat > '%s'\n", args, got);
    tu_write_file(fake, script, -1);
    ck_assert_int_eq(sh(NULL, "chmod +x '%s'", fake), 0);
    ck_assert_int_eq(report(&out, &err, WEEK " --mail-to admin@example.com --sendmail '%s'", fake),
                     0);
    ck_assert_str_eq(out, ""); /* mailing writes nothing without -o */
    free(out);
    free(err);
    char *a = tu_read_file(args, NULL);
    ck_assert_str_eq(a, "-t -i\n");
    free(a);
    /* sendmail gets LF line ends (the local convention), and the same message */
    size_t len;
    char *m = tu_read_file(got, &len);
    ck_assert_ptr_null(memchr(m, '\r', len));
    ck_assert_ptr_nonnull(strstr(m, "\nContent-Type: multipart/alternative;"));
    free(m);
    char crlf[800];
    snprintf(crlf, sizeof crlf, "%s/sendmail-crlf.eml", dir);
    ck_assert_int_eq(sh(NULL, "sed 's/$/\\r/' '%s' > '%s'", got, crlf), 0);
    snprintf(arg, sizeof arg, "mail '%s'", crlf);
    checks(arg);
    /* a sendmail that fails: the report is not mailed, exit 1 */
    tu_write_file(fake, "#!/bin/sh\ncat >/dev/null\necho 'queue full' >&2\nexit 75\n", -1);
    ck_assert_int_eq(report(&out, &err, WEEK " --mail-to admin@example.com --sendmail '%s'", fake),
                     1);
    HAS(err, "exit status 75");
    HAS(err, "not mailed");
    free(out);
    free(err);
    /* a sendmail that reads nothing and quits early: an error, not SIGPIPE */
    tu_write_file(fake, "#!/bin/sh\nexit 0\n", -1);
    int rc = report(&out, &err, WEEK " --mail-to admin@example.com --sendmail '%s'", fake);
    ck_assert_msg(rc == 0 || rc == 1, "exit %d", rc);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_mail_smtp)
{
    char sink[800], arg[1000], portfile[900], envfile[900];
    char *out = NULL, *err = NULL;
    int port = 0;

    setup();
    snprintf(sink, sizeof sink, "%s/sink", dir);
    snprintf(portfile, sizeof portfile, "%s/port", sink);
    snprintf(envfile, sizeof envfile, "%s/envelope.json", sink);
    ck_assert_int_eq(sh(NULL, "mkdir -p '%s'", sink), 0);
    ck_assert_int_eq(sh(NULL, "%s '%s' smtp-sink '%s' >'%s/log' 2>&1 & echo $! >'%s/pid'", python,
                        CHECKS, sink, sink, sink),
                     0);
    for (int i = 0; i < 300 && !tu_exists(portfile); i++)
        usleep(100000);
    char *p = tu_read_file(portfile, NULL);
    ck_assert_msg(p != NULL, "the SMTP sink did not start (aiosmtpd installed?)");
    port = atoi(p);
    free(p);
    /* a wrong password: refused, exit 1, the sink still waits */
    int rc;
    char cmd[3000];
    snprintf(cmd, sizeof cmd,
             "REJECTLENS_SMTP_PASSWORD=wrong TZ=Europe/Berlin " BIN
             " report --db '%s' --rules '%s' " WEEK
             " --mail-to admin@example.com --smtp smtp://127.0.0.1:%d --smtp-user reporter "
             "--smtp-cacert '%s/cert.pem'",
             db, rules, port, sink);
    rc = tu_run(cmd, &out, &err);
    ck_assert_msg(rc == 1, "exit %d: %s", rc, err);
    HAS(err, "not mailed");
    free(out);
    free(err);
    /* STARTTLS with the sink's certificate, AUTH, two recipients */
    snprintf(cmd, sizeof cmd,
             "REJECTLENS_SMTP_PASSWORD='s3cret pass' TZ=Europe/Berlin " BIN
             " report --db '%s' --rules '%s' " WEEK
             " --mail-to admin@example.com,boss@example.org --mail-from reports@mx1.example.com"
             " --subject '" SUBJECT_UTF8 "' --smtp smtp://127.0.0.1:%d --smtp-user reporter"
             " --smtp-cacert '%s/cert.pem'",
             db, rules, port, sink);
    rc = tu_run(cmd, &out, &err);
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    free(out);
    free(err);
    for (int i = 0; i < 100 && !tu_exists(envfile); i++)
        usleep(100000);
    char *env = tu_read_file(envfile, NULL);
    ck_assert_msg(env != NULL, "nothing arrived");
    HAS(env, "\"mail_from\": \"reports@mx1.example.com\"");
    HAS(env, "\"rcpt_tos\": [\"admin@example.com\", \"boss@example.org\"]");
    HAS(env, "\"tls\": true");
    HAS(env, "\"auth\": true");
    free(env);
    snprintf(arg, sizeof arg, "mail '%s/message.eml' '%s'", sink, SUBJECT_UTF8);
    checks(arg);
    sh(NULL, "kill $(cat '%s/pid') 2>/dev/null; true", sink);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("report_cli");
    TCase *tc = tcase_create("formats");

    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_html);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_filters);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("mail");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_mail_dry_run);
    tcase_add_test(tc, test_mail_sendmail);
    tcase_add_test(tc, test_mail_smtp);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(suite());
}
