/*
 * diag - one error message, carried from where it happens to the edge (see diag.h)
 */
#include "diag.h"

#include <stdio.h>
#include <string.h>

/*
 * one_line - control characters in the message become \xNN: a diag is one line whatever it
 * quotes (a newline in a file name, an escape sequence in a rule id), and safe on a terminal
 */
static void one_line(char *msg)
{
    char out[DIAG_MAX];
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)msg; *p != '\0'; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            if (o + 1 >= sizeof out)
                break;
            out[o++] = (char)*p;
        } else {
            if (o + 4 >= sizeof out)
                break;
            snprintf(out + o, sizeof out - o, "\\x%02x", *p);
            o += 4;
        }
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
