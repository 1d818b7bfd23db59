/*
 * test_exim - the Exim parser, line by line, with the fields each line must yield
 *
 * Lines are project-written in the shapes of formats/exim.md (addresses and hosts from the
 * documentation ranges); each case names what the parser must make of it. Further cases feed
 * several lines: correlation by message id, the state between runs, a rejection seen in the
 * mainlog and the rejectlog, syslog split lines, a paniclog, and hostile input.
 */
#include "event.h"
#include "parser.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct parser_ops exim_parser;

/* ------------------------------------------------------------ a capturing sink */

#define MAX_EVENTS 16

struct captured {
    char kind[24], direction[16], stage[16];
    char queue_id[64], client_ip[64], client_name[128], helo[128];
    char sender[128], recipient[128], orig[128], relay[128], status[16], text[1024];
    char parent[64], message_id[128], host[64], program[64];
    int reply_code;
    long long size;
    long long ts_us;
    int ts_prec;
    int null_sender; /* sender was NULL (unknown), as opposed to "" */
};

static struct captured events[MAX_EVENTS];
static int nevents;

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static int capture(void *ctx, const struct event *ev)
{
    struct captured *c;

    (void)ctx;
    ck_assert_int_lt(nevents, MAX_EVENTS);
    c = &events[nevents++];
    memset(c, 0, sizeof *c);
    copy(c->kind, sizeof c->kind, event_kind_name(ev->kind));
    copy(c->direction, sizeof c->direction, event_direction_name(ev->direction));
    copy(c->stage, sizeof c->stage, smtp_stage_name(ev->stage));
    copy(c->queue_id, sizeof c->queue_id, ev->queue_id);
    copy(c->client_ip, sizeof c->client_ip, ev->client_ip);
    copy(c->client_name, sizeof c->client_name, ev->client_name);
    copy(c->helo, sizeof c->helo, ev->helo);
    copy(c->sender, sizeof c->sender, ev->sender);
    copy(c->recipient, sizeof c->recipient, ev->recipient);
    copy(c->orig, sizeof c->orig, ev->orig_recipient);
    copy(c->relay, sizeof c->relay, ev->relay);
    copy(c->status, sizeof c->status, ev->status);
    copy(c->text, sizeof c->text, ev->text);
    copy(c->parent, sizeof c->parent, ev->parent_queue_id);
    copy(c->message_id, sizeof c->message_id, ev->message_id);
    copy(c->host, sizeof c->host, ev->host);
    copy(c->program, sizeof c->program, ev->program);
    c->null_sender = ev->sender == NULL;
    c->reply_code = ev->reply_code;
    c->size = ev->size;
    c->ts_us = ev->ts_us;
    c->ts_prec = ev->ts_prec;
    ck_assert_str_eq(ev->mta, "exim");
    return 0;
}

struct harness {
    void *state;
    struct parse_ctx ctx;
};

static void harness_init(struct harness *h)
{
    memset(h, 0, sizeof *h);
    h->state = exim_parser.create();
    h->ctx.sink.emit = capture;
    tz_cache_init(&h->ctx.tz);
    h->ctx.years.ref_s = days_from_civil(2026, 1, 3) * 86400;
    h->ctx.default_host = "mx1";
    nevents = 0;
}

static enum line_result feed(struct harness *h, const char *line)
{
    struct log_line ln;

    memset(&ln, 0, sizeof ln);
    ln.text = line;
    ln.len = strlen(line);
    h->ctx.why = NULL;
    return exim_parser.parse_line(h->state, &h->ctx, &ln);
}

/* feed_exact - feed, from a buffer of exactly the line's length (a read past it is an error
 * under AddressSanitizer) */
static enum line_result feed_exact(struct harness *h, const char *line)
{
    size_t n = strlen(line);
    char *cut = malloc(n ? n : 1);
    struct log_line ln;
    enum line_result r;

    memcpy(cut, line, n);
    memset(&ln, 0, sizeof ln);
    ln.text = cut;
    ln.len = n;
    h->ctx.why = NULL;
    r = exim_parser.parse_line(h->state, &h->ctx, &ln);
    free(cut);
    return r;
}

static void harness_done(struct harness *h)
{
    exim_parser.destroy(h->state);
}

/* ------------------------------------------------------------ single lines */

#define T  "2026-01-02 10:00:00 "
#define ID "1vAbCd-000Ef1-Gh "        /* the 16-character form (Exim <= 4.96) */
#define NI "1vAbCd-0000000AbCd-0Gh1 " /* the 23-character form (Exim >= 4.97) */

