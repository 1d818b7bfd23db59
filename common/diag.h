/*
 * diag - one error message, carried from where it happens to the edge
 *
 * A function that can fail takes a `struct diag *` and, on failure, fills it with one line that
 * names the file (and line, where there is one) and returns an error value. Only the command-line
 * edge prints it. This keeps library code free of printing and of global error state. The line
 * holds no control characters: any the message quotes (a newline in a file name, an escape
 * sequence in a value from a file) are written as \xNN.
 *
 * Ownership: a diag is a plain value; nothing inside needs freeing.
 */
#ifndef REJECTLENS_DIAG_H
#define REJECTLENS_DIAG_H

#include <stdarg.h>

#define DIAG_MAX 1024

struct diag {
    char msg[DIAG_MAX];
};

/* diag_set - record a formatted message, replacing any earlier one; a NULL diag is ignored.
 * Returns -1 so that callers can write `return diag_set(d, ...)`. */
int diag_set(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* diag_vset - va_list twin of diag_set */
int diag_vset(struct diag *d, const char *fmt, va_list ap);

/* diag_prefix - put "prefix: " in front of the message already recorded */
void diag_prefix(struct diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* diag_clear - forget the message */
void diag_clear(struct diag *d);

#endif
