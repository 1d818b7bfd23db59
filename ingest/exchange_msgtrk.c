/*
 * exchange_msgtrk - message tracking rows to events (part of the Exchange parser, exchange.c)
 *
 * DESCRIPTION
 *	One row is one event-id for one message and a ';'-separated list of recipients:
 *	FAIL        bounce per recipient, the recipient-status as the reply (expire when the
 *	            status is 4.4.7 / QUEUE.Expired: the message outlived its queue lifetime)
 *	DEFER       defer per recipient
 *	DELIVER, SEND, SENDEXTERNAL
 *	            deliver per recipient (mailbox delivery, SMTP hand-off, hybrid hand-off)
 *	DROP        discard per recipient
 *	AGENTINFO   an agent's verdict: a transport rule or content filter that rejects, deletes
 *	            or quarantines becomes reject, discard or hold per recipient; other agent
 *	            notes are information. The message's later FAIL rows are the echo of that
 *	            reject (its NDR) and yield nothing.
 *	RECEIVE     no event: the message's envelope sender, size and client (the original client
 *	            when a front end proxied it) are kept for its later rows
 *	DSN         no event: the NDR's message is tied to the message it reports on (reference)
 *	REDIRECT, EXPAND, RESOLVE
 *	            no event: each recipient is tied to the address it came from
 *	            (related-recipient-address), given as orig_recipient of its outcome
 *	Other event-ids (NOTIFYMAPI, SUBMIT, HAREDIRECT, TRANSFER, ...) are information.
 *
 *	directionality decides the direction (Incoming: inbound, Originating: outbound; EXO's 1
 *	and 2 alike); without it, the event and source do (SEND and an SMTP FAIL or DEFER are
 *	outbound; DELIVER, DROP and agent verdicts inbound).
 *
 *	Messages are keyed by internal-message-id (the queue id of the hop) and found across hops
 *	by Message-ID; both tables are bounded and saved between runs.
 *
 *	recipient-status is split per recipient on ';' only where a new status starts (To/Cc/Bcc,
 *	a three-digit code, '[' or a '{KEY=' already seen in the current status), because status
 *	texts contain ';' ("RESOLVER.ADR.RecipientNotFound; Recipient not found ..."). With one
 *	recipient the whole field is its status.
 */
#include "exchange_int.h"
#include "scan.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum xev {
    XE_OTHER,
    XE_RECEIVE,
    XE_FAIL,
    XE_DSN,
    XE_DEFER,
    XE_DELIVER,
    XE_DROP,
    XE_LINK,
    XE_AGENT
};

/* the length first: comparing every name was ~265 instructions a row */
#define ID(s) s, sizeof s - 1
static const struct {
    const char *id;
    size_t len;
    enum xev ev;
} event_ids[] = {
    {ID("RECEIVE"), XE_RECEIVE},      {ID("FAIL"), XE_FAIL},       {ID("DSN"), XE_DSN},
    {ID("DEFER"), XE_DEFER},          {ID("DELIVER"), XE_DELIVER}, {ID("SEND"), XE_DELIVER},
    {ID("SENDEXTERNAL"), XE_DELIVER}, {ID("DROP"), XE_DROP},       {ID("REDIRECT"), XE_LINK},
    {ID("EXPAND"), XE_LINK},          {ID("RESOLVE"), XE_LINK},    {ID("AGENTINFO"), XE_AGENT},
};
#undef ID

/* ------------------------------------------------------------------ messages */

void xmsg_free(void *p)
{
    struct xmsg *m = p;

    free(m->arrival);
    free(m->parent);
    for (int i = 0; i < m->nlinks; i++) {
        free(m->links[i].rcpt);
        free(m->links[i].orig);
    }
    free(m->links);
    free(m);
}

static void set(char **slot, const char *v)
{
    if (v == NULL)
        return;
    free(*slot);
    *slot = xstrdup(v);
}

