/*
 * rules - the rules file format loaded into typed categories and ordered rules (see rules.h)
 *
 * DESCRIPTION
 *	Two steps per source. First ytree.c builds a small tree of scalars, sequences and
 *	mappings, each node carrying its line; it refuses aliases, a second document, nesting
 *	deeper than YTREE_MAX_DEPTH and more than YTREE_MAX_NODES nodes. Then the
 *	tree is walked into categories and rules: every key is known, every value has the type
 *	and the form it must have, and every pattern compiles (match.c). All of it happens in a
 *	rule set that is thrown away on the first error, so a caller gets all or nothing.
 *
 * DIAGNOSTICS
 *	"file:line: what is wrong", with the pattern's offset for a pattern that does not compile
 *	and the first definition's place for a duplicate id.
 */
#include "rules.h"
#include "lru.h"
#include "match.h"
#include "strbuf.h"
#include "xalloc.h"
#include "ytree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ the tree (ytree.c) */

struct loader {
    struct ruleset *rs;
    const char *file; /* owned by rs */
    int layer;
    size_t admin_pos; /* where the next new rule of a layer above 0 goes */
    int built_in;     /* the file's tree was made at build time, which compiled its patterns */
    struct diag *d;
};

/* YC - the ytree context of the file being loaded: errors read "file:line: what" */
#define YC(L) (&(struct ytree_ctx){(L)->file, (L)->d})

static int fail(struct loader *L, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct loader *L, int line, const char *fmt, ...)
{
    char msg[DIAG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return diag_set(L->d, "%s:%d: %s", L->file, line, msg);
}

static const char *type_name(const struct ynode *y)
{
    return ytree_type_name(y);
}

static int want_scalar(struct loader *L, const struct ynode *y, const char *what)
{
    return ytree_want_scalar(YC(L), y, what);
}

static int scalars(struct loader *L, struct ynode *y, const char *what, struct ynode ***items,
                   size_t *n)
{
    return ytree_scalars(YC(L), y, what, items, n);
}

static struct ynode *item(struct ynode *y, struct ynode **items, int is_one, size_t i)
{
    return ytree_item(y, items, is_one, i);
}

static int map_fields(struct loader *L, const struct ynode *y, const char *what,
                      const char *const *keys, struct ynode **vals)
{
    return ytree_map_fields(YC(L), y, what, keys, vals);
}

static int valid_id(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              strchr("_.:-", *s) != NULL))
            return 0;
    return 1;
}

static int want_id(struct loader *L, const struct ynode *y, const char *what)
{
    if (want_scalar(L, y, what) < 0)
        return -1;
    if (!valid_id(y->str))
        return fail(L, y->line, "%s '%s': use letters, digits and _ . : - only", what, y->str);
    return 0;
}

static const char *one_of(struct loader *L, const struct ynode *y, const char *what,
                          const char *const *names)
{
    return ytree_one_of(YC(L), y, what, names);
}

static int want_bool(struct loader *L, const struct ynode *y, const char *what, int *out)
{
    return ytree_want_bool(YC(L), y, what, out);
}

/* ------------------------------------------------------------------ conditions */

static const char *const who_names[] = {"sender_admin", "recipient_admin", "end_user", "our_admin",
                                        "list_owner",   "nobody",          NULL};
static const char *const severity_names[] = {"info", "low", "medium", "high", NULL};
static const char *const hardness_names[] = {"hard", "soft", "either", NULL};

const char *advice_part_name(enum advice_part p)
{
    static const char *const names[ADVICE_PARTS] = {"general",  "postfix", "exim",
                                                    "exchange", "inbound", "outbound"};

    return (unsigned)p < ADVICE_PARTS ? names[p] : "";
}

/* parse_code - "550", "5xx", "45x" */
static int parse_code(struct loader *L, const struct ynode *y, char out[4])
{
    const char *s = y->str;

    if (y->len != 3 || s[0] < '2' || s[0] > '5' ||
        !((s[1] >= '0' && s[1] <= '9') || s[1] == 'x' || s[1] == 'X') ||
        !((s[2] >= '0' && s[2] <= '9') || s[2] == 'x' || s[2] == 'X') ||
        ((s[1] == 'x' || s[1] == 'X') && s[2] != 'x' && s[2] != 'X'))
        return fail(L, y->line, "code '%s': write a reply code like 550, 55x or 5xx", s);
    out[0] = s[0];
    out[1] = (char)(s[1] == 'X' ? 'x' : s[1]);
    out[2] = (char)(s[2] == 'X' ? 'x' : s[2]);
    out[3] = '\0';
    return 0;
}

