/*
 * match - the one PCRE2 wrapper (see match.h)
 *
 * DESCRIPTION
 *	This is the only file that includes pcre2.h. Patterns are compiled in byte mode (no
 *	UTF-8 check: log texts are not always valid UTF-8) and caseless, JIT-compiled once, and
 *	matched with one shared match-data block and one match context that bounds backtracking,
 *	so that a hostile reply text costs a bounded amount of time.
 *
 * DIAGNOSTICS
 *	A compile error names the byte offset in the pattern and PCRE2's own words. A JIT
 *	failure is not an error: rx_jit() says whether the pattern runs JIT-compiled.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "match.h"
#include "xalloc.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* enough for any sane rule pattern on a masked reply text, small enough to stop runaway ones */
#define RX_MATCH_LIMIT 200000
#define RX_DEPTH_LIMIT 5000

struct rx {
    pcre2_code *code;
    uint32_t groups; /* capture groups, not counting group 0 */
    int jit;
};

struct rx_scratch {
    pcre2_match_data *md;
    uint32_t pairs; /* ovector pairs md holds */
    pcre2_match_context *mctx;
    unsigned long limit_hits;
};

int rx_compile(const char *pattern, struct rx **out, struct diag *d)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &err, &off, NULL);
    struct rx *rx;

    if (code == NULL) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", err);
        return diag_set(d, "offset %zu: %s", (size_t)off, (const char *)msg);
    }
    rx = xcalloc(1, sizeof *rx);
    rx->code = code;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &rx->groups);
    /* a JIT failure (no executable memory, no JIT support) leaves the interpreter in charge */
    rx->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    *out = rx;
    return 0;
}

void rx_free(struct rx *rx)
{
    if (rx == NULL)
        return;
    pcre2_code_free(rx->code);
    free(rx);
}

int rx_jit(const struct rx *rx)
{
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

int rx_match(const struct rx *rx, struct rx_scratch *sc, const char *s, size_t n)
{
    int rc = pcre2_match(rx->code, (PCRE2_SPTR)s, n, 0, 0, sc->md, sc->mctx);

    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    sc->limit_hits++; /* match or depth limit, JIT stack: given up, never fatal */
    return -1;
}

unsigned long rx_limit_hits(const struct rx_scratch *sc)
{
    return sc->limit_hits;
}

int rx_named(const struct rx *rx, const struct rx_scratch *sc, const char *s, const char *name,
             const char **val, size_t *len)
{
    int g = pcre2_substring_number_from_name(rx->code, (PCRE2_SPTR)name);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);

    if (g <= 0 || (uint32_t)g >= pcre2_get_ovector_count(sc->md))
        return 0;
    if (ov[2 * g] == PCRE2_UNSET)
        return 0;
    *val = s + ov[2 * g];
    *len = ov[2 * g + 1] - ov[2 * g];
    return 1;
}

void rx_foreach_name(const struct rx *rx, void (*fn)(void *arg, const char *name), void *arg)
{
    uint32_t count = 0, size = 0;
    PCRE2_SPTR table = NULL;

    pcre2_pattern_info(rx->code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(rx->code, PCRE2_INFO_NAMEENTRYSIZE, &size);
    pcre2_pattern_info(rx->code, PCRE2_INFO_NAMETABLE, &table);
    /* each entry: the group number in two bytes, then the NUL-terminated name */
    for (uint32_t i = 0; i < count; i++)
        fn(arg, (const char *)(table + (size_t)i * size + 2));
}
