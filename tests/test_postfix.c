/*
 * test_postfix - the Postfix parser, line by line, with the fields each line must yield
 *
 * Lines are project-written in the shapes of formats/postfix.md; each case names what the
 * parser must make of it. Correlation cases feed several lines and check the last event.
 */
#include "event.h"
#include "parser.h"
#include "syslog.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct parser_ops postfix_parser;

/* ------------------------------------------------------------ a capturing sink */

#define MAX_EVENTS 16

struct captured {
    char kind[24], direction[16], stage[16];
    char queue_id[64], client_ip[64], client_name[128], helo[128];
    char sender[128], recipient[128], relay[128], status[16], text[1024];
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
    ck_assert_str_eq(ev->mta, "postfix");
    return 0;
}

struct harness {
    void *state;
    struct parse_ctx ctx;
};

static void harness_init(struct harness *h)
{
    memset(h, 0, sizeof *h);
    h->state = postfix_parser.create();
    h->ctx.sink.emit = capture;
    tz_cache_init(&h->ctx.tz);
    h->ctx.years.ref_s = days_from_civil(2026, 1, 3) * 86400;
    nevents = 0;
}

static enum line_result feed(struct harness *h, const char *line)
{
    struct log_line ln;

    memset(&ln, 0, sizeof ln);
    ln.text = line;
    ln.len = strlen(line);
    h->ctx.why = NULL;
    return postfix_parser.parse_line(h->state, &h->ctx, &ln);
}

static void harness_done(struct harness *h)
{
    postfix_parser.destroy(h->state);
}

/* ------------------------------------------------------------ single lines */

#define H "Jan  2 10:00:00 mx1 "

