/*
 * test_classify - the default rules deciding: the precedence cases of TAXONOMY.md section C3
 * (specific text beats a generic code, 5.1.x at MAIL FROM is the sender, provider texts first),
 * the evidence read from a text, advice, "rules test" over the shipped rules, and the commands
 * explain, rules and classify as an admin runs them
 */
#include "advice.h"
#include "classify.h"
#include "rulecheck.h"
#include "rules_default.h"
#include "store.h"
#include "store_internal.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct ruleset *rs;

static void load_defaults(void)
{
    struct diag d = {""};

    ck_assert_msg(ruleset_load(rules_default, rules_default_count, &rs, &d) == 0, "%s", d.msg);
}

static void free_defaults(void)
{
    ruleset_free(rs);
    rs = NULL;
}

/* ---------------------------------------------------------------- precedence */

static const struct {
    const char *why;
    const char *text; /* as logged, code and status in front */
    enum smtp_stage stage;
    enum event_kind kind;
    enum event_direction direction;
    const char *mta;
    const char *category;
    const char *rule; /* NULL: any rule (or none for unclassified) */
} prec[] = {
    /* C3, p5-sisimai#236: a 5.1.1 that says "too many recipients this hour" is a rate limit */
    {"text beats 5.1.1", "550 5.1.1 <bob@example.org> has sent to too many recipients this hour",
     STAGE_RCPT, EVENT_BOUNCE, DIRECTION_OUTBOUND, "postfix", "rate_limited",
     "godaddy.too-many-recipients"},
    /* C3, p5-sisimai#395: Spectrum's 5.1.0 at MAIL FROM is their rate limit, not a user */
    {"provider code beats 5.1.x", "550 5.1.0 <x@example.com> sender rejected. AUP#In-1310",
     STAGE_MAIL, EVENT_BOUNCE, DIRECTION_OUTBOUND, "postfix", "rate_limited", "spectrum.rate"},
    {"5.1.x at MAIL FROM is the sender", "553 5.1.1 <x@example.com>: not permitted", STAGE_MAIL,
     EVENT_BOUNCE, DIRECTION_OUTBOUND, "exim", "sender_address_rejected", "status.X.1-at-mail"},
    {"the same at RCPT is the recipient", "553 5.1.1 <x@example.com>: not permitted", STAGE_RCPT,
     EVENT_BOUNCE, DIRECTION_OUTBOUND, "exim", "recipient_unknown", "status.X.1.1"},
    /* C3: Exchange Online's DBEB reply, labelled four ways by Sisimai over the years */
    {"DBEB is an unknown recipient",
     "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", STAGE_RCPT, EVENT_BOUNCE,
     DIRECTION_OUTBOUND, "postfix", "recipient_unknown", "ms.dbeb-access-denied"},
    {"Postfix's own access-map reject is a policy",
     "554 5.7.1 <bob@example.org>: Recipient address rejected: Access denied", STAGE_RCPT,
     EVENT_REJECT, DIRECTION_INBOUND, "postfix", "recipient_policy", "postfix.recipient-access"},
    /* C3, p5-sisimai#63: Gmail's spam verdict is content, not a block list */
    {"Gmail 5.7.1 spam is content",
     "550-5.7.1 [192.0.2.1 12] Our system has detected that this 550-5.7.1 message is likely "
     "unsolicited mail. To reduce the amount of spam sent 550-5.7.1 to Gmail, this message has "
     "been blocked.",
     STAGE_EOM, EVENT_BOUNCE, DIRECTION_OUTBOUND, "postfix", "spam_content", "google.unsolicited"},
    /* C3: Spamhaus's open-resolver answer is the receiver's problem, not a listing */
    {"open resolver is no listing",
     "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; "
     "Error: open resolver; https://check.spamhaus.org/returnc/pub/46.38.225.230/",
     STAGE_RCPT, EVENT_REJECT, DIRECTION_INBOUND, "postfix", "remote_system_error",
     "dnsbl.spamhaus-open-resolver"},
    {"a real listing",
     "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
     STAGE_RCPT, EVENT_REJECT, DIRECTION_INBOUND, "postfix", "ip_blocklisted", "dnsbl.spamhaus"},
    {"postscreen open resolver",
     "DNSBL rank 6 for [192.0.2.30]:52340 (listed by "
     "zen.spamhaus.org as 127.255.255.254)",
     STAGE_CONNECT, EVENT_REJECT, DIRECTION_INBOUND, "postfix", "remote_system_error",
     "dnsbl.spamhaus-open-resolver"},
    {"postscreen XBL",
     "DNSBL rank 6 for [192.0.2.30]:52340 (listed by zen.spamhaus.org as "
     "127.0.0.4, bl.spamcop.net as 127.0.0.2)",
     STAGE_CONNECT, EVENT_REJECT, DIRECTION_INBOUND, "postfix", "ip_blocklisted",
     "dnsbl.spamhaus-xbl"},
    /* B3: Gmail's 4.2.1 is a rate, though X.2.1 means a disabled mailbox */
    {"Gmail 4.2.1 is a rate",
     "450-4.2.1 The user you are trying to contact is receiving mail too quickly.", STAGE_RCPT,
     EVENT_DEFER, DIRECTION_OUTBOUND, "postfix", "rate_limited", "google.receiving-rate"},
    {"X.2.1 otherwise is disabled", "550 5.2.1 <bob@example.org>: account closed by owner",
     STAGE_RCPT, EVENT_BOUNCE, DIRECTION_OUTBOUND, "postfix", "recipient_disabled", NULL},
    /* Microsoft's 5.2.2 is the sender's quota online, a full mailbox on premises */
    {"EXO 5.2.2 is a quota", "554 5.2.2 Submission quota exceeded", STAGE_EOM, EVENT_BOUNCE,
     DIRECTION_OUTBOUND, "exchange", "rate_limited", "ms.submission-quota"},
    {"5.2.2 alone is a full mailbox", "552 5.2.2 <bob@example.org>: requested action aborted",
     STAGE_RCPT, EVENT_BOUNCE, DIRECTION_OUTBOUND, "postfix", "mailbox_full", "status.X.2.2"},
    /* Microsoft's 5.7.13 for a public folder is a restriction, not a disabled user (B3) */
    {"text beats X.7.13", "550 5.7.13 Sender was not authenticated for public folder", STAGE_RCPT,
     EVENT_BOUNCE, DIRECTION_OUTBOUND, "postfix", "recipient_policy", "ms.restricted-recipient"},
    {"X.7.13 alone", "550 5.7.13 <bob@example.org>", STAGE_RCPT, EVENT_BOUNCE, DIRECTION_OUTBOUND,
     "postfix", "recipient_disabled", "status.X.7.13"},
    /* generic statuses carry no category */
    {"5.7.1 with unknown words", "550 5.7.1 Go away", STAGE_RCPT, EVENT_BOUNCE, DIRECTION_OUTBOUND,
     "postfix", "unclassified", NULL},
    {"5.0.0 with unknown words", "550 5.0.0 Go away", STAGE_RCPT, EVENT_BOUNCE, DIRECTION_OUTBOUND,
     "postfix", "unclassified", NULL},
    {"reply code fallback", "551 go elsewhere", STAGE_RCPT, EVENT_BOUNCE, DIRECTION_OUTBOUND,
     "postfix", "recipient_moved", "code.551"},
    /* an expiry is an expiry, whatever its last deferral said */
    {"expiry beats its last deferral",
     "expired, returned to sender; last deferral: host mx.example.org[192.0.2.1] said: 450 4.2.0 "
     "<bob@example.org>: Recipient address rejected: Greylisted",
     STAGE_NONE, EVENT_EXPIRE, DIRECTION_OUTBOUND, "postfix", "delivery_expired",
     "outcome.expired"},
    /* the mailbox before the expiry, the recipient before the protocol noise */
    {"mailbox before expiry", "save to /var/mail/x mailbox is full: retry timeout exceeded",
     STAGE_NONE, EVENT_BOUNCE, DIRECTION_OUTBOUND, "exim", "mailbox_full", NULL},
    {"recipient before protocol",
     "550 5.1.1 <bob@example.org>... User unknown 503 5.0.0 Need RCPT (recipient)", STAGE_RCPT,
     EVENT_BOUNCE, DIRECTION_OUTBOUND, "postfix", "recipient_unknown", "generic.user-unknown"},
    /* user unknown after DATA is a filter's cover text */
    {"unknown user after DATA", "550 Unknown user bob@example.org", STAGE_EOM, EVENT_BOUNCE,
     DIRECTION_OUTBOUND, "postfix", "recipient_policy", "generic.unknown-user-after-data"},
    /* postscreen verdicts emitted as rejects at connect */
    {"PREGREET", "PREGREET 14 after 0.08 from [192.0.2.2]:59415: EHLO ylmf-pc\\r\\n", STAGE_CONNECT,
     EVENT_REJECT, DIRECTION_INBOUND, "postfix", "smtp_protocol_error",
     "postfix.postscreen-pregreet"},
    {"HANGUP", "HANGUP after 16 from [192.0.2.3]:48119 in tests after SMTP handshake",
     STAGE_CONNECT, EVENT_REJECT, DIRECTION_INBOUND, "postfix", "smtp_protocol_error",
     "postfix.postscreen-hangup"},
    {"COMMAND TIME LIMIT", "COMMAND TIME LIMIT from [192.0.2.77]:3608 after CONNECT", STAGE_CONNECT,
     EVENT_REJECT, DIRECTION_INBOUND, "postfix", "smtp_protocol_error",
     "postfix.postscreen-limits"},
    {"NON-SMTP COMMAND", "NON-SMTP COMMAND from [192.0.2.5]:44324 after CONNECT: GET / HTTP/1.1",
     STAGE_CONNECT, EVENT_REJECT, DIRECTION_INBOUND, "postfix", "smtp_protocol_error",
     "postfix.postscreen-non-smtp"},
    {"BARE NEWLINE", "BARE NEWLINE from [88.208.233.4]:42606 after .", STAGE_CONNECT, EVENT_REJECT,
     DIRECTION_INBOUND, "postfix", "smtp_protocol_error", "postfix.postscreen-bare-newline"},
    {"DNSBL rank", "DNSBL rank 3 for [192.0.2.9]:1038", STAGE_CONNECT, EVENT_REJECT,
     DIRECTION_INBOUND, "postfix", "ip_blocklisted", "dnsbl.postscreen-rank"},
    /* Exim: the same words by direction, queueing on purpose, our ACLs without a cause */
    {"Exim inbound Unrouteable is our unknown user", "rejected RCPT: Unrouteable address",
     STAGE_RCPT, EVENT_REJECT, DIRECTION_INBOUND, "exim", "recipient_unknown",
     "exim.unrouteable-recipient"},
    {"Exim outbound Unrouteable is the domain", "Unrouteable address", STAGE_NONE, EVENT_BOUNCE,
     DIRECTION_OUTBOUND, "exim", "domain_not_found", "exim.unrouteable"},
    {"queue_smtp_domains is no failure", "domain matches queue_smtp_domains, or -odqs set",
     STAGE_NONE, EVENT_DEFER, DIRECTION_OUTBOUND, "exim", "non_failure", "exim.queued-on-purpose"},
    {"-odqs first pass is no failure",
     "first-pass only routing due to -odqs, queue_smtp_domains or control=queue", STAGE_NONE,
     EVENT_DEFER, DIRECTION_OUTBOUND, "exim", "non_failure", "exim.queued-on-purpose"},
    {"a refused connection is no block list", "Connection refused", STAGE_CONNECT, EVENT_DEFER,
     DIRECTION_OUTBOUND, "exim", "network_routing_error", "generic.connect-failed"},
    {"Exim ACL deny without a message", "rejected RCPT", STAGE_RCPT, EVENT_REJECT,
     DIRECTION_INBOUND, "exim", "recipient_policy", "exim.acl-without-message"},
    {"Exim ACL words of our own", "rejected RCPT: deny for userx", STAGE_RCPT, EVENT_REJECT,
     DIRECTION_INBOUND, "exim", "recipient_policy", "code.exim-acl-refused"},
    {"... which are no one else's", "rejected RCPT: deny for userx", STAGE_RCPT, EVENT_REJECT,
     DIRECTION_INBOUND, "postfix", "unclassified", NULL},
    {"Exim refused at MAIL is the sender", "rejected MAIL: testing deny", STAGE_MAIL, EVENT_REJECT,
     DIRECTION_INBOUND, "exim", "sender_address_rejected", "code.exim-rejected-mail"},
    {"bare 550 at RCPT without a status", "550 Recipient not OK", STAGE_RCPT, EVENT_BOUNCE,
     DIRECTION_OUTBOUND, "exim", "recipient_unknown", "code.550-at-rcpt"},
    {"a login cancelled is still a login", "535 authenticator failed: Authentication cancelled",
     STAGE_NONE, EVENT_REJECT, DIRECTION_INBOUND, "exim", "client_auth_required",
     "exim.auth-required"},
    /* Microsoft: the same words under two codes, status-only trace rows, 5.5.0 */
    {"5.7.511 banned sender is the IP", "550 5.7.511 Access denied, banned sender", STAGE_NONE,
     EVENT_BOUNCE, DIRECTION_OUTBOUND, "exchange", "ip_blocklisted", "ms.banned-sender-ip"},
    {"5.7.502 banned sender is the account", "550 5.7.502 Access denied, banned sender", STAGE_NONE,
     EVENT_BOUNCE, DIRECTION_OUTBOUND, "exchange", "bad_reputation", "ms.ip-reputation"},
    {"5.7.606-649 whatever the words", "550 5.7.640 Access denied", STAGE_NONE, EVENT_BOUNCE,
     DIRECTION_OUTBOUND, "postfix", "ip_blocklisted", "ms.banned-ip-status"},
    {"Outlook.com 5.5.0 is an unknown mailbox",
     "550 5.5.0 Requested action not taken: mailbox unavailable", STAGE_RCPT, EVENT_BOUNCE,
     DIRECTION_OUTBOUND, "postfix", "recipient_unknown", "ms.mailbox-unavailable"},
    {"a trace row without a reason stays unclassified", "Failed", STAGE_NONE, EVENT_BOUNCE,
     DIRECTION_OUTBOUND, "exchange", "unclassified", "ms.trace-no-reason"},
    {"FilteredAsSpam", "FilteredAsSpam", STAGE_NONE, EVENT_REJECT, DIRECTION_INBOUND, "exchange",
     "spam_content", "ms.trace-filtered"},
    {"a Winsock refusal is no block list",
     "Failed to connect. Winsock error code: 10061, Win32 error code: 10061, Destination "
     "domain: fabrikam.example, Error Message: No connection could be made because the target "
     "machine actively refused it.",
     STAGE_CONNECT, EVENT_DEFER, DIRECTION_OUTBOUND, "exchange", "network_routing_error",
     "generic.connect-failed"},
    {"Exchange EHLO with no domain", "501 5.5.4 Invalid domain name", STAGE_HELO, EVENT_REJECT,
     DIRECTION_INBOUND, "exchange", "helo_invalid", "ms.ehlo-invalid-domain"},
    /* a discard is no failure */
    {"discard", "test.example.com", STAGE_NONE, EVENT_DISCARD, DIRECTION_OUTBOUND, "postfix",
     "non_failure", "outcome.discarded"},
};

