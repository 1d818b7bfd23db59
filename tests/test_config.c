/*
 * test_config - the configuration loader: a full file read into every field; every kind of
 * bad input gives one error naming file:line and no configuration; relative paths are taken
 * from the file's directory; durations; time zones
 */
#include "config.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char good[] = "# a comment\n"
                           "version: 1\n"
                           "database: /var/lib/rejectlens/rl.db\n"
                           "lock_wait: 2m\n"
                           "retention: 400d\n"
                           "rules: [/etc/rejectlens/rules.yaml, more.yaml]\n"
                           "sources:\n"
                           "  - paths: /var/log/mail.log*\n"
                           "    format: postfix\n"
                           "    host: mx1.example.org\n"
                           "    timezone: Europe/Berlin\n"
                           "  - paths:\n"
                           "      - /var/log/exim4/mainlog*\n"
                           "      - /var/log/exim4/rejectlog*\n"
                           "reports:\n"
                           "  - name: weekly\n"
                           "    period: weekly\n"
                           "    weekday: Wed\n"
                           "    to: [postmaster@example.org, hostmaster@example.org]\n"
                           "    from: rejectlens@mx1.example.org\n"
                           "    subject: Rejections last week\n"
                           "    smtp: smtps://mail.example.org:465\n"
                           "    smtp_user: rejectlens\n"
                           "    smtp_password_file: /etc/rejectlens/smtp-password\n"
                           "    smtp_tls: starttls\n"
                           "    codes: 5xx,451\n"
                           "    top: 20\n"
                           "  - name: monthly-archive\n"
                           "    period: monthly\n"
                           "    day: 31\n"
                           "    formats: [html, json]\n"
                           "    directory: /var/lib/rejectlens/reports\n"
                           "    direction: inbound\n"
                           "  - name: daily\n"
                           "    period: daily\n"
                           "    to: postmaster@example.org\n"
                           "    sendmail: /usr/sbin/sendmail\n";

START_TEST(test_good)
{
    struct config *c = NULL;
    struct diag d = {""};

    ck_assert_msg(config_load_string("c.yaml", good, &c, &d) == 0, "%s", d.msg);
    ck_assert_str_eq(c->database, "/var/lib/rejectlens/rl.db");
    ck_assert_int_eq(c->lock_wait_ms, 120000);
    ck_assert_int_eq(c->retention_s, 400 * 86400);
    ck_assert_uint_eq(c->nrules, 2);
    ck_assert_str_eq(c->rules[1], "more.yaml"); /* the string twin leaves relative paths */
    ck_assert_uint_eq(c->nsources, 2);
    ck_assert_str_eq(c->sources[0].paths[0], "/var/log/mail.log*");
    ck_assert_str_eq(c->sources[0].format, "postfix");
    ck_assert_str_eq(c->sources[0].host, "mx1.example.org");
    ck_assert_str_eq(c->sources[0].timezone, "Europe/Berlin");
    ck_assert_int_eq(c->sources[0].line, 8);
    ck_assert_uint_eq(c->sources[1].npaths, 2);
    ck_assert_str_eq(c->sources[1].format, "auto");
    ck_assert_ptr_null(c->sources[1].host);
    ck_assert_uint_eq(c->nreports, 3);
    const struct config_report *w = &c->reports[0];
    ck_assert_str_eq(w->name, "weekly");
    ck_assert_int_eq(w->period, PERIOD_WEEKLY);
    ck_assert_int_eq(w->weekday, 3);
    ck_assert_uint_eq(w->nto, 2);
    ck_assert_str_eq(w->to[1], "hostmaster@example.org");
    ck_assert_str_eq(w->from, "rejectlens@mx1.example.org");
    ck_assert_str_eq(w->subject, "Rejections last week");
    ck_assert_str_eq(w->smtp, "smtps://mail.example.org:465");
    ck_assert_str_eq(w->smtp_tls, "starttls");
    ck_assert_str_eq(w->codes, "5xx,451");
    ck_assert_int_eq(w->top, 20);
    const struct config_report *m = &c->reports[1];
    ck_assert_int_eq(m->period, PERIOD_MONTHLY);
    ck_assert_int_eq(m->monthday, 31);
    ck_assert_uint_eq(m->nformats, 2);
    ck_assert_str_eq(m->formats[1], "json");
    ck_assert_uint_eq(m->nto, 0);
    ck_assert_str_eq(m->direction, "inbound");
    ck_assert_int_eq(c->reports[2].weekday, 1); /* the default, unused for a daily report */
    ck_assert_str_eq(c->reports[2].sendmail, "/usr/sbin/sendmail");
    config_free(c);
}
END_TEST

