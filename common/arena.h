/*
 * arena - scratch space for the NUL-terminated strings of one parsed line
 *
 * A parser sizes the arena for a line once (arena_begin), then copies fields into it; the
 * copies stay valid until the next arena_begin. Copies never move, so pointers may be kept
 * for the life of the line. Asking for more than arena_begin promised is a bug and aborts.
 */
#ifndef REJECTLENS_ARENA_H
#define REJECTLENS_ARENA_H

#include <stddef.h>

struct arena {
    char *buf;
    size_t cap;
    size_t used;
};

#define ARENA_INIT                                                                                 \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* arena_begin - forget earlier copies and make room for `need` bytes of copies */
void arena_begin(struct arena *a, size_t need);
/* arena_copy - a NUL-terminated copy of p[0..n) */
char *arena_copy(struct arena *a, const char *p, size_t n);
/* arena_alloc - n+1 bytes of room, NUL at [0], for a string built in place */
char *arena_alloc(struct arena *a, size_t n);
void arena_free(struct arena *a);

#endif
