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

/* bits - a deflate bit writer: LSB first, as deflate packs everything but Huffman codes */
struct bits {
    unsigned char *p;
    size_t n, cap;
    uint32_t acc;
    int nacc;
};

static void put_bits(struct bits *b, uint32_t v, int n)
{
    b->acc |= v << b->nacc;
    b->nacc += n;
    while (b->nacc >= 8) {
        ck_assert_uint_lt(b->n, b->cap);
        b->p[b->n++] = (unsigned char)(b->acc & 0xFF);
        b->acc >>= 8;
        b->nacc -= 8;
    }
}

/* put_code - a Huffman code of n bits, its most significant bit first */
static void put_code(struct bits *b, uint32_t code, int n)
{
    for (int i = n - 1; i >= 0; i--)
        put_bits(b, code >> i & 1, 1);
}

/* bad_distance - a member of one fixed-Huffman block: `lines` numbered lines as literals, then
 * a match 30,000 bytes back: where fewer were written, "invalid distance too far back"; with
 * code 30 for its distance, which deflate never uses (code_30), an invalid code */
static size_t bad_distance(unsigned char *out, size_t cap, int lines, int code_30)
{
    struct bits b = {out, 0, cap, 0, 0};
    char line[32];

    memcpy(out, "\x1f\x8b\x08\0\0\0\0\0\0\x03", 10);
    b.n = 10;
    put_bits(&b, 1, 1); /* the last block */
    put_bits(&b, 1, 2); /* fixed Huffman codes */
    for (int i = 0; i < lines; i++) {
        int n = snprintf(line, sizeof line, "line %06d x\n", i % SHAPE_LINES);
        for (int k = 0; k < n; k++) /* literals 0-143: 8 bits from 0x30 */
            put_code(&b, 0x30 + (unsigned char)line[k], 8);
    }
    put_code(&b, 1, 7);                 /* length code 257: 3 bytes */
    put_code(&b, code_30 ? 30 : 29, 5); /* code 29: 24,577 and 13 extra bits */
    put_bits(&b, 5423, 13);             /* 30,000 */
    put_code(&b, 0, 7);                 /* end of block */
    put_bits(&b, 0, 7);                 /* to a byte: the last bits out */
    return b.n;
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
    /* a second member whose method is not deflate: the first one's lines, then the error */
    h2l = header(h2, 0);
    h2[2] = 7;
    write_parts(path, (const void *[]){h, m.data, h2, m.data}, (size_t[]){hl, m.len, h2l, m.len},
                4);
    expect(path, ahead, SHAPE_LINES, "corrupt gzip data: unknown compression method");
    free(m.data);
    free(empty.data);

    /*
     * a match further back than what was written (after 28 KB), and an invalid code (after
     * 300 KB): the lines before it, the same read in the reader's thread and ahead, and again.
     * (ISA-L copies a match from its history before it refuses it: a call that fails is
     * dropped, and its calls fall in the same places in every read.)
     */
    size_t cap = 1100000, len;
    unsigned char *bad = malloc(cap);

    ck_assert_ptr_nonnull(bad);
    for (int code_30 = 0; code_30 <= 1; code_30++) {
        struct diag d1 = {""}, d2 = {""}, d3 = {""};
        long n1, n2, n3;
        len = bad_distance(bad, cap, code_30 ? 22000 : 2000, code_30);
        write_parts(path, (const void *[]){bad}, (size_t[]){len}, 1);
        ck_assert_int_eq(read_all(path, ahead, &n1, &d1), -1);
        ck_assert_int_eq(read_all(path, !ahead, &n2, &d2), -1);
        ck_assert_int_eq(read_all(path, ahead, &n3, &d3), -1);
        ck_assert_msg(strstr(d1.msg, "corrupt gzip data: ") != NULL, "%s", d1.msg);
        ck_assert_int_eq(n1, n2);
        ck_assert_int_eq(n1, n3);
        ck_assert_str_eq(d1.msg, d2.msg);
        ck_assert_str_eq(d1.msg, d3.msg);
    }
    free(bad);
}
