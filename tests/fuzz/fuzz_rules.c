/*
 * fuzz_rules - the rules loader on any text: alone, and as an admin's layer over a small base
 *
 * Rules files are the admin's and trusted, but they are hand-written: no text may crash the
 * loader, leak, or leave a half-built rule set. Checked: a failure has a one-line message; a
 * rule set that loads classifies (its filters changing no answer, fuzz_filters.h, on fixed
 * texts and on its own examples), checks its examples, and finds its own ids.
 */
#include "classify.h"
#include "fuzz.h"
#include "fuzz_filters.h"
#include "rulecheck.h"
#include "rules.h"

#include <stdlib.h>
#include <string.h>

static const char base[] = "categories:\n"
                           "  - id: recipient_unknown\n"
                           "    title: The recipient does not exist\n"
                           "    who: [sender_admin]\n"
                           "    severity: low\n"
                           "    advice:\n"
                           "      general: Check {recipient}.\n"
                           "  - id: relay_denied\n"
                           "    title: Relaying denied\n"
                           "    who: [recipient_admin]\n"
                           "    advice:\n"
                           "      general: Relay for {client_ip}.\n"
                           "rules:\n"
                           "  - id: base.user-unknown\n"
                           "    category: recipient_unknown\n"
                           "    status: 5.1.1\n"
                           "    pattern: 'User unknown'\n"
                           "    examples: ['550 5.1.1 <a@b.example>: User unknown']\n"
                           "  - id: base.relay\n"
                           "    category: relay_denied\n"
                           "    code: [554, 5xx]\n"
                           "    pattern: ['Relay access denied', '(?<list>relay) not permitted']\n";

static void report(void *arg, const char *msg)
{
    (void)arg;
    fuzz_touch(msg);
}

static void exercise(struct ruleset *rs)
{
    static const char *const texts[] = {
        "<ADDR>: Recipient address rejected: User unknown in virtual mailbox table",
        "<ADDR>: Relay access denied", "Service unavailable; Client host [<IP>] blocked", ""};
    struct classification c;

    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct classify_input in = {texts[i],     strlen(texts[i]),  550,      "5.1.1", STAGE_RCPT,
                                    EVENT_REJECT, DIRECTION_INBOUND, "postfix"};
        classify(rs, &in, &c);
        FUZZ_CHECK(c.category_id != NULL);
        fuzz_check_filters(rs, &in, &c);
    }
    /* the fuzzed patterns' own examples: texts their literals are likely to be in */
    for (size_t i = 0; i < rs->nrules; i++) {
        const struct rule *r = rs->rules[i];
        for (size_t k = 0; k < r->nexamples; k++) {
            const struct example *e = &r->examples[k];
            struct classify_input in = {
                e->text,  strlen(e->text), e->code,      e->status,
                e->stage, e->kind,         e->direction, e->mta ? e->mta : "postfix"};
            classify(rs, &in, &c);
            fuzz_check_filters(rs, &in, &c);
        }
    }
    (void)rules_check(rs, 1, report, NULL);
    for (size_t i = 0; i < rs->nrules; i++)
        FUZZ_CHECK(ruleset_rule(rs, rs->rules[i]->id) != NULL);
    for (size_t i = 0; i < rs->ncategories; i++)
        FUZZ_CHECK(ruleset_category(rs, rs->categories[i]->id) != NULL);
}

static void check_failure(const struct diag *d)
{
    FUZZ_CHECK(d->msg[0] != '\0');
    FUZZ_CHECK(memchr(d->msg, '\0', sizeof d->msg) != NULL);
    FUZZ_CHECK(strchr(d->msg, '\n') == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size);
    struct ruleset *rs = NULL;
    struct diag d;

    d.msg[0] = '\0';
    if (ruleset_load_string("fuzz.yaml", text, &rs, &d) == 0) {
        FUZZ_CHECK(rs != NULL);
        exercise(rs);
        ruleset_free(rs);
    } else {
        check_failure(&d);
    }

    /* the admin's file over the shipped one: overrides, disabled rules, new categories */
    struct rules_source src[2] = {{"base.yaml", base, sizeof base - 1, 0, NULL, 0},
                                  {"admin.yaml", text, size, 1, NULL, 0}};
    rs = NULL;
    d.msg[0] = '\0';
    if (ruleset_load(src, 2, &rs, &d) == 0) {
        exercise(rs);
        ruleset_free(rs);
    } else {
        check_failure(&d);
    }
    free(text);
    return 0;
}
