/*
 * trace - the stories of the messages an admin asks about (see trace.h)
 *
 * DESCRIPTION
 *	Messages are found by the search (store_trace_find), then each is loaded whole and
 *	linked to the messages it names or that name it, breadth first, until no new message
 *	turns up or MAX_MESSAGES are loaded. A union-find over the messages makes the stories.
 *
 * BUGS
 *	A next hop is only linked on the same host: a fleet's relay from mx1 to mx2 shows as
 *	two stories (search mx2's queue id, named in mx1's delivery, to see the second).
 */
#include "trace.h"
#include "lru.h"
#include "strbuf.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_MESSAGES            2000 /* loaded per trace, linked ones included */
#define SEARCH_ROWS_PER         20   /* matching rows fetched per message asked for */
#define HANDOVER_BEFORE_US      (INT64_C(3600) * 1000000)
#define HANDOVER_AFTER_US       (INT64_C(600) * 1000000)
#define MAX_HANDOVER_RECIPIENTS 16 /* addresses a hop before is looked for under */

struct msg {
    const char *host, *qid; /* borrowed from the pool; qid NULL: one event without a queue id */
    int64_t anchor;         /* where it was found: its events are within TRACE_WINDOW_US */
    size_t parent;          /* union-find */
    int loaded;
};

/*
 * hops - the next hops that a recipient's deliveries on a host name, read once for the windows
 * asked so far: each message of a busy address looked through the same deliveries again (72 s
 * for one trace at 10 GB a day, docs/performance.md), where most name no message of the trace
 */
struct hop {
    int64_t ts;
    char *qid; /* owned */
};

struct hops {
    char *recipient, *host; /* owned; host NULL: any */
    int64_t *span;          /* [span[2i], span[2i + 1]) read: sorted, apart */
    size_t nspan, capspan;
    struct hop *v;
    size_t n, cap;
};

struct tracer {
    struct store *s;
    struct trace_result *res;
    struct msg *m;
    size_t nm, capm;
    size_t *owner; /* pool index -> message; SIZE_MAX: not part of any story */
    size_t capo;
    struct diag *d;
    struct lru *hops;     /* recipient in lower case, NUL, host -> struct hops; NULL: none yet */
    struct strbuf hopkey; /* scratch for its keys */
    struct lru *by_qid;   /* msg_key -> struct msg_list: the messages of m with a queue id */
    struct strbuf msgkey; /* scratch for its keys */
};

/* the messages of a queue id on a host, in the order of m (several when the id came back) */
struct msg_list {
    size_t *v;
    size_t n, cap;
};

/* ---------------------------------------------------------------- guessing */

static const char *const by_names[] = {"address", "domain", "queue-id", "message-id", "ip"};

const char *trace_by_name(enum trace_by by)
{
    return by_names[by];
}

int trace_by_from_name(const char *name, enum trace_by *by)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, by_names[i]) == 0) {
            *by = (enum trace_by)i;
            return 0;
        }
    return -1;
}

enum trace_by trace_guess(const char *value)
{
    unsigned char a[16];
    int letters = 0, dots = 0;

    if (strchr(value, '@') != NULL)
        return TRACE_ADDRESS;
    if (inet_pton(AF_INET, value, a) == 1 || inet_pton(AF_INET6, value, a) == 1)
        return TRACE_IP;
    for (const char *p = value; *p; p++) {
        if (*p == '.')
            dots++;
        else if (isalpha((unsigned char)*p))
            letters++;
        else if (!isdigit((unsigned char)*p) && *p != '-' && *p != '_')
            return TRACE_QUEUE_ID;
    }
    /* a domain ends in a label of letters: "example.org", not "1234.5678" */
    const char *last = strrchr(value, '.');
    if (dots > 0 && letters > 0 && last != NULL && isalpha((unsigned char)last[1]))
        return TRACE_DOMAIN;
    return TRACE_QUEUE_ID;
}

/* ---------------------------------------------------------------- messages */

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static size_t find_root(struct tracer *t, size_t i)
{
    while (t->m[i].parent != i) {
        t->m[i].parent = t->m[t->m[i].parent].parent;
        i = t->m[i].parent;
    }
    return i;
}

static void link_msgs(struct tracer *t, size_t a, size_t b)
{
    a = find_root(t, a);
    b = find_root(t, b);
    if (a != b)
        t->m[a > b ? a : b].parent = a > b ? b : a;
}

