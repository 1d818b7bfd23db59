/*
 * postfix - Postfix log lines to events
 *
 * SYNOPSIS
 *	extern const struct parser_ops postfix_parser;
 *
 * DESCRIPTION
 *	Reads what Postfix's daemons write through syslog (or maillog_file): smtpd, postscreen and
 *	cleanup rejections (reject, reject_warning, milter-reject, proxy-reject, hold, discard),
 *	the outcome of every delivery agent (status=sent|bounced|deferred|undeliverable...), qmgr's
 *	expiries, and postscreen's connection-level verdicts (PREGREET, HANGUP, DNSBL rank, ...).
 *
 *	Lines of one message are tied together by queue id: smtpd "client=", cleanup
 *	"message-id=", qmgr "from=, size=" and bounce "sender non-delivery notification" fill a
 *	bounded table (least recently used entries are forgotten first) that gives each delivery
 *	outcome its envelope sender, size, client and parent message. The table survives between
 *	runs through save_state/load_state, since a message's lines may straddle a log rotation.
 *
 *	A postscreen verdict is held per session ([ip]:port) until the session ends: when the
 *	session also logs a "NOQUEUE: reject", that reject is the event and the verdict is
 *	dropped, so a connection counts once.
 *
 * BUGS
 *	The grammar follows Postfix 2.x-3.10 (smtpd_check.c log_whatsup(), cleanup_act.c,
 *	smtp/lmtp/local "status=" logging). Text inside <...> that contains "> " can confuse the
 *	trailer split; such a line still yields its event, with the fields cut short.
 */
#include "parser.h"
#include "arena.h"
#include "lru.h"
#include "scan.h"
#include "smtp_reply.h"
#include "statepack.h"
#include "syslog.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PF_MAX_MESSAGES       100000
#define PF_MAX_SESSIONS       20000
#define PF_MAX_DNSBL          20000
#define PF_SESSION_TIMEOUT_US (600 * US_PER_SEC)

/*
 * PF_MSG_INLINE - bytes of a message's strings kept in the message itself: the usual client,
 * HELO, sender and Message-ID fit, so a message is one allocation instead of six (malloc and
 * free were a tenth of a dry run). A longer string, or one set again once the room is used
 * up, is allocated by itself.
 */
#define PF_MSG_INLINE 176

/* what we know about one queued message; its strings are set by message_set only */
struct pf_message {
    char *sender; /* NULL until qmgr/pickup/a trailer tells; "" for <> */
    int64_t size;
    char *client_name;
    char *client_ip;
    char *helo;
    char *message_id;
    char *parent;     /* the queue id this message is a bounce for */
    char *last_defer; /* the text of the last deferral, for the expiry */
    size_t used;      /* bytes of inl taken */
    char inl[PF_MSG_INLINE];
};

/* a postscreen verdict waiting for the end of its session */
struct pf_verdict {
    struct event ev; /* strings below are owned copies */
    char *host, *program, *client_ip, *text;
};

/* a tag and the daemon_of() it gave: a log repeats a few dozen tags (see daemon_memo) */
#define PF_TAG_SLOTS 64
#define PF_TAG_MAX   32
struct pf_tag_memo {
    size_t len; /* 0: empty */
    char tag[PF_TAG_MAX];
    int daemon;
};

struct pf_tags {
    struct pf_tag_memo slot[PF_TAG_SLOTS];
};

struct postfix_state {
    struct lru *messages; /* "host\0qid" -> pf_message */
    struct lru *sessions; /* "host\0ip:port" -> pf_verdict */
    struct lru *dnsbl;    /* "host\0ip" -> char* "zen.spamhaus.org as 127.0.0.4, ..." */
    struct arena a;
    char key[512];
    struct pf_tags tags;
};

/* one parsed line in progress */
struct pf_line {
    struct event ev;
    const char *msg;
    size_t msg_len;
    const char *host; /* NUL-terminated, "" when none */
};

/* -------------------------------------------------------------------- helpers */

/* in_message - 1 when s lies in m's own bytes (then it is not freed by itself) */
static int in_message(const struct pf_message *m, const char *s)
{
    return (uintptr_t)s - (uintptr_t)m->inl < sizeof m->inl;
}

/* message_forget - free the string at *slot unless it lies in m */
static void message_forget(struct pf_message *m, char **slot)
{
    if (*slot != NULL && !in_message(m, *slot))
        free(*slot);
    *slot = NULL;
}

static void free_message(void *p)
{
    struct pf_message *m = p;

    message_forget(m, &m->sender);
    message_forget(m, &m->client_name);
    message_forget(m, &m->client_ip);
    message_forget(m, &m->helo);
    message_forget(m, &m->message_id);
    message_forget(m, &m->parent);
    message_forget(m, &m->last_defer);
    free(m);
}

/* message_new - a message that knows nothing yet */
static struct pf_message *message_new(void)
{
    struct pf_message *m = xmalloc(sizeof *m);

    m->sender = m->client_name = m->client_ip = m->helo = NULL;
    m->message_id = m->parent = m->last_defer = NULL;
    m->size = -1;
    m->used = 0;
    return m;
}

/* message_set - set m's string *slot (one of its fields) to a copy of p[0..n) */
static void message_set(struct pf_message *m, char **slot, const char *p, size_t n)
{
    char *d;

    /* copied before the old value goes, in case p lies in it */
    if (n < sizeof m->inl - m->used) {
        d = m->inl + m->used;
        memcpy(d, p, n);
        d[n] = '\0';
        m->used += n + 1;
    } else {
        d = xstrndup(p, n);
    }
    message_forget(m, slot);
    *slot = d;
}

static void free_verdict(void *p)
{
    struct pf_verdict *v = p;

    free(v->host);
    free(v->program);
    free(v->client_ip);
    free(v->text);
    free(v);
}

/* make_keyn - "host\0id" in st->key; returns its length, 0 when it does not fit */
static size_t make_keyn(struct postfix_state *st, const char *host, size_t hl, const char *id,
                        size_t idlen)
{
    /* neither sum can wrap: a hostile host name or id is as long as the line */
    if (hl >= sizeof st->key || idlen > sizeof st->key - hl - 1)
        return 0;
    memcpy(st->key, host, hl);
    st->key[hl] = '\0';
    memcpy(st->key + hl + 1, id, idlen);
    return hl + 1 + idlen;
}

/* make_key - the same for a NUL-terminated host */
static size_t make_key(struct postfix_state *st, const char *host, const char *id, size_t idlen)
{
    return make_keyn(st, host, strlen(host), id, idlen);
}

/* message_getn - the table entry of queue id qid on host[0..hl); created when asked and absent */
static struct pf_message *message_getn(struct postfix_state *st, const char *host, size_t hl,
                                       const char *qid, size_t qlen, int create)
{
    size_t k = make_keyn(st, host, hl, qid, qlen);
    struct pf_message *m;

    if (k == 0)
        return NULL;
    m = lru_get(st->messages, st->key, k);
    if (m == NULL && create) {
        m = message_new();
        lru_put(st->messages, st->key, k, m);
    }
    return m;
}

/* message_get - the same for a NUL-terminated host */
static struct pf_message *message_get(struct postfix_state *st, const char *host, const char *qid,
                                      size_t qlen, int create)
{
    return message_getn(st, host, strlen(host), qid, qlen, create);
}

/*
 * The bytes of queue ids, a bit each: 1 short id (0-9, A-F), 2 long id (digits and letters but
 * vowels; 'z' separates the parts and is looked for by itself), 4 ASCII letter or digit. One
 * lookup a byte instead of three comparisons: every queued line starts with an id.
 */
enum { QID_SHORT = 1, QID_LONG = 2, QID_ALNUM = 4 };
static const unsigned char qid_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 10 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 20 */
    7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 0, 0, 0, /* 30: 0-9 */
    0, 5, 7, 7, 7, 5, 7, 6, 6, 4, 6, 6, 6, 6, 6, 4, /* 40: A-O */
    6, 6, 6, 6, 6, 4, 6, 6, 6, 6, 6, 0, 0, 0, 0, 0, /* 50: P-Z */
    0, 4, 6, 6, 6, 4, 6, 6, 6, 4, 6, 6, 6, 6, 6, 4, /* 60: a-o */
    6, 6, 6, 6, 6, 4, 6, 6, 6, 6, 4, 0, 0, 0, 0, 0, /* 70: p-z */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 80 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 90 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* a0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* b0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* c0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* d0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* e0 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* f0 */
};

