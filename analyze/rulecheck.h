/*
 * rulecheck - what "rejectlens rules test" checks: every example of a rule is classified by that
 * rule (and so into its category) when the whole rule set runs, no counter-example matches its
 * rule, and every category has advice
 *
 * An example is a raw reply as an admin would paste it into "rejectlens explain": its code and
 * status are read from its start. Fields an example does not give are taken from its rule's
 * conditions (the first stage, kind, direction and MTA listed; a concrete code or status), so
 * that a plain text example of a rule for "stage: mail" is tried as a reply to MAIL FROM.
 */
#ifndef REJECTLENS_RULECHECK_H
#define REJECTLENS_RULECHECK_H

#include <stddef.h>

#include "classify.h"
#include "rules.h"
#include "strbuf.h"

/*
 * example_input - the classify input of example x of rule r; the template goes into tmpl and
 * in->text points into it (valid until tmpl changes); status is storage for in->status
 */
void example_input(const struct rule *r, const struct example *x, struct strbuf *tmpl,
                   char status[16], struct classify_input *in);

/*
 * rules_check - report(arg, "file:line: what") for each failure; returns the number of
 * failures. With strict, an enabled rule with patterns but no example is a failure too.
 */
size_t rules_check(struct ruleset *rs, int strict, void (*report)(void *arg, const char *msg),
                   void *arg);

#endif