static const struct line_case {
    const char *line;
    enum line_result result;
    /* expected event (when result is LINE_EVENT): "" means empty/absent */
    const char *kind, *direction, *stage, *queue_id, *client_ip, *sender, *recipient;
    int code;
    const char *status, *text;
} line_cases[] = {
    /* ---- rejections */
    {T "H=mail.example.net (helo.example.net) [192.0.2.10]:41584 I=[198.51.100.1]:25 "
       "F=<a@example.net> rejected RCPT <b@example.com>: relay not permitted",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.10", "a@example.net", "b@example.com", 0,
     "", "rejected RCPT: relay not permitted"},
    /* temporarily, with TLS fields and SNI */
    {T "H=mx.example.org [192.0.2.11] X=TLS1.3:TLS_AES_128_GCM_SHA256:128 CV=no "
       "SNI=\"mail.example.com\" F=<x@example.org> temporarily rejected RCPT <y@example.com>: "
       "Could not complete sender verify callout",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.11", "x@example.org", "y@example.com", 0,
     "", "temporarily rejected RCPT: Could not complete sender verify callout"},
    /* a code and status in the ACL message are recorded */
    {T "[4321] H=(helo) [192.0.2.12] F=<> rejected RCPT <u@example.com>: 550 5.7.1 blocked using "
       "zen.spamhaus.org",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.12", "", "u@example.com", 550, "5.7.1",
     "rejected RCPT: blocked using zen.spamhaus.org"},
    /* a bare address and a bare F= (older Exim, +pid) */
    {T "[10099] H=(example.tw) [192.0.2.13]:3755 I=[198.51.100.1]:25 F=s@example.org rejected "
       "RCPT r@example.ru: relay not permitted",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.13", "s@example.org", "r@example.ru", 0,
     "", NULL},
    /* no message; SPF verdict field */
    {T "H=(cname.example) [192.0.2.14] F=<f@example.com> SPF=fail rejected RCPT <g@example.net>",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.14", "f@example.com", "g@example.net", 0,
     "", "rejected RCPT: SPF=fail"},
    {T "H=[192.0.2.15] U=root rejected MAIL <bad@example.com>: Sender verify failed", LINE_EVENT,
     "reject", "inbound", "mail", "", "192.0.2.15", "bad@example.com", "", 0, "",
     "rejected MAIL: Sender verify failed"},
    {T "rejected MAIL FROM:<big@example.com> U=user: message too big: size=10000000 max=100",
     LINE_EVENT, "reject", "inbound", "mail", "", "", "big@example.com", "", 0, "",
     "rejected MAIL: message too big: size=10000000 max=100"},
    {T "rejected MAIL from [192.0.2.16]: no HELO/EHLO given", LINE_EVENT, "reject", "inbound",
     "mail", "", "192.0.2.16", "", "", 0, "", "rejected MAIL: no HELO/EHLO given"},
    {T "H=(bad.helo) [192.0.2.17] rejected EHLO or HELO bad.helo: invalid HELO", LINE_EVENT,
     "reject", "inbound", "helo", "", "192.0.2.17", "", "", 0, "",
     "rejected EHLO or HELO: invalid HELO"},
    {T "rejected EHLO from (x y) [192.0.2.18]: syntactically invalid argument(s): x y", LINE_EVENT,
     "reject", "inbound", "helo", "", "192.0.2.18", "", "", 0, "",
     "rejected EHLO: syntactically invalid argument(s): x y"},
    {T "H=host.example.net [192.0.2.19]:18146 temporarily rejected connection in \"connect\" ACL: "
       "\"Host is ratelimited (1.9/1h max:1.2)\"",
     LINE_EVENT, "reject", "inbound", "connect", "", "192.0.2.19", "", "", 0, "",
     "temporarily rejected connection: \"Host is ratelimited (1.9/1h max:1.2)\""},
    {T "H=[192.0.2.20] rejected connection in \"connect\" ACL: 554 go away", LINE_EVENT, "reject",
     "inbound", "connect", "", "192.0.2.20", "", "", 554, "", "rejected connection: go away"},
    /* after DATA: has a message id */
    {T "[2516] " ID "H=mail.example.gr [192.0.2.21]:32706 I=[198.51.100.1]:25 F=v@example.com "
       "rejected after DATA: This message contains a virus (Eicar-Test-Signature).",
     LINE_EVENT, "reject", "inbound", "eom", "1vAbCd-000Ef1-Gh", "192.0.2.21", "v@example.com", "",
     0, "", "rejected after DATA: This message contains a virus (Eicar-Test-Signature)."},
    {T ID "F=w@example.biz H=h.example.net [192.0.2.22] P=smtp rejected by local_scan(): Rejected: "
          "hits=7.5 required=5.0",
     LINE_EVENT, "reject", "inbound", "eom", "1vAbCd-000Ef1-Gh", "192.0.2.22", "w@example.biz", "",
     0, "", "rejected by local_scan(): Rejected: hits=7.5 required=5.0"},
    {T "U=user rejected DATA: Not today", LINE_EVENT, "reject", "inbound", "data", "", "", "", "",
     0, "", "rejected DATA: Not today"},
    {T NI "rejected from <s@example.com> U=user: message too big: read=225 max=100", LINE_EVENT,
     "reject", "inbound", "data", "1vAbCd-0000000AbCd-0Gh1", "", "s@example.com", "", 0, "",
     "rejected: message too big: read=225 max=100"},
    {T "H=(x) [192.0.2.23] rejected VRFY someone@example.com", LINE_EVENT, "reject", "inbound",
     "rcpt", "", "192.0.2.23", "", "someone@example.com", 0, "", "rejected VRFY"},
    {T "H=(x) [192.0.2.24] rejected AUTH plain: STARTTLS required before AUTH", LINE_EVENT,
     "reject", "inbound", "", "", "192.0.2.24", "", "", 0, "",
     "rejected AUTH plain: STARTTLS required before AUTH"},
    {T "SMTP protocol synchronization error (input sent without waiting for greeting): rejected "
       "connection from H=[192.0.2.25]:25936 I=[198.51.100.1]:25 input=\"GET / HTTP/1.1\\r\\n\"",
     LINE_EVENT, "reject", "inbound", "connect", "", "192.0.2.25", "", "", 0, "",
     "SMTP protocol synchronization error (input sent without waiting for greeting): rejected "
     "connection"},
    {T
     "SMTP protocol synchronization error (next input sent too soon: pipelining was not "
     "advertised): rejected \"RSET\" H=mx.example.fr [192.0.2.26]:58302 next input=\"QUIT\\r\\n\"",
     LINE_EVENT, "reject", "inbound", "", "", "192.0.2.26", "", "", 0, "", NULL},
    {T "refused connection from [192.0.2.27] (host_reject_connection)", LINE_EVENT, "reject",
     "inbound", "connect", "", "192.0.2.27", "", "", 0, "",
     "refused connection (host_reject_connection)"},
    {T "H=[192.0.2.28]:62839 dropped by 'connect' ACL: Country is banned", LINE_EVENT, "reject",
     "inbound", "connect", "", "192.0.2.28", "", "", 0, "",
     "dropped by 'connect' ACL: Country is banned"},
    {T "SMTP call from (x) [192.0.2.29]:39480 dropped: too many syntax or protocol errors (last "
       "command was \"MAIL FROM:<>\",  C=EHLO,MAIL,MAIL,MAIL)",
     LINE_EVENT, "reject", "inbound", "mail", "", "192.0.2.29", "", "", 0, "", NULL},
    {T "unqualified recipient rejected: <userx> U=user", LINE_EVENT, "reject", "inbound", "rcpt",
     "", "", "", "userx", 0, "", "unqualified recipient rejected"},
    {T "H=localhost [127.0.0.1] F=<a@example.com> RCPT <b@example.net>: discarded by RCPT ACL",
     LINE_EVENT, "discard", "inbound", "rcpt", "", "127.0.0.1", "a@example.com", "b@example.net", 0,
     "", "discarded by RCPT ACL"},
    /* authenticator failed: the old wording, with port, interface and connection id */
    {T "dovecot_login authenticator failed for (User) [192.0.2.30]:21298 I=[198.51.100.1]:465 "
       "Ci=30416: 535 Incorrect authentication data (set_id=u@example.com)",
     LINE_EVENT, "reject", "inbound", "", "", "192.0.2.30", "", "", 535, "",
     "authenticator failed: Incorrect authentication data (set_id=u@example.com)"},
    /* ... and the 4.99 one, with H= and U= */
    {T "login authenticator failed for H=(test.host) [192.0.2.31] U=user: 535 Incorrect "
       "authentication data",
     LINE_EVENT, "reject", "inbound", "", "", "192.0.2.31", "", "", 535, "",
     "authenticator failed: Incorrect authentication data"},
    {T "plain authenticator failed for host.example.net ([192.0.2.99]) [192.0.2.32]: 535 "
       "Incorrect authentication data: 1 Time(s)",
     LINE_EVENT, "reject", "inbound", "", "", "192.0.2.32", "", "", 535, "", NULL},
    /* our own client failing to authenticate is not an inbound rejection */
    {.line = T ID "plain authenticator failed H=smarthost.example.net [192.0.2.33] 535 no",
     .result = LINE_INFO},
    /* the sender verify line is a reason, not an event */
    {.line = T "H=mx.example.biz [192.0.2.34]:41584 sender verify fail for <t@example.biz>: The "
               "mail server does not recognize t@example.biz as a valid sender.",
     .result = LINE_INFO},

    /* ---- deliveries */
    {T ID "=> r@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.40] "
          "X=TLS1.2:ECDHE_RSA_AES_256_GCM_SHA384:256 CV=yes DN=\"C=US,O=Example Corp,CN=mx\" "
          "C=\"250 2.0.0 Ok: queued as 934AC7BFEA7\"",
     LINE_EVENT, "deliver", "outbound", "", "1vAbCd-000Ef1-Gh", "", "", "r@example.net", 250,
     "2.0.0", "Ok: queued as 934AC7BFEA7"},
    {T NI "-> s@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.40] C=\"250 OK\"",
     LINE_EVENT, "deliver", "outbound", "", "1vAbCd-0000000AbCd-0Gh1", "", "", "s@example.net", 250,
     "", "OK"},
    {T ID ">> c@example.net P=<p@example.com> R=all T=smtp H=127.0.0.1 [127.0.0.1] C=\"250 OK\"",
     LINE_EVENT, "deliver", "outbound", "", "1vAbCd-000Ef1-Gh", "", "p@example.com",
     "c@example.net", 250, "", "OK"},
    {T ID "=> :blackhole: <t@example.com> R=blackhole_router", LINE_EVENT, "discard", "outbound",
     "", "1vAbCd-000Ef1-Gh", "", "", "t@example.com", 0, "", ":blackhole:"},
    {T ID "=> blackhole (DATA ACL discarded recipients)", LINE_EVENT, "discard", "outbound", "",
     "1vAbCd-000Ef1-Gh", "", "", "", 0, "", "(DATA ACL discarded recipients)"},
    {T ID "*> n@example.net R=r T=t H=192.0.2.41 [192.0.2.41] C=\"delivery bypassed by -N option\"",
     LINE_EVENT, "discard", "outbound", "", "1vAbCd-000Ef1-Gh", "", "", "n@example.net", 0, "",
     "delivery bypassed by -N option"},

    /* ---- failures */
    {T ID "** u@gmail.example R=dnslookup T=remote_smtp: SMTP error from remote mail server after "
          "RCPT TO:<u@gmail.example>: host mx.gmail.example [192.0.2.42]: 550-5.1.1 The email "
          "account that you tried to reach does not exist.\\n550 5.1.1 Please check. x1si - gsmtp",
     LINE_EVENT, "bounce", "outbound", "rcpt", "1vAbCd-000Ef1-Gh", "", "", "u@gmail.example", 550,
     "5.1.1",
     "The email account that you tried to reach does not exist. Please check. x1si - gsmtp"},
    /* 4.9x: H= and TLS fields before the colon */
    {T ID "** x@example.com R=smarthost T=remote_smtp H=192.0.2.43 [192.0.2.43] "
          "X=TLS1.3:ECDHE_SECP256R1__AES_256_GCM:256 CV=yes: SMTP error from remote mail server "
          "after RCPT TO:<x@example.com>: 550 Relay not permitted",
     LINE_EVENT, "bounce", "outbound", "rcpt", "1vAbCd-000Ef1-Gh", "", "", "x@example.com", 550, "",
     "Relay not permitted"},
    /* newer: " : " separator, port, interface */
    {T NI "** z@example.com R=all T=smtp H=127.0.0.1 [127.0.0.1]:1225 I=[127.0.0.1]:10001 : SMTP "
          "error from remote mail server after pipelined end of data: 554 5.2.0 Mailbox Full",
     LINE_EVENT, "bounce", "outbound", "eom", "1vAbCd-0000000AbCd-0Gh1", "", "", "z@example.com",
     554, "5.2.0", "Mailbox Full"},
    {T ID "** a@example.com R=dnslookup T=remote_smtp H=mx [192.0.2.44]: SMTP error from remote "
          "mail server after MAIL FROM:<s@example.org> SIZE=15763: 421 4.7.0 [TS01] deferred",
     LINE_EVENT, "bounce", "outbound", "mail", "1vAbCd-000Ef1-Gh", "", "", "a@example.com", 421,
     "4.7.0", "[TS01] deferred"},
    {T ID "** b@example.com F=<s@example.org> R=others T=smtp H=mx.example.com [192.0.2.45] : SMTP "
          "error from remote mail server after HELO me.example.org: 550 Go away",
     LINE_EVENT, "bounce", "outbound", "helo", "1vAbCd-000Ef1-Gh", "", "s@example.org",
     "b@example.com", 550, "", "Go away"},
    {T ID "** c@example.com R=smartuser T=lmtp : LMTP error after end of data: 550 Number 2 fails",
     LINE_EVENT, "bounce", "outbound", "eom", "1vAbCd-000Ef1-Gh", "", "", "c@example.com", 550, "",
     "Number 2 fails"},
    {T ID "** d@example.com: Unrouteable address", LINE_EVENT, "bounce", "outbound", "",
     "1vAbCd-000Ef1-Gh", "", "", "d@example.com", 0, "", "Unrouteable address"},
    {T ID "** e@example.com R=virtual_aliases: No such person at this address.", LINE_EVENT,
     "bounce", "outbound", "", "1vAbCd-000Ef1-Gh", "", "", "e@example.com", 0, "",
     "No such person at this address."},
    {T ID "** |/usr/bin/procmail -d joe <joe@example.com> R=procmail T=procmail_pipe : Child "
          "process of procmail_pipe transport returned 75",
     LINE_EVENT, "bounce", "outbound", "", "1vAbCd-000Ef1-Gh", "", "", "|/usr/bin/procmail -d joe",
     0, "", NULL},
    {T ID "** f@example.com: retry timeout exceeded", LINE_EVENT, "expire", "outbound", "",
     "1vAbCd-000Ef1-Gh", "", "", "f@example.com", 0, "", "retry timeout exceeded"},

    /* ---- deferrals */
    {T ID "== g@example.com R=dnslookup T=remote_smtp defer (-44): SMTP error from remote mail "
          "server after RCPT TO:<g@example.com>: host mx0.example.com [192.0.2.46]: 450 4.3.2 Too "
          "many mails",
     LINE_EVENT, "defer", "outbound", "rcpt", "1vAbCd-000Ef1-Gh", "", "", "g@example.com", 450,
     "4.3.2", "Too many mails"},
    {T ID "== h@example.com R=others T=smtp defer (-44) H=127.0.0.1 [127.0.0.1]: SMTP error from "
          "remote mail server after RCPT TO:<h@example.com>: 451 Temporary error 1",
     LINE_EVENT, "defer", "outbound", "rcpt", "1vAbCd-000Ef1-Gh", "", "", "h@example.com", 451, "",
     "Temporary error 1"},
    {T ID "== i@example.com R=dnslookup T=remote_smtp defer (110): Connection timed out",
     LINE_EVENT, "defer", "outbound", "connect", "1vAbCd-000Ef1-Gh", "", "", "i@example.com", 0, "",
     "Connection timed out"},
    {T ID "== j@example.com R=dnslookup T=remote_smtp defer (113): No route to host "
          "H=mail.example.com [192.0.2.47]: mail.example.com [192.0.2.47]",
     LINE_EVENT, "defer", "outbound", "connect", "1vAbCd-000Ef1-Gh", "", "", "j@example.com", 0, "",
     "No route to host: mail.example.com [192.0.2.47]"},
    {T ID "== k@example.com R=all T=smtp defer (110): Connection timed out H=127.0.0.1 "
          "[127.0.0.1]: SMTP timeout after MAIL FROM:<s@example.org>",
     LINE_EVENT, "defer", "outbound", "mail", "1vAbCd-000Ef1-Gh", "", "", "k@example.com", 0, "",
     "Connection timed out: SMTP timeout after MAIL FROM:<s@example.org>"},
    /* older Exim names the host inside the text; BSD's strerror for a timeout */
    {T ID "== q@example.ru R=dnslookup T=remote_smtp defer (60): Operation timed out: SMTP timeout "
          "while connected to mx.example.ru [192.0.2.49] after end of data (4151 bytes written)",
     LINE_EVENT, "defer", "outbound", "eom", "1vAbCd-000Ef1-Gh", "", "", "q@example.ru", 0, "",
     NULL},
    {T ID "== r@example.ru R=dnslookup T=remote_smtp defer (60): Operation timed out", LINE_EVENT,
     "defer", "outbound", "connect", "1vAbCd-000Ef1-Gh", "", "", "r@example.ru", 0, "",
     "Operation timed out"},
    {T ID "== l@example.com R=usery T=appendfile defer (-22): mailbox is full (MTA-imposed quota "
          "exceeded while writing to /var/mail/l)",
     LINE_EVENT, "defer", "outbound", "", "1vAbCd-000Ef1-Gh", "", "", "l@example.com", 0, "", NULL},
    {T ID "== m@example.com routing defer (-52): retry time not reached", LINE_EVENT, "defer",
     "outbound", "", "1vAbCd-000Ef1-Gh", "", "", "m@example.com", 0, "", "retry time not reached"},
    {T ID "== n@example.com R=client T=send defer (-37) H=192.0.2.48 [192.0.2.48]: TLS session: "
          "(certificate verification failed): certificate invalid",
     LINE_EVENT, "defer", "outbound", "", "1vAbCd-000Ef1-Gh", "", "", "n@example.com", 0, "", NULL},
    {T ID "== o@example.com R=lmtp T=lmtp defer (0) H=127.0.0.1 [127.0.0.1]: LMTP error after "
          "DATA: 452 4.2.2 Quota exceeded",
     LINE_EVENT, "defer", "outbound", "data", "1vAbCd-000Ef1-Gh", "", "", "o@example.com", 452,
     "4.2.2", "Quota exceeded"},

    /* ---- message events */
    {T ID "removed by root", LINE_EVENT, "discard", "outbound", "", "1vAbCd-000Ef1-Gh", "", "", "",
     0, "", "removed by root"},
    {T ID "cancelled by timeout_frozen_after", LINE_EVENT, "expire", "outbound", "",
     "1vAbCd-000Ef1-Gh", "", "", "", 0, "", "cancelled by timeout_frozen_after"},
    {T ID "(= s@example.com H=(c.example.com) [192.0.2.49] P=esmtp S=1234 for r@example.net",
     LINE_EVENT, "reject_warning", "inbound", "eom", "1vAbCd-000Ef1-Gh", "192.0.2.49",
     "s@example.com", "r@example.net", 0, "", NULL},

    /* ---- not events */
    {.line = T ID "<= s@example.com H=(c) [192.0.2.50] P=esmtp S=123", .result = LINE_INFO},
    {.line = T ID "Completed", .result = LINE_INFO},
    {.line = T ID "H=mx.example.net [192.0.2.51] Connection timed out", .result = LINE_INFO},
    {.line = T ID "H=mx.example.net [192.0.2.51]: SMTP error from remote mail server after RCPT "
                  "TO:<a@example.net>: 451 later",
     .result = LINE_INFO},
    {.line = T "SMTP connection from [192.0.2.52]:55010 (TCP/IP connection count = 1)",
     .result = LINE_INFO},
    {.line = T "no MAIL in SMTP connection from [192.0.2.53]:2056 I=[198.51.100.1]:25 D=0s",
     .result = LINE_INFO},
    {.line = T "Start queue run: pid=12762", .result = LINE_INFO},
    {.line = T ID "Frozen (delivery error message)", .result = LINE_INFO},
    {.line = T "SMTP protocol error in \"AUTH LOGIN\" H=(x) [192.0.2.54] AUTH command used when "
               "not advertised",
     .result = LINE_INFO},
    {.line = T ID "event msg:fail:delivery data \"rejected but kept\"", .result = LINE_INFO},
    /* broken lines */
    {.line = "Envelope-from: <a@example.com>", .result = LINE_UNPARSED},
    {.line = "2026-02-30 10:00:00 H=[192.0.2.1] rejected RCPT <a@b>", .result = LINE_UNPARSED},
    {.line = T ID "== p@example.com R=r T=t", .result = LINE_UNPARSED},
};

