/*
 * exchange_proto - SMTP Receive and Send protocol log lines to events (part of exchange.c)
 *
 * DESCRIPTION
 *	A protocol log interleaves the lines of many sessions; each line names its session
 *	(session-id) and its place in it (sequence-number). Sessions are kept in a bounded
 *	table: the client's HELO, MAIL FROM and accepted RCPT TOs, and the commands still
 *	waiting for their reply (a queue, so that pipelined commands meet their replies in
 *	order). A '+' line or sequence number 0 starts a session afresh, '-' ends it; a line
 *	that repeats the previous one of its session exactly (the same sequence number, event
 *	and text) is counted once.
 *
 *	In a Receive log '<' is the client's command and '>' our reply: a 4xx or 5xx reply is
 *	our refusal, an inbound reject at the stage of the command it answers, with the client
 *	(remote endpoint), its HELO, the session's MAIL FROM and the refused or first accepted
 *	recipient. In a Send log '>' is our command and '<' the remote server's reply: 5xx is an
 *	outbound bounce, 4xx an outbound defer, with the remote endpoint as relay (named by its
 *	220 banner when it gave one); "Failed to connect" is a defer at connect.
 *
 *	A 354 reply to DATA means the next reply answers the end of the message (stage eom); a
 *	BDAT ... LAST is answered at the end of the message too; AUTH counts as stage helo, like
 *	STARTTLS. An "Inbound AUTH ... failed because of ..." note is held until the 535 that
 *	follows (one event: the reply with the note) or, when none comes, until the session moves
 *	on, ends or the input ends (an event without reply code). A "Tarpit for '...' due to
 *	'...'" note, on the reply line or just before it, is appended to that refusal's text.
 *
 * BUGS
 *	Lines are taken in file order: a line written out of sequence is not put back in place.
 *	A held AUTH note is lost when its session is pushed out of the table. When a run ends
 *	between a note and its 535, the note is counted (without code) and the 535 is not.
 */
#include "exchange_int.h"
#include "scan.h"
#include "smtp_reply.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XS_MAX_SESSIONS 20000
#define XS_MAX_PENDING  8

struct xcmd {
    enum smtp_stage stage;
    int auth;  /* AUTH: its 535 may complete a held failure note */
    char *arg; /* the address of MAIL FROM / RCPT TO */
};

struct xsess {
    int64_t last_seq;
    uint64_t last_sig; /* of the last line: a repeated line is skipped */
    int seen_command;
    char *helo, *mail_from, *first_rcpt;
    char *remote_name; /* Send logs: the host the remote's 220 banner names */
    struct xcmd q[XS_MAX_PENDING];
    int nq;
    int in_auth;       /* after a 334: the client's lines are AUTH data */
    int auth_reported; /* the end of a run reported the held note: its 535 is no new event */
    char *tarpit;
    struct {
        int held;
        int64_t ts_us, offset;
        int prec;
        char *text, *host, *program, *client_ip, *helo;
    } auth;
};

/* ------------------------------------------------------------------ sessions */

static void clear_str(char **s)
{
    free(*s);
    *s = NULL;
}

static void set_str(char **s, const char *v, size_t n)
{
    free(*s);
    *s = xstrndup(v, n);
}

static void drop_held(struct xsess *s)
{
    clear_str(&s->auth.text);
    clear_str(&s->auth.host);
    clear_str(&s->auth.program);
    clear_str(&s->auth.client_ip);
    clear_str(&s->auth.helo);
    s->auth.held = 0;
}

static void clear_queue(struct xsess *s)
{
    for (int i = 0; i < s->nq; i++)
        free(s->q[i].arg);
    s->nq = 0;
}

static void end_transaction(struct xsess *s)
{
    clear_str(&s->mail_from);
    clear_str(&s->first_rcpt);
}

static void free_session(void *p)
{
    struct xsess *s = p;

    drop_held(s);
    clear_queue(s);
    end_transaction(s);
    free(s->helo);
    free(s->remote_name);
    free(s->tarpit);
    free(s);
}

struct lru *xproto_sessions_new(void)
{
    return lru_new(XS_MAX_SESSIONS, free_session);
}

static struct xsess *session_new(void)
{
    struct xsess *s = xcalloc(1, sizeof *s);

    s->last_seq = -1;
    return s;
}

