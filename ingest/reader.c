/*
 * reader - a log file as a stream of lines with byte offsets (see reader.h)
 *
 * The buffer holds BUF_SIZE bytes; a line that does not fit is either a long line (cut at
 * READER_MAX_LINE) or the tail of the block, moved to the front before the next read.
 *
 * Below the line splitter sit three layers:
 *  - stream_read() gives the bytes of the stream: the file's own, or, when its first bytes
 *    are the magic of gzip, bzip2, xz or zstd, the decompressed ones (decompress.c);
 *  - src_read() gives the same bytes, the head first: the first bytes of the stream, read
 *    ahead by reader_peek() for the file's fingerprint and by detect() for the encoding;
 *  - pull() gives the bytes the lines are cut from: the same, or UTF-16LE transcoded to UTF-8.
 */
#include "reader.h"
#include "decompress.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUF_SIZE  (2 * 1024 * 1024)
#define READ_SIZE (256 * 1024) /* bytes asked for at a time (see fill) */
#define HEAD_SIZE 256          /* bytes looked at to detect the encoding */
#define RAW_SIZE  (64 * 1024)  /* UTF-16 input block */

enum reader_encoding {
    ENC_UNKNOWN, /* nothing read yet */
    ENC_PLAIN,   /* bytes as they are (UTF-8, ASCII, anything else) */
    ENC_UTF16LE  /* transcoded to UTF-8 */
};

struct reader {
    char *path;
    int fd;
    int owns_fd;
    char *buf;
    size_t start;    /* first byte not yet delivered */
    size_t end;      /* bytes in buf */
    int64_t buf_off; /* stream offset of buf[0] */
    int eof;
    int take_partial;
    int skipping; /* inside the rest of an over-long line */
    int64_t pending;
    /* the stream: the file's bytes, or decompressed */
    int sniffed;           /* compression decided */
    int ahead;             /* decompress in a thread of its own (reader_decompress_ahead) */
    struct decompress *dz; /* NULL: the file as it is */
    enum decompress_kind dz_kind;
    unsigned char magic[DECOMPRESS_MAGIC_MAX]; /* plain: bytes read to sniff, served first */
    size_t magic_start, magic_len;
    int64_t file_pos; /* bytes of the file read (or skipped) so far */
    /* the head of the stream, served first by src_read() */
    enum reader_encoding enc;
    unsigned char head[READER_PEEK_MAX];
    size_t head_start, head_len;
    int head_eof;       /* the stream ended within the head */
    int head_closed;    /* bytes after the head were read: it cannot grow any more */
    unsigned char *raw; /* UTF-16LE: bytes read, not yet transcoded */
    size_t raw_start, raw_end;
    int raw_eof;
};

int reader_open(const char *path, struct reader **out, struct diag *d)
{
    struct reader *r;
    int fd;

    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
    } else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
        return diag_set(d, "%s: %s", path, strerror(errno));
    } else {
        /* O_NONBLOCK only for the open: a FIFO nobody writes to would block it forever (now
         * it reads as empty); the reads block as usual */
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
            diag_set(d, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
    }
    r = xcalloc(1, sizeof *r);
    r->path = xstrdup(path);
    r->fd = fd;
    r->owns_fd = fd != STDIN_FILENO;
    r->buf = xmalloc(BUF_SIZE);
    r->take_partial = fd == STDIN_FILENO;
    *out = r;
    return 0;
}

void reader_take_partial(struct reader *r, int take)
{
    r->take_partial = take;
}

void reader_decompress_ahead(struct reader *r, int on)
{
    r->ahead = on;
}

/* fd_read - read(2), retried when a signal interrupts it */
static ssize_t fd_read(int fd, unsigned char *dst, size_t cap)
{
    ssize_t n;

    do
        n = read(fd, dst, cap);
    while (n < 0 && errno == EINTR);
    return n;
}

/*
 * sniff - read the first bytes of the file and choose between the file as it is and a
 * decompressor. Stops as soon as the bytes cannot begin a magic, so that a pipe's first line
 * is not held back. 0, or -1 with d set.
 */
static int sniff(struct reader *r, struct diag *d)
{
    int kind = -1;

    r->sniffed = 1;
    while (kind < 0 && r->magic_len < DECOMPRESS_MAGIC_MAX) {
        ssize_t n = fd_read(r->fd, r->magic + r->magic_len, DECOMPRESS_MAGIC_MAX - r->magic_len);
        if (n < 0)
            return diag_set(d, "%s: read error at byte %lld: %s", r->path, (long long)r->magic_len,
                            strerror(errno));
        if (n == 0)
            break;
        r->magic_len += (size_t)n;
        r->file_pos += n;
        kind = decompress_sniff(r->magic, r->magic_len);
    }
    if (kind <= DECOMPRESS_NONE)
        return 0;
    r->dz = decompress_new((enum decompress_kind)kind, r->fd, r->magic, r->magic_len, d);
    if (r->dz == NULL) {
        diag_prefix(d, "%s", r->path);
        return -1;
    }
    r->dz_kind = (enum decompress_kind)kind;
    r->magic_start = r->magic_len; /* the decompressor has them */
    if (r->ahead) {
        /* a regular file only: a pipe's read may wait forever, and so would the thread's end */
        struct stat st;
        if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode))
            (void)decompress_run_ahead(r->dz); /* without a thread, decoded here */
    }
    return 0;
}

