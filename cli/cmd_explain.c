/*
 * cmd_explain - "rejectlens explain": why one reply text was rejected, and what to do
 */
#include "advice.h"
#include "classify.h"
#include "cli.h"
#include "cli_rules.h"
#include "escape.h"
#include "scan.h"
#include "strbuf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 65536

enum format { FMT_TEXT, FMT_JSON, FMT_TSV };

struct explain {
    struct ruleset *rs;
    enum format fmt;
    struct event ctx; /* --stage, --kind, --direction, --mta */
    struct strbuf tmpl, advice, filled;
    int count;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: rejectlens explain [--config FILE] [--rules FILE]... [--format text|json|tsv]\n"
        "                          [--stage S] [--kind K] [--direction D] [--mta M] [TEXT]\n"
        "\n"
        "Classify a rejection text as the ingest does and say why it happened, who must act\n"
        "and what to do. TEXT is one reply as logged (\"550 5.7.1 Service unavailable; ...\");\n"
        "without TEXT, each line of standard input is one reply.\n"
        "\n"
        "  --config FILE    configuration, for its rules files (see rejectlens run --help)\n"
        "  --rules FILE     add an admin rules file to the built-in rules (repeatable)\n"
        "  --format F       text (default), json (one object per line) or tsv:\n"
        "                   category<TAB>rule<TAB>reply_code<TAB>status per input line\n"
        "  --stage S        the SMTP stage: connect, helo, mail, rcpt, data, eom\n"
        "  --kind K         reject, bounce, defer, expire, ...\n"
        "  --direction D    inbound (our server refused) or outbound (a remote server did)\n"
        "  --mta M          postfix, exim or exchange (also picks that MTA's advice)\n"
        "\n"
        "Exit status: 0 ok, 2 bad usage or bad rules.\n");
}

/* put_safe - a log-derived string as a terminal may show it (cli_put_safe) */
static void put_safe(FILE *out, const char *s)
{
    cli_put_safe(out, s, strlen(s));
}

/* put_json - a JSON string: valid UTF-8, every control escaped (esc_json) */
static void put_json(FILE *out, const char *s)
{
    struct strbuf sb = STRBUF_INIT;

    esc_json(&sb, s ? s : "");
    fwrite(sb.buf, 1, sb.len, out);
    strbuf_free(&sb);
}

/* put_tsv - one field: as put_safe, and a tab (which put_safe keeps) as a space */
static void put_tsv(FILE *out, const char *s)
{
    struct strbuf sb = STRBUF_INIT;

    esc_text(&sb, s ? s : "", 0);
    for (size_t i = 0; i < sb.len; i++)
        fputc(sb.buf[i] == '\t' ? ' ' : sb.buf[i], out);
    strbuf_free(&sb);
}

/* last_deferral - the category of the text after "last deferral: " in an expiry */
static const char *last_deferral(struct explain *x, const struct classification *c,
                                 struct classification *out)
{
    const char *t = strbuf_str(&x->tmpl), *w;
    struct classify_input in;

    if (c->category_id == NULL || strcmp(c->category_id, "delivery_expired") != 0 ||
        (w = scan_find(t, x->tmpl.len, "last deferral: ")) == NULL)
        return NULL;
    memset(&in, 0, sizeof in);
    in.text = w + 15;
    in.len = x->tmpl.len - (size_t)(in.text - t);
    in.kind = EVENT_DEFER;
    in.direction = x->ctx.direction;
    in.mta = x->ctx.mta;
    classify(x->rs, &in, out);
    return out->category_id;
}