START_TEST(test_precedence)
{
    struct strbuf tmpl = STRBUF_INIT;
    struct prepared pr;
    struct classification c;

    classify_prepare(prec[_i].text, strlen(prec[_i].text), &pr, &tmpl, NULL);
    struct classify_input in = {strbuf_str(&tmpl),  tmpl.len,       pr.code,
                                pr.status,          prec[_i].stage, prec[_i].kind,
                                prec[_i].direction, prec[_i].mta};
    classify(rs, &in, &c);
    ck_assert_msg(strcmp(c.category_id, prec[_i].category) == 0, "%s: '%s' is %s (rule %s), not %s",
                  prec[_i].why, strbuf_str(&tmpl), c.category_id, c.rule ? c.rule->id : "none",
                  prec[_i].category);
    if (prec[_i].rule != NULL)
        ck_assert_msg(c.rule && strcmp(c.rule->id, prec[_i].rule) == 0, "%s: rule %s, not %s",
                      prec[_i].why, c.rule ? c.rule->id : "none", prec[_i].rule);
    /* deterministic: the same input, the same answer */
    struct classification again;
    classify(rs, &in, &again);
    ck_assert_ptr_eq(again.rule, c.rule);
    strbuf_free(&tmpl);
}
END_TEST

/* ---------------------------------------------------------------- evidence */