/* stream_read - up to cap bytes of the (decompressed) stream: > 0, 0 at its end, -1 (d set) */
static ssize_t stream_read(struct reader *r, unsigned char *dst, size_t cap, struct diag *d)
{
    ssize_t n;

    if (!r->sniffed && sniff(r, d) < 0)
        return -1;
    if (r->dz != NULL) {
        int64_t out = decompress_out_bytes(r->dz), in = decompress_in_bytes(r->dz);
        if (out > READER_BOMB_FLOOR && out / READER_BOMB_RATIO > in)
            return diag_set(d,
                            "%s: more than %d times as much text as compressed data (%lld MB "
                            "from %lld kB): a decompression bomb? Read no further (the lines "
                            "before are kept)",
                            r->path, READER_BOMB_RATIO, (long long)(out >> 20),
                            (long long)(in >> 10));
        if ((n = decompress_read(r->dz, dst, cap, d)) < 0) {
            char why[DIAG_MAX];
            memcpy(why, d->msg, sizeof why);
            why[sizeof why - 1] = '\0';
            diag_set(d, "%s: %.900s (after %lld bytes of text; the lines before are kept)", r->path,
                     why, (long long)decompress_out_bytes(r->dz));
        }
        return n;
    }
    if (r->magic_start < r->magic_len) {
        size_t k = r->magic_len - r->magic_start;
        if (k > cap)
            k = cap;
        memcpy(dst, r->magic + r->magic_start, k);
        r->magic_start += k;
        return (ssize_t)k;
    }
    if ((n = fd_read(r->fd, dst, cap)) < 0)
        return diag_set(d, "%s: read error at byte %lld: %s", r->path, (long long)r->file_pos,
                        strerror(errno));
    r->file_pos += n;
    return n;
}

/* src_read - up to cap bytes of the stream: the head first, then stream_read() */
static ssize_t src_read(struct reader *r, unsigned char *dst, size_t cap, struct diag *d)
{
    if (r->head_start < r->head_len) {
        size_t k = r->head_len - r->head_start;
        if (k > cap)
            k = cap;
        memcpy(dst, r->head + r->head_start, k);
        r->head_start += k;
        return (ssize_t)k;
    }
    if (r->head_eof)
        return 0;
    r->head_closed = 1; /* bytes after the head go elsewhere now: it cannot grow */
    return stream_read(r, dst, cap, d);
}

/* head_more - read up to `want` bytes of the stream into the head; 1 read some, 0 the stream
 * ended, -1 error (d set) */
static int head_more(struct reader *r, size_t want, struct diag *d)
{
    ssize_t n;

    if (want > READER_PEEK_MAX)
        want = READER_PEEK_MAX;
    if (r->head_eof || r->head_len >= want)
        return 0;
    n = stream_read(r, r->head + r->head_len, want - r->head_len, d);
    if (n < 0)
        return -1;
    if (n == 0) {
        r->head_eof = 1;
        return 0;
    }
    r->head_len += (size_t)n;
    return 1;
}

int reader_peek(struct reader *r, size_t want, const unsigned char **p, size_t *n, struct diag *d)
{
    int rc = 1;

    while (!r->head_closed && rc > 0)
        rc = head_more(r, want, d);
    if (rc < 0)
        return -1;
    *p = r->head;
    *n = r->head_len < want ? r->head_len : want;
    return 0;
}

/*
 * looks_utf16le - 1 when the bytes look like UTF-16LE text without a BOM: (nearly) every
 * second byte NUL, and the others not. ASCII and UTF-8 never have that pattern; UTF-16 of
 * mostly Latin text always does.
 */
static int looks_utf16le(const unsigned char *p, size_t n)
{
    size_t pairs = n / 2, odd_nul = 0, even_nul = 0;

    if (pairs < 4)
        return 0;
    for (size_t i = 0; i < pairs; i++) {
        even_nul += p[2 * i] == 0;
        odd_nul += p[2 * i + 1] == 0;
    }
    return odd_nul * 10 >= pairs * 9 && even_nul * 10 <= pairs;
}

