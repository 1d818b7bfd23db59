/*
 * cmd_trace - "rejectlens trace": the story of each message that matches an address, a
 * domain, a queue id, a Message-ID or a client IP, like exigrep, for every MTA
 *
 * A table shows each story under a heading (host, queue id, sender, client, size), one line
 * per event, and under each failure its category id, title and advice in one line. CSV, JSON
 * and TSV give one row per event with every field, the story numbered.
 */
#include "advice.h"
#include "classify.h"
#include "cli.h"
#include "cli_rules.h"
#include "mask.h"
#include "out.h"
#include "timeparse.h"
#include "trace.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ADVICE_LINE_MAX 240

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rejectlens trace [--db PATH] [--since T] [--until T] [--limit N]\n"
            "                        [--by address|domain|queue-id|message-id|ip]\n"
            "                        [--format table|csv|json|tsv] [--wide] [--rules FILE]...\n"
            "                        WHAT\n"
            "\n"
            "The story of each message that matches WHAT, in time order: where it came from,\n"
            "each delivery attempt, the rejection or bounce with its cause and what to do,\n"
            "the bounce notice it caused, and the next hop on the same host that took it\n"
            "over (a content filter's \"queued as\"). WHAT is one of:\n"
            "\n"
            "  bob@example.org      an address: sender, recipient or original recipient\n"
            "                       (in any case)\n"
            "  1A2B3C4D5E           a queue id (Postfix, Exim's 1vwZqT-000iPD-kh, Exchange's)\n"
            "  '<id@host>'          an address as logged, or else a Message-ID\n"
            "  192.0.2.1, 2001:db8::1  a client IP\n"
            "  example.org          a domain of a sender or recipient\n"
            "\n"
            "A Message-ID, an IP and a domain are not indexed: without --since, trace looks\n"
            "for them in the last day up to the newest event, then 7 days, 31 days, then\n"
            "everything, and says how far back it looked.\n"
            "\n"
            "  --db PATH        database (see rejectlens ingest --help)\n"
            "  --since T        messages with a matching event at or after T (2026-01-31,\n"
            "                   '2026-01-31 14:00', today, yesterday, last-week, 7d, 24h;\n"
            "                   local time unless a zone is given)\n"
            "  --until T        ... before T (a bare date includes that day)\n"
            "  --limit N        the N newest matching messages (default 50; 0: all)\n"
            "  --by KIND        say what WHAT is instead of letting trace guess\n"
            "  --format F       table (default), csv, json, tsv: one row per event\n"
            "  --wide           never cut a cell in a table\n"
            "  --rules FILE     admin rules file, for the titles and advice of its categories\n"
            "\n"
            "Times in a table are local; CSV, JSON and TSV give UTC (ISO 8601, as v_events).\n"
            "Exit status: 0 ok (also when nothing matches), 2 bad usage or no database.\n");
}

/* ---------------------------------------------------------------- advice in one line */

/* one_line - the first sentence of s with its line breaks as spaces, at most max bytes */
static void one_line(const char *s, struct strbuf *out, size_t max)
{
    int space = 0;

    for (; *s && out->len < max; s++) {
        if (*s == '\n' || *s == ' ' || *s == '\t') {
            if (s[0] == '\n' && s[1] == '\n')
                break; /* a paragraph ends */
            space = out->len > 0;
            continue;
        }
        if (space)
            strbuf_putc(out, ' ');
        space = 0;
        strbuf_putc(out, *s);
        if (*s == '.' && (s[1] == ' ' || s[1] == '\n' || s[1] == '\0'))
            break; /* a sentence ends */
    }
    if (*s && out->len >= max)
        strbuf_puts(out, "...");
}

/*
 * advice_line - the advice for a stored event in one line: the first sentence of the rule's
 * advice, else of the category's, its placeholders filled from the event; nothing when none
 */