static const struct {
    const char *text;
    int code;
    const char *status;
    enum smtp_stage stage;
    int want_code;
    const char *want_status;
    enum smtp_stage want_stage;
} evidence_cases[] = {
    {"#550 5.2.3 RESOLVER.RST.RecipSizeLimit ##", 0, NULL, STAGE_NONE, 550, "5.2.3", STAGE_NONE},
    {"550: 5.2.2 <ADDR>... Mailbox Full", 0, NULL, STAGE_NONE, 550, "5.2.2", STAGE_NONE},
    {"sorry, no mailbox here by that name (#5.1.1 - chkusr)", 550, NULL, STAGE_NONE, 550, "5.1.1",
     STAGE_NONE},
    /* the log's X.0.0 gives way to the text's own status of the same class */
    {"550 5.7.26 unauthenticated", 550, "5.0.0", STAGE_NONE, 550, "5.7.26", STAGE_NONE},
    {"450 4.7.1 greylisted", 450, "5.0.0", STAGE_NONE, 450, "5.0.0", STAGE_NONE},
    {"550 5.7.1 text", 550, "5.1.1", STAGE_NONE, 550, "5.1.1", STAGE_NONE},
    {"version 4.16.55.1 here", 0, NULL, STAGE_NONE, 0, "", STAGE_NONE},
    {"x (in reply to MAIL FROM command)", 0, NULL, STAGE_NONE, 0, "", STAGE_MAIL},
    {"SMTP error from remote mail server after RCPT TO:<ADDR>: host <HOST> [<IP>]: 550 x", 0, NULL,
     STAGE_NONE, 0, "", STAGE_RCPT},
    {"SMTP error from remote mail server after end of data: 554 x", 0, NULL, STAGE_NONE, 0, "",
     STAGE_EOM},
    {"lost connection with <HOST>[<IP>] while sending RCPT TO", 0, NULL, STAGE_NONE, 0, "",
     STAGE_RCPT},
    {"try again after 5 minutes after MAIL arrived", 0, NULL, STAGE_NONE, 0, "", STAGE_NONE},
    {"x (in reply to RCPT TO command)", 0, NULL, STAGE_DATA, 0, "", STAGE_DATA},
};