/*
 * detect - read the first bytes and choose the encoding: a UTF-16LE BOM (FF FE) or the
 * NUL-every-other-byte pattern means UTF-16LE; anything else is taken as it is. A UTF-8 BOM
 * (EF BB BF) is skipped and its bytes still counted, so offsets stay file offsets. Reading
 * stops early at the end of a first line that cannot be UTF-16, so that a pipe's first lines
 * are not held back. Returns 0, or -1 on a read error (message in d).
 */
static int detect(struct reader *r, struct diag *d)
{
    int rc;

    while (r->head_len < HEAD_SIZE) {
        if ((rc = head_more(r, HEAD_SIZE, d)) < 0)
            return -1;
        if (rc == 0)
            break;
        if (r->head_len >= 2 && r->head[0] == 0xFF && r->head[1] == 0xFE)
            break;
        const unsigned char *nl = memchr(r->head, '\n', r->head_len);
        if (nl != NULL && nl + 1 < r->head + r->head_len && nl[1] != 0)
            break; /* "\n" followed by a non-NUL byte: not UTF-16LE */
    }
    r->enc = ENC_PLAIN;
    if (r->head_len >= 2 && r->head[0] == 0xFF && r->head[1] == 0xFE) {
        r->enc = ENC_UTF16LE;
        r->head_start = 2; /* the BOM is not part of the decoded stream */
    } else if (looks_utf16le(r->head, r->head_len)) {
        r->enc = ENC_UTF16LE;
    } else if (r->head_len >= 3 && memcmp(r->head, "\xEF\xBB\xBF", 3) == 0) {
        r->head_start = 3;
        r->buf_off = 3;
    }
    if (r->enc == ENC_UTF16LE)
        r->raw = xmalloc(RAW_SIZE);
    return 0;
}

/* put_utf8 - encode code point c at o (room for 4 bytes); returns the bytes written */
static size_t put_utf8(unsigned char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (unsigned char)(0xC0 | (c >> 6));
        o[1] = (unsigned char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (c >> 12));
        o[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (c >> 18));
    o[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (c & 0x3F));
    return 4;
}

/*
 * utf16_pull - transcode UTF-16LE to UTF-8 into dst (cap >= 4); returns the bytes written, 0 at
 * the end, -1 on a read error (d set). An unpaired surrogate becomes U+FFFD; an odd last byte or a
 * high surrogate at the very end (a writer caught mid-character) is dropped.
 */
static ssize_t utf16_pull(struct reader *r, unsigned char *dst, size_t cap, struct diag *d)
{
    size_t o = 0;

    for (;;) {
        while (o + 4 <= cap && r->raw_end - r->raw_start >= 2) {
            const unsigned char *p = r->raw + r->raw_start;
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8;
            size_t used = 2;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (r->raw_end - r->raw_start < 4 && !r->raw_eof)
                    break; /* the low half is in the next block */
                uint32_t lo =
                    r->raw_end - r->raw_start >= 4 ? (uint32_t)p[2] | (uint32_t)p[3] << 8 : 0;
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    used = 4;
                } else {
                    u = 0xFFFD;
                }
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                u = 0xFFFD;
            }
            o += put_utf8(dst + o, u);
            r->raw_start += used;
        }
        if (o > 0 || r->raw_eof)
            return (ssize_t)o;
        /* nothing decoded: keep the undecoded tail and read more */
        memmove(r->raw, r->raw + r->raw_start, r->raw_end - r->raw_start);
        r->raw_end -= r->raw_start;
        r->raw_start = 0;
        ssize_t n = src_read(r, r->raw + r->raw_end, RAW_SIZE - r->raw_end, d);
        if (n < 0)
            return -1;
        if (n == 0)
            r->raw_eof = 1;
        r->raw_end += (size_t)n;
    }
}

/* pull - up to cap bytes of the stream the lines are cut from; 0 at the end, -1 (d set) */
static ssize_t pull(struct reader *r, char *dst, size_t cap, struct diag *d)
{
    if (r->enc == ENC_UNKNOWN && detect(r, d) < 0)
        return -1;
    if (r->enc == ENC_UTF16LE)
        return utf16_pull(r, (unsigned char *)dst, cap, d);
    return src_read(r, (unsigned char *)dst, cap, d);
}

/* fill - move the undelivered tail to the front and read more; 0 ok (maybe eof), -1 error */
static int fill(struct reader *r, struct diag *d)
{
    ssize_t n;

    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->buf_off += (int64_t)r->start;
        r->end -= r->start;
        r->start = 0;
    }
    /*
     * The splitter never lets the tail grow past READER_MAX_LINE, so there is always room. A
     * read of READ_SIZE at most leaves its bytes in the core's cache until they are parsed: 2
     * MiB at once had pushed the first of them out by then (a dry run took 4 % longer).
     */
    size_t room = BUF_SIZE - r->end;
    n = pull(r, r->buf + r->end, room < READ_SIZE ? room : READ_SIZE, d);
    if (n < 0)
        return -1;
    if (n == 0)
        r->eof = 1;
    r->end += (size_t)n; /* one read per fill keeps pipes responsive */
    return 0;
}