static void print_text(struct explain *x, const char *raw, const struct classification *c)
{
    const struct category *cat = c->category;
    struct classification ld;

    if (x->count > 1)
        putchar('\n');
    fputs("text:      ", stdout);
    put_safe(stdout, raw);
    fputs("\ntemplate:  ", stdout);
    put_safe(stdout, strbuf_str(&x->tmpl));
    printf("\ncategory:  %s", c->category_id);
    if (cat && cat->title)
        printf(" (%s)", cat->title);
    if (c->rule)
        printf("\nrule:      %s (%s:%d)", c->rule->id, c->rule->origin.file, c->rule->origin.line);
    else
        printf("\nrule:      none matched");
    printf("\nsaw:       ");
    if (c->ev.code)
        printf("reply code %d, ", c->ev.code);
    else
        printf("no reply code, ");
    printf("%s%s, ", c->ev.status[0] ? "status " : "no status", c->ev.status);
    printf("stage %s\n", c->ev.stage ? smtp_stage_name(c->ev.stage) : "unknown");
    if (last_deferral(x, c, &ld) != NULL)
        printf("deferred:  %s (rule %s) before it expired\n", ld.category_id,
               ld.rule ? ld.rule->id : "none");
    if (cat && cat->nwho > 0) {
        printf("who acts:  ");
        for (size_t i = 0; i < cat->nwho; i++) {
            for (const char *p = cat->who[i]; *p; p++)
                putchar(*p == '_' ? ' ' : *p);
            fputs(i + 1 < cat->nwho ? ", " : "\n", stdout);
        }
    }
    if (cat && (cat->severity || cat->hardness))
        printf("severity:  %s%s%s\n", cat->severity ? cat->severity : "",
               cat->severity && cat->hardness ? ", " : "",
               cat->hardness
                   ? (strcmp(cat->hardness, "either") == 0 ? "hard or soft" : cat->hardness)
                   : "");
    if (x->filled.len > 0) {
        printf("advice:\n");
        const char *p = strbuf_str(&x->filled);
        while (*p) {
            size_t n = strcspn(p, "\n");
            if (n > 0) {
                fputs("  ", stdout);
                cli_put_safe(stdout, p, n); /* the advice quotes the text's values */
            }
            putchar('\n');
            p += n + (p[n] == '\n');
        }
    }
}

static void print_json(struct explain *x, const char *raw, const struct classification *c)
{
    const struct category *cat = c->category;
    struct classification ld;

    fputs("{\"text\":", stdout);
    put_json(stdout, raw);
    fputs(",\"template\":", stdout);
    put_json(stdout, strbuf_str(&x->tmpl));
    fputs(",\"category\":", stdout);
    put_json(stdout, c->category_id);
    fputs(",\"title\":", stdout);
    put_json(stdout, cat && cat->title ? cat->title : "");
    fputs(",\"rule\":", stdout);
    if (c->rule) {
        put_json(stdout, c->rule->id);
        printf(",\"origin\":\"%s:%d\"", c->rule->origin.file, c->rule->origin.line);
    } else {
        fputs("null,\"origin\":null", stdout);
    }
    printf(",\"reply_code\":");
    if (c->ev.code)
        printf("%d", c->ev.code);
    else
        fputs("null", stdout);
    fputs(",\"status\":", stdout);
    if (c->ev.status[0])
        put_json(stdout, c->ev.status);
    else
        fputs("null", stdout);
    fputs(",\"stage\":", stdout);
    if (c->ev.stage)
        put_json(stdout, smtp_stage_name(c->ev.stage));
    else
        fputs("null", stdout);
    if (last_deferral(x, c, &ld) != NULL) {
        fputs(",\"last_deferral\":", stdout);
        put_json(stdout, ld.category_id);
    }
    fputs(",\"who\":[", stdout);
    for (size_t i = 0; cat && i < cat->nwho; i++) {
        if (i)
            putchar(',');
        put_json(stdout, cat->who[i]);
    }
    fputs("],\"severity\":", stdout);
    put_json(stdout, cat && cat->severity ? cat->severity : "");
    fputs(",\"hardness\":", stdout);
    put_json(stdout, cat && cat->hardness ? cat->hardness : "");
    fputs(",\"advice\":", stdout);
    put_json(stdout, strbuf_str(&x->filled));
    fputs("}\n", stdout);
}

