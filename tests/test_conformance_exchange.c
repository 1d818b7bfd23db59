/*
 * test_conformance_exchange - every line of the real-world Exchange corpus (../shared/corpus)
 *
 * Each file is read through the reader (BOM, UTF-16) and fed to the Exchange parser. An
 * independent oracle - fields split with a POSIX regular expression, its own reading of the
 * "#Fields:" headers and of header-less rows, its own event table - says which lines must
 * yield which events (kind, direction, stage, sender, recipient, code, status); the parser's
 * events, grouped by the line their offset points to, must agree. Lines the parser cannot read
 * are listed on stdout and must be exactly the lines the oracle does not take for Exchange log
 * lines. Skipped when the corpus folder is absent.
 */
#include "event.h"
#include "parser.h"
#include "reader.h"
#include "testutil.h"

#include <dirent.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern const struct parser_ops exchange_parser;

#define MAX_LINES  4096
#define MAX_GOT    256
#define MAX_FIELDS 64

struct one {
    long long offset;
    int taken;
    char kind[16], direction[16], stage[16], sender[256], recipient[256], status[16];
    int code;
};

static struct one got[MAX_GOT], want[MAX_GOT];
static int ngot, nwant, failures;
static regex_t re_field, re_iso, re_reply;

static void put(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static int capture(void *ctx, const struct event *ev)
{
    (void)ctx;
    if (ngot < MAX_GOT) {
        struct one *g = &got[ngot];
        memset(g, 0, sizeof *g);
        g->offset = ev->offset;
        put(g->kind, sizeof g->kind, event_kind_name(ev->kind));
        put(g->direction, sizeof g->direction, event_direction_name(ev->direction));
        put(g->stage, sizeof g->stage, smtp_stage_name(ev->stage));
        put(g->sender, sizeof g->sender, ev->sender);
        put(g->recipient, sizeof g->recipient, ev->recipient);
        put(g->status, sizeof g->status, ev->status);
        g->code = ev->reply_code;
    }
    ngot++;
    return 0;
}

/* ------------------------------------------------------------ the oracle */

static void compile(regex_t *re, const char *pattern)
{
    ck_assert_msg(regcomp(re, pattern, REG_EXTENDED) == 0, "bad oracle pattern %s", pattern);
}

/* split - CSV fields by regex: a quoted field ("" inside) or a run without comma */
static int split(const char *line, char fields[][2048], int max)
{
    regmatch_t m[2];
    const char *p = line;
    int n = 0;

    for (;;) {
        if (n == max || regexec(&re_field, p, 2, m, 0) != 0 || m[0].rm_so != 0)
            return -1;
        const char *f = p + m[1].rm_so;
        int len = (int)(m[1].rm_eo - m[1].rm_so);
        char *o = fields[n++];
        if (len >= 2 && f[0] == '"') { /* unquote */
            int k = 0;
            for (int i = 1; i < len - 1 && k < 2047; i++) {
                o[k++] = f[i];
                if (f[i] == '"')
                    i++;
            }
            o[k] = '\0';
        } else {
            snprintf(o, 2048, "%.*s", len, f);
        }
        p += m[0].rm_eo;
        if (p[-1] != ',')
            return n;     /* the last field */
        if (*p == '\0') { /* a trailing comma: one more, empty field */
            fields[n++][0] = '\0';
            return n;
        }
    }
}

struct file_view {
    char names[MAX_FIELDS][64];
    int ncols;
    int kind; /* 0 none, 1 tracking, 2 receive, 3 send, 4 protocol of unknown side */
};

static int col(const struct file_view *v, const char *name)
{
    for (int i = 0; i < v->ncols; i++)
        if (strcmp(v->names[i], name) == 0)
            return i;
    return -1;
}

static void set_columns(struct file_view *v, const char *list)
{
    char copy[4096], *save = NULL;

    snprintf(copy, sizeof copy, "%s", list);
    v->ncols = 0;
    for (char *t = strtok_r(copy, ",", &save); t && v->ncols < MAX_FIELDS;
         t = strtok_r(NULL, ",", &save))
        snprintf(v->names[v->ncols++], sizeof v->names[0], "%s", t);
}

static const char V14[] =
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
    "source,event-id,internal-message-id,message-id,recipient-address,recipient-status,"
    "total-bytes,recipient-count,related-recipient-address,reference,message-subject,"
    "sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,"
    "original-server-ip,custom-data";
static const char V15[] =
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
    "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
    "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,"
    "message-subject,sender-address,return-path,message-info,directionality,tenant-id,"
    "original-client-ip,original-server-ip,custom-data,transport-traffic-type,log-id,"
    "schema-version";
static const char PROTO[] = "date-time,connector-id,session-id,sequence-number,"
                            "local-endpoint,remote-endpoint,event,data,context";

static void expect(long long offset, const char *kind, const char *direction, const char *stage,
                   const char *sender, const char *recipient, const char *reply)
{
    struct one *w;
    regmatch_t m[3];

    if (nwant == MAX_GOT)
        return;
    w = &want[nwant++];
    memset(w, 0, sizeof *w);
    w->offset = offset;
    put(w->kind, sizeof w->kind, kind);
    put(w->direction, sizeof w->direction, direction);
    put(w->stage, sizeof w->stage, stage);
    put(w->sender, sizeof w->sender, sender);
    put(w->recipient, sizeof w->recipient, recipient);
    if (reply != NULL && regexec(&re_reply, reply, 3, m, 0) == 0) {
        w->code = atoi(reply + m[1].rm_so);
        snprintf(w->status, sizeof w->status, "%.*s", (int)(m[2].rm_eo - m[2].rm_so),
                 reply + m[2].rm_so);
    }
}

/* sessions of a protocol log with an AUTH failure note still waiting for its 535 */
static struct {
    char sid[40];
    long long offset;
    int pending;
} auth[64];
static int nauth;

/* oracle_row - what a data row must yield; 0 when the row is no Exchange row */
static int oracle_row(struct file_view *v, const char *line, long long offset)
{
    static char f[MAX_FIELDS][2048];
    int n = split(line, f, MAX_FIELDS);

    if (n < 0 || regexec(&re_iso, f[0], 0, NULL, 0) != 0)
        return 0;
    if (v->ncols == 0) { /* no header: the shape of the row */
        if (n == 26 || n == 30) {
            set_columns(v, n == 26 ? V14 : V15);
            v->kind = 1;
        } else if (n == 9 && strlen(f[6]) == 1 && strchr("+-<>*", f[6][0])) {
            set_columns(v, PROTO);
            v->kind = 4;
        } else {
            return 0;
        }
    }
    if (n != v->ncols)
        return 0;
    if (v->kind == 1) {
        const char *id = f[col(v, "event-id")], *d = f[col(v, "directionality")];
        const char *dir = strcmp(d, "Incoming") == 0 ? "inbound" : "outbound";
        const char *rp = f[col(v, "return-path")];
        const char *sender = strcmp(rp, "<>") == 0 ? "" : rp;
        const char *kind = strcmp(id, "FAIL") == 0           ? "bounce"
                           : strcmp(id, "DEFER") == 0        ? "defer"
                           : strcmp(id, "DROP") == 0         ? "discard"
                           : strcmp(id, "DELIVER") == 0      ? "deliver"
                           : strcmp(id, "SEND") == 0         ? "deliver"
                           : strcmp(id, "SENDEXTERNAL") == 0 ? "deliver"
                                                             : NULL;
        if (kind != NULL) {
            char rcpts[2048], *save = NULL;
            snprintf(rcpts, sizeof rcpts, "%s", f[col(v, "recipient-address")]);
            for (char *r = strtok_r(rcpts, ";", &save); r; r = strtok_r(NULL, ";", &save))
                expect(offset, kind, dir, "", sender, r, f[col(v, "recipient-status")]);
        }
        return 1;
    }
    /* a protocol log line */
    int recv = v->kind == 2 || (v->kind == 4 && strchr(f[1], '\\') != NULL);
    const char *e = f[6], *data = f[7], *ctx = f[8], *sid = f[2];
    int a;
    for (a = 0; a < nauth && strcmp(auth[a].sid, sid) != 0; a++)
        ;
    if (recv && e[0] == '*' && strstr(ctx, "AUTH") && strstr(ctx, "failed")) {
        if (a == nauth && nauth < 64) {
            snprintf(auth[nauth].sid, sizeof auth[0].sid, "%.39s", sid);
            auth[nauth].offset = offset;
            auth[nauth++].pending = 1;
        }
    } else if (recv && e[0] == '>' && data[0] >= '4' && data[0] <= '5') {
        if (a < nauth && auth[a].pending && strncmp(data, "535", 3) == 0)
            auth[a].pending = 0; /* the note goes with its reply */
        expect(offset, "reject", "inbound", NULL, NULL, NULL, data);
    } else if (!recv && e[0] == '<' && data[0] >= '4' && data[0] <= '5') {
        expect(offset, data[0] == '5' ? "bounce" : "defer", "outbound", NULL, NULL, NULL, data);
    } else if (!recv && e[0] == '*' && strstr(ctx, "Failed to connect")) {
        expect(offset, "defer", "outbound", "connect", "", "", NULL);
    }
    return 1;
}

/* ------------------------------------------------------------ running a file */

static int same(const char *want_s, const char *got_s)
{
    return want_s[0] == '\0' || strcmp(want_s, got_s) == 0;
}

static void run_file(const char *dir, const char *name, int *events, int *unparsed)
{
    char path[1024];
    struct reader *r;
    struct diag d = {""};
    struct log_line ln;
    struct parse_ctx ctx;
    struct file_view v;
    long long offsets[MAX_LINES];
    int nlines = 0;
    void *st = exchange_parser.create();

    memset(&ctx, 0, sizeof ctx);
    memset(&v, 0, sizeof v);
    ctx.sink.emit = capture;
    ctx.source = name;
    ngot = nwant = nauth = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    ck_assert_int_eq(reader_open(path, &r, &d), 0);
    reader_take_partial(r, 1);
    while (reader_next(r, &ln, &d) == 1 && nlines < MAX_LINES) {
        char line[70000];
        int is_ours = 1;
        enum line_result res;

        offsets[nlines++] = ln.offset;
        snprintf(line, sizeof line, "%.*s", (int)ln.len, ln.text);
        if (ln.len == 0)
            continue;
        if (line[0] == '#') {
            if (strncmp(line, "#Fields: ", 9) == 0) {
                set_columns(&v, line + 9);
                if (v.kind == 0)
                    v.kind = col(&v, "event-id") >= 0 ? 1 : 4;
            } else if (strncmp(line, "#Log-type: ", 11) == 0) {
                v.kind = strstr(line, "Tracking") ? 1 : strstr(line, "Receive") ? 2 : 3;
            }
        } else {
            is_ours = oracle_row(&v, line, ln.offset);
        }
        ctx.why = NULL;
        res = exchange_parser.parse_line(st, &ctx, &ln);
        if (res == LINE_UNPARSED) {
            (*unparsed)++;
            printf("unparsed %s:%d (%s): %.100s\n", name, nlines, ctx.why ? ctx.why : "?", line);
            if (is_ours) {
                printf("%s:%d: an Exchange log line must not be unparsed\n", name, nlines);
                failures++;
            }
        } else if (!is_ours && res != LINE_FOREIGN) {
            printf("%s:%d: not an Exchange log line, yet read as one\n", name, nlines);
            failures++;
        }
    }
    reader_close(r);
    exchange_parser.flush(st, &ctx);
    exchange_parser.destroy(st);
    for (int a = 0; a < nauth; a++)
        if (auth[a].pending)
            expect(auth[a].offset, "reject", "inbound", "helo", "", "", NULL);

    /* the events, line by line: offsets to line numbers */
    for (int i = 0; i < nwant || i < ngot; i++) {
        const struct one *w = i < nwant ? &want[i] : NULL;
        const struct one *g = NULL;
        for (int k = 0; w && k < ngot; k++)
            if (got[k].offset == w->offset && !got[k].taken &&
                same(w->recipient, got[k].recipient)) {
                g = &got[k];
                got[k].taken = 1;
                break;
            }
        if (w != NULL && g == NULL) {
            printf("%s: missing event %s %s at offset %lld\n", name, w->kind, w->recipient,
                   w->offset);
            failures++;
            continue;
        }
        if (w == NULL)
            continue;
        if (strcmp(w->kind, g->kind) != 0 || strcmp(w->direction, g->direction) != 0 ||
            !same(w->stage, g->stage) || !same(w->sender, g->sender) || w->code != g->code ||
            strcmp(w->status, g->status) != 0) {
            printf("%s @%lld: want %s %s %s sender=%s rcpt=%s %d %s; got %s %s %s sender=%s "
                   "rcpt=%s %d %s\n",
                   name, w->offset, w->kind, w->direction, w->stage, w->sender, w->recipient,
                   w->code, w->status, g->kind, g->direction, g->stage, g->sender, g->recipient,
                   g->code, g->status);
            failures++;
        }
    }
    for (int k = 0; k < ngot && k < MAX_GOT; k++)
        if (!got[k].taken) {
            int line = 0;
            for (int i = 0; i < nlines; i++)
                if (offsets[i] == got[k].offset)
                    line = i + 1;
            printf("%s:%d: unexpected event %s %s\n", name, line, got[k].kind, got[k].recipient);
            failures++;
        }
    *events += ngot;
    printf("%s: %d lines, %d events\n", name, nlines, ngot);
}

START_TEST(test_corpus)
{
    char dir[1024];
    DIR *dp;
    struct dirent *de;
    int files = 0, events = 0, unparsed = 0;

    snprintf(dir, sizeof dir, "%s/exchange", CORPUS_DIR);
    if ((dp = opendir(dir)) == NULL) {
        printf("SKIP: no corpus at %s\n", dir);
        return;
    }
    compile(&re_field, "^(\"([^\"]|\"\")*\"|[^,]*)(,|$)");
    compile(&re_iso, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$");
    compile(&re_reply, "^([245][0-9][0-9]) ([245]\\.[0-9]{1,3}\\.[0-9]{1,3})");
    while ((de = readdir(dp)) != NULL) {
        size_t n = strlen(de->d_name);
        /* the logs; not PROVENANCE.md, nor the Elastic test wrapper (JSON holding log lines
         * that the *_extracted-lines.log file holds as they are) */
        if (de->d_name[0] == '.' || strcmp(de->d_name, "PROVENANCE.md") == 0 ||
            (n > 5 && strcmp(de->d_name + n - 5, ".json") == 0))
            continue;
        run_file(dir, de->d_name, &events, &unparsed);
        files++;
    }
    closedir(dp);
    printf("exchange corpus: %d files, %d events, %d unparsed lines, %d disagreements\n", files,
           events, unparsed, failures);
    fflush(stdout);
    ck_assert_int_gt(files, 0);
    ck_assert_int_gt(events, 0);
    ck_assert_int_eq(failures, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("conformance_exchange");
    TCase *tc = tcase_create("corpus");

    setenv("TZ", "UTC", 1);
    tcase_add_test(tc, test_corpus);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
