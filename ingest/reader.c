/*
 * reader - a log file as a stream of lines with byte offsets (see reader.h)
 *
 * The buffer holds BUF_SIZE bytes; a line that does not fit is either a long line (cut at
 * READER_MAX_LINE) or the tail of the block, moved to the front before the next read.
 */
#include "reader.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE (2 * 1024 * 1024)

struct reader {
    char *path;
    int fd;
    int owns_fd;
    char *buf;
    size_t start;     /* first byte not yet delivered */
    size_t end;       /* bytes in buf */
    int64_t buf_off;  /* stream offset of buf[0] */
    int eof;
    int take_partial;
    int skipping;     /* inside the rest of an over-long line */
    int64_t pending;
};

int reader_open(const char *path, struct reader **out, struct diag *d)
{
    struct reader *r;
    int fd;

    if (strcmp(path, "-") == 0) {
        fd = STDIN_FILENO;
    } else if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
        return diag_set(d, "%s: %s", path, strerror(errno));
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
    while (r->end < BUF_SIZE) {
        n = read(r->fd, r->buf + r->end, BUF_SIZE - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return diag_set(d, "%s: read error at byte %lld: %s", r->path,
                            (long long)(r->buf_off + (int64_t)r->end), strerror(errno));
        if (n == 0) {
            r->eof = 1;
            break;
        }
        r->end += (size_t)n;
        break; /* one read per fill keeps pipes responsive */
    }
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

    if (offset <= r->buf_off + (int64_t)r->start)
        return offset == r->buf_off + (int64_t)r->start
                   ? 0
                   : diag_set(d, "%s: cannot go back to byte %lld", r->path, (long long)offset);
    pos = lseek(r->fd, (off_t)offset, SEEK_SET);
    if (pos == (off_t)offset) {
        r->start = r->end = 0;
        r->buf_off = offset;
        r->eof = 0;
        return 0;
    }
    /* not seekable (a pipe): read and drop */
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

void reader_close(struct reader *r)
{
    if (r == NULL)
        return;
    if (r->owns_fd)
        close(r->fd);
    free(r->buf);
    free(r->path);
    free(r);
}