static void advice_line(struct ruleset *rs, const struct trace_event *te, struct strbuf *out)
{
    const struct category *cat = ruleset_category(rs, te->category);
    const struct rule *rule = te->rule ? ruleset_rule(rs, te->rule) : NULL;
    const char *tmpl = te->template_text ? te->template_text : "";
    struct classification c;
    struct classify_input in;
    struct advice_data ad;
    struct mask_values mv;
    struct strbuf masked = STRBUF_INIT, filled = STRBUF_INIT;
    const char *text = NULL;

    if (rule != NULL && rule->advice != NULL)
        text = rule->advice;
    else if (cat != NULL && cat->advice[ADVICE_GENERAL] != NULL)
        text = cat->advice[ADVICE_GENERAL];
    for (int p = 1; text == NULL && cat != NULL && p < ADVICE_PARTS; p++)
        text = cat->advice[p];
    if (text == NULL)
        return;
    memset(&in, 0, sizeof in);
    in.text = tmpl;
    in.len = strlen(tmpl);
    in.reply_code = te->ev.reply_code;
    in.status = te->ev.status;
    in.stage = te->ev.stage;
    in.kind = te->ev.kind;
    in.direction = te->ev.direction;
    in.mta = te->ev.mta;
    memset(&c, 0, sizeof c);
    c.category_id = te->category;
    c.category = cat;
    c.rule = rule;
    classify_evidence(&in, &c.ev);
    if (rule != NULL && !rule_matches(rs, rule, &in, &c.ev, &c.pattern))
        c.rule = NULL; /* the rules changed since: no named groups to fill from */
    memset(&mv, 0, sizeof mv);
    if (te->ev.text != NULL)
        mask(te->ev.text, strlen(te->ev.text), &masked, &mv);
    advice_data_init(&ad, &te->ev, &mv, rs, &c, in.text, in.len);
    advice_fill(text, &ad, &filled);
    one_line(strbuf_str(&filled), out, out->len + ADVICE_LINE_MAX);
    strbuf_free(&masked);
    strbuf_free(&filled);
}

/* ---------------------------------------------------------------- printing */

static enum out_style kind_style(enum event_kind k)
{
    switch (k) {
    case EVENT_REJECT:
    case EVENT_BOUNCE:
    case EVENT_EXPIRE:
        return OUT_RED;
    case EVENT_DEFER:
    case EVENT_REJECT_WARNING:
    case EVENT_HOLD:
        return OUT_YELLOW;
    case EVENT_DELIVER:
        return OUT_GREEN;
    default:
        return OUT_PLAIN;
    }
}

static void local_time(int64_t us, char *buf, size_t cap)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* peer - who was at the other end: the relay of a delivery, else the client */
static void peer(const struct event *ev, struct strbuf *out)
{
    if (ev->direction == DIRECTION_OUTBOUND && ev->relay != NULL) {
        strbuf_puts(out, ev->relay);
    } else if (ev->client_ip != NULL || ev->client_name != NULL) {
        strbuf_printf(out, "%s[%s]", ev->client_name ? ev->client_name : "",
                      ev->client_ip ? ev->client_ip : "");
    } else if (ev->relay != NULL) {
        strbuf_puts(out, ev->relay);
    }
}

/* story_heading - "mx1 1A2B3C4D5E  from <a@b> client c[ip] helo h  1200 bytes  <msgid>" */
static void story_heading(const struct trace_story *st, size_t no, struct strbuf *out)
{
    const char *host = NULL, *qid = NULL, *sender = NULL, *cname = NULL, *cip = NULL;
    const char *helo = NULL, *msgid = NULL;
    int64_t size = -1;

    for (size_t i = 0; i < st->n; i++) {
        const struct event *ev = &st->ev[i]->ev;
        /* what arrived: the first message's own fields first */
        host = host ? host : ev->host;
        qid = qid ? qid : ev->queue_id;
        sender = sender ? sender : ev->sender;
        cname = cname ? cname : ev->client_name;
        cip = cip ? cip : ev->client_ip;
        helo = helo ? helo : ev->helo;
        msgid = msgid ? msgid : ev->message_id;
        size = size >= 0 ? size : ev->size;
    }
    strbuf_printf(out, "#%zu  %s%s%s", no, host ? host : "", host ? " " : "",
                  qid ? qid : "(no queue id)");
    if (sender != NULL)
        strbuf_printf(out, "  from <%s>", sender);
    if (cname != NULL || cip != NULL)
        strbuf_printf(out, "  client %s[%s]", cname ? cname : "", cip ? cip : "");
    if (helo != NULL)
        strbuf_printf(out, "  helo %s", helo);
    if (size >= 0)
        strbuf_printf(out, "  %lld bytes", (long long)size);
    if (msgid != NULL) /* in one pair of brackets, however it was logged */
        strbuf_printf(out, msgid[0] == '<' ? "  message-id %s" : "  message-id <%s>", msgid);
}

