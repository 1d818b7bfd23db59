/*
 * fuzz_parser - a parser driven over lines with state round trips (see fuzz_parser.h)
 */
#include "fuzz_parser.h"
#include "smtp_reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct harness {
    const struct parser_ops *ops;
    void *state;
    struct parse_ctx ctx;
    char *source; /* heap copy: a new file gets a new string, as the reader gives */
    int refuse;
    long events;
};

static void check_string(const char *s)
{
    fuzz_touch(s);
}

static int check_event(void *arg, const struct event *ev)
{
    struct harness *h = arg;

    FUZZ_CHECK(ev->kind > EVENT_KIND_NONE && ev->kind < EVENT_KIND_COUNT);
    FUZZ_CHECK(ev->direction >= DIRECTION_NONE && ev->direction < DIRECTION_COUNT);
    FUZZ_CHECK(ev->stage >= STAGE_NONE && ev->stage < STAGE_COUNT);
    FUZZ_CHECK(ev->ts_prec >= 0 && ev->ts_prec <= 6);
    FUZZ_CHECK(ev->reply_code >= 0 && ev->reply_code <= 999);
    FUZZ_CHECK(ev->size >= -1);
    FUZZ_CHECK(ev->mta != NULL && strcmp(ev->mta, h->ops->name) == 0);
    FUZZ_CHECK(event_kind_name(ev->kind) != NULL);
    check_string(ev->host);
    check_string(ev->program);
    check_string(ev->queue_id);
    check_string(ev->parent_queue_id);
    check_string(ev->message_id);
    check_string(ev->client_ip);
    check_string(ev->client_name);
    check_string(ev->helo);
    check_string(ev->sender);
    check_string(ev->recipient);
    check_string(ev->orig_recipient);
    check_string(ev->relay);
    check_string(ev->text);
    /* a status is X.Y.Z or nothing: summary prints it as it is */
    if (ev->status != NULL)
        FUZZ_CHECK(smtp_status_valid(ev->status, fuzz_touch(ev->status)));
    h->events++;
    if (h->refuse) {
        h->refuse = 0;
        return -1;
    }
    return 0;
}

static void set_source(struct harness *h, const char *name, size_t len)
{
    free(h->source);
    h->source = fuzz_strdup((const uint8_t *)name, len);
    h->ctx.source = h->source;
}

/* show - up to 160 bytes of a state around offset at, escaped */
static void show(const char *what, const struct strbuf *sb, size_t at)
{
    size_t from = at > 80 ? at - 80 : 0;

    fprintf(stderr, "%s (%zu bytes), from byte %zu: ", what, sb->len, from);
    for (size_t i = from; i < sb->len && i < from + 160; i++) {
        unsigned char c = (unsigned char)sb->buf[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fputc('\n', stderr);
}

static void show_difference(const struct strbuf *a, const struct strbuf *b)
{
    size_t at = 0;

    while (at < a->len && at < b->len && a->buf[at] == b->buf[at])
        at++;
    fprintf(stderr, "saved states differ at byte %zu\n", at);
    show("saved", a, at);
    show("saved after loading", b, at);
}

/* round_trip - save, destroy, load into a new state; the new state must save the same bytes */
static void round_trip(struct harness *h)
{
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

    h->ops->save_state(h->state, &a);
    h->ops->destroy(h->state);
    h->state = h->ops->create();
    h->ops->load_state(h->state, a.buf ? a.buf : "", a.len);
    h->ops->save_state(h->state, &b);
    if (a.len != b.len || (a.len > 0 && memcmp(a.buf, b.buf, a.len) != 0)) {
        show_difference(&a, &b);
        fuzz_fail("the state loaded back saves the same bytes", __FILE__, __LINE__);
    }
    strbuf_free(&a);
    strbuf_free(&b);
}

/* load_blob - a state from outside (a damaged database): loading it must be safe, and what it
 * loaded must round-trip */
static void load_blob(struct harness *h, const char *p, size_t n)
{
    char *copy = fuzz_strdup((const uint8_t *)p, n);

    h->ops->destroy(h->state);
    h->state = h->ops->create();
    h->ops->load_state(h->state, copy, n);
    free(copy);
    round_trip(h);
}

static void parse(struct harness *h, const char *line, size_t len, int64_t offset)
{
    struct log_line ln;
    enum line_result r;
    /* the parser sees a copy of exactly the line's bytes, as the reader's buffer may end there */
    char *copy = fuzz_strdup((const uint8_t *)line, len);

    memset(&ln, 0, sizeof ln);
    ln.text = copy;
    ln.len = len;
    ln.offset = offset;
    (void)h->ops->sniff(copy, len);
    h->ctx.why = NULL;
    r = h->ops->parse_line(h->state, &h->ctx, &ln);
    FUZZ_CHECK(r >= LINE_EVENT && r <= LINE_ABORT);
    if (r == LINE_UNPARSED && h->ctx.why != NULL)
        fuzz_touch(h->ctx.why);
    free(copy);
}

int fuzz_parser(const struct parser_ops *ops, const char *source, const uint8_t *data, size_t size)
{
    struct harness h;
    const char *p = (const char *)data, *end = p + size, *line;
    size_t len;

    memset(&h, 0, sizeof h);
    h.ops = ops;
    h.state = ops->create();
    h.ctx.sink.emit = check_event;
    h.ctx.sink.ctx = &h;
    h.ctx.default_host = "mx.fuzz.example";
    h.ctx.years.ref_s = 1767398400; /* 2026-01-03 */
    tz_cache_init(&h.ctx.tz);
    set_source(&h, source, strlen(source));

    while (fuzz_next_line(&p, end, &line, &len)) {
        int64_t offset = (int64_t)(line - (const char *)data);
        if (len > 0 && line[0] == '\x01') {
            if (len >= 5 && memcmp(line, "\x01src ", 5) == 0) {
                set_source(&h, line + 5, len - 5);
            } else if (len == 5 && memcmp(line, "\x01save", 5) == 0) {
                round_trip(&h);
            } else if (len == 6 && memcmp(line, "\x01flush", 6) == 0) {
                h.ctx.source = NULL;
                (void)ops->flush(h.state, &h.ctx);
                h.ctx.source = h.source;
            } else if (len == 7 && memcmp(line, "\x01refuse", 7) == 0) {
                h.refuse = 1;
            } else if (len == 6 && memcmp(line, "\x01state", 6) == 0) {
                load_blob(&h, p, (size_t)(end - p));
                break;
            }
            continue;
        }
        if (len > 0 && line[len - 1] == '\r')
            len--; /* as the reader cuts lines */
        parse(&h, line, len, offset);
    }
    round_trip(&h);
    h.ctx.source = NULL;
    h.refuse = 0;
    (void)ops->flush(h.state, &h.ctx);
    round_trip(&h);
    ops->destroy(h.state);
    free(h.source);
    return 0;
}
