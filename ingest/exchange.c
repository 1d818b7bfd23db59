/*
 * exchange - Microsoft Exchange and Exchange Online logs to events
 *
 * SYNOPSIS
 *	extern const struct parser_ops exchange_parser;
 *
 * DESCRIPTION
 *	Reads the CSV logs of Exchange Server 2010-SE and the exports of Exchange Online:
 *	message tracking logs (MSGTRK, MSGTRKMA, MSGTRKMD, MSGTRKMS), SMTP Receive and Send
 *	protocol logs (RECV, SEND), Get-MessageTrace / Get-MessageTraceV2 exports and the
 *	historical search's enhanced summary CSV. See formats/exchange.md for the formats and
 *	samples/exchange/SHAPES.md for what becomes which event.
 *
 *	The column order of a file is that of its "#Fields:" header (or of a CSV header row), not
 *	a fixed list: Exchange 2010 writes 26 message tracking fields and 2013+ 30, and a header
 *	that changes mid-file is followed. Each file keeps its own header, kind and open record,
 *	keyed by the name the driver gives (ctx->source), so a nightly run that resumes a file
 *	in its middle reads it with the header it had. A file without any header is read by the
 *	shape of its rows (26 or 30 fields from a timestamp: tracking; 9 with an event mark:
 *	protocol log).
 *
 *	Records are RFC 4180 (csvrec.c, libcsv): a quoted field may hold commas, doubled quotes
 *	and line breaks, so a record may span lines; its lines are kept until the quote closes
 *	and its events carry the offset of its first line. An open record is part of the saved
 *	state, since a run may end between its lines.
 *
 *	This file owns the files, the records and the saved state; exchange_msgtrk.c,
 *	exchange_proto.c and exchange_trace.c turn rows into events.
 *
 * DIAGNOSTICS
 *	Lines that cannot be read are LINE_UNPARSED with a reason: a row whose field count is not
 *	the header's, a bad date-time, a quoted field not closed within XREC_MAX_LINES lines or
 *	XREC_MAX_BYTES bytes. Rows of other Exchange logs (connectivity, agent logs) are
 *	LINE_FOREIGN.
 *
 * BUGS
 *	A record whose quoted field never closes is dropped without a report when the next line
 *	starts a new row (a date-time first), and its first line is counted as understood. Blank
 *	lines inside a quoted field are lost (the driver does not pass blank lines on).
 */
#include "exchange_int.h"
#include "scan.h"
#include "smtp_reply.h"
#include "timeparse.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define XMAX_FILES     64
#define XMAX_MESSAGES  100000
#define XMAX_MIDS      100000
#define XREC_MAX_LINES 32
#define XREC_MAX_BYTES (1024 * 1024)

/* ------------------------------------------------------------------ column names */

static const struct {
    const char *name; /* lower case, letters and digits only */
    enum xcol col;
} col_names[] = {
    /* message tracking; Get-MessageTrackingLog's property names; the EXO extended report */
    {"datetime", XC_DATETIME},
    {"datetimeutc", XC_DATETIME},
    {"timestamp", XC_DATETIME},
    {"clientip", XC_CLIENT_IP},
    {"clienthostname", XC_CLIENT_HOST},
    {"serverip", XC_SERVER_IP},
    {"serverhostname", XC_SERVER_HOST},
    {"sourcecontext", XC_SOURCE_CONTEXT},
    {"connectorid", XC_CONNECTOR},
    {"source", XC_SOURCE},
    {"eventid", XC_EVENT_ID},
    {"internalmessageid", XC_INTERNAL_ID},
    {"messageid", XC_MESSAGE_ID},
    {"networkmessageid", XC_NETWORK_ID},
    {"recipientaddress", XC_RCPT},
    {"recipients", XC_RCPT},
    {"recipientstatus", XC_RCPT_STATUS},
    {"totalbytes", XC_TOTAL_BYTES},
    {"size", XC_TOTAL_BYTES},
    {"recipientcount", XC_RCPT_COUNT},
    {"relatedrecipientaddress", XC_RELATED},
    {"reference", XC_REFERENCE},
    {"messagesubject", XC_SUBJECT},
    {"subject", XC_SUBJECT},
    {"senderaddress", XC_SENDER},
    {"sender", XC_SENDER},
    {"returnpath", XC_RETURN_PATH},
    {"messageinfo", XC_MESSAGE_INFO},
    {"directionality", XC_DIRECTIONALITY},
    {"originalclientip", XC_ORIG_CLIENT_IP},
    {"customdata", XC_CUSTOM_DATA},
    /* protocol logs */
    {"sessionid", XC_SESSION},
    {"sequencenumber", XC_SEQUENCE},
    {"localendpoint", XC_LOCAL_EP},
    {"remoteendpoint", XC_REMOTE_EP},
    {"event", XC_EVENT},
    {"data", XC_DATA},
    {"context", XC_CONTEXT},
    /* Exchange Online message trace */
    {"received", XC_RECEIVED},
    {"status", XC_STATUS},
    {"fromip", XC_FROM_IP},
    {"toip", XC_TO_IP},
    {"messagetraceid", XC_TRACE_ID},
    {"organization", XC_ORGANIZATION},
    {"origintimestamp", XC_ORIGIN_TS},
    {"origintimestamputc", XC_ORIGIN_TS},
};

