/*
 * store_report - the SQL aggregates behind "rejectlens report"
 *
 * The analyzer (analyze/aggregate.c) asks these questions and builds the one report model from
 * the answers; the writers never see the database. Every question takes the same filter: a time
 * range [since, until) and optional MTA, host and direction. The questions about failures
 * (rejections, bounces, deferrals, expiries) also apply the code filter (--only-550,
 * --codes 5xx,4xx,554).
 *
 * A failure's category is that of its reply text, "unclassified" when it has none or the text
 * is not classified yet. Its code class is 5 or 4 from the reply code, else from the enhanced
 * status, else from its kind (a bounce or an expiry is 5, a deferral 4), else 0.
 *
 * Every function returns 0, or -1 with a message in d; rows handed out are owned by the caller
 * and freed with the matching _free function (which accepts what a failed call left: nothing).
 */
#ifndef REJECTLENS_STORE_REPORT_H
#define REJECTLENS_STORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "event.h"
#include "store.h"

#define STORE_REPORT_MAX_CODES 8

struct store_report_filter {
    int64_t since_us, until_us;     /* events with since <= ts < until */
    const char *mta, *host;         /* NULL: any */
    enum event_direction direction; /* DIRECTION_NONE: any */
    /* failures only: with code_filter 0 every failure counts; with 1 those of the classes
     * (bit 4: 4xx, bit 5: 5xx) and those with one of the exact reply codes */
    int code_filter;
    unsigned classes;
    int codes[STORE_REPORT_MAX_CODES];
    size_t ncodes;
};

/*
 * The totals (the code filter does not apply): rows with source_id -1 count the events of a
 * kind; rows with kind EVENT_KIND_NONE (count 0) name each log file (0: none) and host ("":
 * none) the period's events came from.
 */
struct store_report_kind_row {
    int64_t source_id;
    enum event_kind kind;
    char *host; /* NULL in the count rows */
    int64_t count;
};

int store_report_kinds(struct store *s, const struct store_report_filter *f,
                       struct store_report_kind_row **rows, size_t *n, struct diag *d);
void store_report_kind_rows_free(struct store_report_kind_row *rows, size_t n);

/* store_report_span - the first and last event time of the filter's range; 1, or 0 when
 * there is no event */
int store_report_span(struct store *s, const struct store_report_filter *f, int64_t *first_us,
                      int64_t *last_us, struct diag *d);

/* failures per category, code class, and whether the reply code was 550 */
struct store_report_cat_row {
    char *category;
    int cls;    /* 5, 4 or 0 */
    int is_550; /* reply code 550 */
    int64_t count;
};

int store_report_categories(struct store *s, const struct store_report_filter *f,
                            struct store_report_cat_row **rows, size_t *n, struct diag *d);
void store_report_cat_rows_free(struct store_report_cat_row *rows, size_t n);

/* what a top list counts: one of the event's fields */
enum store_report_dim {
    STORE_DIM_RECIPIENT,
    STORE_DIM_RECIPIENT_DOMAIN,
    STORE_DIM_SENDER,
    STORE_DIM_SENDER_DOMAIN,
    STORE_DIM_CLIENT_IP, /* extra: a client name seen with it */
    STORE_DIM_HELO,
    STORE_DIM_RELAY,
    STORE_DIM_COUNT
};

/* one row of a top list: rows of a category come together, commonest first */
struct store_report_top_row {
    char *category;
    char *value;
    char *extra; /* NULL when the dimension has none */
    int64_t count;
    int64_t last_event_id; /* the latest event with this value */
};

/*
 * store_report_tops - for every dimension (rows[dim], n[dim]), the per_category commonest
 * non-empty values, per category
 */
int store_report_tops(struct store *s, const struct store_report_filter *f, size_t per_category,
                      struct store_report_top_row *rows[STORE_DIM_COUNT], size_t n[STORE_DIM_COUNT],
                      struct diag *d);
void store_report_top_rows_free(struct store_report_top_row *rows, size_t n);

/* the reply texts of a category, commonest first, with their first and last event */
struct store_report_tmpl_row {
    char *category;
    int64_t reply_text_id; /* 0 for failures without a reply text */
    int64_t count;
    int64_t first_event_id, last_event_id;
};

/*
 * store_report_templates - the per_category commonest reply texts of each category, or of the
 * one category named (NULL: all)
 */
int store_report_templates(struct store *s, const struct store_report_filter *f,
                           const char *category, size_t per_category,
                           struct store_report_tmpl_row **rows, size_t *n, struct diag *d);
void store_report_tmpl_rows_free(struct store_report_tmpl_row *rows, size_t n);

/* one stored event, strings owned (NULL when the log had none) */
struct store_report_event {
    int64_t id, ts_us;
    int ts_prec;
    char *host, *mta, *program, *queue_id, *client_ip, *client_name, *helo, *sender, *recipient,
        *relay, *status, *text, *source;
    enum event_kind kind;
    enum event_direction direction;
    enum smtp_stage stage;
    int reply_code;
    int64_t size, offset, reply_text_id;
};

/* store_report_event - the event with that id; 1 found, 0 not */
int store_report_event(struct store *s, int64_t id, struct store_report_event *out, struct diag *d);
void store_report_event_free(struct store_report_event *ev);
/* store_report_event_view - the event as a struct event (borrowing ev's strings) */
void store_report_event_view(const struct store_report_event *ev, struct event *out);

/* store_report_reply_text - the reply text with that id (free with store_reply_text_rows_free);
 * 1 found, 0 not */
int store_report_reply_text(struct store *s, int64_t id, struct reply_text_row *out,
                            struct diag *d);

/* a log file with its parse counts (over all its lines, not only the period's) */
struct store_report_source {
    char *path, *format;
    int64_t lines, events, info_lines, foreign_lines, unparsed_lines;
};

int store_report_source(struct store *s, int64_t id, struct store_report_source *out,
                        struct diag *d);
void store_report_source_free(struct store_report_source *src);

/* store_report_unparsed - up to max samples of the lines of source id that could not be read,
 * appended to *rows (capacity handled here) */
int store_report_unparsed(struct store *s, int64_t source_id, size_t max,
                          struct unparsed_sample **rows, size_t *n, struct diag *d);

#endif
