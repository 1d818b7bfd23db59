/*
 * store_rollup - what the report and top count, rolled up per UTC hour (schema version 5)
 *
 * A UTC day is rolled up at once, the first time a reader needs it (store_rollup_build), and
 * stays current until an ingest adds an event to it (seen by its id, greater than any the
 * roll-up counted) or a prune reaches it (store_rollup_forget). Readers cut their period into
 * segments (store_rollup_segments): the whole hours of current days are read from the roll-ups,
 * everything else (a period's edges off the hour, days not rolled up, a store that cannot be
 * written) from the events, and the two are added up. So an answer never depends on what is rolled
 * up; only its cost does.
 *
 * store_rollup_build is for the report and top; the rest is for the store's own readers
 * (store_report.c, store_top.c).
 */
#ifndef REJECTLENS_STORE_ROLLUP_H
#define REJECTLENS_STORE_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "store.h"
#include "store_report.h"

/*
 * store_rollup_build - roll up every UTC day that [since_us, until_us) touches, that holds
 * events and whose roll-up is not current; each day in a transaction of its own (the stale
 * days' roll-ups are deleted first). On a store opened read-only it only finds the stale days,
 * which this connection then reads from the events. 0, or -1 with d set (the days done before
 * stay done).
 */
int store_rollup_build(struct store *s, int64_t since_us, int64_t until_us, struct diag *d);

/*
 * store_rollup_forget - before a prune: the roll-ups of every day with a time before before_us
 * gone, and what stays marked as of the newest event. 0, or -1 with d set.
 */
int store_rollup_forget(struct store *s, int64_t before_us, struct diag *d);

/* ------------------------------------------------------------------ for the store's readers */

#define ROLLUP_HOUR_US INT64_C(3600000000)

/*
 * The value of each dimension of a failure, over events e; the roll-up and the report's own
 * SQL use these very expressions, so both count the same values. A domain is what follows the
 * last '@' (rtrim keeps the text up to the last '@', replace drops it), in lower case; NULL
 * without an '@'.
 */
#define ROLLUP_DOMAIN_OF(col)                                                                      \
    "(CASE WHEN instr(" col ", '@') > 0 THEN lower(replace(" col ", rtrim(" col ", replace(" col   \
    ", '@', '')), '')) END)"
/* PostgreSQL has no instr(); strpos() is the same function */
#define ROLLUP_DOMAIN_OF_PG(col)                                                                   \
    "(CASE WHEN strpos(" col ", '@') > 0 THEN lower(replace(" col ", rtrim(" col ", replace(" col  \
    ", '@', '')), '')) END)"
#define ROLLUP_RECIPIENT        "lower(e.recipient)"
#define ROLLUP_RECIPIENT_DOMAIN ROLLUP_DOMAIN_OF("e.recipient")
#define ROLLUP_SENDER           "lower(e.sender)"
#define ROLLUP_SENDER_DOMAIN    ROLLUP_DOMAIN_OF("e.sender")
#define ROLLUP_CLIENT           "e.client_ip"
#define ROLLUP_HELO             "e.helo"
#define ROLLUP_RELAY            "e.relay"

/* a piece of a period: [from_us, to_us), read from the roll-ups (whole hours) or the events */
struct rollup_segment {
    int64_t from_us, to_us;
    int rolled;
};

/*
 * store_rollup_segments - [since_us, until_us) cut into pieces in time order (*n of them, at
 * least one when since < until); *segs is the caller's to free. 0, or -1 with d set.
 */
int store_rollup_segments(struct store *s, int64_t since_us, int64_t until_us,
                          struct rollup_segment **segs, size_t *n, struct diag *d);
/*
 * rollup_days_within - the whole days [*day_from, *day_to) of a rolled piece [from_us, to_us),
 * read from rollup_failures' day rows (span 24); its other hours are read from the hour rows.
 * With no whole day, both are a day after the piece. ROLLUP_FAILURES is the rows of a piece
 * with ?1 ?2 its bounds and ?18 ?19 the days: one per group.
 */
void rollup_days_within(int64_t from_us, int64_t to_us, int64_t *day_from, int64_t *day_to);
#define ROLLUP_FAILURES                                                                            \
    "(SELECT group_id, sum(n) AS n, min(first_id) AS first_id, max(last_id) AS last_id FROM ("     \
    "SELECT group_id, n, first_id, last_id FROM rollup_failures"                                   \
    " WHERE span = 24 AND start >= ?18 * 24 AND start < ?19 * 24"                                  \
    " UNION ALL SELECT group_id, n, first_id, last_id FROM rollup_failures"                        \
    " WHERE span = 1 AND start >= ?1 / 3600000000 AND start < min(?18 * 24, ?2 / 3600000000)"      \
    " UNION ALL SELECT group_id, n, first_id, last_id FROM rollup_failures"                        \
    " WHERE span = 1 AND start >= max(?19 * 24, ?1 / 3600000000) AND start < ?2 / 3600000000)"     \
    " GROUP BY group_id)"

/* rollup_any - 1 when some piece is read from the roll-ups */
int rollup_any(const struct rollup_segment *segs, size_t n);

/* store_rollup_max_group - the greatest rollup_groups id (0: none) */
int store_rollup_max_group(struct store *s, int64_t *max, struct diag *d);

/*
 * A histogram: (key, value) -> count, last event id, greatest extra. The key is the caller's
 * (a category's index, a group id); value and extra are bytes or absent (SQL NULL), compared
 * as SQLite's BINARY collation does. Strings are copied.
 */
struct rollup_entry {
    int64_t key;
    const char *value; /* NULL: no value */
    size_t vlen;
    int64_t n, last;
    const char *extra; /* NULL: none */
    size_t elen;
};

struct rollup_hist;

struct rollup_hist *rollup_hist_new(void);
void rollup_hist_free(struct rollup_hist *h);
/* rollup_hist_clear - no entries, the room kept (pointers into entries become invalid) */
void rollup_hist_clear(struct rollup_hist *h);
/* rollup_hist_add - add e's count, keep the greater last id and the greater extra */
void rollup_hist_add(struct rollup_hist *h, const struct rollup_entry *e);
/* rollup_hist_find - the entry of (key, value), NULL when there is none */
struct rollup_entry *rollup_hist_find(struct rollup_hist *h, int64_t key, const char *value,
                                      size_t vlen);
/* rollup_hist_entries - the entries, in no order; valid until the next add, clear or free. A
 * caller that adds no more may reorder them (the histogram can then only be freed or cleared) */
struct rollup_entry *rollup_hist_entries(struct rollup_hist *h, size_t *n);

/* rollup_cmp - SQLite's BINARY order of two byte strings; NULL (absent) first */
int rollup_cmp(const char *a, size_t alen, const char *b, size_t blen);

/*
 * store_rollup_values - add to h the rolled-up values of dim over the hours of [from_us,
 * to_us) (a rolled segment), each under the key key_of[group id]; groups beyond ngroups or
 * with a negative key are left out
 */
int store_rollup_values(struct store *s, enum store_report_dim dim, int64_t from_us, int64_t to_us,
                        const int64_t *key_of, size_t ngroups, struct rollup_hist *h,
                        struct diag *d);

#endif
