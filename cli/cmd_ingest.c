/*
 * cmd_ingest - "rejectlens ingest": read log files into the database
 *
 * DESCRIPTION
 *	The files are put oldest first (logfiles.h), the run lock of the database is taken
 *	(cli_lock_run), and the pipeline reads each file from where the last run stopped.
 *	--dry-run opens no database: the pipeline reads every file whole, parses it and
 *	classifies its replies, and only the counts are printed (what reading costs, measured).
 *
 * EXIT STATUS
 *	0 done; 1 a file could not be read (or only up to damage), or a signal stopped the run
 *	after its batch; 2 bad usage, another run holds the lock, or the database is unusable.
 */
#include "cli.h"
#include "cli_rules.h"
#include "logfiles.h"
#include "parser.h"
#include "pipeline.h"
#include "progress.h"
#include "timeparse.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
    char names[256];

    parser_names(names, sizeof names);
    fprintf(out,
            "usage: rejectlens ingest [--db PATH] [--config FILE] [--format auto|FORMAT]\n"
            "                         [--host NAME] [--timezone TZ] [--year-ref DATE]\n"
            "                         [--rules FILE]... [--wait T] [--batch N]\n"
            "                         [--progress auto|always|never] [--threads 1|2]\n"
            "                         [--dry-run] [-q|-v] FILE...\n"
            "\n"
            "Read mail logs into the database. A FILE of - is standard input. Files are\n"
            "recognised by their first bytes, not their names: a file read before is read on\n"
            "from where the last run stopped, so running twice never counts a line twice, and\n"
            "a rotated mail.log.1 (or mail.log.2.gz) is known as the mail.log of last night.\n"
            "gzip, bzip2, xz and zstd files are read as they are. The files are read oldest\n"
            "first (mail.log.2.gz, mail.log.1, mail.log), whatever the order given. Each\n"
            "distinct rejection text is classified once, by the built-in rules, the\n"
            "configuration's rules files and the --rules files.\n"
            "\n"
            "  --db PATH        database (default: $REJECTLENS_DB, the configuration's database,\n"
            "                   /var/lib/rejectlens/rejectlens.db for root,\n"
            "                   ~/.local/share/rejectlens/rejectlens.db otherwise), or a\n"
            "                   PostgreSQL URI: postgresql://user@host/db (docs/scaling.md)\n"
            "  --config FILE    configuration (default: $REJECTLENS_CONFIG, else\n"
            "                   /etc/rejectlens/config.yaml when it exists)\n"
            "  --format F       log format: auto (default) or one of: %s\n"
            "  --host NAME      host name to record for lines that name none\n"
            "  --timezone TZ    time zone of logs whose times have none (Europe/Berlin)\n"
            "  --year-ref DATE  the date the log ends by, for timestamps without a year\n"
            "                   (default: the file's modification time)\n"
            "  --rules FILE     add an admin rules file to the built-in rules (repeatable)\n"
            "  --wait T         wait up to T (30s, 5m) for another run on this database\n"
            "                   (default: the configuration's lock_wait, else 60s)\n"
            "  --batch N        lines per transaction, across files (default: 200000, and\n"
            "                   at least 20 times the size of the parsers' saved state in\n"
            "                   bytes of log, as the state is written whole at each commit)\n"
            "  --progress P     a progress bar on standard error: auto (on a terminal),\n"
            "                   always, never\n"
            "  --threads N      2: the database is written in a thread of its own while the\n"
            "                   next lines are read, and a compressed file is decompressed\n"
            "                   in another; a dry run reads a plain file in a thread ahead\n"
            "                   of the parser (the default with two CPUs or more); 1: one\n"
            "                   thread does all of it\n"
            "  --dry-run        read, parse and classify every file whole, and keep nothing:\n"
            "                   no database is opened, the counts are printed\n"
            "  -q, --quiet      print nothing but errors\n"
            "  -v, --verbose    print per-file counts and throughput\n"
            "\n"
            "Exit status: 0 ok, 1 some files could not be read (or a signal stopped the run),\n"
            "2 could not run.\n",
            names);
}

static void print_result(const struct pipeline_result *res, int verbose, int dry, double secs)
{
    const struct ingest_stats *t = &res->total;

    if (verbose) {
        for (int i = 0; i < res->nfiles; i++) {
            const struct pipeline_file_result *f = &res->files[i];
            if (f->failed && f->stats.lines == 0)
                continue;
            cli_put_safe(stdout, f->path, strlen(f->path)); /* a file name may hold anything */
            if (f->unchanged) {
                printf(": %s archive read before, unchanged\n",
                       f->compression ? f->compression : "an");
                continue;
            }
            printf(": %s%s%s, from byte %lld: %lld lines, %lld events, %lld unparsed",
                   f->format ? f->format : "empty", f->compression ? ", " : "",
                   f->compression ? f->compression : "", (long long)f->start_offset,
                   (long long)f->stats.lines, (long long)f->stats.events,
                   (long long)f->stats.unparsed);
            if (f->pending > 0)
                printf(", %lld bytes of an unfinished last line left for the next run",
                       (long long)f->pending);
            if (f->failed)
                printf(" (then damaged)");
            putchar('\n');
        }
    }
    printf("%s %d file%s: %lld lines, %lld events, %lld other programs' lines, "
           "%lld unparsed",
           dry ? "dry run: read" : "ingested", res->nfiles - res->files_failed,
           res->nfiles - res->files_failed == 1 ? "" : "s", (long long)t->lines,
           (long long)t->events, (long long)t->foreign, (long long)t->unparsed);
    if (res->files_failed)
        printf(", %d file%s failed", res->files_failed, res->files_failed == 1 ? "" : "s");
    if (dry)
        printf(", %lld distinct reply texts classified", (long long)res->reply_texts);
    putchar('\n');
    if (verbose && secs > 0)
        printf("%.2f s, %.1f MB/s, %.0f lines/s\n", secs, (double)t->bytes / 1e6 / secs,
               (double)t->lines / secs);
}

