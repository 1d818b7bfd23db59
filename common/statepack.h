/*
 * statepack - the byte format in which parsers save what they remember between runs
 *
 * A saved state is a sequence of fields; a field is "len:bytes" (decimal length, a colon, the
 * raw bytes, which may hold anything) or "-" for an absent string. Numbers are fields holding
 * their decimal text. Parsers put record letters between fields as they like. Reading never
 * trusts the bytes: a malformed field makes the getter return 0, and the parser stops loading
 * (what was read before stays).
 */
#ifndef REJECTLENS_STATEPACK_H
#define REJECTLENS_STATEPACK_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* statepack_put - append s[0..n) as a field; NULL s appends "-" */
void statepack_put(struct strbuf *out, const char *s, size_t n);
/* statepack_put_str - the same for a NUL-terminated string or NULL */
void statepack_put_str(struct strbuf *out, const char *s);
void statepack_put_int(struct strbuf *out, int64_t v);

/*
 * statepack_get - read one field at *pp (< end): 1 with *s pointing into the data (NULL for
 * "-") and *n its length, *pp moved past it; 0 on malformed input
 */
int statepack_get(const char **pp, const char *end, const char **s, size_t *n);
/* statepack_get_dup - the same, the field copied NUL-terminated into *s (free it; NULL for "-") */
int statepack_get_dup(const char **pp, const char *end, char **s, size_t *n);
/* statepack_get_str - statepack_get_dup without the length */
int statepack_get_str(const char **pp, const char *end, char **s);
/* statepack_get_int - a number field; 0 when malformed or absent */
int statepack_get_int(const char **pp, const char *end, int64_t *v);

#endif
