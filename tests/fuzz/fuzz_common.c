/*
 * fuzz_common - helpers of the fuzz targets (see fuzz.h)
 */
#include "fuzz.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the same setting for every target and every run: a zone with daylight saving time (no tzdata
 * needed), so that zone-less log times cross the gaps and folds of a real local time */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
    tzset();
    setlocale(LC_ALL, "C");
    return 0;
}

void fuzz_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, file, line);
    fflush(stderr);
    abort();
}

char *fuzz_strdup(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);

    if (s == NULL)
        abort();
    if (n > 0)
        memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

int fuzz_next_line(const char **pp, const char *end, const char **line, size_t *len)
{
    const char *p = *pp, *nl;

    if (p >= end)
        return 0;
    nl = memchr(p, '\n', (size_t)(end - p));
    *line = p;
    *len = (size_t)((nl ? nl : end) - p);
    *pp = nl ? nl + 1 : end;
    return 1;
}

size_t fuzz_touch(const char *s)
{
    volatile unsigned char sink = 0;
    size_t n = 0;

    if (s == NULL)
        return 0;
    for (; s[n] != '\0'; n++)
        sink ^= (unsigned char)s[n];
    (void)sink;
    return n;
}

int fuzz_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            k = 1, cp = c & 0x1F;
        else if (c >= 0xE0 && c <= 0xEF)
            k = 2, cp = c & 0x0F;
        else if (c >= 0xF0 && c <= 0xF4)
            k = 3, cp = c & 0x07;
        else
            return 0;
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += k + 1;
    }
    return 1;
}
