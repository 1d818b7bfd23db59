/*
 * classify - one reply template and its context into a category (see classify.h)
 *
 * DESCRIPTION
 *	First the evidence: the code, status and stage the log gave, or else what the text
 *	says. A generic X.0.0 status from the log loses to a specific status of the same class
 *	in the text (Postfix writes dsn=5.0.0 for "550 5.7.1 ..." from some servers). Then the
 *	rules in order: conditions first (cheap integer tests), patterns last, each behind its
 *	literal prefilter (match.h), the text lower-cased once for all of them.
 */
#include "classify.h"
#include "match.h"
#include "scan.h"
#include "smtp_reply.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* status_at - an enhanced status at p (not glued to other digits or dots): its length or 0 */
static size_t status_at(const char *p, size_t n)
{
    size_t i;

    if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
        return 0;
    i = 2;
    for (int part = 0; part < 2; part++) {
        size_t d = i;
        while (i < n && i - d < 4 && isdigit((unsigned char)p[i]))
            i++;
        if (i == d || i - d > 3)
            return 0;
        if (part == 0) {
            if (i >= n || p[i] != '.')
                return 0;
            i++;
        }
    }
    if (i < n && (isalnum((unsigned char)p[i]) ||
                  (p[i] == '.' && i + 1 < n && isdigit((unsigned char)p[i + 1]))))
        return 0;
    return i;
}

/* code_before - the reply code written just before a status ("550 5.1.1", "550-5.1.1",
 * "550: 5.2.2"), 0 when none */
static int code_before(const char *text, const char *st)
{
    const char *p = st;

    if (p - text >= 2 && p[-1] == ' ' && p[-2] == ':')
        p -= 2;
    else if (p - text >= 1 && (p[-1] == ' ' || p[-1] == '-'))
        p -= 1;
    else
        return 0;
    if (p - text < 3 || !isdigit((unsigned char)p[-3]) || !isdigit((unsigned char)p[-2]) ||
        !isdigit((unsigned char)p[-1]) || (p[-3] != '4' && p[-3] != '5' && p[-3] != '2'))
        return 0;
    if (p - text > 3 && isalnum((unsigned char)p[-4]))
        return 0;
    return (p[-3] - '0') * 100 + (p[-2] - '0') * 10 + (p[-1] - '0');
}

/* text_status - the first enhanced status in the text, with the code written before it */
static int text_status(const char *t, size_t n, char out[16], int *code)
{
    for (size_t i = 0; i + 5 <= n; i++) {
        size_t m;
        /* status_at's own first test, made here first: most bytes start no status */
        if ((t[i] != '2' && t[i] != '4' && t[i] != '5') || t[i + 1] != '.')
            continue;
        if (i > 0 && (isalnum((unsigned char)t[i - 1]) || t[i - 1] == '.'))
            continue;
        if ((m = status_at(t + i, n - i)) > 0 && m < 16) {
            memcpy(out, t + i, m);
            out[m] = '\0';
            *code = code_before(t, t + i);
            return 1;
        }
    }
    return 0;
}

/* after_stage - the command after " after " in Exim's and postscreen's words */
static enum smtp_stage after_stage(const char *p, size_t n)
{
    static const struct {
        const char *word;
        enum smtp_stage stage;
    } words[] = {
        {"RCPT TO", STAGE_RCPT},
        {"pipelined RCPT TO", STAGE_RCPT},
        {"RCPT", STAGE_RCPT},
        {"MAIL FROM", STAGE_MAIL},
        {"end of data", STAGE_EOM},
        {"pipelined end of data", STAGE_EOM},
        {"DATA", STAGE_DATA},
        {"sending data block", STAGE_EOM},
        {"initial connection", STAGE_CONNECT},
        {"CONNECT", STAGE_CONNECT},
        {"HELO", STAGE_HELO},
        {"EHLO", STAGE_HELO},
    };

    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (scan_prefix(p, n, words[i].word))
            return words[i].stage;
    return STAGE_NONE;
}

/* text_stage - the stage a diagnostic text names, STAGE_NONE when it names none */
static enum smtp_stage text_stage(const char *t, size_t n)
{
    const char *w;
    enum smtp_stage st;

