/*
 * test_conformance_exim - every line of the real-world Exim corpus (../shared/corpus/exim)
 *
 * An independent oracle, written with POSIX regular expressions rather than the parser's own
 * token scanning, says which lines must be events and with which kind, stage, code, status,
 * sender and recipient: every rejection, every failure (**) and deferral (==), and the
 * deliveries and dispositions around them. The parser must agree line by line. Lines it
 * cannot read are counted and listed; the only ones allowed are a paniclog's entries, which
 * are reported by design ("exim panic"). Where the corpus has a sidecar index of line shapes,
 * the lines whose shape label names a rejection or a failure but that give no event are
 * listed with the reason (the labels are a heuristic, so they are shown, not enforced).
 * Skipped when the corpus folder is absent.
 */
#include "event.h"
#include "parser.h"
#include "testutil.h"

#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct parser_ops exim_parser;

#define MAX_EVENTS 8

struct got {
    enum event_kind kind;
    enum event_direction direction;
    enum smtp_stage stage;
    int code;
    char status[16], sender[512], recipient[512];
    int sender_known;
};

static struct got got[MAX_EVENTS];
static int ngot;

static int capture(void *ctx, const struct event *ev)
{
    (void)ctx;
    if (ngot < MAX_EVENTS) {
        struct got *g = &got[ngot];
        g->kind = ev->kind;
        g->direction = ev->direction;
        g->stage = ev->stage;
        g->code = ev->reply_code;
        snprintf(g->status, sizeof g->status, "%s", ev->status ? ev->status : "");
        snprintf(g->sender, sizeof g->sender, "%s", ev->sender ? ev->sender : "");
        snprintf(g->recipient, sizeof g->recipient, "%s", ev->recipient ? ev->recipient : "");
        g->sender_known = ev->sender != NULL;
    }
    ngot++;
    return 0;
}

/* ------------------------------------------------------------ the oracle */

struct expect {
    int is_event;
    int panic; /* a paniclog entry: reported as unparsed */
    enum event_kind kind;
    enum event_direction direction;
    enum smtp_stage stage;
    int code;
    char status[16], sender[512], recipient[512];
    int sender_known;
    int check_recipient; /* 0 when the address has spaces the oracle cannot delimit */
};

#define FIELDS                                                                                     \
    "(([A-Za-z][A-Za-z0-9]*=(\"[^\"]*\"|<[^>]*>|[^ ]*))( \\([^)]*\\))?( DS)?( \\[[^]]*\\][^ ]*)? " \
    ")*"
#define STATUS "([245]\\.[0-9]{1,3}\\.[0-9]{1,3})"

static regex_t re_wrap, re_prefix, re_flag, re_blackhole, re_first, re_marker, re_connerr,
    re_remote_code, re_c_code, re_fail_code, re_defer_code, re_expiry, re_f, re_fbare, re_p, re_acl,
    re_sync, re_auth, re_auth_code, re_refused, re_dropped, re_call, re_unqual, re_toomany,
    re_localscan, re_nonsmtp, re_discard, re_rej_code1, re_rej_code2, re_rej_rcpt, re_rej_mail,
    re_rej_mailfrom, re_rej_from, re_sender_eq, re_fake_for, re_message_event, re_code_status;

static void compile(regex_t *re, const char *pattern)
{
    int rc = regcomp(re, pattern, REG_EXTENDED);

    ck_assert_msg(rc == 0, "bad oracle pattern %s", pattern);
}

