/*
 * ytree - a YAML document as a small tree with line numbers, and the checks loaders share
 * (see ytree.h)
 *
 * DESCRIPTION
 *	The libyaml event loop builds the tree: a scalar, sequence or mapping event makes a node
 *	that is attached to its parent at once (so the tree owns it whatever fails next), and an
 *	end event pops the stack. Limits on depth and node count keep a hostile file from using
 *	unbounded memory. Learned from suricata's loader: one cleanup exit, so that no path leaks
 *	the parser, the event or the partial tree.
 *
 * DIAGNOSTICS
 *	"file:line: what is wrong"; a YAML syntax error names the line libyaml stopped at.
 */
#include "ytree.h"
#include "strbuf.h"
#include "xalloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

int ytree_fail(const struct ytree_ctx *c, int line, const char *fmt, ...)
{
    char msg[DIAG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return diag_set(c->d, "%s:%d: %s", c->file, line, msg);
}

void ytree_free(struct ynode *y)
{
    if (y == NULL)
        return;
    for (size_t i = 0; i < y->n; i++)
        ytree_free(y->kids[i]);
    free(y->kids);
    free(y->str);
    free(y);
}

/* add - append kid to parent's items */
static void add(struct ynode *parent, struct ynode *kid)
{
    if (parent->n == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 8;
        parent->kids = xreallocarray(parent->kids, parent->cap, sizeof *parent->kids);
    }
    parent->kids[parent->n++] = kid;
}

int ytree_parse(const struct ytree_ctx *c, const char *text, size_t len, struct ynode **root)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct ynode *stack[YTREE_MAX_DEPTH];
    struct ynode *top = NULL;
    size_t depth = 0, nodes = 0;
    int rc = -1, have_event = 0, docs = 0, done = 0;

    if (!yaml_parser_initialize(&parser))
        return ytree_fail(c, 1, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    while (!done) {
        struct ynode *node = NULL;
        int line;

        if (!yaml_parser_parse(&parser, &ev)) {
            ytree_fail(c, (int)parser.problem_mark.line + 1, "YAML syntax: %s%s%s",
                       parser.problem ? parser.problem : "error", parser.context ? " " : "",
                       parser.context ? parser.context : "");
            goto out;
        }
        have_event = 1;
        line = (int)ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                ytree_fail(c, line, "more than one YAML document (---) in one file");
                goto out;
            }
            break;
        case YAML_ALIAS_EVENT:
            ytree_fail(c, line, "YAML aliases (*%s) are not supported: write the value out",
                       (const char *)ev.data.alias.anchor);
            goto out;
        case YAML_SCALAR_EVENT:
            node = xcalloc(1, sizeof *node);
            node->type = Y_SCALAR;
            node->str = xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
            node->len = ev.data.scalar.length;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            node = xcalloc(1, sizeof *node);
            node->type = ev.type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
        if (node != NULL) {
            node->line = line;
            /* attach first: from here on the tree owns the node, whatever fails next */
            if (depth == 0 && top == NULL)
                top = node;
            else if (depth > 0)
                add(stack[depth - 1], node);
            else {
                ytree_free(node);
                ytree_fail(c, line, "more than one value at the top of the file");
                goto out;
            }
            if (++nodes > YTREE_MAX_NODES) {
                ytree_fail(c, line, "more than %d YAML nodes", YTREE_MAX_NODES);
                goto out;
            }
            if (node->type != Y_SCALAR) {
                if (depth == YTREE_MAX_DEPTH) {
                    ytree_fail(c, line, "nested deeper than %d levels", YTREE_MAX_DEPTH);
                    goto out;
                }
                stack[depth++] = node;
            }
        }
        yaml_event_delete(&ev);
        have_event = 0;
    }
    *root = top;
    top = NULL;
    rc = 0;
out:
    if (have_event)
        yaml_event_delete(&ev);
    ytree_free(top);
    yaml_parser_delete(&parser);
    return rc;
}

int ytree_read_file(const char *path, long max, const char *what, char **out, size_t *len,
                    struct diag *d)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char buf[8192];
    size_t n;

    if (f == NULL)
        return diag_set(d, "%s: %s", path, strerror(errno));
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (sb.len + n > (size_t)max) {
            fclose(f);
            strbuf_free(&sb);
            return diag_set(d, "%s: larger than %ld bytes: not a %s", path, max, what);
        }
        strbuf_append(&sb, buf, n);
    }
    if (ferror(f)) {
        diag_set(d, "%s: %s", path, strerror(errno));
        fclose(f);
        strbuf_free(&sb);
        return -1;
    }
    fclose(f);
    *len = sb.len;
    *out = strbuf_detach(&sb);
    if (*out == NULL)
        *out = xstrdup("");
    return 0;
}

