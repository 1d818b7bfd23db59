/*
 * match - the one PCRE2 wrapper (see match.h)
 *
 * DESCRIPTION
 *	This is the only file that includes pcre2.h. Patterns are compiled in byte mode (no
 *	UTF-8 check: log texts are not always valid UTF-8) and caseless, JIT-compiled once on
 *	their first match, and matched with one shared match-data block and one match context
 *	that bounds backtracking, so that a hostile reply text costs a bounded amount of time.
 *
 *	JIT compilation waits for a pattern's first match because most runs need few of the
 *	patterns: the prefilters leave PCRE2 ~2 patterns a text, a night's log has a few
 *	hundred distinct texts, and compiling all 446 built-in patterns up front was two thirds
 *	of what loading the rules cost (31.5 M of 43 M instructions, each run). For the same
 *	reason a built-in pattern (rx_defer) is compiled at its first match too: 9.8 M of the
 *	19.6 M instructions of a dry run of an empty log were pcre2_compile, and the
 *	1M-line Postfix log of bench/ compiles 115 of the 446.
 *
 *	The literal prefilter of a pattern is read from its text when it is compiled (see
 *	"the literal prefilter" below). A subject is lower-cased once into the scratch, with a
 *	(hashed) bit set of its pairs of adjacent bytes: a literal is looked for only when all
 *	its pairs may be there, so that most patterns cost a few bit tests a text.
 *
 * DIAGNOSTICS
 *	A compile error names the byte offset in the pattern and PCRE2's own words. A JIT
 *	failure is not an error: rx_jit() says whether the pattern runs JIT-compiled.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "match.h"
#include "scan.h"
#include "xalloc.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* enough for any sane rule pattern on a masked reply text, small enough to stop runaway ones */
#define RX_MATCH_LIMIT 200000
#define RX_DEPTH_LIMIT 5000

/* a literal prefilter: at most RX_MAX_LITS literals of at most RX_MAX_LIT bytes each */
#define RX_MAX_LITS  16
#define RX_MAX_LIT   48
#define RX_MAX_DEPTH 32 /* groups within groups the parser follows (~2 KB of stack each) */

/* the bit set of the pairs of bytes of a subject: small, so that clearing it is cheap */
#define RX_PAIR_BITS 4096u

struct rx_lit {
    char s[RX_MAX_LIT + 1]; /* lower-cased ASCII, NUL-terminated */
    size_t n;
};

struct rx {
    pcre2_code *code;    /* NULL until the first match of a deferred pattern */
    const char *pattern; /* a deferred pattern's text (borrowed), until it is compiled */
    uint32_t groups;     /* capture groups, not counting group 0 */
    int jit;             /* 1 JIT-compiled, 0 refused, -1 not tried yet (see jit_once) */
    struct rx_lit *lits; /* every match contains one of them; NULL: no prefilter */
    size_t nlits;
};

struct rx_scratch {
    pcre2_match_data *md;
    uint32_t pairs; /* ovector pairs md holds */
    pcre2_match_context *mctx;
    unsigned long limit_hits;
    /* the subject of rx_match_subject: the text, its lower-cased copy, and the pairs of
     * adjacent bytes of the copy (bit pair_bit(a, b): a set, where a pair not in the copy may
     * collide with one that is) */
    const char *subj;
    char *lower;
    size_t len, cap;
    uint64_t pairset[RX_PAIR_BITS / 64];
    uint64_t *cand; /* the last rx_filter_run's answer */
    size_t ncand;   /* words cand holds */
};

/*
 * an anchor key: a hash of three bytes (RX_KEY_TRI, 16 bits: texts whose triples collide are
 * only tried in vain), a pair of bytes a << 8 | b (RX_KEY_PAIR), or a single byte (RX_KEY_BYTE)
 */
#define RX_KEY_TRI  0u
#define RX_KEY_PAIR 65536u
#define RX_KEY_BYTE (2u * 65536u)
#define RX_KEYS     (2u * 65536u + 256u)
/*
 * anchors are numbered from 1 in a uint16_t; a literal past the last number has no anchor
 * (test_filter_limit builds this file with a handful, to reach the end)
 */
