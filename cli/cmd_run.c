/*
 * cmd_run - "rejectlens run": the nightly job: ingest every configured source, send the
 * reports that are due, prune what is older than the retention
 *
 * DESCRIPTION
 *	Everything comes from the configuration (config.h). The run lock is held from before the
 *	database is opened until the process ends, so a second run waits (lock_wait) and then
 *	gives up with exit 2, and never reads an offset the first is still moving. Each source
 *	is one pass of the pipeline over its files, oldest first, read in the source's time zone;
 *	the reports and the prune run in the system's.
 *
 *	Silent when all is well: cron mails what a run prints, so it prints only what an admin
 *	should read (warnings, on standard error), or a summary with --verbose.
 *
 * EXIT STATUS
 *	0 done; 1 done, with problems an admin should read (a file that could not be read, a
 *	source that matches no file, a report not sent, a signal); 2 could not run (no or bad
 *	configuration, another run holds the lock, the database is unusable).
 */
#include "cli.h"
#include "cli_rules.h"
#include "config.h"
#include "logfiles.h"
#include "pipeline.h"
#include "progress.h"
#include "run_reports.h"
#include "timeparse.h"
#include "xalloc.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: rejectlens run [--config FILE] [--progress auto|always|never] [--wait T]\n"
                 "                      [--now T] [-v]\n"
                 "\n"
                 "The nightly job, all from the configuration: read what is new in every source\n"
                 "(rotated and compressed files too), send the reports that are due (each period\n"
                 "once), and delete events older than the retention. Prints nothing when all is\n"
                 "well; warnings go to standard error.\n"
                 "\n"
                 "  --config FILE    configuration (default: $REJECTLENS_CONFIG, else\n"
                 "                   /etc/rejectlens/config.yaml); see docs/config.md\n"
                 "  --progress P     a progress bar on standard error: auto (on a terminal,\n"
                 "                   the default), always, never\n"
                 "  --wait T         wait up to T for another run (default: lock_wait, else 60s)\n"
                 "  --now T          act as if it were T: which reports are due, what the\n"
                 "                   retention keeps (to try a schedule)\n"
                 "  -v, --verbose    say what was done\n"
                 "\n"
                 "Exit status: 0 ok, 1 finished with problems an admin should read, 2 could not\n"
                 "run.\n");
}

struct bar_ctx {
    struct progress *pg;
    size_t first; /* index of the source's first file among all the run's files */
};

static void on_progress(void *ctx, const struct pipeline_progress *pp)
{
    struct bar_ctx *b = ctx;

    progress_update(b->pg, b->first + (size_t)pp->file, pp->file_pos, pp->skipped, pp->lines);
}

/* use_timezone - TZ for the zone-less times of one source; NULL: the one the run began with */
static void use_timezone(const char *tz, const char *orig)
{
    if (tz != NULL)
        setenv("TZ", tz, 1);
    else if (orig != NULL)
        setenv("TZ", orig, 1);
    else
        unsetenv("TZ");
    tzset();
}