static void push(struct xsess *s, enum smtp_stage stage, int auth, const char *arg, size_t n)
{
    if (s->nq == XS_MAX_PENDING) { /* replies never came: forget the oldest */
        free(s->q[0].arg);
        memmove(&s->q[0], &s->q[1], sizeof s->q[0] * (XS_MAX_PENDING - 1));
        s->nq--;
    }
    s->q[s->nq].stage = stage;
    s->q[s->nq].auth = auth;
    s->q[s->nq].arg = arg ? xstrndup(arg, n) : NULL;
    s->nq++;
}

/* pop - the oldest command waiting for a reply (the caller frees cmd->arg) */
static int pop(struct xsess *s, struct xcmd *cmd)
{
    if (s->nq == 0)
        return 0;
    *cmd = s->q[0];
    memmove(&s->q[0], &s->q[1], sizeof s->q[0] * (size_t)(s->nq - 1));
    s->nq--;
    return 1;
}

/* push_front - a command whose reply was intermediate (334) waits again */
static void push_front(struct xsess *s, const struct xcmd *cmd)
{
    if (s->nq == XS_MAX_PENDING) {
        free(s->q[s->nq - 1].arg);
        s->nq--;
    }
    memmove(&s->q[1], &s->q[0], sizeof s->q[0] * (size_t)s->nq);
    s->q[0] = *cmd;
    s->nq++;
}

/* ------------------------------------------------------------------ one line */

struct pline {
    const struct xrow *row;
    struct xsess *s;
    enum xkind kind; /* XK_RECV or XK_SEND */
    int64_t ts_us;
    int prec;
    const char *host, *program, *remote;
};

static uint64_t fnv(uint64_t h, const char *p)
{
    for (; p && *p; p++) {
        h ^= (unsigned char)*p;
        h *= UINT64_C(0x100000001b3);
    }
    return (h ^ 0xff) * UINT64_C(0x100000001b3);
}

/* address - the address of "MAIL FROM:<a> SIZE=1" / "RCPT TO:<b>" after the colon */
static const char *address(const char *p, size_t *n)
{
    const char *e;

    while (*p == ' ')
        p++;
    if (*p == '<') {
        p++;
        e = strchr(p, '>');
        *n = e ? (size_t)(e - p) : strlen(p);
        return p;
    }
    *n = strcspn(p, " ");
    return p;
}

static void on_command(struct xsess *s, const char *data)
{
    const char *colon;
    size_t n, vl = strcspn(data, " ");

    s->seen_command = 1;
    if ((vl == 4 && (strncasecmp(data, "EHLO", 4) == 0 || strncasecmp(data, "HELO", 4) == 0 ||
                     strncasecmp(data, "LHLO", 4) == 0))) {
        const char *h = data + 4;
        while (*h == ' ')
            h++;
        set_str(&s->helo, h, strlen(h));
        push(s, STAGE_HELO, 0, NULL, 0);
    } else if (vl == 4 && strncasecmp(data, "MAIL", 4) == 0 && (colon = strchr(data, ':'))) {
        const char *a = address(colon + 1, &n);
        end_transaction(s);
        set_str(&s->mail_from, a, n);
        push(s, STAGE_MAIL, 0, a, n);
    } else if (vl == 4 && strncasecmp(data, "RCPT", 4) == 0 && (colon = strchr(data, ':'))) {
        const char *a = address(colon + 1, &n);
        push(s, STAGE_RCPT, 0, a, n);
    } else if (vl == 4 && strncasecmp(data, "DATA", 4) == 0) {
        push(s, STAGE_DATA, 0, NULL, 0);
    } else if (vl == 4 && strncasecmp(data, "BDAT", 4) == 0) {
        /* the last chunk's reply answers the whole message */
        const char *last = strstr(data, " LAST");
        push(s, last ? STAGE_EOM : STAGE_DATA, 0, NULL, 0);
    } else if (vl == 4 && strncasecmp(data, "AUTH", 4) == 0) {
        push(s, STAGE_HELO, 1, NULL, 0);
    } else if (vl == 8 && strncasecmp(data, "STARTTLS", 8) == 0) {
        push(s, STAGE_HELO, 0, NULL, 0);
    } else if (vl == 4 && strncasecmp(data, "RSET", 4) == 0) {
        end_transaction(s);
        push(s, STAGE_NONE, 0, NULL, 0);
    } else {
        /* VRFY counts as rcpt; QUIT, NOOP, XEXPS, ... have no stage */
        push(s, smtp_stage_of_command(data, strlen(data)), 0, NULL, 0);
    }
}