#ifndef RX_MAX_ANCHORS
#define RX_MAX_ANCHORS 65535u
#endif

struct rx_filter {
    size_t nwords;    /* of each bit set: (nids + 63) / 64 */
    uint64_t *always; /* ids to try whatever the subject */
    uint32_t *keys;   /* the anchors */
    uint64_t *masks;  /* nwords for each anchor: the ids it stands for */
    size_t nanchors, capanchors;
    uint16_t *tri;    /* hash of three bytes -> its anchor's index + 1, 0 for none */
    uint16_t *short_; /* the anchors of literals of one or two bytes, by index */
    size_t nshort;
    uint32_t *counts; /* while building: how often each key was seen in rx_filter_learn */
};

/* ------------------------------------------------------------------ the literal prefilter */

/*
 * A prefilter is a set of literals of which every match of the pattern contains one (in any
 * case). A deliberately small parser reads it from the pattern's text; it knows the syntax the
 * rules use and gives up on everything else (then PCRE2 decides alone): \Q..\E, escapes that
 * take arguments (\x, \p, \g, \k, digits, \c ...), option letters other than i, verbs,
 * conditions, recursion, non-ASCII bytes, a `{` that is not a plain quantifier.
 *
 * A sequence requires its best item: a run of literal characters (a character with a
 * quantifier is no part of a run and ends it), or the set of a group that must occur (without
 * a quantifier, or with `+`, {n}, {n,} or {n,m} where n > 0). An alternation requires the union of
 * its branches' sets, and nothing when one branch requires nothing. Classes, `.`, escapes such as
 * \d or \b, `^`, `$` and lookarounds require nothing and end a run.
 */
struct litset {
    struct rx_lit lit[RX_MAX_LITS];
    size_t n;
    int none; /* nothing is required */
};

struct lparse {
    const char *p;
    int bail; /* syntax this parser does not know: no prefilter */
    int depth;
};

enum atom { ATOM_LIT, ATOM_OTHER, ATOM_ZERO, ATOM_GROUP };

static void alternation(struct lparse *lp, struct litset *set);

/*
 * lower - ASCII lower case: all the case folding of PCRE2_CASELESS in byte mode with PCRE2's
 * built-in tables (no UTF, no UCP, no pcre2_maketables); literals never hold other bytes
 */
static char lower(unsigned char c)
{
    return (char)(c + (((unsigned)c - 'A' < 26u) << 5));
}

/* pair_bit - the bit of the pair of (lower-cased) bytes a, b in a subject's pair set */
static unsigned pair_bit(unsigned a, unsigned b)
{
    return (uint32_t)((a << 8 | b) * 2654435761u) >> 20; /* the top 12 of 32 bits */
}

static size_t shortest(const struct litset *s)
{
    size_t m = RX_MAX_LIT + 1;

    for (size_t i = 0; i < s->n; i++)
        if (s->lit[i].n < m)
            m = s->lit[i].n;
    return m;
}

/* better - 1 when a tells more than b: a longer shortest literal, then fewer literals */
static int better(const struct litset *a, const struct litset *b)
{
    size_t la, lb;

    if (a->none || a->n == 0)
        return 0;
    if (b->none || b->n == 0)
        return 1;
    la = shortest(a);
    lb = shortest(b);
    return la > lb || (la == lb && a->n < b->n);
}

/* take_run - the run of literal characters run[0..n) into best when it tells more */
static void take_run(const char *run, size_t n, struct litset *best)
{
    if (n == 0)
        return;
    if (!best->none && best->n > 0) {
        size_t m = shortest(best);
        if (n < m || (n == m && best->n == 1))
            return;
    }
    best->none = 0;
    best->n = 1;
    memcpy(best->lit[0].s, run, n);
    best->lit[0].s[n] = '\0';
    best->lit[0].n = n;
}