int cmd_run(int argc, char **argv)
{
    enum { O_PROGRESS = 256, O_WAIT, O_NOW };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'C'},
        {"progress", required_argument, NULL, O_PROGRESS},
        {"wait", required_argument, NULL, O_WAIT},
        {"now", required_argument, NULL, O_NOW},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *progress = "auto", *wait = NULL, *now_arg = NULL, *db;
    const struct config *cfg;
    struct logfiles *lists = NULL;
    struct store *s = NULL;
    struct ruleset *rules = NULL;
    struct progress *pg = NULL;
    struct diag d = {""};
    char dbbuf[4096], *orig_tz = NULL;
    int verbose = 0, c, bar, problems = 0, rc = EXIT_FATAL;
    int64_t wait_ms, now_s = (int64_t)time(NULL), lines = 0, events = 0;
    size_t nfiles = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'C':
            cli_config_use(optarg);
            break;
        case O_PROGRESS:
            progress = optarg;
            break;
        case O_WAIT:
            wait = optarg;
            break;
        case O_NOW:
            now_arg = optarg;
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
    if (optind < argc) {
        cli_error("run: unexpected argument '%s' (the files to read are in the configuration)",
                  argv[optind]);
        return EXIT_FATAL;
    }
    if ((bar = progress_mode(progress)) < 0) {
        cli_error("--progress: give auto, always or never");
        return EXIT_FATAL;
    }
    if (now_arg != NULL) {
        int64_t us;
        if (time_arg_parse(now_arg, now_s, 0, &us, &d) < 0) {
            cli_error("--now: %s", d.msg);
            return EXIT_FATAL;
        }
        now_s = us / US_PER_SEC;
    }
    if (cli_config_required(&cfg) < 0 || cli_lock_wait(wait, &wait_ms) < 0 ||
        (db = cli_db_path(NULL, dbbuf, sizeof dbbuf)) == NULL)
        return EXIT_FATAL;
    if (cfg->nsources == 0 && cfg->nreports == 0 && cfg->retention_s == 0) {
        cli_error("%s: nothing to do: no sources, no reports, no retention", cfg->file);
        return EXIT_FATAL;
    }
    /* signals, the lock and the database before the rules, as ingest does */
    cli_catch_stop_signals();
    if (cli_lock_run(db, wait_ms) < 0 || (s = cli_open_store(db, STORE_READ_WRITE)) == NULL ||
        (rules = cli_rules_load(NULL)) == NULL)
        goto out;
    if (getenv("TZ") != NULL)
        orig_tz = xstrdup(getenv("TZ"));

    /* the files of every source, oldest first within each */
    lists = xcalloc(cfg->nsources ? cfg->nsources : 1, sizeof *lists);
    for (size_t i = 0; i < cfg->nsources; i++) {
        const struct config_source *src = &cfg->sources[i];
        for (size_t j = 0; j < src->npaths; j++) {
            size_t had = lists[i].nskipped;
            int n = logfiles_glob(&lists[i], src->paths[j], &d);
            for (size_t k = had; k < lists[i].nskipped; k++) {
                cli_error("warning: %s:%d: %s", cfg->file, src->line, lists[i].skipped[k]);
                problems++;
            }
            if (n < 0) {
                cli_error("warning: %s", d.msg);
                problems++;
            } else if (n == 0) {
                cli_error("warning: %s:%d: no file matches %s", cfg->file, src->line,
                          src->paths[j]);
                problems++;
            }
        }
        logfiles_order(&lists[i], 0);
        nfiles += lists[i].n;
    }
    if (bar) {
        int64_t *sizes = xcalloc(nfiles ? nfiles : 1, sizeof *sizes);
        size_t k = 0;
        for (size_t i = 0; i < cfg->nsources; i++)
            for (size_t j = 0; j < lists[i].n; j++, k++) {
                struct stat sb;
                sizes[k] = stat(lists[i].paths[j], &sb) == 0 ? (int64_t)sb.st_size : 0;
            }
        pg = progress_start(1, sizes, nfiles);
        free(sizes);
    }

    /* 1. ingest */
    size_t first = 0;
    for (size_t i = 0; i < cfg->nsources; i++) {
        const struct config_source *src = &cfg->sources[i];
        struct bar_ctx bc = {pg, first};
        struct pipeline_options opt = {.format = src->format,
                                       .default_host = src->host,
                                       .stop = &cli_stop_requested,
                                       .rules = rules,
                                       .threads = cli_ingest_threads()};
        struct pipeline_result res;

        first += lists[i].n;
        if (lists[i].n == 0)
            continue;
        if (pg != NULL) {
            opt.progress = on_progress;
            opt.progress_ctx = &bc;
        }
        use_timezone(src->timezone, orig_tz);
        int prc = pipeline_ingest(s, lists[i].paths, (int)lists[i].n, &opt, &res, &d);
        use_timezone(NULL, orig_tz);
        if (prc < 0) {
            progress_end(pg);
            pg = NULL;
            cli_error("%s", d.msg);
            pipeline_result_free(&res);
            goto out;
        }
        problems += res.files_failed;
        lines += res.total.lines;
        events += res.total.events;
        if (verbose)
            for (int f = 0; f < res.nfiles; f++)
                if (!res.files[f].failed && !res.files[f].unchanged && res.files[f].stats.lines) {
                    cli_put_safe(stdout, res.files[f].path, strlen(res.files[f].path));
                    printf(": %lld lines, %lld events\n", (long long)res.files[f].stats.lines,
                           (long long)res.files[f].stats.events);
                }
        int stopped = res.interrupted;
        pipeline_result_free(&res);
        if (stopped) {
            progress_end(pg);
            pg = NULL;
            cli_error("interrupted by signal %d: everything read so far is stored; no report "
                      "sent, nothing pruned; the next run goes on from there",
                      cli_stop_requested);
            rc = EXIT_PROBLEMS;
            goto out;
        }
    }
    progress_end(pg);
    pg = NULL;
    if (verbose)
        printf("ingested %lld lines, %lld events from %zu files\n", (long long)lines,
               (long long)events, nfiles);

    /* 2. the reports that are due */
    if (cfg->nreports > 0) {
        const struct command *report = cli_find_command("report");
        struct run_reports_result rr;
        if (run_reports(s, cfg, db, now_s, report ? report->run : NULL, verbose, &rr, &d) < 0) {
            cli_error("%s", d.msg);
            goto out;
        }
        problems += rr.problems;
    }

    /* 3. forget what is older than the retention */
    if (cfg->retention_s > 0 && !cli_stop_requested) {
        struct store_prune_result pr;
        int64_t before = (now_s - cfg->retention_s) * US_PER_SEC;
        if (store_prune(s, before, &cli_stop_requested, &pr, &d) < 0) {
            cli_error("%s", d.msg);
            goto out;
        }
        if (verbose)
            printf("pruned %lld events older than %lld days, %lld reply texts, %lld samples\n",
                   (long long)pr.events, (long long)(cfg->retention_s / 86400),
                   (long long)pr.reply_texts, (long long)pr.samples);
    }
    rc = problems || cli_stop_requested ? EXIT_PROBLEMS : EXIT_OK;
out:
    progress_end(pg);
    for (size_t i = 0; lists != NULL && i < cfg->nsources; i++)
        logfiles_free(&lists[i]);
    free(lists);
    free(orig_tz);
    store_close(s);
    ruleset_free(rules);
    return rc;
}
