/*
 * test_filter_limit - a rule set whose literals need more anchors than the filter of a rule set
 * has numbers for. This suite's own copy of match.c has 8 (RX_MAX_ANCHORS, set in
 * CMakeLists.txt), where the real one has 65,535: a rule beyond them is tried on every text,
 * and the answers stay those of trying every rule in order.
 */
#include "classify.h"
#include "match.h"
#include "rules.h"
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#if !defined(RX_MAX_ANCHORS) || RX_MAX_ANCHORS >= 20
#error "build with a handful of anchors (tests/CMakeLists.txt)"
#endif

#define CAT "categories:\n  - id: c\n    advice: do it\n"
enum { RULES = 20 };

/* rule i's literal: without examples, its anchor is its first three bytes, distinct per rule */
static void literal(char *buf, size_t n, int i)
{
    snprintf(buf, n, "%c%c-rule", 'a' + i / 10, '0' + i % 10);
}

START_TEST(test_out_of_anchors)
{
    struct strbuf y = STRBUF_INIT;
    struct ruleset *rs;
    struct diag d = {""};
    struct classification c;
    char lit[16], text[64];
    const uint64_t *cand;
    int always = 0;

    strbuf_printf(&y, CAT "rules:\n");
    for (int i = 0; i < RULES; i++) {
        literal(lit, sizeof lit, i);
        strbuf_printf(&y, "  - id: r%02d\n    category: c\n    pattern: '%s\\b'\n", i, lit);
    }
    ck_assert_msg(ruleset_load_string("t.yaml", strbuf_str(&y), &rs, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(rs->nrules, RULES);

    /* a text with none of the literals: the rules past the anchors are the candidates */
    rx_scratch_subject(rs->scratch, "nothing here", 12);
    cand = rx_filter_run(rs->filter, rs->scratch);
    for (int i = 0; i < RULES; i++)
        always += (int)(cand[0] >> i & 1);
    ck_assert_int_eq(always, RULES - (int)RX_MAX_ANCHORS);

    /* each rule's own text finds that rule, anchored or not; a near miss finds none */
    for (int i = 0; i < RULES; i++) {
        struct classify_input in = {text, 0, 550, NULL, 0, 0, 0, NULL};
        literal(lit, sizeof lit, i);
        in.len = (size_t)snprintf(text, sizeof text, "550 5.7.1 %s here", lit);
        classify(rs, &in, &c);
        ck_assert_msg(c.rule != NULL, "%s: unclassified", text);
        char want[8];
        snprintf(want, sizeof want, "r%02d", i);
        ck_assert_str_eq(c.rule->id, want);
        in.len = (size_t)snprintf(text, sizeof text, "550 5.7.1 %sx here", lit);
        classify(rs, &in, &c);
        ck_assert_ptr_null(c.rule);
    }
    /* two rules' texts in one: the first in order wins, whichever has the anchor */
    for (int i = 0; i + 1 < RULES; i++) {
        char later[16];
        struct classify_input in = {text, 0, 550, NULL, 0, 0, 0, NULL};
        literal(lit, sizeof lit, i);
        literal(later, sizeof later, RULES - 1 - i / 2);
        in.len = (size_t)snprintf(text, sizeof text, "%s then %s", later, lit);
        classify(rs, &in, &c);
        char want[8];
        snprintf(want, sizeof want, "r%02d", i < RULES - 1 - i / 2 ? i : RULES - 1 - i / 2);
        ck_assert_str_eq(c.rule->id, want);
    }
    ruleset_free(rs);
    strbuf_free(&y);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("filter_limit");
    TCase *tc = tcase_create("anchors");

    tcase_add_test(tc, test_out_of_anchors);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
