/*
 * csvrec - RFC 4180 records fed one line at a time (a thin wrapper over libcsv)
 *
 * Log readers cut a file into lines, but a CSV record spans lines when a quoted field holds a
 * line break. Feed each line without its newline: CSVREC_MORE says a quoted field is still
 * open and the next line continues the record; CSVREC_DONE says the record is complete and its
 * fields can be read until the next csvrec_feed() or csvrec_reset().
 *
 * Fields are kept as written: spaces are not trimmed; a quoted field loses its quotes and ""
 * becomes ". Only '\n' ends a record (a bare CR is data). The parser is strict: a quote inside
 * an unquoted field, or anything but a separator after a closing quote, makes the record
 * CSVREC_BAD (it is dropped; the next feed starts a new record). A line break inside a quoted field
 * is kept as "\n" (the reader has dropped any CR before it). Every field is NUL-terminated (a
 * NUL byte inside a field cuts it for C-string users; csvrec_field() gives the full length).
 * Fields past CSVREC_MAX_FIELDS are counted but not kept.
 *
 * This is the one file that includes libcsv's csv.h.
 */
#ifndef REJECTLENS_CSVREC_H
#define REJECTLENS_CSVREC_H

#include <stddef.h>

#define CSVREC_MAX_FIELDS 256

enum csvrec_status {
    CSVREC_DONE, /* a record is complete */
    CSVREC_MORE, /* a quoted field is open: the next line belongs to this record */
    CSVREC_BAD   /* the record breaks RFC 4180's quoting rules */
};

struct csvrec;

/* csvrec_new - a parser with no record; never fails (see xalloc.h) */
struct csvrec *csvrec_new(void);
void csvrec_free(struct csvrec *c);

/* csvrec_feed - add one line (without its newline) to the record in progress */
enum csvrec_status csvrec_feed(struct csvrec *c, const char *line, size_t len);

/* csvrec_reset - forget the record in progress (or the last complete one) */
void csvrec_reset(struct csvrec *c);

/* csvrec_count - fields of the complete record (at most CSVREC_MAX_FIELDS) */
size_t csvrec_count(const struct csvrec *c);

/* csvrec_dropped - fields of the record past CSVREC_MAX_FIELDS */
size_t csvrec_dropped(const struct csvrec *c);

/* csvrec_bytes - the bytes of all fields of the record together */
size_t csvrec_bytes(const struct csvrec *c);

/*
 * csvrec_field - field i (NUL-terminated) with its length in *len (may be NULL); "" with
 * length 0 for an index past the last field
 */
const char *csvrec_field(const struct csvrec *c, size_t i, size_t *len);

#endif
