/*
 * cmd_classify - "rejectlens classify": classify the stored reply texts again after the rules
 * changed, touching nothing but reply_texts
 */
#include "classify.h"
#include "cli.h"
#include "cli_rules.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define BATCH 1000

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: rejectlens classify [--db PATH] [--config FILE] [--rules FILE]... [--all] [-q]\n"
        "\n"
        "Classify again the distinct reply texts in the database whose classification\n"
        "came from other rules than the ones in effect now (the built-in rules, the\n"
        "configuration's rules files and the --rules files), or all of them with --all. Events are "
        "not touched: they point at\n"
        "their reply text, so every report sees the new categories at once.\n"
        "\n"
        "  --db PATH      database (see rejectlens ingest --help)\n"
        "  --config FILE  configuration: its database and rules files\n"
        "  --rules FILE   add an admin rules file (repeatable)\n"
        "  --all          classify every reply text, not only the stale ones\n"
        "  -q, --quiet    print nothing but errors\n"
        "\n"
        "Exit status: 0 ok, 2 could not run.\n");
}

static int same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* reclassify - one batch after *last; returns rows done (0 at the end) or -1 */
static long reclassify(struct store *s, struct ruleset *rs, int all, int64_t *last, long *changed,
                       struct diag *d)
{
    struct reply_text_row *rows;
    size_t n;

    if (store_begin(s, d) < 0)
        return -1;
    if (store_reply_texts_next(s, *last, all ? NULL : rs->hash, BATCH, &rows, &n, d) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const struct reply_key *k = &rows[i].key;
        struct classify_input in = {k->template_text, strlen(k->template_text),
                                    k->reply_code,    k->status,
                                    k->stage,         k->kind,
                                    k->direction,     k->mta};
        struct classification c;
        const char *rule;
        classify(rs, &in, &c);
        rule = c.rule ? c.rule->id : NULL;
        if (!same(rows[i].category, c.category_id) || !same(rows[i].rule, rule))
            (*changed)++;
        if (store_reply_text_classify(s, rows[i].id, c.category_id, rule, rs->hash, d) < 0) {
            store_reply_text_rows_free(rows, n);
            goto fail;
        }
        *last = rows[i].id;
    }
    store_reply_text_rows_free(rows, n);
    if (store_commit(s, d) < 0)
        return -1;
    return (long)n;
fail:
    store_rollback(s);
    return -1;
}

int cmd_classify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'C'},
        {"db", required_argument, NULL, 'd'},
        {"rules", required_argument, NULL, 'r'},
        {"all", no_argument, NULL, 'a'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct rules_files files = {{NULL}, 0};
    const char *db = NULL;
    int all = 0, quiet = 0, c;
    long done = 0, changed = 0, got;
    int64_t last = 0;
    struct ruleset *rs;
    struct store *s;
    struct diag d = {""};
    struct stat sb;
    char buf[4096];

    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'r':
            if (cli_rules_file(&files, optarg) < 0)
                return EXIT_FATAL;
            break;
        case 'a':
            all = 1;
            break;
        case 'q':
            quiet = 1;
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
        cli_error("classify: unexpected argument '%s'", argv[optind]);
        return EXIT_FATAL;
    }
    if (db == NULL && (db = cli_default_db(buf, sizeof buf)) == NULL)
        return EXIT_FATAL;
    if (!store_is_remote(db) && stat(db, &sb) < 0) {
        cli_error("%s: no database there (run 'rejectlens ingest' first, or give --db)", db);
        return EXIT_FATAL;
    }
    if ((rs = cli_rules_load(&files)) == NULL)
        return EXIT_FATAL;
    if ((s = cli_open_store(db, STORE_READ_WRITE)) == NULL) {
        ruleset_free(rs);
        return EXIT_FATAL;
    }
    while ((got = reclassify(s, rs, all, &last, &changed, &d)) > 0)
        done += got;
    if (got < 0)
        cli_error("%s", d.msg);
    else if (!quiet)
        printf("classified %ld reply text%s again (rules %s): %ld changed\n", done,
               done == 1 ? "" : "s", rs->hash, changed);
    store_close(s);
    ruleset_free(rs);
    return got < 0 ? EXIT_FATAL : EXIT_OK;
}