/*
 * short_id_span - how many bytes of u[0..n) from the start are a short id's (0-9, A-F), up to
 * 20. Every line of a queued message starts with one (ten to twelve bytes): sixteen are
 * looked at at once, where the line has them.
 */
static size_t short_id_span(const unsigned char *u, size_t n)
{
    size_t i = 0;

#if defined(__SSE2__)
    if (n >= 16) {
        const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)u);
        const __m128i digit = _mm_sub_epi8(x, _mm_set1_epi8('0'));
        const __m128i hex = _mm_sub_epi8(x, _mm_set1_epi8('A'));
        /* x - '0' <= 9 or x - 'A' <= 5, unsigned */
        const __m128i in =
            _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(digit, _mm_set1_epi8(9)), digit),
                         _mm_cmpeq_epi8(_mm_min_epu8(hex, _mm_set1_epi8(5)), hex));
        unsigned out = ~(unsigned)_mm_movemask_epi8(in) & 0xffff;
        if (out != 0)
            return (size_t)__builtin_ctz(out);
        i = 16;
    }
#endif
    while (i < n && i < 20 && (qid_class[u[i]] & QID_SHORT))
        i++;
    return i;
}

/* queue_id_len - length of a Postfix queue id at p, 0 when there is none */
static size_t queue_id_len(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t i = short_id_span(u, n), z = 0;

    if (i >= 5 && (i == n || !(qid_class[u[i]] & QID_ALNUM)))
        return i;
    for (i = 0; i < n && i < 32; i++) {
        if (u[i] == 'z' && z == 0 && i >= 6)
            z = i;
        else if (!(qid_class[u[i]] & QID_LONG))
            break;
    }
    if (z > 0 && i > z + 1 && (i == n || !(qid_class[u[i]] & QID_ALNUM)))
        return i;
    return 0;
}

/*
 * client_spans - the name and the address of "name[ip]" or "[ip]:port" at p[0..n), each NULL
 * when the text has none (no brackets, or nothing before or between them)
 */
static void client_spans(const char *p, size_t n, const char **name, size_t *name_len,
                         const char **ip, size_t *ip_len)
{
    const char *lb = memchr(p, '[', n);
    const char *rb = lb != NULL ? memchr(lb, ']', n - (size_t)(lb - p)) : NULL;

    *name = *ip = NULL;
    *name_len = *ip_len = 0;
    if (rb == NULL)
        return;
    if (lb > p)
        *name = p, *name_len = (size_t)(lb - p);
    if (rb > lb + 1)
        *ip = lb + 1, *ip_len = (size_t)(rb - lb - 1);
}

/* split_client - the same into ev's client fields, copied into the arena */
static void split_client(struct postfix_state *st, const char *p, size_t n, struct event *ev)
{
    const char *name, *ip;
    size_t name_len, ip_len;

    client_spans(p, n, &name, &name_len, &ip, &ip_len);
    if (name != NULL)
        ev->client_name = arena_copy(&st->a, name, name_len);
    if (ip != NULL)
        ev->client_ip = arena_copy(&st->a, ip, ip_len);
}

/*
 * angle_end - the offset of the '>' that closes the "<...>" at p[0..n): the first one followed
 * by a separator or the end; 0 when there is none. memchr finds the candidates: an address is
 * read on every delivery, and a byte at a time was 2 % of a dry run.
 */
static size_t angle_end(const char *p, size_t n)
{
    const char *end = p + n;

    for (const char *q = p + 1; q < end; q++) {
        if ((q = memchr(q, '>', (size_t)(end - q))) == NULL)
            return 0;
        if (q + 1 == end || q[1] == ' ' || q[1] == ',' || q[1] == ':' || q[1] == ';')
            return (size_t)(q - p);
    }
    return 0;
}

/*
 * find_by - the first lit in p[0..n), as scan_find, but memchr looks for lit's byte rare: in
 * delivery texts a literal's first byte is often a space, which stops memchr at every word.
 * rare must be in lit, a string literal: its length and rare's place in it are constants
 * (a delivery line asks up to eight times; strlen and strchr each time cost more than memchr).
 */
#define find_by(p, n, lit, rare)  find_lit((p), (n), (lit), sizeof(lit) - 1, rare_at(lit, rare))
#define rfind_by(p, n, lit, rare) rfind_lit((p), (n), (lit), sizeof(lit) - 1, rare_at(lit, rare))
#define rare_at(lit, rare)        ((size_t)(strchr((lit), (rare)) - (lit)))

/* find_lit - find_by's work: lit (m bytes) at q has its rare byte lit[k] at q + k */
static const char *find_lit(const char *p, size_t n, const char *lit, size_t m, size_t k)
{
    const char rare = lit[k];

    if (n < m)
        return NULL;
    for (const char *c = p + k, *last = p + (n - m) + k; c <= last; c++) {
        c = memchr(c, rare, (size_t)(last - c) + 1);
        if (c == NULL)
            return NULL;
        if (memcmp(c - k, lit, m) == 0)
            return c - k;
    }
    return NULL;
}

/* rfind_lit - the last lit in p[0..n) (rfind_by), found forward by its rare byte: a byte at a
 * time from the end cost more than memchr over a text without that byte */
static const char *rfind_lit(const char *p, size_t n, const char *lit, size_t m, size_t k)
{
    const char *last = NULL, *w;

    for (w = find_lit(p, n, lit, m, k); w != NULL;
         w = find_lit(w + 1, n - (size_t)(w + 1 - p), lit, m, k))
        last = w;
    return last;
}

/* ------------------------------------------------ the "; from=<> to=<> ..." trailer */

struct trailer {
    const char *from, *to, *proto, *helo;
    size_t from_len, to_len, proto_len, helo_len;
    int has_from, has_to, has_helo;
    const char *after; /* cleanup: ": reply" after the trailer */
    size_t after_len;
};

/*
 * parse_trailer - read "from=<s> to=<r> proto=P helo=<h>" (space- or comma-separated) at
 * p[0..n). Stops at ": " after a field (cleanup puts the reply there).
 */
static void parse_trailer(const char *p, size_t n, struct trailer *t)
{
    size_t i = 0;

    memset(t, 0, sizeof *t);
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == ','))
            i++;
        if (i + 1 < n && p[i] == ':' && p[i + 1] == ' ') {
            t->after = p + i + 2;
            t->after_len = n - i - 2;
            return;
        }
        const char *eq = memchr(p + i, '=', n - i);
        if (eq == NULL)
            return;
        const char *key = p + i;
        size_t klen = (size_t)(eq - key), vstart = (size_t)(eq - p) + 1, vend;
        if (memchr(key, ' ', klen) != NULL)
            return;
        if (vstart < n && p[vstart] == '<') {
            size_t e = angle_end(p + vstart, n - vstart);
            if (e == 0) { /* cut short: take the rest */
                vend = n;
                vstart++;
                i = n;
            } else {
                vend = vstart + e;
                vstart++;
                i = vend + 1;
            }
        } else {
            vend = vstart;
            while (vend < n && p[vend] != ' ' && p[vend] != ',' &&
                   !(p[vend] == ':' && vend + 1 < n && p[vend + 1] == ' '))
                vend++;
            i = vend;
        }
        const char *v = p + vstart;
        size_t vlen = vend > vstart ? vend - vstart : 0;
        if (klen == 4 && memcmp(key, "from", 4) == 0) {
            t->from = v, t->from_len = vlen, t->has_from = 1;
        } else if (klen == 2 && memcmp(key, "to", 2) == 0) {
            t->to = v, t->to_len = vlen, t->has_to = 1;
        } else if (klen == 5 && memcmp(key, "proto", 5) == 0) {
            t->proto = v, t->proto_len = vlen;
        } else if (klen == 4 && memcmp(key, "helo", 4) == 0) {
            t->helo = v, t->helo_len = vlen, t->has_helo = 1;
        }
    }
}

/* find_trailer - where "; from=<" (or "; to=<", "; proto=") starts in p[0..n), or NULL */
static const char *find_trailer(const char *p, size_t n)
{
    const char *t;

    if ((t = rfind_by(p, n, "; from=<", ';')) != NULL)
        return t;
    if ((t = rfind_by(p, n, "; to=<", ';')) != NULL)
        return t;
    return rfind_by(p, n, "; proto=", ';');
}