static void msg_list_free(void *p)
{
    struct msg_list *l = p;

    free(l->v);
    free(l);
}

/* msg_key - the key of by_qid for a queue id on a host (NULL: none) in t->msgkey */
static void msg_key(struct tracer *t, const char *host, const char *qid)
{
    strbuf_reset(&t->msgkey);
    strbuf_putc(&t->msgkey, host != NULL ? 'h' : 'n');
    strbuf_append(&t->msgkey, qid, strlen(qid) + 1);
    if (host != NULL)
        strbuf_puts(&t->msgkey, host);
}

/* index_msg - message i (with a queue id) into by_qid */
static void index_msg(struct tracer *t, size_t i)
{
    struct msg_list *l;

    if (t->by_qid == NULL)
        t->by_qid = lru_new(SIZE_MAX, msg_list_free);
    msg_key(t, t->m[i].host, t->m[i].qid);
    if ((l = lru_get(t->by_qid, t->msgkey.buf, t->msgkey.len)) == NULL) {
        l = xcalloc(1, sizeof *l);
        lru_put(t->by_qid, t->msgkey.buf, t->msgkey.len, l);
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 2;
        l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
    }
    l->v[l->n++] = i;
}

/* index_msgs - by_qid made again for m[0..nm) */
static void index_msgs(struct tracer *t)
{
    if (t->by_qid != NULL)
        lru_free(t->by_qid);
    t->by_qid = NULL;
    for (size_t i = 0; i < t->nm; i++)
        if (t->m[i].qid != NULL)
            index_msg(t, i);
}

static size_t new_msg(struct tracer *t, const char *host, const char *qid, int64_t anchor)
{
    if (t->nm == t->capm) {
        t->capm = t->capm ? t->capm * 2 : 32;
        t->m = xreallocarray(t->m, t->capm, sizeof *t->m);
    }
    t->m[t->nm] = (struct msg){host, qid, anchor, t->nm, 0};
    if (qid != NULL)
        index_msg(t, t->nm);
    return t->nm++;
}

/*
 * find_msg - the first message of queue id qid on host around ts; SIZE_MAX when none yet.
 * Looked up by queue id: a look through every message made a trace of tens of thousands of
 * messages quadratic (--limit 0 of a busy domain: 24 s, docs/performance.md).
 */
static size_t find_msg(struct tracer *t, const char *host, const char *qid, int64_t ts)
{
    const struct msg_list *l;

    if (t->by_qid == NULL)
        return SIZE_MAX;
    msg_key(t, host, qid);
    if ((l = lru_get(t->by_qid, t->msgkey.buf, t->msgkey.len)) == NULL)
        return SIZE_MAX;
    for (size_t j = 0; j < l->n; j++) {
        size_t i = l->v[j];
        if (ts >= t->m[i].anchor - TRACE_WINDOW_US && ts < t->m[i].anchor + TRACE_WINDOW_US)
            return i;
    }
    return SIZE_MAX;
}

/* own_one - give pool event k to its message (made when new) */
static void own_one(struct tracer *t, size_t k)
{
    struct trace_events *p = &t->res->pool;
    const struct event *ev = &p->v[k].ev;
    size_t m;

    if (p->n > t->capo) {
        t->capo = p->cap;
        t->owner = xreallocarray(t->owner, t->capo, sizeof *t->owner);
    }
    if (ev->queue_id == NULL || ev->queue_id[0] == '\0')
        m = new_msg(t, ev->host, NULL, ev->ts_us);
    else if ((m = find_msg(t, ev->host, ev->queue_id, ev->ts_us)) == SIZE_MAX)
        m = new_msg(t, ev->host, ev->queue_id, ev->ts_us);
    t->owner[k] = m;
}

/* own - give the pool's events from `from` on to their messages */
static void own(struct tracer *t, size_t from)
{
    for (size_t k = from; k < t->res->pool.n; k++)
        own_one(t, k);
}

/* disown - events from `from` on are in no story */
static void disown(struct tracer *t, size_t from)
{
    struct trace_events *p = &t->res->pool;

    if (p->n > t->capo) {
        t->capo = p->cap;
        t->owner = xreallocarray(t->owner, t->capo, sizeof *t->owner);
    }
    for (size_t k = from; k < p->n; k++)
        t->owner[k] = SIZE_MAX;
}

