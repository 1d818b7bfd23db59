/*
 * store_trace - the events behind "rejectlens trace": the ones that match what an admin asks
 * about, and the ones that tell the rest of their messages' stories
 *
 * Every function appends whole events (with their reply text's category, rule and template,
 * and the source file) to a trace_events list; putting messages and stories together is the
 * caller's job (cli/trace.c). Times are UTC microseconds; a window [from, to) bounds each
 * look-up, because short queue ids come back after a while.
 *
 * Ownership: store_trace_events_free releases the list and every string in it.
 */
#ifndef REJECTLENS_STORE_TRACE_H
#define REJECTLENS_STORE_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "event.h"
#include "store.h"

/* what the admin gave */
enum trace_by { TRACE_ADDRESS, TRACE_DOMAIN, TRACE_QUEUE_ID, TRACE_MESSAGE_ID, TRACE_IP };

/* one stored event; every string (ev's too) is owned by the list; NULL: not in the log */
struct trace_event {
    int64_t id;
    struct event ev;
    char *category, *rule, *template_text, *source;
};

struct trace_events {
    struct trace_event *v;
    size_t n, cap;
};

/*
 * store_trace_cache - give the connection the page cache a trace needs: 32 MiB on SQLite, where
 * a reader has SQLite's 2 MB (PostgreSQL: nothing, the server sizes its own). A trace walks the
 * queue-id index once for every message it finds, and reads many of its pages again. 0, or -1
 * (d set).
 */
int store_trace_cache(struct store *s, struct diag *d);

/*
 * store_trace_find - the events matching value by `by` in [from, to), newest first, at most
 * max: an address as sender, recipient or original recipient (any case; on indexes); a
 * queue id (indexed); a domain as the domain of either, a Message-ID (with or without <>),
 * a client IP (read off the period's rows: give these short periods first)
 */
int store_trace_find(struct store *s, enum trace_by by, const char *value, int64_t from, int64_t to,
                     size_t max, struct trace_events *out, struct diag *d);

/* store_trace_queue - the events of queue id qid on host in [from, to) (host NULL: any) */
int store_trace_queue(struct store *s, const char *host, const char *qid, int64_t from, int64_t to,
                      struct trace_events *out, struct diag *d);

/* store_trace_children - events on host in [from, to) whose parent is qid (its bounce notices) */
int store_trace_children(struct store *s, const char *host, const char *qid, int64_t from,
                         int64_t to, struct trace_events *out, struct diag *d);

/*
 * store_trace_handed_over - deliveries on host in [from, to) whose reply says the next hop
 * took the message as qid ("queued as QID", "id=QID"): where a message came from. With a
 * recipient (one of the message's: the hop before delivered to the same addresses) only the
 * deliveries to it are read, on the recipient index; with NULL every delivery of the window.
 */
int store_trace_handed_over(struct store *s, const char *host, const char *qid,
                            const char *recipient, int64_t from, int64_t to,
                            struct trace_events *out, struct diag *d);

/* a delivery's time and reply text (owned by the list) */
struct trace_text {
    int64_t ts;
    char *text;
};

struct trace_texts {
    struct trace_text *v;
    size_t n, cap;
};

/*
 * store_trace_hops - the deliveries on host (NULL: any) to recipient in [from, to) whose reply
 * names a next hop ("queued as ", "id="), oldest first: what store_trace_handed_over looks
 * through for one queue id, read once for many (the caller tells which queue ids they name)
 */
int store_trace_hops(struct store *s, const char *host, const char *recipient, int64_t from,
                     int64_t to, struct trace_texts *out, struct diag *d);

void store_trace_texts_free(struct trace_texts *l);

/* store_trace_bucket_us - the span of the buckets that s's address indexes are led by: a
 * look-up by address reads its entries of every bucket it touches whole */
int64_t store_trace_bucket_us(const struct store *s);

/* store_trace_newest - the time of the newest event; 0 with *us = INT64_MIN when none */
int store_trace_newest(struct store *s, int64_t *us, struct diag *d);

void store_trace_events_free(struct trace_events *l);

#endif