/* the field lists of header-less files, as Exchange writes them */
static const char v14_fields[] =
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
    "source,event-id,internal-message-id,message-id,recipient-address,recipient-status,"
    "total-bytes,recipient-count,related-recipient-address,reference,message-subject,"
    "sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,"
    "original-server-ip,custom-data";
static const char v15_fields[] =
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
    "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
    "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
    "message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
    "original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,"
    "schema-version";
static const char proto_fields[] = "date-time,connector-id,session-id,sequence-number,"
                                   "local-endpoint,remote-endpoint,event,data,context";

/* normalize - a column name in lower case, letters and digits only ("date_time_utc" and
 * "DateTimeUtc" alike); returns its length, cut at cap - 1 */
static size_t normalize(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;

    for (size_t i = 0; i < n && o + 1 < cap; i++)
        if (isalnum((unsigned char)p[i]))
            out[o++] = (char)tolower((unsigned char)p[i]);
    out[o] = '\0';
    return o;
}

/* col_of - the column a header name stands for, -1 when it is none of ours */
static int col_of(const char *p, size_t n)
{
    char norm[64];

    if (n >= sizeof norm)
        return -1;
    normalize(p, n, norm, sizeof norm);
    for (size_t i = 0; i < sizeof col_names / sizeof col_names[0]; i++)
        if (strcmp(norm, col_names[i].name) == 0)
            return (int)col_names[i].col;
    return -1;
}

/* columns_begin - forget a file's columns */
static void columns_begin(struct xfile *f)
{
    for (int c = 0; c < XC_COUNT; c++)
        f->col[c] = -1;
    f->ncols = 0;
    f->first[0] = '\0';
}

/* column_add - the next header name; the first of two names for one column wins */
static void column_add(struct xfile *f, const char *p, size_t n)
{
    int c = col_of(p, n);

    if (f->ncols == 0)
        normalize(p, n, f->first, sizeof f->first);
    if (c >= 0 && f->col[c] < 0)
        f->col[c] = (int)f->ncols;
    f->ncols++;
}

/* columns_from_list - columns from a comma-separated list ("#Fields:" value) */
static void columns_from_list(struct xfile *f, const char *p, size_t n)
{
    size_t i = 0;

    columns_begin(f);
    while (i <= n) {
        size_t j = i;
        while (j < n && p[j] != ',')
            j++;
        size_t s = i, e = j;
        while (s < e && p[s] == ' ')
            s++;
        while (e > s && p[e - 1] == ' ')
            e--;
        column_add(f, p + s, e - s);
        i = j + 1;
    }
}

/* kind_of_columns - what a header's columns say about the file */
static enum xkind kind_of_columns(const struct xfile *f)
{
    if (f->col[XC_ORIGIN_TS] >= 0 && f->col[XC_RCPT_STATUS] >= 0)
        return XK_SUMMARY;
    if (f->col[XC_DATETIME] >= 0 && f->col[XC_EVENT_ID] >= 0)
        return XK_MSGTRK;
    if (f->col[XC_SESSION] >= 0 && f->col[XC_EVENT] >= 0 && f->col[XC_DATA] >= 0)
        return XK_PROTO;
    if (f->col[XC_RECEIVED] >= 0 && f->col[XC_STATUS] >= 0 && f->col[XC_RCPT] >= 0)
        return XK_TRACE;
    return XK_NONE;
}

