/*
 * test_reader - lines and offsets from files: long lines, partial last lines, NUL bytes, CRLF
 */
#include "reader.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char path[600];

static struct reader *open_with(const char *data, long n)
{
    struct reader *r;
    struct diag d = {""};

    snprintf(path, sizeof path, "%s/reader.log", tu_tempdir());
    tu_write_file(path, data, n);
    ck_assert_int_eq(reader_open(path, &r, &d), 0);
    return r;
}

START_TEST(test_lines_and_offsets)
{
    struct reader *r = open_with("one\ntwo\r\n\nthree\n", -1);
    struct log_line ln;
    struct diag d = {""};

    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_uint_eq(ln.len, 3);
    ck_assert(memcmp(ln.text, "one", 3) == 0);
    ck_assert_int_eq(ln.offset, 0);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_uint_eq(ln.len, 3); /* the \r goes with the \n */
    ck_assert_int_eq(ln.offset, 4);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_uint_eq(ln.len, 0);
    ck_assert_int_eq(ln.offset, 9);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_int_eq(ln.offset, 10);
    ck_assert_int_eq(reader_next(r, &ln, &d), 0);
    ck_assert_int_eq(reader_offset(r), 16);
    ck_assert_int_eq(reader_pending(r), 0);
    reader_close(r);
}
END_TEST

/* the MTA may be writing the last line: leave it for the next run */
START_TEST(test_partial_last_line)
{
    struct reader *r = open_with("done\nhalf a li", -1);
    struct log_line ln;
    struct diag d = {""};

    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_int_eq(reader_next(r, &ln, &d), 0);
    ck_assert_int_eq(reader_offset(r), 5);
    ck_assert_int_eq(reader_pending(r), 9);
    reader_close(r);

    r = open_with("done\nhalf a li", -1);
    reader_take_partial(r, 1);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_int_eq(ln.unterminated, 1);
    ck_assert_uint_eq(ln.len, 9);
    ck_assert_int_eq(reader_next(r, &ln, &d), 0);
    reader_close(r);
}
END_TEST

/* a line over the limit is cut, flagged, and the next line is whole */
START_TEST(test_long_lines)
{
    size_t big = 3 * READER_MAX_LINE + 17;
    char *data = malloc(big + 32);
    struct reader *r;
    struct log_line ln;
    struct diag d = {""};

    memset(data, 'x', big);
    memcpy(data + big, "\nnext\n", 7);
    r = open_with(data, (long)big + 6);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_int_eq(ln.truncated, 1);
    ck_assert_uint_eq(ln.len, READER_MAX_LINE);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_int_eq(ln.truncated, 0);
    ck_assert_uint_eq(ln.len, 4);
    ck_assert_int_eq(ln.offset, (int64_t)big + 1);
    ck_assert_int_eq(reader_next(r, &ln, &d), 0);
    reader_close(r);
    /* one huge line without any newline: cut, then nothing held back beyond the limit */
    r = open_with(data, (long)big);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_int_eq(ln.truncated, 1);
    ck_assert_int_eq(reader_next(r, &ln, &d), 0);
    reader_close(r);
    free(data);
}
END_TEST

START_TEST(test_nul_bytes)
{
    struct reader *r = open_with("a\0b\nc\n", 6);
    struct log_line ln;
    struct diag d = {""};

    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_uint_eq(ln.len, 3);
    ck_assert_int_eq(ln.text[1], '\0');
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_int_eq(ln.offset, 4);
    reader_close(r);
}
END_TEST

/* resuming at an offset found by an earlier run */
START_TEST(test_skip_to)
{
    struct reader *r = open_with("l1\nl2\nl3\n", -1);
    struct log_line ln;
    struct diag d = {""};

    ck_assert_int_eq(reader_skip_to(r, 6, &d), 0);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert(memcmp(ln.text, "l3", 2) == 0);
    ck_assert_int_eq(ln.offset, 6);
    ck_assert_int_eq(reader_skip_to(r, 3, &d), -1); /* never backwards */
    reader_close(r);
}
END_TEST

START_TEST(test_many_blocks)
{
    /* lines across many read blocks keep exact offsets */
    size_t n = 300000, off = 0;
    char *data = malloc(n * 12);
    struct reader *r;
    struct log_line ln;
    struct diag d = {""};

    for (size_t i = 0; i < n; i++)
        off += (size_t)sprintf(data + off, "line %zu\n", i);
    r = open_with(data, (long)off);
    size_t i = 0, expect_off = 0;
    char want[32];
    while (reader_next(r, &ln, &d) == 1) {
        int wl = sprintf(want, "line %zu", i);
        ck_assert_uint_eq(ln.len, (size_t)wl);
        ck_assert(memcmp(ln.text, want, ln.len) == 0);
        ck_assert_int_eq(ln.offset, (int64_t)expect_off);
        expect_off += ln.len + 1;
        i++;
    }
    ck_assert_uint_eq(i, n);
    reader_close(r);
    free(data);
}
END_TEST

START_TEST(test_missing_file)
{
    struct reader *r = NULL;
    struct diag d = {""};

    ck_assert_int_eq(reader_open("/nonexistent/mail.log", &r, &d), -1);
    ck_assert_str_eq(d.msg, "/nonexistent/mail.log: No such file or directory");
    reader_close(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reader");
    TCase *tc = tcase_create("reader");

    tcase_add_test(tc, test_lines_and_offsets);
    tcase_add_test(tc, test_partial_last_line);
    tcase_add_test(tc, test_long_lines);
    tcase_add_test(tc, test_nul_bytes);
    tcase_add_test(tc, test_skip_to);
    tcase_add_test(tc, test_many_blocks);
    tcase_add_test(tc, test_missing_file);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