static void compile_all(void)
{
    compile(&re_wrap, "^(([A-Z][a-z]{2} +[0-9]+ [0-9:]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][^ ]+) )?"
                      "([^ ]+ )?exim[0-9]*\\[[0-9]+\\]: (\\[([0-9]+)[/\\\\][0-9]+\\] )?(.*)$");
    compile(&re_prefix, "^([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?"
                        "( [-+][0-9]{4})? )?(\\[[0-9]+\\] )?"
                        "(([0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}|"
                        "[0-9A-Za-z]{6}-[0-9A-Za-z]{11}-[0-9A-Za-z]{4}) )?(.*)$");
    compile(&re_flag, "^(=>|->|>>|\\*>|\\*\\*|==|<=|\\(=) (.*)$");
    compile(&re_blackhole, "^:blackhole: <([^>]*)>");
    compile(&re_first, "^([^ ]+)( ([^ ]+))?");
    compile(&re_marker, "(error from remote mail server after|LMTP error after|PRDR error after|"
                        "SMTP timeout after|LMTP timeout after|in response to|"
                        "timeout while connected to [^ ]+ \\[[^]]*\\] after) (pipelined )?"
                        "(RCPT TO|MAIL FROM|DATA|end of data|sending data block|"
                        "initial connection|HELO|EHLO|STARTTLS|AUTH|QUIT)");
    compile(&re_connerr, "(defer \\([^)]*\\)|:) (Connection refused|Connection timed out|"
                         "No route to host|Network is unreachable|Host is unreachable|"
                         "Connection reset by peer|Operation timed out)");
    compile(&re_remote_code, "(error from remote mail server|LMTP error|PRDR error) after "
                             "[^:]*(:<[^>]*>)?[^:]*: (host [^ ]+ \\[[^]]*\\]: )?"
                             "([245][0-9][0-9])[ -]");
    compile(&re_c_code, "C=\"([245][0-9][0-9])[ -]");
    /* a failure's own text that starts with a code: after the first ": " or " : " */
    compile(&re_fail_code, "^([^:]|:[^ ])*( :|:) ([245][0-9][0-9])[ -]");
    compile(&re_defer_code, "defer \\(-?[0-9]+\\)( H=[^:]*)?: ([245][0-9][0-9])[ -]");
    compile(&re_expiry, "retry timeout exceeded|retry time not reached for any host after a long "
                        "failure period|have been failing for a long time");
    compile(&re_f, "(^| )F=<([^>]*)>");
    compile(&re_fbare, "(^| )F=([^< ][^ ]*)");
    compile(&re_p, " P=<([^>]*)>");
    compile(&re_acl, "^" FIELDS "(temporarily )?rejected (RCPT|MAIL|EHLO or HELO|HELO|EHLO|"
                     "connection|after DATA|DATA|during MIME ACL checks|by local_scan\\(\\)|"
                     "by non-SMTP ACL|from|VRFY|EXPN|AUTH|ETRN|ATRN|WELLKNOWN|STARTTLS|DKIM|"
                     "QUIT|NOTQUIT|[A-Z]+)( |:|$)");
    compile(&re_sync, "^SMTP protocol synchronization error \\([^)]*\\): rejected"
                      "( connection| \"([A-Za-z]*))?");
    compile(&re_auth, "^[^ ]+ authenticator failed for ");
    compile(&re_auth_code, "authenticator failed for .*: ([245][0-9][0-9]) ");
    compile(&re_refused, "^refused connection from ");
    compile(&re_dropped, "^" FIELDS "dropped by '([^']*)' ACL");
    compile(&re_call, "^SMTP call from .* dropped: too many[^(]*(\\(last (command )?was "
                      "\"([A-Za-z]*))?");
    compile(&re_unqual, "^unqualified (sender|recipient) rejected: <([^>]*)>");
    compile(&re_toomany, "^too many recipients: excess temporarily rejected: sender=<([^>]*)>");
    compile(&re_localscan, "^local_scan\\(\\) function .* - message temporarily rejected");
    compile(&re_nonsmtp, "^[^ ].*\\): rejected by non-SMTP ACL");
    compile(&re_discard, "^" FIELDS "RCPT (<([^>]*)>|([^ :]+)): discarded by ");
    compile(&re_rej_code1, "rejected (RCPT|MAIL|VRFY|EXPN|EHLO or HELO|ATRN|ETRN|WELLKNOWN) "
                           "(<[^>]*>|[^ :]+): ([245][0-9][0-9])[ -]");
    compile(&re_rej_code2, "rejected (connection in \"connect\" ACL|after DATA|DATA|"
                           "by local_scan\\(\\)|by non-SMTP ACL|during MIME ACL checks|"
                           "AUTH [^ :]+|STARTTLS|DKIM): ([245][0-9][0-9])[ -]");
    compile(&re_rej_rcpt, "rejected (RCPT|VRFY|EXPN) (<([^>]*)>|([^ :]+))");
    compile(&re_rej_mail, "rejected MAIL (<([^>]*)>|([^ :]+))");
    compile(&re_rej_mailfrom, "rejected MAIL FROM:<([^>]*)>");
    compile(&re_rej_from, "rejected from <([^>]*)>");
    compile(&re_sender_eq, "sender=<([^>]*)>");
    compile(&re_fake_for, " for ([^ ]+)");
    compile(&re_message_event, "^(removed by |cancelled by timeout_frozen_after)");
    compile(&re_code_status, "^([245][0-9][0-9])[ -]" STATUS "( |$)");
}

