/*
 * test_reader - lines and offsets from files: long lines, partial last lines, NUL bytes, CRLF,
 * the encodings the reader decodes (UTF-16LE with and without BOM, the UTF-8 BOM), and the
 * compressions it reads (gzip, bzip2, xz, zstd; truncated and corrupt archives)
 */
#include "gzip_shapes.h"
#include "reader.h"
#include "testutil.h"

#include <dirent.h>
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

/* ------------------------------------------------------------ encodings */

/* utf16le - encode UTF-8 text (BMP and astral) as UTF-16LE into out; returns the bytes */
static size_t utf16le(const char *s, unsigned char *out, int bom)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;

    if (bom) {
        out[o++] = 0xFF;
        out[o++] = 0xFE;
    }
    while (*p) {
        unsigned c;
        if (*p < 0x80) {
            c = *p++;
        } else if (*p < 0xE0) {
            c = (unsigned)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
            p += 2;
        } else if (*p < 0xF0) {
            c = (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
            p += 3;
        } else {
            c = (unsigned)(p[0] & 0x07) << 18 | (unsigned)(p[1] & 0x3F) << 12 |
                (unsigned)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
            p += 4;
        }
        if (c >= 0x10000) {
            c -= 0x10000;
            unsigned hi = 0xD800 + (c >> 10), lo = 0xDC00 + (c & 0x3FF);
            out[o++] = (unsigned char)(hi & 0xFF);
            out[o++] = (unsigned char)(hi >> 8);
            out[o++] = (unsigned char)(lo & 0xFF);
            out[o++] = (unsigned char)(lo >> 8);
        } else {
            out[o++] = (unsigned char)(c & 0xFF);
            out[o++] = (unsigned char)(c >> 8);
        }
    }
    return o;
}

/* expect_line - the next line is want, at offset */
static void expect_line(struct reader *r, const char *want, int64_t offset)
{
    struct log_line ln;
    struct diag d = {""};

    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_msg(ln.len == strlen(want) && memcmp(ln.text, want, ln.len) == 0,
                  "got '%.*s', want '%s'", (int)ln.len, ln.text, want);
    ck_assert_int_eq(ln.offset, offset);
}

/* Exchange Online exports: UTF-16LE with a BOM, CRLF; offsets count the decoded UTF-8 */
START_TEST(test_utf16le_bom)
{
    unsigned char buf[256];
    const char *text =
        "\"Received\",\"Status\"\r\n\"9/5/2022\",\"Failed\"\r\nGr\xC3\xBC\xC3\x9F\r\n";
    size_t n = utf16le(text, buf, 1);
    struct reader *r = open_with((const char *)buf, (long)n);
    struct log_line ln;
    struct diag d = {""};

    expect_line(r, "\"Received\",\"Status\"", 0);
    ck_assert_str_eq(reader_decoding(r), "utf-16le");
    expect_line(r, "\"9/5/2022\",\"Failed\"", 21);
    expect_line(r, "Gr\xC3\xBC\xC3\x9F", 42); /* "Grüß": 1 + 1 + 2 + 2 UTF-8 bytes */
    ck_assert_int_eq(reader_next(r, &ln, &d), 0);
    ck_assert_int_eq(reader_offset(r), 42 + 8);
    reader_close(r);
}
END_TEST

/* historical-search CSVs come without a BOM: the NUL pattern gives them away */
START_TEST(test_utf16le_no_bom)
{
    unsigned char buf[256];
    size_t n = utf16le("origin_timestamp_utc,sender_address\n2024-01-01,a@b\nhalf", buf, 0);
    struct reader *r = open_with((const char *)buf, (long)n);
    struct log_line ln;
    struct diag d = {""};

    expect_line(r, "origin_timestamp_utc,sender_address", 0);
    ck_assert_str_eq(reader_decoding(r), "utf-16le");
    expect_line(r, "2024-01-01,a@b", 36);
    ck_assert_int_eq(reader_next(r, &ln, &d), 0);
    ck_assert_int_eq(reader_pending(r), 4); /* held back, counted in decoded bytes */
    reader_close(r);
}
END_TEST

/* astral characters (surrogate pairs), unpaired surrogates, an odd last byte */
START_TEST(test_utf16le_surrogates)
{
    unsigned char buf[64];
    size_t n = utf16le("ab\xF0\x9F\x98\x80"
                       "cd\n",
                       buf, 1); /* U+1F600 */
    struct reader *r;
    struct log_line ln;
    struct diag d = {""};

    /* then a lone low surrogate, a lone high surrogate before 'x', a newline, an odd byte */
    const unsigned char tail[] = {0x00, 0xDC, 0x00, 0xD8, 'x', 0, '\n', 0, 'z'};
    memcpy(buf + n, tail, sizeof tail);
    n += sizeof tail;
    r = open_with((const char *)buf, (long)n);
    expect_line(r,
                "ab\xF0\x9F\x98\x80"
                "cd",
                0);
    expect_line(r, "\xEF\xBF\xBD\xEF\xBF\xBDx", 9);
    ck_assert_int_eq(reader_next(r, &ln, &d), 0);
    ck_assert_int_eq(reader_pending(r), 0); /* half a character is no line */
    reader_close(r);
}
END_TEST

