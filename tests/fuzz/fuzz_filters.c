/*
 * fuzz_filters - classification's shortcuts against the long way (see fuzz_filters.h)
 */
#include "fuzz_filters.h"
#include "fuzz.h"
#include "match.h"
#include "rules.h"

void fuzz_check_filters(struct ruleset *rs, const struct classify_input *in,
                        const struct classification *c)
{
    const struct rule *first = NULL;
    size_t pattern;

    /* every rule in order, without the rule set's filter */
    for (size_t i = 0; i < rs->nrules && first == NULL; i++)
        if (rule_matches(rs, rs->rules[i], in, &c->ev, &pattern) == 1)
            first = rs->rules[i];
    FUZZ_CHECK(first == c->rule);

    /* every pattern: the prefilter's answer is PCRE2's (a give-up at the backtracking limit
     * counts as no match on both ways, as in classify) */
    rx_scratch_subject(rs->scratch, in->text, in->len);
    for (size_t i = 0; i < rs->nrules; i++) {
        const struct rule *r = rs->rules[i];
        for (size_t k = 0; k < r->npatterns; k++) {
            int filtered = rx_match_subject(r->rx[k], rs->scratch) == 1;
            int direct = rx_match(r->rx[k], rs->scratch, in->text, in->len) == 1;
            FUZZ_CHECK(filtered == direct);
        }
    }
}
