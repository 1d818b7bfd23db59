/*
 * test_decompress_nothread - when the decoder's thread cannot be started, a compressed log is
 * decoded in the reader's own thread, line for line as with the thread
 *
 * This suite's copy of ingest/decompress.c is built with pthread_create renamed to
 * failing_pthread_create (tests/CMakeLists.txt), which refuses as pthread_create does when a
 * process is at its limit of threads (EAGAIN). The archive's decompress.o is then never linked.
 */
#include "gzip_shapes.h"
#include "reader.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const compressors[][2] = {{"gzip -c", "gzip"}, {"zstd -q -c", "zstd"}};

START_TEST(test_decoded_without_thread)
{
    char plain[700], packed[700], cmd[2000];
    struct reader *a, *b;
    struct log_line la, lb;
    struct diag d = {""};
    int ra, rb, before = tu_threads_refused;
    long n = 0;
    FILE *f;

    snprintf(plain, sizeof plain, "%s/n%d.txt", tu_tempdir(), _i);
    snprintf(packed, sizeof packed, "%s/n%d.bin", tu_tempdir(), _i);
    ck_assert_ptr_nonnull(f = fopen(plain, "w"));
    for (int i = 0; i < 50000; i++)
        fprintf(f, "line %06d %.*s\n", i, i % 89,
                "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
                "abcdefghijklmnopqrstuvwxyz");
    ck_assert_int_eq(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "%s '%s' > '%s'", compressors[_i][0], plain, packed);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(reader_open(plain, &a, &d), 0);
    ck_assert_int_eq(reader_open(packed, &b, &d), 0);
    reader_decompress_ahead(b, 1);
    do {
        ra = reader_next(a, &la, &d);
        rb = reader_next(b, &lb, &d);
        ck_assert_int_eq(ra, rb);
        if (ra == 1) {
            ck_assert_int_eq(la.offset, lb.offset);
            ck_assert_uint_eq(la.len, lb.len);
            ck_assert(memcmp(la.text, lb.text, la.len) == 0);
            n++;
        }
    } while (ra == 1);
    ck_assert_msg(tu_threads_refused > before, "the reader never asked for the decoder's thread");
    ck_assert_int_eq(n, 50000);
    ck_assert_str_eq(reader_compression(b), compressors[_i][1]);
    ck_assert_int_eq(reader_offset(a), reader_offset(b));
    reader_close(a);
    reader_close(b);
}
END_TEST

/* the same gzip shapes as test_reader's, through zlib here (tests/CMakeLists.txt) */
START_TEST(test_gzip_shapes_zlib)
{
    gzip_shapes_check(1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("decompress_nothread");
    TCase *tc = tcase_create("nothread");

    tcase_add_loop_test(tc, test_decoded_without_thread, 0, 2);
    tcase_add_test(tc, test_gzip_shapes_zlib);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