/* number - 1-3 digits at *p, advancing it; -1 when none */
static int number(const char **p)
{
    int v = 0, n = 0;

    while (**p >= '0' && **p <= '9' && n < 4) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    return n == 0 || n > 3 ? -1 : v;
}

/* parse_status - "X.7.1", "5.7", "4", "5.7.606-649", or "none" (no status at all) */
static int parse_status(struct loader *L, const struct ynode *y, struct status_cond *c)
{
    const char *p = y->str;

    c->sub = c->lo = c->hi = -1;
    if (strcmp(p, "none") == 0) {
        c->cls = -1;
        return 0;
    }
    if (*p == 'X' || *p == 'x')
        c->cls = 0;
    else if (*p == '2' || *p == '4' || *p == '5')
        c->cls = *p - '0';
    else
        goto bad;
    p++;
    if (*p == '\0')
        return 0;
    if (*p++ != '.' || (c->sub = number(&p)) < 0)
        goto bad;
    if (*p == '\0')
        return 0;
    if (*p++ != '.' || (c->lo = number(&p)) < 0)
        goto bad;
    c->hi = c->lo;
    if (*p == '-') {
        p++;
        if ((c->hi = number(&p)) < c->lo)
            goto bad;
    }
    if (*p == '\0')
        return 0;
bad:
    return fail(L, y->line,
                "status '%s': write an enhanced status or its start: 5.7.1, X.7.1, 5.7, "
                "5.7.606-649, or none",
                y->str);
}

/* parse_names - a list of event.h names into a bit mask */
static int parse_names(struct loader *L, struct ynode *y, const char *what, int count,
                       int (*from_name)(const char *), const char *(*name_of)(int), unsigned *mask)
{
    struct ynode **items;
    size_t n;
    int one = scalars(L, y, what, &items, &n);

    if (one < 0)
        return -1;
    *mask = 0;
    for (size_t i = 0; i < n; i++) {
        struct ynode *v = item(y, items, one, i);
        int k = from_name(v->str);
        if (strcmp(v->str, "none") == 0) {
            *mask |= 1u; /* the value 0 of each enum: not known */
            continue;
        }
        if (k == 0) {
            struct strbuf known = STRBUF_INIT;
            for (int m = 1; m < count; m++)
                strbuf_printf(&known, "%s%s", m > 1 ? ", " : "", name_of(m));
            fail(L, v->line, "%s: unknown value '%s' (known: %s, none)", what, v->str,
                 strbuf_str(&known));
            strbuf_free(&known);
            return -1;
        }
        *mask |= 1u << k;
    }
    return 0;
}

static int stage_from(const char *s)
{
    return (int)smtp_stage_from_name(s);
}
static const char *stage_of(int i)
{
    return smtp_stage_name((enum smtp_stage)i);
}
static int kind_from(const char *s)
{
    return (int)event_kind_from_name(s);
}
static const char *kind_of(int i)
{
    return event_kind_name((enum event_kind)i);
}
static int direction_from(const char *s)
{
    return (int)event_direction_from_name(s);
}
static const char *direction_of(int i)
{
    return event_direction_name((enum event_direction)i);
}

/* ------------------------------------------------------------------ categories */

enum { C_ID, C_TITLE, C_WHO, C_SEVERITY, C_HARDNESS, C_ADVICE, C_NKEYS };
static const char *const category_keys[] = {"id",       "title",  "who", "severity",
                                            "hardness", "advice", NULL};

static void category_free(struct category *c)
{
    if (c == NULL)
        return;
    free(c->id);
    free(c->title);
    for (int i = 0; i < ADVICE_PARTS; i++)
        free(c->advice[i]);
    free(c);
}