static void free_all(void)
{
    regex_t *all[] = {
        &re_wrap,          &re_prefix,       &re_flag,        &re_blackhole, &re_first,
        &re_marker,        &re_connerr,      &re_remote_code, &re_c_code,    &re_fail_code,
        &re_defer_code,    &re_expiry,       &re_f,           &re_fbare,     &re_p,
        &re_acl,           &re_sync,         &re_auth,        &re_auth_code, &re_refused,
        &re_dropped,       &re_call,         &re_unqual,      &re_toomany,   &re_localscan,
        &re_nonsmtp,       &re_discard,      &re_rej_code1,   &re_rej_code2, &re_rej_rcpt,
        &re_rej_mail,      &re_rej_mailfrom, &re_rej_from,    &re_sender_eq, &re_fake_for,
        &re_message_event, &re_code_status};

    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        regfree(all[i]);
}

static int has(const regmatch_t *m, int i)
{
    return m[i].rm_so >= 0;
}

static void group(const char *s, const regmatch_t *m, int i, char *out, size_t cap)
{
    int n = has(m, i) ? (int)(m[i].rm_eo - m[i].rm_so) : 0;

    snprintf(out, cap, "%.*s", n, has(m, i) ? s + m[i].rm_so : "");
}

/* word_stage - the oracle's own table of stages for the words Exim logs */
static enum smtp_stage word_stage(const char *w)
{
    static const struct {
        const char *w;
        enum smtp_stage s;
    } t[] = {{"RCPT", STAGE_RCPT},
             {"RCPT TO", STAGE_RCPT},
             {"VRFY", STAGE_RCPT},
             {"EXPN", STAGE_RCPT},
             {"MAIL", STAGE_MAIL},
             {"MAIL FROM", STAGE_MAIL},
             {"EHLO or HELO", STAGE_HELO},
             {"HELO", STAGE_HELO},
             {"EHLO", STAGE_HELO},
             {"STARTTLS", STAGE_HELO},
             {"connection", STAGE_CONNECT},
             {"connect", STAGE_CONNECT},
             {"initial connection", STAGE_CONNECT},
             {"after DATA", STAGE_EOM},
             {"end of data", STAGE_EOM},
             {"DATA", STAGE_DATA},
             {"BDAT", STAGE_DATA},
             {"sending data block", STAGE_DATA},
             {"from", STAGE_DATA},
             {"during MIME ACL checks", STAGE_EOM},
             {"by local_scan()", STAGE_EOM},
             {"by non-SMTP ACL", STAGE_EOM},
             {"DKIM", STAGE_EOM}};

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcasecmp(t[i].w, w) == 0)
            return t[i].s;
    return STAGE_NONE;
}

/* the arrivals seen so far in this file: id -> sender */
#define MAX_IDS 4096
static char ids[MAX_IDS][64], id_senders[MAX_IDS][256];
static int nids;