static const struct line_case {
    const char *line;
    enum line_result result;
    /* expected event (when result is LINE_EVENT): "" means empty/absent */
    const char *kind, *direction, *stage, *queue_id, *client_ip, *sender, *recipient;
    int code;
    const char *status, *text;
} line_cases[] = {
    {H "postfix/smtpd[21824]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 550 5.1.1 "
       "<nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox "
       "table; from=<a@example.org> to=<nobody@example.com> proto=ESMTP helo=<jkqw4bd90>",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.1", "a@example.org",
     "nobody@example.com", 550, "5.1.1",
     "<nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table"},
    /* queued reject after an accepted RCPT */
    {H "postfix/smtpd[13844]: 00ADB3C0899: reject: RCPT from example.com[192.0.2.1]: 550 5.1.1 "
       "<sales@example.net>: Recipient address rejected: User unknown in local recipient table; "
       "from=<x@example.com> to=<sales@example.net> proto=ESMTP helo=<mail.example.com>",
     LINE_EVENT, "reject", "inbound", "rcpt", "00ADB3C0899", "192.0.2.1", "x@example.com",
     "sales@example.net", 550, "5.1.1", NULL},
    /* old style without enhanced status */
    {H "postfix/smtpd[32297]: NOQUEUE: reject: RCPT from unknown[203.0.113.5]: 554 "
       "<ce@example.edu>: Relay access denied; from=<k@example.com> to=<e@example.dk> "
       "proto=SMTP helo=<SM01.net>",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "203.0.113.5", "k@example.com", "e@example.dk",
     554, "", "<ce@example.edu>: Relay access denied"},
    /* the reply text holds "; " itself: the trailer is the last "; from=<" */
    {H "postfix/smtpd[13275]: NOQUEUE: reject: RCPT from unknown[198.51.100.182]: 554 5.7.1 "
       "Service unavailable; Client host [198.51.100.182] blocked using zen.spamhaus.org; "
       "https://www.spamhaus.org/query/ip/198.51.100.182; from=<s@example.com> "
       "to=<good@example.net> proto=SMTP helo=<WIN-5N8GBBS0R5I>",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "198.51.100.182", "s@example.com",
     "good@example.net", 554, "5.7.1",
     "Service unavailable; Client host [198.51.100.182] blocked using zen.spamhaus.org; "
     "https://www.spamhaus.org/query/ip/198.51.100.182"},
    /* CONNECT stage, no from/to */
    {H "postfix/smtpd[7749]: NOQUEUE: reject: CONNECT from unknown[192.0.2.114]: 450 4.7.25 "
       "Client host rejected: cannot find your hostname, [192.0.2.114]; proto=SMTP",
     LINE_EVENT, "reject", "inbound", "connect", "", "192.0.2.114", "", "", 450, "4.7.25",
     "Client host rejected: cannot find your hostname, [192.0.2.114]"},
    /* EHLO reject on a multi-instance, service-named daemon */
    {H "postfix-in/submission/smtpd[3462]: NOQUEUE: reject: EHLO from s1.example.ru[192.0.2.38]: "
       "504 5.5.2 <User>: Helo command rejected: need fully-qualified hostname; proto=SMTP "
       "helo=<User>",
     LINE_EVENT, "reject", "inbound", "helo", "", "192.0.2.38", "", "", 504, "5.5.2", NULL},
    /* VRFY counts as rcpt; IPv6 client */
    {H "postfix/smtpd[1]: NOQUEUE: reject: VRFY from unknown[2001:db8:9999:20::2bd2]: 550 5.1.1 "
       "<nx@example.com>: Recipient address rejected: User unknown in virtual mailbox table; "
       "to=<nx@example.com> proto=SMTP helo=<me>",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "2001:db8:9999:20::2bd2", "", "nx@example.com",
     550, "5.1.1", NULL},
    /* BDAT with a long queue id, empty sender */
    {H "postfix-smo/submission/smtpd[22427]: 44JCRG5tYPzCqt2: reject: BDAT from "
       "signer.example.com[192.0.2.109]: 550 5.5.3 <DATA>: Data command rejected: "
       "Multi-recipient bounce; from=<> to=<some@example.com> proto=ESMTP helo=<domain.tld>",
     LINE_EVENT, "reject", "inbound", "data", "44JCRG5tYPzCqt2", "192.0.2.109", "",
     "some@example.com", 550, "5.5.3", NULL},
    /* MAIL stage, no enhanced status, no trailer */
    {H "postfix/smtpd[27712]: NOQUEUE: reject: MAIL from localhost[127.0.0.1]: 452 Insufficient "
       "system storage",
     LINE_EVENT, "reject", "inbound", "mail", "", "127.0.0.1", "", "", 452, "",
     "Insufficient system storage"},
    /* truncated reject: the text to the end */
    {H "postfix/smtpd[26897]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 Service "
       "unavailable",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.9", "", "", 554, "5.7.1",
     "Service unavailable"},
    /* empty object */
    {H "postfix/smtpd[14398]: NOQUEUE: reject: RCPT from example.com[192.0.2.10]: 450 4.7.1 : Helo "
       "command rejected: Host not found; from=<> to=<> proto=ESMTP helo=",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.10", "", "", 450, "4.7.1",
     ": Helo command rejected: Host not found"},
    /* reject_warning is its own kind */
    {H "postfix/smtpd[1]: NOQUEUE: reject_warning: RCPT from example.com[192.0.2.34]: 553 5.7.1 "
       "<sender@example.com>: Sender address rejected: not owned by user ph123; "
       "from=<sender@example.com> to=<r@example.com> proto=ESMTP helo=<example.com>",
     LINE_EVENT, "reject_warning", "inbound", "rcpt", "", "192.0.2.34", "sender@example.com",
     "r@example.com", 553, "5.7.1", NULL},
    /* milter-reject at end of message, code-less */
    {H "postfix/cleanup[1]: 4104E3D: milter-reject: END-OF-MESSAGE from "
       "h.static.example.com[192.0.2.86]: 5.7.1 Blocked by SpamAssassin; from=<w@example.com> "
       "to=<v@example.com> proto=ESMTP helo=<ecsolved.com>",
     LINE_EVENT, "reject", "inbound", "eom", "4104E3D", "192.0.2.86", "w@example.com",
     "v@example.com", 0, "5.7.1", "Blocked by SpamAssassin"},
    /* milter-reject at RCPT (greylisting milter) */
    {H "postfix/smtpd[1]: NOQUEUE: milter-reject: RCPT from relay.example.com[192.0.2.8]: 451 "
       "4.7.1 Greylisting in action, please come back later; from=<s@example.com> "
       "to=<e@example.org> proto=ESMTP helo=<relay.example.com>",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.8", "s@example.com", "e@example.org",
     451, "4.7.1", "Greylisting in action, please come back later"},
    /* proxy-reject */
    {H "postfix/smtpd[1]: 9C2E11A: proxy-reject: END-OF-MESSAGE: 554 5.7.0 Reject, contact "
       "postmaster@example.com, id=31619-02 - spam; from=<> to=<u2@example2.com> proto=SMTP "
       "helo=<17.33.12.53>",
     LINE_EVENT, "reject", "inbound", "eom", "9C2E11A", "", "", "u2@example2.com", 554, "5.7.0",
     "Reject, contact postmaster@example.com, id=31619-02 - spam"},
    /* cleanup header_checks reject */
    {H "postfix/cleanup[1]: 5A1B2C3D4E: reject: header Subject: You won a prize from "
       "mail.example.net[198.51.100.7]; from=<p@example.net> to=<u@example.com> proto=ESMTP "
       "helo=<mail.example.net>: 5.7.1 message content rejected",
     LINE_EVENT, "reject", "inbound", "header", "5A1B2C3D4E", "198.51.100.7", "p@example.net",
     "u@example.com", 0, "5.7.1", "message content rejected"},
    /* cleanup body reject with a custom code */
    {H "postfix/cleanup[1]: 5A1B2C3D4F: reject: body click here from unknown[198.51.100.8]; "
       "from=<p@example.net> to=<u@example.com> proto=ESMTP helo=<x>: 550 5.7.1 No spam here",
     LINE_EVENT, "reject", "inbound", "body", "5A1B2C3D4F", "198.51.100.8", "p@example.net",
     "u@example.com", 550, "5.7.1", "No spam here"},
    /* cleanup hold, from local submission */
    {H "postfix/cleanup[1]: 5A1B2C3D50: hold: header Received: from local; from=<root@example.com> "
       "to=<u@example.com>",
     LINE_EVENT, "hold", "inbound", "header", "5A1B2C3D50", "", "root@example.com", "u@example.com",
     0, "", ""},
    /* smtpd discard */
    {H "postfix/smtpd[1]: NOQUEUE: discard: MAIL from ccm.example.com[192.0.2.231]: "
       "<b@in.example.com>: Sender address SPAM; from=<b@in.example.com> proto=ESMTP "
       "helo=<ccm.example.com>",
     LINE_EVENT, "discard", "inbound", "mail", "", "192.0.2.231", "b@in.example.com", "", 0, "",
     "<b@in.example.com>: Sender address SPAM"},
    /* postscreen reject: comma-separated trailer */
    {H "postfix/postscreen[22055]: NOQUEUE: reject: RCPT from [192.0.2.242]:47407: 550 5.7.1 "
       "Service unavailable; client [192.0.2.242] blocked using bl.spamcop.net; "
       "from=<kos@example.network>, to=<z@example.com>, proto=ESMTP, helo=<XL-20160217QQJV>",
     LINE_EVENT, "reject", "inbound", "rcpt", "", "192.0.2.242", "kos@example.network",
     "z@example.com", 550, "5.7.1",
     "Service unavailable; client [192.0.2.242] blocked using bl.spamcop.net"},
    /* delivery agents */
    {H "postfix/smtp[1417]: 6526CDB7400B: to=<test@example.ccc>, "
       "relay=example.ccc[192.168.0.10]:25, delay=0.1, delays=0.02/0/0.03/0.05, dsn=2.0.0, "
       "status=sent (250 2.0.0 Ok: queued as 71111424269E)",
     LINE_EVENT, "deliver", "outbound", "", "6526CDB7400B", "", "", "test@example.ccc", 250,
     "2.0.0", "Ok: queued as 71111424269E"},
    /* a bare reply, parsed once to know it is one: its text still loses " (in reply to ...)",
     * and the spaces at its end */
    {H "postfix/lmtp[1]: 6526CDB7400C: to=<t@example.ccc>, relay=lmtp[private/dovecot], "
       "dsn=4.3.0, status=deferred (451 4.3.0 Temporary failure (in reply to end of DATA command))",
     LINE_EVENT, "defer", "outbound", "eom", "6526CDB7400C", "", "", "t@example.ccc", 451, "4.3.0",
     "Temporary failure"},
    {H "postfix/lmtp[1]: 6526CDB7400D: to=<t@example.ccc>, relay=lmtp[private/dovecot], "
       "dsn=2.0.0, status=sent (250 2.0.0 Saved  )",
     LINE_EVENT, "deliver", "outbound", "", "6526CDB7400D", "", "", "t@example.ccc", 250, "2.0.0",
     "Saved"},
    {H "postfix/smtp[1]: 4E74613FE76: to=<r@gmail.com>, "
       "relay=gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b]:25, delay=1.9, "
       "delays=0.05/0/1.1/0.71, dsn=5.7.1, status=bounced (host "
       "gmail-smtp-in.l.google.com[2607:f8b0:400e:c04::1b] said: 550-5.7.1 [2001:db8::25] Our "
       "system has detected that this 550-5.7.1 message is likely unsolicited mail. 550 5.7.1 "
       "See https://support.google.com/mail/?p=UnsolicitedMessageError x1si - gsmtp (in reply to "
       "end of DATA command))",
     LINE_EVENT, "bounce", "outbound", "eom", "4E74613FE76", "", "", "r@gmail.com", 550, "5.7.1",
     "[2001:db8::25] Our system has detected that this message is likely unsolicited mail. See "
     "https://support.google.com/mail/?p=UnsolicitedMessageError x1si - gsmtp"},
    {H
     "postfix/smtp[1]: A0E85200BD: to=<u@lists.example.org>, relay=open.example.nl[10.49.1.10]:25, "
     "delay=2.3, delays=0.25/0.05/2/0.04, dsn=4.2.0, status=deferred (host "
     "open.example.nl[10.49.1.10] said: 450 4.2.0 <u@lists.example.org>: Recipient address "
     "rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html (in reply "
     "to RCPT TO command))",
     LINE_EVENT, "defer", "outbound", "rcpt", "A0E85200BD", "", "", "u@lists.example.org", 450,
     "4.2.0",
     "<u@lists.example.org>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/example.org.html"},
    {H "postfix/smtp[1]: 2DC5552A34: to=<user@yahoo.com>, relay=none, delay=63495, "
       "delays=63350/144/0/0, dsn=4.4.2, status=deferred (delivery temporarily suspended: lost "
       "connection with mta7.am0.yahoodns.net[98.136.216.22] while sending RCPT TO)",
     LINE_EVENT, "defer", "outbound", "rcpt", "2DC5552A34", "", "", "user@yahoo.com", 0, "4.4.2",
     "delivery temporarily suspended: lost connection with mta7.am0.yahoodns.net[98.136.216.22] "
     "while sending RCPT TO"},
    {H "postfix/smtp[1]: 1A2B3C4D5E: to=<x@example.invalid>, relay=none, delay=0.2, "
       "delays=0.1/0/0.1/0, dsn=4.4.1, status=deferred (connect to "
       "mx.example.invalid[192.0.2.99]:25: "
       "Connection timed out)",
     LINE_EVENT, "defer", "outbound", "connect", "1A2B3C4D5E", "", "", "x@example.invalid", 0,
     "4.4.1", "connect to mx.example.invalid[192.0.2.99]:25: Connection timed out"},
    {H "postfix/local[1]: 892A0205B6: to=ghdsgfhdslfh@localhost, relay=local, delay=0.05, "
       "delays=0.02/0/0/0.02, dsn=5.1.1, status=bounced (unknown user: \"ghdsgfhdslfh\")",
     LINE_EVENT, "bounce", "outbound", "", "892A0205B6", "", "", "ghdsgfhdslfh@localhost", 0,
     "5.1.1", "unknown user: \"ghdsgfhdslfh\""},
    {H "postfix/lmtp[1]: 1B2C3D4E5F: to=<full@example.com>, "
       "relay=mail.example.com[private/dovecot-lmtp], delay=0.3, delays=0.1/0/0/0.2, dsn=5.2.2, "
       "status=bounced (host mail.example.com[private/dovecot-lmtp] said: 552 5.2.2 "
       "<full@example.com> Quota exceeded (mailbox for user is full) (in reply to end of DATA "
       "command))",
     LINE_EVENT, "bounce", "outbound", "eom", "1B2C3D4E5F", "", "", "full@example.com", 552,
     "5.2.2", "<full@example.com> Quota exceeded (mailbox for user is full)"},
    {H "postfix/discard[19593]: 25F2E5E061: to=<g@test.example.com>, relay=none, delay=0.05, "
       "delays=0.05/0/0/0, dsn=2.0.0, status=sent (test.example.com)",
     LINE_EVENT, "discard", "outbound", "", "25F2E5E061", "", "", "g@test.example.com", 0, "2.0.0",
     "test.example.com"},
    {.line = H "postfix/verify[1]: 3E29030F8637E: to=<user@yahoo.com>, relay=none, delay=0.01, "
               "delays=0.01/0/0/0, dsn=5.1.1, status=undeliverable-but-not-cached (User unknown in "
               "virtual alias table)",
     .result = LINE_INFO},
    {H "postfix/smtp[1]: 3E29030F8637E: to=<user@yahoo.com>, relay=none, delay=0.01, "
       "delays=0.01/0/0/0, dsn=5.1.1, status=undeliverable-but-not-cached (User unknown in "
       "virtual alias table)",
     LINE_EVENT, "bounce", "outbound", "", "3E29030F8637E", "", "", "user@yahoo.com", 0, "5.1.1",
     "User unknown in virtual alias table"},
    {H "postfix/qmgr[1]: BACE842E72: from=<noreply@example.com>, status=expired, returned to "
       "sender",
     LINE_EVENT, "expire", "outbound", "", "BACE842E72", "", "noreply@example.com", "", 0, "",
     "expired, returned to sender"},
    /* lines that are not events */
    {.line = H "postfix/smtpd[1830]: connect from example.com[127.0.0.1]", .result = LINE_INFO},
    {.line = H "postfix/smtpd[1]: disconnect from unknown[192.0.2.2] ehlo=1 auth=0/1 rset=1 quit=1 "
               "commands=3/4",
     .result = LINE_INFO},
    {.line = H "postfix/smtpd[1]: NOQUEUE: lost connection after CONNECT from unknown[192.0.2.25]",
     .result = LINE_INFO},
    {.line =
         H "postfix/smtp[1]: 732BB407C3: host mail.example.com[192.0.2.1] said: 451 DT:SPM 163 (in "
           "reply to end of DATA command)",
     .result = LINE_INFO},
    {.line = H "postfix/qmgr[8204]: AAB4D259B1: removed", .result = LINE_INFO},
    {.line = H "postfix/cleanup[1]: D8B07E3DB6: warning: header Subject: hello from "
               "o1.example.net[192.0.2.173]; from=<b@example.net> to=<f@example.co.uk> proto=ESMTP "
               "helo=<o1.example.net>",
     .result = LINE_INFO},
    {.line = H "postfix/postfix-script[1]: fatal: the Postfix mail system is not running",
     .result = LINE_INFO},
    {.line = H "postfix/master[1741]: warning: process /usr/libexec/postfix/cleanup pid 27541 exit "
               "status 1",
     .result = LINE_INFO},
    {.line = H "postfix/postscreen[1]: CONNECT from [192.0.2.86]:53024 to [198.51.100.244]:25",
     .result = LINE_INFO},
    {.line = H "dovecot[1]: imap-login: Login: user=<u>", .result = LINE_FOREIGN},
    {.line = H "opendkim[1]: 4104E3D: DKIM-Signature field added", .result = LINE_FOREIGN},
    /* broken lines */
    {.line = " postfix/smtp[8909]: 774C14AEF2: to=<rj@example.com.br>, relay=127.0.0.1[127.0.0.1], "
             "status=deferred (x)",
     .result = LINE_UNPARSED},
    {.line = "postfix/postfix-script: fatal: the Postfix mail system is not running",
     .result = LINE_UNPARSED},
    {.line = H "postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1",
     .result = LINE_UNPARSED},
    {.line =
         H "postfix/smtp[1]: 774C14AEF2: to=<rj@example.com>, relay=x, delay=1, status=flying (?)",
     .result = LINE_UNPARSED},
    {.line = "Feb 30 10:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 550 x",
     .result = LINE_UNPARSED},
    {.line = "", .result = LINE_UNPARSED},
    /* found by fuzz_postfix (tests/fuzz/regressions/postfix) */
    /* 2026-11-30: " as " searched from " listed by": a list length of -1 */
    {.line = H "postfix/dnsblog[14054]: addr 203.0.113.105 listed by domain as  psbl.surriel.com "
               "as 127.0.0.2",
     .result = LINE_INFO},
    /* 2026-11-30: no address between "addr" and " listed by": an address length of -1 */
    {.line = "Dec 9 06:24:24 /dnsblog:addr listed by domain ", .result = LINE_INFO},
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

START_TEST(test_queue_correlation)
{
    struct harness h;

    harness_init(&h);
    ck_assert_int_eq(feed(&h, H "postfix/smtpd[1830]: C6E0DDB74006: client=mx.example.com"
                                "[192.0.2.50], sasl_method=PLAIN, sasl_username=u@example.com"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, H "postfix/cleanup[1894]: C6E0DDB74006: "
                                "message-id=<A40CF64D@example.com>"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, H "postfix/qmgr[18719]: C6E0DDB74006: from=<test@example.com>, "
                                "size=309891, nrcpt=2 (queue active)"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, H "postfix/smtp[1874]: C6E0DDB74006: to=<a@example.ddd>, "
                                "relay=example.ddd[192.0.2.30]:25, delay=3.4, "
                                "delays=0.11/0/0.38/2.9, dsn=4.7.1, status=deferred (host "
                                "example.ddd[192.0.2.30] said: 450 4.7.1 Try again later (in "
                                "reply to RCPT TO command))"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].sender, "test@example.com");
    ck_assert_int_eq(events[0].size, 309891);
    ck_assert_str_eq(events[0].client_ip, "192.0.2.50");
    ck_assert_str_eq(events[0].client_name, "mx.example.com");
    ck_assert_str_eq(events[0].message_id, "A40CF64D@example.com");
    ck_assert_str_eq(events[0].relay, "example.ddd[192.0.2.30]:25");
    /* the expiry names the last deferral */
    ck_assert_int_eq(feed(&h, H "postfix/qmgr[18719]: C6E0DDB74006: from=<test@example.com>, "
                                "status=expired, returned to sender"),
                     LINE_EVENT);
    ck_assert_str_eq(events[1].kind, "expire");
    ck_assert_str_eq(events[1].text, "expired, returned to sender; last deferral: Try again later");
    /* the bounce notification is linked to its parent, and has the null sender */
    ck_assert_int_eq(feed(&h, H "postfix/bounce[9321]: C6E0DDB74006: sender non-delivery "
                                "notification: 5DE184083C"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, H "postfix/qmgr[18719]: 5DE184083C: from=<>, size=2000, nrcpt=1 "
                                "(queue active)"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, H "postfix/local[1]: 5DE184083C: to=<test@example.com>, "
                                "relay=local, delay=0.1, delays=0/0/0/0.1, dsn=2.0.0, "
                                "status=sent (delivered to mailbox)"),
                     LINE_EVENT);
    ck_assert_str_eq(events[2].parent, "C6E0DDB74006");
    ck_assert_int_eq(events[2].null_sender, 0);
    ck_assert_str_eq(events[2].sender, "");
    /* removed: the queue id may be reused, its data must not leak into the next message */
    ck_assert_int_eq(feed(&h, H "postfix/qmgr[18719]: C6E0DDB74006: removed"), LINE_INFO);
    ck_assert_int_eq(feed(&h, H "postfix/smtp[1]: C6E0DDB74006: to=<b@example.ddd>, relay=none, "
                                "delay=1, delays=1/0/0/0, dsn=4.4.1, status=deferred (connect "
                                "to x[192.0.2.1]:25: Connection refused)"),
                     LINE_EVENT);
    ck_assert_int_eq(events[3].null_sender, 1);
    ck_assert_int_eq(events[3].size, -1);
    harness_done(&h);
}
END_TEST

/*
 * the lines that only tell about a message (client, Message-ID, sender and size, parent) go
 * into its entry without an event being set up: each must still reach the message's events,
 * keyed by the same host, also when the line has none and the default host stands in
 */
START_TEST(test_message_news)
{
    static const char *const defaults[] = {NULL, "relay.example.net"};
    struct harness h;

    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
        harness_init(&h);
        h.ctx.default_host = defaults[i];
        /* a local submission: pickup names the sender, the client is only an address */
        ck_assert_int_eq(feed(&h, "Jan  2 10:00:00 postfix/pickup[7]: 4F1A2B3C4D: uid=1000 "
                                  "from=<alice>"),
                         LINE_INFO);
        ck_assert_int_eq(feed(&h, "Jan  2 10:00:00 postfix/smtpd[8]: 4F1A2B3C4D: "
                                  "client=[2001:db8::7]:587"),
                         LINE_INFO);
        ck_assert_int_eq(feed(&h, "Jan  2 10:00:00 postfix/cleanup[9]: 4F1A2B3C4D: "
                                  "message-id=<local.1@example.org>"),
                         LINE_INFO);
        ck_assert_int_eq(feed(&h, "Jan  2 10:00:01 postfix/smtp[10]: 4F1A2B3C4D: "
                                  "to=<bob@example.com>, relay=none, delay=1, delays=1/0/0/0, "
                                  "dsn=5.4.4, status=bounced (Host or domain name not found)"),
                         LINE_EVENT);
        ck_assert_str_eq(events[0].sender, "alice");
        ck_assert_str_eq(events[0].client_ip, "2001:db8::7");
        ck_assert_str_eq(events[0].client_name, "");
        ck_assert_str_eq(events[0].message_id, "local.1@example.org");
        ck_assert_str_eq(events[0].host, defaults[i] ? defaults[i] : "");
        /* a client without brackets names nothing, and the first client named stays */
        ck_assert_int_eq(feed(&h, H "postfix/smtpd[8]: 5A6B7C8D9E: client=unknown"), LINE_INFO);
        ck_assert_int_eq(feed(&h, H "postfix/smtpd[8]: 5A6B7C8D9E: client=a.example[192.0.2.9]"),
                         LINE_INFO);
        ck_assert_int_eq(feed(&h, H "postfix/smtpd[8]: 5A6B7C8D9E: client=b.example[192.0.2.10]"),
                         LINE_INFO);
        ck_assert_int_eq(feed(&h, H "postfix/local[11]: 5A6B7C8D9E: to=<c@mx1>, relay=local, "
                                    "delay=1, delays=1/0/0/0, dsn=2.0.0, status=sent (delivered "
                                    "to mailbox)"),
                         LINE_EVENT);
        ck_assert_str_eq(events[1].client_name, "a.example");
        ck_assert_str_eq(events[1].client_ip, "192.0.2.9");
        ck_assert_int_eq(events[1].null_sender, 1);
        /* and lines with a host are that host's */
        ck_assert_str_eq(events[1].host, "mx1");
        harness_done(&h);
    }
}
END_TEST

