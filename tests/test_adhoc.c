/*
 * test_adhoc - query, trace and top as an admin runs them, on a known database built from a
 * project-written log: the answers, bad input (an unknown subject, SQL that writes or does
 * not parse, an empty database), hostile log bytes in every format, and the example queries
 * of docs/schema.md, each run against the known database
 */
#include "store.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BIN "TZ=UTC NO_COLOR= " REJECTLENS_BIN

/*
 * Two weeks on two hosts (RFC 3339, UTC). Week 1 is 2026-01-05..11, week 2 2026-01-12..18.
 *   A1A1A1A1A1 -> content filter -> B2B2B2B2B2 (queued as), delivered to bob (week 2)
 *   C3C3C3C3C3 bounces at nobody@remote.example (user unknown), its notice D4D4D4D4D4 goes
 *              back to carol; dave is greylisted, then delivered (week 2)
 *   one NOQUEUE session of 192.0.2.66 on mx2: blocklisted, two recipients (week 2)
 *   relay denied for 203.0.113.50: twice in week 1, once in week 2
 *   three unknown users from 198.51.100.20 (week 1)
 *   a hostile reject: escape sequences in sender and HELO, a formula as the recipient,
 *              invalid UTF-8 and a right-to-left override in the HELO (week 2)
 */
static const char known_log[] =
    "2026-01-13T09:00:00.100000+00:00 mx1 postfix/smtpd[101]: A1A1A1A1A1: "
    "client=mail.example.net[198.51.100.7]\n"
    "2026-01-13T09:00:00.200000+00:00 mx1 postfix/cleanup[102]: A1A1A1A1A1: "
    "message-id=<msg-a@example.net>\n"
    "2026-01-13T09:00:00.300000+00:00 mx1 postfix/qmgr[103]: A1A1A1A1A1: "
    "from=<alice@example.net>, size=2048, nrcpt=1 (queue active)\n"
    "2026-01-13T09:00:01.000000+00:00 mx1 postfix/smtp[104]: A1A1A1A1A1: to=<bob@example.org>, "
    "relay=127.0.0.1[127.0.0.1]:10024, delay=0.9, delays=0.1/0/0.1/0.7, dsn=2.0.0, status=sent "
    "(250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): Ok: queued as B2B2B2B2B2)\n"
    "2026-01-13T09:00:01.100000+00:00 mx1 postfix/qmgr[103]: B2B2B2B2B2: "
    "from=<alice@example.net>, size=2500, nrcpt=1 (queue active)\n"
    "2026-01-13T09:00:01.200000+00:00 mx1 postfix/lmtp[105]: B2B2B2B2B2: to=<bob@example.org>, "
    "relay=mx1.example.org[private/dovecot-lmtp], delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, "
    "status=sent (250 2.0.0 <bob@example.org> Saved)\n"
    "2026-01-14T10:00:00+00:00 mx1 postfix/pickup[110]: C3C3C3C3C3: uid=1000 "
    "from=<carol@example.org>\n"
    "2026-01-14T10:00:00.100000+00:00 mx1 postfix/cleanup[102]: C3C3C3C3C3: "
    "message-id=<msg-c@example.org>\n"
    "2026-01-14T10:00:00.200000+00:00 mx1 postfix/qmgr[103]: C3C3C3C3C3: "
    "from=<carol@example.org>, size=900, nrcpt=2 (queue active)\n"
    "2026-01-14T10:00:01+00:00 mx1 postfix/smtp[106]: C3C3C3C3C3: to=<nobody@remote.example>, "
    "relay=mx.remote.example[203.0.113.9]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=5.1.1, "
    "status=bounced (host mx.remote.example[203.0.113.9] said: 550 5.1.1 "
    "<nobody@remote.example>: Recipient address rejected: User unknown in virtual mailbox "
    "table (in reply to RCPT TO command))\n"
    "2026-01-14T10:00:02+00:00 mx1 postfix/smtp[106]: C3C3C3C3C3: to=<dave@remote.example>, "
    "relay=mx.remote.example[203.0.113.9]:25, delay=2, delays=0.1/0/0.5/1.4, dsn=4.7.1, "
    "status=deferred (host mx.remote.example[203.0.113.9] said: 450 4.7.1 "
    "<dave@remote.example>: Recipient address rejected: Greylisted, see "
    "http://postgrey.schweikert.ch/help/remote.example.html (in reply to RCPT TO command))\n"
    "2026-01-14T10:00:02.500000+00:00 mx1 postfix/bounce[107]: C3C3C3C3C3: sender "
    "non-delivery notification: D4D4D4D4D4\n"
    "2026-01-14T10:00:02.600000+00:00 mx1 postfix/qmgr[103]: D4D4D4D4D4: from=<>, size=3000, "
    "nrcpt=1 (queue active)\n"
    "2026-01-14T10:00:02.700000+00:00 mx1 postfix/local[108]: D4D4D4D4D4: "
    "to=<carol@example.org>, relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent "
    "(delivered to mailbox)\n"
    "2026-01-14T10:10:02+00:00 mx1 postfix/smtp[106]: C3C3C3C3C3: to=<dave@remote.example>, "
    "relay=mx.remote.example[203.0.113.9]:25, delay=602, delays=600/0/0.5/1.4, dsn=2.0.0, "
    "status=sent (250 2.0.0 Ok: queued as 9Z9Z9Z9Z9Z)\n"
    "2026-01-15T11:00:00+00:00 mx2 postfix/smtpd[201]: NOQUEUE: reject: RCPT from "
    "unknown[192.0.2.66]: 554 5.7.1 Service unavailable; Client host [192.0.2.66] blocked "
    "using zen.spamhaus.org; from=<spam@spam.example> to=<eve@example.org> proto=ESMTP "
    "helo=<spammer>\n"
    "2026-01-15T11:00:01+00:00 mx2 postfix/smtpd[201]: NOQUEUE: reject: RCPT from "
    "unknown[192.0.2.66]: 554 5.7.1 Service unavailable; Client host [192.0.2.66] blocked "
    "using zen.spamhaus.org; from=<spam@spam.example> to=<frank@example.org> proto=ESMTP "
    "helo=<spammer>\n"
    "2026-01-06T12:00:00+00:00 mx2 postfix/smtpd[202]: NOQUEUE: reject: RCPT from "
    "unknown[203.0.113.50]: 554 5.7.1 <victim@elsewhere.example>: Relay access denied; "
    "from=<x@relay.example> to=<victim@elsewhere.example> proto=SMTP helo=<relay>\n"
    "2026-01-07T12:00:00+00:00 mx2 postfix/smtpd[202]: NOQUEUE: reject: RCPT from "
    "unknown[203.0.113.50]: 554 5.7.1 <victim@elsewhere.example>: Relay access denied; "
    "from=<x@relay.example> to=<victim@elsewhere.example> proto=SMTP helo=<relay>\n"
    "2026-01-16T12:00:00+00:00 mx2 postfix/smtpd[202]: NOQUEUE: reject: RCPT from "
    "unknown[203.0.113.50]: 554 5.7.1 <victim@elsewhere.example>: Relay access denied; "
    "from=<x@relay.example> to=<victim@elsewhere.example> proto=SMTP helo=<relay>\n"
    "2026-01-08T08:00:00+00:00 mx1 postfix/smtpd[203]: NOQUEUE: reject: RCPT from "
    "mail.other.example[198.51.100.20]: 550 5.1.1 <ghost0@example.org>: Recipient address "
    "rejected: User unknown in virtual mailbox table; from=<news@other.example> "
    "to=<ghost0@example.org> proto=ESMTP helo=<mail.other.example>\n"
    "2026-01-08T08:00:01+00:00 mx1 postfix/smtpd[203]: NOQUEUE: reject: RCPT from "
    "mail.other.example[198.51.100.20]: 550 5.1.1 <ghost1@example.org>: Recipient address "
    "rejected: User unknown in virtual mailbox table; from=<news@other.example> "
    "to=<ghost1@example.org> proto=ESMTP helo=<mail.other.example>\n"
    "2026-01-08T08:00:02+00:00 mx1 postfix/smtpd[203]: NOQUEUE: reject: RCPT from "
    "mail.other.example[198.51.100.20]: 550 5.1.1 <ghost2@example.org>: Recipient address "
    "rejected: User unknown in virtual mailbox table; from=<news@other.example> "
    "to=<ghost2@example.org> proto=ESMTP helo=<mail.other.example>\n"
    "2026-01-16T13:00:00+00:00 mx2 postfix/smtpd[204]: NOQUEUE: reject: RCPT from "
    "unknown[192.0.2.99]: 550 5.1.1 <=HYPERLINK(\"http://evil.example/\",\"x\")@example.org>: "
    "Recipient address rejected: User unknown in virtual mailbox table; "
    "from=<\x1b]0;pwned\x07@evil.example> to=<=HYPERLINK(\"http://evil.example/\",\"x\")"
    "@example.org> proto=ESMTP helo=<\x1b[2J\x1b[31mred\xff\xe2\x80\xaegnp.exe>\n";