static const char *sender_of(const char *id)
{
    for (int i = nids; i-- > 0;)
        if (strcmp(ids[i], id) == 0)
            return id_senders[i][0] == '\1' ? NULL : id_senders[i];
    return NULL;
}

static void status_after_code(const char *s, regoff_t at, struct expect *e)
{
    regmatch_t m[4];

    if (regexec(&re_code_status, s + at, 4, m, 0) == 0)
        group(s + at, m, 2, e->status, sizeof e->status);
}

/* delivery - "=> -> >> *> ** ==" lines: flag and what follows it */
static void delivery(const char *id, const char *flag, const char *s, struct expect *e)
{
    regmatch_t m[24];
    char w[512];

    e->is_event = 1;
    e->direction = DIRECTION_OUTBOUND;
    e->check_recipient = 1;
    if (strcmp(flag, "**") == 0)
        e->kind = regexec(&re_expiry, s, 0, NULL, 0) == 0 ? EVENT_EXPIRE : EVENT_BOUNCE;
    else if (strcmp(flag, "==") == 0)
        e->kind = EVENT_DEFER;
    else if (strcmp(flag, "*>") == 0)
        e->kind = EVENT_DISCARD;
    else
        e->kind = EVENT_DELIVER;
    /* the recipient */
    if (regexec(&re_blackhole, s, 2, m, 0) == 0) {
        e->kind = EVENT_DISCARD;
        group(s, m, 1, e->recipient, sizeof e->recipient);
    } else if (strncmp(s, "blackhole (", 11) == 0 || strncmp(s, "blackhole *", 11) == 0) {
        e->kind = EVENT_DISCARD;
    } else if (regexec(&re_first, s, 4, m, 0) == 0) {
        group(s, m, 1, e->recipient, sizeof e->recipient);
        size_t rl = strlen(e->recipient);
        int colon = rl > 0 && e->recipient[rl - 1] == ':';
        if (colon)
            e->recipient[rl - 1] = '\0';
        group(s, m, 3, w, sizeof w);
        /* a word after the address that is not a field, <top>, (parent), "defer" or ":"
           means the address itself has spaces (a pipe command, "save file"): not judged */
        if (!colon && has(m, 3) && w[0] != '<' && w[0] != '(' && strcmp(w, ":") != 0 &&
            strcmp(w, "defer") != 0 && strcmp(w, "routing") != 0 && strchr(w, '=') == NULL)
            e->check_recipient = 0;
        if (e->recipient[0] == '|' || e->recipient[0] == ':' || strchr(e->recipient, '"') != NULL)
            e->check_recipient = 0;
    }
    /* the stage */
    if (regexec(&re_marker, s, 4, m, 0) == 0) {
        group(s, m, 3, w, sizeof w);
        e->stage = word_stage(w);
    } else if (strcmp(flag, "**") == 0 || strcmp(flag, "==") == 0) {
        if (regexec(&re_connerr, s, 0, NULL, 0) == 0)
            e->stage = STAGE_CONNECT;
    }
    /* the code and status */
    if (regexec(&re_remote_code, s, 5, m, 0) == 0) {
        group(s, m, 4, w, sizeof w);
        e->code = atoi(w);
        status_after_code(s, m[4].rm_so, e);
    } else if (regexec(&re_c_code, s, 2, m, 0) == 0) {
        group(s, m, 1, w, sizeof w);
        e->code = atoi(w);
        status_after_code(s, m[1].rm_so, e);
    } else if (strcmp(flag, "**") == 0 && regexec(&re_fail_code, s, 4, m, 0) == 0) {
        group(s, m, 3, w, sizeof w);
        e->code = atoi(w);
        status_after_code(s, m[3].rm_so, e);
    } else if (strcmp(flag, "==") == 0 && regexec(&re_defer_code, s, 3, m, 0) == 0) {
        group(s, m, 2, w, sizeof w);
        e->code = atoi(w);
        status_after_code(s, m[2].rm_so, e);
    }
    /* the sender: F=<>, else the return path P=<>, else the message's arrival */
    const char *snd;
    if (regexec(&re_f, s, 3, m, 0) == 0) {
        group(s, m, 2, e->sender, sizeof e->sender);
        e->sender_known = 1;
    } else if (regexec(&re_p, s, 2, m, 0) == 0) {
        group(s, m, 1, e->sender, sizeof e->sender);
        e->sender_known = 1;
    } else if (id != NULL && (snd = sender_of(id)) != NULL) {
        snprintf(e->sender, sizeof e->sender, "%s", snd);
        e->sender_known = 1;
    }
}