/*
 * a message's strings live in the message while they fit and by themselves after: long ones,
 * ones set again, and a deferral text replaced many times all read back as set, also after a
 * round trip through the saved state
 */
START_TEST(test_message_strings)
{
    struct harness h;
    struct strbuf sb = STRBUF_INIT;
    char name[101], mid[121], sender[121], line[1024], last[64];

    memset(name, 'n', 100), name[100] = '\0';
    memset(mid, 'm', 120), mid[120] = '\0';
    memset(sender, 's', 120), sender[120] = '\0';
    harness_init(&h);
    snprintf(line, sizeof line, H "postfix/smtpd[1]: 1234ABCDE: client=%s[192.0.2.7]", name);
    ck_assert_int_eq(feed(&h, line), LINE_INFO);
    snprintf(line, sizeof line, H "postfix/cleanup[1]: 1234ABCDE: message-id=<%s>", mid);
    ck_assert_int_eq(feed(&h, line), LINE_INFO);
    feed(&h, H "postfix/qmgr[1]: 1234ABCDE: from=<first@example.com>, size=5, nrcpt=1");
    snprintf(line, sizeof line, H "postfix/qmgr[1]: 1234ABCDE: from=<%s>, size=6, nrcpt=1", sender);
    ck_assert_int_eq(feed(&h, line), LINE_INFO);
    for (int i = 0; i < 12; i++) {
        snprintf(last, sizeof last, "Try again later, attempt %d of many", i);
        snprintf(line, sizeof line,
                 H "postfix/smtp[1]: 1234ABCDE: to=<r@example.org>, relay=x[192.0.2.1]:25, "
                   "delay=1, delays=1/0/0/0, dsn=4.7.1, status=deferred (host x[192.0.2.1] "
                   "said: 450 4.7.1 %s (in reply to RCPT TO command))",
                 last);
        ck_assert_int_eq(feed(&h, line), LINE_EVENT);
        ck_assert_str_eq(events[i].client_name, name);
        ck_assert_str_eq(events[i].client_ip, "192.0.2.7");
        ck_assert_str_eq(events[i].message_id, mid);
        ck_assert_str_eq(events[i].sender, sender);
        ck_assert_int_eq(events[i].size, 6);
    }
    postfix_parser.save_state(h.state, &sb);
    harness_done(&h);

    harness_init(&h);
    postfix_parser.load_state(h.state, sb.buf, sb.len);
    ck_assert_int_eq(feed(&h, H "postfix/qmgr[1]: 1234ABCDE: from=<x@example.com>, "
                                "status=expired, returned to sender"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].text, "expired, returned to sender; last deferral: Try again "
                                     "later, attempt 11 of many");
    ck_assert_str_eq(events[0].client_name, name);
    ck_assert_str_eq(events[0].message_id, mid);
    ck_assert_str_eq(events[0].sender, "x@example.com");
    harness_done(&h);
    strbuf_free(&sb);
}
END_TEST

