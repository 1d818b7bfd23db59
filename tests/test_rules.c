/*
 * test_rules - the rules loader: every kind of bad input gives one error naming file:line and
 * no rule set; good input gives typed categories and rules; admin layers add and override
 */
#include "advice.h"
#include "classify.h"
#include "lru.h"
#include "match.h"
#include "rules.h"
#include "rules_default.h"
#include "testutil.h"
#include "ytree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT "categories:\n  - id: c\n    advice: do it\n"

static const struct {
    const char *yaml;
    const char *where; /* "t.yaml:N:" the error must start with */
    const char *what;  /* and contain */
} bad[] = {
    {"rules: [\n", "t.yaml:2:", "YAML syntax"},
    {"rules:\n  - id: a\n   category: c\n", "t.yaml:3:", "YAML syntax"},
    {"rulez: []\n", "t.yaml:1:", "unknown key 'rulez'"},
    {CAT "rules:\n  - id: r\n    category: c\n    patern: x\n",
     "t.yaml:7:", "unknown key 'patern'"},
    {CAT "    colour: red\n", "t.yaml:4:", "unknown key 'colour'"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern: a\n  - id: r\n    category: c\n"
         "    pattern: b\n",
     "t.yaml:8:", "duplicate rule id 'r' (first defined at t.yaml:5)"},
    {CAT "  - id: c\n    advice: again\n",
     "t.yaml:4:", "duplicate category id 'c' (first defined at t.yaml:2)"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern: 'a(b'\n",
     "t.yaml:7:", "pattern does not compile: offset 3: missing closing parenthesis"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern:\n      - ok\n      - '[z-a]'\n",
     "t.yaml:9:", "offset 3: range out of order"},
    {CAT "rules:\n  - id: r\n    category: nope\n    pattern: x\n",
     "t.yaml:5:", "rule 'r' names category 'nope', which no file defines"},
    {CAT "rules:\n  - id: r\n    pattern: x\n", "t.yaml:5:", "rule 'r' has no category"},
    {CAT "rules:\n  - category: c\n    pattern: x\n", "t.yaml:5:", "rule without an id"},
    {"categories:\n  - title: x\n", "t.yaml:2:", "category without an id"},
    {CAT "rules:\n  - id: r\n    category: c\n",
     "t.yaml:5:", "rule 'r' has neither a pattern nor a condition"},
    {CAT "rules:\n  - id: r\n    category: c\n    code: 55\n", "t.yaml:7:", "code '55'"},
    {CAT "rules:\n  - id: r\n    category: c\n    code: [550, 5x0]\n", "t.yaml:7:", "code '5x0'"},
    {CAT "rules:\n  - id: r\n    category: c\n    status: 5.x.1\n", "t.yaml:7:", "status '5.x.1'"},
    {CAT "rules:\n  - id: r\n    category: c\n    status: 5.7.9-3\n",
     "t.yaml:7:", "status '5.7.9-3'"},
    {CAT "rules:\n  - id: r\n    category: c\n    stage: rcp\n",
     "t.yaml:7:", "stage: unknown value 'rcp'"},
    {CAT "rules:\n  - id: r\n    category: c\n    kind: [reject, bonce]\n",
     "t.yaml:7:", "kind: unknown value 'bonce'"},
    {CAT "rules:\n  - id: r\n    category: c\n    direction: sideways\n",
     "t.yaml:7:", "direction: unknown value 'sideways'"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern: {a: b}\n",
     "t.yaml:7:", "pattern must be a text or a list, not a mapping"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern: x\n    enabled: maybe\n",
     "t.yaml:8:", "enabled must be true or false"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern: x\n    examples: text\n",
     "t.yaml:8:", "examples must be a list"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern: x\n    examples:\n      - code: 550\n",
     "t.yaml:9:", "needs a text"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern: x\n    examples:\n      - text: t\n"
         "        status: X.1.1\n",
     "t.yaml:10:", "one status"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern: x\n    pattern: y\n",
     "t.yaml:8:", "key 'pattern' given twice (first on line 7)"},
    {CAT "rules:\n  - id: 'r r'\n    category: c\n    pattern: x\n", "t.yaml:5:", "rule id 'r r'"},
    {"categories:\n  - id: c\n    who: [end_user, santa]\n",
     "t.yaml:3:", "who: unknown value 'santa'"},
    {"categories:\n  - id: c\n    severity: dire\n", "t.yaml:3:", "severity: unknown value 'dire'"},
    {"categories:\n  - id: c\n    hardness: medium\n",
     "t.yaml:3:", "hardness: unknown value 'medium'"},
    {"categories:\n  - id: c\n    advice: {general: a, smtp: b}\n",
     "t.yaml:3:", "unknown key 'smtp'"},
    {"categories: c\n", "t.yaml:1:", "categories must be a list"},
    {"version: 2\n", "t.yaml:1:", "version 2"},
    {"a: &x 1\nb: *x\n", "t.yaml:2:", "aliases"},
    {"rules: []\n---\nrules: []\n", "t.yaml:2:", "more than one YAML document"},
    {"rules: [[[[[[[[[[[[[[1]]]]]]]]]]]]]]\n", "t.yaml:1:", "nested deeper than"},
    {"- 1\n- 2\n", "t.yaml:1:", "the file must be a mapping"},
    {CAT "rules:\n  - id: r\n    category: c\n    pattern: ''\n", "t.yaml:7:", "pattern is empty"},
    /* found by fuzz_rules, 2026-11-30: the id was quoted with its newline, a two-line message */
    {"rules:\n- id: '\n\n'", "t.yaml:2:", "rule id '\\x0a': use letters"},
};