/* base_event - what every event of this line has */
static void base_event(const struct pline *pl, struct event *ev)
{
    event_init(ev);
    ev->ts_us = pl->ts_us;
    ev->ts_prec = pl->prec;
    ev->offset = pl->row->offset;
    ev->mta = "exchange";
    ev->host = pl->host;
    ev->program = pl->program;
    if (pl->kind == XK_RECV) {
        ev->kind = EVENT_REJECT;
        ev->direction = DIRECTION_INBOUND;
        ev->client_ip = xendpoint_ip(pl->row, pl->remote);
        ev->helo = pl->s->helo;
    } else {
        ev->direction = DIRECTION_OUTBOUND;
        if (xf_set(pl->remote)) {
            /* "name[ip]:port", Postfix's way of naming a relay */
            const char *ip = xendpoint_ip(pl->row, pl->remote), *port = NULL, *rb;
            const char *name = pl->s->remote_name ? pl->s->remote_name : "";
            if (pl->remote[0] == '[')
                port = (rb = strchr(pl->remote, ']')) != NULL && rb[1] == ':' ? rb + 1 : NULL;
            else if (strchr(pl->remote, ':') == strrchr(pl->remote, ':'))
                port = strrchr(pl->remote, ':'); /* "ip:port"; a bare IPv6 address has none */
            size_t nl = strlen(name), il = strlen(ip), portl = port ? strlen(port) : 0;
            char *r = arena_alloc(&pl->row->st->a, nl + il + 2 + portl);
            memcpy(r, name, nl);
            r[nl] = '[';
            memcpy(r + nl + 1, ip, il);
            r[nl + 1 + il] = ']';
            memcpy(r + nl + 2 + il, port ? port : "", portl);
            r[nl + 2 + il + portl] = '\0';
            ev->relay = r;
        }
    }
}

/* emit_held - the held AUTH failure note becomes an event of its own */
static int emit_held(struct parse_ctx *ctx, struct xsess *s)
{
    struct event ev;
    int rc;

    if (!s->auth.held)
        return 0;
    event_init(&ev);
    ev.ts_us = s->auth.ts_us;
    ev.ts_prec = s->auth.prec;
    ev.offset = s->auth.offset;
    ev.mta = "exchange";
    ev.host = s->auth.host;
    ev.program = s->auth.program;
    ev.kind = EVENT_REJECT;
    ev.direction = DIRECTION_INBOUND;
    ev.stage = STAGE_HELO;
    ev.client_ip = s->auth.client_ip;
    ev.helo = s->auth.helo;
    ev.text = s->auth.text;
    rc = parse_emit(ctx, &ev);
    drop_held(s);
    return rc;
}

static void hold_auth(const struct pline *pl, const char *text)
{
    struct xsess *s = pl->s;
    const char *ip;

    if (s->auth.held)
        return; /* the same note again, or a second one for the same attempt */
    s->auth.held = 1;
    s->auth.ts_us = pl->ts_us;
    s->auth.prec = pl->prec;
    s->auth.offset = pl->row->offset;
    s->auth.text = xstrdup(text);
    s->auth.host = pl->host ? xstrdup(pl->host) : NULL;
    s->auth.program = pl->program ? xstrdup(pl->program) : NULL;
    ip = xendpoint_ip(pl->row, pl->remote);
    s->auth.client_ip = ip ? xstrdup(ip) : NULL;
    s->auth.helo = s->helo ? xstrdup(s->helo) : NULL;
}

/* on_reply - a reply to the oldest waiting command */
static enum line_result on_reply(const struct pline *pl, const char *data, const char *context)
{
    const struct xrow *row = pl->row;
    struct xsess *s = pl->s;
    struct smtp_reply r;
    struct xcmd cmd = {s->seen_command ? STAGE_NONE : STAGE_CONNECT, 0, NULL};
    struct event ev;
    enum line_result res = LINE_INFO;
    const char *tarpit = NULL;

