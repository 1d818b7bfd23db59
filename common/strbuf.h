/*
 * strbuf - a growable, always NUL-terminated byte string
 *
 * A strbuf owns its bytes; strbuf_free() releases them and leaves an empty buffer that may be
 * used again. Growth checks for overflow and never fails (see xalloc.h). Pointers returned by
 * strbuf_str() become invalid at the next append.
 */
#ifndef REJECTLENS_STRBUF_H
#define REJECTLENS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *buf;
    size_t len;
    size_t cap;
};

#define STRBUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* strbuf_reset - make the string empty, keeping the memory */
void strbuf_reset(struct strbuf *sb);
/* strbuf_reserve - make room for n more bytes (plus the NUL) */
void strbuf_reserve(struct strbuf *sb, size_t n);
void strbuf_append(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/* strbuf_str - the contents, NUL-terminated; "" for a buffer never written */
const char *strbuf_str(const struct strbuf *sb);
/* strbuf_detach - hand the bytes to the caller (free() them), leaving the buffer empty */
char *strbuf_detach(struct strbuf *sb);

#endif