START_TEST(test_line)
{
    const struct line_case *c = &line_cases[_i];
    struct harness h;
    enum line_result r;

    harness_init(&h);
    r = feed(&h, c->line);
    ck_assert_msg(r == c->result, "case %d: result %d, want %d (%s)", _i, r, c->result,
                  h.ctx.why ? h.ctx.why : "-");
    if (c->result != LINE_EVENT) {
        ck_assert_int_eq(nevents, 0);
        harness_done(&h);
        return;
    }
    ck_assert_int_eq(nevents, 1);
    ck_assert_str_eq(events[0].kind, c->kind);
    ck_assert_str_eq(events[0].direction, c->direction);
    ck_assert_str_eq(events[0].stage, c->stage);
    ck_assert_str_eq(events[0].queue_id, c->queue_id);
    ck_assert_str_eq(events[0].client_ip, c->client_ip);
    ck_assert_str_eq(events[0].sender, c->sender);
    ck_assert_str_eq(events[0].recipient, c->recipient);
    ck_assert_int_eq(events[0].reply_code, c->code);
    ck_assert_str_eq(events[0].status, c->status);
    if (c->text != NULL)
        ck_assert_str_eq(events[0].text, c->text);
    ck_assert_str_eq(events[0].host, "mx1");
    harness_done(&h);
}
END_TEST

/* ------------------------------------------------------------ correlation */