/* next_hop_id - the queue id a delivery's reply names ("queued as X", "id=X"), into buf */
static int next_hop_id(const char *text, char *buf, size_t cap)
{
    static const char *const marks[] = {"queued as ", "id="};

    for (size_t k = 0; text != NULL && k < 2; k++) {
        const char *p = strstr(text, marks[k]);
        size_t n = 0;
        if (p == NULL)
            continue;
        p += strlen(marks[k]);
        while (n + 1 < cap && (isalnum((unsigned char)p[n]) || p[n] == '-'))
            n++;
        if (n >= 5) {
            memcpy(buf, p, n);
            buf[n] = '\0';
            return 1;
        }
    }
    return 0;
}

/* names_qid - the text really names qid (not a longer id that starts with it) */
static int names_qid(const char *text, const char *qid)
{
    char buf[128];

    return next_hop_id(text, buf, sizeof buf) && strcmp(buf, qid) == 0;
}

/* ---------------------------------------------------------------- hops */

static void hops_free(void *p)
{
    struct hops *h = p;

    for (size_t j = 0; j < h->n; j++)
        free(h->v[j].qid);
    free(h->v);
    free(h->span);
    free(h->recipient);
    free(h->host);
    free(h);
}

/* hops_of - the hops of recipient (in any case) on host, made empty when new. A map: a trace
 * asks for up to MAX_MESSAGES times MAX_HANDOVER_RECIPIENTS of them; one it forgot would only
 * be read again. */
static struct hops *hops_of(struct tracer *t, const char *recipient, const char *host)
{
    struct hops *h;

    if (t->hops == NULL)
        t->hops = lru_new(MAX_MESSAGES * MAX_HANDOVER_RECIPIENTS, hops_free);
    strbuf_reset(&t->hopkey);
    for (const char *c = recipient; *c != '\0'; c++)
        strbuf_putc(&t->hopkey, (char)tolower((unsigned char)*c));
    strbuf_putc(&t->hopkey, '\0');
    if (host != NULL) /* after a mark, so that no host and "" differ */
        strbuf_printf(&t->hopkey, "h%s", host);
    if ((h = lru_get(t->hops, t->hopkey.buf, t->hopkey.len)) == NULL) {
        h = xcalloc(1, sizeof *h);
        h->recipient = xstrdup(recipient);
        h->host = host != NULL ? xstrdup(host) : NULL;
        lru_put(t->hops, t->hopkey.buf, t->hopkey.len, h);
    }
    return h;
}