/* sender_of_line - an inbound line's sender */
static void inbound_sender(const char *s, struct expect *e)
{
    regmatch_t m[6];

    if (regexec(&re_f, s, 3, m, 0) == 0) {
        group(s, m, 2, e->sender, sizeof e->sender);
        e->sender_known = 1;
    } else if (regexec(&re_rej_mailfrom, s, 2, m, 0) == 0 ||
               regexec(&re_rej_from, s, 2, m, 0) == 0 || regexec(&re_sender_eq, s, 2, m, 0) == 0) {
        group(s, m, 1, e->sender, sizeof e->sender);
        e->sender_known = 1;
    } else if (regexec(&re_fbare, s, 3, m, 0) == 0) {
        group(s, m, 2, e->sender, sizeof e->sender);
        e->sender_known = 1;
    } else if (regexec(&re_rej_mail, s, 4, m, 0) == 0 && strncmp(s + m[1].rm_so, "from", 4) != 0 &&
               strncmp(s + m[1].rm_so, "command", 7) != 0) {
        group(s, m, has(m, 2) ? 2 : 3, e->sender, sizeof e->sender);
        e->sender_known = 1;
    }
}

/* rejection - an inbound line without a delivery flag; 1 when it is an event */
static int rejection(const char *s, struct expect *e)
{
    regmatch_t m[24];
    char w[512];
    int n;

    e->direction = DIRECTION_INBOUND;
    e->kind = EVENT_REJECT;
    e->check_recipient = 1;
    if (regexec(&re_acl, s, 24, m, 0) == 0) {
        n = 8; /* the word after "rejected": FIELDS has 6 groups, then "temporarily" */
        group(s, m, n, w, sizeof w);
        e->stage = word_stage(w);
        if (regexec(&re_rej_rcpt, s, 5, m, 0) == 0)
            group(s, m, has(m, 3) ? 3 : 4, e->recipient, sizeof e->recipient);
        if (regexec(&re_rej_code1, s, 4, m, 0) == 0) {
            group(s, m, 3, w, sizeof w);
            e->code = atoi(w);
            status_after_code(s, m[3].rm_so, e);
        } else if (regexec(&re_rej_code2, s, 3, m, 0) == 0) {
            group(s, m, 2, w, sizeof w);
            e->code = atoi(w);
            status_after_code(s, m[2].rm_so, e);
        }
    } else if (regexec(&re_sync, s, 3, m, 0) == 0) {
        if (has(m, 2)) {
            group(s, m, 2, w, sizeof w);
            e->stage = word_stage(w);
        } else if (has(m, 1)) {
            e->stage = STAGE_CONNECT;
        }
    } else if (regexec(&re_auth, s, 0, NULL, 0) == 0) {
        if (regexec(&re_auth_code, s, 2, m, 0) == 0) {
            group(s, m, 1, w, sizeof w);
            e->code = atoi(w);
            status_after_code(s, m[1].rm_so, e);
        }
    } else if (regexec(&re_refused, s, 0, NULL, 0) == 0) {
        e->stage = STAGE_CONNECT;
    } else if (regexec(&re_dropped, s, 24, m, 0) == 0) {
        group(s, m, 7, w, sizeof w);
        e->stage = word_stage(w);
    } else if (regexec(&re_call, s, 5, m, 0) == 0) {
        group(s, m, 3, w, sizeof w);
        e->stage = word_stage(w);
    } else if (regexec(&re_unqual, s, 3, m, 0) == 0) {
        group(s, m, 1, w, sizeof w);
        if (strcmp(w, "recipient") == 0) {
            e->stage = STAGE_RCPT;
            group(s, m, 2, e->recipient, sizeof e->recipient);
        } else {
            e->stage = STAGE_MAIL;
            group(s, m, 2, e->sender, sizeof e->sender);
            e->sender_known = 1;
        }
    } else if (regexec(&re_toomany, s, 0, NULL, 0) == 0) {
        e->stage = STAGE_RCPT;
    } else if (regexec(&re_localscan, s, 0, NULL, 0) == 0 ||
               regexec(&re_nonsmtp, s, 0, NULL, 0) == 0) {
        e->stage = STAGE_EOM;
    } else if (regexec(&re_discard, s, 24, m, 0) == 0) {
        e->kind = EVENT_DISCARD;
        e->stage = STAGE_RCPT;
        group(s, m, has(m, 8) ? 8 : 9, e->recipient, sizeof e->recipient);
    } else {
        return 0;
    }
    if (!e->sender_known)
        inbound_sender(s, e);
    return 1;
}