static char db[700], logpath[700], empty_db[700];

/* build - the known database, and an empty one (the schema, no events) */
static void build(void)
{
    char cmd[2000];

    snprintf(db, sizeof db, "%s/adhoc.db", tu_tempdir());
    snprintf(empty_db, sizeof empty_db, "%s/empty.db", tu_tempdir());
    snprintf(logpath, sizeof logpath, "%s/known.log", tu_tempdir());
    if (tu_exists(db))
        return;
    tu_write_file(logpath, known_log, -1);
    snprintf(cmd, sizeof cmd, BIN " ingest -q --db '%s' '%s'", db, logpath);
    ck_assert_int_eq(tu_run(cmd, NULL, NULL), 0);
    snprintf(cmd, sizeof cmd, "%s/empty.log", tu_tempdir());
    tu_write_file(cmd, "", 0);
    snprintf(cmd, sizeof cmd, BIN " ingest -q --db '%s' '%s/empty.log'", empty_db, tu_tempdir());
    ck_assert_int_eq(tu_run(cmd, NULL, NULL), 0);
}

/* rl - run "rejectlens ARGS" (ARGS may use %s for the known database); exit status */
__attribute__((format(printf, 1, 0))) static int rl(const char *args, char **out, char **err)
{
    char cmd[8192], a[4096];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(a, sizeof a, args, db);
#pragma GCC diagnostic pop
    snprintf(cmd, sizeof cmd, BIN " %s", a);
    return tu_run(cmd, out, err);
}

/* has - s contains want; a failure shows both */
static void has(const char *s, const char *want)
{
    ck_assert_msg(strstr(s, want) != NULL, "wanted <%s> in:\n%s", want, s);
}

static void has_not(const char *s, const char *unwanted)
{
    ck_assert_msg(strstr(s, unwanted) == NULL, "did not want <%s> in:\n%s", unwanted, s);
}

/* no_raw - nothing a terminal would act on: no ESC, BEL, C1 CSI, bad UTF-8, RLO */
static void no_raw(const char *s)
{
    has_not(s, "\x1b");
    has_not(s, "\x07");
    has_not(s, "\xff");
    has_not(s, "\xe2\x80\xae");
}

