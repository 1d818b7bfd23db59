/*
 * test_conformance_postfix - every line of the real-world Postfix corpus (../shared/corpus)
 *
 * An independent oracle, written with POSIX regular expressions rather than the parser's own
 * scanning, says which lines must be events and with which kind, stage, code, status, sender
 * and recipient; the parser must agree line by line. Lines it cannot read are counted, listed
 * on stdout, and must be exactly the lines without a syslog header. Skipped when the corpus
 * folder is absent.
 */
#include "event.h"
#include "parser.h"
#include "syslog.h"
#include "testutil.h"

#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct parser_ops postfix_parser;

#define MAX_EVENTS 8

struct got {
    enum event_kind kind;
    enum smtp_stage stage;
    int code;
    char status[16], sender[256], recipient[256];
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
    enum event_kind kind;
    enum smtp_stage stage;
    int code;
    char status[16], sender[256], recipient[256];
    int sender_known;
};

static regex_t re_action, re_code, re_status, re_from, re_to, re_delivery, re_dsn, re_said,
    re_expire, re_qmgr_from, re_header, re_inreply, re_verdict, re_ps_reject;

static void compile(regex_t *re, const char *pattern)
{
    int rc = regcomp(re, pattern, REG_EXTENDED);

    ck_assert_msg(rc == 0, "bad oracle pattern %s", pattern);
}

static void compile_all(void)
{
    compile(&re_action, "^(NOQUEUE: |[0-9A-Za-z]+: |)(reject|reject_warning|milter-reject|"
                        "proxy-reject|discard|hold): ([A-Za-z-]+)");
    compile(&re_code, ": ([245][0-9][0-9])[ -]");
    compile(&re_status, "(: |[0-9] )([245]\\.[0-9]{1,3}\\.[0-9]{1,3})( |$)");
    compile(&re_from, "from=<([^>]*)>");
    compile(&re_to, "to=<([^>]*)>");
    compile(&re_delivery, "^([0-9A-Za-z]+): to=<?([^>,]*)>?, .*status=([a-z-]+)");
    compile(&re_dsn, "dsn=([0-9]\\.[0-9]+\\.[0-9]+)");
    compile(&re_said, "(said: |status=sent \\()([245][0-9][0-9])[ -]");
    compile(&re_expire, "^([0-9A-Za-z]+): from=<([^>]*)>, status=(force-)?expired");
    compile(&re_qmgr_from, "^([0-9A-Za-z]+): from=<([^>]*)>, size=");
    compile(&re_header, "^([A-Z][a-z]{2} [ 0-9]?[0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}|"
                        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[-+Z]) ");
    compile(&re_inreply,
            "(in reply to|while sending) (RCPT TO|MAIL FROM|end of DATA|DATA|EHLO|HELO)");
    compile(&re_verdict, "^(PREGREET|HANGUP|DNSBL rank|COMMAND (TIME|COUNT|LENGTH) LIMIT|"
                         "NON-SMTP COMMAND|BARE NEWLINE) .*\\[([^]]+)\\]:([0-9]+)");
    compile(&re_ps_reject, "^NOQUEUE: reject: [A-Z]+ from \\[([^]]+)\\]:([0-9]+)");
}

static void group(const char *s, const regmatch_t *m, int i, char *out, size_t cap)
{
    int n = m[i].rm_so < 0 ? 0 : (int)(m[i].rm_eo - m[i].rm_so);

    snprintf(out, cap, "%.*s", n, m[i].rm_so < 0 ? "" : s + m[i].rm_so);
}

static enum smtp_stage stage_word(const char *w)
{
    static const struct {
        const char *w;
        enum smtp_stage s;
    } t[] = {{"CONNECT", STAGE_CONNECT}, {"HELO", STAGE_HELO},      {"EHLO", STAGE_HELO},
             {"MAIL", STAGE_MAIL},       {"RCPT", STAGE_RCPT},      {"VRFY", STAGE_RCPT},
             {"DATA", STAGE_DATA},       {"BDAT", STAGE_DATA},      {"END-OF-MESSAGE", STAGE_EOM},
             {"header", STAGE_HEADER},   {"body", STAGE_BODY},      {"RCPT TO", STAGE_RCPT},
             {"MAIL FROM", STAGE_MAIL},  {"end of DATA", STAGE_EOM}};

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].w, w) == 0)
            return t[i].s;
    return STAGE_NONE;
}