    if ((w = scan_find(t, n, "in reply to ")) != NULL &&
        (st = smtp_stage_of_command(w + 12, n - (size_t)(w + 12 - t))) != STAGE_NONE)
        return st;
    if ((w = scan_find(t, n, "did not like our ")) != NULL &&
        (st = smtp_stage_of_command(w + 17, n - (size_t)(w + 17 - t))) != STAGE_NONE)
        return st;
    /* qmail's "does not like recipient", bounce generators that name the command */
    if (scan_find(t, n, "does not like recipient") != NULL || scan_find(t, n, "[RCPT_TO]") ||
        scan_find(t, n, "SMTP:RCPT ") != NULL ||
        scan_find(t, n, "recipients was rejected by a remote mail server") != NULL)
        return STAGE_RCPT;
    if (scan_find(t, n, "[MAIL_FROM]") != NULL)
        return STAGE_MAIL;
    if ((w = scan_find(t, n, " while sending ")) != NULL) {
        w += 15;
        if (scan_prefix(w, n - (size_t)(w - t), "message body") ||
            scan_prefix(w, n - (size_t)(w - t), "end of data"))
            return STAGE_EOM;
        if ((st = smtp_stage_of_command(w, n - (size_t)(w - t))) != STAGE_NONE)
            return st;
    }
    for (const char *p = t; (w = scan_find(p, n - (size_t)(p - t), " after ")) != NULL; p = w + 7)
        if ((st = after_stage(w + 7, n - (size_t)(w + 7 - t))) != STAGE_NONE)
            return st;
    if (scan_find(t, n, "initial server greeting") != NULL ||
        scan_find(t, n, "refused to talk to me") != NULL)
        return STAGE_CONNECT;
    if (scan_find(t, n, "EHLO handshake") != NULL || scan_find(t, n, "HELO handshake") != NULL)
        return STAGE_HELO;
    return STAGE_NONE;
}

static void split_status(struct evidence *ev)
{
    const char *p = ev->status;

    ev->cls = ev->sub = ev->det = 0;
    if (p[0] == '\0')
        return;
    ev->cls = p[0] - '0';
    ev->sub = atoi(p + 2);
    p = strchr(p + 2, '.');
    ev->det = p ? atoi(p + 1) : 0;
}

void classify_evidence(const struct classify_input *in, struct evidence *ev)
{
    char ts[16];
    int tcode = 0;
    int have_text = text_status(in->text, in->len, ts, &tcode);

    memset(ev, 0, sizeof *ev);
    if (in->status != NULL && smtp_status_valid(in->status, strlen(in->status)) &&
        strlen(in->status) < sizeof ev->status)
        snprintf(ev->status, sizeof ev->status, "%s", in->status);
    /* X.0.0 says nothing: a specific status of the same class in the text says more */
    if (have_text &&
        (ev->status[0] == '\0' || (strcmp(ev->status + 1, ".0.0") == 0 && ts[0] == ev->status[0])))
        snprintf(ev->status, sizeof ev->status, "%s", ts);
    split_status(ev);
    ev->code = in->reply_code;
    if (ev->code == 0) {
        struct smtp_reply r;
        smtp_reply_parse(in->text, in->len, &r);
        ev->code = r.code ? r.code : tcode;
    }
    ev->stage = in->stage != STAGE_NONE ? in->stage : text_stage(in->text, in->len);
}

static int code_matches(const char pat[4], int code)
{
    char c[4];

    if (code < 200 || code > 599)
        return 0;
    snprintf(c, sizeof c, "%d", code);
    for (int i = 0; i < 3; i++)
        if (pat[i] != 'x' && pat[i] != c[i])
            return 0;
    return 1;
}

static int status_matches(const struct status_cond *sc, const struct evidence *ev)
{
    if (sc->cls < 0 || ev->cls == 0)
        return sc->cls < 0 && ev->cls == 0;
    if (sc->cls == 0 ? (ev->cls != 4 && ev->cls != 5) : sc->cls != ev->cls)
        return 0;
    if (sc->sub >= 0 && sc->sub != ev->sub)
        return 0;
    return sc->lo < 0 || (ev->det >= sc->lo && ev->det <= sc->hi);
}

/* rule_try - rule_matches on the subject already given to rs->scratch (in->text) */
static int rule_try(struct ruleset *rs, const struct rule *r, const struct classify_input *in,
                    const struct evidence *ev, size_t *pattern)
{
    size_t i;

    if (!r->enabled)
        return 0;
    if ((r->kinds && !(r->kinds & (1u << in->kind))) ||
        (r->directions && !(r->directions & (1u << in->direction))) ||
        (r->stages && !(r->stages & (1u << ev->stage))))
        return 0;
    if (r->nmtas) {
        for (i = 0; i < r->nmtas; i++)
            if (in->mta != NULL && strcasecmp(in->mta, r->mtas[i]) == 0)
                break;
        if (i == r->nmtas)
            return 0;
    }
    if (r->ncodes) {
        for (i = 0; i < r->ncodes; i++)
            if (code_matches(r->codes[i], ev->code))
                break;
        if (i == r->ncodes)
            return 0;
    }
    if (r->nstatuses) {
        for (i = 0; i < r->nstatuses; i++)
            if (status_matches(&r->statuses[i], ev))
                break;
        if (i == r->nstatuses)
            return 0;
    }
    if (r->npatterns == 0) {
        *pattern = 0;
        return 1;
    }
    for (i = 0; i < r->npatterns; i++) {
        if (rx_match_subject(r->rx[i], rs->scratch) == 1) {
            *pattern = i;
            return 1;
        }
    }
    return 0;
}