/* the correlation table is saved and restored between runs */
START_TEST(test_state_round_trip)
{
    struct harness h;
    struct strbuf sb = STRBUF_INIT;

    harness_init(&h);
    feed(&h, H "postfix/qmgr[1]: 1234ABCDE: from=<s\x01@example.com>, size=77, nrcpt=1 (queue "
               "active)");
    feed(&h, H "postfix/smtpd[1]: 1234ABCDE: client=c.example.com[192.0.2.7]");
    postfix_parser.save_state(h.state, &sb);
    harness_done(&h);

    harness_init(&h);
    postfix_parser.load_state(h.state, sb.buf, sb.len);
    ck_assert_int_eq(feed(&h, H "postfix/smtp[1]: 1234ABCDE: to=<r@example.org>, relay=none, "
                                "delay=1, delays=1/0/0/0, dsn=5.4.4, status=bounced (Host or "
                                "domain name not found. Name service error for "
                                "name=example.org type=MX: Host not found)"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].sender, "s\x01@example.com");
    ck_assert_int_eq(events[0].size, 77);
    ck_assert_str_eq(events[0].client_ip, "192.0.2.7");
    harness_done(&h);
    /* garbage state is ignored, never fatal */
    harness_init(&h);
    postfix_parser.load_state(h.state, "R5:abc", 6);
    postfix_parser.load_state(h.state, "R999999999999:x", 15);
    postfix_parser.load_state(h.state, "\xff\xfe", 2);
    harness_done(&h);
    strbuf_free(&sb);
}
END_TEST

/* a postscreen session counts once: a verdict followed by a reject is the reject */
START_TEST(test_postscreen_sessions)
{
    struct harness h;

    harness_init(&h);
    ck_assert_int_eq(feed(&h, H "postfix/postscreen[1]: CONNECT from [192.0.2.2]:59415 to "
                                "[198.51.100.1]:25"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h, H "postfix/postscreen[1]: PREGREET 14 after 0.08 from "
                                "[192.0.2.2]:59415: EHLO ylmf-pc\\r\\n"),
                     LINE_INFO);
    ck_assert_int_eq(feed(&h,
                          H "postfix/postscreen[1]: NOQUEUE: reject: RCPT from "
                            "[192.0.2.2]:59415: 550 5.5.1 Protocol error; from=<a@example.com>, "
                            "to=<b@example.net>, proto=SMTP, helo=<ylmf-pc>"),
                     LINE_EVENT);
    ck_assert_int_eq(feed(&h, H "postfix/postscreen[1]: DISCONNECT [192.0.2.2]:59415"), LINE_INFO);
    ck_assert_int_eq(nevents, 1);
    ck_assert_int_eq(events[0].reply_code, 550);

    /* a verdict alone becomes a connection-level reject when the session ends */
    nevents = 0;
    feed(&h, H "postfix/dnsblog[2]: addr 192.0.2.30 listed by domain zen.spamhaus.org as "
               "127.0.0.4");
    feed(&h, H "postfix/postscreen[1]: CONNECT from [192.0.2.30]:52340 to [198.51.100.1]:25");
    feed(&h, H "postfix/postscreen[1]: PREGREET 11 after 0.1 from [192.0.2.30]:52340: HELO x");
    feed(&h, H "postfix/postscreen[1]: DNSBL rank 6 for [192.0.2.30]:52340");
    ck_assert_int_eq(nevents, 0);
    feed(&h, H "postfix/postscreen[1]: DISCONNECT [192.0.2.30]:52340");
    ck_assert_int_eq(nevents, 1);
    ck_assert_str_eq(events[0].kind, "reject");
    ck_assert_str_eq(events[0].stage, "connect");
    ck_assert_str_eq(events[0].client_ip, "192.0.2.30");
    /* the DNSBL verdict wins over the protocol one: it says more about the client */
    ck_assert_str_eq(events[0].text, "DNSBL rank 6 for [192.0.2.30]:52340 (listed by "
                                     "zen.spamhaus.org as 127.0.0.4)");

    /* a session never closed is flushed at the end of the input */
    nevents = 0;
    feed(&h, H "postfix/postscreen[1]: HANGUP after 16 from [192.0.2.3]:48119 in tests after "
               "SMTP handshake");
    ck_assert_int_eq(nevents, 0);
    ck_assert_int_eq(postfix_parser.flush(h.state, &h.ctx), 0);
    ck_assert_int_eq(nevents, 1);
    ck_assert_str_eq(events[0].client_ip, "192.0.2.3");
    harness_done(&h);
}
END_TEST

/* timestamps: RFC 3339 with zone and microseconds, and the year across New Year */
START_TEST(test_timestamps)
{
    struct harness h;
    char buf[64];

    harness_init(&h);
    feed(&h, "2024-08-29T01:08:59.764590+02:00 machine postfix/smtpd[1]: NOQUEUE: reject: RCPT "
             "from unknown[192.0.2.1]: 454 4.7.1 <s@example.tld>: Relay access denied; "
             "from=<s@example.tld> to=<s@example.tld> proto=ESMTP helo=<W>");
    ck_assert_int_eq(nevents, 1);
    format_iso_utc(events[0].ts_us, events[0].ts_prec, buf, sizeof buf);
    ck_assert_str_eq(buf, "2024-08-28T23:08:59.764590Z");
    ck_assert_str_eq(events[0].host, "machine");
    feed(&h, "Dec 31 23:59:59 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 550 "
             "5.7.1 no; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<h>");
    format_iso_utc(events[1].ts_us, events[1].ts_prec, buf, sizeof buf);
    ck_assert_str_eq(buf, "2025-12-31T23:59:59Z");
    feed(&h, "Jan 01 00:00:01 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 550 "
             "5.7.1 no; from=<a@b.example> to=<c@d.example> proto=ESMTP helo=<h>");
    format_iso_utc(events[2].ts_us, events[2].ts_prec, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-01-01T00:00:01Z");
    harness_done(&h);
}
END_TEST

/*
 * a message refused whole (cleanup's header checks, a milter at the end of DATA) never gets
 * qmgr's "removed": it is forgotten at once; a recipient refused at RCPT leaves it known
 * (2026-11-30: 2,000 such messages a million lines stayed in the table until evicted)
 */
/* has_bytes - 1 when needle occurs in p[0..n) */
static int has_bytes(const char *p, size_t n, const char *needle)
{
    size_t m = strlen(needle);

    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(p + i, needle, m) == 0)
            return 1;
    return 0;
}

