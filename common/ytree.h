/*
 * ytree - a YAML document as a small tree of scalars, lists and mappings with line numbers, and
 * the checks every loader of our YAML files needs (rules, configuration)
 *
 * ytree_parse() runs the libyaml event loop into the tree. It refuses aliases, a second
 * document, more than one value at the top, nesting deeper than YTREE_MAX_DEPTH and more than
 * YTREE_MAX_NODES nodes. The walkers below check a node's type and form and say what is wrong
 * as one line "file:line: what" in the context's diag, so that every loader reports errors the
 * same way.
 *
 * This is the only file that includes yaml.h.
 *
 * Ownership: the tree belongs to the caller of ytree_parse and is released by ytree_free (NULL
 * is a no-op). Pointers handed out by the walkers point into the tree.
 */
#ifndef REJECTLENS_YTREE_H
#define REJECTLENS_YTREE_H

#include <stddef.h>

#include "diag.h"

#define YTREE_MAX_DEPTH 12
#define YTREE_MAX_NODES 500000

enum ytype { Y_SCALAR, Y_SEQ, Y_MAP };

struct ynode {
    enum ytype type;
    int line;
    char *str; /* scalars (NUL-terminated; len may show an inner NUL) */
    size_t len;
    struct ynode **kids; /* sequence items; mapping keys and values, alternating */
    size_t n, cap;
};

/* where errors go: file names the input in messages */
struct ytree_ctx {
    const char *file;
    struct diag *d;
};

/* ytree_fail - set "file:line: message"; returns -1 */
int ytree_fail(const struct ytree_ctx *c, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * ytree_parse - parse text[0..len) into *root (NULL for an empty document); 0, or -1 with the
 * error in c->d and *root untouched. Every path releases the parser and the partial tree.
 */
int ytree_parse(const struct ytree_ctx *c, const char *text, size_t len, struct ynode **root);

void ytree_free(struct ynode *y);

/*
 * ytree_read_file - the whole file at path, NUL-terminated, at most max bytes; -1 with
 * "path: why" in d ("larger than N bytes: not a <what>" when too big)
 */
int ytree_read_file(const char *path, long max, const char *what, char **out, size_t *len,
                    struct diag *d);

/* ytree_type_name - "a text", "a list", "a mapping" */
const char *ytree_type_name(const struct ynode *y);

/* ytree_want_scalar - y must be a non-empty text without NUL bytes */
int ytree_want_scalar(const struct ytree_ctx *c, const struct ynode *y, const char *what);

/*
 * ytree_scalars - y as a list of non-empty texts, a text being a list of one: returns 1 for a
 * single text, 0 for a list (its items in *items), -1 after an error; read with ytree_item()
 */
int ytree_scalars(const struct ytree_ctx *c, struct ynode *y, const char *what,
                  struct ynode ***items, size_t *n);

/* ytree_item - the i-th text of what ytree_scalars() returned (is_one: y was a single text) */
struct ynode *ytree_item(struct ynode *y, struct ynode **items, int is_one, size_t i);

/*
 * ytree_map_fields - y must be a mapping whose keys are all in keys[] (NULL-terminated) and
 * appear once; vals[i] gets the value of keys[i] or NULL
 */
int ytree_map_fields(const struct ytree_ctx *c, const struct ynode *y, const char *what,
                     const char *const *keys, struct ynode **vals);

/* ytree_one_of - the static name in names[] equal to y's text, or NULL after an error */
const char *ytree_one_of(const struct ytree_ctx *c, const struct ynode *y, const char *what,
                         const char *const *names);

/* ytree_want_bool - true/yes/on or false/no/off, any case */
int ytree_want_bool(const struct ytree_ctx *c, const struct ynode *y, const char *what, int *out);

#endif