int reader_next(struct reader *r, struct log_line *ln, struct diag *d)
{
    for (;;) {
        char *base = r->buf + r->start;
        size_t avail = r->end - r->start;
        char *nl = avail ? memchr(base, '\n', avail) : NULL;

        if (r->skipping) { /* discard the rest of an over-long line */
            if (nl == NULL) {
                r->start = r->end;
                if (r->eof)
                    return 0;
                if (fill(r, d) < 0)
                    return -1;
                continue;
            }
            r->start += (size_t)(nl - base) + 1;
            r->skipping = 0;
            continue;
        }
        if (nl != NULL) {
            size_t len = (size_t)(nl - base);
            memset(ln, 0, sizeof *ln);
            ln->offset = r->buf_off + (int64_t)r->start;
            if (len > READER_MAX_LINE) {
                len = READER_MAX_LINE;
                ln->truncated = 1;
            }
            if (len > 0 && base[len - 1] == '\r' && !ln->truncated)
                len--;
            ln->text = base;
            ln->len = len;
            r->start += (size_t)(nl - base) + 1;
            return 1;
        }
        if (avail >= READER_MAX_LINE) { /* no newline within the limit: cut here */
            memset(ln, 0, sizeof *ln);
            ln->offset = r->buf_off + (int64_t)r->start;
            ln->text = base;
            ln->len = READER_MAX_LINE;
            ln->truncated = 1;
            r->start = r->end;
            r->skipping = 1;
            return 1;
        }
        if (r->eof) {
            if (avail == 0)
                return 0;
            if (!r->take_partial) {
                r->pending = (int64_t)avail;
                return 0;
            }
            memset(ln, 0, sizeof *ln);
            ln->offset = r->buf_off + (int64_t)r->start;
            ln->text = base;
            ln->len = avail;
            ln->unterminated = 1;
            r->start = r->end;
            return 1;
        }
        if (fill(r, d) < 0)
            return -1;
    }
}

int reader_skip_to(struct reader *r, int64_t offset, struct diag *d)
{
    off_t pos;

    if (r->enc == ENC_UNKNOWN && detect(r, d) < 0)
        return -1;
    if (offset <= r->buf_off + (int64_t)r->start)
        return offset == r->buf_off + (int64_t)r->start
                   ? 0
                   : diag_set(d, "%s: cannot go back to byte %lld", r->path, (long long)offset);
    /* a transcoded or decompressed stream has no file position for its offsets: it is read
     * and dropped */
    if (!r->sniffed && sniff(r, d) < 0)
        return -1;
    pos = r->enc == ENC_PLAIN && r->dz == NULL ? lseek(r->fd, (off_t)offset, SEEK_SET) : (off_t)-1;
    if (pos == (off_t)offset) {
        r->start = r->end = 0;
        r->buf_off = offset;
        r->eof = 0;
        r->head_start = r->head_len; /* the head lies before the new position */
        r->head_eof = 0;
        r->head_closed = 1;
        r->magic_start = r->magic_len;
        r->file_pos = offset;
        return 0;
    }
    /* not seekable (a pipe) or transcoded: read and drop */
    while (r->buf_off + (int64_t)r->end < offset) {
        r->start = r->end;
        if (r->eof)
            return diag_set(d, "%s: ends before byte %lld", r->path, (long long)offset);
        if (fill(r, d) < 0)
            return -1;
    }
    r->start = (size_t)(offset - r->buf_off);
    return 0;
}

int64_t reader_offset(const struct reader *r)
{
    return r->buf_off + (int64_t)r->start;
}

int64_t reader_pending(const struct reader *r)
{
    return r->pending;
}

const char *reader_name(const struct reader *r)
{
    return r->path;
}

int reader_fd(const struct reader *r)
{
    return r->fd;
}

const char *reader_decoding(const struct reader *r)
{
    return r->enc == ENC_UTF16LE ? "utf-16le" : NULL;
}

const char *reader_compression(const struct reader *r)
{
    return decompress_name(r->dz_kind);
}

int64_t reader_file_pos(const struct reader *r)
{
    return r->dz != NULL ? decompress_in_bytes(r->dz) : r->file_pos;
}

void reader_close(struct reader *r)
{
    if (r == NULL)
        return;
    if (r->owns_fd)
        close(r->fd);
    decompress_free(r->dz);
    free(r->buf);
    free(r->raw);
    free(r->path);
    free(r);
}