/* ------------------------------------------------------------------ files */

static void free_file(void *p)
{
    struct xfile *f = p;

    strbuf_free(&f->partial);
    free(f);
}

static struct xfile *file_new(struct exchange_state *st)
{
    struct xfile *f = xcalloc(1, sizeof *f);

    f->serial = ++st->next_serial;
    f->last_offset = -1;
    columns_begin(f);
    strbuf_init(&f->partial);
    return f;
}

/* record_drop - forget the record whose quoted field was open (its lines and their count) */
static void record_drop(struct xfile *f)
{
    strbuf_reset(&f->partial);
    f->rec_lines = 0;
}

/* file_reset - the file starts again from its first byte: nothing of it is known (a new
 * serial: the CSV parser's half-read record, if it was this file's, is no longer its) */
static void file_reset(struct exchange_state *st, struct xfile *f)
{
    f->serial = ++st->next_serial;
    f->kind = XK_NONE;
    f->csv_header = 0;
    columns_begin(f);
    record_drop(f);
}

/*
 * file_for - the file a line comes from (created when new). Offsets grow within a file: a line
 * at offset 0, or at or before the last one seen, means the file was replaced and is read from
 * its start (behind a UTF-8 BOM, the first line is at offset 3).
 */
static struct xfile *file_for(struct exchange_state *st, const struct parse_ctx *ctx,
                              int64_t offset)
{
    const char *key = ctx->source ? ctx->source : "";
    size_t klen = strlen(key);

    if (st->cur == NULL || strcmp(st->cur_key, key) != 0) {
        struct xfile *f = lru_get(st->files, key, klen);
        if (f == NULL) {
            f = file_new(st);
            lru_put(st->files, key, klen, f);
        }
        st->cur = f;
        free(st->cur_key);
        st->cur_key = xstrdup(key);
    }
    if (offset == 0 || offset <= st->cur->last_offset)
        file_reset(st, st->cur);
    st->cur->last_offset = offset;
    return st->cur;
}

/* ------------------------------------------------------------------ shared helpers */

const char *xf(const struct xrow *row, enum xcol c)
{
    int i = row->f->col[c];

    return i < 0 ? NULL : csvrec_field(row->st->csv, (size_t)i, NULL);
}

int64_t xsize(const char *s)
{
    int64_t v = 0;
    size_t i = 0;
    char *e;
    long long l;

    if (!xf_set(s))
        return -1;
    /* plain digits, the common case, without strtoll's ~200 instructions a row */
    for (; i < 18 && scan_is_digit(s[i]); i++)
        v = v * 10 + (s[i] - '0');
    if (s[i] == '\0')
        return v;
    l = strtoll(s, &e, 10); /* a sign, spaces, or too many digits: as strtoll reads them */
    return *e == '\0' && l >= 0 ? (int64_t)l : -1;
}

const char *xhost(const struct xrow *row, const char *h)
{
    return xf_set(h) ? h : row->ctx->default_host;
}

char *xcopy(const struct xrow *row, const char *p, size_t n)
{
    return arena_copy(&row->st->a, p, n);
}

const char *xstrip_angle(const struct xrow *row, const char *s)
{
    size_t n;

    if (s == NULL)
        return NULL;
    n = strlen(s);
    if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
        return xcopy(row, s + 1, n - 2);
    return s;
}

void xreply(const struct xrow *row, const char *p, size_t n, struct event *ev)
{
    struct smtp_reply r;
    char *text;

    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == ';'))
        n--;
    smtp_reply_parse(p, n, &r);
    ev->reply_code = r.code;
    if (r.status[0]) {
        ev->status = xcopy(row, r.status, strlen(r.status));
    } else if (r.code != 0 && r.text_len >= 6 && r.text[0] == (char)('0' + r.code / 100) &&
               r.text[1] == '.') {
        /* "250 2.1.5Recipient OK": Exchange sometimes glues the text to the status */
        size_t i = 0;
        while (i < r.text_len && i < 11 && (isdigit((unsigned char)r.text[i]) || r.text[i] == '.'))
            i++;
        if (i < r.text_len && isalpha((unsigned char)r.text[i]) && smtp_status_valid(r.text, i)) {
            ev->status = xcopy(row, r.text, i);
            r.text += i;
            r.text_len -= i;
        }
    }
    text = arena_alloc(&row->st->a, r.text_len);
    smtp_reply_join(&r, text);
    ev->text = text;
}

