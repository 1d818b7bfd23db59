/*
 * cmd_top - "rejectlens top": the commonest categories, domains, relays, clients, senders,
 * recipients, HELO names or texts of a period, with their share and the change against the
 * period of the same length before it
 */
#include "cli.h"
#include "cli_rules.h"
#include "out.h"
#include "store_rollup.h"
#include "store_top.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* counted unless --kind says otherwise: what a sender gets back (as v_rejections) */
#define DEFAULT_KINDS ((1u << EVENT_REJECT) | (1u << EVENT_BOUNCE) | (1u << EVENT_EXPIRE))
/* what the roll-ups hold: failures only */
#define FAILURE_KINDS (DEFAULT_KINDS | (1u << EVENT_DEFER))

static const char *const known_mtas[] = {"postfix", "exim", "exchange"};

/* what a row's key is called, per subject */
static const char *const key_names[TOP_SUBJECT_COUNT] = {
    [TOP_CATEGORIES] = "category", [TOP_DOMAINS] = "domain", [TOP_RELAYS] = "relay",
    [TOP_CLIENTS] = "client",      [TOP_SENDERS] = "sender", [TOP_RECIPIENTS] = "recipient",
    [TOP_HELOS] = "helo",          [TOP_TEXTS] = "text",
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rejectlens top [--db PATH] SUBJECT [--category C] [--kind K[,K...]]\n"
            "                      [--direction D] [--mta M] [--host H] [--since T] [--until T]\n"
            "                      [--limit N] [--format table|csv|json|tsv] [--wide]\n"
            "                      [--rules FILE]...\n"
            "\n"
            "The commonest values of one field of the rejections, bounces and expiries of a\n"
            "period: how many events, their share of all, and the change against the period\n"
            "of the same length just before (with --since). SUBJECT is one of:\n"
            "\n"
            "  categories   the causes (id and title)\n"
            "  domains      the other side's domain: the recipient's for outbound mail, the\n"
            "               sender's for inbound\n"
            "  relays       the next hops that refused or deferred our mail\n"
            "  clients      the SMTP clients we refused (IP and a name)\n"
            "  senders, recipients, helos\n"
            "  texts        the reply texts (masked: addresses and IPs taken out), with their\n"
            "               category: 'top texts --category unclassified' shows what no rule\n"
            "               knows yet\n"
            "\n"
            "  --db PATH        database (see rejectlens ingest --help)\n"
            "  --category C     only this category (rejectlens rules list --categories)\n"
            "  --kind K         only these kinds, comma-separated: reject, reject_warning,\n"
            "                   bounce, defer, expire, deliver, hold, discard, or all\n"
            "                   (default: reject,bounce,expire)\n"
            "  --direction D    inbound (we refused) or outbound (our mail was refused)\n"
            "  --mta M          postfix, exim or exchange\n"
            "  --host H         only the events logged by host H\n"
            "  --since T        from T (2026-01-31, '2026-01-31 14:00', today, yesterday,\n"
            "                   last-week, 7d, 24h; local time unless a zone is given)\n"
            "  --until T        before T (default: now; a bare date includes that day)\n"
            "  --limit N        rows at most (default 20; 0: all)\n"
            "  --format F       table (default), csv, json, tsv: share and change as numbers\n"
            "                   in percent, change null when the previous period had none\n"
            "  --wide           never cut a cell in a table\n"
            "  --rules FILE     admin rules file, for the titles of its categories\n"
            "\n"
            "Exit status: 0 ok, 2 bad usage or no database.\n");
}

/* parse_kinds - "reject,bounce" or "all" into bits; -1 with a message for an unknown name */
static int parse_kinds(const char *arg, unsigned *kinds)
{
    char buf[256];

    if (strcmp(arg, "all") == 0) {
        *kinds = 0;
        return 0;
    }
    if (snprintf(buf, sizeof buf, "%s", arg) >= (int)sizeof buf) {
        cli_error("--kind: too long");
        return -1;
    }
    *kinds = 0;
    for (char *save = NULL, *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        enum event_kind v = event_kind_from_name(k);
        if (v == EVENT_KIND_NONE) {
            cli_error("--kind: unknown kind '%s' (reject, reject_warning, bounce, defer, "
                      "expire, deliver, hold, discard, all)",
                      k);
            return -1;
        }
        *kinds |= 1u << v;
    }
    if (*kinds == 0) {
        cli_error("--kind: give at least one kind");
        return -1;
    }
    return 0;
}

/* what_counted - "rejections, bounces and expiries" or the kinds named */
static void what_counted(unsigned kinds, char *buf, size_t cap)
{
    size_t n = 0;

    if (kinds == DEFAULT_KINDS) {
        snprintf(buf, cap, "rejections, bounces and expiries");
        return;
    }
    if (kinds == 0) {
        snprintf(buf, cap, "all events");
        return;
    }
    buf[0] = '\0';
    for (int k = 1; k < EVENT_KIND_COUNT; k++)
        if (kinds & (1u << k))
            n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", n ? ", " : "",
                                  event_kind_name((enum event_kind)k));
}

