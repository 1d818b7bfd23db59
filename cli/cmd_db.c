/*
 * cmd_db - "rejectlens db check|migrate": is the database whole, which schema is it, what
 * does it hold; bring an older one to the current schema
 *
 * EXIT STATUS
 *	check: 0 whole and current; 1 SQLite found damage, or the schema is older than this
 *	rejectlens (run db migrate); 2 it cannot be opened. migrate: 0 done, 2 could not.
 */
#include "cli.h"
#include "timeparse.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: rejectlens db check [--db PATH] [--config FILE] [--quick]\n"
                 "       rejectlens db migrate [--db PATH] [--config FILE]\n"
                 "\n"
                 "check:   SQLite's integrity check (--quick: its quicker check), the schema\n"
                 "         version, and the counts of what the database holds.\n"
                 "migrate: bring a database of an older rejectlens to this one's schema (every\n"
                 "         writing command does so too).\n"
                 "\n"
                 "Exit status: check: 0 ok, 1 damaged or an older schema, 2 could not open;\n"
                 "migrate: 0 ok, 2 could not.\n");
}

static void count(const char *what, int64_t n)
{
    if (n >= 0)
        printf("%-18s %lld\n", what, (long long)n);
}

static int check(struct store *s, const char *db, int full)
{
    struct store_check ck;
    struct diag d = {""};
    int rc;

    if (store_check(s, full, &ck, &d) < 0) {
        cli_error("%s", d.msg);
        return EXIT_FATAL;
    }
    printf("%-18s %s\n", "database", db);
    printf("%-18s %d (this rejectlens: %d)%s\n", "schema version", ck.version, STORE_SCHEMA_VERSION,
           ck.version < STORE_SCHEMA_VERSION ? "; run 'rejectlens db migrate'" : "");
    printf("%-18s %s\n", "journal mode", ck.journal_mode);
    printf("%-18s %s\n", full ? "integrity check" : "quick check", ck.integrity);
    count("events", ck.events);
    if (ck.events > 0) {
        char a[40], b[40];
        format_iso_utc(ck.first_us, 0, a, sizeof a);
        format_iso_utc(ck.last_us, 0, b, sizeof b);
        printf("%-18s %s .. %s\n", "events span", a, b);
    }
    count("reply texts", ck.reply_texts);
    count("  unclassified", ck.unclassified);
    count("sources", ck.sources);
    count("unparsed samples", ck.unparsed_samples);
    count("reports sent", ck.report_runs);
    printf("%-18s %.1f MB (%lld free pages)\n", "size", (double)(ck.page_size * ck.pages) / 1e6,
           (long long)ck.free_pages);
    rc = strcmp(ck.integrity, "ok") == 0 && ck.version == STORE_SCHEMA_VERSION ? EXIT_OK
                                                                               : EXIT_PROBLEMS;
    if (strcmp(ck.integrity, "ok") != 0)
        cli_error("%s: the integrity check found damage; restore a backup, or try "
                  "sqlite3 '%s' .recover",
                  db, db);
    store_check_free(&ck);
    return rc;
}

int cmd_db(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'C'},
        {"quick", no_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *action;
    char dbbuf[4096];
    int c, quick = 0, rc;
    struct store *s;

    if (argc < 2 || cli_wants_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_FATAL : EXIT_OK;
    }
    action = argv[1];
    if (strcmp(action, "check") != 0 && strcmp(action, "migrate") != 0) {
        cli_error("db: unknown action '%s' (give check or migrate)", action);
        return EXIT_FATAL;
    }
    optind = 1;
    while ((c = getopt_long(argc - 1, argv + 1, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'C':
            cli_config_use(optarg);
            break;
        case 'k':
            quick = 1;
            break;
        default:
            usage(stderr);
            return EXIT_FATAL;
        }
    }
    if (optind < argc - 1) {
        cli_error("db: unexpected argument '%s'", argv[optind + 1]);
        return EXIT_FATAL;
    }
    if ((db = cli_db_path(db, dbbuf, sizeof dbbuf)) == NULL)
        return EXIT_FATAL;
    if (strcmp(action, "migrate") == 0) {
        if ((s = cli_open_store(db, STORE_READ_WRITE)) == NULL)
            return EXIT_FATAL;
        store_close(s);
        return EXIT_OK;
    }
    if ((s = cli_open_store(db, STORE_INSPECT)) == NULL)
        return EXIT_FATAL;
    rc = check(s, db, !quick);
    store_close(s);
    return rc;
}