START_TEST(test_bad_input)
{
    struct ruleset *rs = (struct ruleset *)0x1; /* must stay untouched */
    struct diag d = {""};

    ck_assert_int_eq(ruleset_load_string("t.yaml", bad[_i].yaml, &rs, &d), -1);
    ck_assert_ptr_eq(rs, (struct ruleset *)0x1);
    ck_assert_msg(strncmp(d.msg, bad[_i].where, strlen(bad[_i].where)) == 0,
                  "case %d: '%s' does not start with '%s'", _i, d.msg, bad[_i].where);
    ck_assert_msg(strstr(d.msg, bad[_i].what) != NULL, "case %d: '%s' lacks '%s'", _i, d.msg,
                  bad[_i].what);
}
END_TEST

/* same_tree - a and b have the same types, lines, texts and items, all the way down; the
 * first difference is reported with where it is */
static void same_tree(const char *file, const struct ynode *a, const struct ynode *b)
{
    ck_assert_msg(a->type == b->type && a->line == b->line && a->len == b->len && a->n == b->n &&
                      (a->str == NULL) == (b->str == NULL) &&
                      (a->str == NULL || memcmp(a->str, b->str, a->len + 1) == 0),
                  "%s:%d: the built tree differs from the parsed one (%s, line %d)", file, a->line,
                  b->str ? b->str : "-", b->line);
    for (size_t i = 0; i < a->n; i++)
        same_tree(file, a->kids[i], b->kids[i]);
}

/* count_nodes - the nodes of y's subtree */
static size_t count_nodes(const struct ynode *y)
{
    size_t n = 1;

    for (size_t i = 0; i < y->n; i++)
        n += count_nodes(y->kids[i]);
    return n;
}

/* the built-in files' trees, made at build time, are what parsing their texts gives */
START_TEST(test_builtin_trees)
{
    size_t nodes = 0;

    ck_assert_uint_gt(rules_default_count, 5);
    for (size_t i = 0; i < rules_default_count; i++) {
        const struct rules_source *src = &rules_default[i];
        struct diag d = {""};
        struct ytree_ctx c = {src->name, &d};
        struct ynode *parsed = NULL;

        ck_assert_ptr_nonnull(src->tree);
        ck_assert_msg(src->hash == lru_hash(src->text, src->len), "%s: hash", src->name);
        ck_assert_msg(ytree_parse(&c, src->text, src->len, &parsed) == 0, "%s", d.msg);
        ck_assert_ptr_nonnull(parsed);
        same_tree(src->name, src->tree, parsed);
        nodes += count_nodes(parsed);
        ytree_free(parsed);
    }
    ck_assert_uint_gt(nodes, 1000);
}
END_TEST

/* a file that cannot be read is an error naming it; a good first file is no excuse */
START_TEST(test_missing_file)
{
    struct rules_source src[2] = {{"a.yaml", CAT, strlen(CAT), 0, NULL, 0},
                                  {"/nonexistent/rules.yaml", NULL, 0, 1, NULL, 0}};
    struct ruleset *rs = NULL;
    struct diag d = {""};

    ck_assert_int_eq(ruleset_load(src, 2, &rs, &d), -1);
    ck_assert_ptr_null(rs);
    ck_assert_msg(strstr(d.msg, "/nonexistent/rules.yaml: No such file") != NULL, "%s", d.msg);
}
END_TEST