static int parse_advice(struct loader *L, struct ynode *y, char *advice[ADVICE_PARTS])
{
    static const char *const keys[] = {"general", "postfix",  "exim", "exchange",
                                       "inbound", "outbound", NULL};
    struct ynode *vals[ADVICE_PARTS];

    if (y->type == Y_SCALAR) {
        if (want_scalar(L, y, "advice") < 0)
            return -1;
        advice[ADVICE_GENERAL] = xstrdup(y->str);
        return 0;
    }
    if (map_fields(L, y, "advice", keys, vals) < 0)
        return -1;
    for (int i = 0; i < ADVICE_PARTS; i++) {
        if (vals[i] == NULL)
            continue;
        if (want_scalar(L, vals[i], keys[i]) < 0)
            return -1;
        advice[i] = xstrdup(vals[i]->str);
    }
    return 0;
}

static struct category *find_category(const struct ruleset *rs, const char *id)
{
    for (size_t i = 0; i < rs->ncategories; i++)
        if (strcmp(rs->categories[i]->id, id) == 0)
            return rs->categories[i];
    return NULL;
}

static int load_category(struct loader *L, struct ynode *y)
{
    struct ynode *v[C_NKEYS];
    struct category *c, *old;
    struct ynode **items;
    size_t n;
    int one;

    if (map_fields(L, y, "category", category_keys, v) < 0)
        return -1;
    if (v[C_ID] == NULL)
        return fail(L, y->line, "category without an id");
    if (want_id(L, v[C_ID], "category id") < 0)
        return -1;
    c = xcalloc(1, sizeof *c);
    c->id = xstrdup(v[C_ID]->str);
    c->layer = L->layer;
    c->origin.file = L->file;
    c->origin.line = y->line;
    if (v[C_TITLE] != NULL) {
        if (want_scalar(L, v[C_TITLE], "title") < 0)
            goto fail;
        c->title = xstrdup(v[C_TITLE]->str);
    }
    if (v[C_WHO] != NULL) {
        if ((one = scalars(L, v[C_WHO], "who", &items, &n)) < 0)
            goto fail;
        if (n > RULES_MAX_WHO) {
            fail(L, v[C_WHO]->line, "who: at most %d entries", RULES_MAX_WHO);
            goto fail;
        }
        for (size_t i = 0; i < n; i++)
            if ((c->who[c->nwho++] = one_of(L, item(v[C_WHO], items, one, i), "who", who_names)) ==
                NULL)
                goto fail;
    }
    if (v[C_SEVERITY] != NULL &&
        (c->severity = one_of(L, v[C_SEVERITY], "severity", severity_names)) == NULL)
        goto fail;
    if (v[C_HARDNESS] != NULL &&
        (c->hardness = one_of(L, v[C_HARDNESS], "hardness", hardness_names)) == NULL)
        goto fail;
    if (v[C_ADVICE] != NULL && parse_advice(L, v[C_ADVICE], c->advice) < 0)
        goto fail;

    old = find_category(L->rs, c->id);
    if (old == NULL) {
        struct ruleset *rs = L->rs;
        rs->categories = xreallocarray(rs->categories, rs->ncategories + 1, sizeof *rs->categories);
        rs->categories[rs->ncategories++] = c;
        return 0;
    }
    if (old->layer == L->layer) {
        fail(L, y->line, "duplicate category id '%s' (first defined at %s:%d)", c->id,
             old->origin.file, old->origin.line);
        goto fail;
    }
    /* a later layer changes the fields it gives */
    if (c->title) {
        free(old->title);
        old->title = c->title;
        c->title = NULL;
    }
    if (v[C_WHO]) {
        memcpy(old->who, c->who, sizeof old->who);
        old->nwho = c->nwho;
    }
    if (c->severity)
        old->severity = c->severity;
    if (c->hardness)
        old->hardness = c->hardness;
    for (int i = 0; i < ADVICE_PARTS; i++) {
        if (c->advice[i]) {
            free(old->advice[i]);
            old->advice[i] = c->advice[i];
            c->advice[i] = NULL;
        }
    }
    old->layer = L->layer;
    old->origin = c->origin;
    category_free(c);
    return 0;
fail:
    category_free(c);
    return -1;
}

/* ------------------------------------------------------------------ rules */

