/*
 * csvrec - RFC 4180 records fed one line at a time (see csvrec.h)
 *
 * DESCRIPTION
 *	libcsv does the quoting (doubled quotes, separators and line breaks inside quotes); this
 *	file adapts it to a line-at-a-time reader: each line is fed followed by '\n', and a
 *	record is complete when libcsv reports its end. Fields that hold no quote need no
 *	unquoting: a line without a quote, and the fields before the first quoted one and after
 *	the last, are split at their commas here (split_plain, feed_around_quotes), which is what
 *	libcsv makes of them, a byte at a time. libcsv allocates through xrealloc, so it never
 *	fails for want of memory; callers bound the size of a record by the lines they feed.
 *
 *	Why a library and not a splitter of our own: Exchange quotes a field when it holds a comma
 *	or a quote (source-context, reply texts, subjects) and may hold a line break in a subject;
 *	libcsv (packaged by Debian, used since 2007) gets the corner cases of RFC 4180 right, and
 *	its incremental interface is exactly what a record that spans lines needs.
 */
#include "csvrec.h"
#include "strbuf.h"
#include "xalloc.h"

#include <csv.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

struct csvrec {
    struct csv_parser p;
    struct strbuf data; /* the fields, each followed by a NUL */
    size_t off[CSVREC_MAX_FIELDS], len[CSVREC_MAX_FIELDS];
    size_t n, dropped, bytes;
    int done;  /* libcsv said the record ended */
    int fresh; /* the next feed starts a new record */
};

/* keep_span - the field at data.buf[off..off+len), in place and NUL-terminated */
static void keep_span(struct csvrec *c, size_t off, size_t len)
{
    if (c->n == CSVREC_MAX_FIELDS) {
        c->dropped++;
        return;
    }
    c->off[c->n] = off;
    c->len[c->n] = len;
    c->bytes += len;
    c->n++;
}

/* keep_field - one field of the record, copied */
static void keep_field(struct csvrec *c, const char *s, size_t len)
{
    struct strbuf *d = &c->data;
    size_t off = d->len;

    if (s == NULL) /* libcsv's empty field */
        len = 0;
    /* the field and its NUL in one reservation: a record has dozens of fields */
    strbuf_reserve(d, len + 1);
    if (len > 0)
        memcpy(d->buf + off, s, len);
    d->len += len + 1;
    d->buf[d->len - 1] = '\0';
    d->buf[d->len] = '\0'; /* the strbuf's own terminator */
    keep_span(c, off, len);
}

/* on_field - libcsv: one field is complete */
static void on_field(void *s, size_t len, void *arg)
{
    keep_field(arg, s, len);
}

/*
 * plain_fields - the fields of s[0..n), which holds no quote and is at least one field. The
 * fields and their NULs take n + 1 bytes, as s and a NUL do: s is copied once, and each comma
 * becomes the NUL of the field before it. Sixteen bytes are searched for commas at a time: a
 * search (memchr) and a copy per field were a third of reading an Exchange log.
 */
static void plain_fields(struct csvrec *c, const char *s, size_t n)
{
    struct strbuf *d = &c->data;
    size_t base = d->len, start = 0, i = 0;
    char *b;

    strbuf_reserve(d, n + 1);
    b = d->buf + base;
    memcpy(b, s, n);
    b[n] = '\0';
    d->len += n + 1;
    d->buf[d->len] = '\0'; /* the strbuf's own terminator */
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(',');
    for (; n - i >= 16; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, comma));
        for (; m != 0; m &= m - 1) {
            size_t at = i + (size_t)__builtin_ctz(m);
            b[at] = '\0';
            keep_span(c, base + start, at - start);
            start = at + 1;
        }
    }
#endif
    for (; i < n; i++)
        if (b[i] == ',') {
            b[i] = '\0';
            keep_span(c, base + start, i - start);
            start = i + 1;
        }
    keep_span(c, base + start, n - start);
}

/*
 * split_plain - the fields of a record that is one line without a quote: what lies between
 * its commas, every byte kept, as libcsv finds them (an empty line is no record, no field).
 * libcsv reads a byte at a time through two callbacks and copies each field twice: that was
 * two thirds of reading an Exchange log, where most lines quote nothing. test_csvrec compares
 * the two on such lines.
 */
static void split_plain(struct csvrec *c, const char *line, size_t len)
{
    if (len > 0)
        plain_fields(c, line, len);
}

/* on_record - libcsv: the record ended */
static void on_record(int ch, void *arg)
{
    struct csvrec *c = arg;

    (void)ch;
    c->done = 1;
}

/* keep every byte of an unquoted field: libcsv would trim spaces and tabs */
static int no_space(unsigned char ch)
{
    (void)ch;
    return 0;
}

static int is_newline(unsigned char ch)
{
    return ch == '\n';
}