START_TEST(test_good_load)
{
    static const char yaml[] = "version: 1\n"
                               "categories:\n"
                               "  - id: c\n"
                               "    title: A cause\n"
                               "    who: [sender_admin, end_user]\n"
                               "    severity: high\n"
                               "    hardness: soft\n"
                               "    advice:\n"
                               "      general: |\n"
                               "        Look at {recipient}.\n"
                               "      postfix: postconf x\n"
                               "rules:\n"
                               "  - id: r1\n"
                               "    category: c\n"
                               "    pattern: [one, 'two (?<list>\\S+)']\n"
                               "    code: [550, 45x, 5xx]\n"
                               "    status: [X.7.1, 5.7.606-649, 4, none]\n"
                               "    stage: [rcpt, none]\n"
                               "    kind: bounce\n"
                               "    direction: outbound\n"
                               "    mta: [postfix, exim]\n"
                               "    advice: first this\n"
                               "    examples:\n"
                               "      - '550 5.7.1 one'\n"
                               "      - text: two\n"
                               "        code: 550\n"
                               "        status: 5.7.620\n"
                               "        stage: rcpt\n"
                               "    counter_examples: [three]\n"
                               "  - id: r2\n"
                               "    category: c\n"
                               "    status: X.1\n"
                               "    enabled: false\n";
    struct ruleset *rs;
    struct diag d = {""};

    ck_assert_msg(ruleset_load_string("g.yaml", yaml, &rs, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(rs->ncategories, 1);
    const struct category *c = ruleset_category(rs, "c");
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->title, "A cause");
    ck_assert_uint_eq(c->nwho, 2);
    ck_assert_str_eq(c->who[1], "end_user");
    ck_assert_str_eq(c->severity, "high");
    ck_assert_str_eq(c->hardness, "soft");
    ck_assert_str_eq(c->advice[ADVICE_GENERAL], "Look at {recipient}.\n");
    ck_assert_str_eq(c->advice[ADVICE_POSTFIX], "postconf x");
    ck_assert_ptr_null(c->advice[ADVICE_EXIM]);
    ck_assert_int_eq(c->origin.line, 3);

    ck_assert_uint_eq(rs->nrules, 2);
    const struct rule *r = rs->rules[0];
    ck_assert_str_eq(r->id, "r1");
    ck_assert_ptr_eq(r->category, c);
    ck_assert_uint_eq(r->npatterns, 2);
    ck_assert_uint_eq(r->ncodes, 3);
    ck_assert_str_eq(r->codes[1], "45x");
    ck_assert_uint_eq(r->nstatuses, 4);
    ck_assert_int_eq(r->statuses[0].cls, 0);
    ck_assert_int_eq(r->statuses[0].sub, 7);
    ck_assert_int_eq(r->statuses[1].lo, 606);
    ck_assert_int_eq(r->statuses[1].hi, 649);
    ck_assert_int_eq(r->statuses[2].sub, -1);
    ck_assert_int_eq(r->statuses[3].cls, -1);
    ck_assert_uint_eq(r->stages, (1u << STAGE_RCPT) | 1u);
    ck_assert_uint_eq(r->kinds, 1u << EVENT_BOUNCE);
    ck_assert_uint_eq(r->directions, 1u << DIRECTION_OUTBOUND);
    ck_assert_uint_eq(r->nmtas, 2);
    ck_assert_str_eq(r->advice, "first this");
    ck_assert_uint_eq(r->nexamples, 2);
    ck_assert_int_eq(r->examples[1].code, 550);
    ck_assert_str_eq(r->examples[1].status, "5.7.620");
    ck_assert_int_eq(r->examples[1].stage, STAGE_RCPT);
    ck_assert_int_eq(r->examples[1].origin.line, 25);
    ck_assert_uint_eq(r->ncounter_examples, 1);
    ck_assert_int_eq(r->origin.line, 13);
    ck_assert_int_eq(r->enabled, 1);
    ck_assert_int_eq(rs->rules[1]->enabled, 0);
    ck_assert_uint_eq(rs->npatterns, 2);
    ck_assert_uint_le(ruleset_jit_count(rs), 2); /* JIT may be refused: never an error */
    ck_assert_uint_eq(strlen(rs->hash), 16);
    ruleset_free(rs);
}
END_TEST

/* advice parts per direction: the event's direction picks one; an unknown direction shows both */
START_TEST(test_direction_advice)
{
    static const char yaml[] = "categories:\n"
                               "  - id: c\n"
                               "    advice:\n"
                               "      general: Listed.\n"
                               "      inbound: A client of ours is listed.\n"
                               "      outbound: Our IP is listed.\n"
                               "      exim: exim -bh\n"
                               "rules:\n"
                               "  - id: r\n"
                               "    category: c\n"
                               "    pattern: listed\n";
    struct ruleset *rs;
    struct diag d = {""};
    struct classification cl;
    struct strbuf out = STRBUF_INIT;

    ck_assert_msg(ruleset_load_string("d.yaml", yaml, &rs, &d) == 0, "%s", d.msg);
    memset(&cl, 0, sizeof cl);
    cl.category = ruleset_category(rs, "c");
    cl.category_id = "c";
    ck_assert_str_eq(cl.category->advice[ADVICE_INBOUND], "A client of ours is listed.");
    advice_compose(&cl, "exim", DIRECTION_INBOUND, &out);
    ck_assert_str_eq(strbuf_str(&out), "Listed.\n\nA client of ours is listed.\n\nExim:\n"
                                       "exim -bh\n");
    strbuf_reset(&out);
    advice_compose(&cl, "exim", DIRECTION_OUTBOUND, &out);
    ck_assert_str_eq(strbuf_str(&out), "Listed.\n\nOur IP is listed.\n\nExim:\nexim -bh\n");
    strbuf_reset(&out);
    advice_compose(&cl, "postfix", DIRECTION_NONE, &out);
    ck_assert_ptr_nonnull(strstr(strbuf_str(&out), "(inbound):\nA client of ours is listed."));
    ck_assert_ptr_nonnull(strstr(strbuf_str(&out), "(outbound):\nOur IP is listed."));
    strbuf_free(&out);
    ruleset_free(rs);
}
END_TEST

/* an admin layer changes fields by id, keeps places, puts its new rules first */
START_TEST(test_layers)
{
    static const char base[] = "categories:\n"
                               "  - id: c\n"
                               "    title: C\n"
                               "    advice: base advice\n"
                               "  - id: d\n"
                               "    advice: d advice\n"
                               "rules:\n"
                               "  - id: a\n"
                               "    category: c\n"
                               "    pattern: alpha\n"
                               "  - id: b\n"
                               "    category: c\n"
                               "    pattern: beta\n";
    static const char admin[] = "categories:\n"
                                "  - id: c\n"
                                "    advice: my advice\n"
                                "rules:\n"
                                "  - id: mine\n"
                                "    category: d\n"
                                "    pattern: beta gamma\n"
                                "  - id: b\n"
                                "    category: d\n"
                                "  - id: a\n"
                                "    enabled: false\n";
    struct rules_source src[] = {{"base.yaml", base, sizeof base - 1, 0, NULL, 0},
                                 {"admin.yaml", admin, sizeof admin - 1, 1, NULL, 0}};
    struct ruleset *rs, *alone;
    struct diag d = {""};
    struct classify_input in = {"beta", 4, 0, NULL, 0, 0, 0, NULL};
    struct classification c;

    ck_assert_msg(ruleset_load(src, 2, &rs, &d) == 0, "%s", d.msg);
    const struct category *cat = ruleset_category(rs, "c");
    ck_assert_str_eq(cat->advice[ADVICE_GENERAL], "my advice");
    ck_assert_str_eq(cat->title, "C"); /* not given again: kept */
    ck_assert_str_eq(cat->origin.file, "admin.yaml");
    ck_assert_uint_eq(rs->nrules, 3);
    ck_assert_str_eq(rs->rules[0]->id, "mine");
    ck_assert_str_eq(rs->rules[1]->id, "a");
    ck_assert_str_eq(rs->rules[2]->id, "b");
    ck_assert_int_eq(rs->rules[1]->enabled, 0);
    ck_assert_str_eq(rs->rules[2]->category->id, "d");
    ck_assert_str_eq(rs->rules[2]->patterns[0], "beta"); /* not given: kept */
    ck_assert_str_eq(rs->rules[2]->origin.file, "base.yaml");
    ck_assert_int_eq(rs->rules[2]->origin.line, 11);
    ck_assert_str_eq(rs->rules[2]->overridden.file, "admin.yaml");
    ck_assert_int_eq(rs->rules[2]->overridden.line, 8);
    classify(rs, &in, &c);
    ck_assert_str_eq(c.rule->id, "b");
    in.text = "alpha";
    in.len = 5;
    classify(rs, &in, &c); /* a is disabled */
    ck_assert_ptr_null(c.rule);
    ck_assert_str_eq(c.category_id, CATEGORY_UNCLASSIFIED);

    /* the hash follows the content */
    ck_assert_int_eq(ruleset_load(src, 1, &alone, &d), 0);
    ck_assert_str_ne(alone->hash, rs->hash);
    ruleset_free(alone);
    ck_assert_int_eq(ruleset_load(src, 2, &alone, &d), 0);
    ck_assert_str_eq(alone->hash, rs->hash);
    ruleset_free(alone);
    ruleset_free(rs);
}
END_TEST

/* an admin file that names an undefined category fails at its own line, nothing loaded */
START_TEST(test_layer_errors)
{
    static const char admin[] = "rules:\n"
                                "  - id: b\n"
                                "    category: ghost\n";
    static const char dup[] = "rules:\n"
                              "  - id: x\n"
                              "    category: c\n"
                              "    pattern: one\n"
                              "  - id: x\n"
                              "    pattern: two\n";
    struct rules_source src[] = {{"base.yaml",
                                  CAT "rules:\n  - id: b\n    category: c\n"
                                      "    pattern: p\n",
                                  0, 0, NULL, 0},
                                 {"admin.yaml", admin, sizeof admin - 1, 1, NULL, 0}};
    struct ruleset *rs = NULL;
    struct diag d = {""};

    src[0].len = strlen(src[0].text);
    ck_assert_int_eq(ruleset_load(src, 2, &rs, &d), -1);
    ck_assert_ptr_null(rs);
    ck_assert_msg(strstr(d.msg, "admin.yaml:2: rule 'b' names category 'ghost'") != NULL, "%s",
                  d.msg);
    src[1].text = dup;
    src[1].len = sizeof dup - 1;
    ck_assert_int_eq(ruleset_load(src, 2, &rs, &d), -1);
    ck_assert_msg(strstr(d.msg, "admin.yaml:5: duplicate rule id 'x' (first defined at "
                                "admin.yaml:2)") != NULL,
                  "%s", d.msg);
}
END_TEST

/*
 * a deferred pattern (the built-in ones) is compiled at its first use: its prefilter is there
 * before, and the match sizes a scratch made for smaller patterns, so that its captures are read
 */
static void add_name(void *arg, const char *name)
{
    strcat(arg, name);
    strcat(arg, ",");
}

START_TEST(test_deferred_match)
{
    struct rx *now, *later = rx_defer("BLOCKED using (?<list>[\\w.-]+); (?<why>\\w+)");
    struct rx_scratch *sc = rx_scratch_new();
    struct diag d = {""};
    const char *lits[4], *v;
    size_t len;
    char names[64] = "";
    static const char subject[] = "blocked using zen.spamhaus.org; see";

    ck_assert_int_eq(rx_compile("BLOCKED using (?<list>[\\w.-]+); (?<why>\\w+)", &now, &d), 0);
    ck_assert_uint_eq(rx_literals(later, lits, 4), 1);
    ck_assert_str_eq(lits[0], "blocked using ");
    ck_assert_uint_eq(rx_literals(now, lits, 4), 1);
    ck_assert_str_eq(lits[0], "blocked using ");
    ck_assert_int_eq(rx_match(later, sc, subject, sizeof subject - 1), 1);
    ck_assert_int_eq(rx_named(later, sc, subject, "why", &v, &len), 1);
    ck_assert_int_eq((int)len, 3);
    ck_assert_int_eq(memcmp(v, "see", len), 0);
    ck_assert_int_eq(rx_match(later, sc, "nothing", 7), 0);
    rx_free(later);

    /* names and JIT before any match */
    later = rx_defer("(?<b>x)(?<a>y)");
    rx_foreach_name(later, add_name, names);
    ck_assert_str_eq(names, "a,b,");
    rx_free(later);
    later = rx_defer("z+");
    ck_assert_int_eq(rx_jit(later), rx_jit(now));
    rx_free(later);
    rx_free(now);
    rx_scratch_free(sc);
}
END_TEST

/* a deferred pattern that does not compile after all ends the process, as a failed allocation */
START_TEST(test_deferred_broken)
{
    struct rx *rx = rx_defer("a(b");
    struct rx_scratch *sc = rx_scratch_new();

    rx_match(rx, sc, "ab", 2); /* exits 2: "rejectlens: a built-in pattern does not compile" */
}
END_TEST

/* the PCRE2 wrapper: offsets in errors, named groups, the backtracking limit */
START_TEST(test_match)
{
    struct rx *rx;
    struct rx_scratch *sc = rx_scratch_new();
    struct diag d = {""};
    const char *v;
    size_t len;
    static const char subject[] = "blocked using zen.spamhaus.org; see";

    ck_assert_int_eq(rx_compile("(?<list", &rx, &d), -1);
    ck_assert_msg(strncmp(d.msg, "offset 7:", 9) == 0, "%s", d.msg);
    ck_assert_int_eq(rx_compile("BLOCKED using (?<list>[\\w.-]+)", &rx, &d), 0);
    rx_scratch_fit(sc, rx);
    ck_assert_int_eq(rx_match(rx, sc, subject, sizeof subject - 1), 1); /* caseless */
    ck_assert_int_eq(rx_named(rx, sc, subject, "list", &v, &len), 1);
    ck_assert_int_eq((int)len, 16);
    ck_assert_int_eq(memcmp(v, "zen.spamhaus.org", len), 0);
    ck_assert_int_eq(rx_named(rx, sc, subject, "nope", &v, &len), 0);
    ck_assert_int_eq(rx_match(rx, sc, "nothing", 7), 0);
    rx_free(rx);

    /* catastrophic backtracking is given up, counted, and is no match */
    char hostile[64];
    memset(hostile, 'a', sizeof hostile - 2);
    hostile[sizeof hostile - 2] = '!';
    hostile[sizeof hostile - 1] = '\0';
    ck_assert_int_eq(rx_compile("^(a|aa)+$", &rx, &d), 0);
    rx_scratch_fit(sc, rx);
    ck_assert_int_eq(rx_match(rx, sc, hostile, strlen(hostile)), -1);
    ck_assert_uint_eq(rx_limit_hits(sc), 1);
    rx_free(rx);
    rx_scratch_free(sc);
    rx_free(NULL);
    rx_scratch_free(NULL);
    ruleset_free(NULL);
}
END_TEST

/*
 * the literal prefilter: the literals read from a pattern (one of them is in every match, in
 * any case), "" when the pattern gets none and PCRE2 decides alone
 */
static const struct {
    const char *pattern;
    const char *lits; /* joined by | */
} prefilters[] = {
    {"blocked using (?<list>[\\w.-]+)", "blocked using "},
    {"Relay access denied", "relay access denied"},
    /* a quantified character is no part of a run: the longest run left is taken */
    {"abc?de", "ab"},
    {"Rate ?limit exceeded", "limit exceeded"},
    {"a{2,}bc", "bc"},
    {"x\\d+ab", "ab"},
    /* alternation: one literal per branch, none when a branch requires nothing */
    {"foo|bar", "foo|bar"},
    {"foo|b?ar", "foo|ar"},
    {"foo|", ""},
    {"foo|\\d+", ""},
    {"^(?:Failed|Pending)$|^(?:\\w+, )*(?:Fail|Defer)$", "failed|pending|fail|defer"},
    /* groups: required unless a quantifier allows zero times */
    {"(?:abcd)?xy", "xy"},
    {"(?:abcd)*xy", "xy"},
    {"(?:abcd){0,2}xy", "xy"},
    {"(?:abcd)+xy", "abcd"},
    {"(?:abcd){2}xy", "abcd"},
    {"(?<list>zen|sbl)\\.spamhaus", ".spamhaus"},
    {"(?<list>zen|sbl)\\.org", ".org"},
    {"DKIM (?:signature )?(?:failed|invalid)", "failed|invalid"},
    {"(?:a(?:bc|)d)", "a"},
    /* lookarounds and assertions require nothing */
    {"xy(?=abcdef)", "xy"},
    {"(?<!abcdef)xy", "xy"},
    {"(?!abcdef)", ""},
    {"\\bS3150\\b", "s3150"},
    /* escapes: punctuation is literal, \. included; class escapes end a run */
    {"spamhaus\\.org/returnc/", "spamhaus.org/returnc/"},
    {"\\[TSS?0[1-9]\\]", "[ts"},
    {"a\\sbcd", "bcd"},
    /* classes, including a ] first and a POSIX class */
    {"[abc]defg", "defg"},
    {"[]x]yz", "yz"},
    {"[^]x]yz", "yz"},
    {"[[:alpha:]]yz", "yz"},
    {"[\\]ab]yz", "yz"},
    /* case: the literals are lower-cased; (?-i) changes nothing here */
    {"(?i)ABC(?-i)Defg", "defg"},
    {"(?-i:ABCD)e", "abcd"},
    /* a run longer than the limit is cut into runs */
    {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
     "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv"},
    /* syntax the parser does not know: no prefilter */
    {"\\x41bcd", ""},
    {"\\Qa.b\\E", ""},
    {"(?x) a b c", ""},
    {"(?s)abc", ""},
    {"(*UTF)abc", ""},
    {"(abc)\\1", ""},
    {"(?|abc|abd)", ""},
    {"(abc)(?(1)abc|abd)", ""},
    {"(?#comment)abc", ""},
    {"x{,3}abc", ""},
    {"{abc}", ""},
    {"caf\xc3\xa9", ""},
    {"[\\Q]\\E]abc", ""},
};

START_TEST(test_prefilter)
{
    struct rx *rx;
    struct diag d = {""};
    const char *lits[32];
    char joined[512];
    size_t n, at = 0;

    ck_assert_int_eq(rx_compile(prefilters[_i].pattern, &rx, &d), 0);
    n = rx_literals(rx, lits, 32);
    ck_assert_uint_le(n, 32);
    joined[0] = '\0';
    for (size_t i = 0; i < n; i++)
        at += (size_t)snprintf(joined + at, sizeof joined - at, "%s%s", i ? "|" : "", lits[i]);
    ck_assert_msg(strcmp(joined, prefilters[_i].lits) == 0, "%s: got \"%s\", want \"%s\"",
                  prefilters[_i].pattern, joined, prefilters[_i].lits);
    rx_free(rx);
}
END_TEST

/* texts that a pattern matches although its literals are spelt otherwise or far apart */
static const struct {
    const char *pattern;
    const char *text;
    int match;
    size_t len; /* 0: strlen(text) */
} prefilter_texts[] = {
    {"abc?de", "xxABDEyy", 1, 0},
    {"abc?de", "xxABCDEyy", 1, 0},
    {"abc?de", "xxABXDEyy", 0, 0},
    {"foo|b?ar", "AR", 1, 0},
    {"(?-i:ABCD)e", "ABCDE", 1, 0},
    {"(?-i:ABCD)e", "abcde", 0, 0},
    {"(?:abcd)+xy", "ABCDABCDXY", 1, 0},
    {"Rate ?limit exceeded", "RATELIMIT EXCEEDED", 1, 0},
    {"\\bS3150\\b", "(s3150)", 1, 0},
    {"xy(?=abcdef)", "xyabcdef", 1, 0},
    {"[]x]yz", "]YZ", 1, 0},
    {"a", "", 0, 0},
    {"ab", "a", 0, 0},
    {"ab", "b a", 0, 0},
    {"ab", "x\0ab", 1, 4},
};

/* rx_match_subject gives rx_match's answer: here, for the default rules on their examples */
START_TEST(test_prefilter_subject)
{
    struct rx *rx;
    struct rx_scratch *sc = rx_scratch_new();
    struct diag d = {""};
    struct ruleset *rs;
    struct strbuf tmpl = STRBUF_INIT;

    for (size_t i = 0; i < sizeof prefilter_texts / sizeof prefilter_texts[0]; i++) {
        const char *t = prefilter_texts[i].text;
        size_t n = prefilter_texts[i].len ? prefilter_texts[i].len : strlen(t);
        ck_assert_int_eq(rx_compile(prefilter_texts[i].pattern, &rx, &d), 0);
        rx_scratch_fit(sc, rx);
        rx_scratch_subject(sc, t, n);
        ck_assert_int_eq(rx_match(rx, sc, t, n), prefilter_texts[i].match);
        ck_assert_msg(rx_match_subject(rx, sc) == prefilter_texts[i].match, "%s on %s",
                      prefilter_texts[i].pattern, t);
        rx_free(rx);
    }
    rx_scratch_free(sc);

    ck_assert_int_eq(ruleset_load(rules_default, rules_default_count, &rs, &d), 0);
    for (size_t i = 0; i < rs->nrules; i++)
        for (size_t e = 0; e < rs->rules[i]->nexamples; e++) {
            const struct example *x = &rs->rules[i]->examples[e];
            struct prepared pr;
            strbuf_reset(&tmpl);
            classify_prepare(x->text, strlen(x->text), &pr, &tmpl, NULL);
            const char *t = strbuf_str(&tmpl);
            rx_scratch_subject(rs->scratch, t, tmpl.len);
            for (size_t r = 0; r < rs->nrules; r++)
                for (size_t p = 0; p < rs->rules[r]->npatterns; p++) {
                    struct rx *prx = rs->rules[r]->rx[p];
                    int want = rx_match(prx, rs->scratch, t, tmpl.len) == 1;
                    ck_assert_msg((rx_match_subject(prx, rs->scratch) == 1) == want,
                                  "pattern %s on %s", rs->rules[r]->patterns[p], t);
                }
        }
    strbuf_free(&tmpl);
    ruleset_free(rs);
}
END_TEST

/*
 * rx_match_subject against rx_match on patterns built at random from the syntax the
 * prefilter's parser reads (and some it refuses), on texts built from their literals
 */
START_TEST(test_prefilter_random)
{
    static const char *const pieces[] = {
        "a",    "b",     "ab",  "abc",   "A",    "(?:",  "(",    "(?<n>", ")",   ")",    "|",
        "?",    "*",     "+",   "+?",    "[ab]", "[^a]", "[]a]", "\\.",   ".",   "(?=",  "(?!",
        "(?<=", "(?<!",  "{2}", "{0,1}", "{1,}", "^",    "$",    "\\b",   "\\d", "(?i)", "(?-i)",
        "(?i:", "(?-i:", " ",   "\\(",   "x",    "\\K",  "(?>",  "\\x41"};
    static const char *const words[] = {"a", "b", "ab", "abc", "AB", "x", ".", " ", "(", "A"};
    struct rx_scratch *sc = rx_scratch_new();
    struct diag d = {""};
    unsigned long state = 20261130, matched = 0;

#define RAND(n) ((state = state * 6364136223846793005ul + 1442695040888963407ul) >> 33) % (n)
    for (int it = 0; it < 20000; it++) {
        char pat[128] = "", text[64] = "";
        struct rx *rx;
        for (int k = (int)RAND(8) + 1; k > 0; k--)
            strcat(pat, pieces[RAND(sizeof pieces / sizeof pieces[0])]);
        if (rx_compile(pat, &rx, &d) < 0)
            continue;
        rx_scratch_fit(sc, rx);
        for (int t = 0; t < 10; t++) {
            text[0] = '\0';
            for (int k = (int)RAND(6); k > 0; k--)
                strcat(text, words[RAND(sizeof words / sizeof words[0])]);
            rx_scratch_subject(sc, text, strlen(text));
            int want = rx_match(rx, sc, text, strlen(text)) == 1;
            matched += (unsigned long)want;
            ck_assert_msg((rx_match_subject(rx, sc) == 1) == want, "/%s/ on '%s'", pat, text);
        }
        rx_free(rx);
    }
#undef RAND
    ck_assert_uint_gt(matched, 10000); /* the texts do match: the test tests something */
    rx_scratch_free(sc);
}
END_TEST

/*
 * the filter of a rule set: a rule is left out when the anchor of each of its literals is
 * missing. Without examples every triple is as rare as any other and the anchor is a literal's
 * first three bytes: here "a0-" to "g9-", one a rule (and their hashes happen not to collide
 * with the text's other triples).
 */
START_TEST(test_filter)
{
    struct strbuf y = STRBUF_INIT;
    struct ruleset *rs;
    struct diag d = {""};
    static const char text[] = "G5-RULE and a3-rule";
    struct classify_input in = {text, sizeof text - 1, 550, NULL, 0, 0, 0, NULL};
    struct classification c;
    const uint64_t *cand;

    strbuf_printf(&y, CAT "rules:\n");
    for (int i = 0; i < 70; i++) /* more than one word of the bit set */
        strbuf_printf(&y, "  - id: r%02d\n    category: c\n    pattern: '%c%c-rule\\b'\n", i,
                      'a' + i / 10, '0' + i % 10);
    strbuf_printf(&y, "  - id: by-code\n    category: c\n    code: 550\n"             /* 70 */
                      "  - id: no-prefilter\n    category: c\n    pattern: '(?s)x'\n" /* 71 */
                      "  - id: off\n    category: c\n    pattern: a3-rule\n"
                      "    enabled: false\n"); /* 72 */
    ck_assert_msg(ruleset_load_string("t.yaml", strbuf_str(&y), &rs, &d) == 0, "%s", d.msg);
    ck_assert_uint_eq(rs->nrules, 73);
    rx_scratch_subject(rs->scratch, text, sizeof text - 1);
    cand = rx_filter_run(rs->filter, rs->scratch);
    for (size_t i = 0; i < rs->nrules; i++) {
        int want = i == 3 || i == 65 || i == 70 || i == 71;
        ck_assert_msg((int)(cand[i / 64] >> (i % 64) & 1) == want, "rule %s", rs->rules[i]->id);
    }
    classify(rs, &in, &c);
    ck_assert_str_eq(c.rule->id, "r03"); /* the first in order, not the first found */
    in.text = "a30-rule";
    in.len = 8;
    classify(rs, &in, &c); /* r03's anchor is there, its pattern does not match */
    ck_assert_str_eq(c.rule->id, "by-code");
    ruleset_free(rs);
    strbuf_free(&y);

    /* no rules at all: nothing to try, unclassified */
    ck_assert_msg(ruleset_load_string("t.yaml", CAT, &rs, &d) == 0, "%s", d.msg);
    classify(rs, &in, &c);
    ck_assert_ptr_null(c.rule);
    ck_assert_str_eq(c.category_id, CATEGORY_UNCLASSIFIED);
    ruleset_free(rs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("loader");

    tcase_add_loop_test(tc, test_bad_input, 0, sizeof bad / sizeof bad[0]);
    tcase_add_test(tc, test_builtin_trees);
    tcase_add_test(tc, test_missing_file);
    tcase_add_test(tc, test_good_load);
    tcase_add_test(tc, test_layers);
    tcase_add_test(tc, test_direction_advice);
    tcase_add_test(tc, test_layer_errors);
    tcase_add_test(tc, test_match);
    tcase_add_test(tc, test_deferred_match);
    tcase_add_exit_test(tc, test_deferred_broken, 2);
    tcase_add_loop_test(tc, test_prefilter, 0, sizeof prefilters / sizeof prefilters[0]);
    tcase_add_test(tc, test_prefilter_subject);
    tcase_add_test(tc, test_prefilter_random);
    tcase_add_test(tc, test_filter);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
