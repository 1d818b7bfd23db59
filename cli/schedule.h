/*
 * schedule - which period a scheduled report is due for, on a given day
 *
 * A report is sent on its send day for the period before it, in local time:
 *
 *	daily     every day, for yesterday
 *	weekly    on its weekday, for the last full Monday-to-Sunday week before that day
 *	monthly   on its day of the month (the month's last day when it has fewer), for the
 *	          calendar month before
 *
 * The period due on a day is that of the latest send day on or before it: a run that missed
 * Monday (the server was down) sends the weekly report on Tuesday, for the same week. Whether
 * it was sent already is the database's to say (store_report_run_get); the same period is
 * never sent twice. A period that ended before the first event in the database (a new
 * installation) is not due: run_reports skips it.
 *
 * The report command makes the report "as of" the send day (--now DAY with --period
 * yesterday, last-week or last-month), so that what it covers is exactly [start, end).
 */
#ifndef REJECTLENS_SCHEDULE_H
#define REJECTLENS_SCHEDULE_H

#include <stdint.h>

#include "config.h"

struct due_period {
    char start[11];            /* YYYY-MM-DD, the first day */
    char end[11];              /* YYYY-MM-DD, the day after the last */
    char last[11];             /* YYYY-MM-DD, the last day */
    char as_of[11];            /* YYYY-MM-DD, the send day the report is made for */
    const char *report_period; /* the report command's --period: yesterday, last-week, ... */
};

/* schedule_due - the period report r is due for on the local date y-m-d */
void schedule_due(const struct config_report *r, int y, int m, int d, struct due_period *out);

/* schedule_today - the local date of a time (seconds since the epoch) */
void schedule_today(int64_t now_s, int *y, int *m, int *d);

#endif