/* apply_trailer - copy the trailer's addresses into the event */
static void apply_trailer(struct postfix_state *st, const struct trailer *t, struct event *ev)
{
    if (t->has_from)
        ev->sender = arena_copy(&st->a, t->from, t->from_len);
    if (t->has_to)
        ev->recipient = arena_copy(&st->a, t->to, t->to_len);
    if (t->has_helo)
        ev->helo = arena_copy(&st->a, t->helo, t->helo_len);
}

/*
 * apply_reply_parsed - parse a reply into code, status and joined text; known, when not NULL,
 * is p[0..n) parsed already (used when no trailing space is cut off)
 */
static void apply_reply_parsed(struct postfix_state *st, const char *p, size_t n,
                               const struct smtp_reply *known, struct event *ev)
{
    struct smtp_reply r;
    char *text;
    size_t whole = n;

    while (n > 0 && p[n - 1] == ' ')
        n--;
    if (known != NULL && n == whole)
        r = *known;
    else
        smtp_reply_parse(p, n, &r);
    ev->reply_code = r.code;
    if (r.status[0])
        ev->status = arena_copy(&st->a, r.status, strlen(r.status));
    text = arena_alloc(&st->a, r.text_len);
    smtp_reply_join(&r, text);
    ev->text = text;
}

/* apply_reply - the same for a reply not parsed yet */
static void apply_reply(struct postfix_state *st, const char *p, size_t n, struct event *ev)
{
    apply_reply_parsed(st, p, n, NULL, ev);
}

/* fill_from_message - complete an event with what the queue id's table entry knows */
static void fill_from_message(const struct pf_message *m, struct event *ev)
{
    if (m == NULL)
        return;
    if (ev->sender == NULL)
        ev->sender = m->sender;
    if (ev->size < 0)
        ev->size = m->size;
    if (ev->client_name == NULL)
        ev->client_name = m->client_name;
    if (ev->client_ip == NULL)
        ev->client_ip = m->client_ip;
    if (ev->helo == NULL)
        ev->helo = m->helo;
    if (ev->message_id == NULL)
        ev->message_id = m->message_id;
    if (ev->parent_queue_id == NULL)
        ev->parent_queue_id = m->parent;
}

/* remember_client - keep a queued message's client and envelope for its later lines */
static void remember_client(struct postfix_state *st, struct pf_line *pl)
{
    struct pf_message *m;
    const struct event *ev = &pl->ev;

    if (ev->queue_id == NULL)
        return;
    m = message_get(st, pl->host, ev->queue_id, strlen(ev->queue_id), 1);
    if (m == NULL)
        return;
    if (ev->client_ip && m->client_ip == NULL)
        message_set(m, &m->client_ip, ev->client_ip, strlen(ev->client_ip));
    if (ev->client_name && m->client_name == NULL)
        message_set(m, &m->client_name, ev->client_name, strlen(ev->client_name));
    if (ev->helo && m->helo == NULL)
        message_set(m, &m->helo, ev->helo, strlen(ev->helo));
    if (ev->sender && m->sender == NULL)
        message_set(m, &m->sender, ev->sender, strlen(ev->sender));
}

/* ------------------------------------------------------ rejections (smtpd & co) */

static const struct {
    const char *word;
    enum event_kind kind; /* EVENT_KIND_NONE: understood, not an event */
} actions[] = {
    {"reject", EVENT_REJECT},
    {"reject_warning", EVENT_REJECT_WARNING},
    {"milter-reject", EVENT_REJECT},
    {"proxy-reject", EVENT_REJECT},
    {"hold", EVENT_HOLD},
    {"milter-hold", EVENT_HOLD},
    {"discard", EVENT_DISCARD},
    {"milter-discard", EVENT_DISCARD},
    {"filter", EVENT_KIND_NONE},
    {"redirect", EVENT_KIND_NONE},
    {"warning", EVENT_KIND_NONE},
    {"info", EVENT_KIND_NONE},
    {"prepend", EVENT_KIND_NONE},
    {"replace", EVENT_KIND_NONE},
    {"proxy-accept", EVENT_KIND_NONE},
    {"milter-header-redirect", EVENT_KIND_NONE},
    {"milter-redirect", EVENT_KIND_NONE},
    {"strip", EVENT_KIND_NONE},
    {"bcc", EVENT_KIND_NONE},
    {"dunno", EVENT_KIND_NONE},
};

/* find_action - the action word at p ("reject: ..."); its index, or -1 */
static int find_action(const char *p, size_t n, size_t *consumed)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        size_t m = strlen(actions[i].word);
        if (n > m + 1 && memcmp(p, actions[i].word, m) == 0 && p[m] == ':' && p[m + 1] == ' ') {
            *consumed = m + 2;
            return (int)i;
        }
    }
    return -1;
}

/*
 * parse_action_line - "<action>: <STAGE> from <client>: <reply>; <trailer>" and the cleanup and
 * proxy forms; p[0..n) is what follows "QID: " or "NOQUEUE: ".
 */
static enum line_result parse_action_line(struct postfix_state *st, struct parse_ctx *ctx,
                                          struct pf_line *pl, const char *p, size_t n)
{
    struct event *ev = &pl->ev;
    struct trailer t;
    size_t used;
    int a = find_action(p, n, &used);
    const char *rest, *tr, *from;
    size_t rest_len;

    if (a < 0) {
        /* "NOQUEUE: lost connection after ..." is news, not an action */
        const char *colon = memchr(p, ':', n);
        if (colon == NULL || memchr(p, ' ', (size_t)(colon - p)) != NULL)
            return LINE_INFO;
        ctx->why = "unknown postfix action";
        return LINE_UNPARSED;
    }
    if (actions[a].kind == EVENT_KIND_NONE)
        return LINE_INFO;
    ev->kind = actions[a].kind;
    ev->direction = DIRECTION_INBOUND;
    rest = p + used;
    rest_len = n - used;

    if (scan_prefix(rest, rest_len, "header ") || scan_prefix(rest, rest_len, "body ")) {
        /* cleanup: "header Name: value from client; from=<> to=<> ...: reply" */
        ev->stage = rest[0] == 'h' ? STAGE_HEADER : STAGE_BODY;
        tr = rfind_by(rest, rest_len, "; from=<", ';');
        if (tr == NULL) {
            ctx->why = "cleanup action without from=";
            return LINE_UNPARSED;
        }
        from = scan_rfind(rest, (size_t)(tr - rest), " from ");
        if (from != NULL)
            split_client(st, from + 6, (size_t)(tr - from - 6), ev);
        parse_trailer(tr + 2, rest_len - (size_t)(tr + 2 - rest), &t);
        apply_trailer(st, &t, ev);
        if (t.after != NULL)
            apply_reply(st, t.after, t.after_len, ev);
        else
            ev->text = arena_copy(&st->a, "", 0);
        return LINE_EVENT;
    }

    /* "END-OF-MESSAGE: reply; trailer" (proxy-reject) */
    if (scan_prefix(rest, rest_len, "END-OF-MESSAGE: ")) {
        ev->stage = STAGE_EOM;
        rest += 16;
        rest_len -= 16;
    } else {
        /* "STAGE from client: reply; trailer" */
        const char *sp = memchr(rest, ' ', rest_len);
        const char *colon;
        if (sp == NULL || !scan_prefix(sp, rest_len - (size_t)(sp - rest), " from ")) {
            ctx->why = "action without 'STAGE from'";
            return LINE_UNPARSED;
        }
        ev->stage = smtp_stage_of_command(rest, (size_t)(sp - rest));
        rest_len -= (size_t)(sp + 6 - rest);
        rest = sp + 6;
        /* the client ends at "]: " (smtpd) or "]:port: " (postscreen) */
        colon = scan_find(rest, rest_len, ": ");
        while (colon != NULL && memchr(rest, ']', (size_t)(colon - rest)) == NULL)
            colon = scan_find(colon + 1, rest_len - (size_t)(colon + 1 - rest), ": ");
        if (colon == NULL) {
            split_client(st, rest, rest_len, ev);
            ctx->why = "action line cut short";
            return LINE_UNPARSED;
        }
        split_client(st, rest, (size_t)(colon - rest), ev);
        rest_len -= (size_t)(colon + 2 - rest);
        rest = colon + 2;
    }
    tr = find_trailer(rest, rest_len);
    if (tr != NULL) {
        parse_trailer(tr + 2, rest_len - (size_t)(tr + 2 - rest), &t);
        apply_trailer(st, &t, ev);
        apply_reply(st, rest, (size_t)(tr - rest), ev);
    } else {
        apply_reply(st, rest, rest_len, ev); /* a truncated line: no trailer */
    }
    return LINE_EVENT;
}

