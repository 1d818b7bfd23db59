/*
 * test_common - the leaf modules: timeparse, smtp_reply, lru, strbuf, event names, diag, workq
 */
#include "arena.h"
#include "diag.h"
#include "dynload.h"
#include "event.h"
#include "lru.h"
#include "scan.h"
#include "smtp_reply.h"
#include "statepack.h"
#include "strbuf.h"
#include "testutil.h"
#include "timeparse.h"
#include "workq.h"

#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- timeparse */

static const struct {
    const char *in;
    size_t consumed; /* 0: no match */
    int month, day, hour, min, sec, prec;
    int32_t usec;
} rfc3164_cases[] = {
    {"Jan 31 13:55:24 xxx", 15, 1, 31, 13, 55, 24, 0, 0},
    {"Apr  6 13:05:01 server", 15, 4, 6, 13, 5, 1, 0, 0},
    {"Mar 7 02:09:33 server", 14, 3, 7, 2, 9, 33, 0, 0},     /* unpadded day, seen in fail2ban */
    {"Jun 04 22:24:28 machine", 15, 6, 4, 22, 24, 28, 0, 0}, /* maillog_file's zero padding */
    {"Dec 31 23:59:59.123 h", 19, 12, 31, 23, 59, 59, 3, 123000},
    {"Foo 31 13:55:24 xxx", 0, 0, 0, 0, 0, 0, 0, 0},
    {"Jan 32 13:55:24 xxx", 0, 0, 0, 0, 0, 0, 0, 0},
    {"Jan 31 25:55:24 xxx", 0, 0, 0, 0, 0, 0, 0, 0},
    {"Jan 31 13:55", 0, 0, 0, 0, 0, 0, 0, 0},
    {"", 0, 0, 0, 0, 0, 0, 0, 0},
};

START_TEST(test_rfc3164)
{
    struct civil_time ct;
    const char *in = rfc3164_cases[_i].in;
    size_t n = ts_parse_rfc3164(in, strlen(in), &ct);

    ck_assert_uint_eq(n, rfc3164_cases[_i].consumed);
    if (n == 0)
        return;
    ck_assert_int_eq(ct.month, rfc3164_cases[_i].month);
    ck_assert_int_eq(ct.day, rfc3164_cases[_i].day);
    ck_assert_int_eq(ct.hour, rfc3164_cases[_i].hour);
    ck_assert_int_eq(ct.min, rfc3164_cases[_i].min);
    ck_assert_int_eq(ct.sec, rfc3164_cases[_i].sec);
    ck_assert_int_eq(ct.prec, rfc3164_cases[_i].prec);
    ck_assert_int_eq(ct.usec, rfc3164_cases[_i].usec);
    ck_assert_int_eq(ct.year, 0);
}
END_TEST

static const struct {
    const char *in;
    int space_zone;
    size_t consumed;
    const char *utc; /* expected UTC, formatted with the parsed precision */
} iso_cases[] = {
    {"2024-08-29T01:08:59.764590+00:00 machine", 0, 32, "2024-08-29T01:08:59.764590Z"},
    {"2020-01-30T06:26:05.404714+09:00 mail", 0, 32, "2020-01-29T21:26:05.404714Z"},
    {"2026-01-05T08:15:02Z x", 0, 20, "2026-01-05T08:15:02Z"},
    {"2026-01-05T08:15:02+0100 host", 0, 24, "2026-01-05T07:15:02Z"},
    {"2003-04-25 11:17:07 +0100 Start", 1, 25, "2003-04-25T10:17:07Z"},
    {"2017-07-30 18:51:05.712 [1236] x", 1, 23, NULL}, /* local time: zone from TZ */
    {"2026-13-05T08:15:02Z", 0, 0, NULL},
    {"2026-01-05X08:15:02Z", 0, 0, NULL},
    {"2026-01-0", 0, 0, NULL},
};

START_TEST(test_iso)
{
    struct civil_time ct;
    const char *in = iso_cases[_i].in;
    size_t n = ts_parse_iso(in, strlen(in), iso_cases[_i].space_zone, &ct);
    int64_t us;
    char buf[64];

    ck_assert_uint_eq(n, iso_cases[_i].consumed);
    if (iso_cases[_i].utc == NULL)
        return;
    ck_assert_int_eq(civil_to_utc_us(&ct, NULL, NULL, &us), 0);
    format_iso_utc(us, ct.prec, buf, sizeof buf);
    ck_assert_str_eq(buf, iso_cases[_i].utc);
}
END_TEST

