/*
 * gzip_shapes - gzip members of every header shape RFC 1952 allows, and damaged ones, read
 * through the reader: built into test_reader (gzip through ISA-L where the build has it) and
 * test_decompress_nothread (whose own decompress.c always uses zlib), so that both engines
 * are held to the same answers.
 */
#include "gzip_shapes.h"
#include "reader.h"
#include "testutil.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHAPE_LINES 20000

/* crc32 - the gzip CRC (for a header's CRC16), a bit at a time: a test's few dozen bytes */
static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;

    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c >> 1 ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

struct member {
    unsigned char *data; /* deflate data, then the trailer (CRC32, length) */
    size_t len;
};

/* deflated - gzip -n's member of `text` lines of the numbered log, without its 10-byte header */
static struct member deflated(const char *dir, const char *name, int lines)
{
    char plain[600], packed[600], cmd[1400];
    struct member m;
    size_t n;
    char *all;
    FILE *f;

    snprintf(plain, sizeof plain, "%s/%s.txt", dir, name);
    snprintf(packed, sizeof packed, "%s/%s.gz", dir, name);
    ck_assert_ptr_nonnull(f = fopen(plain, "w"));
    for (int i = 0; i < lines; i++)
        fprintf(f, "line %06d %.*s\n", i, i % 61,
                "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz");
    ck_assert_int_eq(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "gzip -c -n < '%s' > '%s'", plain, packed);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_ptr_nonnull(all = tu_read_file(packed, &n));
    ck_assert_uint_gt(n, 18);
    ck_assert_int_eq(all[3], 0); /* no flags: the header is 10 bytes */
    m.len = n - 10;
    m.data = malloc(m.len);
    ck_assert_ptr_nonnull(m.data);
    memcpy(m.data, all + 10, m.len);
    free(all);
    return m;
}

/* header - a member's header with flags and its fields into out; its length */
static size_t header(unsigned char *out, int flags)
{
    static const unsigned char extra[] = {'R', 'L', 3, 0, 'x', 'y', 'z'};
    size_t n = 0;

    memcpy(out, "\x1f\x8b\x08", 3);
    out[3] = (unsigned char)flags;
    memcpy(out + 4, "\x01\x02\x03\x04\x00\x03", 6); /* mtime, XFL, OS: Unix */
    n = 10;
    if (flags & 4) {
        out[n++] = sizeof extra;
        out[n++] = 0;
        memcpy(out + n, extra, sizeof extra);
        n += sizeof extra;
    }
    if (flags & 8) {
        memcpy(out + n, "mail.log.1", 11);
        n += 11;
    }
    if (flags & 16) {
        memcpy(out + n, "rotated by logrotate", 21);
        n += 21;
    }
    if (flags & 2) {
        uint32_t c = crc32_of(out, n);
        out[n++] = (unsigned char)(c & 0xFF);
        out[n++] = (unsigned char)(c >> 8 & 0xFF);
    }
    return n;
}

/* write_parts - a file of the given parts, one after another */
static void write_parts(const char *path, const void *const *parts, const size_t *lens, int n)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < n; i++)
        ck_assert_uint_eq(fwrite(parts[i], 1, lens[i], f), lens[i]);
    ck_assert_int_eq(fclose(f), 0);
}

/* read_all - the lines of path, each the next of the numbered log; rc of the last reader_next */
static int read_all(const char *path, int ahead, long *lines, struct diag *d)
{
    struct reader *r;
    struct log_line ln;
    int rc;

    *lines = 0;
    ck_assert_int_eq(reader_open(path, &r, d), 0);
    reader_decompress_ahead(r, ahead);
    while ((rc = reader_next(r, &ln, d)) == 1) {
        char want[16];
        snprintf(want, sizeof want, "line %06ld ", *lines % SHAPE_LINES);
        ck_assert_msg(ln.len >= 12 && memcmp(ln.text, want, 12) == 0, "line %ld", *lines);
        (*lines)++;
    }
    ck_assert_str_eq(reader_compression(r), "gzip");
    reader_close(r);
    return rc;
}