/* an empty file is every default */
START_TEST(test_empty)
{
    struct config *c = NULL;
    struct diag d = {""};

    ck_assert_int_eq(config_load_string("c.yaml", "# nothing\n", &c, &d), 0);
    ck_assert_ptr_null(c->database);
    ck_assert_int_eq(c->lock_wait_ms, CONFIG_DEFAULT_LOCK_WAIT_MS);
    ck_assert_int_eq(c->retention_s, 0);
    ck_assert_uint_eq(c->nsources + c->nreports + c->nrules, 0);
    config_free(c);
}
END_TEST

#define SRC "sources:\n  - paths: /var/log/mail.log\n"
#define REP "reports:\n  - name: w\n    period: weekly\n    to: a@example.org\n"

static const struct {
    const char *yaml;
    const char *where; /* the error starts with this */
    const char *what;  /* and contains this */
} bad[] = {
    {"databse: /x.db\n", "c.yaml:1:", "unknown key 'databse' (known: version, database,"},
    {"database: [a, b]\n", "c.yaml:1:", "database must be a text, not a list"},
    {"database: ''\n", "c.yaml:1:", "database is empty"},
    {"version: 2\n", "c.yaml:1:", "version 2: this rejectlens reads version 1"},
    {"database: /x.db\ndatabase: /y.db\n", "c.yaml:2:", "key 'database' given twice"},
    {"lock_wait: 10\n", "c.yaml:1:", "lock_wait: '10': give a unit"},
    {"lock_wait: 2y\n", "c.yaml:1:", "give a unit: s, m, h, d or w"},
    {"lock_wait: 3d\n", "c.yaml:1:", "at most a day"},
    {"retention: soon\n", "c.yaml:1:", "retention: 'soon' is no duration"},
    {"retention: 2h\n", "c.yaml:1:", "keeps less than a day"},
    {"rules: {a: b}\n", "c.yaml:1:", "rules must be a text or a list, not a mapping"},
    {"sources: /var/log/mail.log\n", "c.yaml:1:", "sources must be a list, not a text"},
    {"sources:\n  - format: postfix\n", "c.yaml:2:", "a source needs paths"},
    {SRC "    fromat: postfix\n", "c.yaml:3:", "a source: unknown key 'fromat'"},
    {SRC "    format: sendmail\n",
     "c.yaml:3:", "format: unknown value 'sendmail' (known: auto, postfix"},
    {SRC "    timezone: Europe/Berln\n", "c.yaml:3:", "unknown time zone 'Europe/Berln'"},
    {SRC "    timezone: ../../etc/passwd\n", "c.yaml:3:", "unknown time zone"},
    {SRC "    host: [a, b]\n", "c.yaml:3:", "host must be a text"},
    {"sources:\n  - paths: []\n", "c.yaml:2:", "paths is an empty list"},
    {"reports:\n  - period: weekly\n    to: a@b.example\n", "c.yaml:2:", "a report needs a name"},
    {"reports:\n  - name: w\n    to: a@b.example\n", "c.yaml:2:", "report 'w' needs a period"},
    {"reports:\n  - name: 'w w'\n", "c.yaml:2:", "name 'w w': use letters"},
    {REP "    period: weekly\n", "c.yaml:5:", "key 'period' given twice"},
    {"reports:\n  - name: w\n    period: fortnightly\n",
     "c.yaml:3:", "period: unknown value 'fortnightly' (known: daily, weekly, monthly)"},
    {REP "    weekday: caturday\n", "c.yaml:5:", "weekday: unknown value 'caturday'"},
    {"reports:\n  - name: d\n    period: daily\n    weekday: monday\n",
     "c.yaml:4:", "weekday is for a weekly report, not a daily one"},
    {"reports:\n  - name: m\n    period: monthly\n    day: 32\n    to: a@b.example\n",
     "c.yaml:4:", "day: give a whole number from 1 to 31, not '32'"},
    {REP "    day: 3\n", "c.yaml:5:", "day is for a monthly report"},
    {"reports:\n  - name: w\n    period: weekly\n    to: [postmaster]\n",
     "c.yaml:4:", "to: 'postmaster' is not a mail address"},
    {REP "    from: 'a@b, c@d'\n", "c.yaml:5:", "from: 'a@b, c@d' is not a mail address"},
    {"reports:\n  - name: w\n    period: weekly\n", "c.yaml:2:", "report 'w' goes nowhere"},
    {REP "    smtp: mail.example.org\n",
     "c.yaml:5:", "smtp: 'mail.example.org' is not an SMTP URL"},
    {REP "    smtp: smtp://m.example\n    sendmail: /usr/sbin/sendmail\n",
     "c.yaml:5:", "give sendmail or smtp, not both"},
    {REP "    smtp_user: u\n", "c.yaml:5:", "smtp_user needs smtp"},
    {REP "    smtp: smtp://m.example\n    smtp_user: u\n",
     "c.yaml:6:", "smtp_user needs smtp_password_file"},
    {REP "    smtp: smtp://m.example\n    smtp_tls: maybe\n",
     "c.yaml:6:", "smtp_tls: unknown value 'maybe' (known: starttls, try, none)"},
    {REP "    formats: [html, pdf]\n    directory: /r\n",
     "c.yaml:5:", "formats: unknown value 'pdf' (known: html, csv, text, json)"},
    {REP "    formats: [html]\n", "c.yaml:5:", "formats and directory go together"},
    {"reports:\n  - name: a\n    period: daily\n    directory: /r\n    formats: html\n"
     "    subject: s\n",
     "c.yaml:6:", "subject is for mail: give to"},
    {REP "    codes: 5xx,55\n", "c.yaml:5:", "codes: '5xx,55'"},
    {REP "    top: lots\n", "c.yaml:5:", "top: give a whole number from 1 to 1000"},
    {REP "    direction: sideways\n", "c.yaml:5:", "direction: unknown value 'sideways'"},
    {REP "    subject: \"two\\nlines\"\n", "c.yaml:5:", "subject: one line"},
    {REP "  - name: w\n    period: daily\n    to: b@example.org\n",
     "c.yaml:5:", "report 'w' defined twice (first on line 2)"},
    {"sources: [\n", "c.yaml:2:", "YAML syntax"},
    {"a: &x 1\nb: *x\n", "c.yaml:2:", "aliases"},
    {"database: /x\n---\ndatabase: /y\n", "c.yaml:2:", "more than one YAML document"},
    {"- 1\n", "c.yaml:1:", "the file must be a mapping, not a list"},
    {"sources: [[[[[[[[[[[[[[1]]]]]]]]]]]]]]\n", "c.yaml:1:", "nested deeper than"},
};

