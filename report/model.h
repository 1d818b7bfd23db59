/*
 * model - the one report model every writer renders
 *
 * The analyzer (analyze/aggregate.c) fills it from the database; the writers (writers.h) only
 * read it, so html, csv, text and json always tell the same story. It is plain data: numbers and
 * NUL-terminated strings, every string owned by the model and freed by report_model_free. Strings
 * that come from logs are exactly as logged, hostile bytes included: escaping is the writers' job.
 *
 * "Failures" are rejections, bounces, deferrals and expiries that pass the code filter. A
 * count of -1 means "not known" (no comparison period asked for).
 */
#ifndef REJECTLENS_REPORT_MODEL_H
#define REJECTLENS_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define REPORT_MAX_WHO 4

/* the top lists kept per category (same order as the store's dimensions) */
enum report_list {
    REPORT_LIST_RECIPIENT,
    REPORT_LIST_RECIPIENT_DOMAIN,
    REPORT_LIST_SENDER,
    REPORT_LIST_SENDER_DOMAIN,
    REPORT_LIST_CLIENT_IP,
    REPORT_LIST_HELO,
    REPORT_LIST_RELAY,
    REPORT_LIST_COUNT
};

/* report_list_id - "recipients", "recipient_domains", ... (part of the CSV and JSON interface) */
const char *report_list_id(enum report_list l);
/* report_list_title - "Recipients", "Recipient domains", ... */
const char *report_list_title(enum report_list l);

struct report_value {
    char *value;
    char *extra; /* a client's name for an IP; NULL otherwise */
    int64_t count;
};

struct report_top {
    struct report_value *rows;
    size_t n;
};

/* one failure as evidence: a real event of the period */
struct report_example {
    int64_t ts_us;
    int ts_prec;
    const char *kind, *direction, *stage; /* static names from event.h; "" when none */
    char *host, *program, *queue_id, *client_ip, *client_name, *helo, *sender, *recipient, *relay,
        *status, *text, *source; /* NULL when the log had none */
    int reply_code;              /* 0: none */
    int64_t offset;              /* byte offset of its line in source */
    char *line;                  /* the event written as one log-like line */
};

/* a reply text as classified: the masked template, with its context */
struct report_template {
    char *text; /* the template ("<ADDR>: Recipient address rejected: ..."); NULL: no text */
    int reply_code;
    char *status;
    const char *stage, *kind; /* static names */
    char *rule;               /* the rule that classified it; NULL: none */
    int64_t count;
    char *example; /* one real text of the period behind it */
};

struct report_category {
    char *id, *title;
    char *who[REPORT_MAX_WHO]; /* sender_admin, recipient_admin, end_user, our_admin, ... */
    size_t nwho;
    char *severity, *hardness; /* NULL when the rules say none */
    int64_t count, count_5xx, count_4xx, count_other, count_550;
    int64_t prev_count, prev_550; /* -1: no comparison */
    double share, share_550;      /* of all failures, of all 550s (0..1) */
    double impact;                /* what the advice is ordered by */
    int64_t *series;              /* per bucket of the model */
    struct report_top top[REPORT_LIST_COUNT];
    enum report_list order[REPORT_LIST_COUNT]; /* the lists that matter most first */
    struct report_template *templates;         /* its commonest reply texts */
    size_t ntemplates;
    struct report_example *examples;
    size_t nexamples;
    char *advice;            /* filled with the period's data; NULL when the rules give none */
    int advice_list;         /* the top list the advice ends with (enum report_list), -1: none */
    int64_t advice_event_id; /* the event the advice was filled from (database id), 0: none */
};

struct report_totals {
    int64_t events, attempts, deliveries, rejections, reject_warnings, bounces, deferrals, expiries,
        holds, discards;
    int64_t failures, failures_5xx, failures_4xx, failures_other, failures_550;
    double rejection_rate; /* rejections / attempts, 0..1 */
};

struct report_bucket {
    int64_t start_us, end_us;
    char label[32];       /* local time: "2026-01-05 14:00", "2026-01-05", "2026-W02", "2026-01" */
    char short_label[16]; /* for chart axes: "14h", "Mon 5", "W02", "Jan" */
};

/* a log file the period's events came from; its counts are over all its lines */
struct report_source {
    int64_t id; /* in the database */
    char *path, *format;
    int64_t lines, events, info_lines, foreign_lines, unparsed_lines; /* whole file */
};

struct report_unparsed {
    char *source, *reason, *line;
    int64_t offset;
};

struct report_model {
    /* what was asked */
    char *title;  /* "Mail rejections on mx1.example.com" */
    char *period; /* "last-week", "2026-01-05..2026-01-11", "since ... until ..." */
    char *range;  /* "Mon 2026-01-05 00:00 – Mon 2026-01-12 00:00 (CET)" */
    int64_t since_us, until_us;
    int compare; /* 1 when prev_* hold the previous period */
    int64_t prev_since_us, prev_until_us;
    char *prev_range;
    char *filters; /* human summary of --mta, --host, --direction, --codes; "" when none */
    char *mta, *host, *direction, *codes; /* the filters as given; NULL when not */
    char *timezone;                       /* the zone buckets and ranges are in, "CET" */
    char *generated;                      /* ISO 8601 local time of the run */
    char *hosts;                          /* the hosts the period's events came from, "mx1, mx2" */
    char *version;
    char *rules_hash;
    size_t top_n;

    char *headline; /* one sentence: why mail was rejected with 550 (or failed) */

    struct report_totals totals, prev_totals; /* prev_totals: zero when !compare */

    /* every category with failures in the period, ordered by impact */
    struct report_category *categories;
    size_t ncategories;
    /* indexes into categories: by 550 count (only those with 550s), by failure count */
    size_t *by_550, *by_count;
    size_t n550;

    const char *bucket_unit; /* "hour", "day", "week", "month" */
    struct report_bucket *buckets;
    size_t nbuckets;
    int64_t *bucket_totals; /* failures per bucket */

    struct report_template *unclassified; /* commonest unclassified texts */
    size_t nunclassified;
    int64_t unclassified_count;

    struct report_source *sources; /* log files the period's events came from */
    size_t nsources;
    int64_t lines, unparsed_lines, info_lines, foreign_lines, source_events;
    struct report_unparsed *unparsed; /* samples */
    size_t nunparsed;
};

/* report_model_free - release everything (NULL is a no-op); the struct is zeroed */
void report_model_free(struct report_model *m);

/* report_who_title - "sender's admin" for "sender_admin" and so on; the id itself otherwise */
const char *report_who_title(const char *who);

/* report_change - relative change of now against before in percent; 0 when before is 0 */
double report_change(int64_t now, int64_t before);

#endif
