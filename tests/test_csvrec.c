/*
 * test_csvrec - records fed a line at a time: quoted fields across lines, bad quoting, and a
 * line without quotes, which csvrec splits itself, compared with what libcsv makes of it on
 * 5,000 generated lines (commas at the ends and in a row, spaces, tabs, CR, NUL bytes,
 * UTF-8, more fields than are kept); and 5,000 lines with quotes (doubled, unclosed, stray;
 * CR inside and outside), fed in turn to csvrec and to libcsv set up as csvrec.c first set
 * it up. The reference is tests/csvref.c.
 */
#include "csvrec.h"
#include "csvref.h"
#include "testutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* a line without a quote: mostly letters, and every byte libcsv might treat specially */
static size_t make_line(uint64_t *seed, char *buf, size_t cap)
{
    static const char bytes[] = {'a',        'b',        ',', ',', ' ',  '\t', '\r', '\0',
                                 (char)0xc3, (char)0xa9, 'x', ';', '\\', '\'', '=',  '-'};
    size_t len = next(seed) % 8 == 0 ? next(seed) % 4 : next(seed) % 600;

    ck_assert_uint_le(len, cap);
    for (size_t i = 0; i < len; i++)
        buf[i] = bytes[next(seed) % sizeof bytes];
    if (next(seed) % 10 == 0) /* more fields than are kept */
        for (size_t i = 0; i < len; i += 2)
            buf[i] = ',';
    return len;
}

/*
 * make_quoted - a line of fields, some quoted (with doubled quotes, commas, CR, spaces inside),
 * now and then a stray quote or an unclosed one, which leaves the record open or bad
 */
static size_t make_quoted(uint64_t *seed, char *buf, size_t cap)
{
    static const char inside[] = {'a', ',', ' ', '\r', '\t', 'x', (char)0xc3, (char)0xa9};
    size_t n = 0, fields = 1 + next(seed) % 30;

    for (size_t f = 0; f < fields && n + 40 < cap; f++) {
        size_t flen = next(seed) % 12;
        int quoted = next(seed) % 2;
        if (f > 0)
            buf[n++] = ',';
        if (quoted)
            buf[n++] = '"';
        for (size_t i = 0; i < flen; i++) {
            char ch = quoted ? inside[next(seed) % sizeof inside] : "ab \r\tx"[next(seed) % 6];
            if (quoted && next(seed) % 8 == 0) { /* a doubled quote */
                buf[n++] = '"';
                ch = '"';
            }
            buf[n++] = ch;
        }
        if (quoted && next(seed) % 40 != 0) /* now and then left open */
            buf[n++] = '"';
        if (next(seed) % 60 == 0) /* a stray quote: a bad record */
            buf[n++] = '"';
    }
    return n;
}

/* assert_same - csvrec's complete record is the reference's */
static void assert_same(struct csvrec *c, const struct csvref *r, size_t line_no)
{
    size_t bytes = 0;

    ck_assert_msg(csvrec_count(c) == r->n, "line %zu: %zu fields, libcsv %zu", line_no,
                  csvrec_count(c), r->n);
    ck_assert_uint_eq(csvrec_dropped(c), r->nall - r->n);
    for (size_t i = 0; i < r->n; i++) {
        size_t len;
        const char *f = csvrec_field(c, i, &len);
        ck_assert_msg(len == r->len[i] && memcmp(f, r->field[i], len) == 0 && f[len] == '\0',
                      "line %zu, field %zu differs from libcsv's", line_no, i);
        bytes += len;
    }
    ck_assert_uint_eq(csvrec_bytes(c), bytes);
}

START_TEST(test_plain_lines_as_libcsv)
{
    struct csvrec *c = csvrec_new();
    struct csvref r;
    uint64_t seed = UINT64_C(0x9e3779b97f4a7c15);
    static char line[700];

    ck_assert_int_eq(csvref_init(&r), 0);
    for (size_t k = 0; k < 5000; k++) {
        size_t len = make_line(&seed, line, sizeof line);
        ck_assert_int_eq(csvref_feed(&r, line, len), CSVREC_DONE);
        ck_assert_int_le(r.records, 1);
        ck_assert_int_eq(csvrec_feed(c, line, len), CSVREC_DONE);
        assert_same(c, &r, k);
    }
    csvref_free(&r);
    csvrec_free(c);
}
END_TEST