/*
 * oracle - what one line must yield. Returns the Exim text of the line in *rest (for the
 * shape report) and whether the line starts an entry.
 */
static void oracle(const char *line, int panic_file, struct expect *e)
{
    regmatch_t m[12];
    char inner[70000], id[64] = "", flag[4], body[70000];
    const char *s = line;
    int wrapped = 0;

    memset(e, 0, sizeof *e);
    if (regexec(&re_wrap, line, 8, m, 0) == 0) {
        char part[16];
        group(line, m, 5, part, sizeof part);
        if (has(m, 5) && atoi(part) > 1)
            return; /* the later part of a split entry */
        group(line, m, 6, inner, sizeof inner);
        s = inner;
        wrapped = 1;
    }
    if (regexec(&re_prefix, s, 8, m, 0) != 0 || (!has(m, 1) && !wrapped))
        return; /* a continuation line */
    if (panic_file) {
        e->panic = 1;
        return;
    }
    if (has(m, 5))
        group(s, m, 6, id, sizeof id);
    group(s, m, 7, body, sizeof body);
    s = body;
    if (id[0] && regexec(&re_flag, s, 3, m, 0) == 0) {
        char rest[70000];
        group(s, m, 1, flag, sizeof flag);
        group(s, m, 2, rest, sizeof rest);
        if (strcmp(flag, "<=") == 0 || strcmp(flag, "(=") == 0) {
            regmatch_t a[2];
            if (regexec(&re_first, rest, 2, a, 0) == 0 && nids < MAX_IDS) {
                snprintf(ids[nids], sizeof ids[nids], "%s", id);
                group(rest, a, 1, id_senders[nids], sizeof id_senders[nids]);
                if (strcmp(id_senders[nids], "<>") == 0)
                    id_senders[nids][0] = '\0';
                nids++;
            }
            if (flag[0] == '<')
                return;
        }
        if (strcmp(flag, "(=") == 0) {
            regmatch_t a[3];
            e->is_event = 1;
            e->kind = EVENT_REJECT_WARNING;
            e->direction = DIRECTION_INBOUND;
            e->stage = STAGE_EOM;
            e->check_recipient = 1;
            if (regexec(&re_first, rest, 2, a, 0) == 0) {
                group(rest, a, 1, e->sender, sizeof e->sender);
                e->sender_known = 1;
            }
            if (regexec(&re_fake_for, rest, 2, a, 0) == 0)
                group(rest, a, 1, e->recipient, sizeof e->recipient);
            return;
        }
        delivery(id, flag, rest, e);
        return;
    }
    if (id[0] && strncmp(s, "Completed", 9) == 0 && nids < MAX_IDS) {
        /* the message left the queue: what its arrival said is forgotten */
        snprintf(ids[nids], sizeof ids[nids], "%s", id);
        id_senders[nids][0] = '\1';
        nids++;
        return;
    }
    if (id[0] && regexec(&re_message_event, s, 2, m, 0) == 0) {
        const char *snd = sender_of(id);
        e->is_event = 1;
        e->direction = DIRECTION_OUTBOUND;
        e->kind = s[0] == 'r' ? EVENT_DISCARD : EVENT_EXPIRE;
        e->check_recipient = 1;
        if (snd != NULL) {
            snprintf(e->sender, sizeof e->sender, "%s", snd);
            e->sender_known = 1;
        }
        return;
    }
    e->is_event = rejection(s, e);
}

