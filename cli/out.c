/*
 * out - rows of cells to a terminal or a pipe: table, CSV, JSON, TSV (see out.h)
 *
 * DESCRIPTION
 *	One writer per format behind the same four calls. CSV, JSON and TSV stream; a table
 *	keeps up to OUT_BUFFER_ROWS rows to find its column widths, then streams with them.
 *	Every cell is escaped for its format before anything else looks at it, so widths are
 *	widths of what is shown.
 *
 * BUGS
 *	Widths count code points: a double-width character (CJK) counts as one column.
 */
#include "out.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

enum line_kind { LINE_ROW, LINE_HEADING, LINE_NOTE };

struct line {
    enum line_kind kind;
    char **cells;         /* escaped; a heading or note has one */
    unsigned char *style; /* per cell */
};

struct out {
    FILE *f;
    struct out_opts opts;
    struct out_col *cols;
    char **names; /* escaped column names (JSON keys made unique) */
    size_t ncols;
    size_t *width;
    unsigned char *hidden; /* table: columns left out to fit the terminal */
    struct line *buf;      /* table: lines not yet written */
    size_t nbuf, cap;
    int frozen; /* table: widths fixed and the header written */
    size_t rows;
    int wrote_any; /* table: something is on the screen (headings then get a blank line) */
};

/* ---------------------------------------------------------------- UTF-8 and escaping */

/*
 * utf8_next - decode one code point at s[0..n); returns its length (1..4) with *cp set, or 0
 * when the bytes are not well-formed UTF-8 (overlong forms, surrogates, beyond U+10FFFF, cut)
 */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2, c = s[0] & 0x1f, min = 0x80;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3, c = s[0] & 0x0f, min = 0x800;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/*
 * is_format - code points a terminal or an editor may act on rather than show: the C1
 * controls, zero-width and direction marks, the bidirectional embeddings, overrides and
 * isolates, the line and paragraph separators, the byte order mark
 */
static int is_format(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

/* escape - the shared walk: printable text as it is, the rest through the format's hooks */
enum esc_style { ESC_TERMINAL, ESC_TSV, ESC_JSON };

static void escape(struct strbuf *sb, const char *str, size_t n, enum esc_style how)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    while (i < n) {
        uint32_t cp;
        size_t len = utf8_next(s + i, n - i, &cp);

        if (len == 0) { /* not UTF-8: show the byte, or replace it in JSON */
            if (how == ESC_JSON)
                strbuf_puts(sb, "\\ufffd");
            else
                strbuf_printf(sb, "\\x%02x", s[i]);
            i++;
            continue;
        }
        if (cp < 0x20 || cp == 0x7f) {
            const char *named = cp == '\t' ? "\\t" : cp == '\n' ? "\\n" : cp == '\r' ? "\\r" : NULL;
            if (how == ESC_JSON && named == NULL && cp == '\b')
                named = "\\b";
            if (how == ESC_JSON && named == NULL && cp == '\f')
                named = "\\f";
            if (named != NULL)
                strbuf_puts(sb, named);
            else if (how == ESC_JSON)
                strbuf_printf(sb, "\\u%04x", (unsigned)cp);
            else
                strbuf_printf(sb, "\\x%02x", (unsigned)cp);
        } else if (is_format(cp)) {
            strbuf_printf(sb, "\\u%04x", (unsigned)cp);
        } else if (cp == '\\' && how != ESC_TERMINAL) {
            strbuf_puts(sb, "\\\\");
        } else if (cp == '"' && how == ESC_JSON) {
            strbuf_puts(sb, "\\\"");
        } else {
            strbuf_append(sb, str + i, len);
        }
        i += len;
    }
}

void out_escape_terminal(struct strbuf *sb, const char *s, size_t n)
{
    escape(sb, s, n, ESC_TERMINAL);
}

void out_escape_json(struct strbuf *sb, const char *s, size_t n)
{
    escape(sb, s, n, ESC_JSON);
}

void out_escape_tsv(struct strbuf *sb, const char *s, size_t n)
{
    escape(sb, s, n, ESC_TSV);
}