/*
 * set_arrival - the message's four arrival texts: each one given replaces the one known, a
 * NULL keeps it. One allocation for the four: a RECEIVE row made four, and malloc and free
 * were an eighth of the Exchange parser's instructions.
 */
static void set_arrival(struct xmsg *m, const char *sender, const char *client_ip,
                        const char *client_name, const char *message_id)
{
    char **slot[4] = {&m->sender, &m->client_ip, &m->client_name, &m->message_id};
    const char *v[4] = {sender, client_ip, client_name, message_id};
    size_t len[4], total = 0;
    char *block, *o;

    for (int k = 0; k < 4; k++) {
        if (v[k] == NULL)
            v[k] = *slot[k];
        len[k] = v[k] != NULL ? strlen(v[k]) + 1 : 0;
        total += len[k];
    }
    if (total == 0)
        return; /* nothing given and nothing known: no block */
    /* the texts kept may be in the old block: copied before it goes */
    block = o = xmalloc(total);
    for (int k = 0; k < 4; k++) {
        if (v[k] == NULL) {
            *slot[k] = NULL;
            continue;
        }
        memcpy(o, v[k], len[k]);
        *slot[k] = o;
        o += len[k];
    }
    free(m->arrival);
    m->arrival = block;
}

static struct xmsg *msg_new(void)
{
    struct xmsg *m = xcalloc(1, sizeof *m);

    m->size = -1;
    return m;
}

/* msg_key - the message's key: its internal-message-id, else "m:" and its Message-ID */
static const char *msg_key(const struct xrow *row, const char *iid, const char *mid)
{
    if (iid != NULL)
        return iid;
    if (mid == NULL)
        return NULL;
    char *k = arena_alloc(&row->st->a, strlen(mid) + 2);
    memcpy(k, "m:", 2);
    memcpy(k + 2, mid, strlen(mid) + 1);
    return k;
}

/* msg_find - the message of key, or, failing that, the last hop known by its Message-ID */
static struct xmsg *msg_find(struct exchange_state *st, const char *key, const char *mid)
{
    struct xmsg *m = key ? lru_get(st->msgs, key, strlen(key)) : NULL;
    const char *other;

    if (m == NULL && mid != NULL && (other = lru_get(st->mids, mid, strlen(mid))) != NULL)
        m = lru_get(st->msgs, other, strlen(other));
    return m;
}

static struct xmsg *msg_make(struct exchange_state *st, const char *key)
{
    struct xmsg *m = lru_get(st->msgs, key, strlen(key));

    if (m == NULL) {
        m = msg_new();
        lru_put(st->msgs, key, strlen(key), m);
    }
    return m;
}

/* remember_mid - a Message-ID's message on this hop is key */
static void remember_mid(struct exchange_state *st, const char *mid, const char *key)
{
    const char *known;

    if (mid == NULL || key == NULL || strncmp(key, "m:", 2) == 0)
        return;
    known = lru_get(st->mids, mid, strlen(mid));
    if (known == NULL || strcmp(known, key) != 0)
        lru_put(st->mids, mid, strlen(mid), xstrdup(key));
}

static const char *link_of(const struct xmsg *m, const char *rcpt)
{
    if (m == NULL || rcpt == NULL)
        return NULL;
    for (int i = 0; i < m->nlinks; i++)
        if (strcasecmp(m->links[i].rcpt, rcpt) == 0)
            return m->links[i].orig;
    return NULL;
}

static void link_add(struct xmsg *m, const char *rcpt, const char *orig)
{
    if (strcasecmp(rcpt, orig) == 0 || link_of(m, rcpt) != NULL)
        return;
    if (m->nlinks == XMSG_MAX_LINKS) { /* forget the oldest */
        free(m->links[0].rcpt);
        free(m->links[0].orig);
        memmove(&m->links[0], &m->links[1], sizeof m->links[0] * (XMSG_MAX_LINKS - 1));
        m->nlinks--;
    }
    if (m->links == NULL)
        m->links = xcalloc(XMSG_MAX_LINKS, sizeof *m->links);
    m->links[m->nlinks].rcpt = xstrdup(rcpt);
    m->links[m->nlinks].orig = xstrdup(orig);
    m->nlinks++;
}

