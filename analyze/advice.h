/*
 * advice - a category's advice with its placeholders filled from an event and its text
 *
 * Placeholders are names in braces: {recipient}, {recipient_domain} (also {domain}), {sender},
 * {sender_domain}, {client_ip}, {client_ip_reversed} (for DNSBL lookups: 4.3.2.1 or IPv6
 * nibbles), {client_name}, {relay}, {relay_host}, {helo}, {list}, {code}, {status},
 * {queue_id}, {mta}. A value comes from the event first, then from a named group of the rule
 * pattern that matched ((?<list>...) fills {list}), then from what masking took out of the text
 * (the first address, IP, host). A placeholder without a value, or with an unknown name, is left
 * as it is, braces and all, so that the admin sees what to put there (and shell braces such as
 * awk '{print $1}' pass through untouched).
 */
#ifndef REJECTLENS_ADVICE_H
#define REJECTLENS_ADVICE_H

#include "classify.h"
#include "event.h"
#include "mask.h"
#include "strbuf.h"

#define ADVICE_MAX_CAPTURES 8

struct advice_data {
    const struct event *ev;         /* may be NULL */
    const struct mask_values *text; /* may be NULL */
    int code;
    const char *status;
    struct {
        char name[32];
        char value[256];
    } caps[ADVICE_MAX_CAPTURES];
    size_t ncaps;
};

/*
 * advice_data_init - what the advice may draw on: the event (may be NULL), the values masking
 * took out of the text (may be NULL), and the named groups of the pattern that classified the
 * template tmpl[0..len) (c->rule may be NULL)
 */
void advice_data_init(struct advice_data *ad, const struct event *ev,
                      const struct mask_values *text, struct ruleset *rs,
                      const struct classification *c, const char *tmpl, size_t len);

/* advice_fill - append template with its placeholders filled to out */
void advice_fill(const char *template_text, const struct advice_data *ad, struct strbuf *out);

/*
 * advice_compose - the advice template for a classification: the rule's own advice, then the
 * category's general advice, then the part for the direction (both direction parts, each under
 * a heading, when the direction is DIRECTION_NONE), then the part for the MTA (all MTA parts,
 * each under its name, when mta is NULL or has no part of its own). Appends to out; nothing
 * when there is none.
 */
void advice_compose(const struct classification *c, const char *mta, enum event_direction direction,
                    struct strbuf *out);

#endif