static void explain_one(struct explain *x, const char *raw, size_t n)
{
    struct classify_input in;
    struct classification c;
    struct mask_values values;
    struct advice_data ad;
    struct prepared pr;

    x->count++;
    strbuf_reset(&x->tmpl);
    strbuf_reset(&x->advice);
    strbuf_reset(&x->filled);
    classify_prepare(raw, n, &pr, &x->tmpl, &values);
    memset(&in, 0, sizeof in);
    in.text = strbuf_str(&x->tmpl);
    in.len = x->tmpl.len;
    in.reply_code = pr.code;
    in.status = pr.status;
    in.stage = x->ctx.stage ? x->ctx.stage : pr.stage;
    in.kind = x->ctx.kind;
    in.direction = x->ctx.direction;
    in.mta = x->ctx.mta;
    classify(x->rs, &in, &c);
    if (x->fmt == FMT_TSV) {
        put_tsv(stdout, c.category_id);
        putchar('\t');
        put_tsv(stdout, c.rule ? c.rule->id : "");
        putchar('\t');
        if (c.ev.code)
            printf("%d", c.ev.code);
        putchar('\t');
        put_tsv(stdout, c.ev.status);
        putchar('\n');
        return;
    }
    advice_compose(&c, x->ctx.mta, x->ctx.direction, &x->advice);
    advice_data_init(&ad, &x->ctx, &values, x->rs, &c, in.text, in.len);
    advice_fill(strbuf_str(&x->advice), &ad, &x->filled);
    if (x->fmt == FMT_JSON)
        print_json(x, raw, &c);
    else
        print_text(x, raw, &c);
}

/* name_option - an event.h name given on the command line */
static int name_option(const char *opt, const char *arg, int value)
{
    if (value == 0) {
        cli_error("%s: unknown value '%s'", opt, arg);
        return -1;
    }
    return value;
}

int cmd_explain(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'C'},
        {"rules", required_argument, NULL, 'r'},
        {"format", required_argument, NULL, 'f'},
        {"stage", required_argument, NULL, 's'},
        {"kind", required_argument, NULL, 'k'},
        {"direction", required_argument, NULL, 'D'},
        {"mta", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rules_files files = {{NULL}, 0};
    struct explain x;
    int c, v;

    memset(&x, 0, sizeof x);
    event_init(&x.ctx);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            if (cli_rules_file(&files, optarg) < 0)
                return EXIT_FATAL;
            break;
        case 'f':
            if (strcmp(optarg, "text") == 0)
                x.fmt = FMT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                x.fmt = FMT_JSON;
            else if (strcmp(optarg, "tsv") == 0)
                x.fmt = FMT_TSV;
            else {
                cli_error("--format: give text, json or tsv");
                return EXIT_FATAL;
            }
            break;
        case 's':
            if ((v = name_option("--stage", optarg, smtp_stage_from_name(optarg))) < 0)
                return EXIT_FATAL;
            x.ctx.stage = (enum smtp_stage)v;
            break;
        case 'k':
            if ((v = name_option("--kind", optarg, event_kind_from_name(optarg))) < 0)
                return EXIT_FATAL;
            x.ctx.kind = (enum event_kind)v;
            break;
        case 'D':
            if ((v = name_option("--direction", optarg, event_direction_from_name(optarg))) < 0)
                return EXIT_FATAL;
            x.ctx.direction = (enum event_direction)v;
            break;
        case 'm':
            x.ctx.mta = optarg;
            break;
        case 'C':
            cli_config_use(optarg);
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_FATAL;
        }
    }
    if (argc - optind > 1) {
        cli_error("explain: give one TEXT (quote it), or none to read lines from standard input");
        return EXIT_FATAL;
    }
    if ((x.rs = cli_rules_load(&files)) == NULL)
        return EXIT_FATAL;
    if (optind < argc) {
        explain_one(&x, argv[optind], strlen(argv[optind]));
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, stdin)) >= 0) {
            if (n > LINE_MAX_BYTES)
                n = LINE_MAX_BYTES;
            line[n] = '\0';
            while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                line[--n] = '\0';
            explain_one(&x, line, (size_t)n);
        }
        free(line);
    }
    strbuf_free(&x.tmpl);
    strbuf_free(&x.advice);
    strbuf_free(&x.filled);
    ruleset_free(x.rs);
    return EXIT_OK;
}