const char *ytree_type_name(const struct ynode *y)
{
    return y->type == Y_SCALAR ? "a text" : y->type == Y_SEQ ? "a list" : "a mapping";
}

int ytree_want_scalar(const struct ytree_ctx *c, const struct ynode *y, const char *what)
{
    if (y->type != Y_SCALAR)
        return ytree_fail(c, y->line, "%s must be a text, not %s", what, ytree_type_name(y));
    if (y->len == 0)
        return ytree_fail(c, y->line, "%s is empty", what);
    if (strlen(y->str) != y->len)
        return ytree_fail(c, y->line, "%s holds a NUL byte", what);
    return 0;
}

int ytree_scalars(const struct ytree_ctx *c, struct ynode *y, const char *what,
                  struct ynode ***items, size_t *n)
{
    if (y->type == Y_MAP)
        return ytree_fail(c, y->line, "%s must be a text or a list, not a mapping", what);
    if (y->type == Y_SCALAR) {
        if (ytree_want_scalar(c, y, what) < 0)
            return -1;
        *items = NULL; /* ytree_item() reads y itself */
        *n = 1;
        return 1;
    }
    if (y->n == 0)
        return ytree_fail(c, y->line, "%s is an empty list", what);
    for (size_t i = 0; i < y->n; i++)
        if (ytree_want_scalar(c, y->kids[i], what) < 0)
            return -1;
    *items = y->kids;
    *n = y->n;
    return 0;
}

struct ynode *ytree_item(struct ynode *y, struct ynode **items, int is_one, size_t i)
{
    return is_one ? y : items[i];
}

int ytree_map_fields(const struct ytree_ctx *c, const struct ynode *y, const char *what,
                     const char *const *keys, struct ynode **vals)
{
    size_t nkeys = 0;

    while (keys[nkeys] != NULL)
        vals[nkeys++] = NULL;
    if (y->type != Y_MAP)
        return ytree_fail(c, y->line, "%s must be a mapping, not %s", what, ytree_type_name(y));
    for (size_t i = 0; i + 1 < y->n; i += 2) {
        const struct ynode *k = y->kids[i];
        size_t j;
        if (k->type != Y_SCALAR)
            return ytree_fail(c, k->line, "%s: a key must be a text, not %s", what,
                              ytree_type_name(k));
        for (j = 0; j < nkeys; j++)
            if (strcmp(k->str, keys[j]) == 0)
                break;
        if (j == nkeys) {
            struct strbuf known = STRBUF_INIT;
            for (size_t m = 0; m < nkeys; m++)
                strbuf_printf(&known, "%s%s", m ? ", " : "", keys[m]);
            ytree_fail(c, k->line, "%s: unknown key '%s' (known: %s)", what, k->str,
                       strbuf_str(&known));
            strbuf_free(&known);
            return -1;
        }
        if (vals[j] != NULL)
            return ytree_fail(c, k->line, "%s: key '%s' given twice (first on line %d)", what,
                              k->str, vals[j]->line);
        vals[j] = y->kids[i + 1];
    }
    return 0;
}

const char *ytree_one_of(const struct ytree_ctx *c, const struct ynode *y, const char *what,
                         const char *const *names)
{
    struct strbuf known = STRBUF_INIT;

    if (ytree_want_scalar(c, y, what) < 0)
        return NULL;
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(y->str, names[i]) == 0)
            return names[i];
    for (size_t i = 0; names[i] != NULL; i++)
        strbuf_printf(&known, "%s%s", i ? ", " : "", names[i]);
    ytree_fail(c, y->line, "%s: unknown value '%s' (known: %s)", what, y->str, strbuf_str(&known));
    strbuf_free(&known);
    return NULL;
}

int ytree_want_bool(const struct ytree_ctx *c, const struct ynode *y, const char *what, int *out)
{
    static const char *const t[] = {"true", "yes", "on", NULL};
    static const char *const f[] = {"false", "no", "off", NULL};

    if (ytree_want_scalar(c, y, what) < 0)
        return -1;
    for (int i = 0; t[i]; i++) {
        if (strcasecmp(y->str, t[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(y->str, f[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return ytree_fail(c, y->line, "%s must be true or false, not '%s'", what, y->str);
}