    smtp_reply_parse(data, strlen(data), &r);
    if (r.code == 0)
        return LINE_INFO; /* not a reply: nothing waits for it */
    pop(s, &cmd);
    if (cmd.auth && r.code != 334 && s->auth_reported) {
        /* the previous run ended between the note and this reply and counted the note */
        s->auth_reported = 0;
        s->in_auth = 0;
        free(cmd.arg);
        return LINE_INFO;
    }
    if (r.code == 334) {
        s->in_auth = 1;
        push_front(s, &cmd);
        return LINE_INFO;
    }
    if (cmd.auth)
        s->in_auth = 0;
    if (r.code == 354) {
        push(s, STAGE_EOM, 0, NULL, 0);
        free(cmd.arg);
        return LINE_INFO;
    }
    if (pl->kind == XK_SEND && r.code == 220 && cmd.stage == STAGE_CONNECT && !s->remote_name) {
        size_t n = r.text_len, i = 0;
        while (i < n && r.text[i] != ' ')
            i++;
        if (i > 0 && memchr(r.text, '.', i) != NULL)
            set_str(&s->remote_name, r.text, i);
    }
    if (xf_set(context) && scan_prefix(context, strlen(context), "Tarpit for "))
        tarpit = context;
    else if (s->tarpit != NULL)
        tarpit = s->tarpit;
    if (r.code < 400) {
        if (cmd.stage == STAGE_RCPT && r.code / 100 == 2 && s->first_rcpt == NULL && cmd.arg)
            s->first_rcpt = xstrdup(cmd.arg);
        if (cmd.stage == STAGE_EOM)
            end_transaction(s);
        if (cmd.auth && emit_held(row->ctx, s) < 0)
            res = LINE_ABORT;
        goto out;
    }

    /* a refusal */
    base_event(pl, &ev);
    if (pl->kind == XK_SEND)
        ev.kind = r.code >= 500 ? EVENT_BOUNCE : EVENT_DEFER;
    ev.stage = cmd.stage;
    ev.sender = cmd.stage == STAGE_MAIL ? cmd.arg : s->mail_from;
    if (cmd.stage == STAGE_RCPT)
        ev.recipient = cmd.arg;
    else if (cmd.stage == STAGE_DATA || cmd.stage == STAGE_EOM)
        ev.recipient = s->first_rcpt;
    if (ev.sender != NULL && ev.sender[0] == '\0')
        ev.sender = ""; /* MAIL FROM:<> */
    xreply(row, data, strlen(data), &ev);
    if ((cmd.auth && s->auth.held) || tarpit != NULL) {
        const char *note = cmd.auth && s->auth.held ? s->auth.text : NULL;
        size_t tl = strlen(ev.text), nl = note ? strlen(note) : 0,
               pl2 = tarpit ? strlen(tarpit) : 0;
        char *t = arena_alloc(&row->st->a, tl + nl + pl2 + 6);
        size_t o = 0;
        memcpy(t, ev.text, tl);
        o = tl;
        if (note) {
            memcpy(t + o, " (", 2);
            memcpy(t + o + 2, note, nl);
            t[o + 2 + nl] = ')';
            o += nl + 3;
        }
        if (tarpit) {
            memcpy(t + o, " [", 2);
            memcpy(t + o + 2, tarpit, pl2);
            t[o + 2 + pl2] = ']';
            o += pl2 + 3;
        }
        t[o] = '\0';
        ev.text = t;
    }
    if (cmd.auth && s->auth.held)
        drop_held(s);
    res = parse_emit(row->ctx, &ev) < 0 ? LINE_ABORT : LINE_EVENT;
    if (cmd.stage == STAGE_EOM || cmd.stage == STAGE_DATA || cmd.stage == STAGE_MAIL)
        end_transaction(s);
out:
    free(cmd.arg);
    clear_str(&s->tarpit);
    return res;
}

/* on_info - a '*' line: AUTH failures, tarpits, a Send connector's failed connection */
static enum line_result on_info(const struct pline *pl, const char *data, const char *context)
{
    const char *text = xf_set(context) ? context : data;
    struct event ev;

    if (!xf_set(text))
        return LINE_INFO;
    if (scan_prefix(text, strlen(text), "Tarpit for ")) {
        set_str(&pl->s->tarpit, text, strlen(text));
        return LINE_INFO;
    }
    if (pl->kind == XK_RECV && strstr(text, "AUTH") != NULL && strstr(text, "failed") != NULL) {
        hold_auth(pl, text);
        return LINE_INFO;
    }
    if (pl->kind == XK_SEND && strstr(text, "Failed to connect") != NULL) {
        base_event(pl, &ev);
        ev.kind = EVENT_DEFER;
        ev.stage = STAGE_CONNECT;
        ev.text = text;
        return parse_emit(pl->row->ctx, &ev) < 0 ? LINE_ABORT : LINE_EVENT;
    }
    return LINE_INFO;
}