START_TEST(test_evidence)
{
    struct classify_input in = {evidence_cases[_i].text,  strlen(evidence_cases[_i].text),
                                evidence_cases[_i].code,  evidence_cases[_i].status,
                                evidence_cases[_i].stage, EVENT_BOUNCE,
                                DIRECTION_OUTBOUND,       NULL};
    struct evidence ev;

    classify_evidence(&in, &ev);
    ck_assert_int_eq(ev.code, evidence_cases[_i].want_code);
    ck_assert_str_eq(ev.status, evidence_cases[_i].want_status);
    ck_assert_int_eq(ev.stage, evidence_cases[_i].want_stage);
}
END_TEST

static const struct {
    const char *raw, *tmpl;
    int code;
    const char *status;
    enum smtp_stage stage;
} prepare_cases[] = {
    {"550-5.7.1 first 550-5.7.1 second\r\n", "first second", 550, "5.7.1", STAGE_NONE},
    {"host mx.example.org[192.0.2.1] said: 550 5.1.1 <bob@example.org>: unknown (in reply to "
     "RCPT TO command)",
     "<ADDR>: unknown", 550, "5.1.1", STAGE_RCPT},
    {"SMTP error from remote mail server after MAIL FROM:<a@b.example> SIZE=1543: host "
     "mx.example.jp [192.0.2.20]: 550 5.7.0 go away",
     "go away", 550, "5.7.0", STAGE_MAIL},
    {"SMTP error from remote mail server after end of data: 554 5.7.1 spam", "spam", 554, "5.7.1",
     STAGE_EOM},
    {"Relay access denied", "Relay access denied", 0, "", STAGE_NONE},
};