/* known senders of queue ids in this file (qmgr "from=, size="), for the correlation check */
#define MAX_QIDS 512
static char qids[MAX_QIDS][32], qid_senders[MAX_QIDS][256];
static int nqids;

static const char *sender_of(const char *qid)
{
    for (int i = nqids; i-- > 0;)
        if (strcmp(qids[i], qid) == 0)
            return qid_senders[i];
    return NULL;
}

/* oracle - what the message part of a line (daemon known) must yield */
static void oracle(const char *daemon, const char *msg, struct expect *e)
{
    regmatch_t m[6];
    char word[64], qid[64];

    memset(e, 0, sizeof *e);
    if (regexec(&re_qmgr_from, msg, 6, m, 0) == 0 && strcmp(daemon, "qmgr") == 0 &&
        nqids < MAX_QIDS) {
        group(msg, m, 1, qids[nqids], sizeof qids[nqids]);
        group(msg, m, 2, qid_senders[nqids], sizeof qid_senders[nqids]);
        nqids++;
    }
    if (regexec(&re_action, msg, 6, m, 0) == 0 &&
        (strcmp(daemon, "smtpd") == 0 || strcmp(daemon, "cleanup") == 0 ||
         strcmp(daemon, "postscreen") == 0)) {
        e->is_event = 1;
        group(msg, m, 2, word, sizeof word);
        e->kind = strcmp(word, "reject_warning") == 0 ? EVENT_REJECT_WARNING
                  : strcmp(word, "discard") == 0      ? EVENT_DISCARD
                  : strcmp(word, "hold") == 0         ? EVENT_HOLD
                                                      : EVENT_REJECT;
        group(msg, m, 3, word, sizeof word);
        e->stage = stage_word(word);
        if (regexec(&re_code, msg, 6, m, 0) == 0) {
            group(msg, m, 1, word, sizeof word);
            e->code = atoi(word);
        }
        if (regexec(&re_status, msg, 6, m, 0) == 0)
            group(msg, m, 2, e->status, sizeof e->status);
        if (regexec(&re_from, msg, 6, m, 0) == 0) {
            group(msg, m, 1, e->sender, sizeof e->sender);
            e->sender_known = 1;
        }
        if (regexec(&re_to, msg, 6, m, 0) == 0)
            group(msg, m, 1, e->recipient, sizeof e->recipient);
        return;
    }
    if (regexec(&re_expire, msg, 6, m, 0) == 0 && strcmp(daemon, "qmgr") == 0) {
        e->is_event = 1;
        e->kind = EVENT_EXPIRE;
        group(msg, m, 2, e->sender, sizeof e->sender);
        e->sender_known = 1;
        return;
    }
    if (regexec(&re_delivery, msg, 6, m, 0) == 0 &&
        strstr("smtp lmtp local virtual pipe error retry discard qmgr", daemon) != NULL) {
        group(msg, m, 3, word, sizeof word);
        group(msg, m, 1, qid, sizeof qid);
        e->is_event = 1;
        if (strcmp(word, "sent") == 0 || strncmp(word, "deliverable", 11) == 0)
            e->kind = strcmp(daemon, "discard") == 0 ? EVENT_DISCARD : EVENT_DELIVER;
        else if (strcmp(word, "bounced") == 0 || strncmp(word, "undeliverable", 13) == 0)
            e->kind = EVENT_BOUNCE;
        else if (strcmp(word, "deferred") == 0)
            e->kind = EVENT_DEFER;
        else
            e->kind = EVENT_KIND_NONE;
        group(msg, m, 2, e->recipient, sizeof e->recipient);
        if (regexec(&re_dsn, msg, 6, m, 0) == 0)
            group(msg, m, 1, e->status, sizeof e->status);
        if (regexec(&re_said, msg, 6, m, 0) == 0) {
            group(msg, m, 2, word, sizeof word);
            e->code = atoi(word);
        }
        if (regexec(&re_inreply, msg, 6, m, 0) == 0) {
            group(msg, m, 2, word, sizeof word);
            e->stage = stage_word(word);
        }
        const char *snd = sender_of(qid);
        if (snd != NULL) {
            snprintf(e->sender, sizeof e->sender, "%s", snd);
            e->sender_known = 1;
        }
    }
}

