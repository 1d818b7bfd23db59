/*
 * cmd_summary - "rejectlens summary": counts by kind, direction, code, status, and parse stats
 */
#include "cli.h"
#include "store_rollup.h"
#include "timeparse.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: rejectlens summary [--db PATH] [--config FILE] [--since T] [--until T]\n"
                 "                          [--samples N]\n"
                 "\n"
                 "Print what the database holds: events by kind, direction, reply code, enhanced\n"
                 "status and cause, and how the log lines were read (with samples of the lines\n"
                 "that could not be). Times: 2026-01-31, '2026-01-31 14:00', today, yesterday,\n"
                 "last-week, 7d, 24h (local time unless a zone is given); --until of a bare date\n"
                 "includes that day.\n"
                 "\n"
                 "  --db PATH     database (see rejectlens ingest --help)\n"
                 "  --config FILE configuration, for its database\n"
                 "  --since T     count events at or after T\n"
                 "  --until T     count events before T\n"
                 "  --samples N   unparsed lines to show (default 5)\n");
}

/* print_safe - the first max bytes of a log-derived string, made safe for a terminal (a log
 * is no source of escape sequences, cli_put_safe), "..." when there are more */
static void print_safe(const char *s, size_t len, size_t max)
{
    cli_put_safe(stdout, s, len < max ? len : max);
    if (len > max)
        fputs("...", stdout);
}

static void print_table(const char *title, const struct count_table *t, int64_t total)
{
    printf("\n%s\n", title);
    if (t->n == 0) {
        printf("  (none)\n");
        return;
    }
    for (size_t i = 0; i < t->n; i++) {
        const char *label = t->rows[i].label[0] ? t->rows[i].label : "(none)";
        size_t w = strlen(label);
        fputs("  ", stdout);
        print_safe(label, w, 200);
        printf("%*s %10lld", w < 30 ? (int)(30 - w) : 0, "", (long long)t->rows[i].count);
        if (total > 0)
            printf("  %5.1f%%", 100.0 * (double)t->rows[i].count / (double)total);
        putchar('\n');
    }
}

static int64_t sum_rows(const struct count_table *t)
{
    int64_t n = 0;

    for (size_t i = 0; i < t->n; i++)
        n += t->rows[i].count;
    return n;
}

int cmd_summary(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {"samples", required_argument, NULL, 'n'},
        {"config", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *since = NULL, *until = NULL;
    int64_t since_us, until_us;
    long samples = 5;
    struct store_summary sum;
    struct diag d = {""};
    struct store *s;
    int c;

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
        case 'n':
            if (cli_number_arg("--samples", optarg, 0, 1000, "a number", NULL, &samples) < 0)
                return EXIT_FATAL;
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
    if (optind < argc) {
        cli_error("summary: unexpected argument '%s'", argv[optind]);
        return EXIT_FATAL;
    }
    if (cli_time_range(since, until, &since_us, &until_us) < 0)
        return EXIT_FATAL;
    /* as the report and top do: a database this user may write gets the roll-ups of the days
     * it counts (and is migrated), so that the next summary of a long period reads those
     * instead of every event; another one is only read */
    if ((s = cli_open_reader(db)) == NULL)
        return EXIT_FATAL;
    /* one snapshot, so that the pieces add up even while an ingest commits */
    int rc = -1;
    if (store_rollup_build(s, since_us, until_us, &d) == 0 && store_read_begin(s, &d) == 0) {
        rc = store_summary(s, since_us, until_us, (size_t)samples, &sum, &d);
        store_read_end(s);
    }
    if (rc < 0) {
        cli_error("%s", d.msg);
        store_close(s);
        return EXIT_FATAL;
    }
    printf("events: %lld", (long long)sum.events);
    if (sum.events > 0) {
        char a[40], b[40];
        format_iso_utc(sum.first_us, 0, a, sizeof a);
        format_iso_utc(sum.last_us, 0, b, sizeof b);
        printf(" (%s .. %s)", a, b);
    }
    putchar('\n');
    print_table("by kind", &sum.by_kind, sum.events);
    print_table("by direction", &sum.by_direction, sum.events);
    print_table("by kind and direction", &sum.by_kind_direction, sum.events);
    int64_t failures = sum_rows(&sum.by_code);
    print_table("failures by reply code", &sum.by_code, failures);
    print_table("failures by enhanced status", &sum.by_status, failures);
    print_table("failures by cause", &sum.by_category, failures);
    printf("\nparse statistics (all sources)\n");
    printf("  %-30s %10lld\n", "sources", (long long)sum.sources);
    printf("  %-30s %10lld\n", "lines read", (long long)sum.lines);
    printf("  %-30s %10lld\n", "events", (long long)sum.source_events);
    printf("  %-30s %10lld\n", "lines without an event", (long long)sum.info_lines);
    printf("  %-30s %10lld\n", "other programs' lines", (long long)sum.foreign_lines);
    printf("  %-30s %10lld\n", "unparsed lines", (long long)sum.unparsed_lines);
    if (sum.nsamples > 0) {
        printf("\nunparsed lines (first %zu)\n", sum.nsamples);
        for (size_t i = 0; i < sum.nsamples; i++) {
            fputs("  ", stdout);
            print_safe(sum.samples[i].source, strlen(sum.samples[i].source), 400);
            printf("@%lld (%s): ", (long long)sum.samples[i].offset, sum.samples[i].reason);
            print_safe(sum.samples[i].line, sum.samples[i].line_len, 160);
            putchar('\n');
        }
    }
    store_summary_free(&sum);
    store_close(s);
    return EXIT_OK;
}
