/*
 * cmd_prune - "rejectlens prune": forget events older than an age or a date
 *
 * DESCRIPTION
 *	Deletes the events before the cutoff, the reply texts no event points at any more, and
 *	the unparsed-line samples of sources not seen since. The sources stay, offsets and all:
 *	a log file still on disk is not read again. Takes the run lock, like ingest and run.
 *
 * EXIT STATUS
 *	0 done; 1 stopped by a signal (what was deleted stays deleted); 2 could not run.
 */
#include "cli.h"
#include "config.h"
#include "timeparse.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: rejectlens prune [--older-than AGE|DATE] [--db PATH] [--config FILE]\n"
                 "                        [--wait T] [-q|-v]\n"
                 "\n"
                 "Delete the events older than AGE (90d, 12w) or before DATE (2026-01-01), the\n"
                 "reply texts only they used, and the unparsed-line samples of log files not seen\n"
                 "since. The log files' offsets stay, so nothing is read twice. Without\n"
                 "--older-than, the configuration's retention.\n"
                 "\n"
                 "  --older-than A  an age (90d, 12w, 36h) or a date (local time)\n"
                 "  --db PATH       database (see rejectlens ingest --help)\n"
                 "  --config FILE   configuration: its database and retention\n"
                 "  --wait T        wait up to T for another run (default: lock_wait, else 60s)\n"
                 "  -q, --quiet     print nothing but errors\n"
                 "  -v, --verbose   say what was deleted (the default on a terminal)\n"
                 "\n"
                 "Exit status: 0 ok, 1 stopped by a signal, 2 could not run.\n");
}

int cmd_prune(int argc, char **argv)
{
    enum { O_WAIT = 256 };
    static const struct option longopts[] = {
        {"older-than", required_argument, NULL, 'o'},
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'C'},
        {"wait", required_argument, NULL, O_WAIT},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *older = NULL, *wait = NULL;
    char dbbuf[4096], when[40];
    int c, quiet = 0, verbose = 0, rc = EXIT_FATAL;
    int64_t before_us, secs, wait_ms, now = (int64_t)time(NULL);
    struct store_prune_result pr;
    struct store *s = NULL;
    struct diag d = {""};

    optind = 1;
    while ((c = getopt_long(argc, argv, "qvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            older = optarg;
            break;
        case 'd':
            db = optarg;
            break;
        case 'C':
            cli_config_use(optarg);
            break;
        case O_WAIT:
            wait = optarg;
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
    if (optind < argc) {
        cli_error("prune: unexpected argument '%s'", argv[optind]);
        return EXIT_FATAL;
    }
    if (older == NULL) {
        const struct config *cfg;
        if (cli_config(&cfg) < 0)
            return EXIT_FATAL;
        if (cfg == NULL || cfg->retention_s == 0) {
            cli_error("prune: give --older-than AGE (like 90d), or a retention in the "
                      "configuration");
            return EXIT_FATAL;
        }
        before_us = (now - cfg->retention_s) * US_PER_SEC;
    } else if (config_duration(older, &secs, &d) == 0) {
        before_us = (now - secs) * US_PER_SEC;
    } else if (strspn(older, "0123456789") != strlen(older) &&
               time_arg_parse(older, now, 0, &before_us, &d) == 0) {
        /* a date or time */
    } else {
        cli_error("--older-than: '%s' is neither an age (90d, 12w) nor a date (2026-01-01)", older);
        return EXIT_FATAL;
    }
    if (cli_lock_wait(wait, &wait_ms) < 0 || (db = cli_db_path(db, dbbuf, sizeof dbbuf)) == NULL)
        return EXIT_FATAL;
    cli_catch_stop_signals();
    if (cli_lock_run(db, wait_ms) < 0 || (s = cli_open_store(db, STORE_READ_WRITE)) == NULL)
        goto out;
    if (store_prune(s, before_us, &cli_stop_requested, &pr, &d) < 0) {
        cli_error("%s", d.msg);
        goto out;
    }
    format_iso_utc(before_us, 0, when, sizeof when);
    if (!quiet && (verbose || isatty(STDOUT_FILENO)))
        printf("pruned %lld events before %s, %lld reply texts, %lld samples\n",
               (long long)pr.events, when, (long long)pr.reply_texts, (long long)pr.samples);
    if (cli_stop_requested) {
        cli_error("interrupted by signal %d after deleting %lld events; run it again to go on",
                  cli_stop_requested, (long long)pr.events);
        rc = EXIT_PROBLEMS;
    } else {
        rc = EXIT_OK;
    }
out:
    store_close(s);
    return rc;
}
