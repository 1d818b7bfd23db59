/*
 * xalloc - allocation that succeeds or never returns (see xalloc.h)
 */
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t n)
{
    fprintf(stderr, "rejectlens: out of memory (asked for %zu bytes)\n", n);
    exit(2);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (p == NULL)
        out_of_memory(n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);

    if (p == NULL)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL)
        out_of_memory(n);
    return q;
}

void *xreallocarray(void *p, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        out_of_memory(SIZE_MAX);
    return xrealloc(p, count * size);
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xmemdup(const void *p, size_t n)
{
    char *q;

    if (n == SIZE_MAX)
        out_of_memory(SIZE_MAX);
    q = xmalloc(n + 1);
    if (n > 0)
        memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

void *xcalloc_lines(size_t n)
{
    size_t size;
    void *p;

    if (n > SIZE_MAX - XALLOC_CACHE_LINE)
        out_of_memory(n);
    size = (n + XALLOC_CACHE_LINE - 1) / XALLOC_CACHE_LINE * XALLOC_CACHE_LINE;
    if ((p = aligned_alloc(XALLOC_CACHE_LINE, size ? size : XALLOC_CACHE_LINE)) == NULL)
        out_of_memory(n);
    return memset(p, 0, size ? size : XALLOC_CACHE_LINE);
}