START_TEST(test_prepare)
{
    struct strbuf tmpl = STRBUF_INIT;
    struct prepared pr;

    classify_prepare(prepare_cases[_i].raw, strlen(prepare_cases[_i].raw), &pr, &tmpl, NULL);
    ck_assert_str_eq(strbuf_str(&tmpl), prepare_cases[_i].tmpl);
    ck_assert_int_eq(pr.code, prepare_cases[_i].code);
    ck_assert_str_eq(pr.status, prepare_cases[_i].status);
    ck_assert_int_eq(pr.stage, prepare_cases[_i].stage);
    strbuf_free(&tmpl);
}
END_TEST

/* ---------------------------------------------------------------- advice */

START_TEST(test_advice_fill)
{
    static const char raw[] =
        "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net";
    struct strbuf tmpl = STRBUF_INIT, out = STRBUF_INIT;
    struct mask_values mv;
    struct prepared pr;
    struct classification c;
    struct advice_data ad;
    struct event ev;

    classify_prepare(raw, sizeof raw - 1, &pr, &tmpl, &mv);
    struct classify_input in = {strbuf_str(&tmpl), tmpl.len,     pr.code,           pr.status,
                                STAGE_RCPT,        EVENT_REJECT, DIRECTION_INBOUND, "postfix"};
    classify(rs, &in, &c);
    ck_assert_str_eq(c.rule->id, "dnsbl.spamcop");
    event_init(&ev);
    ev.recipient = "bob@example.org";
    ev.sender = "alice@example.net";
    ev.relay = "mx.example.org[192.0.2.9]:25";
    advice_data_init(&ad, &ev, &mv, rs, &c, in.text, in.len);
    advice_fill("{list} {client_ip} {client_ip_reversed} {recipient_domain} {sender_domain} "
                "{relay_host} {code} {status} {helo} {nonsense} awk '{print $1}' {",
                &ad, &out);
    ck_assert_str_eq(strbuf_str(&out), "bl.spamcop.net 192.0.2.1 1.2.0.192 example.org "
                                       "example.net mx.example.org 554 5.7.1 {helo} {nonsense} "
                                       "awk '{print $1}' {");
    strbuf_reset(&out);
    /* no event: values come from the text */
    advice_data_init(&ad, NULL, &mv, rs, &c, in.text, in.len);
    advice_fill("{recipient} {client_ip}", &ad, &out);
    ck_assert_str_eq(strbuf_str(&out), "{recipient} 192.0.2.1");
    strbuf_reset(&out);
    /* the composed advice: the rule's own first, the category's after */
    advice_compose(&c, "postfix", DIRECTION_INBOUND, &out);
    ck_assert_ptr_nonnull(strstr(strbuf_str(&out), "SpamCop listings come from user reports"));
    ck_assert_ptr_nonnull(strstr(strbuf_str(&out), "Look it up"));
    ck_assert(strstr(strbuf_str(&out), "SpamCop") < strstr(strbuf_str(&out), "Look it up"));
    strbuf_free(&tmpl);
    strbuf_free(&out);
}
END_TEST

START_TEST(test_advice_ipv6_and_mta_parts)
{
    struct strbuf out = STRBUF_INIT;
    struct advice_data ad;
    struct event ev;
    struct classification c;

    event_init(&ev);
    ev.client_ip = "2001:db8::1";
    memset(&c, 0, sizeof c);
    advice_data_init(&ad, &ev, NULL, rs, &c, NULL, 0);
    advice_fill("{client_ip_reversed}", &ad, &out);
    ck_assert_str_eq(strbuf_str(&out), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1."
                                       "0.0.2");
    strbuf_reset(&out);
    c.category = ruleset_category(rs, "recipient_unknown");
    c.category_id = "recipient_unknown";
    advice_compose(&c, "exim", DIRECTION_NONE, &out);
    ck_assert_ptr_nonnull(strstr(strbuf_str(&out), "exim -bt"));
    ck_assert_ptr_null(strstr(strbuf_str(&out), "postmap"));
    strbuf_reset(&out);
    advice_compose(&c, NULL, DIRECTION_NONE, &out); /* unknown MTA: every part, under its name */
    ck_assert_ptr_nonnull(strstr(strbuf_str(&out), "Postfix:\npostmap"));
    ck_assert_ptr_nonnull(strstr(strbuf_str(&out), "Exchange:\nGet-Recipient"));
    strbuf_free(&out);
}
END_TEST