int rule_matches(struct ruleset *rs, const struct rule *r, const struct classify_input *in,
                 const struct evidence *ev, size_t *pattern)
{
    rx_scratch_subject(rs->scratch, in->text, in->len);
    return rule_try(rs, r, in, ev, pattern);
}

void classify(struct ruleset *rs, const struct classify_input *in, struct classification *out)
{
    memset(out, 0, sizeof *out);
    classify_evidence(in, &out->ev);
    /* once per text: the lower-cased copy that the literal prefilters read, and the rules
     * that may match it (a rule left out has no pattern that can), tried in order */
    rx_scratch_subject(rs->scratch, in->text, in->len);
    const uint64_t *cand = rx_filter_run(rs->filter, rs->scratch);
    for (size_t w = 0; w * 64 < rs->nrules; w++) {
        for (uint64_t bits = cand[w]; bits != 0; bits &= bits - 1) {
            const struct rule *r = rs->rules[w * 64 + (size_t)__builtin_ctzll(bits)];
            if (rule_try(rs, r, in, &out->ev, &out->pattern)) {
                out->rule = r;
                out->category = r->category;
                out->category_id = r->category->id;
                return;
            }
        }
    }
    out->category_id = CATEGORY_UNCLASSIFIED;
    out->category = ruleset_category(rs, CATEGORY_UNCLASSIFIED);
}

/* exim_reply - after "SMTP error from remote mail server after ": the reply past the command
 * ("RCPT TO:<a@b>", "MAIL FROM:<a> SIZE=12") and the optional "host H [ip]: " */
static const char *exim_reply(const char *p, size_t n)
{
    int depth = 0;

    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] == '<')
            depth++;
        else if (p[i] == '>' && depth > 0)
            depth--;
        else if (depth == 0 && p[i] == ':' && p[i + 1] == ' ') {
            const char *r = p + i + 2, *w;
            size_t rl = n - i - 2;
            if (scan_prefix(r, rl, "host ") && (w = scan_find(r, rl, "]: ")) != NULL)
                r = w + 3;
            return r;
        }
    }
    return NULL;
}

/* unwrap - take a Postfix or Exim diagnostic wrapper off p[0..*n), noting the stage */
static const char *unwrap(const char *p, size_t *n, enum smtp_stage *stage)
{
    static const char exim[] = "SMTP error from remote mail server after ";
    const char *w, *r;
    size_t len = *n;

    if (scan_prefix(p, len, "host ") && (w = scan_find(p, len, " said: ")) != NULL) {
        r = w + 7;
        size_t rl = len - (size_t)(r - p);
        const char *ir = scan_rfind(r, rl, " (in reply to ");
        if (ir != NULL && scan_suffix(r, rl, " command)")) {
            *stage = smtp_stage_of_command(ir + 14, rl - (size_t)(ir + 14 - r));
            rl = (size_t)(ir - r);
        }
        *n = rl;
        return r;
    }
    if (scan_prefix(p, len, exim)) {
        const char *cmd = p + sizeof exim - 1;
        size_t cl = len - (sizeof exim - 1);
        if ((r = exim_reply(cmd, cl)) != NULL) {
            *stage = after_stage(cmd, cl);
            *n = len - (size_t)(r - p);
            return r;
        }
    }
    return p;
}

void classify_prepare(const char *raw, size_t n, struct prepared *out, struct strbuf *tmpl,
                      struct mask_values *values)
{
    struct smtp_reply r;
    char *joined;
    size_t len;

    memset(out, 0, sizeof *out);
    while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r'))
        n--;
    raw = unwrap(raw, &n, &out->stage);
    smtp_reply_parse(raw, n, &r);
    out->code = r.code;
    snprintf(out->status, sizeof out->status, "%s", r.status);
    joined = xmalloc(r.text_len + 1);
    len = smtp_reply_join(&r, joined);
    mask(joined, len, tmpl, values);
    free(joined);
}
