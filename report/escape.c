/*
 * escape - every byte from a log made safe for the output it goes to (see escape.h)
 *
 * DESCRIPTION
 *	One walk over the string per output: decode a code point (utf8_decode), or take an
 *	invalid byte as U+FFFD, and hand it to the output's rule. The decoder follows the
 *	Unicode 15 table 3-7 of well-formed byte sequences, so an overlong "/" (C0 AF) or an
 *	encoded surrogate never reaches a parser downstream.
 */
#include "escape.h"

#include <stdio.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    uint32_t v;
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* the range of the second byte */

    if (n == 0)
        return 0;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong forms */
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    v = (v << 6) | (s[1] & 0x3f);
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

/* is_control - C0 (but what keep allows), DEL, C1 */
static int is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* is_bidi - the embedding, override and isolate controls that reorder what a reader sees */
static int is_bidi(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
           cp == 0x200f || cp == 0x061c;
}

/* visible - a control as \xNN, a bidi control as \u{NNNN} */
static void visible(struct strbuf *out, uint32_t cp)
{
    if (cp < 0x100)
        strbuf_printf(out, "\\x%02x", (unsigned)cp);
    else
        strbuf_printf(out, "\\u{%04x}", (unsigned)cp);
}

/*
 * walk - call emit for each code point of s, with U+FFFD for each invalid byte; emit gets the
 * code point and its bytes as they were (the replacement's bytes for an invalid byte)
 */
typedef void (*emit_fn)(struct strbuf *out, uint32_t cp, const char *bytes, size_t len, int ctx);

static void walk_n(struct strbuf *out, const char *s, size_t n, emit_fn emit, int ctx)
{
    const unsigned char *p = (const unsigned char *)s;

    while (n > 0) {
        uint32_t cp;
        size_t len = utf8_decode(p, n, &cp);
        if (len == 0) {
            emit(out, 0xfffd, REPLACEMENT, 3, ctx);
            len = 1;
        } else {
            emit(out, cp, (const char *)p, len, ctx);
        }
        p += len;
        n -= len;
    }
}

static void walk(struct strbuf *out, const char *s, emit_fn emit, int ctx)
{
    walk_n(out, s, strlen(s), emit, ctx);
}

static void emit_text(struct strbuf *out, uint32_t cp, const char *b, size_t len, int keep_nl)
{
    if ((cp == '\n' && keep_nl) || cp == '\t')
        strbuf_append(out, b, len);
    else if (is_control(cp) || is_bidi(cp))
        visible(out, cp);
    else
        strbuf_append(out, b, len);
}

void esc_text(struct strbuf *out, const char *s, int keep_newlines)
{
    if (s != NULL)
        walk(out, s, emit_text, keep_newlines);
}

void esc_text_n(struct strbuf *out, const char *s, size_t n, int keep_newlines)
{
    if (s != NULL)
        walk_n(out, s, n, emit_text, keep_newlines);
}

static void emit_html(struct strbuf *out, uint32_t cp, const char *b, size_t len, int keep_nl)
{
    switch (cp) {
    case '&':
        strbuf_puts(out, "&amp;");
        return;
    case '<':
        strbuf_puts(out, "&lt;");
        return;
    case '>':
        strbuf_puts(out, "&gt;");
        return;
    case '"':
        strbuf_puts(out, "&quot;");
        return;
    case '\'':
        strbuf_puts(out, "&#39;");
        return;
    default:
        emit_text(out, cp, b, len, keep_nl);
    }
}

void esc_html(struct strbuf *out, const char *s, int keep_newlines)
{
    if (s != NULL)
        walk(out, s, emit_html, keep_newlines);
}

static void emit_json(struct strbuf *out, uint32_t cp, const char *b, size_t len, int ctx)
{
    (void)ctx;
    switch (cp) {
    case '"':
        strbuf_puts(out, "\\\"");
        return;
    case '\\':
        strbuf_puts(out, "\\\\");
        return;
    case '\n':
        strbuf_puts(out, "\\n");
        return;
    case '\r':
        strbuf_puts(out, "\\r");
        return;
    case '\t':
        strbuf_puts(out, "\\t");
        return;
    default:
        if (is_control(cp) || is_bidi(cp) || cp == 0x2028 || cp == 0x2029)
            strbuf_printf(out, "\\u%04x", (unsigned)cp);
        else
            strbuf_append(out, b, len);
    }
}

void esc_json(struct strbuf *out, const char *s)
{
    if (s == NULL) {
        strbuf_puts(out, "null");
        return;
    }
    strbuf_putc(out, '"');
    walk(out, s, emit_json, 0);
    strbuf_putc(out, '"');
}

static void emit_csv(struct strbuf *out, uint32_t cp, const char *b, size_t len, int ctx)
{
    (void)ctx;
    if (cp == '"')
        strbuf_puts(out, "\"\"");
    else if (cp == '\t' || cp == '\n') /* a quoted cell may hold them (RFC 4180) */
        strbuf_putc(out, (char)cp);
    else if (is_control(cp) || is_bidi(cp))
        visible(out, cp);
    else
        strbuf_append(out, b, len);
}

void esc_csv(struct strbuf *out, const char *s)
{
    strbuf_putc(out, '"');
    if (s != NULL) {
        if (strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0')
            strbuf_putc(out, '\'');
        walk(out, s, emit_csv, 0);
    }
    strbuf_putc(out, '"');
}
