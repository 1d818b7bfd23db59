/*
 * csvref - libcsv as csvrec's reference (see csvref.h)
 */
#include "csvref.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

static void on_field(void *s, size_t len, void *arg)
{
    struct csvref *r = arg;

    if (s == NULL)
        len = 0;
    if (r->n < CSVREC_MAX_FIELDS) {
        r->field[r->n] = xmemdup(s != NULL ? s : "", len);
        r->len[r->n++] = len;
    }
    r->nall++;
}

static void on_record(int ch, void *arg)
{
    (void)ch;
    ((struct csvref *)arg)->records++;
}

static int no_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

static int is_newline(unsigned char ch)
{
    return ch == '\n';
}

static void clear_fields(struct csvref *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->field[i]);
    r->n = r->nall = 0;
}

int csvref_init(struct csvref *r)
{
    memset(r, 0, sizeof *r);
    if (csv_init(&r->p, CSV_STRICT) != 0)
        return -1;
    csv_set_space_func(&r->p, no_space);
    csv_set_term_func(&r->p, is_newline);
    r->fresh = 1;
    return 0;
}

enum csvrec_status csvref_feed(struct csvref *r, const char *line, size_t len)
{
    if (r->fresh) {
        clear_fields(r);
        r->fresh = 0;
    }
    r->records = 0;
    if (csv_parse(&r->p, line, len, on_field, on_record, r) != len ||
        csv_parse(&r->p, "\n", 1, on_field, on_record, r) != 1) {
        csv_fini(&r->p, NULL, NULL, NULL);
        r->fresh = 1;
        return CSVREC_BAD;
    }
    if (r->records == 0 && r->p.pstate != 0)
        return CSVREC_MORE;
    r->fresh = 1;
    return CSVREC_DONE;
}

void csvref_reset(struct csvref *r)
{
    csv_fini(&r->p, NULL, NULL, NULL);
    r->fresh = 1;
}

void csvref_free(struct csvref *r)
{
    clear_fields(r);
    csv_free(&r->p);
}
