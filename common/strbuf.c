/*
 * strbuf - a growable, always NUL-terminated byte string (see strbuf.h)
 */
#include "strbuf.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void strbuf_init(struct strbuf *sb)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
}

void strbuf_free(struct strbuf *sb)
{
    free(sb->buf);
    strbuf_init(sb);
}

void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->buf != NULL)
        sb->buf[0] = '\0';
}

void strbuf_reserve(struct strbuf *sb, size_t n)
{
    size_t need;
    size_t cap;

    if (n > SIZE_MAX - sb->len - 1)
        xmalloc(SIZE_MAX); /* reports the overflow and exits */
    need = sb->len + n + 1;
    if (need <= sb->cap)
        return;
    cap = sb->cap ? sb->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    sb->buf = xrealloc(sb->buf, cap);
    sb->cap = cap;
}

void strbuf_append(struct strbuf *sb, const char *s, size_t n)
{
    strbuf_reserve(sb, n);
    if (n)
        memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
    strbuf_append(sb, &c, 1);
}

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0)
        return;
    strbuf_reserve(sb, (size_t)n);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

const char *strbuf_str(const struct strbuf *sb)
{
    return sb->buf ? sb->buf : "";
}

char *strbuf_detach(struct strbuf *sb)
{
    char *p = sb->buf ? sb->buf : xstrdup("");

    strbuf_init(sb);
    return p;
}