/* many blocks: a surrogate pair split by the block boundary, offsets exact all the way */
START_TEST(test_utf16le_blocks)
{
    size_t lines = 40000, cap = lines * 64, n = 0;
    unsigned char *buf = malloc(cap);
    char text[64];
    struct reader *r;
    struct log_line ln;
    struct diag d = {""};
    int64_t off = 0, last = 0;

    buf[n++] = 0xFF;
    buf[n++] = 0xFE;
    for (size_t i = 0; i < lines; i++) {
        /* odd-length lines move the pair across every alignment */
        int k =
            snprintf(text, sizeof text, "%zu\xF0\x9F\x98\x80%.*s\n", i, (int)(i % 7), "xxxxxxx");
        (void)k;
        n += utf16le(text, buf + n, 0);
    }
    r = open_with((const char *)buf, (long)n);
    for (size_t i = 0; i < lines; i++) {
        snprintf(text, sizeof text, "%zu\xF0\x9F\x98\x80%.*s", i, (int)(i % 7), "xxxxxxx");
        ck_assert_int_eq(reader_next(r, &ln, &d), 1);
        ck_assert_msg(ln.len == strlen(text) && memcmp(ln.text, text, ln.len) == 0,
                      "line %zu differs", i);
        ck_assert_int_eq(ln.offset, off);
        last = off;
        off += (int64_t)ln.len + 1;
    }
    ck_assert_int_eq(reader_next(r, &ln, &d), 0);
    reader_close(r);

    /* resuming in a transcoded stream: decoded offsets, found by decoding again */
    r = open_with((const char *)buf, (long)n);
    ck_assert_int_eq(reader_skip_to(r, last, &d), 0); /* the last line: "39999😀x" */
    expect_line(r, "39999\xF0\x9F\x98\x80x", last);
    reader_close(r);
    free(buf);
}
END_TEST

/* the UTF-8 BOM is skipped; offsets stay file offsets, so resuming still seeks */
START_TEST(test_utf8_bom)
{
    struct reader *r = open_with("\xEF\xBB\xBF#Software: x\nrow\n", -1);
    struct diag d = {""};

    expect_line(r, "#Software: x", 3);
    ck_assert_ptr_null(reader_decoding(r));
    expect_line(r, "row", 16);
    reader_close(r);
    r = open_with("\xEF\xBB\xBF#Software: x\nrow\n", -1);
    ck_assert_int_eq(reader_skip_to(r, 16, &d), 0);
    expect_line(r, "row", 16);
    reader_close(r);
}
END_TEST

/* text with a few NUL bytes is no UTF-16 */
START_TEST(test_not_utf16)
{
    struct reader *r = open_with("a\0b\0c\0d\0e\0\0\nplain line\n", 23);
    struct log_line ln;
    struct diag d = {""};

    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_uint_eq(ln.len, 11);
    ck_assert_ptr_null(reader_decoding(r));
    expect_line(r, "plain line", 12);
    reader_close(r);
}
END_TEST

/* ------------------------------------------------------------------ compression */

/* xz at its fastest: its default level takes seconds for the test texts */
static const char *const compressors[][2] = {
    {"gzip -c", "gzip"}, {"bzip2 -c", "bzip2"}, {"xz -0 -c", "xz"}, {"zstd -q -c", "zstd"}};

/* text_file - many numbered lines, so that blocks of every size are crossed */
static void text_file(const char *p, int lines)
{
    FILE *f = fopen(p, "w");

    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < lines; i++)
        fprintf(f, "line %06d %.*s\n", i, i % 97,
                "abcdefghijklmnopqrstuvwxyz0123456789"
                "abcdefghijklmnopqrstuvwxyz0123456789"
                "abcdefghijklmnopqrstuvwxyz0123456789");
    ck_assert_int_eq(fclose(f), 0);
}

/* threads - the threads of this process, from /proc; -1 without it */
static int threads(void)
{
    DIR *dir = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;

    if (dir == NULL)
        return -1;
    while ((e = readdir(dir)) != NULL)
        n += e->d_name[0] != '.';
    closedir(dir);
    return n;
}