enum line_result xproto_record(const struct xrow *row, enum xkind kind)
{
    struct exchange_state *st = row->st;
    struct parse_ctx *ctx = row->ctx;
    const char *dt = xf(row, XC_DATETIME), *sid = xf(row, XC_SESSION);
    const char *seqs = xf(row, XC_SEQUENCE), *evs = xf(row, XC_EVENT);
    const char *data = xf(row, XC_DATA), *context = xf(row, XC_CONTEXT);
    const char *conn = xf(row, XC_CONNECTOR), *bs;
    struct pline pl;
    struct xsess *s;
    int64_t seq = -1;
    uint64_t sig;
    char e;

    memset(&pl, 0, sizeof pl);
    pl.row = row;
    pl.kind = kind;
    if (!xf_set(dt) || xtime(dt, &pl.ts_us, &pl.prec) < 0) {
        ctx->why = "bad date-time";
        return LINE_UNPARSED;
    }
    if (!xf_set(sid)) {
        ctx->why = "no session-id";
        return LINE_UNPARSED;
    }
    if (evs == NULL || strlen(evs) != 1 || strchr("+-<>*", evs[0]) == NULL) {
        ctx->why = "unknown protocol log event";
        return LINE_UNPARSED;
    }
    e = evs[0];
    if (data == NULL)
        data = "";
    if (xf_set(seqs)) {
        char *end;
        seq = strtoll(seqs, &end, 10);
        if (*end != '\0')
            seq = -1;
    }
    /* the server is named in a Receive connector ("SERVER\Default Frontend SERVER") */
    if (kind == XK_RECV && xf_set(conn) && (bs = strchr(conn, '\\')) != NULL && bs > conn)
        pl.host = xcopy(row, conn, (size_t)(bs - conn));
    else
        pl.host = xhost(row, NULL);
    pl.program = xf_set(conn) ? conn : kind == XK_RECV ? "SmtpReceive" : "SmtpSend";
    pl.remote = xf(row, XC_REMOTE_EP);

    s = lru_get(st->sessions, sid, strlen(sid));
    if (s == NULL || e == '+' || (seq == 0 && s->last_seq > 0)) {
        if (s != NULL && emit_held(ctx, s) < 0)
            return LINE_ABORT;
        s = session_new();
        lru_put(st->sessions, sid, strlen(sid), s);
    }
    sig = fnv(fnv(fnv(fnv(UINT64_C(0xcbf29ce484222325), seqs), evs), data), context);
    if (sig == s->last_sig && seq >= 0)
        return LINE_INFO; /* the previous line again */
    s->last_sig = sig;
    s->last_seq = seq;
    pl.s = s;

    if (e == '+')
        return LINE_INFO;
    if (e == '-') {
        int rc = emit_held(ctx, s);
        lru_del(st->sessions, sid, strlen(sid));
        return rc < 0 ? LINE_ABORT : LINE_INFO;
    }
    if (e == '*')
        return on_info(&pl, data, context);
    if ((kind == XK_RECV && e == '<') || (kind == XK_SEND && e == '>')) {
        if (s->in_auth)
            return LINE_INFO; /* the client's AUTH exchange */
        /* a held AUTH note that no reply took: the session moved on */
        if (emit_held(ctx, s) < 0)
            return LINE_ABORT;
        on_command(s, data);
        return LINE_INFO;
    }
    return on_reply(&pl, data, context);
}

/* ------------------------------------------------------------------ end of input, state */

struct flush_arg {
    struct parse_ctx *ctx;
    int failed;
};

static int flush_one(void *arg, const char *key, size_t klen, void *value)
{
    struct flush_arg *fa = arg;
    struct xsess *s = value;

    (void)key;
    (void)klen;
    if (s->auth.held) {
        /* the session may go on in the next run: its 535 must not count a second time */
        s->auth_reported = s->nq > 0 && s->q[0].auth;
        if (emit_held(fa->ctx, s) < 0)
            fa->failed = 1;
    }
    return fa->failed;
}

int xproto_flush(struct exchange_state *st, struct parse_ctx *ctx)
{
    struct flush_arg fa = {ctx, 0};

    lru_foreach(st->sessions, flush_one, &fa);
    return fa.failed ? -1 : 0;
}