/* ------------------------------------------------------------------ lists */

struct span {
    const char *p;
    size_t n;
};

/*
 * spans - the items of a list, in v: local when they fit (most rows name a recipient or two;
 * two allocations a row were ~2 % of the parser), else malloc'ed. Not to be copied; spans_free
 * when done.
 */
#define SPANS_LOCAL 8
struct spans {
    struct span *v;
    struct span local[SPANS_LOCAL];
};

/* spans_room - room for cap spans in sp->v */
static struct span *spans_room(struct spans *sp, size_t cap)
{
    sp->v = cap <= SPANS_LOCAL ? sp->local : xreallocarray(NULL, cap, sizeof *sp->v);
    return sp->v;
}

static void spans_free(struct spans *sp)
{
    if (sp->v != sp->local)
        free(sp->v);
    sp->v = NULL;
}

/* split_list - the non-empty, trimmed items of a ';' list, in sp->v; their count */
static size_t split_list(const char *s, struct spans *sp)
{
    size_t cap = 1, n = 0;
    struct span *out;

    for (const char *c = s; *c; c++)
        cap += *c == ';';
    out = spans_room(sp, cap);
    while (*s) {
        const char *e = strchr(s, ';');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        const char *a = s, *b = s + len;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a) {
            out[n].p = a;
            out[n].n = (size_t)(b - a);
            n++;
        }
        s += len + (e != NULL);
    }
    return n;
}

/* brace_key - "KEY" of "{KEY=...": its length at p, 0 when p holds no such key */
static size_t brace_key(const char *p, size_t n)
{
    size_t i = 1;

    if (n < 3 || p[0] != '{')
        return 0;
    while (i < n && (isalnum((unsigned char)p[i]) || p[i] == '-'))
        i++;
    return i < n && p[i] == '=' ? i - 1 : 0;
}

/* starts_status - does the text at t (after a ';') begin the next recipient's status, given
 * the current status cur[0..cn)? */
static int starts_status(const char *t, size_t tn, const char *cur, size_t cn)
{
    size_t k;

    while (tn > 0 && *t == ' ')
        t++, tn--;
    while (cn > 0 && *cur == ' ')
        cur++, cn--;
    if (tn == 0)
        return 0;
    for (const char *const *w = (const char *const[]){"To", "Cc", "Bcc", NULL}; *w; w++) {
        size_t wl = strlen(*w);
        if (tn >= wl && memcmp(t, *w, wl) == 0 && (tn == wl || !isalpha((unsigned char)t[wl])))
            return 1;
    }
    if (tn >= 3 && isdigit((unsigned char)t[0]) && isdigit((unsigned char)t[1]) &&
        isdigit((unsigned char)t[2]) && (tn == 3 || t[3] == ' ' || t[3] == '-'))
        return 1;
    if (t[0] == '[')
        return 1;
    if ((k = brace_key(t, tn)) > 0) {
        if (cn == 0 || (cur[0] != '{' && cur[0] != '['))
            return 1; /* after a plain status */
        /* the same key again: the next recipient's list */
        for (size_t i = 0; i + k + 2 <= cn; i++)
            if (cur[i] == '{' && memcmp(cur + i + 1, t + 1, k) == 0 && cur[i + 1 + k] == '=')
                return 1;
    }
    return 0;
}