static int by_start(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;

    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* read_gap - the hops of h's deliveries in [from, to) */
static int read_gap(struct tracer *t, struct hops *h, int64_t from, int64_t to)
{
    struct trace_texts l = {NULL, 0, 0};
    char qid[128];

    if (store_trace_hops(t->s, h->host, h->recipient, from, to, &l, t->d) < 0) {
        store_trace_texts_free(&l);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        if (!next_hop_id(l.v[i].text, qid, sizeof qid))
            continue;
        if (h->n == h->cap) {
            h->cap = h->cap ? h->cap * 2 : 64;
            h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
        }
        h->v[h->n++] = (struct hop){l.v[i].ts, xstrdup(qid)};
    }
    store_trace_texts_free(&l);
    return 0;
}

/* hops_read - h's hops in [from, to): the parts not read yet are read, in whole buckets (a
 * look-up reads every entry of a bucket it touches), and the spans merged */
static int hops_read(struct tracer *t, struct hops *h, int64_t from, int64_t to)
{
    int64_t b = store_trace_bucket_us(t->s);
    size_t i = 0, k = 0;

    from -= (from % b + b) % b;       /* down to a bucket's start */
    to += (b - (to % b + b) % b) % b; /* up to one */

    for (int64_t x = from; x < to;) {
        while (i < h->nspan && h->span[2 * i + 1] <= x)
            i++;
        if (i < h->nspan && h->span[2 * i] <= x) {
            x = h->span[2 * i + 1];
            continue;
        }
        int64_t y = i < h->nspan && h->span[2 * i] < to ? h->span[2 * i] : to;
        if (read_gap(t, h, x, y) < 0)
            return -1;
        x = y;
    }
    if (h->nspan == h->capspan) {
        h->capspan = h->capspan ? h->capspan * 2 : 8;
        h->span = xreallocarray(h->span, 2 * h->capspan, sizeof *h->span);
    }
    h->span[2 * h->nspan] = from;
    h->span[2 * h->nspan + 1] = to;
    h->nspan++;
    qsort(h->span, h->nspan, 2 * sizeof *h->span, by_start);
    for (size_t j = 1; j < h->nspan; j++) { /* merged where they meet or overlap */
        if (h->span[2 * j] <= h->span[2 * k + 1]) {
            if (h->span[2 * j + 1] > h->span[2 * k + 1])
                h->span[2 * k + 1] = h->span[2 * j + 1];
        } else {
            k++;
            h->span[2 * k] = h->span[2 * j];
            h->span[2 * k + 1] = h->span[2 * j + 1];
        }
    }
    h->nspan = k + 1;
    return 0;
}

/* hops_name - 1 when a delivery to recipient on host in [from, to) names qid as its next hop */
static int hops_name(struct tracer *t, const char *recipient, const char *host, const char *qid,
                     int64_t from, int64_t to)
{
    struct hops *h = hops_of(t, recipient, host);

    if (hops_read(t, h, from, to) < 0)
        return -1;
    for (size_t i = 0; i < h->n; i++)
        if (h->v[i].ts >= from && h->v[i].ts < to && strcmp(h->v[i].qid, qid) == 0)
            return 1;
    return 0;
}

/* add_address - a to v[0..*n) unless it is empty, there already (in any case) or v is full */
static void add_address(const char **v, size_t *n, const char *a)
{
    if (a == NULL || a[0] == '\0' || *n == MAX_HANDOVER_RECIPIENTS)
        return;
    for (size_t j = 0; j < *n; j++)
        if (strcasecmp(v[j], a) == 0)
            return;
    v[(*n)++] = a;
}

/* load - the events of message i and the messages they name or that name it */
static int load(struct tracer *t, size_t i)
{
    struct trace_events *p = &t->res->pool;
    const char *host = t->m[i].host, *qid = t->m[i].qid;
    int64_t a = t->m[i].anchor, first = INT64_MAX;
    size_t from = p->n, n;
    char hop[128];

    t->m[i].loaded = 1;
    if (qid == NULL)
        return 0;
    if (store_trace_queue(t->s, host, qid, a - TRACE_WINDOW_US, a + TRACE_WINDOW_US, p, t->d) < 0)
        return -1;
    size_t first_event = from;
    n = p->n;
    own(t, from);
    for (size_t k = from; k < n; k++) {
        const struct event *ev = &p->v[k].ev;
        if (ev->ts_us < first)
            first = ev->ts_us;
        /* the message a notice reports on */
        if (ev->parent_queue_id != NULL && ev->parent_queue_id[0] != '\0') {
            size_t m = find_msg(t, ev->host, ev->parent_queue_id, ev->ts_us);
            if (m == SIZE_MAX && t->nm < MAX_MESSAGES)
                m = new_msg(t, ev->host, ev->parent_queue_id, ev->ts_us);
            if (m != SIZE_MAX)
                link_msgs(t, i, m);
        }
        /* the next hop that took it over: linked once it shows events of its own */
        if (ev->kind == EVENT_DELIVER && next_hop_id(ev->text, hop, sizeof hop) &&
            find_msg(t, ev->host, hop, ev->ts_us) == SIZE_MAX && t->nm < MAX_MESSAGES) {
            size_t before = p->n;
            if (store_trace_queue(t->s, ev->host, hop, ev->ts_us - HANDOVER_AFTER_US,
                                  ev->ts_us + TRACE_WINDOW_US, p, t->d) < 0)
                return -1;
            ev = &p->v[k].ev; /* the pool may have moved */
            if (p->n > before) {
                own(t, before);
                link_msgs(t, i, t->owner[before]);
            }
        }
    }
    if (first == INT64_MAX)
        first = a;
    /* its notices, and the delivery that handed it over to us: the hop before delivered to
     * the same recipients, so it is looked for under each of them on the recipient index
     * (under none, every delivery of the window is read) */
    size_t nrcpt = 0;
    const char *rcpt[MAX_HANDOVER_RECIPIENTS];
    for (size_t k = first_event; k < n; k++)
        add_address(rcpt, &nrcpt, p->v[k].ev.recipient);
    for (size_t k = first_event; k < n; k++)
        add_address(rcpt, &nrcpt, p->v[k].ev.orig_recipient);
    from = p->n;
    if (store_trace_children(t->s, host, qid, first, first + TRACE_WINDOW_US, p, t->d) < 0)
        return -1;
    for (size_t j = 0; j < (nrcpt ? nrcpt : 1); j++) {
        int64_t a0 = first - HANDOVER_BEFORE_US, a1 = first + HANDOVER_AFTER_US;
        /* the hops read once tell whether a delivery to the recipient names this message */
        int named = nrcpt ? hops_name(t, rcpt[j], host, qid, a0, a1) : 1;
        if (named < 0 || (named && store_trace_handed_over(t->s, host, qid, nrcpt ? rcpt[j] : NULL,
                                                           a0, a1, p, t->d) < 0))
            return -1;
    }
    disown(t, from);
    for (size_t k = from; k < p->n; k++) {
        const struct event *ev = &p->v[k].ev;
        int child = ev->parent_queue_id != NULL && strcmp(ev->parent_queue_id, qid) == 0;
        if (!child && !names_qid(ev->text, qid))
            continue; /* "queued as" a longer id that starts with this one */
        own_one(t, k);
        link_msgs(t, i, t->owner[k]);
    }
    return 0;
}

/* ---------------------------------------------------------------- stories */

static int by_time(const void *a, const void *b)
{
    const struct trace_event *x = *(const struct trace_event *const *)a;
    const struct trace_event *y = *(const struct trace_event *const *)b;

    if (x->ev.ts_us != y->ev.ts_us)
        return x->ev.ts_us < y->ev.ts_us ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int by_first(const void *a, const void *b)
{
    const struct trace_story *x = a, *y = b;

    return by_time(&x->ev[0], &y->ev[0]);
}

static const struct trace_events *session_pool; /* for by_session: qsort has no context */

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int by_session(const void *a, const void *b)
{
    const struct event *x = &session_pool->v[*(const size_t *)a].ev;
    const struct event *y = &session_pool->v[*(const size_t *)b].ev;
    int c;

    if ((c = cmp_str(x->host, y->host)) != 0 || (c = cmp_str(x->client_ip, y->client_ip)) != 0 ||
        (c = cmp_str(x->sender, y->sender)) != 0)
        return c;
    return x->ts_us < y->ts_us ? -1 : x->ts_us > y->ts_us;
}

/* sessions - NOQUEUE events of one host, client and sender close in time: one story */
static void sessions(struct tracer *t)
{
    struct trace_events *p = &t->res->pool;
    size_t *ix = xcalloc(p->n ? p->n : 1, sizeof *ix), n = 0;

    for (size_t i = 0; i < p->n; i++)
        if (t->owner[i] != SIZE_MAX && t->m[t->owner[i]].qid == NULL)
            ix[n++] = i;
    session_pool = p;
    if (n > 1)
        qsort(ix, n, sizeof *ix, by_session);
    for (size_t k = 1; k < n; k++) {
        const struct event *a = &p->v[ix[k - 1]].ev, *b = &p->v[ix[k]].ev;
        if (same(a->host, b->host) && same(a->client_ip, b->client_ip) &&
            same(a->sender, b->sender) && b->ts_us - a->ts_us <= TRACE_SESSION_US)
            link_msgs(t, t->owner[ix[k - 1]], t->owner[ix[k]]);
    }
    free(ix);
}

/* build - group the pool's events by story, each event once, in time order */
static void build(struct tracer *t)
{
    struct trace_events *p = &t->res->pool;
    struct trace_result *r = t->res;
    size_t *story = xcalloc(t->nm ? t->nm : 1, sizeof *story);
    const struct trace_event **all = xcalloc(p->n ? p->n : 1, sizeof *all);
    size_t n = 0;

    for (size_t i = 0; i < t->nm; i++)
        story[i] = SIZE_MAX;
    for (size_t i = 0; i < p->n; i++)
        if (t->owner[i] != SIZE_MAX)
            all[n++] = &p->v[i];
    /* dedupe: the same event may come from several look-ups */
    if (n > 1)
        qsort(all, n, sizeof *all, by_time);
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)(all[i] - p->v), root = find_root(t, t->owner[k]);
        struct trace_story *st;
        if (i > 0 && all[i]->id == all[i - 1]->id)
            continue;
        if (story[root] == SIZE_MAX) {
            r->stories = xreallocarray(r->stories, r->nstories + 1, sizeof *r->stories);
            r->stories[r->nstories] = (struct trace_story){NULL, 0};
            story[root] = r->nstories++;
        }
        st = &r->stories[story[root]];
        st->ev = xreallocarray(st->ev, st->n + 1, sizeof *st->ev);
        st->ev[st->n++] = all[i];
    }
    if (r->nstories > 1)
        qsort(r->stories, r->nstories, sizeof *r->stories, by_first);
    free(all);
    free(story);
}