static int print_table(const struct trace_result *r, struct ruleset *rs,
                       const struct out_opts *opts)
{
    /* on a narrow terminal the addresses and texts are cut, never the time, id, kind, code */
    static const struct out_col cols[] = {
        {"time", 0, 0, OUT_FIT_KEEP},  {"queue id", 0, 24, OUT_FIT_KEEP},
        {"event", 0, 0, OUT_FIT_KEEP}, {"to", 0, 40, OUT_FIT_CUT},
        {"peer", 0, 48, OUT_FIT_CUT},  {"reply", 0, 0, OUT_FIT_KEEP},
        {"text", 0, 80, OUT_FIT_CUT},
    };
    struct strbuf line = STRBUF_INIT, p = STRBUF_INIT, reply = STRBUF_INIT;
    struct out *o = out_open(stdout, opts, cols, sizeof cols / sizeof cols[0]);

    for (size_t s = 0; s < r->nstories; s++) {
        const struct trace_story *st = &r->stories[s];
        strbuf_reset(&line);
        story_heading(st, s + 1, &line);
        out_heading(o, strbuf_str(&line), line.len);
        for (size_t i = 0; i < st->n; i++) {
            const struct trace_event *te = st->ev[i];
            const struct event *ev = &te->ev;
            char when[40];
            struct out_cell cells[7];

            local_time(ev->ts_us, when, sizeof when);
            strbuf_reset(&p);
            peer(ev, &p);
            strbuf_reset(&reply);
            if (ev->reply_code > 0)
                strbuf_printf(&reply, "%d", ev->reply_code);
            if (ev->status != NULL)
                strbuf_printf(&reply, "%s%s", reply.len ? " " : "", ev->status);
            cells[0] = out_text(when);
            cells[1] = out_text(ev->queue_id);
            cells[2] = out_styled(event_kind_name(ev->kind), kind_style(ev->kind));
            cells[3] = out_text(ev->recipient);
            cells[4] = out_textn(strbuf_str(&p), p.len);
            cells[5] = out_textn(strbuf_str(&reply), reply.len);
            cells[6] = out_text(ev->text);
            out_row(o, cells);
            if (te->category != NULL && ev->kind != EVENT_DELIVER) {
                const struct category *cat = ruleset_category(rs, te->category);
                size_t before;
                strbuf_reset(&line);
                strbuf_printf(&line, "-> %s", te->category);
                if (cat != NULL && cat->title != NULL)
                    strbuf_printf(&line, " (%s)", cat->title);
                before = line.len;
                strbuf_puts(&line, ": ");
                advice_line(rs, te, &line);
                if (line.len == before + 2)
                    line.buf[line.len = before] = '\0';
                out_note(o, strbuf_str(&line), line.len);
            }
        }
    }
    strbuf_free(&line);
    strbuf_free(&p);
    strbuf_free(&reply);
    return out_close(o);
}