const char *xendpoint_ip(const struct xrow *row, const char *ep)
{
    size_t n;
    const char *colon;

    if (!xf_set(ep))
        return NULL;
    n = strlen(ep);
    if (ep[0] == '[') {
        const char *rb = memchr(ep, ']', n);
        return rb ? xcopy(row, ep + 1, (size_t)(rb - ep - 1)) : ep;
    }
    colon = strrchr(ep, ':');
    if (colon != NULL && memchr(ep, ':', (size_t)(colon - ep)) == NULL)
        return xcopy(row, ep, (size_t)(colon - ep)); /* "ip:port" */
    return ep;                                       /* a bare IPv6 address */
}

/* two_digits - read 1 or 2 digits at *p; -1 when there is none */
static int small_number(const char **p, int max_digits)
{
    int v = 0, d = 0;

    while (d < max_digits && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        d++;
    }
    return d ? v : -1;
}

int xtime(const char *s, int64_t *us, int *prec)
{
    struct civil_time ct;
    size_t n = strlen(s), used = ts_parse_iso(s, n, 0, &ct);

    if (used == 0) {
        /* PowerShell's culture formats: "9/5/2022 6:10:13 PM" (en-US), "05.09.2022 18:10:13" */
        const char *p = s;
        int a, b, y, h, mi, se;
        char sep;
        memset(&ct, 0, sizeof ct);
        if ((a = small_number(&p, 2)) < 0 || (*p != '/' && *p != '.'))
            return -1;
        sep = *p++;
        if ((b = small_number(&p, 2)) < 0 || *p++ != sep || (y = small_number(&p, 4)) < 1000 ||
            *p++ != ' ' || (h = small_number(&p, 2)) < 0 || *p++ != ':' ||
            (mi = small_number(&p, 2)) < 0 || *p++ != ':' || (se = small_number(&p, 2)) < 0)
            return -1;
        if (*p == '.') /* fraction */
            while (isdigit((unsigned char)*++p))
                ;
        if (sep == '/' && a <= 12) { /* month first unless it cannot be */
            ct.month = a;
            ct.day = b;
        } else {
            ct.day = a;
            ct.month = b;
        }
        while (*p == ' ')
            p++;
        if (strncasecmp(p, "PM", 2) == 0 && h < 12)
            h += 12;
        else if (strncasecmp(p, "AM", 2) == 0 && h == 12)
            h = 0;
        ct.year = y;
        ct.hour = h;
        ct.min = mi;
        ct.sec = se;
        if (ct.month < 1 || ct.month > 12 || ct.day < 1 || h > 23 || mi > 59 || se > 60)
            return -1;
    }
    if (!ct.has_zone) { /* these logs write UTC */
        ct.has_zone = 1;
        ct.utc_offset = 0;
    }
    if (civil_to_utc_us(&ct, NULL, NULL, us) < 0)
        return -1;
    *prec = ct.prec;
    return 0;
}

/* ------------------------------------------------------------------ headers */