/* quantifier - skip one at lp->p: 0 none, 1 one that allows zero times, 2 one that does not */
static int quantifier(struct lparse *lp)
{
    const char *p = lp->p;
    int q;

    if (*p == '?' || *p == '*') {
        q = 1;
        p++;
    } else if (*p == '+') {
        q = 2;
        p++;
    } else if (*p == '{') {
        const char *d = ++p;
        int min = 0;
        while (*p >= '0' && *p <= '9')
            min |= *p++ != '0';
        if (p == d) {
            lp->bail = 1; /* {,n} and a literal { read differently across PCRE2 versions */
            return 1;
        }
        if (*p == ',')
            for (p++; *p >= '0' && *p <= '9'; p++)
                ;
        if (*p != '}') {
            lp->bail = 1;
            return 1;
        }
        p++;
        q = min ? 2 : 1;
    } else {
        return 0;
    }
    if (*p == '?' || *p == '+') /* lazy, possessive */
        p++;
    lp->p = p;
    return q;
}

/* escape - the escape at lp->p (a backslash) */
static enum atom escape(struct lparse *lp, char *lit)
{
    unsigned char e = (unsigned char)lp->p[1];

    if (e == '\0' || e >= 0x80) {
        lp->bail = 1;
        return ATOM_OTHER;
    }
    lp->p += 2;
    if (!((e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z'))) {
        *lit = lower(e); /* a backslash takes the meaning of any other character */
        return ATOM_LIT;
    }
    if (strchr("dDwWsShHvVRXC", e) != NULL)
        return ATOM_OTHER;
    if (strchr("bBAzZGK", e) != NULL)
        return ATOM_ZERO;
    lp->bail = 1;
    return ATOM_OTHER;
}

/* skip_class - past the character class at lp->p */
static void skip_class(struct lparse *lp)
{
    const char *p = lp->p + 1;

    if (*p == '^')
        p++;
    if (*p == ']') /* a ] first is a member */
        p++;
    for (;;) {
        if (*p == '\0' || (*p == '\\' && strchr("QEc", p[1]) != NULL)) {
            lp->bail = 1; /* \0 in strchr's set covers a pattern ending in a backslash */
            return;
        }
        if (*p == '\\') {
            p += 2;
        } else if (*p == '[') {
            /* only [:name:] is known here */
            const char *n = p + 1;
            if (*n != ':') {
                lp->bail = 1;
                return;
            }
            for (n++; *n == '^' || (*n >= 'a' && *n <= 'z'); n++)
                ;
            if (n[0] != ':' || n[1] != ']') {
                lp->bail = 1;
                return;
            }
            p = n + 2;
        } else if (*p == ']') {
            lp->p = p + 1;
            return;
        } else {
            p++;
        }
    }
}

/* group - the group at lp->p (an open parenthesis): ATOM_GROUP with set, or ATOM_ZERO */
static enum atom group(struct lparse *lp, struct litset *set)
{
    const char *p = lp->p + 1;
    int look = 0;

    set->none = 1;
    set->n = 0;
    if (*p == '*') {
        lp->bail = 1; /* verbs, (*napla: and the like */
        return ATOM_OTHER;
    }
    if (*p == '?') {
        p++;
        if (*p == ':' || *p == '>') {
            p++;
        } else if (*p == '=' || *p == '!') {
            p++;
            look = 1;
        } else if (*p == '<' && (p[1] == '=' || p[1] == '!')) {
            p += 2;
            look = 1;
        } else if (*p == '<' || *p == '\'' || (*p == 'P' && p[1] == '<')) {
            char close = *p == '\'' ? '\'' : '>';
            const char *name;
            p += *p == 'P' ? 2 : 1;
            for (name = p; (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                           (*p >= '0' && *p <= '9') || *p == '_';
                 p++)
                ;
            if (p == name || *p != close) {
                lp->bail = 1;
                return ATOM_OTHER;
            }
            p++;
        } else {
            const char *o = p;
            while (*p == 'i' || *p == '-')
                p++;
            if (p == o || (*p != ')' && *p != ':')) {
                lp->bail = 1; /* other options, comments, conditions, calls, callouts */
                return ATOM_OTHER;
            }
            if (*p == ')') { /* (?i), (?-i): case does not matter here */
                lp->p = p + 1;
                return ATOM_ZERO;
            }
            p++;
        }
    }
    if (lp->depth >= RX_MAX_DEPTH) {
        lp->bail = 1;
        return ATOM_OTHER;
    }
    lp->p = p;
    lp->depth++;
    alternation(lp, set);
    lp->depth--;
    if (lp->bail)
        return ATOM_OTHER;
    if (*lp->p != ')') {
        lp->bail = 1;
        return ATOM_OTHER;
    }
    lp->p++;
    if (look) {
        set->none = 1;
        return ATOM_ZERO;
    }
    return ATOM_GROUP;
}

/* sequence - one branch, up to | or ) or the end: its best requirement in best */
static void sequence(struct lparse *lp, struct litset *best)
{
    char run[RX_MAX_LIT];
    size_t rn = 0;
    struct litset gset;

    best->none = 1;
    best->n = 0;
    while (!lp->bail) {
        unsigned char c = (unsigned char)*lp->p;
        enum atom kind;
        char lit = 0;
        int q;

        if (c == '\0' || c == '|' || c == ')')
            break;
        switch (c) {
        case '\\':
            kind = escape(lp, &lit);
            break;
        case '[':
            skip_class(lp);
            kind = ATOM_OTHER;
            break;
        case '(':
            kind = group(lp, &gset);
            break;
        case '.':
            lp->p++;
            kind = ATOM_OTHER;
            break;
        case '^':
        case '$':
            lp->p++;
            kind = ATOM_ZERO;
            break;
        case '?':
        case '*':
        case '+':
        case '{':
            lp->bail = 1;
            kind = ATOM_OTHER;
            break;
        default:
            if (c >= 0x80)
                lp->bail = 1;
            lit = lower(c);
            lp->p++;
            kind = ATOM_LIT;
            break;
        }
        if (lp->bail)
            break;
        q = quantifier(lp);
        if (lp->bail)
            break;
        if (kind == ATOM_LIT && q == 0) {
            if (rn == sizeof run) {
                take_run(run, rn, best);
                rn = 0;
            }
            run[rn++] = lit;
            continue;
        }
        take_run(run, rn, best);
        rn = 0;
        if (kind == ATOM_GROUP && q != 1 && better(&gset, best))
            *best = gset;
    }
    take_run(run, rn, best);
}

/* alternation - branches separated by |, up to ) or the end: the union of their sets */
static void alternation(struct lparse *lp, struct litset *set)
{
    struct litset alt;

    sequence(lp, set);
    while (!lp->bail && *lp->p == '|') {
        lp->p++;
        sequence(lp, &alt);
        if (set->none || alt.none || set->n + alt.n > RX_MAX_LITS) {
            set->none = 1; /* parse on, to find the end */
            continue;
        }
        memcpy(set->lit + set->n, alt.lit, alt.n * sizeof alt.lit[0]);
        set->n += alt.n;
    }
}

/* prefilter - the literals of rx's pattern, when the parser can tell */
static void prefilter(struct rx *rx, const char *pattern)
{
    struct lparse lp = {pattern, 0, 0};
    struct litset *set = xmalloc(sizeof *set);

    alternation(&lp, set);
    if (!lp.bail && *lp.p == '\0' && !set->none && set->n > 0) {
        rx->lits = xcalloc(set->n, sizeof *rx->lits);
        memcpy(rx->lits, set->lit, set->n * sizeof *rx->lits);
        rx->nlits = set->n;
    }
    free(set);
}

/* compile - pattern into rx->code and rx->groups; 0, or -1 with the offset and PCRE2's words */
static int compile(struct rx *rx, const char *pattern, struct diag *d)
{
    int err;
    PCRE2_SIZE off;

    rx->code =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &err, &off, NULL);
    if (rx->code == NULL) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", err);
        return diag_set(d, "offset %zu: %s", (size_t)off, (const char *)msg);
    }
    pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &rx->groups);
    return 0;
}

