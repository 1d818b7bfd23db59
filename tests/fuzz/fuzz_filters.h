/*
 * fuzz_filters - the check that classification's shortcuts change no answer (fuzz_classify,
 * fuzz_rules)
 *
 * classify() tries only the rules its rule set's filter keeps, and each pattern only when the
 * text holds one of its prefilter's literals (match.h). Neither may change an answer: the rule
 * classify found is the first that matches when every rule is tried in order, and every
 * pattern's prefiltered answer is PCRE2's own.
 */
#ifndef REJECTLENS_FUZZ_FILTERS_H
#define REJECTLENS_FUZZ_FILTERS_H

#include "classify.h"

/* fuzz_check_filters - c is classify(rs, in); aborts (fuzz_fail) when a shortcut changed it */
void fuzz_check_filters(struct ruleset *rs, const struct classify_input *in,
                        const struct classification *c);

#endif