/* ------------------------------------------------------------ the run */

static int failures, skipped_recipients;
static int kinds[EVENT_KIND_COUNT];

static void check_line(const char *file, int lineno, const char *line, const struct expect *e)
{
    const struct got *g = &got[0];

    if (!e->is_event) {
        if (ngot != 0) {
            printf("%s:%d: not an event, got %d (%s): %.200s\n", file, lineno, ngot,
                   event_kind_name(g->kind), line);
            failures++;
        }
        return;
    }
    if (ngot != 1) {
        printf("%s:%d: want 1 event, got %d: %.200s\n", file, lineno, ngot, line);
        failures++;
        return;
    }
    kinds[g->kind]++;
    if (!e->check_recipient)
        skipped_recipients++;
    if (g->kind != e->kind || g->direction != e->direction || g->stage != e->stage ||
        g->code != e->code || strcmp(g->status, e->status) != 0 ||
        (e->check_recipient && strcmp(g->recipient, e->recipient) != 0) ||
        g->sender_known != e->sender_known || strcmp(g->sender, e->sender) != 0) {
        printf("%s:%d: want %s/%s/%s/%d/%s from <%s>%s to <%s>, got %s/%s/%s/%d/%s from <%s>%s "
               "to <%s>\n  %.300s\n",
               file, lineno, event_kind_name(e->kind), event_direction_name(e->direction),
               smtp_stage_name(e->stage), e->code, e->status, e->sender, e->sender_known ? "" : "?",
               e->recipient, event_kind_name(g->kind), event_direction_name(g->direction),
               smtp_stage_name(g->stage), g->code, g->status, g->sender, g->sender_known ? "" : "?",
               g->recipient, line);
        failures++;
    }
}

/* load_labels - the sidecar index "line<TAB>shape<TAB>source" of a file, when there is one */
static char **load_labels(const char *dir, const char *name, int *n)
{
    char path[4096], line[4096];
    size_t len = strlen(name);
    FILE *f;
    char **labels = NULL;
    int cap = 0;

    *n = 0;
    if (len < 5)
        return NULL;
    snprintf(path, sizeof path, "%.2000s/%.*s.index.tsv", dir, (int)(len < 1004 ? len - 4 : 1000),
             name);
    if ((f = fopen(path, "r")) == NULL)
        return NULL;
    while (fgets(line, sizeof line, f) != NULL) {
        char *tab = strchr(line, '\t'), *tab2;
        int no = atoi(line);
        if (tab == NULL || no <= 0 || (tab2 = strchr(tab + 1, '\t')) == NULL)
            continue; /* the header, or an index of line ranges */
        *tab2 = '\0';
        if (no >= cap) {
            int ncap = no * 2 + 16;
            labels = realloc(labels, (size_t)ncap * sizeof *labels);
            memset(labels + cap, 0, (size_t)(ncap - cap) * sizeof *labels);
            cap = ncap;
        }
        labels[no] = strdup(tab + 1);
        if (no + 1 > *n)
            *n = no + 1;
    }
    fclose(f);
    return labels;
}

static int label_wants_event(const char *label)
{
    return label != NULL && (strncmp(label, "reject", 6) == 0 ||
                             strcmp(label, "temp_reject") == 0 || strcmp(label, "auth_fail") == 0 ||
                             strcmp(label, "failure") == 0 || strcmp(label, "deferral") == 0);
}