/* formula_start - a text a spreadsheet would run: = + - @, tab, CR, or their full-width forms */
static int formula_start(const char *s, size_t n)
{
    static const char *const wide[] = {"\xef\xbc\x9d", "\xef\xbc\x8b", "\xef\xbc\x8d",
                                       "\xef\xbc\xa0"};

    if (n == 0)
        return 0;
    if (strchr("=+-@\t\r", s[0]) != NULL)
        return 1;
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (n >= 3 && memcmp(s, wide[i], 3) == 0)
            return 1;
    return 0;
}

void out_escape_csv(struct strbuf *sb, const char *s, size_t n, int is_text)
{
    struct strbuf tmp = STRBUF_INIT;
    int defuse = is_text && formula_start(s, n);
    const char *t;

    escape(&tmp, s, n, ESC_TERMINAL);
    t = strbuf_str(&tmp);
    if (defuse || strpbrk(t, ",\"") != NULL ||
        (tmp.len > 0 && (t[0] == ' ' || t[tmp.len - 1] == ' '))) {
        strbuf_putc(sb, '"');
        if (defuse)
            strbuf_putc(sb, '\'');
        for (; *t; t++) {
            if (*t == '"')
                strbuf_putc(sb, '"');
            strbuf_putc(sb, *t);
        }
        strbuf_putc(sb, '"');
    } else {
        strbuf_append(sb, t, tmp.len);
    }
    strbuf_free(&tmp);
}

/* json_number - 1 when s is a number as JSON writes one (SQLite may give "Inf" or "1e999") */
static int json_number(const char *s, size_t n)
{
    size_t i = 0, d;

    if (i < n && s[i] == '-')
        i++;
    for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
        ;
    if (d == 0 || (d > 1 && s[i - d] == '0'))
        return 0;
    if (i < n && s[i] == '.') {
        for (i++, d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
            ;
        if (d == 0)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (d = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++)
            ;
        if (d == 0 || d > 3)
            return 0;
    }
    return i == n;
}

/* width - the columns a string shows in: its code points (escaped text is valid UTF-8) */
static size_t width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

/* cut - the bytes of the first w columns of s */
static size_t cut(const char *s, size_t w)
{
    size_t i = 0;

    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && w-- == 0)
            break;
    return i;
}

/* ---------------------------------------------------------------- cells */

struct out_cell out_text(const char *s)
{
    struct out_cell c = {s, s ? strlen(s) : 0, s ? OUT_TEXT : OUT_NULL, OUT_PLAIN};
    return c;
}

struct out_cell out_textn(const char *s, size_t len)
{
    struct out_cell c = {s, len, s ? OUT_TEXT : OUT_NULL, OUT_PLAIN};
    return c;
}

struct out_cell out_styled(const char *s, enum out_style style)
{
    struct out_cell c = out_text(s);
    c.style = style;
    return c;
}

struct out_cell out_int(char *buf, size_t cap, long long v)
{
    snprintf(buf, cap, "%lld", v);
    return out_num(buf);
}

struct out_cell out_num(const char *s)
{
    struct out_cell c = {s, s ? strlen(s) : 0, s ? OUT_NUMBER : OUT_NULL, OUT_PLAIN};
    return c;
}

/* ---------------------------------------------------------------- options */

int out_format_parse(const char *name, enum out_format *fmt)
{
    static const char *const names[] = {"table", "csv", "json", "tsv"};

    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *fmt = (enum out_format)i;
            return 0;
        }
    return -1;
}

void out_opts_for(FILE *f, struct out_opts *opts)
{
    const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
    int fd = fileno(f);
    struct winsize ws;

    memset(opts, 0, sizeof *opts);
    opts->fmt = OUT_TABLE;
    if (fd < 0 || !isatty(fd))
        return;
    opts->color = (nc == NULL || nc[0] == '\0') && (term == NULL || strcmp(term, "dumb") != 0);
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        opts->width = ws.ws_col;
}

/* ---------------------------------------------------------------- writers */

static const char *sgr(enum out_style st)
{
    static const char *const codes[] = {"",         "\033[1m",  "\033[2m", "\033[31m",
                                        "\033[33m", "\033[32m", "\033[36m"};
    return codes[st];
}

static void put_styled(struct out *o, const char *s, size_t n, enum out_style st)
{
    if (o->opts.color && st != OUT_PLAIN)
        fprintf(o->f, "%s%.*s\033[0m", sgr(st), (int)n, s);
    else
        fwrite(s, 1, n, o->f);
}