static int print_rows(const struct trace_result *r, struct ruleset *rs, const struct out_opts *opts)
{
    static const struct out_col cols[] = {
        {"message", 1, 0, OUT_FIT_CUT},    {"ts", 0, 0, OUT_FIT_CUT},
        {"host", 0, 0, OUT_FIT_CUT},       {"mta", 0, 0, OUT_FIT_CUT},
        {"queue_id", 0, 0, OUT_FIT_CUT},   {"parent_queue_id", 0, 0, OUT_FIT_CUT},
        {"message_id", 0, 0, OUT_FIT_CUT}, {"kind", 0, 0, OUT_FIT_CUT},
        {"direction", 0, 0, OUT_FIT_CUT},  {"stage", 0, 0, OUT_FIT_CUT},
        {"client_ip", 0, 0, OUT_FIT_CUT},  {"client_name", 0, 0, OUT_FIT_CUT},
        {"helo", 0, 0, OUT_FIT_CUT},       {"sender", 0, 0, OUT_FIT_CUT},
        {"recipient", 0, 0, OUT_FIT_CUT},  {"orig_recipient", 0, 0, OUT_FIT_CUT},
        {"relay", 0, 0, OUT_FIT_CUT},      {"reply_code", 1, 0, OUT_FIT_CUT},
        {"status", 0, 0, OUT_FIT_CUT},     {"category", 0, 0, OUT_FIT_CUT},
        {"title", 0, 0, OUT_FIT_CUT},      {"advice", 0, 0, OUT_FIT_CUT},
        {"text", 0, 0, OUT_FIT_CUT},       {"size", 1, 0, OUT_FIT_CUT},
        {"source", 0, 0, OUT_FIT_CUT},     {"offset", 1, 0, OUT_FIT_CUT},
    };
    enum { NC = sizeof cols / sizeof cols[0] };
    struct strbuf adv = STRBUF_INIT;
    struct out *o = out_open(stdout, opts, cols, NC);

    for (size_t s = 0; s < r->nstories; s++)
        for (size_t i = 0; i < r->stories[s].n; i++) {
            const struct trace_event *te = r->stories[s].ev[i];
            const struct event *ev = &te->ev;
            const struct category *cat = te->category ? ruleset_category(rs, te->category) : NULL;
            char no[24], ts[48], code[24], size[24], off[24];
            struct out_cell c[NC];
            size_t k = 0;

            format_iso_utc(ev->ts_us, ev->ts_prec, ts, sizeof ts);
            strbuf_reset(&adv);
            if (te->category != NULL && ev->kind != EVENT_DELIVER)
                advice_line(rs, te, &adv);
            c[k++] = out_int(no, sizeof no, (long long)(s + 1));
            c[k++] = out_text(ts);
            c[k++] = out_text(ev->host);
            c[k++] = out_text(ev->mta);
            c[k++] = out_text(ev->queue_id);
            c[k++] = out_text(ev->parent_queue_id);
            c[k++] = out_text(ev->message_id);
            c[k++] = out_text(event_kind_name(ev->kind));
            c[k++] = out_text(ev->direction ? event_direction_name(ev->direction) : NULL);
            c[k++] = out_text(ev->stage ? smtp_stage_name(ev->stage) : NULL);
            c[k++] = out_text(ev->client_ip);
            c[k++] = out_text(ev->client_name);
            c[k++] = out_text(ev->helo);
            c[k++] = out_text(ev->sender);
            c[k++] = out_text(ev->recipient);
            c[k++] = out_text(ev->orig_recipient);
            c[k++] = out_text(ev->relay);
            c[k++] =
                ev->reply_code > 0 ? out_int(code, sizeof code, ev->reply_code) : out_num(NULL);
            c[k++] = out_text(ev->status);
            c[k++] = out_text(te->category);
            c[k++] = out_text(cat ? cat->title : NULL);
            c[k++] = adv.len ? out_textn(strbuf_str(&adv), adv.len) : out_text(NULL);
            c[k++] = out_text(ev->text);
            c[k++] = ev->size >= 0 ? out_int(size, sizeof size, ev->size) : out_num(NULL);
            c[k++] = out_text(te->source);
            c[k++] = out_int(off, sizeof off, ev->offset);
            out_row(o, c);
        }
    strbuf_free(&adv);
    return out_close(o);
}

