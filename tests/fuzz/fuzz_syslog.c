/*
 * fuzz_syslog - the syslog header parser and the log timestamp parsers, one line at a time
 *
 * Checked: every pointer the header parser returns lies inside the line, the civil time it read
 * is in range and converts (or is refused) without overflow; the timestamp parsers consume no
 * more than they were given.
 */
#include "fuzz.h"
#include "syslog.h"
#include "timeparse.h"

#include <stdlib.h>
#include <string.h>

static void check_span(const char *line, size_t len, const char *p, size_t n)
{
    if (p == NULL) {
        FUZZ_CHECK(n == 0);
        return;
    }
    FUZZ_CHECK(p >= line && p <= line + len);
    FUZZ_CHECK(n <= (size_t)(line + len - p));
}

static void check_time(const struct civil_time *ct)
{
    struct year_guess yg = {1767398400}; /* 2026-01-03 */
    struct tz_cache tc;
    int64_t us;
    char buf[64];

    FUZZ_CHECK(ct->month >= 1 && ct->month <= 12);
    FUZZ_CHECK(ct->day >= 1 && ct->day <= 31);
    FUZZ_CHECK(ct->hour >= 0 && ct->hour <= 23);
    FUZZ_CHECK(ct->min >= 0 && ct->min <= 59);
    FUZZ_CHECK(ct->sec >= 0 && ct->sec <= 60);
    FUZZ_CHECK(ct->usec >= 0 && ct->usec < 1000000);
    FUZZ_CHECK(ct->prec >= 0 && ct->prec <= 6);
    tz_cache_init(&tc);
    if (civil_to_utc_us(ct, &yg, &tc, &us) == 0) {
        size_t n = format_iso_utc(us, ct->prec, buf, sizeof buf);
        FUZZ_CHECK(n < sizeof buf && strlen(buf) == n);
    }
}

static void one_line(const char *line, size_t len)
{
    struct syslog_header h;
    struct civil_time ct;
    size_t n;

    if (syslog_parse_header(line, len, &h) == 0) {
        check_span(line, len, h.host, h.host_len);
        check_span(line, len, h.tag, h.tag_len);
        check_span(line, len, h.msg, h.msg_len);
        FUZZ_CHECK(h.tag != NULL && h.msg != NULL);
        FUZZ_CHECK(h.pid >= -1);
        check_time(&h.ct);
    }
    memset(&ct, 0, sizeof ct);
    if ((n = ts_parse_rfc3164(line, len, &ct)) > 0) {
        FUZZ_CHECK(n <= len);
        check_time(&ct);
    }
    for (int space_zone = 0; space_zone < 2; space_zone++) {
        memset(&ct, 0, sizeof ct);
        if ((n = ts_parse_iso(line, len, space_zone, &ct)) > 0) {
            FUZZ_CHECK(n <= len);
            check_time(&ct);
        }
    }
    if (len >= 3) {
        char m[4] = {line[0], line[1], line[2], '\0'};
        int month = parse_month_abbrev(m);
        FUZZ_CHECK(month >= 0 && month <= 12);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size, *line;
    size_t len;

    while (fuzz_next_line(&p, end, &line, &len)) {
        /* exactly the line's bytes: a read past its end is caught */
        char *copy = fuzz_strdup((const uint8_t *)line, len);
        one_line(copy, len);
        free(copy);
    }
    return 0;
}