START_TEST(test_forget_refused_message)
{
    struct harness h;
    struct strbuf sb = STRBUF_INIT;

    harness_init(&h);
    feed(&h, H "postfix/smtpd[1]: 1234ABCDE: client=c.example.com[192.0.2.7]");
    feed(&h, H "postfix/smtpd[1]: 5678ABCDE: client=d.example.com[192.0.2.8]");
    feed(&h, H "postfix/smtpd[1]: 9ABCDEF01: client=e.example.com[192.0.2.9]");
    ck_assert_int_eq(feed(&h, H "postfix/cleanup[2]: 1234ABCDE: reject: header Subject: win from "
                                "c.example.com[192.0.2.7]; from=<a@b.example> to=<c@d.example> "
                                "proto=ESMTP helo=<c>: 5.7.1 no thanks"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].client_ip, "192.0.2.7");
    ck_assert_int_eq(feed(&h, H "postfix/cleanup[2]: 5678ABCDE: milter-reject: END-OF-MESSAGE "
                                "from d.example.com[192.0.2.8]: 5.7.1 spam; from=<a@b.example> "
                                "to=<c@d.example> proto=ESMTP helo=<d>"),
                     LINE_EVENT);
    ck_assert_int_eq(feed(&h, H "postfix/smtpd[1]: 9ABCDEF01: reject: RCPT from "
                                "e.example.com[192.0.2.9]: 550 5.1.1 <x@d.example>: Recipient "
                                "address rejected: User unknown; from=<a@b.example> "
                                "to=<x@d.example> proto=ESMTP helo=<e>"),
                     LINE_EVENT);
    postfix_parser.save_state(h.state, &sb);
    ck_assert(!has_bytes(sb.buf, sb.len, "1234ABCDE"));
    ck_assert(!has_bytes(sb.buf, sb.len, "5678ABCDE"));
    ck_assert(has_bytes(sb.buf, sb.len, "9ABCDEF01"));
    strbuf_free(&sb);
    harness_done(&h);
}
END_TEST

/* the rest of a line after its timestamp, for the timestamp tests: a rejection, an event */
static const char rej[] = " mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: "
                          "550 5.7.1 no; from=<a@b.example> to=<c@d.example> proto=ESMTP "
                          "helo=<h>";

/*
 * feed_in_turn - line to seq, which has read the lines before it, and then alone to a parser
 * of its own (the same year reference): the same status and, for an event, the same time and
 * precision
 */
static void feed_in_turn(struct harness *seq, const char *line)
{
    struct harness one;
    enum line_result rs, ro;
    long long ts = 0;
    int prec = 0;

    rs = feed(seq, line);
    if (nevents > 0) {
        ts = events[nevents - 1].ts_us;
        prec = events[nevents - 1].ts_prec;
    }
    nevents = 0;
    harness_init(&one);
    one.ctx.years.ref_s = seq->ctx.years.ref_s;
    ro = feed(&one, line);
    ck_assert_msg(rs == ro, "%s: %d alone, %d after the others", line, ro, rs);
    if (ro == LINE_EVENT)
        ck_assert_msg(events[0].ts_us == ts && events[0].ts_prec == prec,
                      "%s: %lld (%d digits) alone, %lld (%d) after the others", line,
                      events[0].ts_us, events[0].ts_prec, ts, prec);
    harness_done(&one);
    nevents = 0;
}

/*
 * one timestamp text is read once (ts_memo): the lines of one second share it, a longer text
 * that starts with it is read anew, and an impossible date stays unreadable line after line
 */
/*
 * another second of the memo's hour moves the memo (syslog.c, memo_same_hour): each line's
 * time is what a parser that never saw the lines before gives it, across the change to summer
 * time in New York (2026-03-08 02:00 is skipped), back to an hour before, and on a day whose
 * first hour is the memo's hour of another day
 */
START_TEST(test_timestamp_memo_hour)
{
    static const char *const stamps[] = {
        "Mar  8 01:00:00", "Mar  8 01:00:07", "Mar  8 01:59:59", "Mar  8 01:59:60",
        "Mar  8 02:30:00", "Mar  8 02:30:01", "Mar  8 03:00:00", "Mar  8 03:00:00",
        "Mar  8 03:17:42", "Mar  8 01:30:00", "Mar  8 01:30:09", "Mar  9 01:30:09",
        "Mar  9 01:45:00", "Nov  1 01:10:00", "Nov  1 01:50:00", "Nov  1 01:05:00",
        "Mar  8 01:61:00", "Mar  8 01:0x:00",
    };
    struct harness seq;
    char line[512];

    setenv("TZ", "America/New_York", 1);
    tzset();
    harness_init(&seq);
    seq.ctx.years.ref_s = days_from_civil(2026, 11, 3) * 86400;
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
        snprintf(line, sizeof line, "%s%s", stamps[i], rej);
        feed_in_turn(&seq, line);
    }
    harness_done(&seq);
    setenv("TZ", "UTC", 1);
    tzset();
}
END_TEST

/*
 * an RFC 3339 stamp of the memo's minute takes its seconds, fraction and zone from the line
 * (syslog.c, memo_same_minute_iso): each line's time and precision are what a parser that never
 * saw the lines before gives it, for stamps in turn and for 3,000 generated ones (fractions of
 * no to nine digits, '.' and ',', each zone form, zone-less times across the change to summer
 * time in New York, a leap second, and stamps that are no header at all)
 */
START_TEST(test_timestamp_memo_minute_iso)
{
    static const char *const stamps[] = {
        "2026-03-08T01:59:58.123456+01:00",
        "2026-03-08T01:59:59.5+01:00",
        "2026-03-08T01:59:59.500001+01:00",
        "2026-03-08T01:59:59.123456789+01:00",
        "2026-03-08T01:59:60.25+01:00",
        "2026-03-08T01:59:59,75+01:00",
        "2026-03-08T01:59:59.75+0100",
        "2026-03-08T01:59:59.75Z",
        "2026-03-08T01:59:59.75z",
        "2026-03-08T01:59:59.75",
        "2026-03-08T01:59:58",
        "2026-03-08T01:59:58.",
        "2026-03-08T01:59:58.1+01:00x",
        "2026-03-08T01:59:58.1-05:00",
        "2026-03-08t01:59:58.1-05:00",
        "2026-03-08 01:59:58.1-05:00",
        "2026-03-08T01:59:57.1-05:00",
        "2026-03-08T01:59:61.1-05:00",
        "2026-03-08T01:59:5x.1-05:00",
        "2026-02-30T01:59:58.1-05:00",
        "2026-02-30T01:59:59.1-05:00",
        "2026-03-08T01:58:00.1-05:00",
        "2026-03-08T01:58:01.123456789012345678901234-05:00",
        "2026-03-08T01:58:02.1-05:00",
    };
    static const char *const zones[] = {"+01:00", "+0100", "Z", "", "-05:00", "+01:00x", "+1:00"};
    struct harness seq;
    char line[512], stamp[64];
    uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
    int minute = 0;

    setenv("TZ", "America/New_York", 1);
    tzset();
    harness_init(&seq);
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0] + 3000; i++) {
        if (i < sizeof stamps / sizeof stamps[0]) {
            snprintf(stamp, sizeof stamp, "%s", stamps[i]);
        } else { /* minutes around 02:00 on the day New York skips it, seconds and fractions */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            if ((x >> 40) % 3 == 0) /* another minute; else the minute of the line before */
                minute = (int)(x % 240);
            int digits = (int)((x >> 8) % 10), sec = (int)((x >> 12) % 61);
            char frac[16] = "";
            if (digits > 0) {
                frac[0] = (x >> 16) % 8 == 0 ? ',' : '.';
                for (int d = 0; d < digits; d++)
                    frac[1 + d] = (char)('0' + (x >> (20 + 3 * d)) % 10);
                frac[1 + digits] = '\0';
            }
            snprintf(stamp, sizeof stamp, "2026-03-08T%02d:%02d:%02d%s%s", minute / 60, minute % 60,
                     sec, frac, zones[(x >> 50) % (x % 4 == 0 ? 7 : 2)]);
        }
        snprintf(line, sizeof line, "%s%s", stamp, rej);
        feed_in_turn(&seq, line);
        ck_assert_uint_le(seq.ctx.ts_memo.len, TS_MEMO_MAX);
    }
    harness_done(&seq);
    setenv("TZ", "UTC", 1);
    tzset();
}
END_TEST

START_TEST(test_timestamp_memo)
{
    static const char *const stamps[] = {"Mar  2 10:00:00",     "Mar  2 10:00:00",
                                         "Mar  2 10:00:00.250", "Mar  2 10:00:00",
                                         "Mar  2 10:00:01",     "2026-03-02T10:00:01+01:00"};
    static const char *const want[] = {"2026-03-02T10:00:00Z",     "2026-03-02T10:00:00Z",
                                       "2026-03-02T10:00:00.250Z", "2026-03-02T10:00:00Z",
                                       "2026-03-02T10:00:01Z",     "2026-03-02T09:00:01Z"};
    struct harness h;
    char line[512], buf[64];

    setenv("TZ", "UTC", 1);
    tzset();
    harness_init(&h);
    h.ctx.years.ref_s = days_from_civil(2026, 3, 3) * 86400;
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
        snprintf(line, sizeof line, "%s%s", stamps[i], rej);
        ck_assert_int_eq(feed(&h, line), LINE_EVENT);
        format_iso_utc(events[i].ts_us, events[i].ts_prec, buf, sizeof buf);
        ck_assert_msg(strcmp(buf, want[i]) == 0, "line %zu: %s, want %s", i, buf, want[i]);
    }
    for (int k = 0; k < 2; k++) {
        snprintf(line, sizeof line, "Feb 30 10:00:00%s", rej);
        ck_assert_int_eq(feed(&h, line), LINE_UNPARSED);
        ck_assert_str_eq(h.ctx.why, "impossible date");
    }
    harness_done(&h);
}
END_TEST

/* a delivery line that cannot be read is unparsed with its reason, from every daemon that
 * reports deliveries, and makes no event */