static void *csv_realloc(void *p, size_t n)
{
    return xrealloc(p, n);
}

struct csvrec *csvrec_new(void)
{
    struct csvrec *c = xcalloc(1, sizeof *c);

    if (csv_init(&c->p, CSV_STRICT) != 0)
        abort(); /* only fails for a NULL parser */
    csv_set_space_func(&c->p, no_space);
    csv_set_realloc_func(&c->p, csv_realloc);
    csv_set_free_func(&c->p, free);
    strbuf_init(&c->data);
    c->fresh = 1;
    return c;
}

void csvrec_free(struct csvrec *c)
{
    if (c == NULL)
        return;
    csv_free(&c->p);
    strbuf_free(&c->data);
    free(c);
}

void csvrec_reset(struct csvrec *c)
{
    csv_fini(&c->p, NULL, NULL, NULL); /* drops what is half-parsed */
    strbuf_reset(&c->data);
    c->n = c->dropped = c->bytes = 0;
    c->done = 0;
    c->fresh = 1;
}

/* feed_libcsv - s[0..n) and a newline through libcsv, into the record in progress */
static enum csvrec_status feed_libcsv(struct csvrec *c, const char *s, size_t n)
{
    c->done = 0;
    /*
     * Only '\n' ends a record (is_newline). On a line without a CR, libcsv's own test (CR or
     * LF) is the same, and spares a call for every byte; the '\n' is the one fed below.
     */
    csv_set_term_func(&c->p, memchr(s, '\r', n) != NULL ? is_newline : NULL);
    /* libcsv stops early only on a quoting error (memory cannot run out: xrealloc) */
    if (csv_parse(&c->p, s, n, on_field, on_record, c) != n ||
        csv_parse(&c->p, "\n", 1, on_field, on_record, c) != 1) {
        csvrec_reset(c);
        return CSVREC_BAD;
    }
    if (!c->done && c->p.pstate != 0)
        return CSVREC_MORE; /* the newline went into a quoted field */
    c->fresh = 1;
    return CSVREC_DONE;
}

/*
 * feed_around_quotes - a line that starts a record and holds a quote, q the first: libcsv
 * reads only from the start of q's field to the last quote, plain_fields the fields before and
 * after, which hold none. Where a comma (or the line's end) follows the last quote and libcsv
 * has closed the field there, the newline fed after it ended the field as that comma would: the
 * same record as libcsv makes of the whole line. Where the field is still open (it goes on to
 * the next line), the line is read again whole. Exchange quotes a field or two of a long line
 * (source-context, a reply text, a subject): a SEND line quotes 145 of its 526 bytes, and
 * libcsv's byte at a time over the whole line was half of reading the log. The status, or -1
 * (nothing kept) when the line needs libcsv whole.
 */
static int feed_around_quotes(struct csvrec *c, const char *line, size_t len, const char *q)
{
    const char *end = line + len, *last = q, *from = q, *p = q + 1;
    enum csvrec_status st;

    while (p < end && (p = memchr(p, '"', (size_t)(end - p))) != NULL)
        last = p++;
    if (last + 1 < end && last[1] != ',')
        return -1;
    while (from > line && from[-1] != ',')
        from--;
    if (from > line)
        plain_fields(c, line, (size_t)(from - 1 - line));
    st = feed_libcsv(c, from, (size_t)(last + 1 - from));
    if (st == CSVREC_MORE) {
        csvrec_reset(c);
        c->fresh = 0;
        return -1;
    }
    if (st == CSVREC_DONE && last + 1 < end)
        plain_fields(c, last + 2, (size_t)(end - last - 2));
    return (int)st;
}

enum csvrec_status csvrec_feed(struct csvrec *c, const char *line, size_t len)
{
    const char *q;
    int st;

    if (c->fresh) {
        strbuf_reset(&c->data);
        c->n = c->dropped = c->bytes = 0;
        if ((q = memchr(line, '"', len)) == NULL) { /* nothing for libcsv to unquote */
            split_plain(c, line, len);
            return CSVREC_DONE;
        }
        c->fresh = 0;
        if ((st = feed_around_quotes(c, line, len, q)) >= 0)
            return (enum csvrec_status)st;
    }
    return feed_libcsv(c, line, len);
}

size_t csvrec_count(const struct csvrec *c)
{
    return c->n;
}

size_t csvrec_dropped(const struct csvrec *c)
{
    return c->dropped;
}

size_t csvrec_bytes(const struct csvrec *c)
{
    return c->bytes;
}

const char *csvrec_field(const struct csvrec *c, size_t i, size_t *len)
{
    if (i >= c->n) {
        if (len != NULL)
            *len = 0;
        return "";
    }
    if (len != NULL)
        *len = c->len[i];
    return c->data.buf + c->off[i];
}