/* handle_queued_action - "QID: reject: ..." or "NOQUEUE: reject: ..."; emits the event */
static enum line_result handle_action(struct postfix_state *st, struct parse_ctx *ctx,
                                      struct pf_line *pl, const char *p, size_t n)
{
    enum line_result r = parse_action_line(st, ctx, pl, p, n);

    if (r != LINE_EVENT)
        return r;
    if (pl->ev.queue_id != NULL) {
        remember_client(st, pl);
        fill_from_message(message_get(st, pl->host, pl->ev.queue_id, strlen(pl->ev.queue_id), 0),
                          &pl->ev);
    }
    if (parse_emit(ctx, &pl->ev) < 0)
        return LINE_ABORT;
    /*
     * A message refused or discarded whole (at the end of DATA, or by cleanup's header and body
     * checks) never reaches the queue manager, whose "removed" ends the others: forget it now,
     * or it would sit in the table until evicted (2,000 a million lines of a busy MX).
     */
    if (pl->ev.queue_id != NULL && pl->ev.stage >= STAGE_DATA &&
        (pl->ev.kind == EVENT_REJECT || pl->ev.kind == EVENT_DISCARD)) {
        size_t k = make_key(st, pl->host, pl->ev.queue_id, strlen(pl->ev.queue_id));
        if (k)
            lru_del(st->messages, st->key, k);
    }
    return LINE_EVENT;
}

/* ------------------------------------------------------------ postscreen */

static void session_key_for(const char *p, size_t n, const char **ip, size_t *iplen,
                            const char **key, size_t *klen)
{
    /* "[ip]:port" at p */
    const char *rb;

    *ip = NULL;
    *iplen = 0;
    *key = NULL;
    *klen = 0;
    if (n < 3 || p[0] != '[' || (rb = memchr(p, ']', n)) == NULL)
        return;
    *ip = p + 1;
    *iplen = (size_t)(rb - p - 1);
    size_t k = (size_t)(rb - p) + 1;
    if (k < n && p[k] == ':')
        while (++k < n && isdigit((unsigned char)p[k]))
            ;
    *key = p;
    *klen = k;
}

static int emit_verdict(struct parse_ctx *ctx, struct pf_verdict *v)
{
    v->ev.host = v->host;
    v->ev.program = v->program;
    v->ev.client_ip = v->client_ip;
    v->ev.text = v->text;
    v->ev.mta = "postfix";
    return parse_emit(ctx, &v->ev);
}

/* end_session - the session at key is over: its verdict, if any, becomes an event */
static int end_session(struct postfix_state *st, struct parse_ctx *ctx, const char *host,
                       const char *key, size_t klen, int emit)
{
    size_t k = make_key(st, host, key, klen);
    struct pf_verdict *v;
    int rc = 0;

    if (k == 0 || (v = lru_get(st->sessions, st->key, k)) == NULL)
        return 0;
    if (emit)
        rc = emit_verdict(ctx, v);
    lru_del(st->sessions, st->key, k);
    return rc;
}

/* expire_sessions - sessions silent for too long are over */
static int expire_sessions(struct postfix_state *st, struct parse_ctx *ctx, int64_t now_us)
{
    const char *key;
    size_t klen;
    struct pf_verdict *v;

    while ((v = lru_oldest(st->sessions, &key, &klen)) != NULL &&
           v->ev.ts_us < now_us - PF_SESSION_TIMEOUT_US) {
        char copy[512];
        memcpy(copy, key, klen);
        if (emit_verdict(ctx, v) < 0)
            return -1;
        lru_del(st->sessions, copy, klen);
    }
    return 0;
}

static const char *const verdict_words[] = {
    "PREGREET ",
    "HANGUP ",
    "DNSBL rank ",
    "COMMAND TIME LIMIT ",
    "COMMAND COUNT LIMIT ",
    "COMMAND LENGTH LIMIT ",
    "NON-SMTP COMMAND ",
    "BARE NEWLINE ",
    "COMMAND PIPELINING ",
};

static enum line_result handle_postscreen(struct postfix_state *st, struct parse_ctx *ctx,
                                          struct pf_line *pl)
{
    const char *p = pl->msg, *at, *ip, *key;
    size_t n = pl->msg_len, iplen, klen;

    if (expire_sessions(st, ctx, pl->ev.ts_us) < 0)
        return LINE_ABORT;
    if (scan_prefix(p, n, "NOQUEUE: ")) {
        enum line_result r = parse_action_line(st, ctx, pl, p + 9, n - 9);
        if (r != LINE_EVENT)
            return r;
        at = scan_find(p, n, " from [");
        if (at != NULL) {
            session_key_for(at + 6, n - (size_t)(at + 6 - p), &ip, &iplen, &key, &klen);
            if (key != NULL)
                end_session(st, ctx, pl->host, key, klen, 0);
        }
        return parse_emit(ctx, &pl->ev) < 0 ? LINE_ABORT : LINE_EVENT;
    }
    if (scan_prefix(p, n, "CONNECT from ") || scan_prefix(p, n, "DISCONNECT ") ||
        scan_prefix(p, n, "PASS NEW ") || scan_prefix(p, n, "PASS OLD ")) {
        at = memchr(p, '[', n);
        if (at != NULL) {
            session_key_for(at, n - (size_t)(at - p), &ip, &iplen, &key, &klen);
            if (key != NULL && end_session(st, ctx, pl->host, key, klen, 1) < 0)
                return LINE_ABORT;
        }
        return LINE_INFO;
    }
    for (size_t i = 0; i < sizeof verdict_words / sizeof verdict_words[0]; i++) {
        if (!scan_prefix(p, n, verdict_words[i]))
            continue;
        at = memchr(p, '[', n);
        if (at == NULL) {
            ctx->why = "postscreen verdict without client";
            return LINE_UNPARSED;
        }
        session_key_for(at, n - (size_t)(at - p), &ip, &iplen, &key, &klen);
        size_t k = key ? make_key(st, pl->host, key, klen) : 0;
        if (k == 0) {
            ctx->why = "postscreen verdict without client";
            return LINE_UNPARSED;
        }
        struct pf_verdict *old = lru_get(st->sessions, st->key, k);
        int is_dnsbl = i == 2;
        if (old != NULL && !(is_dnsbl && !scan_prefix(old->text, strlen(old->text), "DNSBL")))
            return LINE_INFO; /* the session already has its verdict */
        struct pf_verdict *v = xcalloc(1, sizeof *v);
        v->ev = pl->ev;
        v->ev.kind = EVENT_REJECT;
        v->ev.direction = DIRECTION_INBOUND;
        v->ev.stage = STAGE_CONNECT;
        v->host = xstrdup(pl->host);
        v->program = xstrdup(pl->ev.program);
        v->client_ip = xstrndup(ip, iplen);
        {
            struct strbuf sb = STRBUF_INIT;
            strbuf_append(&sb, p, n);
            if (is_dnsbl) {
                size_t dk = make_key(st, pl->host, ip, iplen);
                const char *lists = dk ? lru_get(st->dnsbl, st->key, dk) : NULL;
                if (lists != NULL)
                    strbuf_printf(&sb, " (listed by %s)", lists);
                k = make_key(st, pl->host, key, klen); /* st->key was reused */
            }
            v->text = strbuf_detach(&sb);
        }
        lru_put(st->sessions, st->key, k, v);
        return LINE_INFO;
    }
    return LINE_INFO; /* WHITELISTED, cache cleanup, warnings, ... */
}

/* handle_dnsblog - "addr IP listed by domain LIST as 127.0.0.N": remembered for the verdict */
static enum line_result handle_dnsblog(struct postfix_state *st, struct pf_line *pl)
{
    const char *p = pl->msg, *by, *as;
    size_t n = pl->msg_len;

