/*
 * scan - bounded searches in byte ranges that are not NUL-terminated (log lines)
 */
#ifndef REJECTLENS_SCAN_H
#define REJECTLENS_SCAN_H

#include <stddef.h>
#include <string.h>

/*
 * scan_is_digit, scan_is_alpha - isdigit and isalpha as the C locale has them (the CLI sets
 * it), without the call to __ctype_b_loc each use of those costs: for the per-line tests
 */
static inline int scan_is_digit(char c)
{
    return (unsigned char)c - (unsigned)'0' <= 9;
}

static inline int scan_is_alpha(char c)
{
    return ((unsigned char)c | 0x20u) - (unsigned)'a' <= 'z' - 'a';
}

/* scan_two_digits - the number the decimal digits p[0], p[1] make; -1 when either is not one */
static inline int scan_two_digits(const char *p)
{
    unsigned a = (unsigned char)p[0] - (unsigned)'0', b = (unsigned char)p[1] - (unsigned)'0';

    return a <= 9 && b <= 9 ? (int)(a * 10 + b) : -1;
}

/* scan_find - first occurrence of lit in p[0..n), or NULL */
static inline const char *scan_find(const char *p, size_t n, const char *lit)
{
    size_t m = strlen(lit);

    if (m == 0)
        return p;
    while (n >= m) {
        const char *c = memchr(p, lit[0], n - m + 1);
        if (c == NULL)
            return NULL;
        if (memcmp(c, lit, m) == 0)
            return c;
        n -= (size_t)(c - p) + 1;
        p = c + 1;
    }
    return NULL;
}

/* scan_rfind - last occurrence of lit in p[0..n), or NULL */
static inline const char *scan_rfind(const char *p, size_t n, const char *lit)
{
    size_t m = strlen(lit);

    if (m == 0 || n < m)
        return NULL;
    for (size_t i = n - m + 1; i-- > 0;)
        if (p[i] == lit[0] && memcmp(p + i, lit, m) == 0)
            return p + i;
    return NULL;
}

/* scan_prefix - 1 when p[0..n) starts with lit */
static inline int scan_prefix(const char *p, size_t n, const char *lit)
{
    size_t m = strlen(lit);

    return n >= m && memcmp(p, lit, m) == 0;
}

/* scan_suffix - 1 when p[0..n) ends with lit */
static inline int scan_suffix(const char *p, size_t n, const char *lit)
{
    size_t m = strlen(lit);

    return n >= m && memcmp(p + n - m, lit, m) == 0;
}

#endif
