/*
 * xalloc - allocation that succeeds or never returns
 *
 * Out of memory is an unusable environment, not a condition each caller can repair: these
 * wrappers print one line and exit with status 2. Sizes are checked for overflow.
 * Everything returned is freed with free(); free(NULL) is a no-op as always.
 */
#ifndef REJECTLENS_XALLOC_H
#define REJECTLENS_XALLOC_H

#include <stddef.h>
#include <stdlib.h> /* free() goes with every x*alloc */

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
/* xreallocarray - realloc for count*size bytes, failing cleanly on overflow */
void *xreallocarray(void *p, size_t count, size_t size);
char *xstrdup(const char *s);
/* xstrndup - copy at most n bytes of s and NUL-terminate */
char *xstrndup(const char *s, size_t n);
/* xmemdup - copy exactly n bytes of p (NUL bytes too) and put a NUL after them */
char *xmemdup(const void *p, size_t n);

#define XALLOC_CACHE_LINE 64
/*
 * xcalloc_lines - n zeroed bytes on cache lines of their own: for what one thread writes
 * often, which no object of another thread may share a line with
 */
void *xcalloc_lines(size_t n);

#endif