enum {
    R_ID,
    R_CATEGORY,
    R_PATTERN,
    R_CODE,
    R_STATUS,
    R_STAGE,
    R_KIND,
    R_DIRECTION,
    R_MTA,
    R_EXAMPLES,
    R_COUNTER,
    R_ADVICE,
    R_ENABLED,
    R_NKEYS
};
static const char *const rule_keys[] = {
    "id",  "category", "pattern",          "code",   "status",  "stage", "kind", "direction",
    "mta", "examples", "counter_examples", "advice", "enabled", NULL};

enum { E_TEXT, E_CODE, E_STATUS, E_STAGE, E_KIND, E_DIRECTION, E_MTA, E_NKEYS };
static const char *const example_keys[] = {"text", "code",      "status", "stage",
                                           "kind", "direction", "mta",    NULL};

static void examples_free(struct example *ex, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ex[i].text);
        free(ex[i].status);
        free(ex[i].mta);
    }
    free(ex);
}

static void patterns_free(struct rule *r)
{
    for (size_t i = 0; i < r->npatterns; i++) {
        free(r->patterns[i]);
        rx_free(r->rx[i]);
    }
    free(r->patterns);
    free(r->rx);
    r->patterns = NULL;
    r->rx = NULL;
    r->npatterns = 0;
}

static void strings_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void rule_free(struct rule *r)
{
    if (r == NULL)
        return;
    free(r->id);
    free(r->category_id);
    patterns_free(r);
    free(r->codes);
    free(r->statuses);
    strings_free(r->mtas, r->nmtas);
    examples_free(r->examples, r->nexamples);
    examples_free(r->counter_examples, r->ncounter_examples);
    free(r->advice);
    free(r);
}

/* one_name - a single event.h name (for examples) */
static int one_name(struct loader *L, const struct ynode *y, const char *what, int count,
                    int (*from_name)(const char *), const char *(*name_of)(int), int *out)
{
    if (want_scalar(L, y, what) < 0)
        return -1;
    if ((*out = from_name(y->str)) == 0) {
        struct strbuf known = STRBUF_INIT;
        for (int m = 1; m < count; m++)
            strbuf_printf(&known, "%s%s", m > 1 ? ", " : "", name_of(m));
        fail(L, y->line, "%s: unknown value '%s' (known: %s)", what, y->str, strbuf_str(&known));
        strbuf_free(&known);
        return -1;
    }
    return 0;
}

static int parse_examples(struct loader *L, struct ynode *y, const char *what, struct example **out,
                          size_t *nout)
{
    struct example *ex;

    if (y->type != Y_SEQ)
        return fail(L, y->line, "%s must be a list, not %s", what, type_name(y));
    ex = xcalloc(y->n ? y->n : 1, sizeof *ex);
    for (size_t i = 0; i < y->n; i++) {
        struct ynode *e = y->kids[i], *v[E_NKEYS];
        struct example *x = &ex[i];
        int k;
        x->origin.file = L->file;
        x->origin.line = e->line;
        if (e->type == Y_SCALAR) {
            if (want_scalar(L, e, what) < 0)
                goto fail;
            x->text = xstrdup(e->str);
            continue;
        }
        if (map_fields(L, e, what, example_keys, v) < 0)
            goto fail;
        if (v[E_TEXT] == NULL) {
            fail(L, e->line, "%s: an example given as a mapping needs a text", what);
            goto fail;
        }
        if (want_scalar(L, v[E_TEXT], "text") < 0)
            goto fail;
        x->text = xstrdup(v[E_TEXT]->str);
        if (v[E_CODE] != NULL) {
            char code[4];
            if (want_scalar(L, v[E_CODE], "code") < 0 || parse_code(L, v[E_CODE], code) < 0)
                goto fail;
            if (code[1] == 'x' || code[2] == 'x') {
                fail(L, v[E_CODE]->line, "an example's code is one code, like 550");
                goto fail;
            }
            x->code = atoi(code);
        }
        if (v[E_STATUS] != NULL) {
            struct status_cond sc;
            if (want_scalar(L, v[E_STATUS], "status") < 0 || parse_status(L, v[E_STATUS], &sc) < 0)
                goto fail;
            if (sc.cls <= 0 || sc.lo < 0 || sc.lo != sc.hi) {
                fail(L, v[E_STATUS]->line, "an example's status is one status, like 5.1.1");
                goto fail;
            }
            x->status = xstrdup(v[E_STATUS]->str);
        }
        if (v[E_STAGE] != NULL) {
            if (one_name(L, v[E_STAGE], "stage", STAGE_COUNT, stage_from, stage_of, &k) < 0)
                goto fail;
            x->stage = (enum smtp_stage)k;
        }
        if (v[E_KIND] != NULL) {
            if (one_name(L, v[E_KIND], "kind", EVENT_KIND_COUNT, kind_from, kind_of, &k) < 0)
                goto fail;
            x->kind = (enum event_kind)k;
        }
        if (v[E_DIRECTION] != NULL) {
            if (one_name(L, v[E_DIRECTION], "direction", DIRECTION_COUNT, direction_from,
                         direction_of, &k) < 0)
                goto fail;
            x->direction = (enum event_direction)k;
        }
        if (v[E_MTA] != NULL) {
            if (want_scalar(L, v[E_MTA], "mta") < 0)
                goto fail;
            x->mta = xstrdup(v[E_MTA]->str);
        }
    }
    *out = ex;
    *nout = y->n;
    return 0;
fail:
    examples_free(ex, y->n);
    return -1;
}