/* the shipped categories turn their advice around by direction where the cause does */
START_TEST(test_advice_by_direction)
{
    static const char *const cats[] = {
        "ip_blocklisted",      "relay_denied", "recipient_unknown",   "sender_auth_failed",
        "reverse_dns_missing", "helo_invalid", "client_auth_required"};
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
    struct classification c;

    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++) {
        memset(&c, 0, sizeof c);
        c.category_id = cats[i];
        c.category = ruleset_category(rs, cats[i]);
        ck_assert_ptr_nonnull(c.category);
        ck_assert_msg(c.category->advice[ADVICE_INBOUND] && c.category->advice[ADVICE_OUTBOUND],
                      "%s: no advice by direction", cats[i]);
        ck_assert_msg(c.category->advice[ADVICE_EXCHANGE] != NULL, "%s: no Exchange advice",
                      cats[i]);
        strbuf_reset(&in);
        strbuf_reset(&out);
        advice_compose(&c, "exchange", DIRECTION_INBOUND, &in);
        advice_compose(&c, "exchange", DIRECTION_OUTBOUND, &out);
        ck_assert_ptr_nonnull(strstr(strbuf_str(&in), c.category->advice[ADVICE_INBOUND]));
        ck_assert_ptr_null(strstr(strbuf_str(&in), c.category->advice[ADVICE_OUTBOUND]));
        ck_assert_ptr_nonnull(strstr(strbuf_str(&out), c.category->advice[ADVICE_OUTBOUND]));
        ck_assert_ptr_null(strstr(strbuf_str(&out), c.category->advice[ADVICE_INBOUND]));
    }
    /* a listed client of ours is not ours to delist; our own listed IP is */
    c.category = ruleset_category(rs, "ip_blocklisted");
    strbuf_reset(&in);
    advice_compose(&c, "postfix", DIRECTION_INBOUND, &in);
    ck_assert_ptr_nonnull(strstr(strbuf_str(&in), "usually nothing to"));
    strbuf_free(&in);
    strbuf_free(&out);
}
END_TEST

/* ---------------------------------------------------------------- the shipped rules */

static void count_failure(void *arg, const char *msg)
{
    fprintf(stderr, "%s\n", msg);
    (*(int *)arg)++;
}

START_TEST(test_shipped_rules_pass)
{
    int failures = 0;
    size_t n = rules_check(rs, 1, count_failure, &failures);

    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(failures, 0);
}
END_TEST

/* every category of TAXONOMY.md is defined, with who acts and advice */
START_TEST(test_taxonomy_complete)
{
    static const char *const ids[] = {
        "recipient_unknown",   "recipient_disabled",  "recipient_moved",
        "mailbox_full",        "message_too_large",   "domain_not_found",
        "domain_refuses_mail", "relay_denied",        "client_auth_required",
        "tls_failure",         "sender_auth_failed",  "reverse_dns_missing",
        "helo_invalid",        "ip_blocklisted",      "bad_reputation",
        "rate_limited",        "greylisted",          "spam_content",
        "virus_or_attachment", "recipient_policy",    "sender_address_rejected",
        "message_format",      "smtp_protocol_error", "network_routing_error",
        "delivery_expired",    "remote_system_error", "local_delivery_error",
        "non_failure",         "unclassified",
    };

    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        const struct category *c = ruleset_category(rs, ids[i]);
        ck_assert_msg(c != NULL, "category %s is missing", ids[i]);
        ck_assert_msg(c->nwho > 0 && c->title && c->severity && c->advice[ADVICE_GENERAL],
                      "category %s lacks who, title, severity or advice", ids[i]);
    }
    ck_assert_uint_eq(rs->ncategories, sizeof ids / sizeof ids[0]);
    /* every rule has a rules/ origin */
    for (size_t i = 0; i < rs->nrules; i++)
        ck_assert_msg(strncmp(rs->rules[i]->origin.file, "rules/", 6) == 0 &&
                          rs->rules[i]->origin.line > 0,
                      "%s", rs->rules[i]->id);
}
END_TEST

/* ---------------------------------------------------------------- the commands */

static char *run(const char *cmd, int *status)
{
    char *out = NULL, *err = NULL;
    char *both;

    *status = tu_run(cmd, &out, &err);
    both = malloc(strlen(out ? out : "") + strlen(err ? err : "") + 2);
    sprintf(both, "%s%s", out ? out : "", err ? err : "");
    free(out);
    free(err);
    return both;
}

START_TEST(test_cmd_explain)
{
    char cmd[4096], path[600];
    int st;
    char *out;

    snprintf(path, sizeof path, "%s/explain.txt", tu_tempdir());
    tu_write_file(path,
                  "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in "
                  "virtual mailbox table\n"
                  "PREGREET 14 after 0.08 from [192.0.2.2]:59415: EHLO ylmf-pc\\r\\n\n"
                  "\n"
                  "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to user "
                  "complaints\n",
                  -1);
    snprintf(cmd, sizeof cmd, "'%s' explain --format tsv < '%s'", REJECTLENS_BIN, path);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_str_eq(out, "recipient_unknown\tpostfix.user-unknown\t550\t5.1.1\n"
                          "smtp_protocol_error\tpostfix.postscreen-pregreet\t\t\n"
                          "unclassified\t\t\t\n"
                          "bad_reputation\tyahoo.complaints\t421\t4.7.0\n");
    free(out);

    snprintf(cmd, sizeof cmd,
             "'%s' explain --mta postfix '554 5.7.1 Service unavailable; Client host "
             "[192.0.2.1] blocked using zen.spamhaus.org'",
             REJECTLENS_BIN);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "category:  ip_blocklisted"));
    ck_assert_ptr_nonnull(strstr(out, "rule:      dnsbl.spamhaus (rules/dnsbl.yaml:"));
    ck_assert_ptr_nonnull(strstr(out, "saw:       reply code 554, status 5.7.1"));
    ck_assert_ptr_nonnull(strstr(out, "who acts:  sender admin"));
    ck_assert_ptr_nonnull(strstr(out, "dig +short 1.2.0.192.zen.spamhaus.org"));
    ck_assert_ptr_nonnull(strstr(out, "listed by zen.spamhaus.org"));
    free(out);

    snprintf(cmd, sizeof cmd,
             "'%s' explain --format json 'expired, returned to sender; last "
             "deferral: 450 4.2.0 Greylisted, see http://postgrey.example'",
             REJECTLENS_BIN);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "\"category\":\"delivery_expired\""));
    ck_assert_ptr_nonnull(strstr(out, "\"last_deferral\":\"greylisted\""));
    free(out);

    snprintf(cmd, sizeof cmd, "'%s' explain --format xml x", REJECTLENS_BIN);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 2);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' explain --help", REJECTLENS_BIN);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "usage: rejectlens explain"));
    free(out);
}
END_TEST