static void run_file(const char *dir, const char *name, int *events, int *unparsed, int *panics)
{
    char path[4096];
    FILE *f;
    void *st = exim_parser.create();
    struct parse_ctx ctx;
    int lineno = 0, nlabels, panic_file = strstr(name, "panic") != NULL;
    char **labels = load_labels(dir, name, &nlabels);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;

    memset(&ctx, 0, sizeof ctx);
    ctx.sink.emit = capture;
    tz_cache_init(&ctx.tz);
    ctx.years.ref_s = days_from_civil(2026, 11, 30) * 86400;
    nids = 0;
    snprintf(path, sizeof path, "%.2000s/%.1000s", dir, name);
    ctx.source = path;
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while ((len = getline(&line, &cap, f)) >= 0) {
        struct log_line ln;
        struct expect e;
        enum line_result r;

        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        oracle(line, panic_file, &e);
        memset(&ln, 0, sizeof ln);
        ln.text = line;
        ln.len = (size_t)len;
        ngot = 0;
        ctx.why = NULL;
        r = exim_parser.parse_line(st, &ctx, &ln);
        if (r == LINE_UNPARSED) {
            int is_panic = ctx.why != NULL && strcmp(ctx.why, "exim panic") == 0;
            (*unparsed)++;
            *panics += is_panic;
            if (!is_panic)
                printf("unparsed %s:%d (%s): %.160s\n", name, lineno, ctx.why ? ctx.why : "?",
                       line);
            if (!e.panic) {
                printf("%s:%d: must not be unparsed\n", name, lineno);
                failures++;
            }
        } else if (e.panic) {
            printf("%s:%d: a paniclog entry must be reported: %.160s\n", name, lineno, line);
            failures++;
        }
        check_line(name, lineno, line, &e);
        *events += e.is_event;
        if (lineno < nlabels && label_wants_event(labels[lineno]) && ngot == 0)
            printf("label %s:%d %s, no event (%s): %.140s\n", name, lineno, labels[lineno],
                   r == LINE_INFO ? "info" : "other", line);
    }
    free(line);
    fclose(f);
    ngot = 0;
    exim_parser.flush(st, &ctx);
    if (ngot != 0) {
        printf("%s: %d events at the end of the input\n", name, ngot);
        failures++;
    }
    exim_parser.destroy(st);
    for (int i = 0; i < nlabels; i++)
        free(labels[i]);
    free(labels);
}

START_TEST(test_corpus)
{
    char dir[1024];
    DIR *dp;
    struct dirent *de;
    int files = 0, events = 0, unparsed = 0, panics = 0;

    snprintf(dir, sizeof dir, "%s/exim", CORPUS_DIR);
    if ((dp = opendir(dir)) == NULL) {
        printf("SKIP: no corpus at %s\n", dir);
        return;
    }
    compile_all();
    while ((de = readdir(dp)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".log") != 0)
            continue;
        run_file(dir, de->d_name, &events, &unparsed, &panics);
        files++;
    }
    closedir(dp);
    free_all();
    printf("exim corpus: %d files, %d events (", files, events);
    for (int k = 1; k < EVENT_KIND_COUNT; k++)
        if (kinds[k])
            printf("%s%s %d", k > 1 ? ", " : "", event_kind_name((enum event_kind)k), kinds[k]);
    printf("), %d unparsed lines (%d paniclog entries), %d recipients not judged, %d "
           "disagreements\n",
           unparsed, panics, skipped_recipients, failures);
    fflush(stdout);
    ck_assert_int_gt(files, 0);
    ck_assert_int_gt(events, 1000);
    ck_assert_int_eq(unparsed, panics);
    ck_assert_int_eq(failures, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conformance_exim");
    TCase *tc = tcase_create("corpus");

    setenv("TZ", "UTC", 1);
    tcase_add_test(tc, test_corpus);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