/* parse_rule_fields - the fields of one rule entry into r; `given` marks the keys present */
static int parse_rule_fields(struct loader *L, struct ynode **v, struct rule *r)
{
    struct ynode **items;
    size_t n;
    int one;

    if (v[R_CATEGORY] != NULL) {
        if (want_id(L, v[R_CATEGORY], "category") < 0)
            return -1;
        r->category_id = xstrdup(v[R_CATEGORY]->str);
    }
    if (v[R_PATTERN] != NULL) {
        if ((one = scalars(L, v[R_PATTERN], "pattern", &items, &n)) < 0)
            return -1;
        r->patterns = xcalloc(n, sizeof *r->patterns);
        r->rx = xcalloc(n, sizeof *r->rx);
        for (size_t i = 0; i < n; i++) {
            struct ynode *p = item(v[R_PATTERN], items, one, i);
            struct diag pd;
            char *text = xstrdup(p->str);
            if (L->built_in) /* compiled at its first match: most are never tried */
                r->rx[i] = rx_defer(text);
            else if (rx_compile(text, &r->rx[i], &pd) < 0) {
                free(text);
                return fail(L, p->line, "rule '%s': pattern does not compile: %s: %s", r->id,
                            pd.msg, p->str);
            }
            r->patterns[i] = text; /* the rx of a deferred pattern borrows it */
            r->npatterns++;
        }
    }
    if (v[R_CODE] != NULL) {
        if ((one = scalars(L, v[R_CODE], "code", &items, &n)) < 0)
            return -1;
        r->codes = xcalloc(n, sizeof *r->codes);
        for (size_t i = 0; i < n; i++)
            if (parse_code(L, item(v[R_CODE], items, one, i), r->codes[r->ncodes++]) < 0)
                return -1;
    }
    if (v[R_STATUS] != NULL) {
        if ((one = scalars(L, v[R_STATUS], "status", &items, &n)) < 0)
            return -1;
        r->statuses = xcalloc(n, sizeof *r->statuses);
        for (size_t i = 0; i < n; i++)
            if (parse_status(L, item(v[R_STATUS], items, one, i), &r->statuses[r->nstatuses++]) < 0)
                return -1;
    }
    if (v[R_STAGE] != NULL &&
        parse_names(L, v[R_STAGE], "stage", STAGE_COUNT, stage_from, stage_of, &r->stages) < 0)
        return -1;
    if (v[R_KIND] != NULL &&
        parse_names(L, v[R_KIND], "kind", EVENT_KIND_COUNT, kind_from, kind_of, &r->kinds) < 0)
        return -1;
    if (v[R_DIRECTION] != NULL && parse_names(L, v[R_DIRECTION], "direction", DIRECTION_COUNT,
                                              direction_from, direction_of, &r->directions) < 0)
        return -1;
    if (v[R_MTA] != NULL) {
        if ((one = scalars(L, v[R_MTA], "mta", &items, &n)) < 0)
            return -1;
        r->mtas = xcalloc(n, sizeof *r->mtas);
        for (size_t i = 0; i < n; i++)
            r->mtas[r->nmtas++] = xstrdup(item(v[R_MTA], items, one, i)->str);
    }
    if (v[R_EXAMPLES] != NULL &&
        parse_examples(L, v[R_EXAMPLES], "examples", &r->examples, &r->nexamples) < 0)
        return -1;
    if (v[R_COUNTER] != NULL && parse_examples(L, v[R_COUNTER], "counter_examples",
                                               &r->counter_examples, &r->ncounter_examples) < 0)
        return -1;
    if (v[R_ADVICE] != NULL) {
        if (want_scalar(L, v[R_ADVICE], "advice") < 0)
            return -1;
        r->advice = xstrdup(v[R_ADVICE]->str);
    }
    if (v[R_ENABLED] != NULL && want_bool(L, v[R_ENABLED], "enabled", &r->enabled) < 0)
        return -1;
    return 0;
}