int rx_compile(const char *pattern, struct rx **out, struct diag *d)
{
    struct rx *rx = xcalloc(1, sizeof *rx);

    if (compile(rx, pattern, d) < 0) {
        free(rx);
        return -1;
    }
    rx->jit = -1;
    prefilter(rx, pattern);
    *out = rx;
    return 0;
}

struct rx *rx_defer(const char *pattern)
{
    struct rx *rx = xcalloc(1, sizeof *rx);

    rx->pattern = pattern;
    rx->jit = -1;
    prefilter(rx, pattern);
    return rx;
}

void rx_free(struct rx *rx)
{
    if (rx == NULL)
        return;
    pcre2_code_free(rx->code);
    free(rx->lits);
    free(rx);
}

/* compile_once - compile a deferred pattern before its first match */
static void compile_once(struct rx *rx)
{
    struct diag d;

    if (rx->code != NULL)
        return;
    if (compile(rx, rx->pattern, &d) < 0) {
        fprintf(stderr, "rejectlens: a built-in pattern does not compile: %s: %s\n", d.msg,
                rx->pattern);
        exit(2);
    }
    rx->pattern = NULL;
}

/* jit_once - JIT-compile rx unless tried before: every match of rx runs the same engine */
static void jit_once(struct rx *rx)
{
    compile_once(rx);
    /* a JIT failure (no executable memory, no JIT support) leaves the interpreter in charge */
    if (rx->jit < 0)
        rx->jit = pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE) == 0;
}