START_TEST(test_bad)
{
    struct config *c = (struct config *)1;
    struct diag d = {""};

    ck_assert_int_eq(config_load_string("c.yaml", bad[_i].yaml, &c, &d), -1);
    ck_assert_ptr_eq(c, (struct config *)1); /* untouched */
    ck_assert_msg(strncmp(d.msg, bad[_i].where, strlen(bad[_i].where)) == 0 &&
                      strstr(d.msg, bad[_i].what) != NULL,
                  "case %d: got \"%s\", want %s ... %s", _i, d.msg, bad[_i].where, bad[_i].what);
    ck_assert_ptr_null(strchr(d.msg, '\n')); /* one line */
}
END_TEST

/* a file: relative paths come from its directory; a missing or huge file is one clear error */
START_TEST(test_file)
{
    char dir[600], path[700], big[700];
    struct config *c = NULL;
    struct diag d = {""};

    snprintf(dir, sizeof dir, "%s/etc", tu_tempdir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    tu_write_file(path,
                  "database: db/rl.db\nrules: rules.yaml\nsources:\n  - paths: ../logs/*.log\n"
                  "reports:\n  - name: a\n    period: daily\n    formats: csv\n"
                  "    directory: reports\n",
                  -1);
    ck_assert_msg(config_load(path, &c, &d) == 0, "%s", d.msg);
    char want[800];
    snprintf(want, sizeof want, "%s/db/rl.db", dir);
    ck_assert_str_eq(c->database, want);
    snprintf(want, sizeof want, "%s/rules.yaml", dir);
    ck_assert_str_eq(c->rules[0], want);
    snprintf(want, sizeof want, "%s/../logs/*.log", dir);
    ck_assert_str_eq(c->sources[0].paths[0], want);
    snprintf(want, sizeof want, "%s/reports", dir);
    ck_assert_str_eq(c->reports[0].directory, want);
    config_free(c);
    /* errors name the file as given */
    tu_write_file(path, "sources:\n  - paths: x\n    colour: red\n", -1);
    ck_assert_int_eq(config_load(path, &c, &d), -1);
    snprintf(want, sizeof want, "%s:3: a source: unknown key 'colour'", path);
    ck_assert_msg(strncmp(d.msg, want, strlen(want)) == 0, "%s", d.msg);
    snprintf(want, sizeof want, "%s/absent.yaml", dir);
    ck_assert_int_eq(config_load(want, &c, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "absent.yaml: No such file"));
    snprintf(big, sizeof big, "%s/big.yaml", dir);
    char *junk = malloc(CONFIG_MAX_FILE + 10);
    memset(junk, '#', CONFIG_MAX_FILE + 9);
    junk[CONFIG_MAX_FILE + 9] = '\0';
    tu_write_file(big, junk, -1);
    free(junk);
    ck_assert_int_eq(config_load(big, &c, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "not a configuration file"));
}
END_TEST

START_TEST(test_durations)
{
    static const struct {
        const char *s;
        int64_t secs; /* -1: an error */
    } cases[] = {
        {"90d", 90 * 86400}, {"12w", 12 * 7 * 86400},
        {"36h", 36 * 3600},  {"30m", 1800},
        {"45s", 45},         {"0s", 0},
        {"90", -1},          {"d", -1},
        {"-1d", -1},         {"1.5d", -1},
        {"90 d", -1},        {"99999999999d", -1},
    };
    struct diag d = {""};

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = -7;
        int rc = config_duration(cases[i].s, &v, &d);
        if (cases[i].secs < 0)
            ck_assert_msg(rc == -1, "%s accepted", cases[i].s);
        else
            ck_assert_msg(rc == 0 && v == cases[i].secs, "%s: %s", cases[i].s, d.msg);
    }
}
END_TEST

