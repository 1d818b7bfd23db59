/*
 * aggregate - the database's answers for a period, turned into the one report model
 *
 * report_build asks the store's report questions (store_report.h) for the period, for each
 * bucket of its series and for the period before, and fills a struct report_model: totals,
 * failures by category (550s first), per-category series, top lists, examples and reply texts,
 * the advice of each category filled with that period's data (rules.h, advice.h), the commonest
 * unclassified texts and the parse statistics of the log files behind the period. The writers
 * render that model and never see the database.
 *
 * Time: buckets and day boundaries are local time (the process's TZ), like the logs admins read.
 */
#ifndef REJECTLENS_AGGREGATE_H
#define REJECTLENS_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "model.h"
#include "rules.h"
#include "store.h"
#include "store_report.h"
#include "strbuf.h"

struct report_request {
    struct store_report_filter filter; /* since/until: the period; mta, host, direction, codes */
    int compare;                       /* 1: also the period [prev_since, prev_until) */
    int64_t prev_since_us, prev_until_us;
    const char *period;  /* how the period was asked for ("last-week"); NULL: from the range */
    const char *codes;   /* the code filter as given, for the record; NULL: none */
    size_t top_n;        /* rows per top list (default 10) */
    size_t examples;     /* example events per category (default 3) */
    size_t templates;    /* reply texts per category (default 5) */
    size_t unclassified; /* unclassified texts listed (default 15) */
    size_t samples;      /* unparsed line samples (default 5) */
    int64_t now_us;      /* when the report is made */
};

/* report_request_init - defaults: everything, no comparison, the counts above */
void report_request_init(struct report_request *rq);

/*
 * report_build - fill m (zeroed first) for rq from s; rs gives the categories' titles, who
 * acts and advice (may be NULL: ids only, no advice). Returns 0, or -1 with d set and m
 * empty.
 */
int report_build(struct store *s, struct ruleset *rs, const struct report_request *rq,
                 struct report_model *m, struct diag *d);

/*
 * report_buckets - the series buckets of [since, until) in local time: hours for a day or
 * less, days up to 93 days, weeks (from Monday) up to two years, months up to ten, years
 * beyond. *unit is "hour", "day", "week", "month" or "year"; the array is malloc'ed (free it)
 * and covers [since, until) exactly.
 */
void report_buckets(int64_t since_us, int64_t until_us, struct report_bucket **out, size_t *n,
                    const char **unit);

/* report_format_range - [since, until) for people: "Mon 2026-01-05 to Sun 2026-01-11" when both
 * are local midnights, else with hours and minutes; appended to out */
void report_format_range(int64_t since_us, int64_t until_us, struct strbuf *out);

#endif