/* split_status - recipient-status into one span per recipient, in sp->v; the count */
static size_t split_status(const char *s, size_t naddr, struct spans *sp)
{
    size_t len = strlen(s), n = 0, cap = 1, start = 0;
    struct span *out;

    for (size_t i = 0; i < len; i++)
        cap += s[i] == ';';
    out = spans_room(sp, cap);
    if (len == 0)
        return 0;
    if (naddr > 1) {
        for (size_t i = 0; i < len; i++) {
            if (s[i] != ';' || !starts_status(s + i + 1, len - i - 1, s + start, i - start))
                continue;
            out[n].p = s + start;
            out[n].n = i - start;
            n++;
            start = i + 1;
        }
    }
    out[n].p = s + start;
    out[n].n = len - start;
    n++;
    for (size_t i = 0; i < n; i++) { /* trim */
        while (out[i].n > 0 && out[i].p[0] == ' ')
            out[i].p++, out[i].n--;
        while (out[i].n > 0 && out[i].p[out[i].n - 1] == ' ')
            out[i].n--;
    }
    return n;
}

/* ------------------------------------------------------------------ the parts of an event */

static enum event_direction direction_of(const struct xrow *row, enum xev ev, const char *eid,
                                         const char *source)
{
    const char *d = xf(row, XC_DIRECTIONALITY);

    if (xf_set(d)) {
        if (strcasecmp(d, "Incoming") == 0 || strcmp(d, "1") == 0 || strcasecmp(d, "Inbound") == 0)
            return DIRECTION_INBOUND;
        if (strcasecmp(d, "Originating") == 0 || strcmp(d, "2") == 0 ||
            strcasecmp(d, "Outbound") == 0)
            return DIRECTION_OUTBOUND;
    }
    if (ev == XE_DELIVER && strcasecmp(eid, "DELIVER") != 0)
        return DIRECTION_OUTBOUND; /* SEND, SENDEXTERNAL */
    if ((ev == XE_FAIL || ev == XE_DEFER) && source != NULL && strcasecmp(source, "SMTP") == 0)
        return DIRECTION_OUTBOUND;
    if (ev == XE_DELIVER || ev == XE_DROP || ev == XE_AGENT)
        return DIRECTION_INBOUND;
    return DIRECTION_NONE;
}

/*
 * host_of - the server that wrote the row: the server of a "SERVER\Connector" connector-id;
 * on SEND rows and SMTP failures we are the client; elsewhere the server-hostname
 */
static const char *host_of(const struct xrow *row, enum xev ev, const char *source)
{
    const char *conn = xf(row, XC_CONNECTOR), *bs;
    const char *client = xf(row, XC_CLIENT_HOST), *server = xf(row, XC_SERVER_HOST);

    if (xf_set(conn) && (bs = strchr(conn, '\\')) != NULL && bs > conn)
        return xcopy(row, conn, (size_t)(bs - conn));
    if ((ev == XE_DELIVER || ev == XE_FAIL || ev == XE_DEFER) && xf_set(client) && source != NULL &&
        strcasecmp(source, "SMTP") == 0)
        return client;
    if (xf_set(server))
        return server;
    return xhost(row, client);
}

/* relay_of - "server-hostname[server-ip]" */
static const char *relay_of(const struct xrow *row)
{
    const char *h = xf(row, XC_SERVER_HOST), *ip = xf(row, XC_SERVER_IP);
    size_t hl, il;
    char *r;

    if (!xf_set(ip))
        return xf_set(h) ? h : NULL;
    if (!xf_set(h))
        h = "";
    hl = strlen(h);
    il = strlen(ip);
    r = arena_alloc(&row->st->a, hl + il + 2);
    memcpy(r, h, hl);
    r[hl] = '[';
    memcpy(r + hl + 1, ip, il);
    r[hl + il + 1] = ']';
    r[hl + il + 2] = '\0';
    return r;
}

/* brace_value - the value of "{KEY=value}" in s[0..n), or NULL */
static const char *brace_value(const char *s, size_t n, const char *key, size_t *vlen)
{
    char pat[16];
    size_t pl = (size_t)snprintf(pat, sizeof pat, "{%s=", key);
    const char *k = scan_find(s, n, pat), *e;

    if (k == NULL)
        return NULL;
    k += pl;
    e = memchr(k, '}', n - (size_t)(k - s));
    *vlen = e ? (size_t)(e - k) : n - (size_t)(k - s);
    return k;
}

