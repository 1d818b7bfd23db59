/*
 * cmd_ingest - "rejectlens ingest": read log files into the database
 */
#include "cli.h"
#include "cli_rules.h"
#include "parser.h"
#include "pipeline.h"
#include "timeparse.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
    char names[256];

    parser_names(names, sizeof names);
    fprintf(out,
            "usage: rejectlens ingest [--db PATH] [--format auto|FORMAT] [--host NAME]\n"
            "                         [--year-ref DATE] [--rules FILE]... [-q|-v] FILE...\n"
            "\n"
            "Read mail logs into the database. A FILE of - is standard input. Files are\n"
            "recognised by their first bytes, not their names: a file read before is read on\n"
            "from where the last run stopped, so running twice never counts a line twice, and\n"
            "a rotated mail.log.1 is known as the mail.log of last night. Each distinct\n"
            "rejection text is classified once, by the built-in rules and the --rules files.\n"
            "\n"
            "  --db PATH        database (default: $REJECTLENS_DB, /var/lib/rejectlens/rejectlens.db\n"
            "                   for root, ~/.local/share/rejectlens/rejectlens.db otherwise)\n"
            "  --format F       log format: auto (default) or one of: %s\n"
            "  --host NAME      host name to record for lines that name none\n"
            "  --year-ref DATE  the date the log ends by, for timestamps without a year\n"
            "                   (default: the file's modification time)\n"
            "  --rules FILE     add an admin rules file to the built-in rules (repeatable)\n"
            "  -q, --quiet      print nothing but errors\n"
            "  -v, --verbose    print per-file counts and throughput\n"
            "\n"
            "Exit status: 0 ok, 1 some files could not be read, 2 could not run.\n",
            names);
}

static void print_result(const struct pipeline_result *res, int verbose, double secs)
{
    const struct ingest_stats *t = &res->total;

    if (verbose) {
        for (int i = 0; i < res->nfiles; i++) {
            const struct pipeline_file_result *f = &res->files[i];
            if (f->failed)
                continue;
            printf("%s: %s, from byte %lld: %lld lines, %lld events, %lld unparsed",
                   f->path, f->format ? f->format : "empty", (long long)f->start_offset,
                   (long long)f->stats.lines, (long long)f->stats.events,
                   (long long)f->stats.unparsed);
            if (f->pending > 0)
                printf(", %lld bytes of an unfinished last line left for the next run",
                       (long long)f->pending);
            putchar('\n');
        }
    }
    printf("ingested %d file%s: %lld lines, %lld events, %lld other programs' lines, "
           "%lld unparsed",
           res->nfiles - res->files_failed, res->nfiles - res->files_failed == 1 ? "" : "s",
           (long long)t->lines, (long long)t->events, (long long)t->foreign,
           (long long)t->unparsed);
    if (res->files_failed)
        printf(", %d file%s failed", res->files_failed, res->files_failed == 1 ? "" : "s");
    putchar('\n');
    if (verbose && secs > 0)
        printf("%.2f s, %.1f MB/s, %.0f lines/s\n", secs, (double)t->bytes / 1e6 / secs,
               (double)t->lines / secs);
}

int cmd_ingest(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"host", required_argument, NULL, 'H'},
        {"year-ref", required_argument, NULL, 'y'},
        {"rules", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct pipeline_options opt = {.format = "auto", .stop = &cli_stop_requested};
    struct rules_files files = {{NULL}, 0};
    struct pipeline_result res;
    const char *db = NULL;
    int verbose = 0, quiet = 0, c, rc;
    struct store *s;
    struct diag d = {""};
    struct timespec t0, t1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'f':
            opt.format = optarg;
            break;
        case 'H':
            opt.default_host = optarg;
            break;
        case 'y': {
            int64_t us;
            if (time_arg_parse(optarg, (int64_t)time(NULL), 1, &us, &d) < 0) {
                cli_error("--year-ref: %s", d.msg);
                return EXIT_FATAL;
            }
            opt.year_ref_s = us / US_PER_SEC;
            break;
        }
        case 'r':
            if (cli_rules_file(&files, optarg) < 0)
                return EXIT_FATAL;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_FATAL;
        }
    }
    if (optind >= argc) {
        cli_error("ingest: no log file given (use - for standard input)");
        usage(stderr);
        return EXIT_FATAL;
    }
    if (strcmp(opt.format, "auto") != 0 && parser_by_name(opt.format) == NULL) {
        char names[256];
        parser_names(names, sizeof names);
        cli_error("--format: unknown format '%s' (known: auto, %s)", opt.format, names);
        return EXIT_FATAL;
    }
    /* signals first and the database before the rules: a stop that comes while the rules
     * compile (slow under the sanitizers) still stops cleanly, with the database made */
    cli_catch_stop_signals();
    if ((s = cli_open_store(db, STORE_READ_WRITE)) == NULL)
        return EXIT_FATAL;
    if ((opt.rules = cli_rules_load(&files)) == NULL) {
        store_close(s);
        return EXIT_FATAL;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = pipeline_ingest(s, argv + optind, argc - optind, &opt, &res, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc < 0) {
        cli_error("%s", d.msg);
        pipeline_result_free(&res);
        store_close(s);
        ruleset_free(opt.rules);
        return EXIT_FATAL;
    }
    if (!quiet && (verbose || isatty(STDOUT_FILENO)))
        print_result(&res, verbose,
                     (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (res.interrupted)
        cli_error("interrupted by signal %d: everything read so far is stored; the next run goes "
                  "on from there",
                  cli_stop_requested);
    rc = res.files_failed || res.interrupted ? EXIT_PROBLEMS : EXIT_OK;
    pipeline_result_free(&res);
    store_close(s);
    ruleset_free(opt.rules);
    return rc;
}