int rx_jit(struct rx *rx)
{
    jit_once(rx);
    return rx->jit;
}

struct rx_scratch *rx_scratch_new(void)
{
    struct rx_scratch *sc = xcalloc(1, sizeof *sc);

    sc->pairs = 1;
    sc->md = pcre2_match_data_create(sc->pairs, NULL);
    sc->mctx = pcre2_match_context_create(NULL);
    if (sc->md == NULL || sc->mctx == NULL) {
        fputs("rejectlens: out of memory\n", stderr);
        exit(2);
    }
    pcre2_set_match_limit(sc->mctx, RX_MATCH_LIMIT);
    pcre2_set_depth_limit(sc->mctx, RX_DEPTH_LIMIT);
    return sc;
}

void rx_scratch_free(struct rx_scratch *sc)
{
    if (sc == NULL)
        return;
    pcre2_match_data_free(sc->md);
    pcre2_match_context_free(sc->mctx);
    free(sc->lower);
    free(sc->cand);
    free(sc);
}

void rx_scratch_fit(struct rx_scratch *sc, const struct rx *rx)
{
    if (rx->groups + 1 <= sc->pairs)
        return;
    pcre2_match_data_free(sc->md);
    sc->pairs = rx->groups + 1;
    sc->md = pcre2_match_data_create(sc->pairs, NULL);
    if (sc->md == NULL) {
        fputs("rejectlens: out of memory\n", stderr);
        exit(2);
    }
}

int rx_match(struct rx *rx, struct rx_scratch *sc, const char *s, size_t n)
{
    int rc;

    jit_once(rx);
    rx_scratch_fit(sc, rx); /* a deferred pattern's groups are known from now on */
    rc = pcre2_match(rx->code, (PCRE2_SPTR)s, n, 0, 0, sc->md, sc->mctx);

    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    sc->limit_hits++; /* match or depth limit, JIT stack: given up, never fatal */
    return -1;
}

size_t rx_literals(const struct rx *rx, const char **lits, size_t cap)
{
    for (size_t i = 0; i < rx->nlits && i < cap; i++)
        lits[i] = rx->lits[i].s;
    return rx->nlits;
}

void rx_scratch_subject(struct rx_scratch *sc, const char *s, size_t n)
{
    uint64_t *pairs = sc->pairset;
    unsigned char *l;
    unsigned prev;

    memset(pairs, 0, sizeof sc->pairset);
    if (n >= sc->cap) {
        sc->cap = n + 1;
        sc->lower = xrealloc(sc->lower, sc->cap);
    }
    l = (unsigned char *)sc->lower;
    sc->subj = s;
    sc->len = n;
    l[n] = '\0';
    if (n == 0)
        return;
    l[0] = (unsigned char)(prev = (unsigned char)lower((unsigned char)s[0]));
    for (size_t i = 1; i < n; i++) {
        unsigned c = (unsigned char)lower((unsigned char)s[i]), b = pair_bit(prev, c);
        l[i] = (unsigned char)c;
        pairs[b >> 6] |= 1ull << (b & 63);
        prev = c;
    }
}

/* has_pair - 1 when the subject of sc may hold the pair a, b (0: it surely does not) */
static int has_pair(const struct rx_scratch *sc, unsigned a, unsigned b)
{
    unsigned k = pair_bit(a, b);

    return (int)(sc->pairset[k >> 6] >> (k & 63) & 1);
}

