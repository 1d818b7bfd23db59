/*
 * rules - the rules file format (docs/rules.md) loaded into typed categories and ordered rules
 *
 * A rule set is built from sources in layers: layer 0 is the default rules that ship inside the
 * binary (several files), each admin file (--rules FILE) is one more layer. Within a layer an id
 * is defined once; a later layer that names an existing id changes the fields it gives (a
 * category's advice, a rule's pattern, `enabled: false`) and keeps the entry's place in the order.
 * New rules of later layers go before every rule of layer 0, in the order loaded: the admin's own
 * texts win over the defaults.
 *
 * Loading is all or nothing: any error (YAML syntax, unknown key, duplicate id, a pattern that
 * does not compile, a rule naming a category nobody defines) returns -1 with one line
 * "file:line: what" in d and no rule set.
 *
 * The structures are read-only for everyone but rules.c, but for the scratch: the matching
 * state (PCRE2's match data, the lower-cased text and bit sets the prefilters read, the filter's
 * answer), written by every classification, so that a rule set serves one thread at a time.
 * The filter (which rules a text may concern) is built once when loading ends. Ownership:
 * ruleset_free releases the set and everything in it (NULL is a no-op); pointers into it die
 * with it.
 */
#ifndef REJECTLENS_RULES_H
#define REJECTLENS_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "event.h"

#define RULES_FORMAT_VERSION 1
/* bump when classify.c changes how it decides: stored classifications are then redone */
#define RULES_ENGINE_VERSION 1
#define RULES_MAX_WHO        4
#define RULES_MAX_FILE       (4L << 20)

/*
 * the parts of a category's advice: the general text, one part per MTA (ADVICE_POSTFIX up to
 * ADVICE_MTA_END), and one per direction (our server refused a client; a remote refused us)
 */
enum advice_part {
    ADVICE_GENERAL,
    ADVICE_POSTFIX,
    ADVICE_EXIM,
    ADVICE_EXCHANGE,
    ADVICE_INBOUND,
    ADVICE_OUTBOUND,
    ADVICE_PARTS
};
#define ADVICE_MTA_END ADVICE_INBOUND

/* "general", "postfix", "exim", "exchange", "inbound", "outbound" */
const char *advice_part_name(enum advice_part p);

struct rule_origin {
    const char *file; /* owned by the rule set */
    int line;
};

struct category {
    char *id;
    char *title;
    const char *who[RULES_MAX_WHO]; /* sender_admin, recipient_admin, end_user, ... (static) */
    size_t nwho;
    const char *severity;       /* info, low, medium, high (static), NULL when not given */
    const char *hardness;       /* hard, soft, either (static), NULL when not given */
    char *advice[ADVICE_PARTS]; /* NULL when not given */
    int layer;
    struct rule_origin origin;
};

/* an enhanced status condition: X.7.1, 5.7, 5.7.606-649, 4, none */
struct status_cond {
    int cls;    /* 2, 4 or 5; 0 for X (4 or 5); -1 for none (no status given or found) */
    int sub;    /* -1: any */
    int lo, hi; /* detail range; -1: any */
};

struct example {
    char *text;
    int code;              /* 0: none given */
    char *status;          /* NULL: none given */
    enum smtp_stage stage; /* STAGE_NONE etc.: not given */
    enum event_kind kind;
    enum event_direction direction;
    char *mta;
    struct rule_origin origin;
};

struct rx;

struct rule {
    char *id;
    char *category_id;
    const struct category *category; /* resolved when loading ends */
    char **patterns;
    struct rx **rx;
    size_t npatterns;
    char (*codes)[4]; /* "550", "5xx", "45x" */
    size_t ncodes;
    struct status_cond *statuses;
    size_t nstatuses;
    unsigned stages, kinds, directions; /* bit (1 << enum value); 0: any */
    char **mtas;
    size_t nmtas;
    struct example *examples;
    size_t nexamples;
    struct example *counter_examples;
    size_t ncounter_examples;
    char *advice; /* said before the category's advice; NULL when none */
    int enabled;
    int layer;
    struct rule_origin origin;     /* where it was defined */
    struct rule_origin overridden; /* where a later layer changed it; file NULL when not */
};

struct rx_scratch;
struct rx_filter;

struct ruleset {
    struct category **categories;
    size_t ncategories;
    struct rule **rules; /* in the order they are tried */
    size_t nrules;
    char **files;
    size_t nfiles;
    char hash[17];              /* of every source's text and RULES_ENGINE_VERSION */
    struct rx_scratch *scratch; /* the matching state of the one thread using the set */
    struct rx_filter *filter;   /* which rules a text may concern (match.h), built once */
    size_t npatterns;           /* patterns (built-in ones compiled at their first match) */
};

struct ynode;

/*
 * one input: text[0..len) named `name`; text NULL means "read the file at name"; tree, when
 * not NULL, is text as ytree_parse makes it, made at build time (the built-in files), whose
 * patterns the build compiled: they are compiled again only at their first match (rx_defer)
 */
struct rules_source {
    const char *name;
    const char *text;
    size_t len;
    int layer; /* ascending; sources of one layer share it */
    const struct ynode *tree;
    uint64_t hash; /* with tree: lru_hash of the text, computed by the build */
};

/* ruleset_load - build a rule set from the sources, in order; 0, or -1 with d set */
int ruleset_load(const struct rules_source *src, size_t n, struct ruleset **out, struct diag *d);

/* ruleset_load_string - the string twin for tests: one source, layer 0 */
int ruleset_load_string(const char *name, const char *text, struct ruleset **out, struct diag *d);

void ruleset_free(struct ruleset *rs);

/*
 * ruleset_jit_count - how many of rs's patterns run JIT-compiled, JIT-compiling now those that
 * have not matched yet (a pattern is JIT-compiled on its first match, match.h)
 */
size_t ruleset_jit_count(struct ruleset *rs);

/* ruleset_category - the category with that id, or NULL */
const struct category *ruleset_category(const struct ruleset *rs, const char *id);

/* ruleset_rule - the rule with that id, or NULL */
const struct rule *ruleset_rule(const struct ruleset *rs, const char *id);

#endif