/* natural_widths - each shown column's widest cell, up to its limit; the total with gaps */
static size_t natural_widths(struct out *o)
{
    size_t total = 0, shown = 0;

    for (size_t c = 0; c < o->ncols; c++) {
        size_t w = width(o->names[c]);
        size_t max = o->cols[c].max > 0 ? (size_t)o->cols[c].max : OUT_DEFAULT_MAX;
        if (o->hidden[c]) {
            o->width[c] = 0;
            continue;
        }
        for (size_t r = 0; r < o->nbuf; r++)
            if (o->buf[r].kind == LINE_ROW) {
                size_t cw = width(o->buf[r].cells[c]);
                if (cw > w)
                    w = cw;
            }
        if (!o->opts.wide && w > max)
            w = max;
        o->width[c] = w;
        total += w + (shown++ > 0 ? 2 : 0);
    }
    return total;
}

/* narrow - take columns off the widest column that may be cut (not a number, none below 10)
 * until the table fits in limit; returns the total width reached */
static size_t narrow(struct out *o, size_t total, size_t limit)
{
    while (total > limit) {
        size_t widest = o->ncols;
        for (size_t c = 0; c < o->ncols; c++)
            if (!o->hidden[c] && o->cols[c].fit != OUT_FIT_KEEP && !o->cols[c].numeric &&
                (widest == o->ncols || o->width[c] > o->width[widest]))
                widest = c;
        if (widest == o->ncols || o->width[widest] <= 10)
            break;
        o->width[widest]--;
        total--;
    }
    return total;
}

/* table_fit - widths: the widest cell of each column, each column's limit, the terminal */
static void table_fit(struct out *o)
{
    size_t total = natural_widths(o);

    if (o->opts.wide || o->opts.width <= 0)
        return;
    while (narrow(o, total, (size_t)o->opts.width) > (size_t)o->opts.width) {
        /* still too wide: leave out the last column that may go, and try again with the
         * room it gave back */
        size_t c = o->ncols;
        while (c > 0 && (o->hidden[c - 1] || o->cols[c - 1].fit != OUT_FIT_DROP))
            c--;
        if (c == 0)
            break;
        o->hidden[c - 1] = 1;
        total = natural_widths(o);
    }
}

/* first_shown - 1 when column c is the first one shown (no gap before it) */
static int first_shown(const struct out *o, size_t c)
{
    for (size_t i = 0; i < c; i++)
        if (!o->hidden[i])
            return 0;
    return 1;
}

/* last_shown - 1 when no column after c is shown */
static int last_shown(const struct out *o, size_t c, size_t end)
{
    for (size_t i = c + 1; i < end; i++)
        if (!o->hidden[i])
            return 0;
    return 1;
}

#define NUMBER_BIT 0x80 /* in a line's style: the cell is a number (right-aligned) */

static void table_cell(struct out *o, size_t c, const char *s, unsigned style, int last)
{
    size_t w = width(s), n = strlen(s);
    int numeric = o->cols[c].numeric || (style & NUMBER_BIT);
    enum out_style st = (enum out_style)(style & ~NUMBER_BIT);

    if (o->hidden[c])
        return;
    if (!first_shown(o, c))
        fputs("  ", o->f);
    if (w > o->width[c] && !o->opts.wide) {
        size_t keep = o->width[c] > 3 ? o->width[c] - 3 : 0;
        put_styled(o, s, cut(s, keep), st);
        fputs(o->width[c] >= 3 ? "..." : "", o->f);
        return;
    }
    if (numeric)
        for (size_t i = w; i < o->width[c]; i++)
            fputc(' ', o->f);
    put_styled(o, s, n, st);
    if (!numeric && !last)
        for (size_t i = w; i < o->width[c]; i++)
            fputc(' ', o->f);
}

static void table_header(struct out *o)
{
    for (size_t c = 0; c < o->ncols; c++)
        table_cell(o, c, o->names[c], OUT_BOLD, last_shown(o, c, o->ncols));
    fputc('\n', o->f);
    for (size_t c = 0; c < o->ncols; c++) {
        if (o->hidden[c])
            continue;
        if (!first_shown(o, c))
            fputs("  ", o->f);
        for (size_t i = 0; i < o->width[c]; i++)
            fputc('-', o->f);
    }
    fputc('\n', o->f);
    o->wrote_any = 1;
}