START_TEST(test_delivery_unparsed_reasons)
{
    static const char *const daemons[] = {"smtp", "discard", "qmgr", "local"};
    static const struct {
        const char *rest, *why;
    } cases[] = {
        {"to=<a@example.net>, relay=none, delay=1, dsn=5.0.0", "delivery line without status="},
        {"to=<a@example.net, relay=none, delay=1, dsn=5.0.0, status=bounced (x)",
         "delivery address not closed"},
        {"to=<a@example.net>, relay=none, delay=1, dsn=5.0.0, status=lost (x)",
         "unknown delivery status"},
    };
    struct harness h;
    char line[512];

    harness_init(&h);
    for (size_t d = 0; d < sizeof daemons / sizeof daemons[0]; d++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            snprintf(line, sizeof line, H "postfix/%s[7]: 3F1A2B4C5D: %s", daemons[d],
                     cases[i].rest);
            ck_assert_int_eq(feed(&h, line), LINE_UNPARSED);
            ck_assert_msg(h.ctx.why != NULL && strcmp(h.ctx.why, cases[i].why) == 0,
                          "%s: why %s, want %s", line, h.ctx.why ? h.ctx.why : "(none)",
                          cases[i].why);
        }
    ck_assert_int_eq(nevents, 0);
    harness_done(&h);
}
END_TEST

/* hostile lines: never a crash, never an event with fields from outside the line */
START_TEST(test_hostile)
{
    struct harness h;
    static char big[1 << 20];
    struct log_line ln;

    harness_init(&h);
    memset(big, 'A', sizeof big);
    memcpy(big, H "postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[", sizeof(H) + 45);
    memset(&ln, 0, sizeof ln);
    ln.text = big;
    ln.len = sizeof big;
    postfix_parser.parse_line(h.state, &h.ctx, &ln);
    /* every prefix of a well-formed reject line */
    const char *full = H "postfix/smtpd[1]: 0A1B2C3D4E: reject: RCPT from x.example[192.0.2.1]: "
                         "550 5.1.1 <a@b>: Recipient address rejected: User unknown; "
                         "from=<c@d> to=<a@b> proto=ESMTP helo=<h>";
    for (size_t n = 0; n <= strlen(full); n++) {
        char *cut = malloc(n ? n : 1);
        memcpy(cut, full, n);
        ln.text = cut; /* exactly n bytes: a read past the line is a sanitizer error */
        nevents = 0;
        ln.len = n;
        postfix_parser.parse_line(h.state, &h.ctx, &ln);
        free(cut);
    }
    /* NUL bytes and invalid UTF-8 inside */
    static const char nul[] = H "postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 550 "
                                "5.7.1 a\0b\xff\xfe; from=<a\0@b> to=<c@d> proto=ESMTP helo=<\xc3>";
    ln.text = nul;
    ln.len = sizeof nul - 1;
    postfix_parser.parse_line(h.state, &h.ctx, &ln);
    harness_done(&h);
}
END_TEST

START_TEST(test_sniff)
{
    ck_assert_int_eq(postfix_parser.sniff(H "postfix/smtpd[1]: connect from x[1.2.3.4]",
                                          strlen(H "postfix/smtpd[1]: connect from x[1.2.3.4]")),
                     1);
    ck_assert_int_eq(postfix_parser.sniff("2012-02-13 14:39:22 1RwtJa-0009RI-2d <= a@b", 43), 0);
    ck_assert_int_eq(postfix_parser.sniff(H "dovecot[1]: x", strlen(H "dovecot[1]: x")), 0);
}
END_TEST

/* ------------------------------------------------------------ the syslog header */

/* the bytes of a host or tag, one at a time: the model the header reader must agree with */
static int ref_tag_byte(unsigned char c)
{
    return c > ' ' && c != ':' && c != '[' && c != 0x7f;
}

static size_t ref_span(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && ref_tag_byte((unsigned char)s[i]))
        i++;
    return i;
}

struct ref_header {
    long host; /* offset, -1 when none */
    size_t host_len, tag, tag_len, msg;
};

/* ref_header - syslog_parse_header's reading of what follows the timestamp, byte by byte */
static int ref_header(const char *s, size_t n, size_t i, struct ref_header *r)
{
    size_t t;

    if (i >= n || s[i] != ' ')
        return -1;
    while (i < n && s[i] == ' ')
        i++;
    t = ref_span(s + i, n - i);
    r->host = -1;
    r->host_len = 0;
    if (t > 0 && i + t < n && s[i + t] == ' ') {
        r->host = (long)i;
        r->host_len = t;
        i += t;
        while (i < n && s[i] == ' ')
            i++;
        t = ref_span(s + i, n - i);
    }
    if (t == 0 || i + t >= n)
        return -1;
    r->tag = i;
    r->tag_len = t;
    i += t;
    if (s[i] == '[') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - d < 10)
            i++;
        if (i == d || i >= n || s[i] != ']')
            return -1;
        i++;
    }
    if (i >= n || s[i] != ':')
        return -1;
    i++;
    if (i < n && s[i] == ' ')
        i++;
    r->msg = i;
    return 0;
}

/* check_header - syslog_parse_header on exactly line[0..n) agrees with ref_header */
static void check_header(const char *line, size_t n, int layout, size_t len, int b, size_t j)
{
    char *copy = malloc(n ? n : 1); /* exactly n bytes: a read past the line is an ASan error */
    struct syslog_header h;
    struct ref_header r;
    int got, want;

    memcpy(copy, line, n);
    want = ref_header(copy, n, 15, &r);
    got = syslog_parse_header(copy, n, &h);
    /* one check a case would be half a million through Check's pipe: only a failure reports */
    if (got != want || (want == 0 && ((h.host == NULL ? r.host >= 0 : h.host - copy != r.host) ||
                                      h.host_len != r.host_len || h.tag - copy != (long)r.tag ||
                                      h.tag_len != r.tag_len || h.msg - copy != (long)r.msg)))
        ck_abort_msg("layout %d, length %zu, byte %d at %zu, %zu bytes: %d (tag %zu), want %d "
                     "(tag %zu)",
                     layout, len, b, j, n, got, got == 0 ? h.tag_len : 0, want,
                     want == 0 ? r.tag_len : 0);
    free(copy);
}

/*
 * Host and tag are read sixteen bytes at a time where sixteen remain: every byte value at every
 * place of a host or a tag, of lengths around the multiples of 16, must end them (or not) where
 * a byte at a time does, also when the line is cut within the last sixteen bytes.
 */
START_TEST(test_header_bytes)
{
    static const size_t lens[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 40};
    static const char ts[] = "Mar  2 10:00:00 ", rest[] = "[42]: connect from x[192.0.2.1]";
    char tok[48], line[160];

    for (int layout = 0; layout < 2; layout++)
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
            for (size_t j = 0; j <= lens[li]; j++)
                for (int b = 0; b < 256; b++) {
                    size_t len = lens[li], start, n;
                    if (j == lens[li] && b > 0)
                        break; /* j == len: the token as it is, once */
                    for (size_t k = 0; k < len; k++)
                        tok[k] = "postfix/smtpd-in"[k % 16];
                    if (j < len)
                        tok[j] = (char)b;
                    /* layout 0: the token is the tag; layout 1: it is the host */
                    n = (size_t)snprintf(line, sizeof line, "%s%s", ts, layout ? "" : "mx1 ");
                    start = n;
                    memcpy(line + n, tok, len);
                    n += len;
                    n += (size_t)snprintf(line + n, sizeof line - n, "%s%s",
                                          layout ? " postfix/smtpd" : "", rest);
                    check_header(line, n, layout, len, b, j);
                    check_header(line, start + j + 1, layout, len, b, j);
                    check_header(line, start + len + 1, layout, len, b, j);
                    check_header(line, start + len + 6, layout, len, b, j);
                }
}
END_TEST

/* ------------------------------------------------------------ queue ids */