START_TEST(test_message_correlation)
{
    struct harness h;

    harness_init(&h);
    ck_assert_int_eq(feed(&h, T "1RwtJY-0009RI-E4 <= s@example.com H=relay.example.com "
                                "(helo.example.com) [192.0.2.60]:51792 I=[198.51.100.1]:25 "
                                "P=esmtps X=TLSv1:AES256-SHA:256 CV=no S=21778 "
                                "id=384a86a39e@example.com T=\"Daily: news\" for r@example.net"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, T "1RwtJY-0009RI-E4 == r@example.net R=dnslookup T=remote_smtp "
                                "defer (-44): SMTP error from remote mail server after RCPT "
                                "TO:<r@example.net>: host mx.example.net [192.0.2.61]: 451 4.7.1 "
                                "Greylisted"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].sender, "s@example.com");
    ck_assert_int_eq(events[0].size, 21778);
    ck_assert_str_eq(events[0].client_ip, "192.0.2.60");
    ck_assert_str_eq(events[0].client_name, "relay.example.com");
    ck_assert_str_eq(events[0].helo, "helo.example.com");
    ck_assert_str_eq(events[0].message_id, "384a86a39e@example.com");
    ck_assert_str_eq(events[0].relay, "mx.example.net[192.0.2.61]");
    /* the final failure names the recipient's last deferral */
    ck_assert_int_eq(feed(&h, T "1RwtJY-0009RI-E4 ** r@example.net: retry timeout exceeded"),
                     LINE_EVENT);
    ck_assert_str_eq(events[1].kind, "expire");
    ck_assert_str_eq(events[1].text, "retry timeout exceeded; last deferral: Greylisted");
    ck_assert_str_eq(events[1].sender, "s@example.com");
    /* the bounce is a new message linked to its parent, with the null sender */
    ck_assert_int_eq(feed(&h, T "1RwtK0-000AFJ-3B <= <> R=1RwtJY-0009RI-E4 U=Debian-exim P=local "
                                "S=3958"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, T "1RwtK0-000AFJ-3B => s@example.com R=dnslookup T=remote_smtp "
                                "H=mx.example.com [192.0.2.62] C=\"250 OK id=1RwtK9-0004SS-Fm\""),
                     LINE_EVENT);
    ck_assert_str_eq(events[2].parent, "1RwtJY-0009RI-E4");
    ck_assert_int_eq(events[2].null_sender, 0);
    ck_assert_str_eq(events[2].sender, "");
    ck_assert_int_eq(events[2].size, 3958);
    /* Completed: the id's data is forgotten */
    ck_assert_int_eq(feed(&h, T "1RwtJY-0009RI-E4 Completed"), LINE_INFO);
    ck_assert_int_eq(feed(&h, T "1RwtJY-0009RI-E4 == q@example.net R=r T=t defer (111): "
                                "Connection refused"),
                     LINE_EVENT);
    ck_assert_int_eq(events[3].null_sender, 1);
    ck_assert_int_eq(events[3].size, -1);
    harness_done(&h);
}
END_TEST

/* the message table is saved and restored between runs; garbage state is ignored */
START_TEST(test_state_round_trip)
{
    struct harness h;
    struct strbuf sb = STRBUF_INIT;

    harness_init(&h);
    feed(&h, T "1vAbCd-0000000AbCd-0Gh1 <= s\x01@example.com H=c.example.com [192.0.2.70] P=esmtp "
               "S=77");
    feed(&h, T "1vAbCd-0000000AbCd-0Gh1 == r@example.org R=r T=t defer (-44): SMTP error from "
               "remote mail server after RCPT TO:<r@example.org>: 452 4.2.2 over quota");
    /* a rejection, to be matched by its rejectlog copy in the next run */
    feed(&h, T "H=[192.0.2.71] F=<a@example.com> rejected RCPT <b@example.com>: Unknown user");
    exim_parser.save_state(h.state, &sb);
    harness_done(&h);

    harness_init(&h);
    exim_parser.load_state(h.state, sb.buf, sb.len);
    ck_assert_int_eq(feed(&h, T "1vAbCd-0000000AbCd-0Gh1 ** r@example.org: retry timeout exceeded"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].sender, "s\x01@example.com");
    ck_assert_int_eq(events[0].size, 77);
    ck_assert_str_eq(events[0].client_ip, "192.0.2.70");
    ck_assert_str_eq(events[0].text, "retry timeout exceeded; last deferral: over quota");
    h.ctx.source = "/var/log/exim4/rejectlog";
    ck_assert_int_eq(feed(&h, T "H=[192.0.2.71] F=<a@example.com> rejected RCPT <b@example.com>: "
                                "Unknown user"),
                     LINE_INFO);
    harness_done(&h);
    /* garbage state is ignored, never fatal */
    harness_init(&h);
    exim_parser.load_state(h.state, "R5:abc", 6);
    exim_parser.load_state(h.state, "R999999999999:x", 15);
    exim_parser.load_state(h.state, "D17:0123456789abcdefg", 21);
    exim_parser.load_state(h.state, "E3:abc", 6);
    exim_parser.load_state(h.state, "\xff\xfe", 2);
    harness_done(&h);
    strbuf_free(&sb);
}
END_TEST

/* put_rec - one saved fingerprint record: fp, time, count, kind, generation (little-endian) */
static void put_rec(unsigned char *b, uint64_t fp, uint32_t ts_s, char kind, int gen)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(fp >> (8 * i));
    for (int i = 0; i < 4; i++)
        b[8 + i] = (unsigned char)(ts_s >> (8 * i));
    b[12] = 1;
    b[13] = 0;
    b[14] = (unsigned char)kind;
    b[15] = (unsigned char)gen;
}

/*
 * A state loaded back saves the same bytes. The fingerprints were written in the order of their
 * hash slots, which a table filled in another order does not keep, and all in the newer
 * generation once loaded. Found by fuzz_exim on 2026-11-30 (regressions/exim/fingerprint-order).
 */
START_TEST(test_state_saves_same_bytes)
{
    struct harness h;
    struct strbuf first = STRBUF_INIT, again = STRBUF_INIT;
    char line[256];
    unsigned char blob[4 + 48];

    harness_init(&h);
    for (int i = 0; i < 40; i++) {
        snprintf(line, sizeof line,
                 T "H=[192.0.2.%d] F=<a@example.com> rejected RCPT <b%d@example.com>: Unknown user",
                 i + 1, i);
        nevents = 0;
        ck_assert_int_eq(feed(&h, line), LINE_EVENT);
    }
    exim_parser.save_state(h.state, &first);
    harness_done(&h);
    harness_init(&h);
    exim_parser.load_state(h.state, first.buf, first.len);
    exim_parser.save_state(h.state, &again);
    harness_done(&h);
    ck_assert_uint_eq(first.len, again.len);
    ck_assert(memcmp(first.buf, again.buf, first.len) == 0);

    /* the older generation stays older: one record in each, saved as they were loaded */
    memcpy(blob, "D48:", 4);
    put_rec(blob + 4, 7, 1767225600, 'r', 1);
    put_rec(blob + 4 + 16, 5, 1767225600, 'm', 0);
    put_rec(blob + 4 + 32, 9, 1767225601, 'm', 0);
    harness_init(&h);
    exim_parser.load_state(h.state, (const char *)blob, 4 + 48);
    strbuf_reset(&again);
    exim_parser.save_state(h.state, &again);
    harness_done(&h);
    ck_assert_uint_eq(again.len, 4 + 48);
    ck_assert(memcmp(again.buf, blob, 4 + 48) == 0);

    /* one generation comes out in the order of the fingerprint, then the kind, whatever the
     * order it was loaded in: fingerprints that differ in one byte only, high or low */
    unsigned char mixed[4 + 96], want[4 + 96];
    static const uint64_t fps[6] = {0x0100000000000009u, 9, 9,
                                    0x0000000000000109u, 5, 0xff00000000000000u};
    static const char kinds[6] = {'m', 'r', 'm', 'm', 'r', 'm'};
    static const int order[6] = {4, 2, 1, 3, 0, 5}; /* by fingerprint, then kind */
    memcpy(mixed, "D96:", 4);
    memcpy(want, "D96:", 4);
    for (int i = 0; i < 6; i++) {
        put_rec(mixed + 4 + 16 * i, fps[i], 1767225600, kinds[i], 0);
        put_rec(want + 4 + 16 * i, fps[order[i]], 1767225600, kinds[order[i]], 0);
    }
    harness_init(&h);
    exim_parser.load_state(h.state, (const char *)mixed, sizeof mixed);
    strbuf_reset(&again);
    exim_parser.save_state(h.state, &again);
    harness_done(&h);
    ck_assert_uint_eq(again.len, sizeof want);
    ck_assert(memcmp(again.buf, want, sizeof want) == 0);
    strbuf_free(&first);
    strbuf_free(&again);
}
END_TEST