START_TEST(test_timezones)
{
    static const char *const ok[] = {
        "UTC",     "Europe/Berlin", "America/New_York", "CET-1CEST,M3.5.0,M10.5.0/3",
        "<+03>-3", "EST5EDT"};
    static const char *const no[] = {"Europe/Berln", "Mars/Olympus", "berlin", "../zoneinfo"};
    char yaml[300];
    struct config *c;
    struct diag d = {""};

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        snprintf(yaml, sizeof yaml, SRC "    timezone: '%s'\n", ok[i]);
        ck_assert_msg(config_load_string("c.yaml", yaml, &c, &d) == 0, "%s: %s", ok[i], d.msg);
        config_free(c);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(yaml, sizeof yaml, SRC "    timezone: '%s'\n", no[i]);
        ck_assert_msg(config_load_string("c.yaml", yaml, &c, &d) == -1, "%s accepted", no[i]);
    }
}
END_TEST

/* the commented sample in samples/ loads as it is */
START_TEST(test_sample)
{
    struct config *c = NULL;
    struct diag d = {""};

    ck_assert_msg(config_load(SOURCE_DIR "/samples/rejectlens.yaml", &c, &d) == 0, "%s", d.msg);
    ck_assert_uint_gt(c->nsources, 0);
    ck_assert_uint_gt(c->nreports, 0);
    config_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_test(tc, test_good);
    tcase_add_test(tc, test_empty);
    tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, test_file);
    tcase_add_test(tc, test_durations);
    tcase_add_test(tc, test_timezones);
    tcase_add_test(tc, test_sample);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