/* count - occurrences of needle in s */
static int count(const char *s, const char *needle)
{
    int n = 0;

    for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* ---------------------------------------------------------------- query */

START_TEST(test_query_formats)
{
    char *out, *err;

    build();
    ck_assert_int_eq(rl("query --db %s 'SELECT count(*) AS n FROM v_events'", &out, NULL), 0);
    ck_assert_str_eq(out, "n\n--\n15\n");
    free(out);
    ck_assert_int_eq(rl("query --db %s --format csv \"SELECT kind, count(*) AS n FROM v_rejections "
                        "GROUP BY kind ORDER BY kind\"",
                        &out, NULL),
                     0);
    ck_assert_str_eq(out, "kind,n\r\nbounce,1\r\nreject,9\r\n");
    free(out);
    ck_assert_int_eq(rl("query --db %s --format json \"SELECT queue_id, size, NULL AS x FROM "
                        "events WHERE queue_id = 'D4D4D4D4D4'\"",
                        &out, NULL),
                     0);
    ck_assert_str_eq(out, "[\n{\"queue_id\":\"D4D4D4D4D4\",\"size\":3000,\"x\":null}\n]\n");
    free(out);
    ck_assert_int_eq(rl("query --db %s --format tsv \"SELECT day, category, kind, direction, "
                        "events FROM v_daily WHERE category = 'relay_denied' ORDER BY day\"",
                        &out, NULL),
                     0);
    ck_assert_str_eq(out, "day\tcategory\tkind\tdirection\tevents\n"
                          "2026-01-06\trelay_denied\treject\tinbound\t1\n"
                          "2026-01-07\trelay_denied\treject\tinbound\t1\n"
                          "2026-01-16\trelay_denied\treject\tinbound\t1\n");
    free(out);
    /* the SQL from standard input; a table cuts long cells unless --wide */
    char cmd[2000];
    snprintf(cmd, sizeof cmd,
             "echo \"SELECT text FROM events WHERE kind = 4\" | " BIN " query --db '%s' -", db);
    ck_assert_int_eq(tu_run(cmd, &out, &err), 0);
    has(out, "\n<dave@remote.example>: Recipient address reje...\n");
    free(out);
    free(err);
    ck_assert_int_eq(
        rl("query --wide --db %s 'SELECT text FROM events WHERE kind = 4'", &out, NULL), 0);
    has(out, "remote.example.html");
    free(out);
    /* no rows */
    ck_assert_int_eq(rl("query --db %s 'SELECT * FROM events WHERE 0'", &out, NULL), 0);
    ck_assert_str_eq(out, "(no rows)\n");
    free(out);
}
END_TEST

/* statements that write, or that could, are refused and change nothing */
static const char *const writes[] = {
    "INSERT INTO sources (path, fingerprint, fp_len) VALUES ('x', 'y', 1)",
    "UPDATE events SET kind = 1",
    "DELETE FROM events",
    "DROP TABLE events",
    "DROP VIEW v_events",
    "CREATE TABLE t (x)",
    "CREATE TEMP TABLE t (x)",
    "ALTER TABLE events ADD COLUMN y",
    "ATTACH DATABASE '/tmp/rejectlens-attach.db' AS x",
    "DETACH DATABASE main",
    "PRAGMA user_version = 7",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA query_only = 0",
    "PRAGMA writable_schema = 1",
    "BEGIN",
    "VACUUM",
    "REINDEX",
    "ANALYZE",
    "WITH x AS (SELECT 1) DELETE FROM events",
    "REPLACE INTO reply_texts (id) VALUES (1)",
    "SELECT 1; DELETE FROM events",
    "SELECT load_extension('/tmp/x.so')",
};

START_TEST(test_query_refuses_writes)
{
    char args[1024], *out, *err;

    build();
    snprintf(args, sizeof args, "query --db %%s \"%s\"", writes[_i]);
    ck_assert_int_eq(rl(args, &out, &err), 2);
    ck_assert_str_eq(out, "");
    has(err, "refused");
    ck_assert_int_eq(count(err, "\n"), 1);
    free(out);
    free(err);
    ck_assert_int_eq(rl("query --db %s --format tsv 'SELECT (SELECT count(*) FROM events), "
                        "(SELECT count(*) FROM sources), (SELECT user_version FROM "
                        "pragma_user_version)'",
                        &out, NULL),
                     0);
    snprintf(args, sizeof args, "15\t1\t%d\n", STORE_SCHEMA_VERSION);
    ck_assert_str_eq(out + strcspn(out, "\n") + 1, args);
    free(out);
    ck_assert_int_eq(tu_exists("/tmp/rejectlens-attach.db"), 0);
}
END_TEST

START_TEST(test_query_bad_input)
{
    char *out, *err;

    build();
    ck_assert_int_eq(rl("query --db %s 'SELEC count(*) FROM events'", &out, &err), 2);
    has(err, "SQL error: near \"SELEC\": syntax error");
    free(out);
    free(err);
    ck_assert_int_eq(rl("query --db %s 'SELECT nope FROM events'", &out, &err), 2);
    has(err, "no such column: nope");
    free(out);
    free(err);
    ck_assert_int_eq(rl("query --db %s '   '", &out, &err), 2);
    has(err, "no SQL statement");
    free(out);
    free(err);
    ck_assert_int_eq(rl("query --db %s", &out, &err), 2);
    has(err, "give the SQL");
    free(out);
    free(err);
    ck_assert_int_eq(rl("query --db %s SELECT 1", &out, &err), 2);
    has(err, "one argument");
    free(out);
    free(err);
    ck_assert_int_eq(rl("query --db %s --format xml 'SELECT 1'", &out, &err), 2);
    has(err, "--format: 'xml'");
    free(out);
    free(err);
    /* a database that is not there is not created */
    ck_assert_int_eq(rl("query --db %s.missing 'SELECT 1'", &out, &err), 2);
    has(err, "no database there");
    free(out);
    free(err);
    char missing[800];
    snprintf(missing, sizeof missing, "%s.missing", db);
    ck_assert_int_eq(tu_exists(missing), 0);
    /* pragmas that only report are fine */
    ck_assert_int_eq(rl("query --db %s --format tsv 'PRAGMA user_version'", &out, NULL), 0);
    snprintf(missing, sizeof missing, "user_version\n%d\n", STORE_SCHEMA_VERSION);
    ck_assert_str_eq(out, missing);
    free(out);
}
END_TEST

/* the hostile reject in each format: escapes visible, formula defused, JSON valid */
START_TEST(test_query_hostile)
{
    static const char sql[] = "\"SELECT sender, recipient, helo FROM v_events "
                              "WHERE client_ip = '192.0.2.99'\"";
    char args[512], *out;

    build();
    snprintf(args, sizeof args, "query --db %%s %s", sql);
    ck_assert_int_eq(rl(args, &out, NULL), 0);
    no_raw(out);
    has(out, "\\x1b]0;pwned\\x07@evil.example");
    has(out, "\\x1b[2J\\x1b[31mred\\xff\\u202egnp.exe");
    free(out);
    snprintf(args, sizeof args, "query --db %%s --format csv %s", sql);
    ck_assert_int_eq(rl(args, &out, NULL), 0);
    no_raw(out);
    has(out, "\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"x\"\")@example.org\"");
    free(out);
    snprintf(args, sizeof args, "query --db %%s --format json %s", sql);
    ck_assert_int_eq(rl(args, &out, NULL), 0);
    no_raw(out);
    has(out, "\"sender\":\"\\u001b]0;pwned\\u0007@evil.example\"");
    has(out, "\"recipient\":\"=HYPERLINK(\\\"http://evil.example/\\\",\\\"x\\\")@example.org\"");
    has(out, "\"helo\":\"\\u001b[2J\\u001b[31mred\\ufffd\\u202egnp.exe\"");
    free(out);
    snprintf(args, sizeof args, "query --db %%s --format tsv %s", sql);
    ck_assert_int_eq(rl(args, &out, NULL), 0);
    no_raw(out);
    has(out, "\\x1b]0;pwned\\x07@evil.example\t=HYPERLINK(");
    free(out);
}
END_TEST

/* ---------------------------------------------------------------- trace */

START_TEST(test_trace_queue_id)
{
    char *out, *err;

    build();
    /* the bounce, its notice back to the sender, the greylisting and the later delivery */
    ck_assert_int_eq(rl("trace --db %s C3C3C3C3C3", &out, &err), 0);
    has(out, "#1  mx1 C3C3C3C3C3  from <carol@example.org>  900 bytes  message-id "
             "<msg-c@example.org>");
    has(out, "2026-01-14 10:00:01  C3C3C3C3C3  bounce   nobody@remote.example");
    has(out, "-> recipient_unknown (Recipient address does not exist): The mailbox "
             "nobody@remote.example does not exist at remote.example.");
    has(out, "-> greylisted (Temporarily refused by greylisting)");
    has(out, "2026-01-14 10:00:02  D4D4D4D4D4  deliver  carol@example.org");
    has(out, "Ok: queued as 9Z9Z9Z9Z9Z");
    has_not(out, "#2");
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    /* from the notice back to its message; from the next hop back to the content filter */
    ck_assert_int_eq(rl("trace --db %s D4D4D4D4D4", &out, NULL), 0);
    has(out, "C3C3C3C3C3  bounce");
    free(out);
    ck_assert_int_eq(rl("trace --db %s B2B2B2B2B2", &out, NULL), 0);
    has(out, "#1  mx1 A1A1A1A1A1  from <alice@example.net>  client "
             "mail.example.net[198.51.100.7]  2048 bytes");
    has(out, "A1A1A1A1A1  deliver  bob@example.org  127.0.0.1[127.0.0.1]:10024");
    has(out, "B2B2B2B2B2  deliver  bob@example.org  mx1.example.org[private/dovecot-lmtp]");
    free(out);
}
END_TEST

START_TEST(test_trace_subjects)
{
    char *out, *err;

    build();
    /* an address in any case: both hops of one message are one story */
    ck_assert_int_eq(rl("trace --db %s BOB@Example.ORG", &out, NULL), 0);
    ck_assert_int_eq(count(out, "#1 "), 1);
    has_not(out, "#2 ");
    has(out, "B2B2B2B2B2");
    free(out);
    /* an IP: the two rejections of one session are one story */
    ck_assert_int_eq(rl("trace --db %s 192.0.2.66", &out, NULL), 0);
    has(out, "#1  mx2 (no queue id)  from <spam@spam.example>  client unknown[192.0.2.66]  "
             "helo spammer");
    ck_assert_int_eq(count(out, "-> ip_blocklisted (Sending IP or domain on a block list): The "
                                "sending IP 192.0.2.66"),
                     2);
    has_not(out, "#2 ");
    free(out);
    /* the same client on three days: three stories; an IP is looked for in the newest day
     * first, and the answer says so */
    ck_assert_int_eq(rl("trace --db %s 203.0.113.50 --since 2026-01-01", &out, &err), 0);
    has(out, "#3 ");
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s 203.0.113.50", &out, &err), 0);
    has(out, "#1 ");
    has_not(out, "#2 ");
    has(err, "looked back 1 day from the newest event");
    free(out);
    free(err);
    /* a Message-ID in brackets (tried as an address first), or said to be one */
    ck_assert_int_eq(rl("trace --db %s '<msg-a@example.net>'", &out, &err), 0);
    has(out, "A1A1A1A1A1");
    has(err, "looked back 7 days");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s --by message-id msg-c@example.org", &out, NULL), 0);
    has(out, "C3C3C3C3C3");
    free(out);
    ck_assert_int_eq(rl("trace --db %s msg-c@example.org", &out, &err), 0);
    has(err, "no event matches address");
    free(out);
    free(err);
    /* an address in brackets, as a log writes it */
    ck_assert_int_eq(rl("trace --db %s '<carol@example.org>'", &out, NULL), 0);
    has(out, "C3C3C3C3C3");
    free(out);
    /* a domain: looked for back from the newest event in growing windows, and said so */
    ck_assert_int_eq(rl("trace --db %s other.example", &out, &err), 0);
    has(out, "ghost0@example.org");
    has(out, "ghost2@example.org");
    has(err, "looked back 31 days from the newest event");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s relay.example", &out, &err), 0);
    has(out, "2026-01-16 12:00:00");
    has_not(out, "2026-01-07");
    has(err, "looked back 1 day from the newest event");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s relay.example --since 2026-01-01", &out, &err), 0);
    has(out, "2026-01-07");
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    /* a period: relay denied in week 2 only */
    ck_assert_int_eq(
        rl("trace --db %s 203.0.113.50 --since 2026-01-12 --until 2026-01-18", &out, NULL), 0);
    has(out, "2026-01-16 12:00:00");
    has_not(out, "2026-01-06");
    free(out);
    /* --limit: the newest */
    ck_assert_int_eq(rl("trace --db %s 203.0.113.50 --since 2026-01-01 --limit 1", &out, &err), 0);
    has(out, "2026-01-16 12:00:00");
    has_not(out, "2026-01-07");
    has(err, "more messages match");
    free(out);
    free(err);
    /* nothing matches: said on stderr, not an error */
    ck_assert_int_eq(rl("trace --db %s nobody@nowhere.example", &out, &err), 0);
    has(err, "no event matches address 'nobody@nowhere.example'");
    free(out);
    free(err);
}
END_TEST

START_TEST(test_trace_formats)
{
    char *out;

    build();
    ck_assert_int_eq(rl("trace --db %s C3C3C3C3C3 --format csv", &out, NULL), 0);
    has(out, "message,ts,host,mta,queue_id,parent_queue_id,message_id,kind,direction,stage,");
    has(out, "1,2026-01-14T10:00:01Z,mx1,postfix,C3C3C3C3C3,,msg-c@example.org,bounce,outbound,"
             "rcpt,,,,carol@example.org,nobody@remote.example,,"
             "mx.remote.example[203.0.113.9]:25,550,5.1.1,recipient_unknown,"
             "Recipient address does not exist,The mailbox nobody@remote.example does not "
             "exist at remote.example.,");
    has(out, "1,2026-01-14T10:00:02.700000Z,mx1,postfix,D4D4D4D4D4,C3C3C3C3C3,");
    free(out);
    ck_assert_int_eq(rl("trace --db %s C3C3C3C3C3 --format json", &out, NULL), 0);
    ck_assert_int_eq(out[0], '[');
    has(out, "\"category\":\"recipient_unknown\",\"title\":\"Recipient address does not exist\"");
    has(out, "\"reply_code\":550");
    ck_assert_int_eq(count(out, "{\"message\":1,"), 4);
    free(out);
    ck_assert_int_eq(rl("trace --db %s 192.0.2.99 --format tsv", &out, NULL), 0);
    no_raw(out);
    free(out);
    /* the hostile reject in a table and as JSON */
    ck_assert_int_eq(rl("trace --db %s 192.0.2.99", &out, NULL), 0);
    no_raw(out);
    has(out, "from <\\x1b]0;pwned\\x07@evil.example>");
    free(out);
    ck_assert_int_eq(rl("trace --db %s 192.0.2.99 --format csv", &out, NULL), 0);
    no_raw(out);
    has(out, ",\"'=HYPERLINK(");
    free(out);
}
END_TEST

START_TEST(test_trace_bad_input)
{
    char *out, *err;

    build();
    ck_assert_int_eq(rl("trace --db %s", &out, &err), 2);
    has(err, "say what to trace");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s a@b.example c@d.example", &out, &err), 2);
    has(err, "one thing at a time");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s 1.2.3.4 --limit 5x", &out, &err), 2);
    has(err, "--limit: give a number from 0 (all) to 100000");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s --by street 1.2.3.4", &out, &err), 2);
    has(err, "--by: 'street'");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s 1.2.3.4 --since 'last tuesday'", &out, &err), 2);
    has(err, "--since: bad time 'last tuesday'");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s 1.2.3.4 --since 2026-01-10 --until 2026-01-01", &out, &err),
                     2);
    has(err, "--since must be before --until");
    free(out);
    free(err);
    ck_assert_int_eq(rl("trace --db %s.missing 1.2.3.4", &out, &err), 2);
    has(err, "no database there");
    free(out);
    free(err);
}
END_TEST