static void table_line(struct out *o, const struct line *l)
{
    if (l->kind == LINE_ROW) {
        /* empty cells at the end leave no blanks behind */
        size_t last = o->ncols;
        while (last > 1 && l->cells[last - 1][0] == '\0')
            last--;
        for (size_t c = 0; c < last; c++)
            table_cell(o, c, l->cells[c], l->style[c], last_shown(o, c, last));
        fputc('\n', o->f);
        return;
    }
    const char *s = l->cells[0];
    size_t n = strlen(s), indent = l->kind == LINE_NOTE ? 4 : 0;
    if (l->kind == LINE_HEADING && o->wrote_any)
        fputc('\n', o->f);
    if (!o->opts.wide && o->opts.width > 0 && width(s) + indent > (size_t)o->opts.width)
        n = cut(s, (size_t)o->opts.width - indent > 3 ? (size_t)o->opts.width - indent - 3 : 0);
    for (size_t i = 0; i < indent; i++)
        fputc(' ', o->f);
    put_styled(o, s, n, l->kind == LINE_NOTE ? OUT_DIM : OUT_BOLD);
    fputs(n < strlen(s) ? "...\n" : "\n", o->f);
    o->wrote_any = 1;
}

static void free_line(struct line *l, size_t ncells)
{
    for (size_t i = 0; i < ncells; i++)
        free(l->cells[i]);
    free(l->cells);
    free(l->style);
}

/* table_flush - fix the widths (first time), write the buffered lines */
static void table_flush(struct out *o)
{
    int any_row = 0;

    for (size_t i = 0; i < o->nbuf; i++)
        any_row |= o->buf[i].kind == LINE_ROW;
    if (!o->frozen && any_row) {
        table_fit(o);
        o->frozen = 1;
    }
    for (size_t i = 0; i < o->nbuf; i++) {
        /* the header goes after the first heading, before the first row */
        if (o->buf[i].kind == LINE_ROW && o->frozen == 1) {
            table_header(o);
            o->frozen = 2;
        }
        table_line(o, &o->buf[i]);
        free_line(&o->buf[i], o->buf[i].kind == LINE_ROW ? o->ncols : 1);
    }
    o->nbuf = 0;
}

static void table_add(struct out *o, struct line *l)
{
    if (o->nbuf == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->buf = xreallocarray(o->buf, o->cap, sizeof *o->buf);
    }
    o->buf[o->nbuf++] = *l;
    if (o->frozen || o->nbuf >= OUT_BUFFER_ROWS)
        table_flush(o);
}

static char *escaped(const char *s, size_t n, void (*esc)(struct strbuf *, const char *, size_t))
{
    struct strbuf sb = STRBUF_INIT;

    esc(&sb, s, n);
    if (sb.buf == NULL)
        return xstrdup("");
    return strbuf_detach(&sb);
}

struct out *out_open(FILE *f, const struct out_opts *opts, const struct out_col *cols, size_t ncols)
{
    struct out *o = xcalloc(1, sizeof *o);
    struct strbuf sb = STRBUF_INIT;

    o->f = f;
    o->opts = *opts;
    o->ncols = ncols;
    o->cols = xcalloc(ncols ? ncols : 1, sizeof *o->cols);
    memcpy(o->cols, cols, ncols * sizeof *cols);
    o->names = xcalloc(ncols ? ncols : 1, sizeof *o->names);
    o->width = xcalloc(ncols ? ncols : 1, sizeof *o->width);
    o->hidden = xcalloc(ncols ? ncols : 1, 1);
    for (size_t c = 0; c < ncols; c++) {
        const char *name = cols[c].name ? cols[c].name : "";
        int dup = 0;
        for (size_t p = 0; p < c; p++)
            dup += strcmp(o->cols[p].name ? o->cols[p].name : "", name) == 0;
        strbuf_reset(&sb);
        if (opts->fmt == OUT_JSON) {
            out_escape_json(&sb, name, strlen(name));
            if (dup) /* keys of one object must differ */
                strbuf_printf(&sb, "_%d", dup + 1);
        } else if (opts->fmt == OUT_CSV) {
            out_escape_csv(&sb, name, strlen(name), 1);
        } else if (opts->fmt == OUT_TSV) {
            out_escape_tsv(&sb, name, strlen(name));
        } else {
            out_escape_terminal(&sb, name, strlen(name));
        }
        o->names[c] = xstrdup(strbuf_str(&sb));
    }
    strbuf_free(&sb);
    if (opts->fmt == OUT_CSV || opts->fmt == OUT_TSV) {
        for (size_t c = 0; c < ncols; c++)
            fprintf(f, "%s%s", c ? (opts->fmt == OUT_CSV ? "," : "\t") : "", o->names[c]);
        fputs(opts->fmt == OUT_CSV ? "\r\n" : "\n", f);
    } else if (opts->fmt == OUT_JSON) {
        fputc('[', f);
    }
    return o;
}

