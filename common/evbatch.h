/*
 * evbatch - events copied out of a parser, to be stored many at a time
 *
 * A parser's event lives only during its emit call (event.h). A batch keeps a copy of each
 * event, its strings in one growing byte buffer, so that the events can be inserted with one
 * multi-row statement, or handed to another thread, after the parser has moved on. Each row
 * may carry one more string, the masked reply text the event is classified by, and the id of
 * its reply_texts row once known.
 *
 * A batch owns its memory; evbatch_reset() empties it and keeps the memory for the next
 * batch. Nothing in it fails: allocation succeeds or never returns (xalloc.h).
 */
#ifndef REJECTLENS_EVBATCH_H
#define REJECTLENS_EVBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* the string fields of an event, in the order of struct evbatch_row's str[] */
enum evbatch_str {
    EVB_HOST,
    EVB_MTA,
    EVB_PROGRAM,
    EVB_QUEUE_ID,
    EVB_PARENT_QUEUE_ID,
    EVB_MESSAGE_ID,
    EVB_CLIENT_IP,
    EVB_CLIENT_NAME,
    EVB_HELO,
    EVB_SENDER,
    EVB_RECIPIENT,
    EVB_ORIG_RECIPIENT,
    EVB_RELAY,
    EVB_STATUS,
    EVB_TEXT,
    EVB_TEMPLATE, /* the masked reply text; NULL when the event is not classified */
    EVB_NSTR
};

/* the addresses the store keys (store_address_key), in the order of struct evbatch_row's key[] */
enum evbatch_key { EVB_KEY_RECIPIENT, EVB_KEY_SENDER, EVB_KEY_ORIG_RECIPIENT, EVB_NKEY };

/*
 * A row also carries what the store would otherwise work out in its own thread, the bound one:
 * each string's length and the address keys, made in the thread that adds the row.
 */
struct evbatch_row {
    int64_t ts_us;
    int64_t size;
    int64_t offset;
    int64_t reply_text_id; /* 0 until the caller sets it */
    int32_t reply_code;
    uint8_t ts_prec, kind, direction, stage;
    uint32_t str[EVB_NSTR]; /* 1 + offset into bytes; 0 for NULL */
    uint32_t
        len[EVB_NSTR]; /* each string's length (0 for NULL); len[EVB_TEMPLATE]: the template's */
    int64_t key[EVB_NKEY]; /* store_address_key of each address; 0 when it is NULL */
};

struct evbatch {
    struct evbatch_row *rows;
    size_t n, cap;
    char *bytes;
    size_t used, bytes_cap;
};

#define EVBATCH_INIT                                                                               \
    {                                                                                              \
        NULL, 0, 0, NULL, 0, 0                                                                     \
    }

/*
 * evbatch_add - copy ev (and the template tmpl[0..tlen), when tmpl is not NULL) as the batch's
 * next row; returns the row, valid until the next add or reset
 */
struct evbatch_row *evbatch_add(struct evbatch *b, const struct event *ev, const char *tmpl,
                                size_t tlen);

/* evbatch_str - a row's string field, NUL-terminated, or NULL */
static inline const char *evbatch_str(const struct evbatch *b, const struct evbatch_row *r,
                                      enum evbatch_str f)
{
    return r->str[f] ? b->bytes + r->str[f] - 1 : NULL;
}

/* evbatch_event - the row as an event whose strings point into the batch (valid until the
 * next add, reset or free) */
void evbatch_event(const struct evbatch *b, const struct evbatch_row *r, struct event *ev);

/* evbatch_bytes - the memory the batch holds, rows and strings: for bounding a queue */
size_t evbatch_bytes(const struct evbatch *b);

void evbatch_reset(struct evbatch *b);
void evbatch_free(struct evbatch *b);

#endif