/* ---------------------------------------------------------------- top */

START_TEST(test_top_categories)
{
    char *out;

    build();
    /* week 2 against week 1 */
    ck_assert_int_eq(rl("top --db %s categories --since 2026-01-12 --until 2026-01-18 "
                        "--format tsv",
                        &out, NULL),
                     0);
    ck_assert_str_eq(out, "category\ttitle\tevents\tshare\tprevious\tchange\n"
                          "ip_blocklisted\tSending IP or domain on a block list\t2\t40.0\t0\t\n"
                          "recipient_unknown\tRecipient address does not exist\t2\t40.0\t3\t-33\n"
                          "relay_denied\tServer refuses to relay\t1\t20.0\t2\t-50\n");
    free(out);
    ck_assert_int_eq(rl("top --db %s categories --since 2026-01-12 --until 2026-01-18", &out, NULL),
                     0);
    has(out, "rejections, bounces and expiries by category, 2026-01-12 00:00 .. 2026-01-19 "
             "00:00: 5 events (the period before: 5)");
    has(out, "ip_blocklisted     Sending IP or domain on a block list       2  40.0%         0  "
             "   new");
    has(out, "recipient_unknown  Recipient address does not exist           2  40.0%         3  "
             "  -33%");
    free(out);
    /* without --since: everything, no change */
    ck_assert_int_eq(rl("top --db %s categories --format csv", &out, NULL), 0);
    ck_assert_str_eq(out, "category,title,events,share\r\n"
                          "recipient_unknown,Recipient address does not exist,5,50.0\r\n"
                          "relay_denied,Server refuses to relay,3,30.0\r\n"
                          "ip_blocklisted,Sending IP or domain on a block list,2,20.0\r\n");
    free(out);
}
END_TEST