/* apply_status - one recipient's status as the event's reply: "550 5.1.1 text", or the
 * "{LED=550 5.1.1 text};{FQDN=host};{IP=ip}" form [unverified] */
static void apply_status(const struct xrow *row, const char *p, size_t n, struct event *ev)
{
    const char *led, *fqdn, *ip;
    size_t ll, fl = 0, il = 0;

    if (n == 0)
        return;
    if ((led = brace_value(p, n, "LED", &ll)) != NULL) {
        xreply(row, led, ll, ev);
        fqdn = brace_value(p, n, "FQDN", &fl);
        ip = brace_value(p, n, "IP", &il);
        if ((fqdn && fl) || (ip && il)) {
            char *r = arena_alloc(&row->st->a, fl + il + 2);
            memcpy(r, fqdn ? fqdn : "", fl);
            if (ip && il) {
                r[fl] = '[';
                memcpy(r + fl + 1, ip, il);
                r[fl + il + 1] = ']';
                r[fl + il + 2] = '\0';
            } else {
                r[fl] = '\0';
            }
            ev->relay = r;
        }
        return;
    }
    xreply(row, p, n, ev);
}

/* ------------------------------------------------------------------ agent verdicts */

/*
 * agent_action - the action an agent logged in custom-data ("...|action=RejectMessage|...",
 * "act=r"): the event it stands for, and the action's word in *word; EVENT_KIND_NONE when the
 * agent let the message pass [unverified: the fields are documented, their values are not]
 */
static enum event_kind agent_action(const char *cd, const char **word, size_t *wlen)
{
    static const struct {
        const char *value;
        enum event_kind kind;
    } actions[] = {
        {"RejectMessage", EVENT_REJECT},
        {"Reject", EVENT_REJECT},
        {"RejectUnlessFalsePositiveOverride", EVENT_REJECT},
        {"RejectUnlessSilentOverride", EVENT_REJECT},
        {"RejectUnlessExplicitOverride", EVENT_REJECT},
        {"NDR", EVENT_REJECT},
        {"r", EVENT_REJECT},
        {"DeleteMessage", EVENT_DISCARD},
        {"Delete", EVENT_DISCARD},
        {"Drop", EVENT_DISCARD},
        {"d", EVENT_DISCARD},
        {"Quarantine", EVENT_HOLD},
        {"Quarantined", EVENT_HOLD},
        {"q", EVENT_HOLD},
    };
    const char *p = cd;

    while (p != NULL && *p) {
        size_t n = strcspn(p, ";|,");
        const char *eq = memchr(p, '=', n);
        if (eq != NULL) {
            const char *k = p;
            size_t kl = (size_t)(eq - p);
            if (kl > 2 && (k[0] == 'S' || k[0] == 's') && k[1] == ':')
                k += 2, kl -= 2;
            if ((kl == 6 && strncasecmp(k, "action", 6) == 0) ||
                (kl == 3 && strncasecmp(k, "act", 3) == 0)) {
                const char *v = eq + 1;
                size_t vl = n - kl - 1 - (size_t)(k - p);
                for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
                    if (strlen(actions[i].value) == vl &&
                        strncasecmp(actions[i].value, v, vl) == 0) {
                        *word = v;
                        *wlen = vl;
                        return actions[i].kind;
                    }
            }
        }
        p += n;
        if (*p)
            p++;
    }
    return EVENT_KIND_NONE;
}

/* ------------------------------------------------------------------ rows */