/* ------------------------------------------------------------ the run */

static int failures;

static void check_line(const char *file, int lineno, const char *line, const struct expect *e)
{
    const struct got *g = &got[0];

    if (!e->is_event) {
        if (ngot != 0) {
            printf("%s:%d: not an event, got %d: %s\n", file, lineno, ngot, line);
            failures++;
        }
        return;
    }
    if (ngot != 1) {
        printf("%s:%d: want 1 event, got %d: %s\n", file, lineno, ngot, line);
        failures++;
        return;
    }
    if (g->kind != e->kind || g->stage != e->stage || g->code != e->code ||
        strcmp(g->status, e->status) != 0 || strcmp(g->recipient, e->recipient) != 0 ||
        g->sender_known != e->sender_known || strcmp(g->sender, e->sender) != 0) {
        printf("%s:%d: want %s/%s/%d/%s from <%s>%s to <%s>, got %s/%s/%d/%s from <%s>%s to "
               "<%s>\n  %s\n",
               file, lineno, event_kind_name(e->kind), smtp_stage_name(e->stage), e->code,
               e->status, e->sender, e->sender_known ? "" : "?", e->recipient,
               event_kind_name(g->kind), smtp_stage_name(g->stage), g->code, g->status, g->sender,
               g->sender_known ? "" : "?", g->recipient, line);
        failures++;
    }
}

/* daemon_of_tag - "postfix-in/submission/smtpd" -> "smtpd" */
static const char *daemon_of_tag(const struct syslog_header *h, char *buf, size_t cap)
{
    size_t i = h->tag_len;

    while (i > 0 && h->tag[i - 1] != '/')
        i--;
    snprintf(buf, cap, "%.*s", (int)(h->tag_len - i), h->tag + i);
    return buf;
}