void out_row(struct out *o, const struct out_cell *cells)
{
    struct strbuf sb = STRBUF_INIT;

    o->rows++;
    switch (o->opts.fmt) {
    case OUT_CSV:
    case OUT_TSV:
        for (size_t c = 0; c < o->ncols; c++) {
            if (c > 0)
                strbuf_putc(&sb, o->opts.fmt == OUT_CSV ? ',' : '\t');
            if (cells[c].type == OUT_NULL)
                continue;
            if (o->opts.fmt == OUT_CSV)
                out_escape_csv(&sb, cells[c].s, cells[c].len, cells[c].type == OUT_TEXT);
            else
                out_escape_tsv(&sb, cells[c].s, cells[c].len);
        }
        strbuf_puts(&sb, o->opts.fmt == OUT_CSV ? "\r\n" : "\n");
        fwrite(strbuf_str(&sb), 1, sb.len, o->f);
        break;
    case OUT_JSON:
        strbuf_puts(&sb, o->rows > 1 ? ",\n{" : "\n{");
        for (size_t c = 0; c < o->ncols; c++) {
            strbuf_printf(&sb, "%s\"%s\":", c ? "," : "", o->names[c]);
            if (cells[c].type == OUT_NULL) {
                strbuf_puts(&sb, "null");
            } else if (cells[c].type == OUT_NUMBER && json_number(cells[c].s, cells[c].len)) {
                strbuf_append(&sb, cells[c].s, cells[c].len);
            } else {
                strbuf_putc(&sb, '"');
                out_escape_json(&sb, cells[c].s, cells[c].len);
                strbuf_putc(&sb, '"');
            }
        }
        strbuf_putc(&sb, '}');
        fwrite(strbuf_str(&sb), 1, sb.len, o->f);
        break;
    case OUT_TABLE: {
        struct line l = {LINE_ROW, xcalloc(o->ncols ? o->ncols : 1, sizeof(char *)),
                         xcalloc(o->ncols ? o->ncols : 1, 1)};
        for (size_t c = 0; c < o->ncols; c++) {
            l.cells[c] = cells[c].type == OUT_NULL
                             ? xstrdup("")
                             : escaped(cells[c].s, cells[c].len, out_escape_terminal);
            l.style[c] =
                (unsigned char)(cells[c].style | (cells[c].type == OUT_NUMBER ? NUMBER_BIT : 0));
        }
        table_add(o, &l);
        break;
    }
    }
    strbuf_free(&sb);
}

static void side_line(struct out *o, enum line_kind kind, const char *s, size_t len)
{
    if (o->opts.fmt != OUT_TABLE)
        return;
    struct line l = {kind, xcalloc(1, sizeof(char *)), xcalloc(1, 1)};
    l.cells[0] = escaped(s, len, out_escape_terminal);
    table_add(o, &l);
}

void out_heading(struct out *o, const char *s, size_t len)
{
    side_line(o, LINE_HEADING, s, len);
}

void out_note(struct out *o, const char *s, size_t len)
{
    side_line(o, LINE_NOTE, s, len);
}

size_t out_rows(const struct out *o)
{
    return o->rows;
}

int out_close(struct out *o)
{
    int rc;

    if (o == NULL)
        return 0;
    if (o->opts.fmt == OUT_TABLE)
        table_flush(o);
    else if (o->opts.fmt == OUT_JSON)
        fputs(o->rows ? "\n]\n" : "]\n", o->f);
    rc = fflush(o->f) == 0 && !ferror(o->f) ? 0 : -1;
    for (size_t c = 0; c < o->ncols; c++)
        free(o->names[c]);
    free(o->names);
    free(o->cols);
    free(o->width);
    free(o->hidden);
    free(o->buf);
    free(o);
    return rc;
}