START_TEST(test_cmd_rules)
{
    char cmd[4096], good[600], broken[600], failing[600];
    int st;
    char *out;

    snprintf(cmd, sizeof cmd, "'%s' rules test --strict", REJECTLENS_BIN);
    out = run(cmd, &st);
    ck_assert_msg(st == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, ": 0 failures"));
    free(out);

    snprintf(cmd, sizeof cmd, "'%s' rules list", REJECTLENS_BIN);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "postfix.user-unknown"));
    ck_assert_ptr_nonnull(strstr(out, "rules/postfix.yaml:"));
    free(out);

    /* an admin file: a rule that goes first, a changed category */
    snprintf(good, sizeof good, "%s/good.yaml", tu_tempdir());
    tu_write_file(good,
                  "rules:\n"
                  "  - id: local.ours\n"
                  "    category: recipient_policy\n"
                  "    pattern: 'Relay access denied'\n"
                  "    examples: ['554 5.7.1 <a@b.example>: Relay access denied']\n",
                  -1);
    snprintf(cmd, sizeof cmd, "'%s' rules list --rules '%s'", REJECTLENS_BIN, good);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "   1  local.ours"));
    free(out);
    /* the shipped example of postfix.relay-denied now goes to the admin's rule: a failure */
    snprintf(cmd, sizeof cmd, "'%s' rules test --rules '%s'", REJECTLENS_BIN, good);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 1);
    ck_assert_ptr_nonnull(strstr(out, "rules/postfix.yaml:"));
    ck_assert_ptr_nonnull(strstr(out, "is classified by rule 'local.ours'"));
    free(out);

    snprintf(broken, sizeof broken, "%s/broken.yaml", tu_tempdir());
    tu_write_file(broken, "rules:\n  - id: x\n    category: ghost\n    pattern: '(('\n", -1);
    snprintf(cmd, sizeof cmd, "'%s' rules test --rules '%s'", REJECTLENS_BIN, broken);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 2);
    ck_assert_ptr_nonnull(strstr(out, "broken.yaml:4: rule 'x': pattern does not compile: "
                                      "offset 2"));
    free(out);

    snprintf(failing, sizeof failing, "%s/failing.yaml", tu_tempdir());
    tu_write_file(failing,
                  "rules:\n"
                  "  - id: x\n"
                  "    category: spam_content\n"
                  "    pattern: 'zzz'\n"
                  "    examples: ['aaa']\n"
                  "    counter_examples: ['zzz']\n",
                  -1);
    snprintf(cmd, sizeof cmd, "'%s' rules test --rules '%s'", REJECTLENS_BIN, failing);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 1);
    ck_assert_ptr_nonnull(strstr(out, "failing.yaml:5: example of rule 'x'"));
    ck_assert_ptr_nonnull(strstr(out, "failing.yaml:6: counter-example of rule 'x' matches"));
    free(out);

    snprintf(cmd, sizeof cmd, "'%s' rules frobnicate", REJECTLENS_BIN);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 2);
    free(out);
}
END_TEST

/* one-value query on the test database */
static char *query(const char *db, const char *sql)
{
    struct store *s;
    struct store_stmt *st;
    struct diag d = {""};
    char *v = NULL;

    ck_assert_msg(store_open(db, STORE_READ_ONLY, 1000, &s, &d) == 0, "%s", d.msg);
    st = store_stmt_prepare(s, sql, &d);
    ck_assert_msg(st != NULL, "%s", d.msg);
    if (store_step(s, st, &d) == 1)
        v = strdup(store_column_text(st, 0));
    store_stmt_finalize(st);
    store_close(s);
    return v ? v : strdup("");
}