/*
 * on_terminal - run "rejectlens ARGS" on a pseudo-terminal of cols columns (script(1)), with
 * env before it; what the terminal showed
 */
static char *on_terminal(const char *env, int cols, const char *args)
{
    char cmd[4096], *out = NULL;

    snprintf(cmd, sizeof cmd,
             "script -qec \"stty cols %d; env TZ=UTC %s %s %s\" /dev/null < /dev/null", cols, env,
             REJECTLENS_BIN, args);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    return out;
}

/* colour and alignment for a terminal only: NO_COLOR, TERM=dumb and a pipe get plain text */
START_TEST(test_terminal)
{
    char args[1024], *out;

    build();
    snprintf(args, sizeof args, "top --db '%s' categories --since 2026-01-12 --until 2026-01-18",
             db);
    out = on_terminal("NO_COLOR= TERM=xterm", 120, args);
    has(out, "\033[36mip_blocklisted\033[0m");
    has(out, "\033[33mnew\033[0m");
    free(out);
    out = on_terminal("NO_COLOR=1 TERM=xterm", 120, args);
    has_not(out, "\033");
    has(out, "ip_blocklisted     Sending IP or domain on a block list");
    free(out);
    out = on_terminal("NO_COLOR= TERM=dumb", 120, args);
    has_not(out, "\033");
    free(out);
    /* a narrow terminal: the category ids stay whole, the titles go */
    out = on_terminal("NO_COLOR=1 TERM=xterm", 50, args);
    has(out, "recipient_unknown");
    has_not(out, "title");
    free(out);
    /* trace: the kind coloured, the cause line dim; a pipe gets none of it */
    snprintf(args, sizeof args, "trace --db '%s' C3C3C3C3C3", db);
    out = on_terminal("NO_COLOR= TERM=xterm", 200, args);
    has(out, "\033[31mbounce\033[0m");
    has(out, "\033[2m-> recipient_unknown (Recipient address does not exist)");
    free(out);
    ck_assert_int_eq(rl("trace --db %s C3C3C3C3C3", &out, NULL), 0);
    has_not(out, "\033");
    has(out, "-> recipient_unknown (Recipient address does not exist)");
    free(out);
}
END_TEST

START_TEST(test_top_subjects)
{
    char *out;

    build();
    ck_assert_int_eq(rl("top --db %s domains --format tsv --limit 2", &out, NULL), 0);
    ck_assert_str_eq(out, "domain\tevents\tshare\n"
                          "other.example\t3\t30.0\n"
                          "relay.example\t3\t30.0\n");
    free(out);
    ck_assert_int_eq(
        rl("top --db %s clients --direction inbound --format tsv --limit 1", &out, NULL), 0);
    ck_assert_str_eq(out, "client\tname\tevents\tshare\n"
                          "198.51.100.20\tmail.other.example\t3\t33.3\n");
    free(out);
    ck_assert_int_eq(rl("top --db %s relays --format tsv", &out, NULL), 0);
    has(out, "mx.remote.example[203.0.113.9]:25\t1\t");
    free(out);
    ck_assert_int_eq(rl("top --db %s texts --category relay_denied --format tsv", &out, NULL), 0);
    ck_assert_str_eq(out, "text\tcategory\ttitle\tevents\tshare\n"
                          "<ADDR>: Relay access denied\trelay_denied\tServer refuses to "
                          "relay\t3\t100.0\n");
    free(out);
    ck_assert_int_eq(rl("top --db %s senders --kind defer --format tsv", &out, NULL), 0);
    ck_assert_str_eq(out, "sender\tevents\tshare\ncarol@example.org\t1\t100.0\n");
    free(out);
    ck_assert_int_eq(rl("top --db %s recipients --kind all --host mx1 --mta postfix --limit 1 "
                        "--format tsv",
                        &out, NULL),
                     0);
    ck_assert_str_eq(out, "recipient\tevents\tshare\nbob@example.org\t2\t22.2\n");
    free(out);
    /* hostile values in a table and in CSV */
    ck_assert_int_eq(rl("top --db %s helos", &out, NULL), 0);
    no_raw(out);
    has(out, "\\x1b[2J\\x1b[31mred\\xff\\u202egnp.exe");
    free(out);
    ck_assert_int_eq(rl("top --db %s recipients --format csv", &out, NULL), 0);
    has(out, "\"'=hyperlink(");
    free(out);
}
END_TEST