/* a rejection in the mainlog and its copy (with headers) in the rejectlog count once */
START_TEST(test_rejectlog_dedup)
{
    static const char *const rej[] = {
        T
        "H=(x.example) [192.0.2.80] F=<a@example.com> rejected RCPT <b@example.com>: Unknown user",
        T "H=(x.example) [192.0.2.81] rejected EHLO or HELO x.example: bad helo",
        T
        "1vAbCd-000Ef1-Gh H=(x.example) [192.0.2.80] F=<a@example.com> rejected after DATA: virus",
    };
    struct harness h;

    /* mainlog first: the rejectlog adds nothing */
    harness_init(&h);
    h.ctx.source = "/var/log/exim4/mainlog";
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(feed(&h, rej[i]), LINE_EVENT);
    /* the same line twice in the mainlog is two rejections (two RCPTs in one second) */
    ck_assert_int_eq(feed(&h, rej[0]), LINE_EVENT);
    ck_assert_int_eq(nevents, 4);
    h.ctx.source = "/var/log/exim4/rejectlog";
    ck_assert_int_eq(feed(&h, rej[0]), LINE_INFO);
    ck_assert_int_eq(feed(&h, "Envelope-from: <a@example.com>"), LINE_INFO);
    ck_assert_int_eq(feed(&h, "P Received: from x.example ([192.0.2.80])"), LINE_INFO);
    ck_assert_int_eq(feed(&h, "\tby mx1 with esmtp"), LINE_INFO);
    ck_assert_int_eq(feed(&h, rej[0]), LINE_INFO); /* pairs with the second mainlog line */
    ck_assert_int_eq(feed(&h, rej[1]), LINE_INFO);
    ck_assert_int_eq(feed(&h, rej[2]), LINE_INFO);
    ck_assert_int_eq(feed(&h, rej[2]), LINE_EVENT); /* a third copy is a new rejection */
    ck_assert_int_eq(nevents, 5);
    harness_done(&h);

    /* rejectlog first: the mainlog adds nothing */
    harness_init(&h);
    h.ctx.source = "rejectlog.1";
    ck_assert_int_eq(feed(&h, rej[1]), LINE_EVENT);
    h.ctx.source = "mainlog.1";
    ck_assert_int_eq(feed(&h, rej[1]), LINE_INFO);
    ck_assert_int_eq(nevents, 1);
    harness_done(&h);

    /* the next file's name at the address of the last one's (the reader freed it, malloc gave
     * it back): still known for a rejectlog by its name */
    char name[64];
    harness_init(&h);
    snprintf(name, sizeof name, "%s", "/var/log/exim4/mainlog");
    h.ctx.source = name;
    ck_assert_int_eq(feed(&h, rej[0]), LINE_EVENT);
    snprintf(name, sizeof name, "%s", "/var/log/exim4/rejectlog");
    ck_assert_int_eq(feed(&h, rej[0]), LINE_INFO);
    ck_assert_int_eq(nevents, 1);
    harness_done(&h);
}
END_TEST

/*
 * The next file's name at the address of the last one's (the driver frees a file's name when it
 * ends; malloc may hand the same address to the next name): still a new file. Found reading
 * the code on 2026-11-30; the fuzz harness gives every file a fresh copy of its name.
 */
START_TEST(test_source_name_reused_address)
{
    static const char line[] = T
        "H=(x.example) [192.0.2.80] F=<a@example.com> rejected RCPT <b@example.com>: Unknown user";
    struct harness h;
    char name[64];

    harness_init(&h);
    snprintf(name, sizeof name, "/var/log/exim4/mainlog");
    h.ctx.source = name;
    ck_assert_int_eq(feed(&h, line), LINE_EVENT);
    snprintf(name, sizeof name, "/var/log/exim4/rejectlog");
    ck_assert_int_eq(feed(&h, line), LINE_INFO); /* the rejectlog copy, not a second reject */
    ck_assert_int_eq(nevents, 1);
    harness_done(&h);
}
END_TEST

/* syslog: wrappers, split entries, and the duplicate syslog_duplication writes */
START_TEST(test_syslog)
{
    struct harness h;
    char buf[64];

    harness_init(&h);
    ck_assert_int_eq(feed(&h, "Jan  2 10:00:01 mx2 exim[1515]: 2026-01-02 10:00:00 H=[192.0.2.90] "
                              "F=<a@example.com> rejected RCPT <b@example.com>: relay not "
                              "permitted"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].host, "mx2");
    ck_assert_str_eq(events[0].program, "exim");
    format_iso_utc(events[0].ts_us, events[0].ts_prec, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-02T10:00:00Z"); /* Exim's own timestamp */
    /* the rejectlog copy at LOG_NOTICE, split at its newlines, pairs with it */
    ck_assert_int_eq(feed(&h, "Jan  2 10:00:01 mx2 exim[1515]: [1\\3] 2026-01-02 10:00:00 "
                              "H=[192.0.2.90] F=<a@example.com> rejected RCPT <b@example.com>: "
                              "relay not permitted"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, "Jan  2 10:00:01 mx2 exim[1515]: [2\\3] Envelope-from: <a@x>"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, "Jan  2 10:00:01 mx2 exim[1515]: [3/3] Envelope-to: <b@x>"),
                     LINE_INFO);
    ck_assert_int_eq(nevents, 1);
    /* an entry cut for length: parts joined, then parsed once */
    ck_assert_int_eq(feed(&h, "Jan  2 10:00:02 mx2 exim4[77]: [1/2] 2026-01-02 10:00:02 "
                              "1vAbCd-000Ef1-Gh ** c@example.com R=r T=t: SMTP error from remote "
                              "mail server after RCPT TO:<c@exa"),
                     LINE_INFO);
    ck_assert_int_eq(nevents, 1);
    ck_assert_int_eq(feed(&h, "Jan  2 10:00:02 mx2 exim4[77]: [2/2] mple.com>: 550 5.1.1 no such "
                              "user"),
                     LINE_EVENT);
    ck_assert_int_eq(nevents, 2);
    ck_assert_str_eq(events[1].recipient, "c@example.com");
    ck_assert_int_eq(events[1].reply_code, 550);
    ck_assert_str_eq(events[1].text, "no such user");
    ck_assert_str_eq(events[1].program, "exim4");
    /* a part without its start */
    ck_assert_int_eq(feed(&h, "Jan  2 10:00:03 mx2 exim[78]: [2/2] tail only"), LINE_UNPARSED);
    /* syslog_timestamp = false: the syslog time, and Exim's [pid] after the tag */
    ck_assert_int_eq(feed(&h, "2026-01-02 10:00:04 mx3 exim[8003]: [8003] SMTP call from "
                              "[192.0.2.91] dropped: too many unrecognized commands (last was "
                              "\"xyz\")"),
                     LINE_EVENT);
    ck_assert_str_eq(events[2].host, "mx3");
    ck_assert_str_eq(events[2].client_ip, "192.0.2.91");
    /* journal form: no syslog timestamp at all */
    ck_assert_int_eq(feed(&h, "mail.example.com exim[3751842]: 2026-01-02 10:00:05 plain_server "
                              "authenticator failed for ([192.0.2.92]) [192.0.2.93]: 535 "
                              "Incorrect authentication data"),
                     LINE_EVENT);
    ck_assert_str_eq(events[3].host, "mail.example.com");
    ck_assert_str_eq(events[3].client_ip, "192.0.2.93");
    /* other programs of a shared mail.log */
    ck_assert_int_eq(feed(&h, "Jan  2 10:00:06 mx2 postfix/smtpd[1]: connect from x[192.0.2.1]"),
                     LINE_FOREIGN);
    ck_assert_int_eq(feed(&h, "2026-01-02 10:00:07 mx2 dovecot[9]: imap-login: Login: user=<u>"),
                     LINE_FOREIGN);
    ck_assert_int_eq(nevents, 4);
    harness_done(&h);
}
END_TEST

/*
 * a syslog header with an ISO timestamp is looked for only in lines of its shape (a cheap test
 * before the header parser): every shape that parser takes is still unwrapped, whatever the
 * lengths of host and tag, the fraction and zone of the timestamp, the spaces between words
 */
START_TEST(test_syslog_iso_shapes)
{
    static const char *const stamps[] = {"2026-01-02 10:00:07", "2026-01-02T10:00:07",
                                         "2026-01-02T10:00:07.123456+01:00",
                                         "2026-01-02 10:00:07Z"};
    static const char *const hosts[] = {"",
                                        "m",
                                        "mx",
                                        "mx2",
                                        "mx23",
                                        "mx234",
                                        "mail.example.net",
                                        "h\xc3\xa9",
                                        "1vAbCd-000Ef1-Gh",
                                        "1vAbCd-0000000AbCd-0Gh1"};
    /* the tag's '[' and ':' at every offset modulo 4, the step of the test for tag bytes */
    static const char *const tags[] = {
        "exim[12]:", "exim4[77]:", "exim-b[12]:", "exim4xy[99]:", "exim[9]:",
        "exim:",     "exim4:",     "exim4[1]:",   "exim[12345]:"};
    static const char *const gaps[] = {" ", "  "};
    struct harness h;
    char line[512];

    for (size_t s = 0; s < sizeof stamps / sizeof stamps[0]; s++)
        for (size_t o = 0; o < sizeof hosts / sizeof hosts[0]; o++)
            for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++)
                for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
                    harness_init(&h);
                    snprintf(line, sizeof line,
                             "%s%s%s%s%s 2026-01-02 10:00:00 H=[192.0.2.1] F=<a@example.com> "
                             "rejected RCPT <b@example.com>: relay not permitted",
                             stamps[s], gaps[g], hosts[o], hosts[o][0] ? gaps[g] : "", tags[t]);
                    ck_assert_msg(feed(&h, line) == LINE_EVENT, "not unwrapped: %s", line);
                    ck_assert_str_eq(events[0].host, hosts[o][0] ? hosts[o] : "mx1");
                    ck_assert_int_eq(events[0].ts_us % (60 * US_PER_SEC), 0); /* Exim's time */
                    harness_done(&h);
                }
    /* another program's line, with or without a host; and plain Exim lines that are not */
    static const struct {
        const char *line;
        enum line_result want;
    } others[] = {
        {"2026-01-02 10:00:07 postfix/smtpd[1]: connect from x[192.0.2.1]", LINE_FOREIGN},
        {"2026-01-02T10:00:07+01:00 mx2 dovecot[9]: imap-login: Login", LINE_FOREIGN},
        {"2026-01-02 10:00:07 mx2 postfix/qmgr: 4F2: removed", LINE_FOREIGN},
        {"2026-01-02 10:00:00 [123] H=[192.0.2.1] F=<a@b> rejected RCPT <c@d>: x", LINE_EVENT},
        {"2026-01-02 10:00:00 1vAbCd-000Ef1-Gh ** a@example.com: Unrouteable", LINE_EVENT},
        {"2026-01-02 10:00:00 H=x [192.0.2.1]:25 F=<a@b> rejected RCPT <c@d>: x", LINE_EVENT},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        harness_init(&h);
        ck_assert_msg(feed(&h, others[i].line) == others[i].want, "%s", others[i].line);
        harness_done(&h);
    }
}
END_TEST