static int newest_first(const void *a, const void *b)
{
    const struct trace_event *x = a, *y = b;

    if (x->ev.ts_us != y->ev.ts_us)
        return x->ev.ts_us > y->ev.ts_us ? -1 : 1;
    return x->id > y->id ? -1 : x->id < y->id;
}

/*
 * search - the matching events into the pool, newest first. What no index serves is looked
 * for in growing windows back from the newest event when no period was given (see trace.h).
 */
static int search(struct tracer *t, enum trace_by by, const char *value, int64_t since,
                  int64_t until, size_t limit)
{
    static const int64_t windows[] = {1, 7, 31};
    struct trace_events *p = &t->res->pool;
    size_t rows = limit > 0 ? limit * SEARCH_ROWS_PER + 1 : 0;
    int64_t newest;

    if (since == INT64_MIN && by != TRACE_ADDRESS && by != TRACE_QUEUE_ID) {
        if (store_trace_newest(t->s, &newest, t->d) < 0)
            return -1;
        if (newest != INT64_MIN && until != INT64_MAX && newest >= until)
            newest = until - 1;
        for (size_t w = 0; newest != INT64_MIN && w < sizeof windows / sizeof windows[0]; w++) {
            int64_t back = windows[w] * 86400 * INT64_C(1000000);
            if (store_trace_find(t->s, by, value, newest + 1 - back, until, rows, p, t->d) < 0)
                return -1;
            if (p->n > 0) {
                t->res->looked_back = back;
                break;
            }
        }
    }
    if (p->n == 0 && store_trace_find(t->s, by, value, since, until, rows, p, t->d) < 0)
        return -1;
    /* several look-ups (recipient, sender, ...), each newest first: merge them */
    if (p->n > 1)
        qsort(p->v, p->n, sizeof *p->v, newest_first);
    if (rows > 0 && p->n >= rows)
        t->res->more = 1;
    return 0;
}

