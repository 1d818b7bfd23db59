/*
 * fuzz_classify - a reply text through masking, the default rules and the advice, as
 * "rejectlens explain" and the ingest do it
 *
 * The input is a raw reply. When it starts with byte 0x01, the four bytes after it choose the
 * event's kind, direction, stage and MTA (the evidence a rule may look at); otherwise it is an
 * inbound Postfix reject. Checked: a category always; a rule that classified matches on its
 * own; classifying the same template twice gives the same answer; the filters that spare
 * PCRE2 change no answer (fuzz_filters.h); the advice is a string.
 */
#include "advice.h"
#include "classify.h"
#include "fuzz.h"
#include "fuzz_filters.h"
#include "mask.h"
#include "rules_default.h"
#include "smtp_reply.h"

#include <stdlib.h>
#include <string.h>

static struct ruleset *rules;

static struct ruleset *default_rules(void)
{
    struct diag d;

    if (rules == NULL && ruleset_load(rules_default, rules_default_count, &rules, &d) < 0)
        fuzz_fail(d.msg, __FILE__, __LINE__);
    return rules;
}

static void check_classification(struct ruleset *rs, const struct classify_input *in,
                                 const struct classification *c)
{
    struct classification again;
    size_t pattern;

    FUZZ_CHECK(c->category_id != NULL);
    fuzz_touch(c->category_id);
    if (c->rule != NULL) {
        FUZZ_CHECK(c->pattern < c->rule->npatterns || c->rule->npatterns == 0);
        FUZZ_CHECK(rule_matches(rs, c->rule, in, &c->ev, &pattern) == 1);
    }
    classify(rs, in, &again);
    FUZZ_CHECK(strcmp(again.category_id, c->category_id) == 0);
    FUZZ_CHECK(again.rule == c->rule && again.pattern == c->pattern);
    fuzz_check_filters(rs, in, c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const mtas[] = {"postfix", "exim", "exchange", NULL};
    struct ruleset *rs = default_rules();
    enum event_kind kind = EVENT_REJECT;
    enum event_direction dir = DIRECTION_INBOUND;
    enum smtp_stage stage = STAGE_NONE;
    const char *mta = "postfix";
    struct strbuf tmpl = STRBUF_INIT, advice = STRBUF_INIT, filled = STRBUF_INIT;
    struct mask_values values;
    struct classify_input in;
    struct classification c;
    struct advice_data ad;
    struct prepared pr;
    struct event ev;
    char *raw;

    if (size >= 5 && data[0] == 0x01) {
        kind = (enum event_kind)(1 + data[1] % (EVENT_KIND_COUNT - 1));
        dir = (enum event_direction)(data[2] % DIRECTION_COUNT);
        stage = (enum smtp_stage)(data[3] % STAGE_COUNT);
        mta = mtas[data[4] % 4];
        data += 5;
        size -= 5;
    }
    raw = fuzz_strdup(data, size);

    /* as "rejectlens explain" reads a pasted reply */
    classify_prepare(raw, size, &pr, &tmpl, &values);
    FUZZ_CHECK(tmpl.len <= MASK_MAX);
    memset(&in, 0, sizeof in);
    in.text = strbuf_str(&tmpl);
    in.len = tmpl.len;
    in.reply_code = pr.code;
    in.status = pr.status;
    in.stage = stage ? stage : pr.stage;
    in.kind = kind;
    in.direction = dir;
    in.mta = mta;
    classify(rs, &in, &c);
    check_classification(rs, &in, &c);

    /* the advice, with an event whose every field is the hostile text */
    event_init(&ev);
    ev.kind = kind;
    ev.direction = dir;
    ev.mta = mta;
    ev.recipient = ev.sender = ev.client_ip = ev.client_name = ev.relay = ev.helo = raw;
    ev.queue_id = raw;
    ev.text = raw;
    advice_compose(&c, mta, dir, &advice);
    advice_data_init(&ad, size % 2 ? &ev : NULL, &values, rs, &c, in.text, in.len);
    advice_fill(strbuf_str(&advice), &ad, &filled);
    fuzz_touch(strbuf_str(&filled));

    /* as the ingest stores an event's text: masked, with the code and status the log gave */
    struct smtp_reply r;
    smtp_reply_parse(raw, size, &r);
    strbuf_reset(&tmpl);
    mask(raw, size, &tmpl, NULL);
    memset(&in, 0, sizeof in);
    in.text = strbuf_str(&tmpl);
    in.len = tmpl.len;
    in.reply_code = r.code;
    in.status = r.status;
    in.stage = stage;
    in.kind = kind;
    in.direction = dir;
    in.mta = mta;
    classify(rs, &in, &c);
    check_classification(rs, &in, &c);

    strbuf_free(&tmpl);
    strbuf_free(&advice);
    strbuf_free(&filled);
    free(raw);
    return 0;
}
