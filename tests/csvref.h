/*
 * csvref - the reference csvrec is compared with: libcsv set up as csvrec.c sets it up (strict,
 * no space trimming, only '\n' ends a record), fed each line followed by a newline
 *
 * Used by test_csvrec and fuzz_csvrec. A record's fields are kept up to CSVREC_MAX_FIELDS, as
 * csvrec keeps them; nall counts every field libcsv reported. The fields belong to the
 * csvref; they stay until the next csvref_feed after a complete or bad record, csvref_reset
 * or csvref_free.
 */
#ifndef REJECTLENS_TESTS_CSVREF_H
#define REJECTLENS_TESTS_CSVREF_H

#include "csvrec.h"

#include <csv.h>
#include <stddef.h>

struct csvref {
    struct csv_parser p;
    char *field[CSVREC_MAX_FIELDS]; /* each NUL-terminated at len */
    size_t len[CSVREC_MAX_FIELDS];
    size_t n;    /* fields kept */
    size_t nall; /* fields libcsv reported, kept or not */
    int records; /* records the last line ended: 0 or 1 */
    int fresh;   /* the next line starts a record */
};

/* csvref_init - 0, or -1 when libcsv cannot be set up */
int csvref_init(struct csvref *r);
/* csvref_feed - a line and a newline through libcsv: DONE, MORE (a quoted field is open) or
 * BAD; the fields are the record's so far */
enum csvrec_status csvref_feed(struct csvref *r, const char *line, size_t len);
/* csvref_reset - forget the record in progress (a file changed under it) */
void csvref_reset(struct csvref *r);
void csvref_free(struct csvref *r);

#endif
