/*
 * schedule - which period a scheduled report is due for, on a given day (see schedule.h)
 *
 * DESCRIPTION
 *	Plain calendar arithmetic on days since 1970-01-01 (timeparse.h's days_from_civil):
 *	no time of day, so no daylight-saving hour can move a day boundary.
 */
#include "schedule.h"
#include "timeparse.h"

#include <stdio.h>
#include <time.h>

/* weekday - 0 Sunday .. 6 Saturday (1970-01-01 was a Thursday) */
static int weekday(int64_t days)
{
    return (int)(((days % 7) + 7 + 4) % 7);
}

static void put_date(int64_t days, char out[11])
{
    int y, m, d;

    civil_from_days(days, &y, &m, &d);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u);
}

void schedule_today(int64_t now_s, int *y, int *m, int *d)
{
    time_t t = (time_t)now_s;
    struct tm tm;

    localtime_r(&t, &tm);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

void schedule_due(const struct config_report *r, int y, int m, int d, struct due_period *out)
{
    int64_t today = days_from_civil(y, m, d), send, start, end;

    switch (r->period) {
    case PERIOD_DAILY:
        send = today;
        start = send - 1;
        end = send;
        out->report_period = "yesterday";
        break;
    case PERIOD_WEEKLY: {
        send = today - (weekday(today) - r->weekday + 7) % 7;
        int64_t monday = send - (weekday(send) + 6) % 7; /* of the send day's week */
        start = monday - 7;
        end = monday;
        out->report_period = "last-week";
        break;
    }
    case PERIOD_MONTHLY:
    default: {
        int sy = y, sm = m;
        int day = r->monthday < days_in_month(sy, sm) ? r->monthday : days_in_month(sy, sm);
        if (d < day) { /* this month's send day is still to come: the last one was before */
            if (--sm == 0) {
                sm = 12;
                sy--;
            }
            day = r->monthday < days_in_month(sy, sm) ? r->monthday : days_in_month(sy, sm);
        }
        send = days_from_civil(sy, sm, day);
        end = days_from_civil(sy, sm, 1);
        start = sm == 1 ? days_from_civil(sy - 1, 12, 1) : days_from_civil(sy, sm - 1, 1);
        out->report_period = "last-month";
        break;
    }
    }
    put_date(start, out->start);
    put_date(end, out->end);
    put_date(end - 1, out->last);
    put_date(send, out->as_of);
}