/* on_receive - keep the arrival: envelope sender, size, client */
static void on_receive(const struct xrow *row, const char *key, const char *mid, const char *sender,
                       int64_t size)
{
    struct xmsg *m = msg_make(row->st, key);
    const char *ip = xf(row, XC_ORIG_CLIENT_IP), *name = NULL, *cd = xf(row, XC_CUSTOM_DATA);
    const char *ph;

    if (!xf_set(ip))
        ip = xf(row, XC_CLIENT_IP);
    /* a front end that proxied the session names the real client */
    if (xf_set(cd) && (ph = strstr(cd, "S:ProxiedClientHostname=")) != NULL) {
        ph += 24;
        name = xcopy(row, ph, strcspn(ph, ";"));
    }
    if (name == NULL || !*name)
        name = xf(row, XC_CLIENT_HOST);
    if (size >= 0)
        m->size = size;
    set_arrival(m, sender, xf_set(ip) ? ip : NULL, xf_set(name) ? name : NULL, mid);
}

/* on_dsn - an NDR was made: its message reports on the message named by reference */
static void on_dsn(const struct xrow *row, const char *key, const char *mid)
{
    const char *ref = xstrip_angle(row, xf(row, XC_REFERENCE));
    struct exchange_state *st = row->st;
    const char *orig;

    if (key == NULL || !xf_set(ref) || (mid != NULL && strcmp(ref, mid) == 0))
        return;
    if ((orig = lru_get(st->mids, ref, strlen(ref))) == NULL)
        return;
    set(&msg_make(st, key)->parent, orig);
}

/* on_link - each recipient came from the related address (a group, an alias, a forward) */
static void on_link(const struct xrow *row, const char *key)
{
    const char *rcpts = xf(row, XC_RCPT), *related = xf(row, XC_RELATED);
    struct spans r, o;
    size_t nr, no;
    struct xmsg *m;

    if (key == NULL || !xf_set(rcpts) || !xf_set(related))
        return;
    nr = split_list(rcpts, &r);
    no = split_list(related, &o);
    m = msg_make(row->st, key);
    for (size_t i = 0; i < nr && no > 0; i++) {
        const struct span *src = no == nr ? &o.v[i] : &o.v[0];
        char *rc = xstrndup(r.v[i].p, r.v[i].n), *oc = xstrndup(src->p, src->n);
        link_add(m, rc, oc);
        free(rc);
        free(oc);
    }
    spans_free(&r);
    spans_free(&o);
}

enum line_result xmsgtrk_record(const struct xrow *row)
{
    struct exchange_state *st = row->st;
    struct parse_ctx *ctx = row->ctx;
    const char *dt = xf(row, XC_DATETIME), *eid = xf(row, XC_EVENT_ID);
    const char *source = xf(row, XC_SOURCE), *iid = xf(row, XC_INTERNAL_ID);
    const char *mid = xstrip_angle(row, xf(row, XC_MESSAGE_ID));
    const char *rp = xf(row, XC_RETURN_PATH), *sender, *key, *bytes = xf(row, XC_TOTAL_BYTES);
    const char *agent_word = NULL;
    size_t agent_wlen = 0;
    enum xev kind = XE_OTHER;
    enum event_kind ekind = EVENT_KIND_NONE;
    int64_t ts, size;
    int prec, emitted = 0;
    struct xmsg *m;
    struct event ev;

    if (!xf_set(dt) || xtime(dt, &ts, &prec) < 0) {
        ctx->why = "bad date-time";
        return LINE_UNPARSED;
    }
    if (!xf_set(eid)) {
        ctx->why = "no event-id";
        return LINE_UNPARSED;
    }
    size_t eid_len = strlen(eid);
    for (size_t i = 0; i < sizeof event_ids / sizeof event_ids[0]; i++)
        if (event_ids[i].len == eid_len && strcasecmp(eid, event_ids[i].id) == 0) {
            kind = event_ids[i].ev; /* the ids are distinct */
            break;
        }
    if (!xf_set(iid))
        iid = NULL;
    if (!xf_set(mid))
        mid = NULL;
    if (!xf_set(source))
        source = NULL;
    key = msg_key(row, iid, mid);
    remember_mid(st, mid, key);
    /* the envelope sender: return-path ("<>" is the null sender), else the header sender */
    if (xf_set(rp))
        sender = xstrip_angle(row, rp);
    else
        sender = xf_set(xf(row, XC_SENDER)) ? xf(row, XC_SENDER) : NULL;
    size = xsize(bytes);