/* local_time - "2026-01-31 14:00" in the machine's zone */
static void local_time(int64_t us, char *buf, size_t cap)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

/* heading - one line saying what was counted, over which period, and the totals */
static void heading(struct out *o, enum top_subject subj, const struct top_filter *f,
                    const struct top_result *res, int has_prev)
{
    char what[160], a[32], b[32], line[512];
    int n;

    what_counted(f->kinds, what, sizeof what);
    n = snprintf(line, sizeof line, "%s by %s", what, key_names[subj]);
    if (f->since_us != INT64_MIN) {
        local_time(f->since_us, a, sizeof a);
        local_time(f->until_us, b, sizeof b);
        n += snprintf(line + n, sizeof line - (size_t)n, ", %s .. %s", a, b);
    }
    n += snprintf(line + n, sizeof line - (size_t)n, ": %lld events", (long long)res->total);
    if (has_prev)
        snprintf(line + n, sizeof line - (size_t)n, " (the period before: %lld)",
                 (long long)res->previous_total);
    out_heading(o, line, strlen(line));
}

/* print - the rows as a table or a machine format */
static int print(enum top_subject subj, const struct top_filter *f, const struct top_result *res,
                 const struct ruleset *rs, const struct out_opts *opts)
{
    int machine = opts->fmt != OUT_TABLE, has_prev = f->prev_since_us < f->since_us;
    int has_detail = subj == TOP_CLIENTS || subj == TOP_TEXTS;
    int has_title = subj == TOP_CATEGORIES || subj == TOP_TEXTS;
    struct out_col cols[8];
    struct out_cell cells[8];
    size_t nc = 0;
    struct out *o;

    /* a category id and a client's IP are never cut; a title goes first when there is no room */
    cols[nc++] = (struct out_col){key_names[subj], 0, subj == TOP_TEXTS ? 80 : 60,
                                  subj == TOP_CATEGORIES || subj == TOP_CLIENTS ? OUT_FIT_KEEP
                                                                                : OUT_FIT_CUT};
    if (subj == TOP_CLIENTS)
        cols[nc++] = (struct out_col){"name", 0, 40, OUT_FIT_CUT};
    if (subj == TOP_TEXTS)
        cols[nc++] = (struct out_col){"category", 0, 30, OUT_FIT_KEEP};
    if (has_title)
        cols[nc++] = (struct out_col){"title", 0, 40, OUT_FIT_DROP};
    cols[nc++] = (struct out_col){"events", 1, 0, OUT_FIT_KEEP};
    cols[nc++] = (struct out_col){"share", 1, 0, OUT_FIT_KEEP};
    if (has_prev) {
        cols[nc++] = (struct out_col){"previous", 1, 0, OUT_FIT_KEEP};
        cols[nc++] = (struct out_col){"change", 1, 0, OUT_FIT_KEEP};
    }
    o = out_open(stdout, opts, cols, nc);
    heading(o, subj, f, res, has_prev);
    for (size_t i = 0; i < res->n; i++) {
        const struct top_row *r = &res->rows[i];
        const char *cat = subj == TOP_CATEGORIES ? r->key : subj == TOP_TEXTS ? r->detail : NULL;
        const struct category *c = cat && rs ? ruleset_category(rs, cat) : NULL;
        char n[32], share[32], prev[32], change[32];
        size_t k = 0;

        cells[k] = out_text(r->key);
        if (!machine && r->key == NULL)
            cells[k] = out_styled("(none)", OUT_DIM);
        else if (!machine && subj == TOP_SENDERS && r->key[0] == '\0')
            cells[k] = out_text("<>");
        if (subj == TOP_CATEGORIES)
            cells[k].style = OUT_CYAN;
        k++;
        if (has_detail) {
            cells[k] = out_text(r->detail);
            if (subj == TOP_TEXTS)
                cells[k].style = OUT_CYAN;
            k++;
        }
        if (has_title)
            cells[k++] = out_text(c && c->title ? c->title : NULL);
        cells[k++] = out_int(n, sizeof n, r->count);
        double pct = res->total > 0 ? 100.0 * (double)r->count / (double)res->total : 0;
        snprintf(share, sizeof share, machine ? "%.1f" : "%.1f%%", pct);
        cells[k++] = out_num(share);
        if (has_prev) {
            cells[k++] = out_int(prev, sizeof prev, r->previous);
            if (r->previous == 0) {
                cells[k++] = machine ? out_text(NULL) : out_styled("new", OUT_YELLOW);
            } else {
                double ch = 100.0 * (double)(r->count - r->previous) / (double)r->previous;
                snprintf(change, sizeof change, machine ? "%.0f" : "%+.0f%%", ch);
                cells[k++] = out_num(change);
            }
        }
        out_row(o, cells);
    }
    if (res->n == 0 && !machine) {
        static const char none[] = "nothing to count in this period with these filters";
        out_note(o, none, sizeof none - 1);
    }
    if (out_close(o) < 0) {
        cli_error("top: writing the output failed");
        return EXIT_FATAL;
    }
    return EXIT_OK;
}

