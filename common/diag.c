/*
 * diag - one error message, carried from where it happens to the edge (see diag.h)
 */
#include "diag.h"

#include <stdio.h>
#include <string.h>

/* seq_len - the length of the well-formed UTF-8 sequence at p (1..4), 0 when there is none
 * (the Unicode table 3-7, as escape.c decodes: no overlong forms, no surrogates) */
static size_t seq_len(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xbf;
    size_t n;

    if (p[0] < 0x80)
        return 1;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (p[0] == 0xe0)
        lo = 0xa0;
    else if (p[0] == 0xed)
        hi = 0x9f;
    else if (p[0] == 0xf0)
        lo = 0x90;
    else if (p[0] == 0xf4)
        hi = 0x8f;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xbf)
            return 0;
    return n;
}

/*
 * one_line - what a terminal could act on becomes visible, so that a diag is one line whatever
 * it quotes (a newline in a file name, an escape sequence in a rule id, a name a glob found)
 * and safe on a terminal: C0, DEL and C1 controls and bytes that are not UTF-8 as \xNN, the
 * bidirectional controls (U+061C, U+200E-F, U+202A-E, U+2066-9) as \u{NNNN}; as esc_text does
 */
static void one_line(char *msg)
{
    char out[DIAG_MAX];
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)msg; *p != '\0';) {
        size_t n = seq_len(p);
        unsigned cp = n == 2   ? ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu)
                      : n == 3 ? ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu)
                               : 0;
        int bidi = cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
                   (cp >= 0x2066 && cp <= 0x2069);
        if (n == 1 && *p >= 0x20 && *p != 0x7f) {
            if (o + 1 >= sizeof out)
                break;
            out[o++] = (char)*p;
        } else if (n > 1 && !bidi && !(cp >= 0x80 && cp <= 0x9f)) {
            if (o + n >= sizeof out)
                break;
            memcpy(out + o, p, n);
            o += n;
        } else if (bidi) {
            if (o + 8 >= sizeof out)
                break;
            snprintf(out + o, sizeof out - o, "\\u{%04x}", cp);
            o += 8;
        } else {
            if (o + 4 >= sizeof out)
                break;
            snprintf(out + o, sizeof out - o, "\\x%02x", n == 2 ? cp : *p);
            o += 4;
        }
        p += n ? n : 1;
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}

int diag_vset(struct diag *d, const char *fmt, va_list ap)
{
    if (d != NULL) {
        vsnprintf(d->msg, sizeof d->msg, fmt, ap);
        one_line(d->msg);
    }
    return -1;
}

int diag_set(struct diag *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vset(d, fmt, ap);
    va_end(ap);
    return -1;
}

void diag_prefix(struct diag *d, const char *fmt, ...)
{
    char prefix[DIAG_MAX];
    char old[DIAG_MAX];
    va_list ap;

    if (d == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, d->msg, sizeof old);
    /* a message cut at DIAG_MAX is still a message: truncation is fine here */
    size_t n = strlen(prefix);
    if (n > DIAG_MAX - 3)
        n = DIAG_MAX - 3;
    memcpy(d->msg, prefix, n);
    memcpy(d->msg + n, ": ", 2);
    size_t rest = strnlen(old, DIAG_MAX - n - 3);
    memcpy(d->msg + n + 2, old, rest);
    d->msg[n + 2 + rest] = '\0';
    one_line(d->msg);
}

void diag_clear(struct diag *d)
{
    if (d != NULL)
        d->msg[0] = '\0';
}