int cmd_trace(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},    {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'}, {"limit", required_argument, NULL, 'n'},
        {"by", required_argument, NULL, 'b'},    {"format", required_argument, NULL, 'f'},
        {"wide", no_argument, NULL, 'w'},        {"rules", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *since = NULL, *until = NULL, *what;
    struct rules_files files = {{0}, 0};
    struct trace_result res;
    struct out_opts opts;
    struct diag d = {""};
    struct ruleset *rs;
    struct store *s;
    int64_t since_us, until_us;
    size_t limit = 50;
    enum trace_by by;
    int by_given = 0, c, rc;

    out_opts_for(stdout, &opts);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 's':
            since = optarg;
            break;
        case 'u':
            until = optarg;
            break;
        case 'n': {
            long v;
            if (cli_number_arg("--limit", optarg, 0, 100000, "a number", "all", &v) < 0)
                return EXIT_FATAL;
            limit = (size_t)v;
            break;
        }
        case 'b':
            if (trace_by_from_name(optarg, &by) < 0) {
                cli_error("--by: '%s' is not one of address, domain, queue-id, message-id, ip",
                          optarg);
                return EXIT_FATAL;
            }
            by_given = 1;
            break;
        case 'f':
            if (cli_format_arg(optarg, &opts.fmt) < 0)
                return EXIT_FATAL;
            break;
        case 'w':
            opts.wide = 1;
            break;
        case 'r':
            if (cli_rules_file(&files, optarg) < 0)
                return EXIT_FATAL;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_FATAL;
        }
    }
    if (optind == argc) {
        cli_error("trace: say what to trace: an address, a domain, a queue id, a Message-ID or "
                  "an IP");
        return EXIT_FATAL;
    }
    if (optind + 1 < argc) {
        cli_error("trace: one thing at a time (got '%s' after '%s')", argv[optind + 1],
                  argv[optind]);
        return EXIT_FATAL;
    }
    what = argv[optind];
    if (what[0] == '\0' || strlen(what) > 512) {
        cli_error("trace: give an address, a domain, a queue id, a Message-ID or an IP");
        return EXIT_FATAL;
    }
    if (!by_given)
        by = trace_guess(what);
    if (cli_time_range(since, until, &since_us, &until_us) < 0)
        return EXIT_FATAL;
    if ((rs = cli_rules_load(&files)) == NULL)
        return EXIT_FATAL;
    if ((s = cli_open_store(db, STORE_READ_ONLY)) == NULL) {
        ruleset_free(rs);
        return EXIT_FATAL;
    }
    if (trace_run(s, by, what, since_us, until_us, limit, &res, &d) < 0) {
        cli_error("%s", d.msg);
        rc = EXIT_FATAL;
    } else {
        if (opts.fmt == OUT_TABLE)
            rc = print_table(&res, rs, &opts);
        else
            rc = print_rows(&res, rs, &opts);
        if (rc < 0)
            cli_error("trace: writing the output failed");
        if (res.nstories == 0)
            fprintf(stderr, "rejectlens: trace: no event matches %s '%s'%s\n", trace_by_name(by),
                    what, since || until ? " in that period" : "");
        else if (res.more)
            fprintf(stderr,
                    "rejectlens: trace: more messages match; these are the %zu newest "
                    "(--limit)\n",
                    res.found);
        if (res.nstories > 0 && res.looked_back > 0) {
            long long days = (long long)(res.looked_back / (86400 * INT64_C(1000000)));
            fprintf(stderr,
                    "rejectlens: trace: looked back %lld day%s from the newest event; give "
                    "--since to look further\n",
                    days, days == 1 ? "" : "s");
        }
        rc = rc < 0 ? EXIT_FATAL : EXIT_OK;
        trace_result_free(&res);
    }
    store_close(s);
    ruleset_free(rs);
    return rc;
}
