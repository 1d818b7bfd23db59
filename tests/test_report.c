/*
 * test_report - the report's pieces alone: escaping for each output, the MIME encodings and
 * headers of the mail, the periods and buckets in local time (across daylight saving)
 */
#include "aggregate.h"
#include "escape.h"
#include "mail.h"
#include "period.h"
#include "testutil.h"
#include "timeparse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FFFD "\xef\xbf\xbd"

static void use_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* local - UTC microseconds of a local civil time in the current TZ */
static int64_t local(int y, int mo, int d, int h, int mi)
{
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * US_PER_SEC;
}

/* ---------------------------------------------------------------- escaping */

typedef void (*esc_fn)(struct strbuf *, const char *);

static void html0(struct strbuf *o, const char *s)
{
    esc_html(o, s, 0);
}
static void text0(struct strbuf *o, const char *s)
{
    esc_text(o, s, 0);
}

static const struct esc_case {
    const char *name;
    esc_fn fn;
    const char *in, *want;
} esc_cases[] = {
    {"html markup", html0, "<a href=\"x\" title='y'>&</a>",
     "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;"},
    {"html keeps UTF-8", html0, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
    {"html overlong /", html0,
     "a\xc0\xaf"
     "b",
     "a" FFFD FFFD "b"},
    {"html surrogate", html0, "\xed\xa0\x80", FFFD FFFD FFFD},
    {"html above U+10FFFF", html0, "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD},
    {"html truncated", html0, "x\xe2\x82", "x" FFFD FFFD},
    {"html lone continuation", html0, "\x80", FFFD},
    {"html terminal escape", html0, "\x1b[31mred\x07", "\\x1b[31mred\\x07"},
    {"html C1 CSI", html0,
     "\xc2\x9b"
     "2J",
     "\\x9b2J"},
    {"html bidi override", html0,
     "\xe2\x80\xae"
     "exe.txt",
     "\\u{202e}exe.txt"},
    {"html newline dropped", html0, "a\nb\r", "a\\x0ab\\x0d"},
    {"text keeps tab", text0, "a\tb", "a\tb"},
    {"text DEL", text0, "a\x7f", "a\\x7f"},
    {"text invalid", text0, "\xff\xfe", FFFD FFFD},
    {"csv formula", esc_csv, "=1+1", "\"'=1+1\""},
    {"csv plus", esc_csv, "+cmd", "\"'+cmd\""},
    {"csv minus", esc_csv, "-2+3", "\"'-2+3\""},
    {"csv at", esc_csv, "@SUM(A1)", "\"'@SUM(A1)\""},
    {"csv tab", esc_csv, "\t=1", "\"'\t=1\""},
    {"csv CR", esc_csv, "\r=1", "\"'\\x0d=1\""},
    {"csv quote", esc_csv, "a\"b", "\"a\"\"b\""},
    {"csv newline kept", esc_csv, "a\nb", "\"a\nb\""},
    {"csv inner = is fine", esc_csv, "a=b", "\"a=b\""},
    {"csv empty", esc_csv, "", "\"\""},
    {"csv null", esc_csv, NULL, "\"\""},
    {"csv escape byte", esc_csv, "x\x1b]0;t\x07", "\"x\\x1b]0;t\\x07\""},
    {"json specials", esc_json, "\"\\\n\t\x01", "\"\\\"\\\\\\n\\t\\u0001\""},
    {"json invalid", esc_json, "a\xff", "\"a" FFFD "\""},
    {"json line separator", esc_json, "\xe2\x80\xa8", "\"\\u2028\""},
    {"json null", esc_json, NULL, "null"},
    {"json keeps UTF-8", esc_json, "\xc3\xa9", "\"\xc3\xa9\""},
    /* 2026-11-30, test_hostile_content: JSON that a terminal shows raw is a terminal's input */
    {"json C1", esc_json,
     "\xc2\x9b"
     "31m",
     "\"\\u009b31m\""},
    {"json DEL", esc_json, "a\x7f", "\"a\\u007f\""},
    {"json bidi override", esc_json,
     "\xe2\x80\xae"
     "exe",
     "\"\\u202eexe\""},
};

START_TEST(test_escape)
{
    const struct esc_case *c = &esc_cases[_i];
    struct strbuf o = STRBUF_INIT;

    c->fn(&o, c->in);
    ck_assert_msg(strcmp(strbuf_str(&o), c->want) == 0, "%s: got [%s] want [%s]", c->name,
                  strbuf_str(&o), c->want);
    strbuf_free(&o);
}
END_TEST

START_TEST(test_utf8_decode)
{
    uint32_t cp = 0;

    ck_assert_uint_eq(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
    ck_assert_uint_eq(cp, 'A');
    ck_assert_uint_eq(utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
    ck_assert_uint_eq(cp, 0x1f600);
    ck_assert_uint_eq(utf8_decode((const unsigned char *)"\xe0\x80\x80", 3, &cp), 0);
    ck_assert_uint_eq(utf8_decode((const unsigned char *)"\xf0\x9f\x98", 3, &cp), 0);
    ck_assert_uint_eq(utf8_decode((const unsigned char *)"\xf5\x80\x80\x80", 4, &cp), 0);
}
END_TEST

/* ---------------------------------------------------------------- mail */

static const struct {
    const char *addr;
    int ok;
} addresses[] = {
    {"admin@example.com", 1},
    {"first.last+tag@mx-1.example.org", 1},
    {"root@localhost", 1},
    {"a!#$%&'*/=?^_`{|}~-@example.com", 1},
    {"", 0},
    {"plain", 0},
    {"@example.com", 0},
    {"admin@", 0},
    {"a b@example.com", 0},
    {".a@example.com", 0},
    {"a.@example.com", 0},
    {"a..b@example.com", 0},
    {"a@example..com", 0},
    {"a@.example.com", 0},
    {"a@example.com.", 0},
    {"\"quoted\"@example.com", 0},
    {"a@[192.0.2.1]", 0},
    {"a@example.com\r\nBcc: x@example.net", 0},
    {"a@example.com,b@example.com", 0},
    {"Name <a@example.com>", 0},
    {"a@exa_mple.com", 0},
    {"caf\xc3\xa9@example.com", 0},
};

START_TEST(test_address)
{
    ck_assert_msg(mail_address_ok(addresses[_i].addr) == addresses[_i].ok, "%s",
                  addresses[_i].addr);
}
END_TEST

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* qp_decode - RFC 2045 decoding, checking the encoder's promises on the way */
static void qp_decode(const char *s, struct strbuf *out)
{
    while (*s) {
        size_t n = strcspn(s, "\r");
        ck_assert_msg(s[n] == '\r' && s[n + 1] == '\n', "a QP line without CRLF");
        ck_assert_msg(n <= 76, "a QP line of %zu characters", n);
        ck_assert_msg(n == 0 || (s[n - 1] != ' ' && s[n - 1] != '\t'), "trailing white space");
        ck_assert_msg(n == 0 || s[0] != '.', "a line starting with a dot");
        ck_assert_msg(strncmp(s, "From ", 5) != 0, "a line starting with From");
        int soft = n > 0 && s[n - 1] == '=';
        for (size_t i = 0; i < n - (size_t)soft; i++) {
            unsigned char c = (unsigned char)s[i];
            ck_assert_msg((c >= 32 && c < 127) || c == '\t', "a raw byte %02x", c);
            if (c == '=') {
                int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
                ck_assert_msg(hi >= 0 && lo >= 0, "a bad escape");
                strbuf_putc(out, (char)(hi * 16 + lo));
                i += 2;
            } else {
                strbuf_putc(out, (char)c);
            }
        }
        if (!soft)
            strbuf_putc(out, '\n');
        s += n + 2;
    }
}

START_TEST(test_quoted_printable)
{
    static const char *const inputs[] = {
        "short line\n",
        "a = b \nend\t\n",
        "From the start\n.dot line\n..\nFrom\n",
        "caf\xc3\xa9 \xe2\x9c\x89 \xff\n",
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234"
        "567890123456789012345678901234567890 and more =====================================\n",
        "=========================================================================x\n",
        "line ends in space \n \n\n",
        "crlf line\r\nnext\r\n",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        struct strbuf enc = STRBUF_INIT, dec = STRBUF_INIT, want = STRBUF_INIT;
        mail_qp_encode(inputs[i], strlen(inputs[i]), &enc);
        qp_decode(strbuf_str(&enc), &dec);
        for (const char *p = inputs[i]; *p; p++)
            if (!(p[0] == '\r' && p[1] == '\n'))
                strbuf_putc(&want, *p);
        ck_assert_msg(strcmp(strbuf_str(&dec), strbuf_str(&want)) == 0,
                      "input %zu: decoded [%s] want [%s] (encoded [%s])", i, strbuf_str(&dec),
                      strbuf_str(&want), strbuf_str(&enc));
        strbuf_free(&enc);
        strbuf_free(&dec);
        strbuf_free(&want);
    }
}
END_TEST

START_TEST(test_base64)
{
    struct strbuf o = STRBUF_INIT;
    unsigned char big[200];

    mail_base64_encode((const unsigned char *)"Man", 3, &o);
    ck_assert_str_eq(strbuf_str(&o), "TWFu\r\n");
    strbuf_reset(&o);
    mail_base64_encode((const unsigned char *)"Ma", 2, &o);
    ck_assert_str_eq(strbuf_str(&o), "TWE=\r\n");
    strbuf_reset(&o);
    mail_base64_encode((const unsigned char *)"M", 1, &o);
    ck_assert_str_eq(strbuf_str(&o), "TQ==\r\n");
    strbuf_reset(&o);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)i;
    mail_base64_encode(big, sizeof big, &o);
    /* 200 bytes: 76 + 76 + 76 + 40 characters */
    const char *p = strbuf_str(&o);
    size_t lines = 0;
    while (*p) {
        size_t n = strcspn(p, "\r");
        ck_assert_uint_le(n, 76);
        ck_assert_int_eq(p[n + 1], '\n');
        p += n + 2;
        lines++;
    }
    ck_assert_uint_eq(lines, 4);
    strbuf_free(&o);
}
END_TEST

static int b64val(char c)
{
    const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(t, c);
    return c && p ? (int)(p - t) : -1;
}

/* decode_subject - the header's words decoded and joined (RFC 2047, B, UTF-8 only) */
static void decode_subject(const char *h, struct strbuf *out)
{
    ck_assert_msg(strncmp(h, "Subject:", 8) == 0, "not a subject: %s", h);
    h += 8;
    while (*h) {
        while (*h == ' ' || *h == '\r' || *h == '\n')
            h++;
        if (*h == '\0')
            break;
        ck_assert_msg(strncmp(h, "=?UTF-8?B?", 10) == 0, "not an encoded word: %s", h);
        const char *end = strstr(h + 10, "?=");
        ck_assert_ptr_nonnull(end);
        ck_assert_msg(end + 2 - h <= 75, "an encoded word of %d characters", (int)(end + 2 - h));
        uint32_t acc = 0;
        int bits = 0;
        for (const char *p = h + 10; p < end; p++) {
            if (*p == '=')
                break;
            acc = (acc << 6) | (uint32_t)b64val(*p);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                strbuf_putc(out, (char)((acc >> bits) & 0xff));
            }
        }
        h = end + 2;
    }
}

START_TEST(test_subject)
{
    struct strbuf h = STRBUF_INIT, dec = STRBUF_INIT;

    mail_header_subject("Weekly report for mx1", &h);
    ck_assert_str_eq(strbuf_str(&h), "Subject: Weekly report for mx1\r\n");
    strbuf_reset(&h);

    /* a long ASCII subject is folded at spaces, lines of at most 78 */
    mail_header_subject("Mail rejections on mx1.example.com, mx2.example.com: 412 rejected with "
                        "550, 1234 failures - Mon 2026-01-05 to Sun 2026-01-11 (CET)",
                        &h);
    for (const char *p = strbuf_str(&h); *p;) {
        size_t n = strcspn(p, "\r");
        ck_assert_uint_le(n, 78);
        ck_assert_int_eq(p[n + 1], '\n');
        p += n + 2;
        ck_assert(*p == '\0' || *p == ' ');
    }
    ck_assert_ptr_nonnull(strstr(strbuf_str(&h), "\r\n "));
    strbuf_reset(&h);

    /* UTF-8: encoded words that decode back, none split inside a character */
    const char *utf = "W\xc3\xb6"
                      "chentlicher Bericht \xe2\x9c\x89 \xe2\x80\x94 "
                      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d "
                      "and quite a lot more text so that it needs several encoded words";
    mail_header_subject(utf, &h);
    decode_subject(strbuf_str(&h), &dec);
    ck_assert_str_eq(strbuf_str(&dec), utf);
    strbuf_reset(&h);
    strbuf_reset(&dec);

    /* header injection: CR and LF never make a header line of their own */
    mail_header_subject("hi\r\nBcc: evil@example.net\nX: y", &h);
    const char *s = strbuf_str(&h);
    for (const char *p = s; *p; p++)
        if (*p == '\r' || *p == '\n') {
            ck_assert_msg(p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\0'),
                          "a line break that is no folding: %s", s);
            p++;
        }
    ck_assert_ptr_null(strstr(s, "\nBcc"));
    strbuf_reset(&h);

    /* text that looks like an encoded word is encoded itself */
    mail_header_subject("=?UTF-8?B?ZXZpbA==?=", &h);
    decode_subject(strbuf_str(&h), &dec);
    ck_assert_str_eq(strbuf_str(&dec), "=?UTF-8?B?ZXZpbA==?=");
    strbuf_free(&h);
    strbuf_free(&dec);
}
END_TEST

START_TEST(test_compose)
{
    struct mail_spec sp;
    struct strbuf out = STRBUF_INIT;
    struct diag d = {""};

    memset(&sp, 0, sizeof sp);
    sp.from = "reports@mx1.example.com";
    sp.to[sp.nto++] = "a@example.com";
    sp.to[sp.nto++] = "b@example.org";
    sp.subject = "Report";
    sp.text = "text part\n.\nFrom me\n";
    sp.html = "<!DOCTYPE html>\n<p>html part</p>\n";
    sp.attachment = "a,b\r\n1,2\r\n";
    sp.attachment_len = strlen(sp.attachment);
    sp.attachment_name = "rejectlens-categories-2026-01-12.csv";
    sp.attachment_type = "text/csv; charset=utf-8";
    sp.date_s = 1768000000;
    sp.random = "0123456789abcdef01";
    ck_assert_int_eq(mail_compose(&sp, &out, &d), 0);
    const char *m = strbuf_str(&out);
    ck_assert_ptr_nonnull(strstr(m, "\r\nTo: a@example.com, b@example.org\r\n"));
    ck_assert_ptr_nonnull(strstr(m, "Message-ID: <1768000000.0123456789abcdef01.rejectlens@"
                                    "mx1.example.com>\r\n"));
    ck_assert_ptr_nonnull(strstr(m, "MIME-Version: 1.0\r\n"));
    ck_assert_ptr_nonnull(strstr(m, "Content-Type: multipart/alternative;"));
    ck_assert_ptr_nonnull(strstr(m, "filename=\"rejectlens-categories-2026-01-12.csv\""));
    ck_assert_ptr_nonnull(strstr(m, "\r\nYSxiDQoxLDINCg==\r\n"));
    ck_assert_ptr_nonnull(strstr(m, "\r\n=2E\r\n=46rom me\r\n"));
    /* every line ends in CRLF; no bare CR or LF */
    for (const char *p = m; *p; p++) {
        if (*p == '\n')
            ck_assert_msg(p > m && p[-1] == '\r', "a bare LF");
        if (*p == '\r')
            ck_assert_msg(p[1] == '\n', "a bare CR");
    }
    /* the date is RFC 5322 */
    ck_assert_ptr_nonnull(strstr(m, "Date: "));
    /* bad addresses are refused, not written */
    strbuf_reset(&out);
    sp.to[1] = "b@example.org\r\nBcc: evil@example.net";
    ck_assert_int_eq(mail_compose(&sp, &out, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "not a mail address"));
    ck_assert_uint_eq(out.len, 0);
    sp.to[1] = "b@example.org";
    sp.from = "nobody";
    ck_assert_int_eq(mail_compose(&sp, &out, &d), -1);
    strbuf_free(&out);
}
END_TEST

/* ---------------------------------------------------------------- periods, buckets */

START_TEST(test_periods)
{
    struct period p;
    struct diag d = {""};

    use_tz("Europe/Berlin");
    /* on a Wednesday, last week is Monday to Monday */
    ck_assert_int_eq(period_parse("last-week", local(2026, 1, 14, 10, 0), &p, &d), 0);
    ck_assert_int_eq(p.since_us, local(2026, 1, 5, 0, 0));
    ck_assert_int_eq(p.until_us, local(2026, 1, 12, 0, 0));
    ck_assert_int_eq(p.prev_since_us, local(2025, 12, 29, 0, 0));
    ck_assert_int_eq(p.prev_until_us, local(2026, 1, 5, 0, 0));
    /* on Monday just after midnight, and on Sunday, it is still that week */
    ck_assert_int_eq(period_parse("last-week", local(2026, 1, 12, 0, 30), &p, &d), 0);
    ck_assert_int_eq(p.since_us, local(2026, 1, 5, 0, 0));
    ck_assert_int_eq(period_parse("last-week", local(2026, 1, 18, 23, 0), &p, &d), 0);
    ck_assert_int_eq(p.since_us, local(2026, 1, 5, 0, 0));
    /* the week of the spring change (Sunday 2026-03-29) has 167 hours */
    ck_assert_int_eq(period_parse("last-week", local(2026, 4, 1, 9, 0), &p, &d), 0);
    ck_assert_int_eq(p.since_us, local(2026, 3, 23, 0, 0));
    ck_assert_int_eq(p.until_us - p.since_us, 167 * 3600 * US_PER_SEC);
    /* yesterday, on the day after the change: 23 hours */
    ck_assert_int_eq(period_parse("yesterday", local(2026, 3, 30, 10, 0), &p, &d), 0);
    ck_assert_int_eq(p.until_us - p.since_us, 23 * 3600 * US_PER_SEC);
    ck_assert_int_eq(p.prev_since_us, local(2026, 3, 28, 0, 0));
    /* last month across a year */
    ck_assert_int_eq(period_parse("last-month", local(2026, 1, 15, 12, 0), &p, &d), 0);
    ck_assert_int_eq(p.since_us, local(2025, 12, 1, 0, 0));
    ck_assert_int_eq(p.until_us, local(2026, 1, 1, 0, 0));
    ck_assert_int_eq(p.prev_since_us, local(2025, 11, 1, 0, 0));
    /* ranges: the last day included; the previous period as many days before */
    ck_assert_int_eq(period_parse("2026-03-23..2026-03-29", 0, &p, &d), 0);
    ck_assert_int_eq(p.since_us, local(2026, 3, 23, 0, 0));
    ck_assert_int_eq(p.until_us, local(2026, 3, 30, 0, 0));
    ck_assert_int_eq(p.prev_since_us, local(2026, 3, 16, 0, 0));
    ck_assert_int_eq(period_parse("2026-02-28", 0, &p, &d), 0);
    ck_assert_int_eq(p.until_us, local(2026, 3, 1, 0, 0));
    /* today runs to now, compared with yesterday up to the same hour */
    ck_assert_int_eq(period_parse("today", local(2026, 1, 14, 10, 0), &p, &d), 0);
    ck_assert_int_eq(p.since_us, local(2026, 1, 14, 0, 0));
    ck_assert_int_eq(p.prev_until_us, local(2026, 1, 13, 10, 0));
    /* what is refused */
    static const char *const bad[] = {"lastweek", "2026-02-30",   "2026-01-11..2026-01-05",
                                      "2026-1-5", "2026-01-05..", "..2026-01-05",
                                      ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(period_parse(bad[i], 0, &p, &d) == -1, "accepted '%s'", bad[i]);
    ck_assert_ptr_nonnull(strstr(d.msg, "--period"));
}
END_TEST

START_TEST(test_buckets)
{
    struct report_bucket *b;
    size_t n;
    const char *unit;

    use_tz("Europe/Berlin");
    /* one day of 23 hours */
    report_buckets(local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0), &b, &n, &unit);
    ck_assert_str_eq(unit, "hour");
    ck_assert_uint_eq(n, 23);
    ck_assert_str_eq(b[0].short_label, "00h");
    ck_assert_str_eq(b[2].short_label, "03h");
    ck_assert_int_eq(b[n - 1].end_us, local(2026, 3, 30, 0, 0));
    free(b);
    /* a week: seven days, Monday first, covering the range exactly */
    report_buckets(local(2026, 3, 23, 0, 0), local(2026, 3, 30, 0, 0), &b, &n, &unit);
    ck_assert_str_eq(unit, "day");
    ck_assert_uint_eq(n, 7);
    ck_assert_str_eq(b[0].label, "2026-03-23");
    ck_assert_str_eq(b[0].short_label, "Mon 23");
    ck_assert_str_eq(b[6].short_label, "Sun 29");
    for (size_t i = 1; i < n; i++)
        ck_assert_int_eq(b[i].start_us, b[i - 1].end_us);
    ck_assert_int_eq(b[6].end_us - b[6].start_us, 23 * 3600 * US_PER_SEC);
    free(b);
    /* a range starting mid-day: the first bucket starts where the range does */
    report_buckets(local(2026, 1, 5, 10, 30), local(2026, 1, 7, 12, 0), &b, &n, &unit);
    ck_assert_str_eq(unit, "day");
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(b[0].start_us, local(2026, 1, 5, 10, 30));
    ck_assert_int_eq(b[0].end_us, local(2026, 1, 6, 0, 0));
    ck_assert_int_eq(b[2].end_us, local(2026, 1, 7, 12, 0));
    free(b);
    /* longer: weeks, then months */
    report_buckets(local(2026, 1, 1, 0, 0), local(2026, 5, 1, 0, 0), &b, &n, &unit);
    ck_assert_str_eq(unit, "week");
    ck_assert_str_eq(b[1].label, "2026-W02");
    free(b);
    report_buckets(local(2023, 1, 1, 0, 0), local(2026, 1, 1, 0, 0), &b, &n, &unit);
    ck_assert_str_eq(unit, "month");
    ck_assert_uint_eq(n, 36);
    free(b);
    /* since 1970: years, and the last bucket ends where the range does */
    report_buckets(0, local(2026, 3, 1, 12, 0), &b, &n, &unit);
    ck_assert_str_eq(unit, "year");
    ck_assert_uint_eq(n, 57);
    ck_assert_str_eq(b[56].label, "2026");
    ck_assert_int_eq(b[0].start_us, 0);
    ck_assert_int_eq(b[n - 1].end_us, local(2026, 3, 1, 12, 0));
    free(b);
}
END_TEST

START_TEST(test_range_words)
{
    struct strbuf s = STRBUF_INIT;

    use_tz("Europe/Berlin");
    report_format_range(local(2026, 1, 12, 0, 0), local(2026, 1, 19, 0, 0), &s);
    ck_assert_str_eq(strbuf_str(&s), "Mon 2026-01-12 to Sun 2026-01-18 (CET)");
    strbuf_reset(&s);
    report_format_range(local(2026, 1, 13, 0, 0), local(2026, 1, 14, 0, 0), &s);
    ck_assert_str_eq(strbuf_str(&s), "Tue 2026-01-13 (CET)");
    strbuf_reset(&s);
    report_format_range(local(2026, 1, 13, 9, 30), local(2026, 1, 13, 17, 0), &s);
    ck_assert_str_eq(strbuf_str(&s), "Tue 2026-01-13 09:30 to Tue 2026-01-13 17:00 (CET)");
    strbuf_free(&s);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("escape");

    tcase_add_loop_test(tc, test_escape, 0, (int)(sizeof esc_cases / sizeof esc_cases[0]));
    tcase_add_test(tc, test_utf8_decode);
    suite_add_tcase(s, tc);
    tc = tcase_create("mail");
    tcase_add_loop_test(tc, test_address, 0, (int)(sizeof addresses / sizeof addresses[0]));
    tcase_add_test(tc, test_quoted_printable);
    tcase_add_test(tc, test_base64);
    tcase_add_test(tc, test_subject);
    tcase_add_test(tc, test_compose);
    suite_add_tcase(s, tc);
    tc = tcase_create("time");
    tcase_add_test(tc, test_periods);
    tcase_add_test(tc, test_buckets);
    tcase_add_test(tc, test_range_words);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(suite());
}