    /* both searches start after what comes before: "addr listed by domain " has no address,
     * "listed by domain as 127.0.0.2" no list */
    if (!scan_prefix(p, n, "addr ") || (by = scan_find(p + 5, n - 5, " listed by domain ")) == NULL)
        return LINE_INFO;
    const char *ip = p + 5, *list = by + 18;
    as = scan_find(list, n - (size_t)(list - p), " as ");
    size_t iplen = (size_t)(by - ip);
    size_t listlen = as ? (size_t)(as - list) : n - (size_t)(list - p);
    size_t k = make_key(st, pl->host, ip, iplen);
    if (k == 0)
        return LINE_INFO;
    const char *old = lru_get(st->dnsbl, st->key, k);
    struct strbuf sb = STRBUF_INIT;
    if (old != NULL && strlen(old) < 1024) {
        strbuf_puts(&sb, old);
        strbuf_puts(&sb, ", ");
    }
    strbuf_append(&sb, list, listlen);
    if (as != NULL) {
        strbuf_puts(&sb, " as ");
        strbuf_append(&sb, as + 4, n - (size_t)(as + 4 - p));
    }
    lru_put(st->dnsbl, st->key, k, strbuf_detach(&sb));
    return LINE_INFO;
}

/* ------------------------------------------------------------------ delivery agents */

/* text_stage - the stage a delivery agent's diagnostic names ("while sending RCPT TO") */
static enum smtp_stage text_stage(const char *p, size_t n)
{
    const char *w;

    if ((w = rfind_by(p, n, "(in reply to ", '(')) != NULL)
        return smtp_stage_of_command(w + 13, n - (size_t)(w + 13 - p));
    if ((w = find_by(p, n, " while sending ", 'w')) != NULL) {
        w += 15;
        if (scan_prefix(w, n - (size_t)(w - p), "message body"))
            return STAGE_DATA;
        if (scan_prefix(w, n - (size_t)(w - p), "end of data"))
            return STAGE_EOM;
        return smtp_stage_of_command(w, n - (size_t)(w - p));
    }
    if (find_by(p, n, "initial server greeting", 'v') != NULL || scan_prefix(p, n, "connect to ") ||
        find_by(p, n, ": connect to ", ':') != NULL ||
        find_by(p, n, "refused to talk to me", 'k') != NULL)
        return STAGE_CONNECT;
    /* "while performing the EHLO handshake", or HELO, or LHLO */
    for (w = find_by(p, n, "while performing the ", 'w'); w != NULL;
         w = find_by(w + 1, n - (size_t)(w + 1 - p), "while performing the ", 'w')) {
        const char *x = w + 21;
        size_t xn = n - (size_t)(x - p);
        if (scan_prefix(x, xn, "EHLO handshake") || scan_prefix(x, xn, "HELO handshake") ||
            scan_prefix(x, xn, "LHLO handshake"))
            return STAGE_HELO;
    }
    return STAGE_NONE;
}

/*
 * apply_diagnostic - "host H[ip] said: 550-5.7.1 ... (in reply to end of DATA command)" or a
 * local text: sets stage, code, status (when dsn= gave none) and the joined text.
 */
static void apply_diagnostic(struct postfix_state *st, const char *p, size_t n, struct event *ev)
{
    const char *said = NULL;
    size_t said_len = 0;
    struct smtp_reply r;
    int parsed = 0;

    ev->stage = text_stage(p, n);
    if (scan_prefix(p, n, "host ")) {
        const char *w = find_by(p, n, " said: ", ':');
        size_t skip = 7;
        if (w == NULL) {
            w = find_by(p, n, " refused to talk to me: ", 'k');
            skip = 24;
        }
        if (w != NULL) {
            said = w + skip;
            said_len = n - (size_t)(said - p);
        }
    }
    if (said == NULL) {
        /* "250 2.0.0 Ok: queued as X": a reply without "host ... said" */
        smtp_reply_parse(p, n, &r);
        if (r.code != 0) {
            said = p;
            said_len = n;
            parsed = 1;
        }
    }
    if (said != NULL) {
        const char *ir;
        if (scan_suffix(said, said_len, " command)") &&
            (ir = rfind_by(said, said_len, " (in reply to ", '(')) != NULL)
            said_len = (size_t)(ir - said);
        const char *dsn = ev->status;
        /* a reply parsed above is parsed again only when " (in reply to ...)" is cut off */
        apply_reply_parsed(st, said, said_len, parsed && said_len == n ? &r : NULL, ev);
        if (dsn != NULL) /* Postfix's dsn= is the final word on the status */
            ev->status = dsn;
        return;
    }
    ev->text = arena_copy(&st->a, p, n);
}

static const struct {
    const char *word;
    enum event_kind kind;
} statuses[] = {
    {"sent", EVENT_DELIVER},
    {"bounced", EVENT_BOUNCE},
    {"deferred", EVENT_DEFER},
    {"expired", EVENT_EXPIRE},
    {"undeliverable-but-not-cached", EVENT_BOUNCE},
    {"undeliverable", EVENT_BOUNCE},
    {"deliverable-but-not-cached", EVENT_DELIVER},
    {"deliverable", EVENT_DELIVER},
    {"SOFTBOUNCE", EVENT_DEFER},
};

/* handle_delivery - "to=<r>, [orig_to=<o>,] relay=R, ..., dsn=X, status=WORD (TEXT)" */
static enum line_result handle_delivery(struct postfix_state *st, struct parse_ctx *ctx,
                                        struct pf_line *pl, const char *p, size_t n, int is_discard)
{
    struct event *ev = &pl->ev;
    const char *status_at = find_by(p, n, "status=", 'u');
    size_t i = 0;

    if (status_at == NULL) {
        ctx->why = "delivery line without status=";
        return LINE_UNPARSED;
    }
    ev->direction = DIRECTION_OUTBOUND;
    /* the comma-separated fields before status= */
    while (p + i < status_at) {
        const char *eq = p + i; /* keys are short: a byte at a time beats a call to memchr */
        while (eq < status_at && *eq != '=')
            eq++;
        if (eq == status_at)
            break;
        const char *key = p + i;
        size_t klen = (size_t)(eq - key), vs = (size_t)(eq - p) + 1, ve;
        if (vs < n && p[vs] == '<') {
            size_t e = angle_end(p + vs, (size_t)(status_at - p) - vs);
            if (e == 0) {
                ctx->why = "delivery address not closed";
                return LINE_UNPARSED;
            }
            ve = vs + e;
            vs++;
            i = ve + 1;
        } else {
            /* relay= and delays= are long: memchr, not a byte at a time */
            const char *comma = memchr(p + vs, ',', (size_t)(status_at - p) - vs);
            ve = comma != NULL ? (size_t)(comma - p) : (size_t)(status_at - p);
            i = ve;
        }
        while (p + i < status_at && (p[i] == ',' || p[i] == ' '))
            i++;
        const char *v = p + vs;
        size_t vlen = ve - vs;
        if (klen == 2 && memcmp(key, "to", 2) == 0)
            ev->recipient = arena_copy(&st->a, v, vlen);
        else if (klen == 7 && memcmp(key, "orig_to", 7) == 0)
            ev->orig_recipient = arena_copy(&st->a, v, vlen);
        else if (klen == 5 && memcmp(key, "relay", 5) == 0)
            ev->relay = arena_copy(&st->a, v, vlen);
        else if (klen == 3 && memcmp(key, "dsn", 3) == 0 && smtp_status_valid(v, vlen))
            ev->status = arena_copy(&st->a, v, vlen);
    }
    /* status=WORD (TEXT) */
    const char *w = status_at + 7;
    size_t wl = n - (size_t)(w - p), word_len = 0;
    while (word_len < wl && w[word_len] != ' ' && w[word_len] != ',')
        word_len++;
    ev->kind = EVENT_KIND_NONE;
    for (size_t s = 0; s < sizeof statuses / sizeof statuses[0]; s++)
        if (word_len == strlen(statuses[s].word) && memcmp(w, statuses[s].word, word_len) == 0) {
            ev->kind = statuses[s].kind;
            break;
        }
    if (ev->kind == EVENT_KIND_NONE) {
        ctx->why = "unknown delivery status";
        return LINE_UNPARSED;
    }
    if (is_discard && ev->kind == EVENT_DELIVER)
        ev->kind = EVENT_DISCARD;
    const char *open = memchr(w + word_len, '(', wl - word_len);
    if (open != NULL) {
        size_t tl = n - (size_t)(open + 1 - p);
        if (tl > 0 && open[tl] == ')')
            tl--;
        apply_diagnostic(st, open + 1, tl, ev);
    }
    struct pf_message *m = message_get(st, pl->host, ev->queue_id, strlen(ev->queue_id), 0);
    fill_from_message(m, ev);
    if (ev->kind == EVENT_DEFER && ev->text != NULL) {
        if (m == NULL)
            m = message_get(st, pl->host, ev->queue_id, strlen(ev->queue_id), 1);
        if (m != NULL)
            message_set(m, &m->last_defer, ev->text, strlen(ev->text));
    }
    return parse_emit(ctx, ev) < 0 ? LINE_ABORT : LINE_EVENT;
}

