/*
 * rulecheck - the checks of "rejectlens rules test" (see rulecheck.h)
 */
#include "rulecheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* lowest - the lowest enum value set in a condition mask, 0 when none */
static int lowest(unsigned mask)
{
    for (int i = 1; i < 32; i++)
        if (mask & (1u << i))
            return i;
    return 0;
}

void example_input(const struct rule *r, const struct example *x, struct strbuf *tmpl,
                   char status[16], struct classify_input *in)
{
    struct prepared pr;

    memset(in, 0, sizeof *in);
    strbuf_reset(tmpl);
    classify_prepare(x->text, strlen(x->text), &pr, tmpl, NULL);
    memcpy(status, pr.status, sizeof pr.status);
    in->text = strbuf_str(tmpl);
    in->len = tmpl->len;
    in->reply_code = x->code ? x->code : pr.code;
    if (in->reply_code == 0 && r->ncodes > 0 && r->codes[0][1] != 'x' && r->codes[0][2] != 'x')
        in->reply_code = atoi(r->codes[0]);
    if (x->status != NULL)
        snprintf(status, 16, "%s", x->status);
    else if (status[0] == '\0' && r->nstatuses > 0 && r->statuses[0].cls >= 0 &&
             r->statuses[0].sub >= 0)
        /* parts are at most three digits (rules.c), so this fits */
        snprintf(status, 16, "%d.%d.%d", (r->statuses[0].cls ? r->statuses[0].cls : 5) % 10,
                 r->statuses[0].sub % 1000,
                 (r->statuses[0].lo >= 0 ? r->statuses[0].lo : 0) % 1000);
    in->status = status[0] ? status : NULL;
    in->stage = x->stage ? x->stage : pr.stage ? pr.stage : (enum smtp_stage)lowest(r->stages);
    in->kind = x->kind ? x->kind : (enum event_kind)lowest(r->kinds);
    in->direction = x->direction ? x->direction : (enum event_direction)lowest(r->directions);
    in->mta = x->mta ? x->mta : r->nmtas > 0 ? r->mtas[0] : NULL;
}

struct reporter {
    void (*fn)(void *, const char *);
    void *arg;
    size_t failures;
};

static void say(struct reporter *rp, const struct rule_origin *o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(struct reporter *rp, const struct rule_origin *o, const char *fmt, ...)
{
    char msg[2048];
    int n = snprintf(msg, sizeof msg, "%s:%d: ", o->file, o->line);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    rp->fn(rp->arg, msg);
    rp->failures++;
}

size_t rules_check(struct ruleset *rs, int strict, void (*report)(void *arg, const char *msg),
                   void *arg)
{
    struct reporter rp = {report, arg, 0};
    struct strbuf tmpl = STRBUF_INIT;
    struct classify_input in;
    struct classification c;
    struct evidence ev;
    char status[16];
    size_t pattern;

    for (size_t i = 0; i < rs->ncategories; i++) {
        const struct category *cat = rs->categories[i];
        if (cat->advice[ADVICE_GENERAL] == NULL)
            say(&rp, &cat->origin, "category '%s' has no advice", cat->id);
    }
    for (size_t i = 0; i < rs->nrules; i++) {
        const struct rule *r = rs->rules[i];
        if (!r->enabled)
            continue;
        if (strict && r->npatterns > 0 && r->nexamples == 0)
            say(&rp, &r->origin, "rule '%s' has patterns but no example", r->id);
        for (size_t e = 0; e < r->nexamples; e++) {
            const struct example *x = &r->examples[e];
            example_input(r, x, &tmpl, status, &in);
            classify(rs, &in, &c);
            if (c.rule == r)
                continue;
            if (c.rule == NULL)
                say(&rp, &x->origin,
                    "example of rule '%s' (%s) is not classified by any rule (template: %s)", r->id,
                    r->category_id, in.text);
            else
                say(&rp, &x->origin,
                    "example of rule '%s' (%s) is classified by rule '%s' (%s, %s:%d) first "
                    "(template: %s)",
                    r->id, r->category_id, c.rule->id, c.category_id, c.rule->origin.file,
                    c.rule->origin.line, in.text);
        }
        for (size_t e = 0; e < r->ncounter_examples; e++) {
            const struct example *x = &r->counter_examples[e];
            example_input(r, x, &tmpl, status, &in);
            classify_evidence(&in, &ev);
            if (rule_matches(rs, r, &in, &ev, &pattern))
                say(&rp, &x->origin, "counter-example of rule '%s' matches it (template: %s)",
                    r->id, in.text);
        }
    }
    strbuf_free(&tmpl);
    return rp.failures;
}
