/*
 * exchange_trace - Exchange Online message trace exports to events (part of exchange.c)
 *
 * DESCRIPTION
 *	Get-MessageTrace / Get-MessageTraceV2 | Export-Csv: one row per message and recipient,
 *	with a Status: Delivered is a deliver, Failed a bounce, FilteredAsSpam a reject (the
 *	service refused it as spam), Quarantined a hold, Pending a defer; Expanded (a group),
 *	GettingStatus and None carry no outcome. The time is Received (UTC), the queue id the
 *	MessageTraceId, the host the Organization. The export has no direction: a recipient in
 *	the Organization's domain makes it inbound, a sender there outbound; else spam verdicts
 *	are inbound and a row with a ToIP outbound [unverified heuristic].
 *
 *	The historical search's enhanced summary: one row per message, recipient_status lists
 *	"address##Event, Event;..." per recipient; the last event is the outcome (Deliver, Send:
 *	deliver; Fail: bounce; Defer: defer; Drop: discard; others none). directionality is 1
 *	(inbound) or 2 (outbound). The queue id is network_message_id.
 *
 *	Neither export gives a reply code; the event text is the status or the event list.
 */
#include "exchange_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* in_domain - the address's domain is dom or one of its subdomains */
static int in_domain(const char *addr, const char *dom)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    size_t dl, al;

    if (at == NULL || !xf_set(dom))
        return 0;
    at++;
    dl = strlen(dom);
    al = strlen(at);
    return al >= dl && strcasecmp(at + al - dl, dom) == 0 && (al == dl || at[al - dl - 1] == '.');
}

static enum event_direction direction_word(const char *d)
{
    if (!xf_set(d))
        return DIRECTION_NONE;
    if (strcmp(d, "1") == 0 || strcasecmp(d, "Incoming") == 0 || strcasecmp(d, "Inbound") == 0)
        return DIRECTION_INBOUND;
    if (strcmp(d, "2") == 0 || strcasecmp(d, "Originating") == 0 || strcasecmp(d, "Outbound") == 0)
        return DIRECTION_OUTBOUND;
    return DIRECTION_NONE;
}

enum line_result xtrace_record(const struct xrow *row)
{
    static const struct {
        const char *status;
        enum event_kind kind; /* NONE: no outcome */
    } statuses[] = {
        {"Delivered", EVENT_DELIVER},       {"Failed", EVENT_BOUNCE},
        {"FilteredAsSpam", EVENT_REJECT},   {"Quarantined", EVENT_HOLD},
        {"Pending", EVENT_DEFER},           {"Expanded", EVENT_KIND_NONE},
        {"GettingStatus", EVENT_KIND_NONE}, {"None", EVENT_KIND_NONE},
        {"Resolved", EVENT_KIND_NONE},
    };
    struct parse_ctx *ctx = row->ctx;
    const char *received = xf(row, XC_RECEIVED), *status = xf(row, XC_STATUS);
    const char *org = xf(row, XC_ORGANIZATION), *to_ip = xf(row, XC_TO_IP);
    const char *from_ip = xf(row, XC_FROM_IP);
    struct event ev;
    size_t i;

    event_init(&ev);
    if (!xf_set(received) || xtime(received, &ev.ts_us, &ev.ts_prec) < 0) {
        ctx->why = "bad Received time";
        return LINE_UNPARSED;
    }
    for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (xf_set(status) && strcasecmp(status, statuses[i].status) == 0)
            break;
    if (i == sizeof statuses / sizeof statuses[0]) {
        ctx->why = "unknown message trace status";
        return LINE_UNPARSED;
    }
    if (statuses[i].kind == EVENT_KIND_NONE)
        return LINE_INFO;
    ev.kind = statuses[i].kind;
    ev.offset = row->offset;
    ev.mta = "exchange";
    ev.program = "MessageTrace";
    ev.host = xhost(row, org);
    ev.sender = xf(row, XC_SENDER);
    if (ev.sender != NULL && (strcmp(ev.sender, "<>") == 0))
        ev.sender = "";
    ev.recipient = xf_set(xf(row, XC_RCPT)) ? xf(row, XC_RCPT) : NULL;
    ev.size = xsize(xf(row, XC_TOTAL_BYTES));
    ev.message_id = xstrip_angle(row, xf(row, XC_MESSAGE_ID));
    if (!xf_set(ev.message_id))
        ev.message_id = NULL;
    ev.queue_id = xf_set(xf(row, XC_TRACE_ID)) ? xf(row, XC_TRACE_ID) : NULL;
    ev.text = status;
    if (in_domain(ev.recipient, org))
        ev.direction = DIRECTION_INBOUND;
    else if (in_domain(ev.sender, org))
        ev.direction = DIRECTION_OUTBOUND;
    else if (ev.kind == EVENT_REJECT || ev.kind == EVENT_HOLD)
        ev.direction = DIRECTION_INBOUND;
    else if (xf_set(to_ip))
        ev.direction = DIRECTION_OUTBOUND;
    if (xf_set(from_ip))
        ev.client_ip = from_ip;
    if (xf_set(to_ip) && ev.direction == DIRECTION_OUTBOUND) {
        size_t n = strlen(to_ip);
        char *r = arena_alloc(&row->st->a, n + 2);
        r[0] = '[';
        memcpy(r + 1, to_ip, n);
        r[n + 1] = ']';
        r[n + 2] = '\0';
        ev.relay = r;
    }
    return parse_emit(ctx, &ev) < 0 ? LINE_ABORT : LINE_EVENT;
}