    switch (kind) {
    case XE_OTHER:
        return LINE_INFO;
    case XE_RECEIVE:
        if (key != NULL)
            on_receive(row, key, mid, sender, size);
        return LINE_INFO;
    case XE_DSN:
        on_dsn(row, key, mid);
        return LINE_INFO;
    case XE_LINK:
        on_link(row, key);
        return LINE_INFO;
    case XE_FAIL:
        ekind = EVENT_BOUNCE;
        break;
    case XE_DEFER:
        ekind = EVENT_DEFER;
        break;
    case XE_DELIVER:
        ekind = EVENT_DELIVER;
        break;
    case XE_DROP:
        ekind = EVENT_DISCARD;
        break;
    case XE_AGENT:
        ekind = agent_action(xf(row, XC_CUSTOM_DATA), &agent_word, &agent_wlen);
        if (ekind == EVENT_KIND_NONE)
            return LINE_INFO;
        break;
    }

    m = msg_find(st, key, mid);
    if (kind == XE_FAIL && m != NULL && m->agent_rejected)
        return LINE_INFO; /* the NDR of an agent's reject, counted at the AGENTINFO row */
    if (kind == XE_AGENT && ekind == EVENT_REJECT && key != NULL) {
        if (m == NULL)
            m = msg_make(st, key);
        m->agent_rejected = 1;
    }

    event_init(&ev);
    ev.ts_us = ts;
    ev.ts_prec = prec;
    ev.offset = row->offset;
    ev.mta = "exchange";
    ev.program = source;
    ev.host = host_of(row, kind, source);
    ev.kind = ekind;
    ev.direction = direction_of(row, kind, eid, source);
    ev.queue_id = iid;
    ev.message_id = mid ? mid : (m ? m->message_id : NULL);
    ev.sender = sender ? sender : (m ? m->sender : NULL);
    ev.size = size >= 0 ? size : (m ? m->size : -1);
    if (m != NULL) {
        ev.client_ip = m->client_ip;
        ev.client_name = m->client_name;
        ev.parent_queue_id = m->parent;
    }

    const char *rcpts = xf(row, XC_RCPT), *status = xf(row, XC_RCPT_STATUS);
    const char *context = xf(row, XC_SOURCE_CONTEXT), *agent_text = NULL;

    /* Get-MessageTrackingLog | Export-Csv writes a list it did not join as its type name */
    if (rcpts != NULL && strcmp(rcpts, "System.String[]") == 0)
        rcpts = NULL;
    if (status != NULL && strcmp(status, "System.String[]") == 0)
        status = NULL;
    struct spans rs, ss;
    size_t nr = split_list(rcpts ? rcpts : "", &rs);
    size_t ns = split_status(status ? status : "", nr, &ss);
    const struct span *r = rs.v, *s = ss.v;
    size_t loops = nr > 0 ? nr : 1;