/* a year-less date takes the latest year that is not more than a day after the reference */
START_TEST(test_year_guess)
{
    struct civil_time ct;
    struct year_guess yg;
    struct tz_cache tc;
    int64_t us;
    char buf[64];

    setenv("TZ", "UTC", 1);
    tzset();
    tz_cache_init(&tc);
    yg.ref_s = days_from_civil(2026, 1, 3) * 86400 + 3600; /* 2026-01-03 01:00 */
    ck_assert_uint_gt(ts_parse_rfc3164("Dec 31 23:59:58 h", 17, &ct), 0);
    ck_assert_int_eq(civil_to_utc_us(&ct, &yg, &tc, &us), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2025-12-31T23:59:58Z");
    ck_assert_uint_gt(ts_parse_rfc3164("Jan  1 00:00:01 h", 17, &ct), 0);
    ck_assert_int_eq(civil_to_utc_us(&ct, &yg, &tc, &us), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-01T00:00:01Z");
    /* the next day is still this year (clock skew between hosts) */
    ck_assert_uint_gt(ts_parse_rfc3164("Jan  4 00:00:01 h", 17, &ct), 0);
    ck_assert_int_eq(civil_to_utc_us(&ct, &yg, &tc, &us), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-04T00:00:01Z");
    /* Feb 29 goes back to the last leap year */
    ck_assert_uint_gt(ts_parse_rfc3164("Feb 29 12:00:00 h", 17, &ct), 0);
    ck_assert_int_eq(civil_to_utc_us(&ct, &yg, &tc, &us), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2024-02-29T12:00:00Z");
}
END_TEST

/* zone-less times follow the TZ rules, DST included */
START_TEST(test_local_zone)
{
    struct civil_time ct;
    struct tz_cache tc;
    int64_t us;
    char buf[64];

    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    tz_cache_init(&tc);
    ck_assert_uint_gt(ts_parse_iso("2026-01-15 12:00:00", 19, 1, &ct), 0);
    ck_assert_int_eq(civil_to_utc_us(&ct, NULL, &tc, &us), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-15T11:00:00Z");
    ck_assert_uint_gt(ts_parse_iso("2026-07-15 12:00:00", 19, 1, &ct), 0);
    ck_assert_int_eq(civil_to_utc_us(&ct, NULL, &tc, &us), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-07-15T10:00:00Z");
    setenv("TZ", "UTC", 1);
    tzset();
}
END_TEST

START_TEST(test_time_args)
{
    struct diag d = {""};
    int64_t now = days_from_civil(2026, 11, 30) * 86400 + 12 * 3600, us;
    char buf[64];

    setenv("TZ", "UTC", 1);
    tzset();
    ck_assert_int_eq(time_arg_parse("7d", now, 0, &us, &d), 0);
    ck_assert_int_eq(us, (now - 7 * 86400) * US_PER_SEC);
    ck_assert_int_eq(time_arg_parse("24h", now, 0, &us, &d), 0);
    ck_assert_int_eq(us, (now - 86400) * US_PER_SEC);
    ck_assert_int_eq(time_arg_parse("yesterday", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-11-29T00:00:00Z");
    ck_assert_int_eq(time_arg_parse("yesterday", now, 1, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-11-30T00:00:00Z");
    ck_assert_int_eq(time_arg_parse("2026-01-31", now, 1, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-02-01T00:00:00Z");
    ck_assert_int_eq(time_arg_parse("2026-12-31", now, 1, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2027-01-01T00:00:00Z");
    ck_assert_int_eq(time_arg_parse("2026-01-31T14:00", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-31T14:00:00Z");
    ck_assert_int_eq(time_arg_parse("2026-01-31 14:00:00+01:00", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-31T13:00:00Z");
    ck_assert_int_eq(time_arg_parse("@86400", now, 0, &us, &d), 0);
    ck_assert_int_eq(us, 86400 * US_PER_SEC);
    ck_assert_int_eq(time_arg_parse("2026-01-31T14:00Z", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-31T14:00:00Z");
    /* last-week: the last full Monday-to-Monday week; 2026-11-30 is a Monday */
    ck_assert_int_eq(time_arg_parse("last-week", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-11-23T00:00:00Z");
    ck_assert_int_eq(time_arg_parse("last-week", now, 1, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-11-30T00:00:00Z");
    /* on a Sunday the week still running is not full */
    ck_assert_int_eq(time_arg_parse("last-week", now - 86400, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-11-16T00:00:00Z");
    ck_assert_int_eq(time_arg_parse("last-week", now - 86400, 1, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-11-23T00:00:00Z");
    /* the machine's zone: Monday 00:00 in Berlin is Sunday 23:00 UTC */
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    ck_assert_int_eq(time_arg_parse("last-week", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-11-22T23:00:00Z");
    ck_assert_int_eq(time_arg_parse("2026-07-01", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-06-30T22:00:00Z");
    ck_assert_int_eq(time_arg_parse("2026-07-01T12:00+00:00", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-07-01T12:00:00Z");
    setenv("TZ", "UTC", 1);
    tzset();
    ck_assert_int_eq(time_arg_parse("2026-02-30", now, 0, &us, &d), -1);
    ck_assert_int_eq(time_arg_parse("lastweek", now, 0, &us, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "last-week"));
    ck_assert_int_eq(time_arg_parse("7x", now, 0, &us, &d), -1);
    ck_assert_int_eq(time_arg_parse("last tuesday", now, 0, &us, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "last tuesday"));
    ck_assert_int_eq(time_arg_parse("", now, 0, &us, &d), -1);
    ck_assert_int_eq(time_arg_parse("@-62135596800", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "0001-01-01T00:00:00Z");
    ck_assert_int_eq(time_arg_parse("700000d", now, 0, &us, &d), 0); /* 1,916 years back */
    ck_assert_int_eq(time_arg_parse("@253402300799", now, 0, &us, &d), 0);
    format_iso_utc(us, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "9999-12-31T23:59:59Z");
}
END_TEST

/* times the fuzzer found (tests/fuzz/regressions/time_arg): refused with a message, no overflow */
static const struct {
    const char *found; /* when */
    const char *arg;
} time_arg_refusals[] = {
    {"2026-11-30", "@16843771684377"}, /* seconds * 10^6 overflowed int64 */
    {"2026-11-30", "@-62135596801"},
    {"2026-11-30", "@9223372036854775807"},
    {"2026-11-30", "0000-12-31"}, /* year 0 is "no year": it became last year's Dec 31 */
    {"2026-11-30", "0000-06-01T10:00"},
    {"2026-11-30", "022622600w"}, /* weeks * 604800 * 10^6 overflowed int64 */
    {"2026-11-30", "99999999w"},
};

START_TEST(test_time_arg_refusals)
{
    struct diag d = {""};
    int64_t us;

    ck_assert_int_eq(time_arg_parse(time_arg_refusals[_i].arg, 1767398400, 0, &us, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, time_arg_refusals[_i].arg));
}
END_TEST

START_TEST(test_civil_days)
{
    int y, m, dd;

    for (int64_t day = -800000; day < 800000; day += 97) {
        civil_from_days(day, &y, &m, &dd);
        ck_assert_int_eq(days_from_civil(y, m, dd), day);
    }
    ck_assert_int_eq(days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(days_in_month(2024, 2), 29);
    ck_assert_int_eq(days_in_month(2100, 2), 28);
    ck_assert_int_eq(days_in_month(2000, 2), 29);
    ck_assert_int_eq(days_in_month(2026, 13), 0);
}
END_TEST

/* ---------------------------------------------------------------- smtp_reply */

static const struct {
    const char *in;
    int code;
    const char *status;
    const char *text;
} reply_cases[] = {
    {"550 5.1.1 <a@b>: Recipient address rejected: User unknown", 550, "5.1.1",
     "<a@b>: Recipient address rejected: User unknown"},
    {"554 <ce101@ce.metu.edu.tr>: Relay access denied", 554, "",
     "<ce101@ce.metu.edu.tr>: Relay access denied"},
    {"5.7.1 Blocked by SpamAssassin", 0, "5.7.1", "Blocked by SpamAssassin"},
    /* a status runs on into a letter, a digit or a dot: then it is none */
    {"550 5.1.1Z no", 550, "", "5.1.1Z no"},
    {"450 4.2.0a later", 450, "", "4.2.0a later"},
    {"250 2.0.0. x", 250, "", "2.0.0. x"},
    {"550 5.1.1@ x", 550, "5.1.1", "@ x"},
    {"550-5.7.1 [2607:f8b0::1] Our system has detected that this 550-5.7.1 message is likely "
     "unsolicited. 550 5.7.1 Please visit https://x - gsmtp",
     550, "5.7.1",
     "[2607:f8b0::1] Our system has detected that this message is likely unsolicited. Please "
     "visit https://x - gsmtp"},
    {"421-4.7.0 [1.2.3.4      15] Our system has detected an unusual rate of 421-4.7.0 "
     "unsolicited mail",
     421, "4.7.0", "[1.2.3.4      15] Our system has detected an unusual rate of unsolicited mail"},
    /* a number inside the text that happens to look like a code stays */
    {"452 4.5.3 Too many recipients; 550 more were refused", 452, "4.5.3",
     "Too many recipients; 550 more were refused"},
    {"451 DT:SPM 163 mx9", 451, "", "DT:SPM 163 mx9"},
    {"Service unavailable", 0, "", "Service unavailable"},
    {"5.7.1234 not a status", 0, "", "5.7.1234 not a status"},
    {"250 2.0.0 Ok: queued as 71111424269E", 250, "2.0.0", "Ok: queued as 71111424269E"},
    {"", 0, "", ""},
    {"550", 550, "", ""},
};

START_TEST(test_reply)
{
    struct smtp_reply r;
    const char *in = reply_cases[_i].in;
    char *out;

    smtp_reply_parse(in, strlen(in), &r);
    ck_assert_int_eq(r.code, reply_cases[_i].code);
    ck_assert_str_eq(r.status, reply_cases[_i].status);
    out = malloc(r.text_len + 1);
    smtp_reply_join(&r, out);
    ck_assert_str_eq(out, reply_cases[_i].text);
    free(out);
}
END_TEST

/* the parser's byte tests are the C library's in the C locale (the CLI's), for every byte */
START_TEST(test_byte_classes)
{
    ck_assert_ptr_nonnull(setlocale(LC_CTYPE, "C"));
    for (int c = 0; c < 256; c++) {
        ck_assert_msg(scan_is_digit((char)c) == !!isdigit(c), "digit %d", c);
        ck_assert_msg(scan_is_alpha((char)c) == !!isalpha(c), "alpha %d", c);
    }
}
END_TEST

/* join_reference - smtp_reply_join as it was written first: word by word, a prefix tried at
 * every space */
static size_t join_reference(const struct smtp_reply *r, char *out)
{
    const char *p = r->text;
    size_t n = r->text_len, o = 0, slen = strlen(r->status);

    for (size_t i = 0; i < n;) {
        if (p[i] == ' ' && r->code != 0 && i + 4 < n) {
            char code[4];
            snprintf(code, sizeof code, "%d", r->code);
            size_t j = i + 5;
            if (memcmp(p + i + 1, code, 3) == 0 && (p[i + 4] == ' ' || p[i + 4] == '-') &&
                (slen == 0 || (j + slen <= n && memcmp(p + j, r->status, slen) == 0 &&
                               (j + slen == n || p[j + slen] == ' ')))) {
                j += slen;
                while (j < n && p[j] == ' ')
                    j++;
                out[o++] = ' ';
                i = j;
                continue;
            }
        }
        out[o++] = p[i++];
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return o;
}

/* the join against the reference on texts made of the pieces a prefix is made of */
START_TEST(test_reply_join_random)
{
    static const char *const pieces[] = {" ",     "  ",    "550",    "-",      "5.7.1", "550-",
                                         " 550-", " 550 ", "5.7.1 ", "x",      "5",     "55",
                                         "4.2.0", " 450-", "450 ",   "5.7.10", "text",  "0"};
    static const int codes[] = {550, 450, 0, 551};
    static const char *const statuses[] = {"5.7.1", "", "4.2.0", "5.7.10"};
    unsigned long seed = 12345, prefixes = 0;
    char text[400], want[400], got[400];

#define RAND(n) ((seed = seed * 6364136223846793005UL + 1442695040888963407UL) >> 33) % (n)
    for (int t = 0; t < 20000; t++) {
        struct smtp_reply r = {0};
        size_t n = 0;
        text[0] = '\0';
        for (int k = (int)RAND(16); k > 0; k--) {
            const char *pc = pieces[RAND(sizeof pieces / sizeof pieces[0])];
            if (n + strlen(pc) < sizeof text) {
                memcpy(text + n, pc, strlen(pc) + 1);
                n += strlen(pc);
            }
        }
        r.code = codes[RAND(sizeof codes / sizeof codes[0])];
        snprintf(r.status, sizeof r.status, "%s", statuses[RAND(4)]);
        r.text = text;
        r.text_len = n;
        size_t wn = join_reference(&r, want), gn = smtp_reply_join(&r, got);
        ck_assert_msg(gn == wn && strcmp(got, want) == 0,
                      "code %d status '%s' text '%s': '%s', want '%s'", r.code, r.status, text, got,
                      want);
        while (n > 0 && text[n - 1] == ' ')
            n--;
        prefixes += wn < n; /* shorter than the text without its trailing spaces: a prefix went */
    }
#undef RAND
    ck_assert_uint_gt(prefixes, 1000); /* the texts do hold prefixes */
}
END_TEST

START_TEST(test_stage_of_command)
{
    ck_assert_int_eq(smtp_stage_of_command("RCPT TO command)", 16), STAGE_RCPT);
    ck_assert_int_eq(smtp_stage_of_command("end of DATA command)", 20), STAGE_EOM);
    ck_assert_int_eq(smtp_stage_of_command("DATA command)", 13), STAGE_DATA);
    ck_assert_int_eq(smtp_stage_of_command("MAIL FROM command)", 18), STAGE_MAIL);
    ck_assert_int_eq(smtp_stage_of_command("EHLO", 4), STAGE_HELO);
    ck_assert_int_eq(smtp_stage_of_command("VRFY", 4), STAGE_RCPT);
    ck_assert_int_eq(smtp_stage_of_command("END-OF-MESSAGE", 14), STAGE_EOM);
    ck_assert_int_eq(smtp_stage_of_command("DATAX", 5), STAGE_NONE);
    ck_assert_int_eq(smtp_stage_of_command("ETRN", 4), STAGE_NONE);
    ck_assert_int_eq(smtp_stage_of_command("", 0), STAGE_NONE);
}
END_TEST

/* ---------------------------------------------------------------- lru, strbuf, names */

START_TEST(test_lru_evicts_oldest)
{
    struct lru *m = lru_new(3, free);
    const char *key;
    size_t klen;

    lru_put(m, "a", 1, strdup("A"));
    lru_put(m, "b", 1, strdup("B"));
    lru_put(m, "c", 1, strdup("C"));
    ck_assert_str_eq(lru_get(m, "a", 1), "A"); /* a is now the newest */
    lru_put(m, "d", 1, strdup("D"));           /* evicts b */
    ck_assert_ptr_null(lru_get(m, "b", 1));
    ck_assert_uint_eq(lru_count(m), 3);
    ck_assert_str_eq(lru_oldest(m, &key, &klen), "C");
    lru_put(m, "c", 1, strdup("C2")); /* replaces, frees the old value */
    ck_assert_str_eq(lru_get(m, "c", 1), "C2");
    ck_assert_int_eq(lru_del(m, "c", 1), 1);
    ck_assert_int_eq(lru_del(m, "c", 1), 0);
    /* keys are bytes: an embedded NUL is part of the key */
    lru_put(m, "h\0q1", 4, strdup("X"));
    ck_assert_ptr_null(lru_get(m, "h\0q2", 4));
    ck_assert_str_eq(lru_get(m, "h\0q1", 4), "X");
    lru_free(m);
}
END_TEST

START_TEST(test_lru_many)
{
    struct lru *m = lru_new(1000, free);
    char key[32];

    for (int i = 0; i < 100000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        lru_put(m, key, (size_t)n, strdup(key));
    }
    ck_assert_uint_eq(lru_count(m), 1000);
    const char *oldest;
    size_t olen;
    ck_assert_str_eq(lru_oldest(m, &oldest, &olen), "k99000");
    ck_assert_ptr_null(lru_get(m, "k0", 2));
    /* the buckets grew from 64 as entries came: every entry is still found */
    for (int i = 99000; i < 100000; i++) {
        int n = snprintf(key, sizeof key, "k%d", i);
        ck_assert_str_eq(lru_get(m, key, (size_t)n), key);
    }
    ck_assert_str_eq(lru_get(m, "k99999", 6), "k99999");
    lru_free(m);
}
END_TEST

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/*
 * lru_fast_hash reads a key's last 1 to 7 bytes by loads that may overlap: every byte of a short
 * key must count, and nothing past its end may be read. Keys up to 7 bytes of one length go
 * through one invertible step, so they never collide; keys of other lengths differ by the
 * length mixed in. Each key fills an allocation of its own size, where AddressSanitizer sees a
 * read past it.
 */
START_TEST(test_fast_hash_every_byte)
{
    const char alphabet[] = {'a', 'b', '\0', (char)0xff};
    uint64_t *hashes = malloc(sizeof *hashes * 21845); /* 4^0 + ... + 4^7 */
    size_t nh = 0;

    ck_assert_ptr_nonnull(hashes);

    for (size_t len = 0; len <= 7; len++) {
        size_t count = (size_t)1 << (2 * len);
        for (size_t code = 0; code < count; code++) {
            char *key = malloc(len ? len : 1);
            ck_assert_ptr_nonnull(key);
            for (size_t i = 0; i < len; i++)
                key[i] = alphabet[(code >> (2 * i)) & 3];
            hashes[nh++] = lru_fast_hash(key, len);
            free(key);
        }
    }
    ck_assert_uint_eq(nh, 21845);
    qsort(hashes, nh, sizeof *hashes, cmp_u64);
    for (size_t i = 1; i < nh; i++)
        ck_assert_msg(hashes[i] != hashes[i - 1], "two short keys share a hash");
    free(hashes);

    /* longer keys: a change in any byte of the tail after the 8-byte steps changes the hash */
    for (size_t len = 8; len <= 24; len++) {
        char *key = malloc(len);
        ck_assert_ptr_nonnull(key);
        memset(key, 'q', len);
        uint64_t base = lru_fast_hash(key, len);
        for (size_t i = len - len % 8; i < len; i++) {
            key[i] = 'r';
            ck_assert_msg(lru_fast_hash(key, len) != base, "len %zu: byte %zu not read", len, i);
            key[i] = 'q';
        }
        free(key);
    }
}
END_TEST

START_TEST(test_strbuf)
{
    struct strbuf sb = STRBUF_INIT;

    ck_assert_str_eq(strbuf_str(&sb), "");
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&sb, "%d,", i);
    ck_assert_uint_eq(sb.len, strlen(strbuf_str(&sb)));
    ck_assert(strncmp(strbuf_str(&sb), "0,1,2,", 6) == 0);
    strbuf_reset(&sb);
    strbuf_append(&sb, "a\0b", 3);
    ck_assert_uint_eq(sb.len, 3);
    char *p = strbuf_detach(&sb);
    ck_assert_int_eq(p[2], 'b');
    free(p);
    ck_assert_uint_eq(sb.len, 0);
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_event_names)
{
    for (int k = 1; k < EVENT_KIND_COUNT; k++)
        ck_assert_int_eq(event_kind_from_name(event_kind_name((enum event_kind)k)), k);
    for (int s = 1; s < STAGE_COUNT; s++)
        ck_assert_int_eq(smtp_stage_from_name(smtp_stage_name((enum smtp_stage)s)), s);
    ck_assert_int_eq(event_kind_from_name("nonsense"), EVENT_KIND_NONE);
    ck_assert_int_eq(event_kind_from_name(NULL), EVENT_KIND_NONE);
    ck_assert_str_eq(event_kind_name(EVENT_REJECT_WARNING), "reject_warning");
    ck_assert_str_eq(event_direction_name(DIRECTION_OUTBOUND), "outbound");
    ck_assert_str_eq(event_kind_name((enum event_kind)99), "");
}
END_TEST

START_TEST(test_diag)
{
    struct diag d;
    char big[3000];

    ck_assert_int_eq(diag_set(&d, "%s: %d", "x", 5), -1);
    ck_assert_str_eq(d.msg, "x: 5");
    diag_prefix(&d, "file %s", "f");
    ck_assert_str_eq(d.msg, "file f: x: 5");
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    diag_set(&d, "%s", big);
    diag_prefix(&d, "%s", big); /* both cut, never overflowing */
    ck_assert_uint_eq(strlen(d.msg), DIAG_MAX - 1);
    ck_assert_int_eq(diag_set(NULL, "ignored"), -1);
    /* one line, no control characters, whatever is quoted */
    diag_set(&d, "%s: rule id '%s'", "t\tyaml", "a\nb\x1b[31m\x7f");
    ck_assert_str_eq(d.msg, "t\\x09yaml: rule id 'a\\x0ab\\x1b[31m\\x7f'");
    diag_prefix(&d, "x\ry");
    ck_assert_str_eq(d.msg, "x\\x0dy: t\\x09yaml: rule id 'a\\x0ab\\x1b[31m\\x7f'");
    /* 2026-11-30: C1 controls, bidirectional overrides and bytes that are not UTF-8 too (a
     * glob's warning names a file, whatever its name); other UTF-8 stays */
    diag_set(&d, "%s",
             "\xc2\x9b"
             "2J \xe2\x80\xae"
             "gol.exe \xff\x9b \xc3\xa9t\xc3\xa9 \xe2\x82\xac");
    ck_assert_str_eq(d.msg, "\\x9b2J \\u{202e}gol.exe \\xff\\x9b \xc3\xa9t\xc3\xa9 \xe2\x82\xac");
    diag_set(&d, "%s", "cut \xe2\x80"); /* a sequence cut short */
    ck_assert_str_eq(d.msg, "cut \\xe2\\x80");
    memset(big, '\n', sizeof big - 1);
    diag_set(&d, "%s", big); /* cut at a whole \x0a */
    ck_assert_uint_eq(strlen(d.msg) % 4, 0);
    ck_assert_uint_le(strlen(d.msg), DIAG_MAX - 1);
}
END_TEST

/* a library loaded on demand: its functions work; a missing library or symbol is one message */
START_TEST(test_dynload)
{
    struct diag d;
    size_t (*len)(const char *) = NULL;
    int (*cmp)(const char *, const char *) = NULL;
    const char *const names[] = {"strlen", "strcmp"}, *const bad[] = {"strlen", "no_such_fn"};
    void *const slots[] = {&len, &cmp};

    ck_assert_int_eq(dynload_functions("libc.so.6", "this test", "libc6", names, slots, 2, &d), 0);
    ck_assert_uint_eq(len("twelve bytes"), 12);
    ck_assert_int_lt(cmp("a", "b"), 0);
    ck_assert_int_eq(dynload_functions("libc.so.6", "this test", "libc6", bad, slots, 2, &d), -1);
    ck_assert_str_eq(d.msg, "libc.so.6 has no no_such_fn: it is older than the one rejectlens "
                            "was built with");
    ck_assert_uint_eq(len("still strlen"), 12);
    ck_assert_int_eq(dynload_functions("libnot-there-rejectlens.so.1", "a PostgreSQL database",
                                       "libpq5", names, slots, 2, &d),
                     -1);
    ck_assert_msg(strncmp(d.msg,
                          "a PostgreSQL database needs libnot-there-rejectlens.so.1, which cannot "
                          "be loaded (",
                          82) == 0,
                  "%s", d.msg);
    ck_assert_msg(strstr(d.msg, "): install Debian's libpq5") != NULL, "%s", d.msg);
    ck_assert_ptr_null(strchr(d.msg, '\n'));
}
END_TEST

START_TEST(test_arena)
{
    struct arena a = ARENA_INIT;

    arena_begin(&a, 100);
    char *x = arena_copy(&a, "hello", 3);
    char *y = arena_copy(&a, "world", 5);
    ck_assert_str_eq(x, "hel");
    ck_assert_str_eq(y, "world");
    arena_begin(&a, 10000);
    ck_assert_str_eq(arena_copy(&a, "", 0), "");
    arena_free(&a);
}
END_TEST

/* the saved-state fields round-trip any bytes, and malformed input is refused, never read past */
START_TEST(test_statepack)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p, *end, *f;
    char *dup;
    size_t n;
    int64_t v;

    statepack_put(&sb, "a\0b:", 4);
    statepack_put_str(&sb, NULL);
    statepack_put_int(&sb, -1234567890123LL);
    statepack_put_str(&sb, "");
    ck_assert_uint_eq(sb.len, 26);
    ck_assert(memcmp(sb.buf, "4:a\0b:-14:-12345678901230:", 27) == 0); /* and the NUL */
    p = sb.buf;
    end = sb.buf + sb.len;
    ck_assert_int_eq(statepack_get(&p, end, &f, &n), 1);
    ck_assert_uint_eq(n, 4);
    ck_assert(memcmp(f, "a\0b:", 4) == 0);
    ck_assert_int_eq(statepack_get_dup(&p, end, &dup, &n), 1);
    ck_assert_ptr_null(dup);
    ck_assert_int_eq(statepack_get_int(&p, end, &v), 1);
    ck_assert_int_eq(v, -1234567890123LL);
    ck_assert_int_eq(statepack_get_str(&p, end, &dup), 1);
    ck_assert_str_eq(dup, "");
    free(dup);
    ck_assert_int_eq(statepack_get(&p, end, &f, &n), 0); /* the end */
    strbuf_free(&sb);
    static const char *const bad[] = {"5:abc", ":x", "x", "99999999999999999999:", "3", "-"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        p = bad[i];
        end = bad[i] + strlen(bad[i]);
        if (strcmp(bad[i], "-") == 0) {
            ck_assert_int_eq(statepack_get_int(&p, end, &v), 0); /* absent is no number */
            continue;
        }
        ck_assert_msg(statepack_get(&p, end, &f, &n) == 0, "%s", bad[i]);
    }
    p = "2:1x";
    ck_assert_int_eq(statepack_get_int(&p, p + 4, &v), 0);
    p = "20:99999999999999999999";
    ck_assert_int_eq(statepack_get_int(&p, p + 23, &v), 0);
    /* fields of every length from 0 to 300 into a buffer that grows as they come: each lands
     * whole wherever the buffer's end falls (the writer checks the room once per field) */
    struct strbuf want = STRBUF_INIT;
    char text[301];
    memset(text, 'x', sizeof text);
    for (size_t len = 0; len <= 300; len++) {
        statepack_put(&sb, text, len);
        strbuf_printf(&want, "%zu:%.*s", len, (int)len, text);
        statepack_put_int(&sb, (int64_t)len * 7919 - 1000000);
        strbuf_printf(&want, "%d:%lld", snprintf(NULL, 0, "%lld", (long long)len * 7919 - 1000000),
                      (long long)len * 7919 - 1000000);
        ck_assert_uint_eq(sb.len, want.len);
        ck_assert(memcmp(sb.buf, want.buf, want.len + 1) == 0);
    }
    strbuf_free(&sb);
    strbuf_free(&want);
    /* a field that fills a buffer of 64 bytes exactly, one short of it, one over: the NUL
     * after it needs room too */
    for (size_t len = 55; len <= 65; len++) {
        struct strbuf room = STRBUF_INIT;
        strbuf_reserve(&room, 63);
        ck_assert_uint_eq(room.cap, 64);
        statepack_put(&room, text, len);
        ck_assert_uint_eq(room.len, len + 3);
        ck_assert_int_eq(room.buf[room.len], '\0');
        strbuf_free(&room);
    }
}
END_TEST

/* workq: jobs run in the order pushed, finished ones come back, the first failure stops all */
struct wq_log {
    int seen[64];
    int n;
    int fail_at; /* the job value that fails; -1: none */
};

static int wq_run(void *ctx, void *job)
{
    struct wq_log *log = ctx;
    int v = *(int *)job;

    if (v == log->fail_at)
        return -1;
    log->seen[log->n++] = v;
    return 0;
}

START_TEST(test_workq)
{
    for (int threaded = 0; threaded < 2; threaded++) {
        struct wq_log log = {{0}, 0, -1};
        struct workq *q = workq_new(threaded, 2, wq_run, free, &log);
        int made = 0;
        for (int i = 0; i < 40; i++) {
            int *job = workq_reuse(q);
            if (job == NULL) {
                job = malloc(sizeof *job);
                made++;
            }
            *job = i;
            ck_assert_int_eq(workq_push(q, job), 0);
        }
        ck_assert_int_eq(workq_drain(q), 0);
        ck_assert_int_eq(log.n, 40);
        for (int i = 0; i < 40; i++)
            ck_assert_int_eq(log.seen[i], i);
        ck_assert_int_le(made, threaded ? 4 : 1); /* the queue's few, used again and again */
        /* a failure: nothing after it runs, later pushes are refused, drain says so */
        log.n = 0;
        log.fail_at = 3;
        int refused = 0;
        for (int i = 0; i < 10; i++) {
            int *job = workq_reuse(q);
            if (job == NULL)
                job = malloc(sizeof *job);
            *job = i;
            refused += workq_push(q, job) < 0;
        }
        ck_assert_int_eq(workq_drain(q), -1);
        ck_assert_int_eq(log.n, 3);
        ck_assert_int_gt(refused, 0);
        ck_assert_int_eq(workq_threaded(q), threaded);
        workq_free(q);
    }
    workq_free(NULL);
}
END_TEST

static Suite *common_suite(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("timeparse");

    tcase_add_loop_test(tc, test_rfc3164, 0, sizeof rfc3164_cases / sizeof rfc3164_cases[0]);
    tcase_add_loop_test(tc, test_iso, 0, sizeof iso_cases / sizeof iso_cases[0]);
    tcase_add_test(tc, test_year_guess);
    tcase_add_test(tc, test_local_zone);
    tcase_add_test(tc, test_time_args);
    tcase_add_loop_test(tc, test_time_arg_refusals, 0,
                        sizeof time_arg_refusals / sizeof time_arg_refusals[0]);
    tcase_add_test(tc, test_civil_days);
    suite_add_tcase(s, tc);
    tc = tcase_create("smtp_reply");
    tcase_add_loop_test(tc, test_reply, 0, sizeof reply_cases / sizeof reply_cases[0]);
    tcase_add_test(tc, test_reply_join_random);
    tcase_add_test(tc, test_byte_classes);
    tcase_add_test(tc, test_stage_of_command);
    suite_add_tcase(s, tc);
    tc = tcase_create("containers");
    tcase_add_test(tc, test_lru_evicts_oldest);
    tcase_add_test(tc, test_lru_many);
    tcase_add_test(tc, test_fast_hash_every_byte);
    tcase_add_test(tc, test_strbuf);
    tcase_add_test(tc, test_event_names);
    tcase_add_test(tc, test_diag);
    tcase_add_test(tc, test_dynload);
    tcase_add_test(tc, test_arena);
    tcase_add_test(tc, test_statepack);
    tcase_add_test(tc, test_workq);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    return tu_run_suite(common_suite());
}