/* ------------------------------------------------------------------ qmgr, cleanup, ... */

/* field_value - the value of "key=" in p[0..n) (angle brackets removed), or NULL */
static const char *field_value(const char *p, size_t n, const char *key, size_t *vlen)
{
    const char *k = scan_find(p, n, key);
    size_t klen = strlen(key), rest;

    while (k != NULL && k != p && k[-1] != ' ' && k[-1] != ',')
        k = scan_find(k + 1, n - (size_t)(k + 1 - p), key);
    if (k == NULL)
        return NULL;
    k += klen;
    rest = n - (size_t)(k - p);
    if (rest > 0 && k[0] == '<') {
        size_t e = angle_end(k, rest);
        if (e == 0)
            return NULL;
        *vlen = e - 1;
        return k + 1;
    }
    *vlen = 0;
    while (*vlen < rest && k[*vlen] != ',' && k[*vlen] != ' ')
        (*vlen)++;
    return k;
}

/*
 * size_value - strtoll(v, NULL, 10) as if the line ended in a newline: strtoll itself read on
 * past end when the digits ended the line (with the reader's newline there, the same number).
 * Plain digits, the common case, take the first loop alone. A size is never negative, and a
 * value without digits is none: both are -1, unknown, as for a message without size=.
 */
static int64_t size_value(const char *v, const char *end)
{
    const char *q = v;
    uint64_t x = 0;
    int over = 0;

    while (q < end && q - v < 18 && *q >= '0' && *q <= '9')
        x = x * 10 + (uint64_t)(*q++ - '0');
    if (q > v && (q == end || !(*q >= '0' && *q <= '9')))
        return (int64_t)x; /* 18 digits at most: no overflow */
    q = v;
    x = 0;
    while (q < end && isspace((unsigned char)*q))
        q++;
    if (q < end && *q == '+')
        q++;
    if (q == end || !(*q >= '0' && *q <= '9')) /* a sign '-', or no digits */
        return -1;
    for (; q < end && *q >= '0' && *q <= '9'; q++) {
        unsigned d = (unsigned)(*q - '0');
        if (x > ((uint64_t)INT64_MAX - d) / 10)
            over = 1;
        else
            x = x * 10 + d;
    }
    return over ? INT64_MAX : (int64_t)x; /* strtoll's ERANGE */
}

/* expired - 1 when the qmgr line p[0..n) reports its message expired; *at is its "status=" */
static int expired(const char *p, size_t n, const char **at)
{
    const char *v = scan_find(p, n, "status=");

    *at = v;
    return v != NULL && (scan_prefix(v, n - (size_t)(v - p), "status=expired") ||
                         scan_prefix(v, n - (size_t)(v - p), "status=force-expired"));
}

/* handle_qmgr - a delivery, or an expiry; the "from=" news is in already (message_news) */
static enum line_result handle_qmgr(struct postfix_state *st, struct parse_ctx *ctx,
                                    struct pf_line *pl, const char *p, size_t n)
{
    struct event *ev = &pl->ev;
    const char *v;
    struct pf_message *m;

    if (scan_prefix(p, n, "to="))
        return handle_delivery(st, ctx, pl, p, n, 0);
    /* "removed" was handled before the line was set up (postfix_parse_line) */
    if (!scan_prefix(p, n, "from=") || !expired(p, n, &v))
        return LINE_INFO; /* "skipped, still being delivered", ... */
    m = message_get(st, pl->host, ev->queue_id, strlen(ev->queue_id), 1);
    ev->kind = EVENT_EXPIRE;
    ev->direction = DIRECTION_OUTBOUND;
    v += 7;
    struct strbuf sb = STRBUF_INIT;
    strbuf_append(&sb, v, n - (size_t)(v - p));
    if (m != NULL && m->last_defer != NULL)
        strbuf_printf(&sb, "; last deferral: %s", m->last_defer);
    ev->text = arena_copy(&st->a, strbuf_str(&sb), sb.len);
    strbuf_free(&sb);
    fill_from_message(m, ev);
    return parse_emit(ctx, ev) < 0 ? LINE_ABORT : LINE_EVENT;
}

/* ------------------------------------------------------------------ dispatch */

enum pf_daemon {
    PF_OTHER,
    PF_SMTPD,
    PF_POSTSCREEN,
    PF_CLEANUP,
    PF_QMGR,
    PF_DELIVERY,
    PF_DISCARD,
    PF_BOUNCE,
    PF_PICKUP,
    PF_DNSBLOG,
};

/*
 * message_news - what a queued line p[0..n) of queue id q[0..ql) on host[0..hl) tells about
 * its message, into the table straight from the line: smtpd's client, cleanup's Message-ID,
 * qmgr's sender and size, pickup's sender, bounce's parent. Those are half the lines of a
 * log, and make no event: they end here, with nothing copied for one. 1 when the line is
 * done (it makes no event), 0 when it goes on to the handlers.
 */
static int message_news(struct postfix_state *st, const char *host, size_t hl, enum pf_daemon d,
                        const char *q, size_t ql, const char *p, size_t n)
{
    struct pf_message *m;
    const char *v;
    size_t vlen;

    switch (d) {
    case PF_SMTPD: {
        if (!scan_prefix(p, n, "client="))
            return 0;
        const char *end = p + 7, *name, *ip;
        size_t name_len, ip_len;
        while (end < p + n && *end != ',')
            end++;
        client_spans(p + 7, (size_t)(end - p - 7), &name, &name_len, &ip, &ip_len);
        if ((m = message_getn(st, host, hl, q, ql, 1)) != NULL) {
            if (ip != NULL && m->client_ip == NULL)
                message_set(m, &m->client_ip, ip, ip_len);
            if (name != NULL && m->client_name == NULL)
                message_set(m, &m->client_name, name, name_len);
        }
        return 1;
    }
    case PF_CLEANUP:
        if (scan_prefix(p, n, "message-id=")) {
            m = message_getn(st, host, hl, q, ql, 1);
            v = p + 11;
            vlen = n - 11;
            if (vlen >= 2 && v[0] == '<' && v[vlen - 1] == '>')
                v++, vlen -= 2;
            if (m != NULL)
                message_set(m, &m->message_id, v, vlen);
            return 1;
        }
        return scan_prefix(p, n, "resent-message-id=");
    case PF_QMGR:
        if (!scan_prefix(p, n, "from="))
            return 0;
        m = message_getn(st, host, hl, q, ql, 1);
        if ((v = field_value(p, n, "from=", &vlen)) != NULL && m != NULL)
            message_set(m, &m->sender, v, vlen);
        if ((v = field_value(p, n, "size=", &vlen)) != NULL && m != NULL)
            m->size = size_value(v, p + n);
        return !expired(p, n, &v); /* an expiry goes on to be an event */
    case PF_BOUNCE: {
        const char *colon = scan_rfind(p, n, "notification: ");
        size_t notice_len; /* the notification's own queue id: q is its parent */
        if (colon == NULL)
            return 1;
        colon += 14;
        if ((notice_len = queue_id_len(colon, n - (size_t)(colon - p))) == 0)
            return 1;
        if ((m = message_getn(st, host, hl, colon, notice_len, 1)) != NULL)
            message_set(m, &m->parent, q, ql);
        return 1;
    }
    case PF_PICKUP:
        v = field_value(p, n, "from=", &vlen);
        if (v != NULL && (m = message_getn(st, host, hl, q, ql, 1)) != NULL)
            message_set(m, &m->sender, v, vlen);
        return 1;
    default:
        return 0;
    }
}

