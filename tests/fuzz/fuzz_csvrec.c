/*
 * fuzz_csvrec - the CSV record reader fed line by line, as the Exchange parser feeds it
 *
 * A line of exactly "\x01" resets the reader instead (a file changed under a record).
 * Checked: a complete record's fields are NUL-terminated at their length, add up to
 * csvrec_bytes, and number at most CSVREC_MAX_FIELDS; an index past the last field is "".
 * And csvrec is what libcsv is: the same lines go to the reference (tests/csvref.c: libcsv set
 * up as csvrec.c sets it up, each line followed by a newline), and every status and every
 * field of a complete record must be the same. csvrec splits the fields outside quotes itself;
 * libcsv reads every byte.
 */
#include "csvrec.h"
#include "csvref.h"
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

static void check_same(const struct csvrec *c, const struct csvref *r)
{
    FUZZ_CHECK(csvrec_count(c) == r->n);
    FUZZ_CHECK(csvrec_dropped(c) == r->nall - r->n);
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
    struct csvref r;
    size_t len;

    FUZZ_CHECK(csvref_init(&r) == 0);
    while (fuzz_next_line(&p, end, &line, &len)) {
        if (len == 1 && line[0] == '\x01') {
            csvrec_reset(c);
            csvref_reset(&r);
            continue;
        }
        char *copy = fuzz_strdup((const uint8_t *)line, len);
        enum csvrec_status st = csvrec_feed(c, copy, len);
        enum csvrec_status want = csvref_feed(&r, copy, len);
        free(copy);
        FUZZ_CHECK(st == CSVREC_DONE || st == CSVREC_MORE || st == CSVREC_BAD);
        FUZZ_CHECK(st == want);
        if (st == CSVREC_DONE) {
            check_record(c);
            check_same(c, &r);
        }
    }
    csvref_free(&r);
    csvrec_free(c);
    return 0;
}
