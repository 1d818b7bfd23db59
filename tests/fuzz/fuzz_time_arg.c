/*
 * fuzz_time_arg - a time given on the command line (--since, --until, --year-ref)
 *
 * Command-line arguments are trusted, but they are typed by people and pasted by scripts: no
 * text may crash the parser or overflow its arithmetic. Checked: a time read as a start is not
 * after the same text read as an end (the end of a bare date is the next midnight); a refusal
 * comes with a message; an accepted time formats.
 */
#include "fuzz.h"
#include "timeparse.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const int64_t now_s = 1767398400; /* 2026-01-03T00:00:00Z */
    char *s;
    int64_t start, stop;
    struct diag d;
    char buf[64];
    int a, b;

    if (size > 256)
        return 0; /* an argument, not a file */
    s = fuzz_strdup(data, size);
    d.msg[0] = '\0';
    a = time_arg_parse(s, now_s, 0, &start, &d);
    FUZZ_CHECK(a == 0 || a == -1);
    if (a < 0)
        FUZZ_CHECK(d.msg[0] != '\0' && memchr(d.msg, '\0', sizeof d.msg) != NULL);
    d.msg[0] = '\0';
    b = time_arg_parse(s, now_s, 1, &stop, &d);
    FUZZ_CHECK(a == b);
    if (a == 0) {
        FUZZ_CHECK(start <= stop);
        FUZZ_CHECK(format_iso_utc(start, 6, buf, sizeof buf) < sizeof buf);
        FUZZ_CHECK(format_iso_utc(stop, 0, buf, sizeof buf) < sizeof buf);
    }
    free(s);
    return 0;
}