    /* what all recipients share is made once: the arena holds a few copies of the row, not
     * one per recipient */
    if (kind == XE_DELIVER || kind == XE_FAIL || kind == XE_DEFER)
        ev.relay = relay_of(row);
    if (ns == 1 && s[0].n > 0)
        apply_status(row, s[0].p, s[0].n, &ev);
    if (kind == XE_AGENT) {
        /* without a reply: the agent's name and its action */
        const char *agent = xf_set(context) ? context : "agent";
        size_t al = strlen(agent);
        char *t = arena_alloc(&st->a, al + 2 + agent_wlen);
        memcpy(t, agent, al);
        memcpy(t + al, ": ", 2);
        memcpy(t + al + 2, agent_word, agent_wlen);
        t[al + 2 + agent_wlen] = '\0';
        agent_text = t;
    }
    for (size_t i = 0; i < loops; i++) {
        struct event e = ev;
        e.recipient = nr > 0 ? xcopy(row, r[i].p, r[i].n) : NULL;
        e.orig_recipient = link_of(m, e.recipient);
        if (ns > 1 && i < ns && s[i].n > 0)
            apply_status(row, s[i].p, s[i].n, &e);
        if (kind == XE_AGENT && (e.reply_code < 400 || e.text == NULL)) {
            e.text = agent_text;
            e.reply_code = 0;
            e.status = NULL;
        }
        if (e.text == NULL && xf_set(context) && kind != XE_DELIVER)
            e.text = context;
        if (kind == XE_FAIL && ((e.status != NULL && strcmp(e.status, "4.4.7") == 0) ||
                                (e.text != NULL && strstr(e.text, "QUEUE.Expired") != NULL)))
            e.kind = EVENT_EXPIRE;
        if (parse_emit(ctx, &e) < 0) {
            spans_free(&rs);
            spans_free(&ss);
            return LINE_ABORT;
        }
        emitted++;
    }
    spans_free(&rs);
    spans_free(&ss);
    return emitted ? LINE_EVENT : LINE_INFO;
}

/* ------------------------------------------------------------------ saved state */

static int save_msg(void *arg, const char *key, size_t klen, void *value)
{
    struct strbuf *out = arg;
    struct xmsg *m = value;

    strbuf_putc(out, 'M');
    statepack_put(out, key, klen);
    statepack_put_str(out, m->sender);
    statepack_put_int(out, m->size);
    statepack_put_str(out, m->client_ip);
    statepack_put_str(out, m->client_name);
    statepack_put_str(out, m->message_id);
    statepack_put_str(out, m->parent);
    statepack_put_int(out, m->agent_rejected);
    statepack_put_int(out, m->nlinks);
    for (int i = 0; i < m->nlinks; i++) {
        statepack_put_str(out, m->links[i].rcpt);
        statepack_put_str(out, m->links[i].orig);
    }
    return 0;
}

void xmsgtrk_save(struct exchange_state *st, struct strbuf *out)
{
    lru_foreach(st->msgs, save_msg, out);
}

int xmsgtrk_load_one(struct exchange_state *st, const char **pp, const char *end)
{
    struct xmsg *m = msg_new();
    char *key = NULL, *sender = NULL, *ip = NULL, *name = NULL, *mid = NULL;
    int64_t size, rej, nlinks;
    int ok = statepack_get_str(pp, end, &key) && key != NULL &&
             statepack_get_str(pp, end, &sender) && statepack_get_int(pp, end, &size) &&
             statepack_get_str(pp, end, &ip) && statepack_get_str(pp, end, &name) &&
             statepack_get_str(pp, end, &mid);

    set_arrival(m, sender, ip, name, mid);
    free(sender);
    free(ip);
    free(name);
    free(mid);
    if (!ok || !statepack_get_str(pp, end, &m->parent) || !statepack_get_int(pp, end, &rej) ||
        !statepack_get_int(pp, end, &nlinks) || nlinks < 0 || nlinks > XMSG_MAX_LINKS)
        goto bad;
    m->size = size;
    m->agent_rejected = rej != 0;
    if (nlinks > 0)
        m->links = xcalloc(XMSG_MAX_LINKS, sizeof *m->links);
    for (int i = 0; i < (int)nlinks; i++) {
        char *rc = NULL, *orig = NULL;
        if (!statepack_get_str(pp, end, &rc) || !statepack_get_str(pp, end, &orig) || rc == NULL ||
            orig == NULL) {
            free(rc);
            free(orig);
            goto bad;
        }
        m->links[m->nlinks].rcpt = rc;
        m->links[m->nlinks].orig = orig;
        m->nlinks++;
    }
    lru_put(st->msgs, key, strlen(key), m);
    free(key);
    return 1;
bad:
    free(key);
    xmsg_free(m);
    return 0;
}