/* a paniclog: every entry is reported, none becomes an event */
START_TEST(test_paniclog)
{
    struct harness h;

    harness_init(&h);
    h.ctx.source = "/var/log/exim4/paniclog";
    ck_assert_int_eq(feed(&h, T "Cannot open main log file \"/var/log/exim4/mainlog\": "
                                "Permission denied: euid=0 egid=101"),
                     LINE_UNPARSED);
    ck_assert_str_eq(h.ctx.why, "exim panic");
    ck_assert_int_eq(feed(&h, T ID "== a@example.com R=r T=t defer (-1): failed to expand"),
                     LINE_UNPARSED);
    ck_assert_int_eq(feed(&h, T "Exim configuration error in line 12 of /etc/exim4/exim4.conf:"),
                     LINE_UNPARSED);
    ck_assert_int_eq(feed(&h, "  missing quote at end of string value for hold_domains"),
                     LINE_INFO);
    ck_assert_int_eq(nevents, 0);
    harness_done(&h);
}
END_TEST

/* timestamps: milliseconds, the log_timezone zone, local time; both id forms in one log */
START_TEST(test_prefix)
{
    struct harness h;
    char buf[64];

    harness_init(&h);
    feed(&h, "2026-01-02 10:00:00.712 +0100 [1236] 1vAbCd-0000000AbCd-0Gh1 ** a@example.com: "
             "Unrouteable address");
    ck_assert_int_eq(nevents, 1);
    format_iso_utc(events[0].ts_us, events[0].ts_prec, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-02T09:00:00.712Z");
    ck_assert_str_eq(events[0].queue_id, "1vAbCd-0000000AbCd-0Gh1");
    feed(&h, "2026-01-02 10:00:01 1vAbCe-000Ef1-Gh ** b@example.com: Unrouteable address");
    format_iso_utc(events[1].ts_us, events[1].ts_prec, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-02T10:00:01Z"); /* TZ=UTC */
    ck_assert_str_eq(events[1].queue_id, "1vAbCe-000Ef1-Gh");
    /* an id-shaped word that is not followed by a space is not an id */
    ck_assert_int_eq(feed(&h, "2026-01-02 10:00:02 1vAbCe-000Ef1-GhX ** b@example.com: x"),
                     LINE_INFO);
    harness_done(&h);
}
END_TEST

/* a message id is 16 or 23 id characters (ASCII letters and digits) in three dash-separated
 * runs, then a space: a wrong character in any run, or a dash out of place, is no id */
START_TEST(test_message_ids)
{
    static const struct {
        const char *word;
        int is_id;
    } words[] = {
        {"1vAbCd-000Ef1-Gh", 1},         {"1vAbCd-0000000AbCd-0Gh1", 1},
        {"zZ09aA-Zz09aA-9z", 1},         {"1vAb_d-000Ef1-Gh", 0},
        {"1vAbCd-000E.1-Gh", 0},         {"1vAbCd-000Ef1-G\xe9", 0},
        {"1vAbCd-000Ef1-G", 0},          {"1vAbCd-000Ef1-GhX", 0},
        {"1vAbCd_000Ef1-Gh", 0},         {"1vAbCd-0000000AbCd-0G:1", 0},
        {"1vAbCd-0000000AbC-d0Gh1", 0},  {"1vAbCd-000000-AbCd-0Gh", 0},
        {"@vAbCd-0000000AbCd-0Gh1", 0},  {"1vAbCd-00000[0AbCd-0Gh1", 0},
        {"1vAbCd-0000000AbCd-0Gh1X", 0},
    };
    struct harness h;
    char line[256];

    harness_init(&h);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        nevents = 0;
        snprintf(line, sizeof line, T "%s ** a@example.com: Unrouteable address", words[i].word);
        enum line_result r = feed(&h, line);
        ck_assert_msg((r == LINE_EVENT) == words[i].is_id, "%s: result %d", words[i].word, r);
        if (words[i].is_id)
            ck_assert_str_eq(events[0].queue_id, words[i].word);
    }
    harness_done(&h);
}
END_TEST

/* every character of either id form is classed: a wrong one anywhere is no id */
START_TEST(test_message_id_positions)
{
    static const char *const ids[] = {"1vAbCd-000Ef1-Gh", "1vAbCd-0000000AbCd-0Gh1"};
    static const char bad[] = {'_', '.', '-', ' ', ':', '\xe9', '\x7f'};
    struct harness h;
    char word[32], line[256];

    harness_init(&h);
    for (size_t f = 0; f < 2; f++)
        for (size_t k = 0; k < strlen(ids[f]); k++)
            for (size_t b = 0; b < sizeof bad; b++) {
                if (ids[f][k] == '-' && bad[b] == '-')
                    continue;
                snprintf(word, sizeof word, "%s", ids[f]);
                word[k] = bad[b];
                snprintf(line, sizeof line, T "%s ** a@example.com: Unrouteable address", word);
                nevents = 0;
                enum line_result r = feed_exact(&h, line);
                ck_assert_msg(r != LINE_EVENT || strcmp(events[0].queue_id, ids[f]) != 0,
                              "%s taken for an id", word);
                ck_assert_msg(r == LINE_INFO || r == LINE_EVENT, "%s: result %d", word, r);
                if (r == LINE_EVENT) /* a cut id can leave a shorter word that is one */
                    ck_assert_int_ne((int)strlen(events[0].queue_id), (int)strlen(ids[f]));
            }
    harness_done(&h);
}
END_TEST

/*
 * the fields of a line: the first of a key wins; a quoted or bracketed value hides what looks
 * like a field in it; a key at the end of the line has an empty value; a NUL byte cuts a
 * remembered value (as strndup would), other bytes are kept as they are
 */
START_TEST(test_fields)
{
    static const struct {
        const char *arrival;
        long long size;
        const char *message_id, *parent;
    } cases[] = {
        {"<= s@example.com H=(a) [192.0.2.1] S=12 S=34 id=first id=second "
         "R=1vAbCd-000Ef1-Gh R=x",
         12, "first", "1vAbCd-000Ef1-Gh"},
        {"<= s@example.com T=\"a \\\" S=99 id=x\" S=5 id=y", 5, "y", ""},
        {"<= s@example.com DN=<C=US S=7 id=z> S=6 id=w", 6, "w", ""},
        {"<= s@example.com S=8 id=", 8, "", ""},
        {"<= s@example.com id=v S=", -1, "v", ""},
        {"<= s@example.com S=1 for r@example.net S=2", 1, "", ""},
        {"<= s@example.com P=esmtp S=3 K PRDR id=\xc3\xa9t\xe9", 3, "\xc3\xa9t\xe9", ""},
        {"<= s@example.com S=sss id=u", -1, "u", ""},
    };
    struct harness h;
    char line[512];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        harness_init(&h);
        snprintf(line, sizeof line, T ID "%s", cases[i].arrival);
        ck_assert_int_eq(feed_exact(&h, line), LINE_INFO);
        ck_assert_int_eq(feed(&h, T ID "** r@example.net: Unrouteable address"), LINE_EVENT);
        ck_assert_msg(events[0].size == cases[i].size, "case %zu: size %lld", i, events[0].size);
        ck_assert_str_eq(events[0].message_id, cases[i].message_id);
        ck_assert_str_eq(events[0].parent, cases[i].parent);
        harness_done(&h);
    }
    /* a NUL byte inside a value */
    static const char nul[] = T ID "<= s@example.com S=9 id=a\0b";
    struct log_line ln = {.text = nul, .len = sizeof nul - 1};
    harness_init(&h);
    ck_assert_int_eq(exim_parser.parse_line(h.state, &h.ctx, &ln), LINE_INFO);
    ck_assert_int_eq(feed(&h, T ID "** r@example.net: Unrouteable address"), LINE_EVENT);
    ck_assert_str_eq(events[0].message_id, "a");
    ck_assert_int_eq(events[0].size, 9);
    harness_done(&h);
}
END_TEST