/*
 * "S" key last_seq last_sig seen_command helo mail_from first_rcpt remote_name in_auth
 * auth_reported tarpit nq (stage auth arg)... held ts prec offset text host program client_ip helo
 */
static int save_one(void *arg, const char *key, size_t klen, void *value)
{
    struct strbuf *out = arg;
    struct xsess *s = value;

    strbuf_putc(out, 'S');
    statepack_put(out, key, klen);
    statepack_put_int(out, s->last_seq);
    statepack_put_int(out, (int64_t)s->last_sig);
    statepack_put_int(out, s->seen_command);
    statepack_put_str(out, s->helo);
    statepack_put_str(out, s->mail_from);
    statepack_put_str(out, s->first_rcpt);
    statepack_put_str(out, s->remote_name);
    statepack_put_int(out, s->in_auth);
    statepack_put_int(out, s->auth_reported);
    statepack_put_str(out, s->tarpit);
    statepack_put_int(out, s->nq);
    for (int i = 0; i < s->nq; i++) {
        statepack_put_int(out, s->q[i].stage);
        statepack_put_int(out, s->q[i].auth);
        statepack_put_str(out, s->q[i].arg);
    }
    statepack_put_int(out, s->auth.held);
    statepack_put_int(out, s->auth.ts_us);
    statepack_put_int(out, s->auth.prec);
    statepack_put_int(out, s->auth.offset);
    statepack_put_str(out, s->auth.text);
    statepack_put_str(out, s->auth.host);
    statepack_put_str(out, s->auth.program);
    statepack_put_str(out, s->auth.client_ip);
    statepack_put_str(out, s->auth.helo);
    return 0;
}

void xproto_save(struct exchange_state *st, struct strbuf *out)
{
    lru_foreach(st->sessions, save_one, out);
}

int xproto_load_one(struct exchange_state *st, const char **pp, const char *end)
{
    struct xsess *s = session_new();
    char *key = NULL;
    int64_t v, nq, held, prec;

    if (!statepack_get_str(pp, end, &key) || key == NULL ||
        !statepack_get_int(pp, end, &s->last_seq) || !statepack_get_int(pp, end, &v))
        goto bad;
    s->last_sig = (uint64_t)v;
    if (!statepack_get_int(pp, end, &v) || !statepack_get_str(pp, end, &s->helo) ||
        !statepack_get_str(pp, end, &s->mail_from) || !statepack_get_str(pp, end, &s->first_rcpt) ||
        !statepack_get_str(pp, end, &s->remote_name))
        goto bad;
    s->seen_command = v != 0;
    if (!statepack_get_int(pp, end, &v))
        goto bad;
    s->in_auth = v != 0;
    if (!statepack_get_int(pp, end, &v) || !statepack_get_str(pp, end, &s->tarpit) ||
        !statepack_get_int(pp, end, &nq) || nq < 0 || nq > XS_MAX_PENDING)
        goto bad;
    s->auth_reported = v != 0;
    for (int i = 0; i < (int)nq; i++) {
        int64_t stage, auth;
        char *arg = NULL;
        if (!statepack_get_int(pp, end, &stage) || !statepack_get_int(pp, end, &auth) ||
            !statepack_get_str(pp, end, &arg) || stage < 0 || stage >= STAGE_COUNT) {
            free(arg);
            goto bad;
        }
        s->q[s->nq].stage = (enum smtp_stage)stage;
        s->q[s->nq].auth = auth != 0;
        s->q[s->nq].arg = arg;
        s->nq++;
    }
    if (!statepack_get_int(pp, end, &held) || !statepack_get_int(pp, end, &s->auth.ts_us) ||
        !statepack_get_int(pp, end, &prec) || !statepack_get_int(pp, end, &s->auth.offset) ||
        !statepack_get_str(pp, end, &s->auth.text) || !statepack_get_str(pp, end, &s->auth.host) ||
        !statepack_get_str(pp, end, &s->auth.program) ||
        !statepack_get_str(pp, end, &s->auth.client_ip) ||
        !statepack_get_str(pp, end, &s->auth.helo))
        goto bad;
    s->auth.prec = (int)(prec >= 0 && prec <= 6 ? prec : 0);
    s->auth.held = held != 0 && s->auth.text != NULL;
    lru_put(st->sessions, key, strlen(key), s);
    free(key);
    return 1;
bad:
    free(key);
    free_session(s);
    return 0;
}