/* outcome - the event of a recipient's last trace event ("Receive, Fail" -> bounce) */
static enum event_kind outcome(const char *events, size_t n)
{
    static const struct {
        const char *word;
        enum event_kind kind;
    } words[] = {
        {"Deliver", EVENT_DELIVER}, {"Send", EVENT_DELIVER}, {"SendExternal", EVENT_DELIVER},
        {"Fail", EVENT_BOUNCE},     {"Defer", EVENT_DEFER},  {"Drop", EVENT_DISCARD},
    };
    size_t e = n, s;

    while (e > 0 && isspace((unsigned char)events[e - 1]))
        e--;
    s = e;
    while (s > 0 && events[s - 1] != ',' && !isspace((unsigned char)events[s - 1]))
        s--;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].word) == e - s && strncasecmp(events + s, words[i].word, e - s) == 0)
            return words[i].kind;
    return EVENT_KIND_NONE;
}

enum line_result xsummary_record(const struct xrow *row)
{
    struct parse_ctx *ctx = row->ctx;
    const char *ts = xf(row, XC_ORIGIN_TS), *list = xf(row, XC_RCPT_STATUS);
    const char *ip = xf(row, XC_ORIG_CLIENT_IP);
    struct event ev;
    int emitted = 0;

    event_init(&ev);
    if (!xf_set(ts) || xtime(ts, &ev.ts_us, &ev.ts_prec) < 0) {
        ctx->why = "bad origin_timestamp";
        return LINE_UNPARSED;
    }
    ev.offset = row->offset;
    ev.mta = "exchange";
    ev.program = "HistoricalSearch";
    ev.host = xhost(row, NULL);
    ev.direction = direction_word(xf(row, XC_DIRECTIONALITY));
    ev.sender = xf(row, XC_SENDER);
    if (ev.sender != NULL && strcmp(ev.sender, "<>") == 0)
        ev.sender = "";
    ev.size = xsize(xf(row, XC_TOTAL_BYTES));
    ev.message_id = xstrip_angle(row, xf(row, XC_MESSAGE_ID));
    if (!xf_set(ev.message_id))
        ev.message_id = NULL;
    ev.queue_id = xf_set(xf(row, XC_NETWORK_ID)) ? xf(row, XC_NETWORK_ID) : NULL;
    ev.client_ip = xf_set(ip) ? ip : NULL;
    for (const char *p = list ? list : ""; *p;) {
        size_t n = strcspn(p, ";");
        const char *hash = NULL;
        for (size_t i = 0; i + 1 < n; i++)
            if (p[i] == '#' && p[i + 1] == '#') {
                hash = p + i;
                break;
            }
        if (hash != NULL) {
            const char *a = p, *b = hash, *evs = hash + 2;
            size_t evn = n - (size_t)(evs - p);
            enum event_kind k = outcome(evs, evn);
            while (a < b && isspace((unsigned char)*a))
                a++;
            while (b > a && isspace((unsigned char)b[-1]))
                b--;
            while (evn > 0 && isspace((unsigned char)*evs))
                evs++, evn--;
            if (k != EVENT_KIND_NONE) {
                struct event e = ev;
                e.kind = k;
                e.recipient = b > a ? xcopy(row, a, (size_t)(b - a)) : NULL;
                e.text = xcopy(row, evs, evn);
                if (parse_emit(ctx, &e) < 0)
                    return LINE_ABORT;
                emitted++;
            }
        }
        p += n;
        if (*p == ';')
            p++;
    }
    return emitted ? LINE_EVENT : LINE_INFO;
}