static struct rule *find_rule(const struct ruleset *rs, const char *id)
{
    for (size_t i = 0; i < rs->nrules; i++)
        if (strcmp(rs->rules[i]->id, id) == 0)
            return rs->rules[i];
    return NULL;
}

#define TAKE(field)                                                                                \
    do {                                                                                           \
        void *tmp_ = (void *)old->field;                                                           \
        old->field = r->field;                                                                     \
        r->field = tmp_;                                                                           \
    } while (0)

/* merge_rule - a later layer's entry r changes the fields it gives in old; r gets the rest */
static void merge_rule(struct rule *old, struct rule *r, struct ynode **v)
{
    size_t n;

    if (v[R_CATEGORY])
        TAKE(category_id);
    if (v[R_PATTERN]) {
        TAKE(patterns);
        TAKE(rx);
        n = old->npatterns, old->npatterns = r->npatterns, r->npatterns = n;
    }
    if (v[R_CODE]) {
        TAKE(codes);
        n = old->ncodes, old->ncodes = r->ncodes, r->ncodes = n;
    }
    if (v[R_STATUS]) {
        TAKE(statuses);
        n = old->nstatuses, old->nstatuses = r->nstatuses, r->nstatuses = n;
    }
    if (v[R_STAGE])
        old->stages = r->stages;
    if (v[R_KIND])
        old->kinds = r->kinds;
    if (v[R_DIRECTION])
        old->directions = r->directions;
    if (v[R_MTA]) {
        TAKE(mtas);
        n = old->nmtas, old->nmtas = r->nmtas, r->nmtas = n;
    }
    if (v[R_EXAMPLES]) {
        TAKE(examples);
        n = old->nexamples, old->nexamples = r->nexamples, r->nexamples = n;
    }
    if (v[R_COUNTER]) {
        TAKE(counter_examples);
        n = old->ncounter_examples, old->ncounter_examples = r->ncounter_examples,
        r->ncounter_examples = n;
    }
    if (v[R_ADVICE])
        TAKE(advice);
    if (v[R_ENABLED])
        old->enabled = r->enabled;
    old->layer = r->layer;
    old->overridden = r->origin;
}