/*
 * every line and offset of a compressed file are those of the text; _i / 4 = 1: decompressed
 * in a thread of its own (reader_decompress_ahead), which is there while the file is read
 */
START_TEST(test_compressed)
{
    int ahead = _i / 4, t0 = threads(), t1 = 0;

    char plain[700], packed[700], cmd[2000];
    struct reader *a, *b;
    struct log_line la, lb;
    struct diag d = {""};
    const unsigned char *head;
    size_t hl;
    int ra, rb;
    long n = 0;
    int64_t at40000 = 0;

    snprintf(plain, sizeof plain, "%s/c%d.txt", tu_tempdir(), _i);
    snprintf(packed, sizeof packed, "%s/c%d.bin", tu_tempdir(), _i);
    text_file(plain, 60000);
    snprintf(cmd, sizeof cmd, "%s '%s' > '%s'", compressors[_i % 4][0], plain, packed);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(reader_open(plain, &a, &d), 0);
    reader_decompress_ahead(a, ahead); /* plain text: no thread either way */
    ck_assert_int_eq(reader_open(packed, &b, &d), 0);
    reader_decompress_ahead(b, ahead);
    /* the fingerprint's bytes are the text's */
    ck_assert_int_eq(reader_peek(b, 1024, &head, &hl, &d), 0);
    ck_assert_uint_eq(hl, 1024);
    ck_assert(memcmp(head, "line 000000 \nline 000001 a\n", 27) == 0);
    ck_assert_str_eq(reader_compression(b), compressors[_i % 4][1]);
    /* (a sanitizer may start threads of its own: only the difference is ours) */
    if (t0 > 0 && ahead)
        ck_assert_int_gt(t1 = threads(), t0);
    do {
        ra = reader_next(a, &la, &d);
        rb = reader_next(b, &lb, &d);
        ck_assert_int_eq(ra, rb);
        if (ra == 1) {
            ck_assert_int_eq(la.offset, lb.offset);
            ck_assert_uint_eq(la.len, lb.len);
            ck_assert(memcmp(la.text, lb.text, la.len) == 0);
            if (n == 40000)
                at40000 = la.offset;
            n++;
        }
    } while (ra == 1);
    ck_assert_int_eq(n, 60000);
    ck_assert_int_eq(reader_offset(a), reader_offset(b));
    ck_assert_int_gt(reader_file_pos(b), 0);
    ck_assert_int_le(reader_file_pos(b), 60000 * 61);
    reader_close(a);
    reader_close(b);
    if (t0 > 0 && ahead)
        ck_assert_int_lt(threads(), t1); /* the decoder's thread is gone */
    /* resuming in the middle decompresses up to the offset */
    ck_assert_int_eq(reader_open(packed, &b, &d), 0);
    reader_decompress_ahead(b, ahead);
    ck_assert_int_eq(reader_peek(b, 1024, &head, &hl, &d), 0);
    ck_assert_int_eq(reader_skip_to(b, at40000, &d), 0);
    ck_assert_int_eq(reader_next(b, &lb, &d), 1);
    ck_assert_int_eq(lb.offset, at40000);
    ck_assert(memcmp(lb.text, "line 040000 ", 12) == 0);
    reader_close(b);
}
END_TEST

/*
 * read_damaged - every line of a damaged archive (numbered in order, with ordered), then the
 * error: the lines read (and the message in d); decompressed in a thread of its own with ahead
 */
static long read_damaged(const char *file, int ahead, int ordered, struct diag *d)
{
    struct reader *r;
    struct log_line ln;
    long n = 0, last = -1;
    int rc;

    ck_assert_int_eq(reader_open(file, &r, d), 0);
    reader_decompress_ahead(r, ahead);
    while ((rc = reader_next(r, &ln, d)) == 1) {
        if (ordered) {
            char num[16] = ""; /* a line is not NUL-terminated: sscanf must not read past it */
            memcpy(num, ln.text, ln.len < sizeof num - 1 ? ln.len : sizeof num - 1);
            ck_assert_int_eq(sscanf(num, "line %ld", &last), 1);
            ck_assert_int_eq(last, n);
        }
        n++;
    }
    ck_assert_int_eq(rc, -1);
    reader_close(r);
    return n;
}

/* damaged archives: every complete line before the damage, then the reason, the same whether
 * decompressed in the reader's thread or ahead in one of its own */