/*
 * texts keep their bytes but for Exim's "\n" escape (an embedded newline: a space); "\r\n" quotes
 * protocol input and stays; a quoted value ends at its first unescaped quote
 */
START_TEST(test_text_escapes)
{
    static const struct {
        const char *line, *text;
    } cases[] = {
        {T ID "removed by a\\nb", "removed by a b"},
        {T ID "removed by a\\r\\nb", "removed by a\\r\\nb"},
        {T ID "removed by a\\\\nb", "removed by a\\ b"},
        {T ID "removed by r\\nb\\n", "removed by r b"},
        {T ID "removed by a\\", "removed by a\\"},
        {T ID "removed by \\n\\n\\\\", "removed by   \\\\"},
        {T ID "=> a@example.com R=r T=t H=h [192.0.2.1] C=\"250 a\\\"b\\\" c\" x", "a\\\"b\\\" c"},
        {T ID "=> a@example.com R=r T=t H=h [192.0.2.1] C=\"250 ok\" \"x\"", "ok"},
    };
    struct harness h;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        harness_init(&h);
        ck_assert_int_eq(feed(&h, cases[i].line), LINE_EVENT);
        ck_assert_msg(strcmp(events[0].text, cases[i].text) == 0, "case %zu: [%s], want [%s]", i,
                      events[0].text, cases[i].text);
        harness_done(&h);
    }
}
END_TEST

/*
 * where the address of a delivery line ends: at the first field (" R=", " P=<", ...), at ": "
 * outside quotes and angle brackets, or at the line's end. Each shape comes with 0 to 7 bytes
 * more in front of it, so that every byte that decides sits at every offset of the four-byte
 * steps that pass over the others, and as the line's last bytes.
 */
START_TEST(test_address_end)
{
    static const struct {
        const char *rest;             /* after "<flag> %s" and the padding */
        const char *recipient, *orig; /* with the padding in front; orig "" for none */
    } cases[] = {
        {"a@example.com R=r T=t H=h [192.0.2.1] C=\"250 OK\"", "a@example.com", ""},
        {"\"a b: c\"@example.com R=r T=t", "\"a b: c\"@example.com", ""},
        {"\"a b R=c\"@example.com R=r T=t", "\"a b R=c\"@example.com", ""},
        {"a@example.com <b: c@example.net> R=r T=t", "a@example.com", "b: c@example.net"},
        {"a\\\"b@example.com R=r T=t", "a\\\"b@example.com", ""},
        {"a\\\\\"b R=c\"@example.com R=r T=t", "a\\\\\"b R=c\"@example.com", ""},
        {"a@example.com P=x T=t", "a@example.com P=x", ""},
        {"a@example.com P=<s@example.org> T=t", "a@example.com", ""},
        {"a@example.com", "a@example.com", ""},
        {"a@example.com  ", "a@example.com", ""},
        {"a@example.com:", "a@example.com", ""},
        {"a@example.com: x", "a@example.com", ""},
        {"a@example.com (b@example.com) <c@example.com> F=<s@example.org> R=r", "a@example.com",
         "c@example.com"},
    };
    static const char *const pads[] = {"", "x", "xx", "xxx", "xxxx", "xxxxx", "xxxxxx", "xxxxxxx"};
    struct harness h;
    char line[512], want[256], wantorig[256];

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t d = 0; d < sizeof pads / sizeof pads[0]; d++)
            for (int bounce = 0; bounce < 2; bounce++) {
                harness_init(&h);
                snprintf(line, sizeof line, T ID "%s %s%s", bounce ? "**" : "=>", pads[d],
                         cases[c].rest);
                snprintf(want, sizeof want, "%s%s", pads[d], cases[c].recipient);
                snprintf(wantorig, sizeof wantorig, "%s", cases[c].orig);
                ck_assert_msg(feed_exact(&h, line) == LINE_EVENT, "%s", line);
                ck_assert_msg(strcmp(events[0].recipient, want) == 0, "%s: [%s], want [%s]", line,
                              events[0].recipient, want);
                ck_assert_msg(strcmp(events[0].orig, wantorig) == 0, "%s: orig [%s], want [%s]",
                              line, events[0].orig, wantorig);
                harness_done(&h);
            }
    /* a NUL byte after a space ends the address as a field tag does */
    static const char nul[] = T ID "=> a@example.com \0=x R=r T=t";
    struct log_line ln = {.text = nul, .len = sizeof nul - 1};
    harness_init(&h);
    ck_assert_int_eq(exim_parser.parse_line(h.state, &h.ctx, &ln), LINE_EVENT);
    ck_assert_str_eq(events[0].recipient, "a@example.com");
    harness_done(&h);
}
END_TEST

/*
 * one second is parsed and converted once (the parse_ctx's ts_memo): the lines of one second
 * share it, each with its own fraction (+millisec); a zone (log_timezone, attached or after a
 * space), the next second and an impossible date are each read anew
 */
START_TEST(test_timestamp_memo)
{
    static const struct {
        const char *stamp, *want;
    } cases[] = {
        {"2026-01-02 10:00:00", "2026-01-02T10:00:00Z"},
        {"2026-01-02 10:00:00", "2026-01-02T10:00:00Z"},
        {"2026-01-02 10:00:00.250", "2026-01-02T10:00:00.250Z"},
        {"2026-01-02 10:00:00.7", "2026-01-02T10:00:00.7Z"},
        {"2026-01-02 10:00:00,123456789", "2026-01-02T10:00:00.123456Z"},
        {"2026-01-02 10:00:00", "2026-01-02T10:00:00Z"},
        {"2026-01-02 10:00:00 +0100", "2026-01-02T09:00:00Z"},
        {"2026-01-02 10:00:00.5 -0230", "2026-01-02T12:30:00.5Z"},
        {"2026-01-02 10:00:00.5+01:00", "2026-01-02T09:00:00.5Z"},
        {"2026-01-02 10:00:00Z", "2026-01-02T10:00:00Z"},
        {"2026-01-02 10:00:00.", "-"},
        {"2026-01-02 10:00:00.5x", "-"},
        {"2026-01-02 10:00:00", "2026-01-02T10:00:00Z"},
        {"2026-01-02 10:00:01.001", "2026-01-02T10:00:01.001Z"},
        {"2026-01-02 10:00:01", "2026-01-02T10:00:01Z"},
        {"2026-01-02 10:00:00.250", "2026-01-02T10:00:00.250Z"},
        {"2026-01-02 10:00:60", "2026-01-02T10:00:59Z"},
        {"2026-01-02 10:00:60.5", "2026-01-02T10:00:59.5Z"},
        {"2026-01-02 10:00:60 +0100", "2026-01-02T09:00:59Z"},
        {"2026-01-02 10:00:60", "2026-01-02T10:00:59Z"},
    };
    struct harness h;
    char line[256], buf[64];

    harness_init(&h); /* TZ=UTC */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nevents = 0;
        snprintf(line, sizeof line, "%s 1vAbCd-000Ef1-Gh ** a@example.com: Unrouteable address",
                 cases[i].stamp);
        enum line_result r = feed(&h, line);
        if (strcmp(cases[i].want, "-") == 0) { /* not a timestamp Exim writes */
            ck_assert_msg(r == LINE_UNPARSED, "line %zu: result %d", i, r);
            continue;
        }
        ck_assert_msg(r == LINE_EVENT, "line %zu: result %d", i, r);
        format_iso_utc(events[0].ts_us, events[0].ts_prec, buf, sizeof buf);
        ck_assert_msg(strcmp(buf, cases[i].want) == 0, "line %zu: %s, want %s", i, buf,
                      cases[i].want);
    }
    /* a line that is the memo's second and nothing more has no id and no event */
    ck_assert_int_eq(feed(&h, "2026-01-02 10:00:60 "), LINE_INFO);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(feed(&h, "2026-02-30 10:00:00 1vAbCd-000Ef1-Gh ** a@example.com: x"),
                         LINE_UNPARSED);
        ck_assert_str_eq(h.ctx.why, "impossible date");
    }
    harness_done(&h);
}
END_TEST

/* fresh_time - the time of line's event as a new parser (so one without a memo) reads it */
static void fresh_time(const char *line, long long *us, int *prec)
{
    struct harness h;

    harness_init(&h);
    ck_assert_msg(feed(&h, line) == LINE_EVENT, "%s: %s", line, h.ctx.why ? h.ctx.why : "-");
    *us = events[0].ts_us;
    *prec = events[0].ts_prec;
    harness_done(&h);
}