/* lit_present - 1 when the subject of sc holds l (in any case) */
static int lit_present(const struct rx_scratch *sc, const struct rx_lit *l)
{
    const unsigned char *s = (const unsigned char *)l->s;

    if (l->n > sc->len)
        return 0;
    if (l->n == 1)
        return memchr(sc->lower, s[0], sc->len) != NULL;
    for (size_t i = 0; i + 1 < l->n; i++)
        if (!has_pair(sc, s[i], s[i + 1]))
            return 0;
    return scan_find(sc->lower, sc->len, l->s) != NULL;
}

int rx_match_subject(struct rx *rx, struct rx_scratch *sc)
{
    if (rx->lits != NULL) {
        size_t i;
        for (i = 0; i < rx->nlits; i++)
            if (lit_present(sc, &rx->lits[i]))
                break;
        if (i == rx->nlits)
            return 0;
    }
    return rx_match(rx, sc, sc->subj, sc->len);
}

/* ------------------------------------------------------------------ the filter of a rule set */

/* tri - the key of the three bytes at p (lower-cased) */
static uint32_t tri(const unsigned char *p)
{
    return ((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]) * 2654435761u >> 16;
}

struct rx_filter *rx_filter_new(size_t nids)
{
    struct rx_filter *f = xcalloc(1, sizeof *f);

    f->nwords = (nids + 63) / 64;
    f->always = xcalloc(f->nwords ? f->nwords : 1, sizeof *f->always);
    f->tri = xcalloc(65536, sizeof *f->tri);
    f->counts = xcalloc(RX_KEYS, sizeof *f->counts);
    return f;
}

void rx_filter_free(struct rx_filter *f)
{
    if (f == NULL)
        return;
    free(f->always);
    free(f->keys);
    free(f->masks);
    free(f->tri);
    free(f->short_);
    free(f->counts);
    free(f);
}

void rx_filter_learn(struct rx_filter *f, const char *s, size_t n)
{
    unsigned char w[3] = {0, 0, 0}; /* the first two are shifted in before they are read */

    for (size_t i = 0; i < n; i++) {
        w[0] = w[1];
        w[1] = w[2];
        w[2] = (unsigned char)lower((unsigned char)s[i]);
        f->counts[RX_KEY_BYTE + w[2]]++;
        if (i >= 1)
            f->counts[RX_KEY_PAIR + ((unsigned)w[1] << 8 | w[2])]++;
        if (i >= 2)
            f->counts[RX_KEY_TRI + tri(w)]++;
    }
}

/* anchor - the key of l seen least often in rx_filter_learn: three bytes, or all l has */
static uint32_t anchor(const struct rx_filter *f, const struct rx_lit *l)
{
    const unsigned char *s = (const unsigned char *)l->s;
    uint32_t best;

    if (l->n == 1)
        return RX_KEY_BYTE + s[0];
    if (l->n == 2)
        return RX_KEY_PAIR + ((unsigned)s[0] << 8 | s[1]);
    best = RX_KEY_TRI + tri(s);
    for (size_t i = 1; i + 2 < l->n; i++) {
        uint32_t k = RX_KEY_TRI + tri(s + i);
        if (f->counts[k] < f->counts[best])
            best = k;
    }
    return best;
}

/* anchor_index - the index of the anchor with key k, made when new; -1 when there is no room */
static long anchor_index(struct rx_filter *f, uint32_t k)
{
    size_t a;

    if (k < RX_KEY_PAIR && f->tri[k] != 0)
        return (long)f->tri[k] - 1;
    for (size_t b = 0; k >= RX_KEY_PAIR && b < f->nshort; b++)
        if (f->keys[f->short_[b]] == k)
            return (long)f->short_[b];
    if (f->nanchors == RX_MAX_ANCHORS)
        return -1;
    if (f->nanchors == f->capanchors) {
        f->capanchors = f->capanchors ? 2 * f->capanchors : 64;
        f->keys = xreallocarray(f->keys, f->capanchors, sizeof *f->keys);
        f->masks = xreallocarray(f->masks, f->capanchors * f->nwords, sizeof *f->masks);
    }
    a = f->nanchors++;
    f->keys[a] = k;
    memset(f->masks + a * f->nwords, 0, f->nwords * sizeof *f->masks);
    if (k < RX_KEY_PAIR) {
        f->tri[k] = (uint16_t)(a + 1);
    } else {
        f->short_ = xreallocarray(f->short_, f->nshort + 1, sizeof *f->short_);
        f->short_[f->nshort++] = (uint16_t)a;
    }
    return (long)a;
}

