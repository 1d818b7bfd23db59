/*
 * arena - scratch space for the strings of one parsed line (see arena.h)
 */
#include "arena.h"
#include "xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void arena_begin(struct arena *a, size_t need)
{
    if (need > a->cap) {
        free(a->buf);
        a->cap = need < 4096 ? 4096 : need;
        a->buf = xmalloc(a->cap);
    }
    a->used = 0;
}

char *arena_alloc(struct arena *a, size_t n)
{
    char *p;

    if (n >= a->cap - a->used) {
        fprintf(stderr, "rejectlens: bug: arena overflow (%zu of %zu)\n", n, a->cap - a->used);
        abort();
    }
    p = a->buf + a->used;
    p[0] = '\0';
    a->used += n + 1;
    return p;
}

char *arena_copy(struct arena *a, const char *p, size_t n)
{
    char *q = arena_alloc(a, n);

    if (n)
        memcpy(q, p, n);
    q[n] = '\0';
    return q;
}

void arena_free(struct arena *a)
{
    free(a->buf);
    a->buf = NULL;
    a->cap = a->used = 0;
}