static void run_file(const char *dir, const char *name, int *events, int *unparsed)
{
    char path[1024], daemon[64] = "smtpd", line[70000], full[70100];
    FILE *f;
    void *st = postfix_parser.create();
    struct parse_ctx ctx;
    int lineno = 0, verdict_sessions = 0, connection_events = 0;
    char sessions[256][80];
    int nsessions = 0;

    memset(&ctx, 0, sizeof ctx);
    ctx.sink.emit = capture;
    tz_cache_init(&ctx.tz);
    ctx.years.ref_s = days_from_civil(2026, 11, 30) * 86400;
    nqids = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof line, f) != NULL) {
        size_t n = strlen(line);
        struct syslog_header h;
        struct log_line ln;
        struct expect e;
        regmatch_t m[6];
        enum line_result r;

        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (strncmp(line, "# program/test-group: ", 22) == 0) {
            snprintf(daemon, sizeof daemon, "%.60s", line + 22);
            continue;
        }
        if (line[0] == '#' || n == 0)
            continue; /* the corpus's own provenance comments */
        /* the grok file holds message parts: give them the header of their daemon */
        if (strstr(name, "grok") != NULL && regexec(&re_header, line, 0, NULL, 0) != 0)
            snprintf(full, sizeof full, "Jan  1 00:00:00 host postfix/%s[1]: %s", daemon, line);
        else
            snprintf(full, sizeof full, "%.69990s", line);

        memset(&e, 0, sizeof e);
        if (syslog_parse_header(full, strlen(full), &h) == 0) {
            char dbuf[64], msg[70000];
            snprintf(msg, sizeof msg, "%.*s", (int)h.msg_len, h.msg);
            oracle(daemon_of_tag(&h, dbuf, sizeof dbuf), msg, &e);
            if (regexec(&re_verdict, msg, 6, m, 0) == 0 && nsessions < 256) {
                char key[80];
                group(msg, m, 3, key, sizeof key);
                strncat(key, ":", sizeof key - strlen(key) - 1);
                size_t kl = strlen(key);
                snprintf(key + kl, sizeof key - kl, "%.*s", (int)(m[4].rm_eo - m[4].rm_so),
                         msg + m[4].rm_so);
                int seen = 0;
                for (int i = 0; i < nsessions; i++)
                    seen |= strcmp(sessions[i], key) == 0;
                if (!seen)
                    snprintf(sessions[nsessions++], sizeof sessions[0], "%s", key);
            }
            if (regexec(&re_ps_reject, msg, 6, m, 0) == 0 && strcmp(dbuf, "postscreen") == 0) {
                char key[80];
                snprintf(key, sizeof key, "%.*s:%.*s", (int)(m[1].rm_eo - m[1].rm_so),
                         msg + m[1].rm_so, (int)(m[2].rm_eo - m[2].rm_so), msg + m[2].rm_so);
                for (int i = 0; i < nsessions; i++)
                    if (strcmp(sessions[i], key) == 0)
                        sessions[i][0] = '\0'; /* the reject stands for the session */
            }
        }
        memset(&ln, 0, sizeof ln);
        ln.text = full;
        ln.len = strlen(full);
        ngot = 0;
        ctx.why = NULL;
        r = postfix_parser.parse_line(st, &ctx, &ln);
        if (r == LINE_UNPARSED) {
            (*unparsed)++;
            printf("unparsed %s:%d (%s): %.120s\n", name, lineno, ctx.why ? ctx.why : "?", full);
            if (regexec(&re_header, full, 0, NULL, 0) == 0) {
                printf("%s:%d: a line with a syslog header must not be unparsed\n", name, lineno);
                failures++;
            }
        }
        /* events of postscreen sessions ended by this line are connection-level rejects */
        if (!e.is_event && ngot > 0 && got[0].stage == STAGE_CONNECT && got[0].code == 0) {
            connection_events += ngot;
            ngot = 0;
        }
        check_line(name, lineno, full, &e);
        *events += e.is_event;
    }
    fclose(f);
    ngot = 0;
    postfix_parser.flush(st, &ctx);
    connection_events += ngot;
    for (int i = 0; i < nsessions; i++)
        verdict_sessions += sessions[i][0] != '\0';
    if (connection_events != verdict_sessions) {
        printf("%s: %d postscreen sessions with a verdict and no reject, %d connection events\n",
               name, verdict_sessions, connection_events);
        failures++;
    }
    *events += connection_events;
    postfix_parser.destroy(st);
}

START_TEST(test_corpus)
{
    char dir[1024];
    DIR *dp;
    struct dirent *de;
    int files = 0, events = 0, unparsed = 0;

    snprintf(dir, sizeof dir, "%s/postfix", CORPUS_DIR);
    if ((dp = opendir(dir)) == NULL) {
        printf("SKIP: no corpus at %s\n", dir);
        return;
    }
    compile_all();
    while ((de = readdir(dp)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".log") != 0)
            continue;
        run_file(dir, de->d_name, &events, &unparsed);
        files++;
    }
    closedir(dp);
    fflush(stdout);
    printf("postfix corpus: %d files, %d events, %d unparsed lines, %d disagreements\n", files,
           events, unparsed, failures);
    fflush(stdout);
    ck_assert_int_gt(files, 0);
    ck_assert_int_gt(events, 100);
    ck_assert_int_eq(failures, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conformance_postfix");
    TCase *tc = tcase_create("corpus");

    setenv("TZ", "UTC", 1);
    tcase_add_test(tc, test_corpus);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