static int load_rule(struct loader *L, struct ynode *y)
{
    struct ynode *v[R_NKEYS];
    struct ruleset *rs = L->rs;
    struct rule *r, *old;

    if (map_fields(L, y, "rule", rule_keys, v) < 0)
        return -1;
    if (v[R_ID] == NULL)
        return fail(L, y->line, "rule without an id");
    if (want_id(L, v[R_ID], "rule id") < 0)
        return -1;
    r = xcalloc(1, sizeof *r);
    r->id = xstrdup(v[R_ID]->str);
    r->enabled = 1;
    r->layer = L->layer;
    r->origin.file = L->file;
    r->origin.line = y->line;
    if (parse_rule_fields(L, v, r) < 0)
        goto fail;
    old = find_rule(rs, r->id);
    if (old != NULL) {
        if (old->layer == L->layer) {
            fail(L, y->line, "duplicate rule id '%s' (first defined at %s:%d)", r->id,
                 old->origin.file, old->origin.line);
            goto fail;
        }
        merge_rule(old, r, v);
        rule_free(r);
        return 0;
    }
    if (r->category_id == NULL) {
        fail(L, y->line, "rule '%s' has no category", r->id);
        goto fail;
    }
    rs->rules = xreallocarray(rs->rules, rs->nrules + 1, sizeof *rs->rules);
    if (L->layer == 0) {
        rs->rules[rs->nrules++] = r;
    } else {
        /* the admin's own rules are tried before the defaults, in the order loaded */
        memmove(rs->rules + L->admin_pos + 1, rs->rules + L->admin_pos,
                (rs->nrules - L->admin_pos) * sizeof *rs->rules);
        rs->rules[L->admin_pos++] = r;
        rs->nrules++;
    }
    return 0;
fail:
    rule_free(r);
    return -1;
}

/* ------------------------------------------------------------------ sources */

enum { T_VERSION, T_CATEGORIES, T_RULES, T_NKEYS };
static const char *const top_keys[] = {"version", "categories", "rules", NULL};

static int load_tree(struct loader *L, struct ynode *root)
{
    struct ynode *v[T_NKEYS];

    if (root == NULL)
        return 0; /* an empty file adds nothing */
    if (map_fields(L, root, "the file", top_keys, v) < 0)
        return -1;
    if (v[T_VERSION] != NULL) {
        if (want_scalar(L, v[T_VERSION], "version") < 0)
            return -1;
        if (atoi(v[T_VERSION]->str) != RULES_FORMAT_VERSION ||
            strspn(v[T_VERSION]->str, "0123456789") != v[T_VERSION]->len)
            return fail(L, v[T_VERSION]->line, "version %s: this rejectlens reads version %d",
                        v[T_VERSION]->str, RULES_FORMAT_VERSION);
    }
    if (v[T_CATEGORIES] != NULL) {
        if (v[T_CATEGORIES]->type != Y_SEQ)
            return fail(L, v[T_CATEGORIES]->line, "categories must be a list, not %s",
                        type_name(v[T_CATEGORIES]));
        for (size_t i = 0; i < v[T_CATEGORIES]->n; i++)
            if (load_category(L, v[T_CATEGORIES]->kids[i]) < 0)
                return -1;
    }
    if (v[T_RULES] != NULL) {
        if (v[T_RULES]->type != Y_SEQ)
            return fail(L, v[T_RULES]->line, "rules must be a list, not %s", type_name(v[T_RULES]));
        for (size_t i = 0; i < v[T_RULES]->n; i++)
            if (load_rule(L, v[T_RULES]->kids[i]) < 0)
                return -1;
    }
    return 0;
}

/* build_filter - the rules' filter: the examples tell which triples of bytes are common */
static void build_filter(struct ruleset *rs)
{
    rs->filter = rx_filter_new(rs->nrules);
    for (size_t i = 0; i < rs->nrules; i++)
        for (size_t e = 0; e < rs->rules[i]->nexamples; e++)
            rx_filter_learn(rs->filter, rs->rules[i]->examples[e].text,
                            strlen(rs->rules[i]->examples[e].text));
    for (size_t i = 0; i < rs->nrules; i++) {
        const struct rule *r = rs->rules[i];
        if (!r->enabled)
            continue; /* never matches */
        if (r->npatterns == 0)
            rx_filter_add(rs->filter, i, NULL);
        for (size_t p = 0; p < r->npatterns; p++)
            rx_filter_add(rs->filter, i, r->rx[p]);
    }
    rx_filter_done(rs->filter);
}