/* clang-format off */
#define D(name, d) {name, sizeof name - 1, d}
/* clang-format on */
static const struct {
    const char *name;
    size_t len;
    enum pf_daemon d;
} daemons[] = {
    D("smtpd", PF_SMTPD),     D("postscreen", PF_POSTSCREEN),
    D("cleanup", PF_CLEANUP), D("qmgr", PF_QMGR),
    D("nqmgr", PF_QMGR),      D("oqmgr", PF_QMGR),
    D("smtp", PF_DELIVERY),   D("lmtp", PF_DELIVERY),
    D("local", PF_DELIVERY),  D("virtual", PF_DELIVERY),
    D("pipe", PF_DELIVERY),   D("error", PF_DELIVERY),
    D("retry", PF_DELIVERY),  D("discard", PF_DISCARD),
    D("bounce", PF_BOUNCE),   D("defer", PF_BOUNCE),
    D("trace", PF_BOUNCE),    D("pickup", PF_PICKUP),
    D("dnsblog", PF_DNSBLOG), D("master", PF_OTHER),
    D("anvil", PF_OTHER),     D("scache", PF_OTHER),
    D("tlsmgr", PF_OTHER),    D("tlsproxy", PF_OTHER),
    D("postsuper", PF_OTHER), D("postdrop", PF_OTHER),
    D("postqueue", PF_OTHER), D("postfix-script", PF_OTHER),
    D("postlogd", PF_OTHER),  D("postlog", PF_OTHER),
    D("postmap", PF_OTHER),   D("postalias", PF_OTHER),
    D("postmulti", PF_OTHER), D("postconf", PF_OTHER),
    D("postfix", PF_OTHER),   D("sendmail", PF_OTHER),
    D("verify", PF_OTHER),    D("trivial-rewrite", PF_OTHER),
    D("proxymap", PF_OTHER),  D("flush", PF_OTHER),
    D("showq", PF_OTHER),     D("spawn", PF_OTHER),
    D("qmqpd", PF_OTHER),
};
#undef D

/*
 * daemon_of - the Postfix daemon named by a syslog tag ("postfix-in/submission/smtpd" ->
 * smtpd); -1 when the tag is not Postfix's. A tag is Postfix's when its first part starts with
 * "postfix", or when it has a syslog_name prefix and ends in a Postfix daemon's name.
 */
static int daemon_of(const char *tag, size_t len)
{
    const char *slash = NULL;

    for (size_t i = len; i-- > 0;)
        if (tag[i] == '/') {
            slash = tag + i;
            break;
        }
    if (slash == NULL)
        return -1;
    const char *d = slash + 1;
    size_t dl = len - (size_t)(d - tag);
    for (size_t i = 0; i < sizeof daemons / sizeof daemons[0]; i++)
        if (daemons[i].len == dl && memcmp(daemons[i].name, d, dl) == 0)
            return (int)i;
    return scan_prefix(tag, len, "postfix") ? (int)(sizeof daemons / sizeof daemons[0]) : -1;
}

/*
 * same_tag - 1 when a[0..len) and b[0..len) are the same bytes, len 4 to PF_TAG_MAX: words
 * compared in place, the last one overlapping, instead of a call to memcmp for every line
 */
static int same_tag(const char *a, const char *b, size_t len)
{
    uint32_t x, y;
    size_t i;

    if (len < 8) {
        memcpy(&x, a, 4), memcpy(&y, b, 4);
        if (x != y)
            return 0;
        memcpy(&x, a + len - 4, 4), memcpy(&y, b + len - 4, 4);
        return x == y;
    }
    for (i = 0; i + 8 < len; i += 8)
        if (!same_8_at(a, b, i))
            return 0;
    return same_8_at(a, b, len - 8);
}

/*
 * daemon_memo - daemon_of(tag), remembered: its backward search for '/' and the table walk were
 * a hundred instructions a line, a remembered tag is one memcmp. The slot is picked by the
 * length and two bytes near the end, where tags differ ("postfix/smtp", "postfix/lmtp"); a tag
 * is taken from its slot only when all its bytes are the slot's.
 */
static int daemon_memo(struct pf_tags *tags, const char *tag, size_t len)
{
    struct pf_tag_memo *e;

    if (len < 4 || len > PF_TAG_MAX)
        return daemon_of(tag, len);
    e = &tags->slot[(len * 131 + (unsigned char)tag[len - 1] * 31 + (unsigned char)tag[len - 4]) %
                    PF_TAG_SLOTS];
    if (e->len != len || !same_tag(e->tag, tag, len)) {
        e->daemon = daemon_of(tag, len);
        memcpy(e->tag, tag, len);
        e->len = len;
    }
    return e->daemon;
}

static int postfix_sniff(const char *line, size_t len)
{
    struct syslog_header h;

    return syslog_parse_header(line, len, &h) == 0 && daemon_of(h.tag, h.tag_len) >= 0 &&
           scan_prefix(h.tag, h.tag_len, "postfix");
}

static void *postfix_create(void)
{
    struct postfix_state *st = xcalloc(1, sizeof *st);

    st->messages = lru_new(PF_MAX_MESSAGES, free_message);
    st->sessions = lru_new(PF_MAX_SESSIONS, free_verdict);
    st->dnsbl = lru_new(PF_MAX_DNSBL, free);
    return st;
}

static void postfix_destroy(void *p)
{
    struct postfix_state *st = p;

    if (st == NULL)
        return;
    lru_free(st->messages);
    lru_free(st->sessions);
    lru_free(st->dnsbl);
    arena_free(&st->a);
    free(st);
}

/*
 * a line's first stage (postfix_prepare): its header and time, and what the cheap test found.
 * Places are offsets into the line, so that the line can be copied after it was prepared, and
 * small, since a reading thread hands one over for each line (ahead.c).
 */
struct pf_prep {
    int64_t ts_us;
    uint32_t host_at, host_len; /* host_len 0: the line names no host */
    uint32_t tag_at, tag_len;
    uint32_t msg_at, msg_len;
    uint32_t ql; /* the queue id's length; 0 for NOQUEUE, proxy-*, postscreen and dnsblog */
    uint8_t d;   /* enum pf_daemon */
    uint8_t prec;
};

/*
 * postfix_prepare - the header, the time and the cheap test: everything of a line that needs
 * no message, session or other state of the parser's (memo is a struct pf_tags)
 */
static enum line_result postfix_prepare(void *memo, struct parse_ctx *ctx,
                                        const struct log_line *ln, void *prep)
{
    struct pf_prep *pp = prep;
    struct syslog_header h;
    enum pf_daemon d;
    int di;

    if (syslog_parse_header_memo(ln->text, ln->len, &h, &ctx->ts_memo) < 0) {
        ctx->why = "no syslog header";
        return LINE_UNPARSED;
    }
    if ((di = daemon_memo(memo, h.tag, h.tag_len)) < 0)
        return LINE_FOREIGN;
    d = di < (int)(sizeof daemons / sizeof daemons[0]) ? daemons[di].d : PF_OTHER;
    if (ts_memo_utc(&ctx->ts_memo, h.ts_memo, &h.ct, &ctx->years, &ctx->tz, &pp->ts_us) < 0) {
        ctx->why = "impossible date";
        return LINE_UNPARSED;
    }

    /*
     * The cheap test first: most lines are connects, disconnects, TLS and other news that
     * neither make an event nor tell about a message, and they end here, before anything is
     * copied. Those with news are "QID: ..." or "NOQUEUE: ..." (postscreen and dnsblog aside).
     */
    const char *p = h.msg;
    size_t n = h.msg_len, ql = 0;
    if (d != PF_POSTSCREEN && d != PF_DNSBLOG) {
        if (scan_prefix(p, n, "NOQUEUE: ")) {
            if (d != PF_SMTPD && d != PF_CLEANUP)
                return LINE_INFO;
        } else if (d != PF_SMTPD ||
                   !(scan_prefix(p, n, "proxy-reject: ") || scan_prefix(p, n, "proxy-accept: "))) {
            /* (some smtpd versions log the before-queue filter's verdict without a queue id) */
            ql = queue_id_len(p, n);
            if (ql == 0 || ql + 2 > n || p[ql] != ':' || p[ql + 1] != ' ')
                return LINE_INFO; /* connect/disconnect, TLS, warnings, statistics, ... */
            if (d == PF_OTHER || ((d == PF_DELIVERY || d == PF_DISCARD) &&
                                  !scan_prefix(p + ql + 2, n - ql - 2, "to=")))
                return LINE_INFO; /* "host X said: 4xx" soft errors, lost connection, TLS, ... */
        }
    }
    /* (a line is at most READER_MAX_LINE bytes: every place fits) */
    pp->host_at = h.host != NULL ? (uint32_t)(h.host - ln->text) : 0;
    pp->host_len = h.host != NULL ? (uint32_t)h.host_len : 0;
    pp->tag_at = (uint32_t)(h.tag - ln->text);
    pp->tag_len = (uint32_t)h.tag_len;
    pp->msg_at = (uint32_t)(h.msg - ln->text);
    pp->msg_len = (uint32_t)h.msg_len;
    pp->ql = (uint32_t)ql;
    pp->d = (uint8_t)d;
    pp->prec = (uint8_t)h.ct.prec;
    return LINE_EVENT;
}