/* header_line - a "#..." line outside a record; always understood */
static enum line_result header_line(struct exchange_state *st, struct xfile *f, const char *p,
                                    size_t n)
{
    static const struct {
        const char *text;
        enum xkind kind;
    } log_types[] = {
        {"Message Tracking Log", XK_MSGTRK},
        {"SMTP Receive Protocol Log", XK_RECV},
        {"SMTP Send Protocol Log", XK_SEND},
    };

    if (scan_prefix(p, n, "#Software:")) {
        f->kind = XK_NONE; /* a new header block: its #Log-type and #Fields follow */
        f->csv_header = 0;
        columns_begin(f);
    } else if (scan_prefix(p, n, "#Log-type:") || scan_prefix(p, n, "#Log-Type:")) {
        const char *v = p + 10;
        size_t vl = n - 10;
        while (vl > 0 && *v == ' ')
            v++, vl--;
        while (vl > 0 && v[vl - 1] == ' ')
            vl--;
        f->kind = XK_FOREIGN;
        for (size_t i = 0; i < sizeof log_types / sizeof log_types[0]; i++)
            if (vl == strlen(log_types[i].text) && strncasecmp(v, log_types[i].text, vl) == 0)
                f->kind = log_types[i].kind;
    } else if (scan_prefix(p, n, "#Fields:")) {
        columns_from_list(f, p + 8, n - 8);
        f->csv_header = 0;
        if (f->kind == XK_NONE)
            f->kind = kind_of_columns(f);
    } else if (scan_prefix(p, n, "#TYPE ")) {
        file_reset(st, f); /* PowerShell's Export-Csv: a header row follows */
    }
    return LINE_INFO; /* #Version, #Date, comments */
}

/* csv_header - the record is a header row naming known columns: take it; 1 when taken */
static int csv_header(struct exchange_state *st, struct xfile *f)
{
    struct xfile probe;
    size_t n = csvrec_count(st->csv), known = 0;
    enum xkind kind;

    if (n < 3)
        return 0;
    columns_begin(&probe);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *name = csvrec_field(st->csv, i, &len);
        known += col_of(name, len) >= 0;
        column_add(&probe, name, len);
    }
    if (known < 3 || (kind = kind_of_columns(&probe)) == XK_NONE)
        return 0;
    memcpy(f->col, probe.col, sizeof f->col);
    f->ncols = probe.ncols;
    memcpy(f->first, probe.first, sizeof f->first);
    f->kind = kind;
    f->csv_header = 1;
    return 1;
}

/* starts_with_datetime - "YYYY-MM-DDTHH:MM:SS" at the start of p (a tracking or protocol row) */
static int starts_with_datetime(const char *p, size_t n)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";

    if (n < sizeof shape - 1)
        return 0;
    for (size_t i = 0; i < sizeof shape - 1; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)p[i]) : p[i] != shape[i])
            return 0;
    return 1;
}