static const struct {
    const char *args;
    const char *err;
} top_bad[] = {
    {"top --db %s", "say what to count"},
    {"top --db %s colours", "unknown subject 'colours'"},
    {"top --db %s domains extra", "unexpected argument 'extra'"},
    {"top --db %s domains --kind rejected", "unknown kind 'rejected'"},
    {"top --db %s domains --direction sideways", "neither inbound nor outbound"},
    {"top --db %s domains --mta sendmail", "unknown MTA 'sendmail'"},
    {"top --db %s domains --category spam", "unknown category 'spam'"},
    {"top --db %s domains --limit -1", "--limit: give a number from 0 (all) to 1000000"},
    {"top --db %s domains --limit ''", "--limit: give a number from 0 (all) to 1000000"},
    {"top --db %s domains --limit 99999999999999999999", "--limit: give a number from 0 (all)"},
    {"top --db %s domains --since yesterdays", "--since: bad time 'yesterdays'"},
    {"top --db %s domains --since 2099-01-01", "in the future"},
    {"top --db %s domains --format xml", "--format: 'xml'"},
    {"top --db %s.missing domains", "no database there"},
};

START_TEST(test_top_bad_input)
{
    char *out, *err;

    build();
    ck_assert_int_eq(rl(top_bad[_i].args, &out, &err), 2);
    has(err, top_bad[_i].err);
    ck_assert_str_eq(out, "");
    free(out);
    free(err);
}
END_TEST

/*
 * the statements of trace and top find their indexes: the ones led by the hour (schema 10) only
 * when the query repeats their expression, so a change to either side shows here
 */
static const struct {
    const char *sql;
    const char *index;
} plans[] = {
    {"WITH RECURSIVE b(d) AS (SELECT 491040 UNION ALL SELECT d + 1 FROM b WHERE d < 491280) "
     "SELECT * FROM events e WHERE e.ts / 3600000000 IN (SELECT d FROM b) "
     "AND e.recipient_key = rejectlens_address_key('bob@example.org') "
     "AND e.recipient = 'bob@example.org' COLLATE NOCASE",
     "USING INDEX events_recipient (<expr>=? AND recipient_key=?)"},
    {"WITH RECURSIVE b(d) AS (SELECT 491040 UNION ALL SELECT d + 1 FROM b WHERE d < 491280) "
     "SELECT * FROM events e WHERE e.ts / 3600000000 IN (SELECT d FROM b) "
     "AND e.sender_key = rejectlens_address_key('carol@example.org') "
     "AND e.sender = 'carol@example.org' COLLATE NOCASE",
     "USING INDEX events_sender (<expr>=? AND sender_key=?)"},
    {"SELECT * FROM events e WHERE e.ts >= 0 AND e.ts < 1 AND e.client_ip = '192.0.2.66' "
     "ORDER BY e.ts DESC LIMIT 10",
     "USING INDEX events_ts"},
    {"WITH RECURSIVE b(d) AS (SELECT 491040 UNION ALL SELECT d + 1 FROM b WHERE d < 491280) "
     "SELECT * FROM events e WHERE e.ts / 3600000000 IN (SELECT d FROM b) "
     "AND e.orig_recipient_key = rejectlens_address_key('x@example.org') "
     "AND e.orig_recipient = 'x@example.org' COLLATE NOCASE",
     "USING INDEX events_orig_recipient (<expr>=? AND orig_recipient_key=?)"},
    {"SELECT * FROM events e WHERE e.parent_queue_id = 'C3C3C3C3C3'", "USING INDEX events_parent"},
    {"WITH RECURSIVE b(d) AS (SELECT 491040 UNION ALL SELECT d + 1 FROM b WHERE d < 491280) "
     "SELECT * FROM events e WHERE e.ts / 3600000000 IN (SELECT d FROM b) "
     "AND e.queue_id = 'C3C3C3C3C3'",
     "USING INDEX events_queue_id (<expr>=? AND queue_id=?)"},
    {"SELECT r.category, count(*) FROM events e LEFT JOIN reply_texts r ON r.id = e.reply_text_id "
     "WHERE e.ts >= 0 AND e.ts < 1 AND e.kind IN (1, 3, 5) "
     "AND (e.kind = 1 OR e.kind = 3 OR e.kind = 4 OR e.kind = 5) GROUP BY r.category",
     "USING COVERING INDEX events_failures"},
    /* one kind alone implies the condition, written with OR, of events_failures */
    {"SELECT r.category, count(*) FROM events e LEFT JOIN reply_texts r ON r.id = e.reply_text_id "
     "WHERE e.ts >= 0 AND e.ts < 1 AND e.kind = 4 GROUP BY r.category",
     "USING COVERING INDEX events_failures"},
    {"SELECT count(*) FROM v_rejections WHERE ts_us >= 0 AND ts_us < 1", "INDEX events_ts"},
};

START_TEST(test_plans)
{
    char args[2048], *out;

    build();
    snprintf(args, sizeof args, "query --db %%s --format tsv \"EXPLAIN QUERY PLAN %s\"",
             plans[_i].sql);
    ck_assert_int_eq(rl(args, &out, NULL), 0);
    has(out, plans[_i].index);
    free(out);
}
END_TEST

/*
 * the statements trace runs, as they are (REJECTLENS_EXPLAIN shows their plans): each address
 * and queue-id search takes its index and none reads the whole events table
 */
START_TEST(test_trace_plans)
{
    static const char *const subjects[] = {"bob@example.org", "carol@example.org", "A1A1A1A1A1",
                                           "example.org"};
    char args[512], *out, *err;

    build();
    for (size_t i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
        snprintf(args, sizeof args, "trace --db %%s --since 2026-01-01 --until 2026-02-01 %s",
                 subjects[i]);
        setenv("REJECTLENS_EXPLAIN", "1", 1);
        ck_assert_int_eq(rl(args, &out, &err), 0);
        unsetenv("REJECTLENS_EXPLAIN");
        has(err, "plan:   SEARCH");
        has_not(err, "plan:   SCAN e\n");
        has_not(err, "plan:   SCAN events\n");
        /* each index searched per bucket, the buckets found on it one seek at a time */
        if (i < 2) {
            has(err, "USING INDEX events_recipient (<expr>=? AND recipient_key=?)");
            has(err, "USING INDEX events_recipient (<expr>>?)");
            has(err, "USING INDEX events_sender (<expr>=? AND sender_key=?)");
            has(err, "USING INDEX events_sender (<expr>>?)");
            has(err, "USING INDEX events_orig_recipient (<expr>=? AND orig_recipient_key=?)");
            has(err, "USING INDEX events_orig_recipient (<expr>>?)");
        }
        /* a queue id, and the story of every message an address search found */
        if (i < 3) {
            has(err, "USING INDEX events_queue_id (<expr>=? AND queue_id=?)");
            has(err, "USING INDEX events_queue_id (<expr>>?)");
        }
        free(out);
        free(err);
    }
}
END_TEST

/* ingested - log[0..n) written as NAME.log in the temporary directory and ingested into NAME.db,
 * whose path goes into path_db */
static void ingested(const char *name, const char *log, size_t n, char *path_db, size_t cap)
{
    char path[600], cmd[1500];

    snprintf(path, sizeof path, "%s/%s.log", tu_tempdir(), name);
    snprintf(path_db, cap, "%s/%s.db", tu_tempdir(), name);
    tu_write_file(path, log, n);
    snprintf(cmd, sizeof cmd, BIN " ingest -q --db '%s' '%s'", path_db, path);
    ck_assert_int_eq(tu_run(cmd, NULL, NULL), 0);
}