START_TEST(test_compressed_damage)
{
    char plain[700], packed[700], cmd[6000];
    struct diag d = {""}, da = {""};
    long n;

    snprintf(plain, sizeof plain, "%s/d%d.txt", tu_tempdir(), _i);
    snprintf(packed, sizeof packed, "%s/d%d.bin", tu_tempdir(), _i);
    text_file(plain, 120000);
    /* the first 60%% of the archive */
    snprintf(cmd, sizeof cmd,
             "%s '%s' > '%s.all' && head -c $(($(stat -c %%s '%s.all') * 6 / 10)) "
             "'%s.all' > '%s'",
             compressors[_i][0], plain, packed, packed, packed, packed);
    ck_assert_int_eq(system(cmd), 0);
    n = read_damaged(packed, 0, 1, &d);
    ck_assert_int_eq(read_damaged(packed, 1, 1, &da), n);
    ck_assert_str_eq(da.msg, d.msg);
    ck_assert_msg(strstr(d.msg, "truncated ") != NULL && strstr(d.msg, " data: the file ends "
                                                                       "inside the compressed "
                                                                       "stream") != NULL,
                  "%s", d.msg);
    ck_assert_ptr_nonnull(strstr(d.msg, packed));
    /* bzip2 decodes in 900 kB blocks: a cut archive may end before the first; the others
     * deliver most of what they hold */
    if (strcmp(compressors[_i][1], "bzip2") != 0)
        ck_assert_int_gt(n, 1000);
    ck_assert_int_lt(n, 120000);
    /* corrupt bytes in the middle of a gzip: an error too, never a crash */
    if (_i == 0) {
        snprintf(cmd, sizeof cmd,
                 "cp '%s.all' '%s' && printf 'garbage-garbage-garbage-garbage' | dd of='%s' bs=1 "
                 "seek=200000 conv=notrunc 2>/dev/null",
                 packed, packed, packed);
        ck_assert_int_eq(system(cmd), 0);
        n = read_damaged(packed, 0, 0, &d);
        ck_assert_int_eq(read_damaged(packed, 1, 0, &da), n);
        ck_assert_str_eq(da.msg, d.msg);
        ck_assert_msg(strstr(d.msg, "corrupt gzip data: ") != NULL, "%s", d.msg);
    }
}
END_TEST

/* gzip's header fields, members and damage (gzip_shapes.c), decoded here and ahead */
START_TEST(test_gzip_shapes)
{
    gzip_shapes_check(_i);
}
END_TEST

/* what only looks like a magic is text; a magic without data is a truncated archive */
START_TEST(test_magic_edges)
{
    struct reader *r;
    struct log_line ln;
    struct diag d = {""};

    r = open_with("BZh is how this line begins\n", -1); /* no block size digit: text */
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_uint_eq(ln.len, 27);
    ck_assert_ptr_null(reader_compression(r));
    reader_close(r);
    r = open_with("\x1f", 1); /* one byte of a magic, then the end: text */
    reader_take_partial(r, 1);
    ck_assert_int_eq(reader_next(r, &ln, &d), 1);
    ck_assert_uint_eq(ln.len, 1);
    reader_close(r);
    r = open_with("\x1f\x8b\x08", 3); /* a gzip header cut short */
    ck_assert_int_eq(reader_next(r, &ln, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "truncated gzip data"));
    ck_assert_str_eq(reader_compression(r), "gzip");
    reader_close(r);
    r = open_with("(\xb5/\xfd garbage that is no zstd frame\n", -1);
    ck_assert_int_eq(reader_next(r, &ln, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "corrupt zstd data"));
    reader_close(r);
}
END_TEST

/* peeking reads ahead without consuming: the lines still start at 0, or where skip_to says */
START_TEST(test_peek)
{
    struct reader *r = open_with("first\nsecond\nthird\n", -1);
    struct diag d = {""};
    const unsigned char *p;
    size_t n;

    ck_assert_int_eq(reader_peek(r, 1024, &p, &n, &d), 0);
    ck_assert_uint_eq(n, 19);
    ck_assert(memcmp(p, "first\n", 6) == 0);
    expect_line(r, "first", 0);
    expect_line(r, "second", 6);
    reader_close(r);
    r = open_with("first\nsecond\nthird\n", -1);
    ck_assert_int_eq(reader_peek(r, 4, &p, &n, &d), 0);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(reader_skip_to(r, 13, &d), 0);
    expect_line(r, "third", 13);
    reader_close(r);
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
    tcase_add_test(tc, test_utf16le_bom);
    tcase_add_test(tc, test_utf16le_no_bom);
    tcase_add_test(tc, test_utf16le_surrogates);
    tcase_add_test(tc, test_utf16le_blocks);
    tcase_add_test(tc, test_utf8_bom);
    tcase_add_test(tc, test_not_utf16);
    tcase_add_loop_test(tc, test_compressed, 0, 8);
    tcase_add_loop_test(tc, test_compressed_damage, 0, 4);
    tcase_add_test(tc, test_magic_edges);
    tcase_add_loop_test(tc, test_gzip_shapes, 0, 2);
    tcase_add_test(tc, test_peek);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