/* finish - resolve categories, check every rule can match, count the patterns, filter, hash */
static int finish(struct loader *L, const uint64_t *hashes, size_t nhashes)
{
    struct ruleset *rs = L->rs;
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < rs->nrules; i++) {
        struct rule *r = rs->rules[i];
        const struct rule_origin *o = r->overridden.file ? &r->overridden : &r->origin;
        L->file = o->file;
        if ((r->category = find_category(rs, r->category_id)) == NULL)
            return fail(L, o->line, "rule '%s' names category '%s', which no file defines", r->id,
                        r->category_id);
        if (r->npatterns == 0 && r->ncodes == 0 && r->nstatuses == 0 && r->stages == 0 &&
            r->kinds == 0 && r->directions == 0 && r->nmtas == 0)
            return fail(L, o->line,
                        "rule '%s' has neither a pattern nor a condition: it would "
                        "match everything",
                        r->id);
        rs->npatterns += r->npatterns; /* rx_match sizes the scratch for each */
    }
    build_filter(rs);
    for (size_t i = 0; i < nhashes; i++)
        strbuf_printf(&sb, "%016llx.", (unsigned long long)hashes[i]);
    strbuf_printf(&sb, "engine %d", RULES_ENGINE_VERSION);
    snprintf(rs->hash, sizeof rs->hash, "%016llx",
             (unsigned long long)lru_hash(strbuf_str(&sb), sb.len));
    strbuf_free(&sb);
    return 0;
}

int ruleset_load(const struct rules_source *src, size_t n, struct ruleset **out, struct diag *d)
{
    struct ruleset *rs = xcalloc(1, sizeof *rs);
    struct loader L = {rs, NULL, 0, 0, 0, d};
    uint64_t *hashes = xcalloc(n ? n : 1, sizeof *hashes);
    int prev_layer = 0;

    rs->scratch = rx_scratch_new();
    for (size_t i = 0; i < n; i++) {
        struct ynode *root = NULL;
        char *owned = NULL;
        const char *text = src[i].text;
        size_t len = src[i].len;
        int rc;

        if (src[i].layer < prev_layer) {
            diag_set(d, "%s: bug: rules sources out of layer order", src[i].name);
            goto fail;
        }
        prev_layer = src[i].layer;
        if (text == NULL) {
            if (ytree_read_file(src[i].name, RULES_MAX_FILE, "rules file", &owned, &len, d) < 0)
                goto fail;
            text = owned;
        }
        rs->files = xreallocarray(rs->files, rs->nfiles + 1, sizeof *rs->files);
        rs->files[rs->nfiles++] = xstrdup(src[i].name);
        L.file = rs->files[rs->nfiles - 1];
        L.layer = src[i].layer;
        L.built_in = src[i].tree != NULL;
        hashes[i] = src[i].tree != NULL ? src[i].hash : lru_hash(text, len);
        if (src[i].tree != NULL) /* the loader only reads a tree: a built one is never freed */
            rc = load_tree(&L, (struct ynode *)src[i].tree);
        else {
            rc = ytree_parse(YC(&L), text, len, &root);
            if (rc == 0)
                rc = load_tree(&L, root);
            ytree_free(root);
        }
        free(owned);
        if (rc < 0)
            goto fail;
    }
    if (finish(&L, hashes, n) < 0)
        goto fail;
    free(hashes);
    *out = rs;
    return 0;
fail:
    free(hashes);
    ruleset_free(rs);
    return -1;
}

int ruleset_load_string(const char *name, const char *text, struct ruleset **out, struct diag *d)
{
    struct rules_source src = {name, text, strlen(text), 0, NULL, 0};

    return ruleset_load(&src, 1, out, d);
}

void ruleset_free(struct ruleset *rs)
{
    if (rs == NULL)
        return;
    for (size_t i = 0; i < rs->ncategories; i++)
        category_free(rs->categories[i]);
    free(rs->categories);
    for (size_t i = 0; i < rs->nrules; i++)
        rule_free(rs->rules[i]);
    free(rs->rules);
    strings_free(rs->files, rs->nfiles);
    rx_scratch_free(rs->scratch);
    rx_filter_free(rs->filter);
    free(rs);
}

size_t ruleset_jit_count(struct ruleset *rs)
{
    size_t n = 0;

    for (size_t i = 0; i < rs->nrules; i++)
        for (size_t p = 0; p < rs->rules[i]->npatterns; p++)
            n += (size_t)rx_jit(rs->rules[i]->rx[p]);
    return n;
}

const struct category *ruleset_category(const struct ruleset *rs, const char *id)
{
    return find_category(rs, id);
}

const struct rule *ruleset_rule(const struct ruleset *rs, const char *id)
{
    return find_rule(rs, id);
}