/*
 * an address whose events lie 55 years apart (a clock that said 1969 or 1971 once): trace
 * finds them all, and walks only the hours that hold entries (test_trace_plans sees each step
 * seek); walking every bucket between took seconds
 */
START_TEST(test_trace_far_apart)
{
    static const char line[] =
        " mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 550 5.1.1 "
        "<zed@example.org>: Recipient address rejected: User unknown in local recipient table; "
        "from=<a@b.example> to=<zed@example.org> proto=ESMTP helo=<x>\n";
    static const char *const stamps[] = {"1969-12-31T22:30:00+00:00", "1969-12-31T23:30:00+00:00",
                                         "1971-06-01T08:00:00+00:00", "2026-01-20T08:00:00+00:00"};
    char log[2048], far_db[600], cmd[1500], *out;
    size_t n = 0;

    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++)
        n += (size_t)snprintf(log + n, sizeof log - n, "%s%s", stamps[i], line);
    ingested("far", log, n, far_db, sizeof far_db);
    snprintf(cmd, sizeof cmd, BIN " trace --db '%s' --since @0 zed@example.org", far_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    has(out, "1971-06-01 08:00:00            reject  zed@example.org");
    has(out, "2026-01-20 08:00:00            reject  zed@example.org");
    has_not(out, "1969-12-31");
    free(out);
    /* the index's buckets truncate toward zero: the last hour of 1969 is bucket 0, which a
     * window ending at 1970 still walks to */
    snprintf(cmd, sizeof cmd,
             BIN " trace --db '%s' --since 1969-12-31T00:00:00Z --until 1970-01-01T00:00:00Z "
                 "zed@example.org",
             far_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    has(out, "1969-12-31 22:30:00            reject  zed@example.org");
    has(out, "1969-12-31 23:30:00            reject  zed@example.org");
    has_not(out, "1971-06-01");
    free(out);
}
END_TEST

/*
 * one queue id for three messages: on two hosts at once, and on the first again three weeks on
 * (beyond a message's window): three stories, each with its own deferral and delivery. A
 * message is found again by queue id and host in a map (cli/trace.c); a trace that merged
 * the hosts, ignored the window or never found a message again would tell other stories
 */
START_TEST(test_trace_queue_id_again)
{
    static const char *const msgs[][3] = {{"2026-01-06T10:00", "mx1", "first@example.net"},
                                          {"2026-01-06T10:00", "mx2", "other-host@example.net"},
                                          {"2026-01-27T10:00", "mx1", "later@example.net"}};
    char log[4096], again_db[600], cmd[1500], *out;
    size_t n = 0;

    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
        n += (size_t)snprintf(
            log + n, sizeof log - n,
            "%s:01+00:00 %s postfix/smtpd[1]: ABCDEF1234: client=unknown[192.0.2.1]\n"
            "%s:02+00:00 %s postfix/qmgr[2]: ABCDEF1234: from=<a@example.org>, size=100, "
            "nrcpt=1 (queue active)\n"
            "%s:03+00:00 %s postfix/smtp[3]: ABCDEF1234: to=<%s>, relay=mx.example.net"
            "[198.51.100.1]:25, delay=1, delays=0/0/0/1, dsn=4.2.0, status=deferred (450 4.2.0 "
            "try later)\n"
            "%s:09+00:00 %s postfix/smtp[3]: ABCDEF1234: to=<%s>, relay=mx.example.net"
            "[198.51.100.1]:25, delay=9, delays=0/0/0/9, dsn=2.0.0, status=sent (250 ok)\n",
            msgs[i][0], msgs[i][1], msgs[i][0], msgs[i][1], msgs[i][0], msgs[i][1], msgs[i][2],
            msgs[i][0], msgs[i][1], msgs[i][2]);
    ingested("again", log, n, again_db, sizeof again_db);
    snprintf(cmd, sizeof cmd,
             BIN " trace --db '%s' --since @0 --limit 0 --by queue-id ABCDEF1234 --format tsv",
             again_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    /* the first column numbers the stories: each has its host's and its time's two events */
    ck_assert_int_eq(count(out, "\n1\t2026-01-06T10:00:"), 2);
    ck_assert_int_eq(count(out, "\n2\t2026-01-06T10:00:"), 2);
    ck_assert_int_eq(count(out, "\n3\t2026-01-27T10:00:"), 2);
    ck_assert_int_eq(count(out, "\n4\t"), 0);
    has(out, "\n1\t2026-01-06T10:00:09Z\tmx1\t");
    has(out, "\n2\t2026-01-06T10:00:09Z\tmx2\t");
    has(out, "\n3\t2026-01-27T10:00:09Z\tmx1\t");
    free(out);
}
END_TEST

/*
 * a bounce and its notice, traced by the sender with --limit 1: the notice (newest) is kept,
 * the bounced message cut from the messages found, then brought back by the notice's parent
 * queue id into the same story. The messages cut must not be found by queue id any more.
 */
START_TEST(test_trace_cut_then_linked)
{
    static const char log[] =
        "2026-01-06T10:00:00+00:00 mx1 postfix/smtpd[1]: AAAA111111: client=unknown[192.0.2.1]\n"
        "2026-01-06T10:00:01+00:00 mx1 postfix/qmgr[2]: AAAA111111: from=<s@example.org>, "
        "size=100, nrcpt=1 (queue active)\n"
        "2026-01-06T10:00:02+00:00 mx1 postfix/smtp[3]: AAAA111111: to=<x@example.net>, "
        "relay=mx.example.net[198.51.100.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, "
        "status=bounced (host mx.example.net[198.51.100.1] said: 550 5.1.1 <x@example.net>: "
        "User unknown (in reply to RCPT TO command))\n"
        "2026-01-06T10:00:02+00:00 mx1 postfix/bounce[4]: AAAA111111: sender non-delivery "
        "notification: BBBB222222\n"
        "2026-01-06T10:00:02+00:00 mx1 postfix/qmgr[2]: AAAA111111: removed\n"
        "2026-01-06T10:00:03+00:00 mx1 postfix/qmgr[2]: BBBB222222: from=<>, size=2000, "
        "nrcpt=1 (queue active)\n"
        "2026-01-06T10:00:04+00:00 mx1 postfix/local[5]: BBBB222222: to=<s@example.org>, "
        "relay=local, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (delivered to mailbox)\n"
        "2026-01-06T10:00:04+00:00 mx1 postfix/qmgr[2]: BBBB222222: removed\n";
    char cut_db[600], cmd[1500], *out;

    ingested("cut", log, sizeof log - 1, cut_db, sizeof cut_db);
    snprintf(cmd, sizeof cmd,
             BIN " trace --db '%s' --since @0 --limit 1 s@example.org --format tsv 2>/dev/null",
             cut_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    has(out, "\n1\t2026-01-06T10:00:02Z\tmx1\tpostfix\tAAAA111111\t\t\tbounce\t");
    has(out, "\n1\t2026-01-06T10:00:04Z\tmx1\tpostfix\tBBBB222222\tAAAA111111\t\tdeliver\t");
    ck_assert_int_eq(count(out, "\n2\t"), 0);
    free(out);
}
END_TEST

/*
 * a next hop found back to its content filter, for messages an hour and a week apart: the
 * deliveries that name next hops are read once per recipient, for the windows not read yet
 * (cli/trace.c); only that look-up links these first hops, as alias@ is on the second ones
 */
START_TEST(test_trace_handovers_apart)
{
    static const char *const pass[][3] = {{"2026-01-13T09:00:00", "A1A1A1A1A1", "B2B2B2B2B2"},
                                          {"2026-01-13T09:20:00", "E5E5E5E5E5", "F6F6F6F6F6"},
                                          {"2026-01-20T09:00:00", "C3C3C3C3C3", "D4D4D4D4D4"}};
    char log[4096], ho_db[600], cmd[1500], *out;
    size_t n = 0;

    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++)
        n += (size_t)snprintf(
            log + n, sizeof log - n,
            "%s.1+00:00 mx1 postfix/smtp[104]: %s: to=<bob@example.org>, "
            "relay=127.0.0.1[127.0.0.1]:10024, delay=0.9, delays=0.1/0/0.1/0.7, dsn=2.0.0, "
            "status=sent (250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): Ok: queued as %s)\n"
            "%s.2+00:00 mx1 postfix/lmtp[105]: %s: to=<bob@example.org>, "
            "orig_to=<alias@example.org>, relay=mx1.example.org[private/dovecot-lmtp], "
            "delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 <bob@example.org> "
            "Saved)\n",
            pass[i][0], pass[i][1], pass[i][2], pass[i][0], pass[i][2]);
    ingested("handovers", log, n, ho_db, sizeof ho_db);
    snprintf(cmd, sizeof cmd, BIN " trace --db '%s' --since @0 alias@example.org", ho_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++)
        has(out, pass[i][1]);
    ck_assert_int_eq(count(out, "127.0.0.1[127.0.0.1]:10024"), 3);
    has(out, "#3 ");
    has_not(out, "#4 ");
    free(out);
}
END_TEST

/* ---------------------------------------------------------------- an empty database */

START_TEST(test_empty_database)
{
    char cmd[1200], *out, *err;

    build();
    snprintf(cmd, sizeof cmd, BIN " query --db '%s' 'SELECT count(*) AS n FROM v_rejections'",
             empty_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    ck_assert_str_eq(out, "n\n-\n0\n");
    free(out);
    snprintf(cmd, sizeof cmd, BIN " trace --db '%s' bob@example.org", empty_db);
    ck_assert_int_eq(tu_run(cmd, &out, &err), 0);
    ck_assert_str_eq(out, "");
    has(err, "no event matches");
    free(out);
    free(err);
    snprintf(cmd, sizeof cmd, BIN " trace --db '%s' bob@example.org --format json", empty_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    ck_assert_str_eq(out, "[]\n");
    free(out);
    snprintf(cmd, sizeof cmd, BIN " top --db '%s' domains --since 7d", empty_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    has(out, ": 0 events (the period before: 0)");
    has(out, "nothing to count");
    free(out);
    snprintf(cmd, sizeof cmd, BIN " top --db '%s' categories --format csv", empty_db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    ck_assert_str_eq(out, "category,title,events,share\r\n");
    free(out);
}
END_TEST

/* ---------------------------------------------------------------- docs/schema.md */

/*
 * The example queries of docs/schema.md: every ```sql block under "## Example queries", each
 * statement ending in ';' at the end of a line. Each must run on the known database.
 */
START_TEST(test_schema_examples)
{
    char *doc = tu_read_file(SOURCE_DIR "/docs/schema.md", NULL), *p, *sqlpath;
    char cmd[2000], *out, *err;
    int n = 0;

    build();
    ck_assert_ptr_nonnull(doc);
    p = strstr(doc, "\n## Example queries");
    ck_assert_ptr_nonnull(p);
    sqlpath = malloc(800);
    snprintf(sqlpath, 800, "%s/example.sql", tu_tempdir());
    while ((p = strstr(p, "\n```sql\n")) != NULL) {
        char *end = strstr(p + 8, "\n```");
        ck_assert_ptr_nonnull(end);
        p += 8;
        while (p < end) {
            /* one statement: up to a line that ends in ';' */
            char *semi = p;
            while ((semi = strstr(semi, ";\n")) != NULL && semi < end && semi[-1] == ';')
                semi++;
            if (semi == NULL || semi > end)
                semi = end;
            tu_write_file(sqlpath, p, semi - p + (semi < end));
            snprintf(cmd, sizeof cmd, BIN " query --db '%s' --format tsv - < '%s'", db, sqlpath);
            int rc = tu_run(cmd, &out, &err);
            ck_assert_msg(rc == 0, "example query %d failed: %.*s\n%s", n + 1, (int)(semi - p), p,
                          err);
            n++;
            free(out);
            free(err);
            p = semi + 1;
            while (p < end && (*p == '\n' || *p == ' '))
                p++;
        }
        p = end + 4;
    }
    ck_assert_int_ge(n, 12);
    free(sqlpath);
    free(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("adhoc");
    TCase *tc = tcase_create("commands");

    tcase_add_test(tc, test_query_formats);
    tcase_add_loop_test(tc, test_query_refuses_writes, 0, sizeof writes / sizeof writes[0]);
    tcase_add_test(tc, test_query_bad_input);
    tcase_add_test(tc, test_query_hostile);
    tcase_add_test(tc, test_trace_queue_id);
    tcase_add_test(tc, test_trace_subjects);
    tcase_add_test(tc, test_trace_formats);
    tcase_add_test(tc, test_trace_bad_input);
    tcase_add_test(tc, test_top_categories);
    tcase_add_test(tc, test_top_subjects);
    tcase_add_test(tc, test_terminal);
    tcase_add_loop_test(tc, test_top_bad_input, 0, sizeof top_bad / sizeof top_bad[0]);
    tcase_add_loop_test(tc, test_plans, 0, sizeof plans / sizeof plans[0]);
    tcase_add_test(tc, test_trace_plans);
    tcase_add_test(tc, test_trace_far_apart);
    tcase_add_test(tc, test_trace_queue_id_again);
    tcase_add_test(tc, test_trace_cut_then_linked);
    tcase_add_test(tc, test_trace_handovers_apart);
    tcase_add_test(tc, test_empty_database);
    tcase_add_test(tc, test_schema_examples);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