/* check_filters - --mta, --category and --direction name things that exist */
static int check_filters(struct store *s, const struct ruleset *rs, const struct top_filter *f)
{
    struct diag d = {""};
    int known = 0;

    for (size_t i = 0; f->mta && i < sizeof known_mtas / sizeof known_mtas[0]; i++)
        known |= strcmp(f->mta, known_mtas[i]) == 0;
    if (f->mta != NULL && !known) {
        cli_error("--mta: unknown MTA '%s' (postfix, exim, exchange)", f->mta);
        return -1;
    }
    if (f->category == NULL || strcmp(f->category, "unclassified") == 0 ||
        ruleset_category(rs, f->category) != NULL)
        return 0;
    known = store_category_known(s, f->category, &d);
    if (known < 0) {
        cli_error("%s", d.msg);
        return -1;
    }
    if (known == 0) {
        cli_error("--category: unknown category '%s' (see rejectlens rules list --categories; "
                  "give --rules FILE for categories of your own)",
                  f->category);
        return -1;
    }
    return 0;
}

int cmd_top(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},    {"category", required_argument, NULL, 'c'},
        {"kind", required_argument, NULL, 'k'},  {"direction", required_argument, NULL, 'D'},
        {"mta", required_argument, NULL, 'm'},   {"host", required_argument, NULL, 'H'},
        {"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
        {"limit", required_argument, NULL, 'n'}, {"format", required_argument, NULL, 'f'},
        {"wide", no_argument, NULL, 'w'},        {"rules", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *since = NULL, *until = NULL;
    struct top_filter f = {0};
    struct rules_files files = {{0}, 0};
    struct top_result res;
    struct out_opts opts;
    enum top_subject subj;
    struct ruleset *rs;
    struct diag d = {""};
    struct store *s;
    int c, rc;

    out_opts_for(stdout, &opts);
    f.kinds = DEFAULT_KINDS;
    f.limit = 20;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'c':
            f.category = optarg;
            break;
        case 'k':
            if (parse_kinds(optarg, &f.kinds) < 0)
                return EXIT_FATAL;
            break;
        case 'D':
            f.direction = event_direction_from_name(optarg);
            if (f.direction == DIRECTION_NONE) {
                cli_error("--direction: '%s' is neither inbound nor outbound", optarg);
                return EXIT_FATAL;
            }
            break;
        case 'm':
            f.mta = optarg;
            break;
        case 'H':
            f.host = optarg;
            break;
        case 's':
            since = optarg;
            break;
        case 'u':
            until = optarg;
            break;
        case 'n': {
            long v;
            if (cli_number_arg("--limit", optarg, 0, 1000000, "a number", "all", &v) < 0)
                return EXIT_FATAL;
            f.limit = (size_t)v;
            break;
        }
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
        cli_error("top: say what to count: categories, domains, relays, clients, senders, "
                  "recipients, helos or texts");
        return EXIT_FATAL;
    }
    if (top_subject_from_name(argv[optind], &subj) < 0) {
        cli_error("top: unknown subject '%s' (categories, domains, relays, clients, senders, "
                  "recipients, helos, texts)",
                  argv[optind]);
        return EXIT_FATAL;
    }
    if (optind + 1 < argc) {
        cli_error("top: unexpected argument '%s'", argv[optind + 1]);
        return EXIT_FATAL;
    }
    if (cli_time_range(since, until, &f.since_us, &f.until_us) < 0)
        return EXIT_FATAL;
    if (since != NULL && until == NULL) {
        f.until_us = (int64_t)time(NULL) * 1000000;
        if (f.since_us >= f.until_us) {
            cli_error("--since: %s is in the future", since);
            return EXIT_FATAL;
        }
    }
    /* the previous period has the same length and ends where this one starts */
    f.prev_since_us = f.since_us;
    if (since != NULL && f.since_us - (f.until_us - f.since_us) < f.since_us)
        f.prev_since_us = f.since_us - (f.until_us - f.since_us);
    if ((rs = cli_rules_load(&files)) == NULL)
        return EXIT_FATAL;
    /* as the report does: a database this user may write gets the roll-ups of the days it
     * reads (and is migrated), another one is only read */
    if ((s = cli_open_reader(db)) == NULL) {
        ruleset_free(rs);
        return EXIT_FATAL;
    }
    if (check_filters(s, rs, &f) < 0) {
        rc = EXIT_FATAL;
    } else if ((f.kinds & ~FAILURE_KINDS) == 0 && f.kinds != 0 &&
               store_rollup_build(s, f.prev_since_us, f.until_us, &d) < 0) {
        cli_error("%s", d.msg);
        rc = EXIT_FATAL;
    } else if (store_top(s, subj, &f, &res, &d) < 0) {
        cli_error("%s", d.msg);
        rc = EXIT_FATAL;
    } else {
        rc = print(subj, &f, &res, rs, &opts);
        store_top_free(&res);
    }
    store_close(s);
    ruleset_free(rs);
    return rc;
}
