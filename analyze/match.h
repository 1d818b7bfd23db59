/*
 * match - the one PCRE2 wrapper: patterns compiled and JIT-compiled once, matched many times
 *
 * A pattern (struct rx) is compiled once, in byte mode and caseless unless it says otherwise
 * with (?-i); JIT compilation is tried once, before the pattern's first match, and its failure
 * is only noted (hardened hosts refuse executable memory: the interpreter gives the same
 * answers, slower). Matching borrows the match data of a struct rx_scratch, one block shared by
 * every pattern of a rule set, so that a match allocates nothing. Neither a scratch nor a
 * pattern is thread-safe (a match may JIT-compile the pattern): one thread at a time.
 *
 * A pattern also gets a literal prefilter where its text allows: literals of which every match
 * contains one. rx_match_subject skips PCRE2 when the subject (given once to the scratch by
 * rx_scratch_subject, lower-cased there once for all patterns) holds none of them; its answer
 * is rx_match's. Most reply texts match a handful of a rule set's hundreds of patterns.
 *
 * A built-in pattern is compiled at its first use instead (rx_defer): a run needs few of them
 * (54 to 175 of the 446 in the logs measured), and compiling them all was half of what every
 * command spent before its work.
 *
 * Ownership: rx_free and rx_scratch_free release everything (NULL is a no-op). A pattern must
 * outlive no scratch it was sized for; rx_scratch_fit grows a scratch for a pattern. A scratch
 * owns its copy of the subject and borrows the subject itself.
 */
#ifndef REJECTLENS_MATCH_H
#define REJECTLENS_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct rx;
struct rx_scratch;
struct rx_filter;

/*
 * rx_compile - compile pattern; on failure returns -1 with "offset N: PCRE2's message" in d
 * (the offset counts bytes of the pattern) and *out untouched
 */
int rx_compile(const char *pattern, struct rx **out, struct diag *d);
/*
 * rx_defer - pattern, compiled at its first match: only for a pattern known to compile, a
 * built-in one, which the build compiles (cmake/embed_rules.c). pattern is borrowed and must
 * outlive rx (a rule owns both). Should the compile fail after all (no memory, another PCRE2
 * than the build's), the process ends with a message, as when an allocation fails.
 */
struct rx *rx_defer(const char *pattern);
void rx_free(struct rx *rx);

/* rx_jit - 1 when the pattern runs JIT-compiled (JIT-compiling it now if no match has yet) */
int rx_jit(struct rx *rx);

/* rx_scratch_new - an empty scratch; rx_scratch_fit sizes it for each pattern it will serve */
struct rx_scratch *rx_scratch_new(void);
void rx_scratch_free(struct rx_scratch *sc);
/* rx_scratch_fit - make sc large enough for rx's capture groups (rx_match does it too) */
void rx_scratch_fit(struct rx_scratch *sc, const struct rx *rx);

/*
 * rx_match - 1 when rx matches somewhere in s[0..n), 0 when not, -1 when the match was given up
 * (the backtracking limit for hostile input: counted in *limit_hits of the scratch, treated as
 * no match by callers). The captures stay in sc until the next match.
 */
int rx_match(struct rx *rx, struct rx_scratch *sc, const char *s, size_t n);

/*
 * rx_scratch_subject - make s[0..n) the subject of rx_match_subject: sc keeps s (which must
 * stay as it is while it is the subject) and a lower-cased copy for the literal prefilters
 */
void rx_scratch_subject(struct rx_scratch *sc, const char *s, size_t n);

/*
 * rx_match_subject - rx_match on the subject of sc, with the same answer; skips PCRE2 when
 * the subject lacks every literal of rx's prefilter (a literal that every match contains)
 */
int rx_match_subject(struct rx *rx, struct rx_scratch *sc);

/*
 * rx_literals - how many literals rx's prefilter has, 0 when it has none (PCRE2 decides
 * alone); the first cap of them, lower-cased and owned by rx, into lits
 */
size_t rx_literals(const struct rx *rx, const char **lits, size_t cap);

/*
 * A filter answers, for a subject, which of many ids (a rule set's rules, each with its
 * patterns) may match it: an id all of whose patterns have a prefilter is left out when the
 * subject lacks, for each literal, its anchor: three adjacent bytes of it, those seen least
 * often in the texts given to rx_filter_learn (all of a literal of one or two bytes). Triples
 * are looked up by a 16-bit hash: a collision only makes a rule tried in vain. A filter holds
 * a 128 KiB table and a bit set per anchor. Build it in this order: rx_filter_new, any number of
 * rx_filter_learn, rx_filter_add for every pattern of every id, rx_filter_done. It is read-only
 * afterwards; the answer of rx_filter_run lives in the scratch. rx_filter_free(NULL) is a no-op.
 */
struct rx_filter *rx_filter_new(size_t nids);
void rx_filter_free(struct rx_filter *f);
/* rx_filter_learn - count the bytes, pairs and triples of a typical text (the rules' examples) */
void rx_filter_learn(struct rx_filter *f, const char *s, size_t n);
/* rx_filter_add - id may match through rx; rx NULL (an id without patterns) or without a
 * prefilter: id is a candidate for every subject */
void rx_filter_add(struct rx_filter *f, size_t id, const struct rx *rx);
/* rx_filter_done - the end of building: frees what only building needed */
void rx_filter_done(struct rx_filter *f);
/*
 * rx_filter_run - the candidates for the subject of sc (after rx_scratch_subject): a bit set,
 * id in bit id % 64 of word id / 64, valid until the next run on sc. An id not in it matches
 * none of its patterns on that subject.
 */
const uint64_t *rx_filter_run(const struct rx_filter *f, struct rx_scratch *sc);

/* rx_limit_hits - how many matches were given up at the backtracking limit */
unsigned long rx_limit_hits(const struct rx_scratch *sc);

/*
 * rx_named - after a successful rx_match of rx on s: the text captured by the named group
 * `name`, as a pointer into s and a length; 0 when rx has no such group or it took no part
 */
int rx_named(const struct rx *rx, const struct rx_scratch *sc, const char *s, const char *name,
             const char **val, size_t *len);

/*
 * rx_foreach_name - visit the names of rx's named groups, in PCRE2's (alphabetical) order
 * (compiling rx now if it is deferred and has not matched yet)
 */
void rx_foreach_name(struct rx *rx, void (*fn)(void *arg, const char *name), void *arg);

#endif
