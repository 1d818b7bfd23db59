/*
 * trace - the stories of the messages an admin asks about, put together from stored events
 *
 * A message is the events of one queue id on one host (within TRACE_WINDOW_US of where it
 * was found: short queue ids come back). A story is the messages that belong together:
 *
 *	- a bounce or delay notice and the message it reports on (parent_queue_id);
 *	- a message and the next hop on the same host that took it over, where the delivery
 *	  says so ("250 2.0.0 Ok: queued as 4Xy...", Exim's "id=1abc-..."), as with a content
 *	  filter that hands mail back to Postfix; found in both directions;
 *	- rejections without a queue id (NOQUEUE) of one client, sender and host less than
 *	  TRACE_SESSION_US apart: one SMTP session.
 *
 * The --limit applies to the messages found by the search, newest first; the messages linked
 * to them come along. Stories are in time order, and the events of each.
 *
 * An address and a queue id are looked up on an index. A Message-ID, an IP and a domain are
 * not (their indexes would cost every ingest more than they save; bench/INDEXES.md): without
 * a period given, they are looked for in the day up to the newest event, then the last 7
 * days, the last 31, then in everything, and the first window with a match is the answer
 * (looked_back says which).
 *
 * Ownership: trace_result_free releases everything (NULL fields are fine).
 */
#ifndef REJECTLENS_TRACE_H
#define REJECTLENS_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "store_trace.h"

#define TRACE_WINDOW_US  (INT64_C(7) * 86400 * 1000000)
#define TRACE_SESSION_US (INT64_C(300) * 1000000)

struct trace_story {
    const struct trace_event **ev; /* into the result's pool, in time order */
    size_t n;
};

struct trace_result {
    struct trace_events pool;
    struct trace_story *stories;
    size_t nstories;
    size_t found;        /* messages found by the search (at most the limit) */
    int more;            /* more messages match than the limit let through */
    int64_t looked_back; /* > 0: only this far back from the newest event was searched */
};

/*
 * trace_guess - what value is: an IP address, an address (has @; in angle brackets, an
 * address as logged or else a Message-ID), a domain (dots, letters, no @), else a queue id
 */
enum trace_by trace_guess(const char *value);

/* trace_by_name - "address", "domain", "queue-id", "message-id", "ip"; -1 when none */
int trace_by_from_name(const char *name, enum trace_by *by);
const char *trace_by_name(enum trace_by by);

/*
 * trace_run - find the messages matching value (as `by`) with an event in [since, until), at
 * most limit (0: no limit), and tell their stories. 0, or -1 with d set.
 */
int trace_run(struct store *s, enum trace_by by, const char *value, int64_t since, int64_t until,
              size_t limit, struct trace_result *out, struct diag *d);
void trace_result_free(struct trace_result *r);

#endif