/* a plain line after a record across lines, after a bad record, and after an empty line */
START_TEST(test_plain_after_others)
{
    struct csvrec *c = csvrec_new();
    size_t len;

    ck_assert_int_eq(csvrec_feed(c, "a,\"b", 4), CSVREC_MORE);
    ck_assert_int_eq(csvrec_feed(c, "c\",d", 4), CSVREC_DONE);
    ck_assert_uint_eq(csvrec_count(c), 3);
    ck_assert_str_eq(csvrec_field(c, 1, &len), "b\nc");
    ck_assert_int_eq(csvrec_feed(c, " x ,\r,", 6), CSVREC_DONE);
    ck_assert_uint_eq(csvrec_count(c), 3);
    ck_assert_str_eq(csvrec_field(c, 0, NULL), " x ");
    ck_assert_str_eq(csvrec_field(c, 1, NULL), "\r");
    ck_assert_str_eq(csvrec_field(c, 2, &len), "");
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(csvrec_feed(c, "a\"b\",c", 6), CSVREC_BAD);
    ck_assert_int_eq(csvrec_feed(c, "p,q", 3), CSVREC_DONE);
    ck_assert_uint_eq(csvrec_count(c), 2);
    ck_assert_str_eq(csvrec_field(c, 1, NULL), "q");
    ck_assert_int_eq(csvrec_feed(c, "", 0), CSVREC_DONE);
    ck_assert_uint_eq(csvrec_count(c), 0);
    ck_assert_int_eq(csvrec_feed(c, "\"open", 5), CSVREC_MORE);
    ck_assert_int_eq(csvrec_feed(c, "no quote, here", 14), CSVREC_MORE); /* still quoted */
    ck_assert_int_eq(csvrec_feed(c, "\",z", 3), CSVREC_DONE);
    ck_assert_uint_eq(csvrec_count(c), 2);
    ck_assert_str_eq(csvrec_field(c, 0, NULL), "open\nno quote, here\n");
    ck_assert_str_eq(csvrec_field(c, 1, NULL), "z");
    csvrec_free(c);
}
END_TEST

/* lines with quotes, fed in turn to both: the same status at every line, the same fields */
START_TEST(test_quoted_lines_as_libcsv)
{
    struct csvrec *c = csvrec_new();
    struct csvref r;
    uint64_t seed = UINT64_C(0x2545f4914f6cdd1d);
    static char line[700];
    long seen[3] = {0, 0, 0};

    ck_assert_int_eq(csvref_init(&r), 0);
    for (size_t k = 0; k < 5000; k++) {
        size_t len = next(&seed) % 4 == 0 ? make_line(&seed, line, sizeof line)
                                          : make_quoted(&seed, line, sizeof line);
        enum csvrec_status want = csvref_feed(&r, line, len);
        enum csvrec_status got = csvrec_feed(c, line, len);
        ck_assert_msg(got == want, "line %zu: status %d, libcsv %d", k, (int)got, (int)want);
        seen[want]++;
        if (got == CSVREC_DONE)
            assert_same(c, &r, k);
    }
    /* every outcome was met, many times */
    ck_assert_int_gt(seen[CSVREC_DONE], 1000);
    ck_assert_int_gt(seen[CSVREC_MORE], 50);
    ck_assert_int_gt(seen[CSVREC_BAD], 50);
    csvref_free(&r);
    csvrec_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csvrec");
    TCase *tc = tcase_create("csvrec");

    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_plain_lines_as_libcsv);
    tcase_add_test(tc, test_plain_after_others);
    tcase_add_test(tc, test_quoted_lines_as_libcsv);
    return tu_run_suite(s);
}
