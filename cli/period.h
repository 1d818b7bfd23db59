/*
 * period - the --period of a report, and the period before it, in local time
 *
 *	yesterday                 the local day before today
 *	today                     today from midnight to now
 *	last-week                 the last full week, Monday 00:00 to Monday 00:00
 *	last-month                the last full calendar month
 *	YYYY-MM-DD                that day
 *	YYYY-MM-DD..YYYY-MM-DD    from the first day's midnight to the end of the last day
 *
 * The previous period is the one just before, of the same length; for last-month the calendar
 * month before. Day and month boundaries come from mktime, so a week across a daylight-saving
 * change is 167 or 169 hours, as the clock on the wall says.
 */
#ifndef REJECTLENS_PERIOD_H
#define REJECTLENS_PERIOD_H

#include <stdint.h>

#include "diag.h"

struct period {
    int64_t since_us, until_us;           /* [since, until) */
    int64_t prev_since_us, prev_until_us; /* the period before */
};

/* period_parse - arg at the time now (UTC microseconds); 0, or -1 with d set */
int period_parse(const char *arg, int64_t now_us, struct period *p, struct diag *d);

/* period_before - [since, until) and the same length just before it */
void period_before(int64_t since_us, int64_t until_us, struct period *p);

#endif
