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
 * took the message as qid ("queued as QID", "id=QID"): where a message came from
 */
int store_trace_handed_over(struct store *s, const char *host, const char *qid, int64_t from,
                            int64_t to, struct trace_events *out, struct diag *d);

/* store_trace_newest - the time of the newest event; 0 with *us = INT64_MIN when none */
int store_trace_newest(struct store *s, int64_t *us, struct diag *d);

void store_trace_events_free(struct trace_events *l);

#endif