/*
 * the other seconds of the memo's hour are not converted again: the memo's time moves by the
 * difference. Each line's time must be the one a parser without a memo gives, in zones whose
 * offset changes (by an hour, by half an hour, at hours that repeat or never happen), when
 * the log goes back in time, for leap seconds, fractions and malformed clocks.
 */
START_TEST(test_timestamp_hour)
{
    static const char *const zones[] = {"UTC", "America/New_York", "Asia/Kolkata",
                                        "Australia/Lord_Howe", "Europe/Berlin"};
    static const char *const days[] = {"2026-03-08", "2026-11-01", "2026-10-04", "2026-04-05",
                                       "2026-03-29", "2026-10-25", "2024-02-29"};
    static const char *const clocks[] = {
        "00:00:00",       "00:00:01",     "00:59:59",  "00:59:60", "00:30:00",     "01:00:00",
        "01:00:00.5",     "01:00:01,250", "01:29:59",  "01:30:00", "01:59:59.999", "01:59:60",
        "01:00:00",       "01:59:58",     "02:00:00",  "02:29:59", "02:30:00",     "02:59:59",
        "02:00:00",       "03:00:00",     "03:00:07",  "02:59:59", "03:01:00",     "03:00:60",
        "03:05:07",       "03:05:07.1",   "03:60:00",  "03:05:61", "03:5:07",      "03:05:0x",
        "03:05:07 +0100", "03:05:08",     "03:05:08Z", "03:05:09", "23:59:59",     "23:00:00"};
    struct harness h;
    char line[256];

    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        for (size_t d = 0; d < sizeof days / sizeof days[0]; d++) {
            harness_init(&h);
            for (size_t c = 0; c < sizeof clocks / sizeof clocks[0]; c++) {
                snprintf(line, sizeof line, "%s %s 1vAbCd-000Ef1-Gh ** a@example.com: x", days[d],
                         clocks[c]);
                nevents = 0;
                enum line_result r = feed(&h, line);
                if (r != LINE_EVENT) { /* not a clock: neither parser takes it */
                    struct harness f;
                    harness_init(&f);
                    ck_assert_int_eq(feed(&f, line), r);
                    harness_done(&f);
                    continue;
                }
                long long us = events[0].ts_us, want_us;
                int prec = events[0].ts_prec, want_prec;
                fresh_time(line, &want_us, &want_prec);
                ck_assert_msg(us == want_us, "%s in %s: %lld, want %lld", line, zones[z], us,
                              want_us);
                ck_assert_int_eq(prec, want_prec);
            }
            harness_done(&h);
        }
    }
    setenv("TZ", "UTC", 1);
    tzset();
}
END_TEST

/* the sender verify reason is appended to the rejection that follows on the same connection */
START_TEST(test_sender_verify)
{
    struct harness h;

    harness_init(&h);
    ck_assert_int_eq(feed(&h, T "[77] H=mx.example.biz [192.0.2.95]:41584 sender verify fail for "
                                "<t@example.biz>: Unrouteable address"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, T "[77] H=mx.example.biz [192.0.2.95]:41584 F=<t@example.biz> "
                                "rejected RCPT <u@example.com>: Sender verify failed"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].text, "rejected RCPT: Sender verify failed (sender verify fail for "
                                     "<t@example.biz>: Unrouteable address)");
    /* used once */
    feed(&h, T "[77] H=mx.example.biz [192.0.2.95]:41584 F=<t@example.biz> rejected RCPT "
               "<v@example.com>: Sender verify failed");
    ck_assert_str_eq(events[1].text, "rejected RCPT: Sender verify failed");
    harness_done(&h);
}
END_TEST

/* hostile lines: never a crash, never a read outside the line */
START_TEST(test_hostile)
{
    static const char *const fulls[] = {
        T "[12] 1vAbCd-0000000AbCd-0Gh1 H=mail.example.net (helo) [192.0.2.1]:25 I=[192.0.2.2]:25 "
          "X=TLS1.3:A:128 DN=\"C=US\" F=<a@b> rejected RCPT <c@d>: 550 5.7.1 no",
        T ID
        "** a@b F=<x@y> R=r T=t H=h [192.0.2.1]:25 X=x CV=yes DN=\"d\": SMTP error from "
        "remote mail server after RCPT TO:<a@b>: host h [192.0.2.1]: 550-5.1.1 a\\n550 5.1.1 b",
        T ID "== a@b <c@d> R=r T=t defer (110): Connection timed out H=h [192.0.2.1]: SMTP "
             "timeout after MAIL FROM:<x@y> SIZE=1",
        T ID "<= <> R=1vAbCd-000Ef1-Gh H=n (h) [192.0.2.1]:1 P=esmtp S=12 id=x T=\"a\\\"b\" for c",
        T "SMTP protocol synchronization error (x): rejected \"mail from:<a>\" H=[192.0.2.1] next",
        T "dovecot authenticator failed for (x) [192.0.2.1]:2 I=[192.0.2.2]:3: 535 no",
        T "SMTP call from (x) [192.0.2.1] U=u dropped: too many (last was \"a\")",
        "Jan  2 10:00:01 mx2 exim[1515]: [1/2] " T "H=[192.0.2.1] rejected RCPT <a@b>: x",
        T "rejected from <a@b> H=(x) [192.0.2.1]: y",
        T "H=[192.0.2.1] F=<a> RCPT <b>: discarded by RCPT ACL",
    };
    struct harness h;
    static char big[1 << 20];
    struct log_line ln;

    harness_init(&h);
    memset(big, 'A', sizeof big);
    memcpy(big, T "H=(", sizeof(T) + 2);
    memset(&ln, 0, sizeof ln);
    ln.text = big;
    ln.len = sizeof big;
    exim_parser.parse_line(h.state, &h.ctx, &ln);
    /* every prefix of well-formed lines, each in a buffer of exactly its length */
    for (size_t f = 0; f < sizeof fulls / sizeof fulls[0]; f++)
        for (size_t n = 0; n <= strlen(fulls[f]); n++) {
            char *cut = malloc(n ? n : 1);
            memcpy(cut, fulls[f], n);
            ln.text = cut;
            ln.len = n;
            nevents = 0;
            exim_parser.parse_line(h.state, &h.ctx, &ln);
            free(cut);
        }
    /* NUL bytes and invalid UTF-8 inside */
    static const char nul[] = T "H=[192.0.2.1] F=<a\0b> rejected RCPT <\xff\xfe>: x\0y \xc3";
    ln.text = nul;
    ln.len = sizeof nul - 1;
    nevents = 0;
    exim_parser.parse_line(h.state, &h.ctx, &ln);
    exim_parser.flush(h.state, &h.ctx);
    harness_done(&h);
}
END_TEST

START_TEST(test_sniff)
{
    static const struct {
        const char *line;
        int want;
    } cases[] = {
        {"2012-02-13 14:39:22 1RwtJa-0009RI-2d <= a@example.com H=x [192.0.2.1] P=esmtp S=1", 1},
        {"2021-10-20 14:51:15 Cannot open main log file \"/var/log/exim4/mainlog\"", 1},
        {"2013-06-10 18:33:32 [10099] H=(x) [192.0.2.1] F=a rejected RCPT b: relay", 1},
        {"Jan  2 10:00:01 mx2 exim[1515]: 2026-01-02 10:00:00 Completed", 1},
        {"exim[1515]: [1\\2] 2022-03-26 22:42:29 Warning: No server certificate defined", 1},
        {"Jan  2 10:00:00 mx1 postfix/smtpd[1]: connect from x[192.0.2.1]", 0},
        {"2024-08-29 01:08:59 machine postfix/smtpd[1]: NOQUEUE: reject: RCPT from x", 0},
        {"2024-08-29T01:08:59.764590+02:00 machine postfix/smtpd[1]: connect from x", 0},
        {"Envelope-from: <a@example.com>", 0},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(exim_parser.sniff(cases[i].line, strlen(cases[i].line)) == cases[i].want,
                      "sniff %s", cases[i].line);
}
END_TEST

static Suite *exim_suite(void)
{
    Suite *s = suite_create("exim");
    TCase *tc = tcase_create("lines");

    tcase_add_loop_test(tc, test_line, 0, sizeof line_cases / sizeof line_cases[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("state");
    tcase_add_test(tc, test_message_correlation);
    tcase_add_test(tc, test_state_round_trip);
    tcase_add_test(tc, test_state_saves_same_bytes);
    tcase_add_test(tc, test_rejectlog_dedup);
    tcase_add_test(tc, test_source_name_reused_address);
    tcase_add_test(tc, test_syslog);
    tcase_add_test(tc, test_syslog_iso_shapes);
    tcase_add_test(tc, test_paniclog);
    tcase_add_test(tc, test_prefix);
    tcase_add_test(tc, test_timestamp_memo);
    tcase_add_test(tc, test_timestamp_hour);
    tcase_add_test(tc, test_message_ids);
    tcase_add_test(tc, test_message_id_positions);
    tcase_add_test(tc, test_fields);
    tcase_add_test(tc, test_text_escapes);
    tcase_add_test(tc, test_address_end);
    tcase_add_test(tc, test_sender_verify);
    tcase_add_test(tc, test_hostile);
    tcase_add_test(tc, test_sniff);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    return tu_run_suite(exim_suite());
}