/* expect - path reads to its clean end with `lines` lines, or fails with `error` in the message
 * after `lines` lines (-1: any number) */
static void expect(const char *path, int ahead, long lines, const char *error)
{
    struct diag d = {""};
    long n;
    int rc = read_all(path, ahead, &n, &d);

    if (error == NULL) {
        ck_assert_msg(rc == 0, "%s: %s", path, d.msg);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(strstr(d.msg, error) != NULL, "%s: %s", path, d.msg);
    }
    if (lines >= 0)
        ck_assert_int_eq(n, lines);
}

void gzip_shapes_check(int ahead)
{
    const char *dir = tu_tempdir();
    struct member m = deflated(dir, ahead ? "shape1" : "shape0", SHAPE_LINES);
    struct member empty = deflated(dir, ahead ? "empty1" : "empty0", 0);
    unsigned char h[128], h2[128], zeros[1024] = {0};
    char path[600];
    size_t hl, h2l;

    snprintf(path, sizeof path, "%s/shape%d.bin", dir, ahead);
    /* every optional field, alone and all together; the header's CRC16 */
    static const int flag_sets[] = {0, 4, 8, 16, 2, 4 | 8 | 16, 2 | 4 | 8 | 16};
    for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++) {
        hl = header(h, flag_sets[i]);
        write_parts(path, (const void *[]){h, m.data}, (size_t[]){hl, m.len}, 2);
        expect(path, ahead, SHAPE_LINES, NULL);
    }
    /* an empty member first, and a second member with a name: one stream */
    hl = header(h, 0);
    h2l = header(h2, 8);
    write_parts(path, (const void *[]){h, empty.data, h2, m.data, h, m.data},
                (size_t[]){hl, empty.len, h2l, m.len, hl, m.len}, 6);
    expect(path, ahead, 2 * SHAPE_LINES, NULL);
    /* zeros after the last member (a tape's padding) start no member: ignored, as by gzip */
    write_parts(path, (const void *[]){h, m.data, zeros}, (size_t[]){hl, m.len, sizeof zeros}, 3);
    expect(path, ahead, SHAPE_LINES, NULL);

    /* a wrong header CRC16 */
    hl = header(h, 2 | 8);
    h[hl - 1] ^= 0x55;
    write_parts(path, (const void *[]){h, m.data}, (size_t[]){hl, m.len}, 2);
    expect(path, ahead, 0, "corrupt gzip data: ");
    /* a reserved flag (RFC 1952: an error) */
    hl = header(h, 0x20);
    write_parts(path, (const void *[]){h, m.data}, (size_t[]){hl, m.len}, 2);
    expect(path, ahead, 0, "corrupt gzip data: unknown header flags set");
    /* the trailer's CRC32, then its length, wrong: every line first, then the error */
    hl = header(h, 0);
    m.data[m.len - 8] ^= 0x01;
    write_parts(path, (const void *[]){h, m.data}, (size_t[]){hl, m.len}, 2);
    expect(path, ahead, SHAPE_LINES, "corrupt gzip data: incorrect ");
    m.data[m.len - 8] ^= 0x01;
    m.data[m.len - 1] ^= 0x01;
    write_parts(path, (const void *[]){h, m.data}, (size_t[]){hl, m.len}, 2);
    expect(path, ahead, SHAPE_LINES, "corrupt gzip data: incorrect ");
    m.data[m.len - 1] ^= 0x01;
    /* cut inside the trailer, and inside a second member's name */
    write_parts(path, (const void *[]){h, m.data}, (size_t[]){hl, m.len - 3}, 2);
    expect(path, ahead, SHAPE_LINES, "truncated gzip data: ");
    write_parts(path, (const void *[]){h, m.data, h2}, (size_t[]){hl, m.len, h2l - 4}, 3);
    expect(path, ahead, SHAPE_LINES, "truncated gzip data: ");
    free(m.data);
    free(empty.data);
}