static void on_progress(void *ctx, const struct pipeline_progress *pp)
{
    progress_update(ctx, (size_t)pp->file, pp->file_pos, pp->skipped, pp->lines);
}

/* set_timezone - TZ for zone-less log times; 0 or -1 (printed) */
static int set_timezone(const char *tz)
{
    if (setenv("TZ", tz, 1) < 0) {
        cli_error("--timezone: cannot set TZ");
        return -1;
    }
    tzset();
    return 0;
}

int cmd_ingest(int argc, char **argv)
{
    enum { O_TZ = 256, O_WAIT, O_BATCH, O_PROGRESS, O_DRY, O_THREADS };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'C'},
        {"format", required_argument, NULL, 'f'},
        {"host", required_argument, NULL, 'H'},
        {"timezone", required_argument, NULL, O_TZ},
        {"year-ref", required_argument, NULL, 'y'},
        {"rules", required_argument, NULL, 'r'},
        {"wait", required_argument, NULL, O_WAIT},
        {"batch", required_argument, NULL, O_BATCH},
        {"progress", required_argument, NULL, O_PROGRESS},
        {"dry-run", no_argument, NULL, O_DRY},
        {"threads", required_argument, NULL, O_THREADS},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct pipeline_options opt = {
        .format = "auto", .stop = &cli_stop_requested, .threads = cli_ingest_threads()};
    struct rules_files files = {{NULL}, 0};
    struct pipeline_result res;
    struct logfiles lf = {NULL, 0, 0, NULL, 0};
    const char *db = NULL, *wait = NULL, *progress = "auto", *tz = NULL;
    char dbbuf[4096];
    int verbose = 0, quiet = 0, dry = 0, c, rc = EXIT_FATAL, bar;
    int64_t wait_ms, *sizes = NULL;
    struct store *s = NULL;
    struct progress *pg = NULL;
    struct diag d = {""};
    struct timespec t0, t1;

    optind = 1;
    while ((c = getopt_long(argc, argv, "qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'C':
            cli_config_use(optarg);
            break;
        case 'f':
            opt.format = optarg;
            break;
        case 'H':
            opt.default_host = optarg;
            break;
        case O_TZ:
            tz = optarg;
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
        case O_WAIT:
            wait = optarg;
            break;
        case O_BATCH: {
            long n;
            if (cli_number_arg("--batch", optarg, 1, 100000000, "a number of lines", NULL, &n) < 0)
                return EXIT_FATAL;
            opt.checkpoint_lines = n;
            break;
        }
        case O_PROGRESS:
            progress = optarg;
            break;
        case O_DRY:
            dry = 1;
            break;
        case O_THREADS:
            if (strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0) {
                cli_error("--threads: give 1 or 2");
                return EXIT_FATAL;
            }
            opt.threads = optarg[0] - '0';
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
    if ((bar = progress_mode(progress)) < 0) {
        cli_error("--progress: give auto, always or never");
        return EXIT_FATAL;
    }
    if (tz != NULL && set_timezone(tz) < 0)
        return EXIT_FATAL;
    if (!dry &&
        (cli_lock_wait(wait, &wait_ms) < 0 || (db = cli_db_path(db, dbbuf, sizeof dbbuf)) == NULL))
        return EXIT_FATAL;
    /* signals first and the database before the rules: a stop that comes while the rules
     * compile (slow under the sanitizers) still stops cleanly, with the database made */
    cli_catch_stop_signals();
    if (!dry &&
        (cli_lock_run(db, wait_ms) < 0 || (s = cli_open_store(db, STORE_READ_WRITE)) == NULL))
        goto out;
    if ((opt.rules = cli_rules_load(&files)) == NULL)
        goto out;
    for (int i = optind; i < argc; i++)
        logfiles_add(&lf, argv[i]);
    logfiles_order(&lf, 1);
    sizes = calloc(lf.n, sizeof *sizes);
    for (size_t i = 0; sizes != NULL && i < lf.n; i++) {
        struct stat sb;
        sizes[i] = stat(lf.paths[i], &sb) == 0 && S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : 0;
    }
    if (sizes != NULL && !quiet && (pg = progress_start(bar, sizes, lf.n)) != NULL) {
        opt.progress = on_progress;
        opt.progress_ctx = pg;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = pipeline_ingest(s, lf.paths, (int)lf.n, &opt, &res, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    progress_end(pg);
    if (rc < 0) {
        cli_error("%s", d.msg);
        pipeline_result_free(&res);
        rc = EXIT_FATAL;
        goto out;
    }
    if (!quiet && (verbose || dry || isatty(STDOUT_FILENO)))
        print_result(&res, verbose, dry,
                     (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (res.interrupted && dry)
        cli_error("interrupted by signal %d", cli_stop_requested);
    else if (res.interrupted)
        cli_error("interrupted by signal %d: everything read so far is stored; the next run goes "
                  "on from there",
                  cli_stop_requested);
    rc = res.files_failed || res.interrupted ? EXIT_PROBLEMS : EXIT_OK;
    pipeline_result_free(&res);
out:
    free(sizes);
    logfiles_free(&lf);
    store_close(s);
    ruleset_free(opt.rules);
    return rc;
}
