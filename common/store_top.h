/*
 * store_top - the commonest values of one field ("rejectlens top"): counts in a period, the
 * share of each, and the count in the period of the same length just before
 *
 * The subjects are a table (store_top.c): categories, domains, relays, clients, senders,
 * recipients, helos, texts. A domain is the other side's: the recipient's for outbound mail
 * (a remote server refused ours), the sender's otherwise (we refused a client's). Addresses
 * and domains are counted in lower case.
 *
 * Ownership: store_top_free releases the result (strings and rows); NULL fields are "none".
 */
#ifndef REJECTLENS_STORE_TOP_H
#define REJECTLENS_STORE_TOP_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "event.h"
#include "store.h"

enum top_subject {
    TOP_CATEGORIES,
    TOP_DOMAINS,
    TOP_RELAYS,
    TOP_CLIENTS,
    TOP_SENDERS,
    TOP_RECIPIENTS,
    TOP_HELOS,
    TOP_TEXTS,
    TOP_SUBJECT_COUNT
};

/* top_subject_name - "categories" ... "texts" */
const char *top_subject_name(enum top_subject t);
/* top_subject_from_name - 0 and *t set, or -1 for a name not in the table */
int top_subject_from_name(const char *name, enum top_subject *t);

struct top_filter {
    int64_t since_us, until_us;     /* the period [since, until); INT64_MIN/INT64_MAX: open */
    int64_t prev_since_us;          /* the previous period is [prev_since, since); = since: none */
    unsigned kinds;                 /* bits (1 << enum event_kind); 0: every kind */
    enum event_direction direction; /* DIRECTION_NONE: both */
    const char *category, *mta, *host; /* NULL: any */
    size_t limit;                      /* rows at most; 0: all */
    /* distinct values counted in memory before the count is left to SQL's GROUP BY, which
     * spills to disk (0: TOP_MAX_VALUES) */
    size_t max_values;
};

/* about 170 MB of counts: beyond them a top of every delivery of a busy week sorts on disk */
#define TOP_MAX_VALUES 1000000

struct top_row {
    char *key;    /* NULL: the field was empty or unknown */
    char *detail; /* clients: a name of the client; texts: the category; else NULL */
    int64_t count, previous;
};

struct top_result {
    struct top_row *rows;
    size_t n;
    int64_t total, previous_total; /* over every value, not only the rows listed */
};

/* store_top - the rows, most events first (ties by key); 0, or -1 with d set */
int store_top(struct store *s, enum top_subject t, const struct top_filter *f,
              struct top_result *out, struct diag *d);
void store_top_free(struct top_result *r);

/* store_category_known - 1 when some stored reply text has this category, 0 when none */
int store_category_known(struct store *s, const char *category, struct diag *d);

#endif