START_TEST(test_cmd_ingest_and_classify)
{
    char cmd[8192], log[600], db[600], admin[600];
    int st;
    char *out, *v;

    snprintf(log, sizeof log, "%s/mail.log", tu_tempdir());
    snprintf(db, sizeof db, "%s/classify.db", tu_tempdir());
    snprintf(admin, sizeof admin, "%s/admin.yaml", tu_tempdir());
    tu_write_file(
        log,
        "Jan 31 13:55:24 mx postfix/smtpd[3462]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: "
        "554 5.7.1 <a@example.org>: Relay access denied; from=<x@example.com> "
        "to=<a@example.org> proto=ESMTP helo=<x>\n"
        "Jan 31 13:55:25 mx postfix/smtpd[3462]: NOQUEUE: reject: RCPT from unknown[192.0.2.2]: "
        "554 5.7.1 <b@example.org>: Relay access denied; from=<y@example.com> "
        "to=<b@example.org> proto=ESMTP helo=<y>\n"
        "Jan 31 13:55:26 mx postfix/smtpd[3462]: NOQUEUE: reject: RCPT from unknown[192.0.2.3]: "
        "550 5.1.1 <c@example.org>: Recipient address rejected: User unknown in virtual "
        "mailbox table; from=<z@example.com> to=<c@example.org> proto=ESMTP helo=<z>\n",
        -1);
    snprintf(cmd, sizeof cmd, "'%s' ingest -q --db '%s' '%s'", REJECTLENS_BIN, db, log);
    out = run(cmd, &st);
    ck_assert_msg(st == 0, "%s", out);
    free(out);
    /* two relay rejects share one reply text: classified and stored once */
    v = query(db, "SELECT count(*) FROM reply_texts");
    ck_assert_str_eq(v, "2");
    free(v);
    v = query(db, "SELECT group_concat(category || '/' || rule, ' ') FROM "
                  "(SELECT category, rule FROM v_events ORDER BY ts)");
    ck_assert_str_eq(v, "relay_denied/postfix.relay-denied relay_denied/postfix.relay-denied "
                        "recipient_unknown/postfix.user-unknown");
    free(v);

    /* nothing stale: nothing to do */
    snprintf(cmd, sizeof cmd, "'%s' classify --db '%s'", REJECTLENS_BIN, db);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "classified 0 reply texts again"));
    free(out);

    /* the admin changes the rules: only reply_texts change, and the events follow */
    tu_write_file(admin,
                  "rules:\n"
                  "  - id: postfix.relay-denied\n"
                  "    category: recipient_policy\n",
                  -1);
    snprintf(cmd, sizeof cmd, "'%s' classify --db '%s' --rules '%s'", REJECTLENS_BIN, db, admin);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "classified 2 reply texts again"));
    ck_assert_ptr_nonnull(strstr(out, ": 1 changed"));
    free(out);
    v = query(db, "SELECT count(*) FROM v_events WHERE category = 'recipient_policy'");
    ck_assert_str_eq(v, "2");
    free(v);
    snprintf(cmd, sizeof cmd, "'%s' classify --db '%s' --all", REJECTLENS_BIN, db);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 0);
    ck_assert_ptr_nonnull(strstr(out, "classified 2 reply texts again"));
    free(out);
    v = query(db, "SELECT count(*) FROM v_events WHERE category = 'relay_denied'");
    ck_assert_str_eq(v, "2");
    free(v);

    /* a second ingest of a new line with a known text adds no reply text */
    snprintf(cmd, sizeof cmd,
             "echo 'Jan 31 13:56:00 mx postfix/smtpd[3462]: NOQUEUE: reject: RCPT from "
             "unknown[192.0.2.9]: 554 5.7.1 <q@example.org>: Relay access denied; "
             "from=<w@example.com> to=<q@example.org> proto=ESMTP helo=<w>' >> '%s' && '%s' "
             "ingest -q --db '%s' '%s'",
             log, REJECTLENS_BIN, db, log);
    out = run(cmd, &st);
    ck_assert_msg(st == 0, "%s", out);
    free(out);
    v = query(db, "SELECT count(*) || ' ' || (SELECT count(*) FROM reply_texts) FROM events");
    ck_assert_str_eq(v, "4 2");
    free(v);

    /* a broken rules file stops the ingest before it reads anything */
    tu_write_file(admin, "rules:\n  - id: x\n    category: nope\n    pattern: y\n", -1);
    snprintf(cmd, sizeof cmd, "'%s' ingest -q --db '%s' --rules '%s' '%s'", REJECTLENS_BIN, db,
             admin, log);
    out = run(cmd, &st);
    ck_assert_int_eq(st, 2);
    ck_assert_ptr_nonnull(strstr(out, "admin.yaml:2: rule 'x' names category 'nope'"));
    free(out);

    snprintf(cmd, sizeof cmd, "'%s' classify --db '%s/none.db'", REJECTLENS_BIN, tu_tempdir());
    out = run(cmd, &st);
    ck_assert_int_eq(st, 2);
    ck_assert_ptr_nonnull(strstr(out, "no database there"));
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("classify");
    TCase *tc = tcase_create("rules");

    tcase_add_checked_fixture(tc, load_defaults, free_defaults);
    tcase_add_loop_test(tc, test_precedence, 0, sizeof prec / sizeof prec[0]);
    tcase_add_loop_test(tc, test_evidence, 0, sizeof evidence_cases / sizeof evidence_cases[0]);
    tcase_add_loop_test(tc, test_prepare, 0, sizeof prepare_cases / sizeof prepare_cases[0]);
    tcase_add_test(tc, test_advice_fill);
    tcase_add_test(tc, test_advice_ipv6_and_mta_parts);
    tcase_add_test(tc, test_advice_by_direction);
    tcase_add_test(tc, test_shipped_rules_pass);
    tcase_add_test(tc, test_taxonomy_complete);
    suite_add_tcase(s, tc);
    tc = tcase_create("commands");
    tcase_add_test(tc, test_cmd_explain);
    tcase_add_test(tc, test_cmd_rules);
    tcase_add_test(tc, test_cmd_ingest_and_classify);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