/* ref_qid_len - a queue id's length as formats/postfix.md gives it, one comparison at a time */
static int ref_short(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int ref_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int ref_long(int c)
{
    return ref_alnum(c) && c != 'z' && !strchr("aeiouAEIOU", c);
}

static size_t ref_qid_len(const unsigned char *p, size_t n)
{
    size_t i = 0, z = 0;

    while (i < n && i < 20 && ref_short(p[i]))
        i++;
    if (i >= 5 && (i == n || !ref_alnum(p[i])))
        return i;
    for (i = 0; i < n && i < 32; i++) {
        if (p[i] == 'z' && z == 0 && i >= 6)
            z = i;
        else if (!ref_long(p[i]))
            break;
    }
    if (z > 0 && i > z + 1 && (i == n || !ref_alnum(p[i])))
        return i;
    return 0;
}

/* check_bounce_id - "sender non-delivery notification: ID..." makes the message of the id's q
 * bytes (none when q is 0) a bounce of 0A1B2C3D4F */
static void check_bounce_id(struct harness *h, const char *id, size_t idlen, size_t q)
{
    static const char pre[] = H "postfix/bounce[1]: 0A1B2C3D4F: sender non-delivery notification: ";
    char line[256], qid[64];
    struct log_line ln;

    memcpy(line, pre, sizeof pre - 1);
    memcpy(line + sizeof pre - 1, id, idlen);
    memset(&ln, 0, sizeof ln);
    ln.text = line;
    ln.len = sizeof pre - 1 + idlen;
    postfix_parser.parse_line(h->state, &h->ctx, &ln);
    if (q == 0)
        return;
    memcpy(qid, id, q);
    qid[q] = '\0';
    snprintf(line, sizeof line, H "postfix/smtp[1]: %s: to=<a@b.example>, status=sent (250 ok)",
             qid);
    nevents = 0;
    feed(h, line);
    ck_assert_msg(nevents == 1 && strcmp(events[0].parent, "0A1B2C3D4F") == 0,
                  "bounce of %s: parent \"%s\"", qid, nevents ? events[0].parent : "");
    snprintf(line, sizeof line, H "postfix/qmgr[1]: %s: removed", qid);
    feed(h, line);
}

/*
 * Queue ids are read through a table of byte classes: every byte value in every place of a short
 * and a long id, and right after one, must make the id (or no id) the comparisons make.
 */
START_TEST(test_queue_id_bytes)
{
    static const char *const ids[] = {"0A1B2C3D4E", "ABCDE", "0123456789ABCDEF0123",
                                      "44JCRG5tYPzCqt2", "bcdfghzb1"};
    static const char pre[] = H "postfix/smtp[1]: ";
    static const char post[] = ": to=<a@b.example>, relay=x, dsn=2.0.0, status=sent (250 ok)";
    char line[256];
    struct harness h;

    harness_init(&h);
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++)
        for (size_t j = 0; j <= strlen(ids[k]); j++)
            for (int b = 0; b < 256; b++) {
                size_t idlen = strlen(ids[k]), n = sizeof pre - 1, q;
                struct log_line ln;
                enum line_result r;
                memcpy(line, pre, n);
                memcpy(line + n, ids[k], idlen);
                if (j < idlen)
                    line[n + j] = (char)b;
                else
                    line[n + idlen++] = (char)b; /* the byte after the id */
                memcpy(line + n + idlen, post, sizeof post);
                q = ref_qid_len((const unsigned char *)line + n, idlen + sizeof post - 1);
                memset(&ln, 0, sizeof ln);
                ln.text = line;
                ln.len = n + idlen + sizeof post - 1;
                nevents = 0;
                r = postfix_parser.parse_line(h.state, &h.ctx, &ln);
                if (q > 0 && line[n + q] == ':' && line[n + q + 1] == ' ') {
                    if (r != LINE_EVENT || nevents != 1 || strlen(events[0].queue_id) != q ||
                        memcmp(events[0].queue_id, line + n, q) != 0)
                        ck_abort_msg("%s with byte %d at %zu: result %d, id \"%s\", want %zu bytes",
                                     ids[k], b, j, r, nevents ? events[0].queue_id : "", q);
                } else if (r != LINE_INFO) {
                    ck_abort_msg("%s with byte %d at %zu: result %d, want no id", ids[k], b, j, r);
                }
                /* the same id where nothing need follow it: a bounce names its notification */
                check_bounce_id(&h, line + n, idlen, q);
            }
    harness_done(&h);
}
END_TEST

/* ------------------------------------------------------------ searches in delivery texts */

/* deliver - a deferral whose text is text; the event's stage, or NULL when there is no event */
static const char *deliver(struct harness *h, const char *text)
{
    char line[512];

    snprintf(line, sizeof line,
             H "postfix/smtp[1]: 0A1B2C3D4E: to=<a@b.example>, relay=x, dsn=4.0.0, "
               "status=deferred (%s)",
             text);
    nevents = 0;
    if (feed(h, line) != LINE_EVENT || nevents != 1)
        return NULL;
    return events[0].stage;
}

/*
 * The stage words of a delivery text are found by memchr on one of their rarer bytes, and the
 * last "(in reply to " forward: each, at every place of a text full of those bytes and of the
 * words cut short, must give its stage, and cut short at the end of the text, none.
 */
START_TEST(test_delivery_stage_words)
{
    static const char filler[] = "(in reply t((w k v :: whil ( while performing the XHLO handshake "
                                 "refused to tal initial server greetin : connec while sendin(";
    static const struct {
        const char *words, *cut; /* cut: the words cut short */
        enum smtp_stage stage;
    } cases[] = {
        {"(in reply to RCPT TO command)", "(in reply to", STAGE_RCPT},
        {" while sending RCPT TO", " while sendin", STAGE_RCPT},
        {"initial server greeting", "initial server greetin", STAGE_CONNECT},
        {": connect to mx.example[192.0.2.1]:25", ": connect to", STAGE_CONNECT},
        {"refused to talk to me", "refused to talk to m", STAGE_CONNECT},
        {"while performing the EHLO handshake", "while performing the EHLO handshak", STAGE_HELO},
        {"while performing the LHLO handshake", "while performing the LHLO", STAGE_HELO},
    };
    struct harness h;
    char text[512];
    const char *got;

    harness_init(&h);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t pos = 0; pos <= sizeof filler - 1; pos++) {
            snprintf(text, sizeof text, "%.*s%s%s", (int)pos, filler, cases[c].words, filler + pos);
            got = deliver(&h, text);
            ck_assert_msg(got != NULL && strcmp(got, smtp_stage_name(cases[c].stage)) == 0,
                          "\"%s\": stage %s, want %s", text, got ? got : "(no event)",
                          smtp_stage_name(cases[c].stage));
            /* the words cut short at the end of the text */
            snprintf(text, sizeof text, "%.*s%s", (int)pos, filler, cases[c].cut);
            got = deliver(&h, text);
            ck_assert_msg(got != NULL && strcmp(got, smtp_stage_name(STAGE_NONE)) == 0,
                          "\"%s\": stage %s, want none", text, got ? got : "(no event)");
        }
    /* two of them: the last "(in reply to " names the stage */
    got = deliver(&h, "(in reply to MAIL FROM command) then (in reply to RCPT TO command)");
    ck_assert_str_eq(got, smtp_stage_name(STAGE_RCPT));
    got = deliver(&h, "(in reply to RCPT TO command) then (in reply to MAIL FROM command)");
    ck_assert_str_eq(got, smtp_stage_name(STAGE_MAIL));
    got = deliver(&h, "(in reply to ");
    ck_assert_str_eq(got, smtp_stage_name(STAGE_NONE));
    /* the words and nothing else: the rare byte's only place is the last one looked at */
    got = deliver(&h, "initial server greeting");
    ck_assert_str_eq(got, smtp_stage_name(STAGE_CONNECT));
    got = deliver(&h, "refused to talk to me");
    ck_assert_str_eq(got, smtp_stage_name(STAGE_CONNECT));
    harness_done(&h);
}
END_TEST

/* the reply after " said: " and " refused to talk to me: ", the status after "status=", the
 * last "; from=<": each found by a rarer byte, with that byte all around */
START_TEST(test_delivery_rare_bytes)
{
    struct harness h;

    harness_init(&h);
    ck_assert_int_eq(feed(&h, H "postfix/smtp[1]: 0A1B2C3D4E: to=<u@u.example>, relay=a:b:c, "
                                "dsn=5.1.1, status=bounced (host a:b:c[192.0.2.1]: x: said: 550 "
                                "5.1.1 no: such: user (in reply to RCPT TO command))"),
                     LINE_EVENT);
    ck_assert_int_eq(events[0].reply_code, 550);
    ck_assert_str_eq(events[0].text, "no: such: user");
    ck_assert_str_eq(events[0].stage, "rcpt");
    nevents = 0;
    ck_assert_int_eq(feed(&h, H "postfix/smtp[1]: 0A1B2C3D4E: to=<k@k.example>, relay=kk, "
                                "dsn=4.7.1, status=deferred (host kk[192.0.2.1] talk k refused to "
                                "talk to me: 554 5.7.1 go away)"),
                     LINE_EVENT);
    ck_assert_int_eq(events[0].reply_code, 554);
    ck_assert_str_eq(events[0].text, "go away");
    ck_assert_str_eq(events[0].stage, "connect");
    nevents = 0;
    ck_assert_int_eq(feed(&h, H "postfix/smtp[1]: 0A1B2C3D4E: to=<statu@u.example>, "
                                "orig_to=<u@status>, relay=statuu, delay=1, dsn=5.0.0, "
                                "status=bounced (550 no)"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].kind, "bounce");
    ck_assert_str_eq(events[0].recipient, "statu@u.example");
    nevents = 0;
    ck_assert_int_eq(feed(&h, H "postfix/smtpd[1]: NOQUEUE: reject: RCPT from x[192.0.2.1]: 550 "
                                "5.7.1 a;b; c;; from=<x@y> d; from=<s@x.example> "
                                "to=<r@y.example> proto=ESMTP helo=<h>"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].sender, "s@x.example");
    ck_assert_str_eq(events[0].recipient, "r@y.example");
    ck_assert_str_eq(events[0].text, "a;b; c;; from=<x@y> d");
    harness_done(&h);
}
END_TEST

/*
 * The fields before "status=" end at a comma found by memchr, and never after "status=": a relay
 * of every length up to 40, ended by a comma, by " status=" itself, or by nothing but a comma
 * after the status.
 */