void rx_filter_add(struct rx_filter *f, size_t id, const struct rx *rx)
{
    uint64_t bit = 1ull << (id % 64);
    long a[RX_MAX_LITS];

    if (rx == NULL || rx->lits == NULL) {
        f->always[id / 64] |= bit;
        return;
    }
    for (size_t i = 0; i < rx->nlits; i++)
        if ((a[i] = anchor_index(f, anchor(f, &rx->lits[i]))) < 0) {
            f->always[id / 64] |= bit; /* out of anchors: no filter for this id */
            return;
        }
    for (size_t i = 0; i < rx->nlits; i++)
        f->masks[(size_t)a[i] * f->nwords + id / 64] |= bit;
}

void rx_filter_done(struct rx_filter *f)
{
    free(f->counts);
    f->counts = NULL;
}

const uint64_t *rx_filter_run(const struct rx_filter *f, struct rx_scratch *sc)
{
    const unsigned char *l = (const unsigned char *)sc->lower;
    size_t nw = f->nwords, n = sc->len;
    uint64_t *cand;

    if (sc->cand == NULL || sc->ncand < nw) { /* a word at least: no rules, no NULL */
        sc->ncand = nw ? nw : 1;
        sc->cand = xreallocarray(sc->cand, sc->ncand, sizeof *sc->cand);
    }
    cand = sc->cand;
    memcpy(cand, f->always, nw * sizeof *cand);
    /* each triple of the subject: most are no anchor */
    for (size_t i = 0; i + 2 < n; i++) {
        unsigned a = f->tri[tri(l + i)];
        if (a != 0) {
            const uint64_t *m = f->masks + (size_t)(a - 1) * nw;
            for (size_t w = 0; w < nw; w++)
                cand[w] |= m[w];
        }
    }
    for (size_t b = 0; b < f->nshort; b++) {
        uint32_t k = f->keys[f->short_[b]];
        if (k >= RX_KEY_BYTE ? memchr(sc->lower, (int)(k - RX_KEY_BYTE), n) != NULL
                             : has_pair(sc, (k - RX_KEY_PAIR) >> 8, (k - RX_KEY_PAIR) & 255)) {
            const uint64_t *m = f->masks + (size_t)f->short_[b] * nw;
            for (size_t w = 0; w < nw; w++)
                cand[w] |= m[w];
        }
    }
    return cand;
}

unsigned long rx_limit_hits(const struct rx_scratch *sc)
{
    return sc->limit_hits;
}

int rx_named(const struct rx *rx, const struct rx_scratch *sc, const char *s, const char *name,
             const char **val, size_t *len)
{
    int g;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);

    if (rx->code == NULL) /* deferred, never matched: no captures */
        return 0;
    g = pcre2_substring_number_from_name(rx->code, (PCRE2_SPTR)name);
    if (g <= 0 || (uint32_t)g >= pcre2_get_ovector_count(sc->md))
        return 0;
    if (ov[2 * g] == PCRE2_UNSET)
        return 0;
    *val = s + ov[2 * g];
    *len = ov[2 * g + 1] - ov[2 * g];
    return 1;
}

void rx_foreach_name(struct rx *rx, void (*fn)(void *arg, const char *name), void *arg)
{
    uint32_t count = 0, size = 0;
    PCRE2_SPTR table = NULL;

    compile_once(rx);
    pcre2_pattern_info(rx->code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(rx->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
    pcre2_pattern_info(rx->code, PCRE2_INFO_NAMETABLE, &table);
    /* each entry: the group number in two bytes, then the NUL-terminated name */
    for (uint32_t i = 0; i < count; i++)
        fn(arg, (const char *)(table + (size_t)i * size + 2));
}
