/*
 * classify - one reply template and its context into a category, deterministically
 *
 * The evidence: the template (a masked reply text, see mask.h), the reply code and enhanced
 * status the log gave, the SMTP stage, the event's kind and direction and the MTA. A code,
 * status or stage the log did not give is read from the text where it says so ("550 5.1.1",
 * "(in reply to MAIL FROM command)", "after RCPT TO:"), so that classifying a stored template
 * again gives the same answer.
 *
 * The rules are tried in order and the first whose conditions hold and one of whose patterns
 * matches wins. The default rules end with the fallbacks by enhanced status and by reply code,
 * so "specific text, then status, then code" is an order of rules, not code here. Nothing
 * matching: the category is "unclassified" and the rule NULL.
 */
#ifndef REJECTLENS_CLASSIFY_H
#define REJECTLENS_CLASSIFY_H

#include <stddef.h>

#include "event.h"
#include "mask.h"
#include "rules.h"
#include "strbuf.h"

#define CATEGORY_UNCLASSIFIED "unclassified"

struct classify_input {
    const char *text; /* the template */
    size_t len;
    int reply_code;     /* 0: none */
    const char *status; /* NULL or "": none */
    enum smtp_stage stage;
    enum event_kind kind;
    enum event_direction direction;
    const char *mta; /* NULL: unknown */
};

/* the evidence as classify saw it */
struct evidence {
    int code;
    char status[16];   /* "" when none */
    int cls, sub, det; /* the status's numbers; cls 0 when none */
    enum smtp_stage stage;
};

struct classification {
    const char *category_id;         /* never NULL */
    const struct category *category; /* NULL when the id is not defined (unclassified) */
    const struct rule *rule;         /* NULL when nothing matched */
    size_t pattern;                  /* which pattern of the rule matched */
    struct evidence ev;
};

/* classify_evidence - what classify reads from an input: code, status, stage */
void classify_evidence(const struct classify_input *in, struct evidence *ev);

/* classify - the first rule of rs that matches in; never fails */
void classify(struct ruleset *rs, const struct classify_input *in, struct classification *out);

/*
 * rule_matches - 1 when rule r matches in (with ev from classify_evidence), *pattern set to
 * the pattern that matched; disabled rules never match
 */
int rule_matches(struct ruleset *rs, const struct rule *r, const struct classify_input *in,
                 const struct evidence *ev, size_t *pattern);

/* what classify_prepare reads from a raw reply */
struct prepared {
    int code;              /* 0: none */
    char status[16];       /* "": none */
    enum smtp_stage stage; /* from a Postfix or Exim wrapper; STAGE_NONE when none */
};

/*
 * classify_prepare - a raw reply as an admin pastes it into its code, status, stage and
 * template (appended to tmpl), the way the ingesters cut log lines: a Postfix wrapper "host H
 * said: REPLY (in reply to X command)" and an Exim one "SMTP error from remote mail server
 * after X: host H [ip]: REPLY" give the stage and are taken off, continuation prefixes of a
 * multi-line reply ("550-5.7.1") are joined. values gets what masking replaced (may be NULL).
 */
void classify_prepare(const char *raw, size_t n, struct prepared *out, struct strbuf *tmpl,
                      struct mask_values *values);

#endif