START_TEST(test_delivery_fields)
{
    struct harness h;
    char line[512], relay[64], want[64];

    harness_init(&h);
    for (int end = 0; end < 3; end++)
        for (int len = 0; len <= 40; len++) {
            memset(relay, 'r', (size_t)len);
            relay[len] = '\0';
            snprintf(line, sizeof line,
                     H "postfix/smtp[1]: 0A1B2C3D4E: to=<a@b.example>, relay=%s%s status=sent%s "
                       "(250 ok)",
                     relay, end == 0 ? "," : "", end == 2 ? "," : "");
            /* without a comma the relay runs up to "status=", its space included */
            snprintf(want, sizeof want, "%s%s", relay, end == 0 ? "" : " ");
            nevents = 0;
            ck_assert_int_eq(feed(&h, line), LINE_EVENT);
            ck_assert_msg(strcmp(events[0].relay, want) == 0, "\"%s\": relay \"%s\", want \"%s\"",
                          line, events[0].relay, want);
            ck_assert_str_eq(events[0].recipient, "a@b.example");
        }
    nevents = 0;
    ck_assert_int_eq(feed(&h, H "postfix/smtp[1]: 0A1B2C3D4E: to=<a@b.example>,relay=none,"
                                "delays=0.1/0/0.5/0.4,dsn=5.1.1,status=bounced (550 no)"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].relay, "none");
    ck_assert_str_eq(events[0].status, "5.1.1");
    ck_assert_str_eq(events[0].kind, "bounce");
    /* an address ends at a '>' before a separator, not at the first '>' */
    nevents = 0;
    ck_assert_int_eq(feed(&h, H "postfix/smtp[1]: 0A1B2C3D4E: to=<a>b@b.example>, orig_to=<c>>, "
                                "relay=none, dsn=5.1.1, status=bounced (550 no)"),
                     LINE_EVENT);
    ck_assert_str_eq(events[0].recipient, "a>b@b.example");
    ck_assert_str_eq(events[0].relay, "none");
    harness_done(&h);
}
END_TEST

/* size= of qmgr is read as strtoll reads it, but never past the line, and a negative size or
 * none at all is -1 (unknown): each shape must give its value as the size of the message's
 * next event */
START_TEST(test_qmgr_size)
{
    static const struct {
        const char *field; /* what follows "size=" */
        long long size;
    } cases[] = {
        {"5360, nrcpt=1 (queue active)", 5360},
        {"0, nrcpt=1", 0},
        {"123456789012345678, nrcpt=1", 123456789012345678LL},
        {"1234567890123456789, nrcpt=1", 1234567890123456789LL},
        {"99999999999999999999, nrcpt=1", 9223372036854775807LL},
        {"9999999999999999999, nrcpt=1", 9223372036854775807LL}, /* 19 digits: too many */
        {"-5, nrcpt=1", -1}, /* fuzz_postfix, 2026-11-30: regressions/postfix/negative-size */
        {"+7, nrcpt=1", 7},
        {" 12, nrcpt=1", 12},
        {"12abc, nrcpt=1", 12},
        {"x, nrcpt=1", -1}, /* no digits: unknown */
        {"42", 42},         /* the digits end the line */
        {"-42", -1},
        {"  -9223372036854775808", -1},
        {"-9223372036854775809, nrcpt=1", -1},
        {"+9223372036854775807", INT64_MAX},
        {"-", -1},
        {"+", -1},
        {"42", 42},
        {"", -1},
        {" -0", -1},
    };
    struct harness h;
    char line[256];

    harness_init(&h);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(line, sizeof line, H "postfix/qmgr[1]: 0A1B2C3D4E: from=<a@b.example>, size=%s",
                 cases[i].field);
        feed(&h, line);
        nevents = 0;
        ck_assert_int_eq(feed(&h, H "postfix/smtp[1]: 0A1B2C3D4E: to=<c@d.example>, relay=x, "
                                    "dsn=2.0.0, status=sent (250 ok)"),
                         LINE_EVENT);
        ck_assert_msg(events[0].size == cases[i].size, "size=%s: %lld, want %lld", cases[i].field,
                      events[0].size, cases[i].size);
    }
    /* digits that end the line, with more digits after it in memory: the line's digits only */
    for (int sign = 0; sign < 2; sign++) {
        struct log_line ln;
        snprintf(line, sizeof line, H "postfix/qmgr[1]: 0A1B2C3D4E: from=<a@b.example>, size=%s427",
                 sign ? "-" : "");
        memset(&ln, 0, sizeof ln);
        ln.text = line;
        ln.len = strlen(line) - 1;
        postfix_parser.parse_line(h.state, &h.ctx, &ln);
        nevents = 0;
        ck_assert_int_eq(feed(&h, H "postfix/smtp[1]: 0A1B2C3D4E: to=<c@d.example>, relay=x, "
                                    "dsn=2.0.0, status=sent (250 ok)"),
                         LINE_EVENT);
        ck_assert_int_eq(events[0].size, (sign ? -1 : 42));
    }
    harness_done(&h);
}
END_TEST

/*
 * The daemon of a tag is remembered in a few slots that many tags share: hundreds of tags (every
 * daemon under three syslog names, near misses, foreign programs), twice over in two orders,
 * must each be read as their own. A delivery line tells them apart: an event from a delivery
 * agent or qmgr, a discard from discard, nothing from other daemons, foreign when not Postfix's.
 */
START_TEST(test_daemon_tags)
{
    static const char *const names[] = {
        "smtpd",     "postscreen",     "cleanup",
        "qmgr",      "nqmgr",          "oqmgr",
        "smtp",      "smxp",           "lmtp",
        "local",     "virtual",        "pipe",
        "error",     "retry",          "discard",
        "bounce",    "defer",          "trace",
        "pickup",    "dnsblog",        "master",
        "anvil",     "scache",         "tlsmgr",
        "tlsproxy",  "postsuper",      "postdrop",
        "postqueue", "postfix-script", "postlogd",
        "postlog",   "postmap",        "postalias",
        "postmulti", "postconf",       "postfix",
        "sendmail",  "verify",         "trivial-rewrite",
        "proxymap",  "flush",          "showq",
        "spawn",     "qmqpd",          "smtpx",
        "lmtpd",     "qmgrr",          "mtp",
        "smt",       "dovecot",        "amavis",
        "opendkim",  "xsmtp",          "pipes",
        "discar",    "smxp",
    };
    static const char *const delivering = " smtp lmtp local virtual pipe error retry qmgr nqmgr "
                                          "oqmgr ";
    /* "xostfix/" differs from "postfix/" in its first byte only, "x/smxp" from "x/smtp" in its
     * fifth (a tag shorter than a word): a slot's tag must match whole */
    static const char *const prefixes[] = {"postfix/", "postfix-out/", "mail/submission/",
                                           "xostfix/", "x/",           ""};
    static const char *const known = " smtpd postscreen cleanup qmgr nqmgr oqmgr smtp lmtp local "
                                     "virtual pipe error retry discard bounce defer trace pickup "
                                     "dnsblog master anvil scache tlsmgr tlsproxy postsuper "
                                     "postdrop postqueue postfix-script postlogd postlog postmap "
                                     "postalias postmulti postconf postfix sendmail verify "
                                     "trivial-rewrite proxymap flush showq spawn qmqpd ";
    size_t nn = sizeof names / sizeof names[0], np = sizeof prefixes / sizeof prefixes[0];
    struct harness h;
    char line[256], word[40];

    harness_init(&h);
    for (int round = 0; round < 4; round++)
        for (size_t k = 0; k < nn * np; k++) {
            /* rounds 1 and 3 go the other way round */
            size_t i = round % 2 ? nn * np - 1 - k : k;
            const char *name = names[i % nn], *prefix = prefixes[i / nn];
            enum line_result want, got;
            const char *kind = "";
            snprintf(word, sizeof word, " %s ", name);
            if (prefix[0] == '\0' || (!strstr(known, word) && strncmp(prefix, "postfix", 7) != 0))
                want = LINE_FOREIGN; /* no '/', or not a daemon under a syslog_name */
            else if (strstr(delivering, word))
                want = LINE_EVENT, kind = "deliver";
            else if (strcmp(name, "discard") == 0)
                want = LINE_EVENT, kind = "discard";
            else
                want = LINE_INFO;
            snprintf(line, sizeof line,
                     H "%s%s[1]: 0A1B2C3D4E: to=<a@b.example>, relay=x, dsn=2.0.0, "
                       "status=sent (250 ok)",
                     prefix, name);
            nevents = 0;
            got = feed(&h, line);
            ck_assert_msg(got == want && (want != LINE_EVENT || strcmp(events[0].kind, kind) == 0),
                          "%s%s: result %d (%s), want %d (%s)", prefix, name, got,
                          nevents ? events[0].kind : "", want, kind);
        }
    harness_done(&h);
}
END_TEST

static Suite *postfix_suite(void)
{
    Suite *s = suite_create("postfix");
    TCase *tc = tcase_create("lines");

    tcase_add_loop_test(tc, test_line, 0, sizeof line_cases / sizeof line_cases[0]);
    suite_add_tcase(s, tc);
    tc = tcase_create("state");
    tcase_add_test(tc, test_queue_correlation);
    tcase_add_test(tc, test_state_round_trip);
    tcase_add_test(tc, test_message_strings);
    tcase_add_test(tc, test_message_news);
    tcase_add_test(tc, test_postscreen_sessions);
    tcase_add_test(tc, test_timestamps);
    tcase_add_test(tc, test_timestamp_memo);
    tcase_add_test(tc, test_timestamp_memo_hour);
    tcase_add_test(tc, test_timestamp_memo_minute_iso);
    tcase_add_test(tc, test_forget_refused_message);
    tcase_add_test(tc, test_hostile);
    tcase_add_test(tc, test_sniff);
    tcase_add_test(tc, test_header_bytes);
    tcase_add_test(tc, test_queue_id_bytes);
    tcase_add_test(tc, test_delivery_stage_words);
    tcase_add_test(tc, test_delivery_rare_bytes);
    tcase_add_test(tc, test_delivery_fields);
    tcase_add_test(tc, test_delivery_unparsed_reasons);
    tcase_add_test(tc, test_qmgr_size);
    tcase_add_test(tc, test_daemon_tags);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    return tu_run_suite(postfix_suite());
}
