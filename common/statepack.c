/*
 * statepack - the byte format in which parsers save what they remember (see statepack.h)
 */
#include "statepack.h"
#include "xalloc.h"

#include <ctype.h>
#include <string.h>

/* decimal - v in decimal at the end of b[24]; returns where it starts (no printf: a busy
 * server's state holds 100,000 messages and is written at every checkpoint) */
static const char *decimal(char b[24], int64_t v)
{
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    size_t i = 23;

    b[i] = '\0';
    do
        b[--i] = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    if (v < 0)
        b[--i] = '-';
    return b + i;
}

/*
 * statepack_put - the field written in one go: one reservation, the length's digits, the
 * colon and the bytes. A state of 100,000 messages holds a million fields, and appending the
 * three pieces one by one was half of writing it (Exchange's 3 MB, at every checkpoint).
 */
void statepack_put(struct strbuf *out, const char *s, size_t n)
{
    char b[24], *w;
    const char *digits;
    size_t nd;

    if (s == NULL) {
        strbuf_putc(out, '-');
        return;
    }
    digits = decimal(b, (int64_t)n);
    nd = (size_t)(b + 23 - digits);
    if (nd + 1 + n >= out->cap - out->len) /* the NUL too; cap >= len always */
        strbuf_reserve(out, nd + 1 + n);
    w = out->buf + out->len;
    for (size_t i = 0; i < nd; i++)
        w[i] = digits[i];
    w[nd] = ':';
    memcpy(w + nd + 1, s, n);
    out->len += nd + 1 + n;
    out->buf[out->len] = '\0';
}

void statepack_put_str(struct strbuf *out, const char *s)
{
    statepack_put(out, s, s ? strlen(s) : 0);
}

void statepack_put_int(struct strbuf *out, int64_t v)
{
    char b[24];
    const char *digits = decimal(b, v);

    statepack_put(out, digits, (size_t)(b + 23 - digits));
}

int statepack_get(const char **pp, const char *end, const char **s, size_t *n)
{
    const char *p = *pp;
    size_t len = 0;

    if (p >= end)
        return 0;
    if (*p == '-') {
        *s = NULL;
        *n = 0;
        *pp = p + 1;
        return 1;
    }
    while (p < end && isdigit((unsigned char)*p) && len < ((size_t)1 << 30))
        len = len * 10 + (size_t)(*p++ - '0');
    if (p >= end || *p != ':' || (size_t)(end - p - 1) < len || p == *pp)
        return 0;
    *s = p + 1;
    *n = len;
    *pp = p + 1 + len;
    return 1;
}

int statepack_get_dup(const char **pp, const char *end, char **s, size_t *n)
{
    const char *f;

    if (!statepack_get(pp, end, &f, n))
        return 0;
    *s = NULL;
    if (f != NULL) { /* the bytes may hold NULs: copy them all */
        *s = xmalloc(*n + 1);
        memcpy(*s, f, *n);
        (*s)[*n] = '\0';
    }
    return 1;
}

int statepack_get_str(const char **pp, const char *end, char **s)
{
    size_t n;

    return statepack_get_dup(pp, end, s, &n);
}

int statepack_get_int(const char **pp, const char *end, int64_t *v)
{
    const char *f;
    size_t n, i = 0;
    int neg = 0;
    uint64_t u = 0;

    if (!statepack_get(pp, end, &f, &n) || f == NULL || n == 0 || n > 20)
        return 0;
    if (f[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == n)
        return 0;
    for (; i < n; i++) {
        if (!isdigit((unsigned char)f[i]))
            return 0;
        if (u > ((uint64_t)INT64_MAX - (uint64_t)(f[i] - '0')) / 10)
            return 0;
        u = u * 10 + (uint64_t)(f[i] - '0');
    }
    *v = neg ? -(int64_t)u : (int64_t)u;
    return 1;
}