/* postfix_parse_prepared - the rest of a line that postfix_prepare let through */
static enum line_result postfix_parse_prepared(void *state, struct parse_ctx *ctx,
                                               const struct log_line *ln, const void *prep)
{
    struct postfix_state *st = state;
    const struct pf_prep *pp = prep;
    const char *p = ln->text + pp->msg_at, *h_host = pp->host_len ? ln->text + pp->host_at : NULL;
    size_t n = pp->msg_len, ql = pp->ql;
    enum pf_daemon d = (enum pf_daemon)pp->d;
    struct pf_line pl;

    if (ql > 0) {
        const char *host = h_host ? h_host : ctx->default_host ? ctx->default_host : "";
        size_t hl = h_host ? pp->host_len : strlen(host);
        if (d == PF_QMGR && n - ql - 2 == 7 && memcmp(p + ql + 2, "removed", 7) == 0) {
            /* the message left the queue: forget it */
            size_t k = make_keyn(st, host, hl, p, ql);
            if (k)
                lru_del(st->messages, st->key, k);
            return LINE_INFO;
        }
        if (message_news(st, host, hl, d, p, ql, p + ql + 2, n - ql - 2))
            return LINE_INFO;
    }

    /* room for every copy this line can make: each field at most once, the text twice */
    arena_begin(&st->a, 3 * ln->len + 256 + (ctx->default_host ? strlen(ctx->default_host) : 0));
    event_init(&pl.ev); /* the other fields are all set below */
    pl.ev.ts_us = pp->ts_us;
    pl.ev.ts_prec = pp->prec;
    pl.ev.offset = ln->offset;
    pl.ev.mta = "postfix";
    pl.ev.program = arena_copy(&st->a, ln->text + pp->tag_at, pp->tag_len);
    if (h_host != NULL)
        pl.host = arena_copy(&st->a, h_host, pp->host_len);
    else
        pl.host = ctx->default_host
                      ? arena_copy(&st->a, ctx->default_host, strlen(ctx->default_host))
                      : "";
    pl.ev.host = pl.host[0] ? pl.host : NULL;
    pl.msg = p;
    pl.msg_len = n;

    if (d == PF_POSTSCREEN)
        return handle_postscreen(st, ctx, &pl);
    if (d == PF_DNSBLOG)
        return handle_dnsblog(st, &pl);
    if (ql == 0) /* "NOQUEUE: ..." or "proxy-reject: ..." */
        return handle_action(st, ctx, &pl, scan_prefix(p, n, "NOQUEUE: ") ? p + 9 : p,
                             scan_prefix(p, n, "NOQUEUE: ") ? n - 9 : n);
    pl.ev.queue_id = arena_copy(&st->a, p, ql);
    p += ql + 2;
    n -= ql + 2;

    switch (d) {
    case PF_SMTPD:
    case PF_CLEANUP:
        return handle_action(st, ctx, &pl, p, n);
    case PF_QMGR:
        return handle_qmgr(st, ctx, &pl, p, n);
    case PF_DELIVERY:
    case PF_DISCARD:
        return handle_delivery(st, ctx, &pl, p, n, d == PF_DISCARD);
    default:
        return LINE_INFO;
    }
}

static enum line_result postfix_parse_line(void *state, struct parse_ctx *ctx,
                                           const struct log_line *ln)
{
    struct postfix_state *st = state;
    struct pf_prep pp;
    enum line_result r = postfix_prepare(&st->tags, ctx, ln, &pp);

    return r == LINE_EVENT ? postfix_parse_prepared(st, ctx, ln, &pp) : r;
}

struct flush_arg {
    struct parse_ctx *ctx;
    int failed;
};

static int flush_one(void *arg, const char *key, size_t klen, void *value)
{
    struct flush_arg *fa = arg;

    (void)key;
    (void)klen;
    if (emit_verdict(fa->ctx, value) < 0)
        fa->failed = 1;
    return fa->failed;
}

static int postfix_flush(void *state, struct parse_ctx *ctx)
{
    struct postfix_state *st = state;
    struct flush_arg fa = {ctx, 0};

    /* the input ended: sessions with a verdict are over */
    lru_foreach(st->sessions, flush_one, &fa);
    lru_free(st->sessions);
    st->sessions = lru_new(PF_MAX_SESSIONS, free_verdict);
    return fa.failed ? -1 : 0;
}

/* -------------------------------------------------- state between runs */

/*
 * The saved state is a list of records, each "R" then 9 fields (statepack.h): key, sender,
 * size, client_name, client_ip, helo, message_id, parent, last_defer.
 */
static int save_one(void *arg, const char *key, size_t klen, void *value)
{
    struct strbuf *out = arg;
    struct pf_message *m = value;
    char size[32];

    snprintf(size, sizeof size, "%lld", (long long)m->size);
    strbuf_putc(out, 'R');
    statepack_put(out, key, klen);
    statepack_put_str(out, m->sender);
    statepack_put_str(out, size);
    statepack_put_str(out, m->client_name);
    statepack_put_str(out, m->client_ip);
    statepack_put_str(out, m->helo);
    statepack_put_str(out, m->message_id);
    statepack_put_str(out, m->parent);
    statepack_put_str(out, m->last_defer);
    return 0;
}

static void postfix_save_state(void *state, struct strbuf *out)
{
    struct postfix_state *st = state;

    lru_foreach(st->messages, save_one, out);
}

static void postfix_load_state(void *state, const char *data, size_t len)
{
    struct postfix_state *st = state;
    const char *p = data, *end = data + len;

    while (p < end && *p == 'R') {
        const char *f[9];
        size_t fl[9];
        p++;
        for (int i = 0; i < 9; i++)
            if (!statepack_get(&p, end, &f[i], &fl[i]))
                return;
        if (f[0] == NULL || fl[0] == 0)
            continue;
        struct pf_message *m = message_new();
        char sizebuf[32];
        if (f[2] != NULL && fl[2] < sizeof sizebuf) {
            memcpy(sizebuf, f[2], fl[2]);
            sizebuf[fl[2]] = '\0';
            m->size = size_value(sizebuf, sizebuf + fl[2]);
        }
        char **slots[] = {&m->sender, NULL,           &m->client_name, &m->client_ip,
                          &m->helo,   &m->message_id, &m->parent,      &m->last_defer};
        for (int i = 1; i < 9; i++)
            if (slots[i - 1] != NULL && f[i] != NULL)
                message_set(m, slots[i - 1], f[i], fl[i]);
        lru_put(st->messages, f[0], fl[0], m);
    }
}

const struct parser_ops postfix_parser = {
    .name = "postfix",
    .sniff = postfix_sniff,
    .create = postfix_create,
    .destroy = postfix_destroy,
    .parse_line = postfix_parse_line,
    .flush = postfix_flush,
    .save_state = postfix_save_state,
    .load_state = postfix_load_state,
    .prep_size = sizeof(struct pf_prep),
    .prep_memo_size = sizeof(struct pf_tags),
    .prepare = postfix_prepare,
    .parse_prepared = postfix_parse_prepared,
};