/* guess_headerless - a file without header: its rows' shape tells; 1 when it does */
static int guess_headerless(struct exchange_state *st, struct xfile *f)
{
    size_t n = csvrec_count(st->csv), len;
    const char *first = csvrec_field(st->csv, 0, &len);

    if (!starts_with_datetime(first, len))
        return 0;
    if (n == 26 || n == 30) {
        columns_from_list(f, n == 26 ? v14_fields : v15_fields,
                          strlen(n == 26 ? v14_fields : v15_fields));
        f->kind = XK_MSGTRK;
        return 1;
    }
    const char *ev = csvrec_field(st->csv, 6, &len);
    if (n == 9 && len == 1 && strchr("+-<>*", ev[0]) != NULL) {
        columns_from_list(f, proto_fields, strlen(proto_fields));
        f->kind = XK_PROTO;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------ records */

static enum line_result record(struct exchange_state *st, struct parse_ctx *ctx, struct xfile *f,
                               int64_t offset)
{
    struct xrow row = {st, ctx, f, offset};
    size_t n = csvrec_count(st->csv), len;

    if (f->kind == XK_NONE || f->csv_header) {
        const char *first = csvrec_field(st->csv, 0, &len);
        char norm[32];
        normalize(first, len, norm, sizeof norm);
        if ((f->kind == XK_NONE || strcmp(norm, f->first) == 0) && csv_header(st, f))
            return LINE_INFO;
    }
    if (f->kind == XK_NONE && !guess_headerless(st, f)) {
        ctx->why = "no #Fields header, and not a row of a known shape";
        return LINE_UNPARSED;
    }
    if (f->kind == XK_FOREIGN)
        return LINE_FOREIGN;
    if (n != f->ncols || csvrec_dropped(st->csv) > 0) {
        ctx->why = "field count differs from the header's";
        return LINE_UNPARSED;
    }
    arena_begin(&st->a, 3 * csvrec_bytes(st->csv) + 4096 +
                            (ctx->default_host ? strlen(ctx->default_host) : 0));
    switch (f->kind) {
    case XK_MSGTRK:
        return xmsgtrk_record(&row);
    case XK_RECV:
    case XK_SEND:
        return xproto_record(&row, f->kind);
    case XK_PROTO: {
        /* receive connectors are named "SERVER\Name", send connectors are not [unverified] */
        const char *conn = xf(&row, XC_CONNECTOR);
        return xproto_record(&row, conn && strchr(conn, '\\') ? XK_RECV : XK_SEND);
    }
    case XK_TRACE:
        return xtrace_record(&row);
    case XK_SUMMARY:
        return xsummary_record(&row);
    default:
        ctx->why = "unknown log kind";
        return LINE_UNPARSED;
    }
}

/* csv_serve - make the CSV parser hold f's open record (it may hold another file's) */
static void csv_serve(struct exchange_state *st, struct xfile *f)
{
    if (st->csv_serial == f->serial)
        return;
    csvrec_reset(st->csv);
    st->csv_serial = f->serial;
    /* replay the open record's lines */
    const char *p = f->partial.buf, *end = p + f->partial.len;
    while (p != NULL && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break;
        csvrec_feed(st->csv, p, (size_t)(nl - p));
        p = nl + 1;
    }
}

static enum line_result exchange_parse_line(void *state, struct parse_ctx *ctx,
                                            const struct log_line *ln)
{
    struct exchange_state *st = state;
    struct xfile *f = file_for(st, ctx, ln->offset);
    const char *p = ln->text;
    size_t n = ln->len;
    int64_t offset = ln->offset;

    if (f->partial.len > 0) {
        /* inside a quoted field that spans lines - unless this line plainly starts a new row */
        if ((f->kind == XK_MSGTRK || f->kind == XK_RECV || f->kind == XK_SEND ||
             f->kind == XK_PROTO) &&
            starts_with_datetime(p, n)) {
            record_drop(f);
            csvrec_reset(st->csv);
        } else {
            enum csvrec_status cs;
            csv_serve(st, f);
            if ((cs = csvrec_feed(st->csv, p, n)) == CSVREC_BAD) {
                record_drop(f);
                ctx->why = "broken CSV quoting (RFC 4180)";
                return LINE_UNPARSED;
            }
            if (cs == CSVREC_MORE) {
                if (++f->rec_lines > XREC_MAX_LINES || f->partial.len + n > XREC_MAX_BYTES) {
                    record_drop(f);
                    csvrec_reset(st->csv);
                    ctx->why = "quoted field not closed within 32 lines";
                    return LINE_UNPARSED;
                }
                strbuf_append(&f->partial, p, n);
                strbuf_putc(&f->partial, '\n');
                return LINE_INFO;
            }
            offset = f->rec_offset;
            record_drop(f);
            return record(st, ctx, f, offset);
        }
    }
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) /* a BOM the reader did not see */
        p += 3, n -= 3;
    if (n > 0 && p[0] == '#')
        return header_line(st, f, p, n);
    if (st->csv_serial != f->serial) {
        csvrec_reset(st->csv);
        st->csv_serial = f->serial;
    }
    switch (csvrec_feed(st->csv, p, n)) {
    case CSVREC_BAD:
        ctx->why = "broken CSV quoting (RFC 4180)";
        return LINE_UNPARSED;
    case CSVREC_MORE:
        strbuf_append(&f->partial, p, n);
        strbuf_putc(&f->partial, '\n');
        f->rec_offset = offset;
        f->rec_lines = 1;
        return LINE_INFO;
    case CSVREC_DONE:
        break;
    }
    return record(st, ctx, f, offset);
}

/* ------------------------------------------------------------------ detection */

/*
 * trace_row - a row of a message trace export: every field quoted, an address, a date
 * ("2026-01-05T08:00:56.354" or "1/5/2026 8:10:36 AM"). A run that resumes such a file
 * mid-way sees no header, and must still know the file.
 */
static int trace_row(const char *p, size_t n)
{
    size_t quoted_commas = 0;
    int date = 0;

    if (n < 20 || p[0] != '"' || p[n - 1] != '"' || memchr(p, '@', n) == NULL)
        return 0;
    for (size_t i = 0; i + 2 < n; i++) {
        if (p[i] == '"' && p[i + 1] == ',' && p[i + 2] == '"') {
            quoted_commas++;
            const char *f = p + i + 3;
            size_t rest = n - i - 3;
            if (starts_with_datetime(f, rest))
                date = 1;
            size_t k = 0;
            while (k < rest && k < 2 && isdigit((unsigned char)f[k]))
                k++;
            if (k > 0 && k < rest && f[k] == '/' && memchr(f, ' ', rest < 12 ? rest : 12))
                date = 1;
        }
    }
    return quoted_commas >= 8 && date;
}

/* exchange_sniff - header lines, rows that start "YYYY-MM-DDTHH:MM:SS[.f]Z,", trace headers */
static int exchange_sniff(const char *line, size_t len)
{
    static const char *const prefixes[] = {
        "#Software: Microsoft Exchange",
        "#Log-type: Message Tracking Log",
        "#Log-type: SMTP Receive Protocol Log",
        "#Log-type: SMTP Send Protocol Log",
        "#Fields: date-time,",
    };
    const char *p = line;
    size_t n = len, i;

    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3, n -= 3;
    for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        if (scan_prefix(p, n, prefixes[i]))
            return 1;
    if (scan_prefix(p, n, "#TYPE ") &&
        (scan_find(p, n, "MessageTrace") || scan_find(p, n, "Exchange")))
        return 1;
    if (starts_with_datetime(p, n)) {
        i = 19;
        if (i < n && p[i] == '.')
            while (++i < n && isdigit((unsigned char)p[i]))
                ;
        return i + 1 < n && p[i] == 'Z' && p[i + 1] == ',';
    }
    /* a trace export's header row, or one of its rows */
    if (scan_find(p, n, "origin_timestamp") != NULL || scan_find(p, n, "date_time_utc") != NULL ||
        trace_row(p, n))
        return 1;
    return scan_find(p, n, "Received") != NULL && scan_find(p, n, "SenderAddress") != NULL &&
           scan_find(p, n, "RecipientAddress") != NULL && scan_find(p, n, "Status") != NULL;
}

/* ------------------------------------------------------------------ life cycle */

static void free_string(void *p)
{
    free(p);
}

static void *exchange_create(void)
{
    struct exchange_state *st = xcalloc(1, sizeof *st);

    st->csv = csvrec_new();
    st->files = lru_new(XMAX_FILES, free_file);
    st->msgs = lru_new(XMAX_MESSAGES, xmsg_free);
    st->mids = lru_new(XMAX_MIDS, free_string);
    st->sessions = xproto_sessions_new();
    return st;
}

static void exchange_destroy(void *state)
{
    struct exchange_state *st = state;

    if (st == NULL)
        return;
    csvrec_free(st->csv);
    lru_free(st->files);
    lru_free(st->msgs);
    lru_free(st->mids);
    lru_free(st->sessions);
    free(st->cur_key);
    arena_free(&st->a);
    free(st);
}

/* exchange_flush - the input ended: held protocol-log verdicts are final. Open records stay:
 * their file may grow before the next run. */
static int exchange_flush(void *state, struct parse_ctx *ctx)
{
    return xproto_flush(state, ctx);
}

/* ------------------------------------------------------------------ saved state */

/*
 * The state is a list of records, each a letter and fields; a field is "len:bytes" or "-" for
 * none, numbers are written as decimal strings:
 *   F key kind csv_header ncols first col[0..XC_COUNT) rec_offset rec_lines last_offset
 *     partial                                (a file)
 *   M ... (a message, exchange_msgtrk.c)     I mid internal-id (a Message-ID's message)
 *   S ... (a protocol log session, exchange_proto.c)
 * Unknown or broken input ends the loading; what was read before stays.
 */
struct save_arg {
    struct strbuf *out;
    struct exchange_state *st;
};

static int save_file(void *arg, const char *key, size_t klen, void *value)
{
    struct strbuf *out = arg;
    struct xfile *f = value;

    strbuf_putc(out, 'F');
    statepack_put(out, key, klen);
    statepack_put_int(out, f->kind);
    statepack_put_int(out, f->csv_header);
    statepack_put_int(out, (int64_t)f->ncols);
    statepack_put_str(out, f->first);
    for (int c = 0; c < XC_COUNT; c++)
        statepack_put_int(out, f->col[c]);
    statepack_put_int(out, f->rec_offset);
    statepack_put_int(out, f->rec_lines);
    statepack_put_int(out, f->last_offset);
    statepack_put(out, f->partial.len ? f->partial.buf : "", f->partial.len);
    return 0;
}

static int save_mid(void *arg, const char *key, size_t klen, void *value)
{
    struct strbuf *out = arg;

    strbuf_putc(out, 'I');
    statepack_put(out, key, klen);
    statepack_put_str(out, value);
    return 0;
}

static void exchange_save_state(void *state, struct strbuf *out)
{
    struct exchange_state *st = state;

    lru_foreach(st->files, save_file, out);
    xmsgtrk_save(st, out);
    lru_foreach(st->mids, save_mid, out);
    xproto_save(st, out);
}

/* load_file - one "F" record; 1 ok, 0 broken */
static int load_file(struct exchange_state *st, const char **pp, const char *end)
{
    char *key = NULL, *first = NULL, *partial = NULL;
    size_t plen = 0;
    int64_t kind, csvh, ncols, col, off, lines, last;
    struct xfile *f = file_new(st);
    int ok = 0;

    if (!statepack_get_str(pp, end, &key) || key == NULL || !statepack_get_int(pp, end, &kind) ||
        !statepack_get_int(pp, end, &csvh) || !statepack_get_int(pp, end, &ncols) ||
        !statepack_get_str(pp, end, &first))
        goto out;
    for (int c = 0; c < XC_COUNT; c++) {
        if (!statepack_get_int(pp, end, &col) || col < -1 || col >= CSVREC_MAX_FIELDS)
            goto out;
        f->col[c] = (int)col;
    }
    if (!statepack_get_int(pp, end, &off) || !statepack_get_int(pp, end, &lines) ||
        !statepack_get_int(pp, end, &last) || !statepack_get_dup(pp, end, &partial, &plen) ||
        kind < XK_NONE || kind >= XK_COUNT || ncols < 0 || ncols > CSVREC_MAX_FIELDS)
        goto out;
    f->kind = (enum xkind)kind;
    f->csv_header = csvh != 0;
    f->ncols = (size_t)ncols;
    snprintf(f->first, sizeof f->first, "%s", first ? first : "");
    f->rec_offset = off;
    f->last_offset = last;
    f->rec_lines = (int)(lines > 0 && lines <= XREC_MAX_LINES ? lines : 0);
    if (partial != NULL && f->rec_lines > 0)
        strbuf_append(&f->partial, partial, plen);
    lru_put(st->files, key, strlen(key), f);
    f = NULL;
    ok = 1;
out:
    if (f != NULL)
        free_file(f);
    free(key);
    free(first);
    free(partial);
    return ok;
}

static void exchange_load_state(void *state, const char *data, size_t len)
{
    struct exchange_state *st = state;
    const char *p = data, *end = data + len;
    int ok = 1;

    while (ok && p < end) {
        char tag = *p++;
        if (tag == 'F') {
            ok = load_file(st, &p, end);
        } else if (tag == 'M') {
            ok = xmsgtrk_load_one(st, &p, end);
        } else if (tag == 'I') {
            char *mid = NULL, *iid = NULL;
            ok = statepack_get_str(&p, end, &mid) && statepack_get_str(&p, end, &iid) && mid && iid;
            if (ok) {
                lru_put(st->mids, mid, strlen(mid), iid);
                iid = NULL;
            }
            free(mid);
            free(iid);
        } else if (tag == 'S') {
            ok = xproto_load_one(st, &p, end);
        } else {
            ok = 0;
        }
    }
    st->cur = NULL; /* the files were replaced: look them up again */
    st->csv_serial = 0;
}

const struct parser_ops exchange_parser = {
    .name = "exchange",
    .sniff = exchange_sniff,
    .create = exchange_create,
    .destroy = exchange_destroy,
    .parse_line = exchange_parse_line,
    .flush = exchange_flush,
    .save_state = exchange_save_state,
    .load_state = exchange_load_state,
};