int trace_run(struct store *s, enum trace_by by, const char *value, int64_t since, int64_t until,
              size_t limit, struct trace_result *out, struct diag *d)
{
    struct tracer t = {s, out, NULL, 0, 0, NULL, 0, d, NULL, STRBUF_INIT, NULL, STRBUF_INIT};
    struct trace_events *p = &out->pool;
    size_t len = strlen(value);
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (store_trace_cache(s, d) < 0)
        return -1;
    if (by == TRACE_ADDRESS && len > 2 && value[0] == '<' && value[len - 1] == '>') {
        /* <x@y>: an address as logged (to=<...>), or else a Message-ID as in a header */
        char *inner = xstrndup(value + 1, len - 2);
        int found = search(&t, by, inner, since, until, limit);
        free(inner);
        if (found < 0 ||
            (p->n == 0 && search(&t, TRACE_MESSAGE_ID, value, since, until, limit) < 0))
            goto done;
    } else if (search(&t, by, value, since, until, limit) < 0) {
        goto done;
    }
    /* the messages found are made newest first: keep the first `limit` */
    own(&t, 0);
    if (limit > 0 && t.nm > limit) {
        out->more = 1;
        /* own() gave every event an owner, so there is one when there are messages (gcc's
         * -fanalyzer cannot tell: it sees no tie between nm and the owner array) */
        for (size_t i = 0; t.owner != NULL && i < p->n; i++)
            if (t.owner[i] >= limit)
                t.owner[i] = SIZE_MAX;
        t.nm = limit;
        index_msgs(&t); /* the messages cut are found no more */
    }
    out->found = t.nm;
    /* load them, then every message they bring, breadth first */
    for (size_t m = 0; m < t.nm && m < 2 * MAX_MESSAGES; m++)
        if (!t.m[m].loaded && load(&t, m) < 0)
            goto done;
    sessions(&t);
    build(&t);
    rc = 0;
done:
    free(t.m);
    free(t.owner);
    if (t.hops != NULL)
        lru_free(t.hops);
    strbuf_free(&t.hopkey);
    if (t.by_qid != NULL)
        lru_free(t.by_qid);
    strbuf_free(&t.msgkey);
    if (rc < 0)
        trace_result_free(out);
    return rc;
}

void trace_result_free(struct trace_result *r)
{
    for (size_t i = 0; i < r->nstories; i++)
        free(r->stories[i].ev);
    free(r->stories);
    store_trace_events_free(&r->pool);
    memset(r, 0, sizeof *r);
}
