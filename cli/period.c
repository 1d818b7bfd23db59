/*
 * period - the --period of a report, and the period before it (see period.h)
 */
#include "period.h"
#include "timeparse.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* midnight - local midnight of the civil date y-m-d (normalised: day 0, month 13 are fine) */
static int64_t midnight(int y, int m, int d)
{
    struct tm tm;

    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * US_PER_SEC;
}

/* parse_date - "YYYY-MM-DD" exactly; 0 or -1 */
static int parse_date(const char *s, size_t n, int *y, int *m, int *d)
{
    char buf[16];
    int used = 0;

    if (n != 10)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (sscanf(buf, "%4d-%2d-%2d%n", y, m, d, &used) != 3 || used != 10 || buf[4] != '-' ||
        buf[7] != '-')
        return -1;
    if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m) || *y < 1970 || *y > 9999)
        return -1;
    return 0;
}

void period_before(int64_t since, int64_t until, struct period *p)
{
    p->since_us = since;
    p->until_us = until;
    p->prev_until_us = since;
    p->prev_since_us = since - (until - since);
}

int period_parse(const char *arg, int64_t now_us, struct period *p, struct diag *d)
{
    time_t now = (time_t)(now_us / US_PER_SEC);
    struct tm tm;
    const char *dots;
    int y, m, dd, y2, m2, d2;

    if (localtime_r(&now, &tm) == NULL)
        return diag_set(d, "cannot read the local time");
    y = tm.tm_year + 1900;
    m = tm.tm_mon + 1;
    dd = tm.tm_mday;
    if (strcmp(arg, "today") == 0) {
        period_before(midnight(y, m, dd), now_us, p);
        p->prev_since_us = midnight(y, m, dd - 1);
        p->prev_until_us = p->prev_since_us + (now_us - p->since_us);
        return 0;
    }
    if (strcmp(arg, "yesterday") == 0) {
        p->since_us = midnight(y, m, dd - 1);
        p->until_us = midnight(y, m, dd);
        p->prev_since_us = midnight(y, m, dd - 2);
        p->prev_until_us = p->since_us;
        return 0;
    }
    if (strcmp(arg, "last-week") == 0) {
        int monday = dd - (tm.tm_wday + 6) % 7; /* this week's Monday */
        p->since_us = midnight(y, m, monday - 7);
        p->until_us = midnight(y, m, monday);
        p->prev_since_us = midnight(y, m, monday - 14);
        p->prev_until_us = p->since_us;
        return 0;
    }
    if (strcmp(arg, "last-month") == 0) {
        p->since_us = midnight(y, m - 1, 1);
        p->until_us = midnight(y, m, 1);
        p->prev_since_us = midnight(y, m - 2, 1);
        p->prev_until_us = p->since_us;
        return 0;
    }
    dots = strstr(arg, "..");
    if (dots == NULL && parse_date(arg, strlen(arg), &y, &m, &dd) == 0) {
        period_before(midnight(y, m, dd), midnight(y, m, dd + 1), p);
        return 0;
    }
    if (dots != NULL && parse_date(arg, (size_t)(dots - arg), &y, &m, &dd) == 0 &&
        parse_date(dots + 2, strlen(dots + 2), &y2, &m2, &d2) == 0) {
        int64_t since = midnight(y, m, dd), until = midnight(y2, m2, d2 + 1);
        if (until <= since)
            return diag_set(d, "--period: '%s' ends before it starts", arg);
        /* the same number of days before: count days, not microseconds (DST) */
        int64_t days = days_from_civil(y2, m2, d2) - days_from_civil(y, m, dd) + 1;
        p->since_us = since;
        p->until_us = until;
        p->prev_since_us = midnight(y, m, dd - (int)days);
        p->prev_until_us = since;
        return 0;
    }
    return diag_set(d,
                    "--period: give yesterday, today, last-week, last-month, YYYY-MM-DD or "
                    "YYYY-MM-DD..YYYY-MM-DD (not '%s')",
                    arg);
}
