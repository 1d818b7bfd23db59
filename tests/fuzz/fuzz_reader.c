/*
 * fuzz_reader - the reader's stream layer: encoding detection, UTF-16LE transcoding, line
 * cutting, a held-back last line, and resuming at a line start
 *
 * The first byte of the input is the harness's, the rest is the file:
 *	bit 0	deliver a last line without newline (reader_take_partial)
 *	bit 1	read it from a pipe instead of a file (no seeking; only for inputs up to 60 KB)
 *	bits 2-7	which line to resume at in the second pass (modulo the lines there are)
 *
 * Checked: offsets grow; a line holds no newline and no more than READER_MAX_LINE bytes; in a
 * file read as it is, every line is the file's bytes at its offset, followed by its newline;
 * in a transcoded file, every line is valid UTF-8; a compressed file (gzip, bzip2, xz, zstd,
 * by their magic) ends cleanly or with a one-line error after its good lines; a second reader
 * that skips to a line's offset delivers the same lines from there.
 */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz.h"
#include "reader.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_LINES 4096

struct seen {
    int64_t offset;
    size_t len;
    uint64_t hash;
};

static uint64_t hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h;
}

/* open_input - a reader over data[0..n): a memory file, or a pipe filled and closed */
static struct reader *open_input(const uint8_t *data, size_t n, int use_pipe, char *name,
                                 size_t cap)
{
    struct reader *r;
    struct diag d;
    int fd;

    if (use_pipe && n <= 60000) {
        int p[2];
        if (pipe(p) < 0)
            abort();
        if (n > 0 && write(p[1], data, n) != (ssize_t)n)
            abort();
        close(p[1]);
        fd = p[0];
    } else {
        fd = memfd_create("fuzz", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        if (n > 0 && write(fd, data, n) != (ssize_t)n)
            abort();
    }
    snprintf(name, cap, "/proc/self/fd/%d", fd);
    if (reader_open(name, &r, &d) < 0)
        fuzz_fail(d.msg, __FILE__, __LINE__);
    close(fd); /* the reader has its own descriptor */
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct seen seen[MAX_LINES];
    char name[64];
    struct reader *r;
    struct log_line ln;
    struct diag d;
    size_t nseen = 0;
    int64_t last = -1;
    int rc, partial, use_pipe, plain;

    if (size == 0)
        return 0;
    partial = data[0] & 1;
    use_pipe = (data[0] >> 1) & 1;
    data++;
    size--;

    r = open_input(data, size, use_pipe, name, sizeof name);
    reader_take_partial(r, partial);
    while ((rc = reader_next(r, &ln, &d)) == 1) {
        plain = reader_decoding(r) == NULL && reader_compression(r) == NULL;
        FUZZ_CHECK(ln.offset > last);
        last = ln.offset;
        FUZZ_CHECK(ln.len <= READER_MAX_LINE);
        FUZZ_CHECK(memchr(ln.text, '\n', ln.len) == NULL);
        if (ln.unterminated)
            FUZZ_CHECK(partial);
        if (plain) {
            FUZZ_CHECK(ln.offset >= 0 && (uint64_t)ln.offset + ln.len <= size);
            FUZZ_CHECK(memcmp(data + ln.offset, ln.text, ln.len) == 0);
            size_t after = (size_t)ln.offset + ln.len;
            if (!ln.truncated && !ln.unterminated)
                FUZZ_CHECK(data[after] == '\n' || (data[after] == '\r' && data[after + 1] == '\n'));
        } else if (reader_decoding(r) != NULL) {
            FUZZ_CHECK(fuzz_utf8_valid(ln.text, ln.len));
        }
        if (nseen < MAX_LINES)
            seen[nseen++] = (struct seen){ln.offset, ln.len, hash(ln.text, ln.len)};
    }
    if (rc < 0) { /* damaged compressed data, or a decompression bomb: said in one line */
        FUZZ_CHECK(reader_compression(r) != NULL);
        FUZZ_CHECK(d.msg[0] != '\0' && strchr(d.msg, '\n') == NULL);
    }
    FUZZ_CHECK(reader_offset(r) >= 0);
    FUZZ_CHECK(reader_pending(r) >= 0);
    if (partial && rc == 0)
        FUZZ_CHECK(reader_pending(r) == 0);
    reader_close(r);

    /* a later run resumes at a line start: the same lines from there on */
    if (nseen > 0) {
        size_t k = (size_t)(data[-1] >> 2) % nseen;
        r = open_input(data, size, use_pipe, name, sizeof name);
        reader_take_partial(r, partial);
        FUZZ_CHECK(reader_skip_to(r, seen[k].offset, &d) == 0);
        for (size_t i = k; i < nseen; i++) {
            FUZZ_CHECK(reader_next(r, &ln, &d) == 1);
            FUZZ_CHECK(ln.offset == seen[i].offset && ln.len == seen[i].len);
            FUZZ_CHECK(hash(ln.text, ln.len) == seen[i].hash);
        }
        reader_close(r);
    }
    return 0;
}
