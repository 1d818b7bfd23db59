/*
 * evbatch - events copied out of a parser, to be stored many at a time (see evbatch.h)
 *
 * DESCRIPTION
 *	Rows hold numbers and, for each string, 1 + its offset in the byte buffer (0 for NULL),
 *	so that the buffer may move when it grows. One add copies all of an event's strings
 *	with one reservation.
 *
 * BUGS
 *	Offsets are 32 bits: a batch holds less than 4 GB of strings, which its callers, who
 *	flush batches of a few hundred rows, are far from. Going past it aborts.
 */
#include "evbatch.h"
#include "store.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>

/* the event's strings in enum evbatch_str order (the template is not among them) */
static void event_strings(const struct event *ev, const char *s[EVB_NSTR - 1])
{
    s[EVB_HOST] = ev->host;
    s[EVB_MTA] = ev->mta;
    s[EVB_PROGRAM] = ev->program;
    s[EVB_QUEUE_ID] = ev->queue_id;
    s[EVB_PARENT_QUEUE_ID] = ev->parent_queue_id;
    s[EVB_MESSAGE_ID] = ev->message_id;
    s[EVB_CLIENT_IP] = ev->client_ip;
    s[EVB_CLIENT_NAME] = ev->client_name;
    s[EVB_HELO] = ev->helo;
    s[EVB_SENDER] = ev->sender;
    s[EVB_RECIPIENT] = ev->recipient;
    s[EVB_ORIG_RECIPIENT] = ev->orig_recipient;
    s[EVB_RELAY] = ev->relay;
    s[EVB_STATUS] = ev->status;
    s[EVB_TEXT] = ev->text;
}

static int64_t address_key(const char *addr, size_t len)
{
    return addr != NULL ? store_address_key(addr, len) : 0;
}

struct evbatch_row *evbatch_add(struct evbatch *b, const struct event *ev, const char *tmpl,
                                size_t tlen)
{
    const char *s[EVB_NSTR - 1];
    size_t len[EVB_NSTR - 1], need = tmpl != NULL ? tlen + 1 : 0;
    struct evbatch_row *r;

    event_strings(ev, s);
    for (int i = 0; i < EVB_NSTR - 1; i++) {
        len[i] = s[i] != NULL ? strlen(s[i]) : 0;
        need += s[i] != NULL ? len[i] + 1 : 0;
    }
    if (need > UINT32_MAX - 1 - b->used) {
        fprintf(stderr, "rejectlens: bug: an event batch past 4 GB\n");
        abort();
    }
    if (b->used + need > b->bytes_cap) {
        size_t cap = b->bytes_cap ? b->bytes_cap : 65536;
        while (cap < b->used + need)
            cap *= 2;
        b->bytes = xrealloc(b->bytes, cap);
        b->bytes_cap = cap;
    }
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->rows = xreallocarray(b->rows, b->cap, sizeof *b->rows);
    }
    r = &b->rows[b->n++];
    r->ts_us = ev->ts_us;
    r->size = ev->size;
    r->offset = ev->offset;
    r->reply_text_id = 0;
    r->reply_code = ev->reply_code;
    r->ts_prec = (uint8_t)ev->ts_prec;
    r->kind = (uint8_t)ev->kind;
    r->direction = (uint8_t)ev->direction;
    r->stage = (uint8_t)ev->stage;
    for (int i = 0; i < EVB_NSTR - 1; i++) {
        r->len[i] = (uint32_t)len[i];
        if (s[i] == NULL) {
            r->str[i] = 0;
            continue;
        }
        r->str[i] = (uint32_t)b->used + 1;
        memcpy(b->bytes + b->used, s[i], len[i] + 1);
        b->used += len[i] + 1;
    }
    r->len[EVB_TEMPLATE] = 0;
    r->str[EVB_TEMPLATE] = 0;
    if (tmpl != NULL) {
        r->str[EVB_TEMPLATE] = (uint32_t)b->used + 1;
        r->len[EVB_TEMPLATE] = (uint32_t)tlen;
        memcpy(b->bytes + b->used, tmpl, tlen);
        b->bytes[b->used + tlen] = '\0';
        b->used += tlen + 1;
    }
    r->key[EVB_KEY_RECIPIENT] = address_key(s[EVB_RECIPIENT], len[EVB_RECIPIENT]);
    r->key[EVB_KEY_SENDER] = address_key(s[EVB_SENDER], len[EVB_SENDER]);
    r->key[EVB_KEY_ORIG_RECIPIENT] = address_key(s[EVB_ORIG_RECIPIENT], len[EVB_ORIG_RECIPIENT]);
    return r;
}

void evbatch_event(const struct evbatch *b, const struct evbatch_row *r, struct event *ev)
{
    ev->ts_us = r->ts_us;
    ev->ts_prec = r->ts_prec;
    ev->host = evbatch_str(b, r, EVB_HOST);
    ev->mta = evbatch_str(b, r, EVB_MTA);
    ev->program = evbatch_str(b, r, EVB_PROGRAM);
    ev->kind = (enum event_kind)r->kind;
    ev->direction = (enum event_direction)r->direction;
    ev->stage = (enum smtp_stage)r->stage;
    ev->queue_id = evbatch_str(b, r, EVB_QUEUE_ID);
    ev->parent_queue_id = evbatch_str(b, r, EVB_PARENT_QUEUE_ID);
    ev->message_id = evbatch_str(b, r, EVB_MESSAGE_ID);
    ev->client_ip = evbatch_str(b, r, EVB_CLIENT_IP);
    ev->client_name = evbatch_str(b, r, EVB_CLIENT_NAME);
    ev->helo = evbatch_str(b, r, EVB_HELO);
    ev->sender = evbatch_str(b, r, EVB_SENDER);
    ev->recipient = evbatch_str(b, r, EVB_RECIPIENT);
    ev->orig_recipient = evbatch_str(b, r, EVB_ORIG_RECIPIENT);
    ev->relay = evbatch_str(b, r, EVB_RELAY);
    ev->reply_code = r->reply_code;
    ev->status = evbatch_str(b, r, EVB_STATUS);
    ev->text = evbatch_str(b, r, EVB_TEXT);
    ev->size = r->size;
    ev->offset = r->offset;
}

size_t evbatch_bytes(const struct evbatch *b)
{
    return b->used + b->n * sizeof *b->rows;
}

void evbatch_reset(struct evbatch *b)
{
    b->n = 0;
    b->used = 0;
}

void evbatch_free(struct evbatch *b)
{
    if (b == NULL)
        return;
    free(b->rows);
    free(b->bytes);
    memset(b, 0, sizeof *b);
}
