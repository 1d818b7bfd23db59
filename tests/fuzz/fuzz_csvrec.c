/*
 * fuzz_csvrec - the CSV record reader fed line by line, as the Exchange parser feeds it
 *
 * A line of exactly "\x01" resets the reader instead (a file changed under a record).
 * Checked: a complete record's fields are NUL-terminated at their length, add up to
 * csvrec_bytes, and number at most CSVREC_MAX_FIELDS; an index past the last field is "".
 * And csvrec is what libcsv is: the same lines go to libcsv set up as csvrec.c sets it up, each
 * followed by a newline, and every status and every field of a complete record must be the
 * same. csvrec splits the fields outside quotes itself; libcsv reads every byte.
 */
#include "csvrec.h"
#include "fuzz.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

/* the reference: libcsv's fields of the record in progress */
struct ref {
    struct csv_parser p;
    char *field[CSVREC_MAX_FIELDS];
    size_t len[CSVREC_MAX_FIELDS];
    size_t n, all;
    int ended, fresh;
};

static void ref_field(void *s, size_t len, void *arg)
{
    struct ref *r = arg;

    if (r->n < CSVREC_MAX_FIELDS) {
        r->field[r->n] =
            fuzz_strdup(s != NULL ? (const uint8_t *)s : (const uint8_t *)"", s != NULL ? len : 0);
        r->len[r->n++] = s != NULL ? len : 0;
    }
    r->all++;
}

static void ref_record(int ch, void *arg)
{
    (void)ch;
    ((struct ref *)arg)->ended = 1;
}

static int ref_no_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

static int ref_is_newline(unsigned char ch)
{
    return ch == '\n';
}

static void ref_clear(struct ref *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->field[i]);
    r->n = r->all = 0;
}

/* ref_feed - a line and a newline through libcsv, as csvrec.c once fed every line */
static enum csvrec_status ref_feed(struct ref *r, const char *line, size_t len)
{
    if (r->fresh) {
        ref_clear(r);
        r->fresh = 0;
    }
    r->ended = 0;
    if (csv_parse(&r->p, line, len, ref_field, ref_record, r) != len ||
        csv_parse(&r->p, "\n", 1, ref_field, ref_record, r) != 1) {
        csv_fini(&r->p, NULL, NULL, NULL);
        r->fresh = 1;
        return CSVREC_BAD;
    }
    if (!r->ended && r->p.pstate != 0)
        return CSVREC_MORE;
    r->fresh = 1;
    return CSVREC_DONE;
}

static void check_same(const struct csvrec *c, const struct ref *r)
{
    FUZZ_CHECK(csvrec_count(c) == r->n);
    FUZZ_CHECK(csvrec_dropped(c) == r->all - r->n);
    for (size_t i = 0; i < r->n; i++) {
        size_t len;
        const char *f = csvrec_field(c, i, &len);
        FUZZ_CHECK(len == r->len[i] && memcmp(f, r->field[i], len) == 0);
    }
}

static void check_record(const struct csvrec *c)
{
    size_t n = csvrec_count(c), total = 0, len;

    FUZZ_CHECK(n <= CSVREC_MAX_FIELDS);
    if (csvrec_dropped(c) > 0)
        FUZZ_CHECK(n == CSVREC_MAX_FIELDS);
    for (size_t i = 0; i < n; i++) {
        const char *f = csvrec_field(c, i, &len);
        FUZZ_CHECK(f != NULL && f[len] == '\0');
        FUZZ_CHECK(fuzz_touch(f) <= len);
        total += len;
    }
    FUZZ_CHECK(total <= csvrec_bytes(c));
    const char *past = csvrec_field(c, n, &len);
    FUZZ_CHECK(past != NULL && past[0] == '\0' && len == 0);
    FUZZ_CHECK(csvrec_field(c, (size_t)-1, NULL) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size, *line;
    struct csvrec *c = csvrec_new();
    struct ref r;
    size_t len;

    memset(&r, 0, sizeof r);
    FUZZ_CHECK(csv_init(&r.p, CSV_STRICT) == 0);
    csv_set_space_func(&r.p, ref_no_space);
    csv_set_term_func(&r.p, ref_is_newline);
    r.fresh = 1;
    while (fuzz_next_line(&p, end, &line, &len)) {
        if (len == 1 && line[0] == '\x01') {
            csvrec_reset(c);
            csv_fini(&r.p, NULL, NULL, NULL);
            r.fresh = 1;
            continue;
        }
        char *copy = fuzz_strdup((const uint8_t *)line, len);
        enum csvrec_status st = csvrec_feed(c, copy, len);
        enum csvrec_status want = ref_feed(&r, copy, len);
        free(copy);
        FUZZ_CHECK(st == CSVREC_DONE || st == CSVREC_MORE || st == CSVREC_BAD);
        FUZZ_CHECK(st == want);
        if (st == CSVREC_DONE) {
            check_record(c);
            check_same(c, &r);
        }
    }
    ref_clear(&r);
    csv_free(&r.p);
    csvrec_free(c);
    return 0;
}
