/*
 * cmd_query - "rejectlens query": one read-only SQL statement against the database
 *
 * The database is opened read-only and the statement is checked before it runs (see
 * store_query.h): an admin may look at everything and change nothing.
 */
#include "cli.h"
#include "out.h"
#include "store_query.h"
#include "strbuf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MAX (1L << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rejectlens query [--db PATH] [--format table|csv|json|tsv] [--wide] SQL\n"
            "\n"
            "Run one SQL statement that only reads (SELECT, WITH ... SELECT, VALUES, EXPLAIN,\n"
            "a pragma that reports) and print its rows. The database is opened read-only;\n"
            "a statement that would write, ATTACH, or set a pragma is refused. SQL of '-'\n"
            "is read from standard input. The tables and the views v_events, v_rejections\n"
            "and v_daily are described in docs/schema.md.\n"
            "\n"
            "  --db PATH     database (see rejectlens ingest --help)\n"
            "  --format F    table (default: aligned, long cells cut), csv, json (an array of\n"
            "                objects), tsv\n"
            "  --wide        never cut a cell in a table\n"
            "\n"
            "Example:\n"
            "  rejectlens query \"SELECT category, count(*) AS n FROM v_rejections\n"
            "                   WHERE ts >= '2026-01-05' GROUP BY category ORDER BY n DESC\"\n"
            "\n"
            "Exit status: 0 ok, 2 bad usage, a refused statement, an SQL error or no database.\n");
}

/* read_stdin - the SQL from standard input, at most SQL_MAX bytes; NULL when too long */
static char *read_stdin(void)
{
    struct strbuf sb = STRBUF_INIT;
    char buf[8192];
    size_t n;

    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        strbuf_append(&sb, buf, n);
        if (sb.len > (size_t)SQL_MAX) {
            strbuf_free(&sb);
            return NULL;
        }
    }
    return strbuf_detach(&sb);
}

/* run - the statement's rows through the writer; EXIT_* */
static int run(struct store *s, const char *sql, const struct out_opts *opts)
{
    struct store_query *q;
    struct diag d = {""};
    struct out_col *cols;
    struct out_cell *cells;
    struct out *o;
    int ncols, rc;

    if (store_query_open(s, sql, &q, &d) < 0) {
        cli_error("query: %s", d.msg);
        return EXIT_FATAL;
    }
    ncols = store_query_columns(q);
    cols = calloc((size_t)ncols + 1, sizeof *cols);
    cells = calloc((size_t)ncols + 1, sizeof *cells);
    if (cols == NULL || cells == NULL) {
        cli_error("query: out of memory");
        exit(EXIT_FATAL);
    }
    for (int i = 0; i < ncols; i++)
        cols[i].name = store_query_column_name(q, i);
    o = out_open(stdout, opts, cols, (size_t)ncols);
    while ((rc = store_query_next(q, &d)) == 1) {
        for (int i = 0; i < ncols; i++) {
            enum store_value_type t = store_query_type(q, i);
            const char *v = store_query_text(q, i);
            cells[i] = out_textn(v, store_query_bytes(q, i));
            if (t == STORE_VALUE_NULL)
                cells[i].type = OUT_NULL;
            else if (t == STORE_VALUE_INTEGER || t == STORE_VALUE_FLOAT)
                cells[i].type = OUT_NUMBER;
        }
        out_row(o, cells);
    }
    if (rc == 0 && opts->fmt == OUT_TABLE && out_rows(o) == 0)
        fputs("(no rows)\n", stdout);
    if (out_close(o) < 0 && rc == 0) {
        cli_error("query: writing the output failed");
        rc = -1;
        d.msg[0] = '\0';
    }
    if (rc < 0 && d.msg[0] != '\0')
        cli_error("query: %s", d.msg);
    store_query_close(q);
    free(cols);
    free(cells);
    return rc < 0 ? EXIT_FATAL : EXIT_OK;
}

int cmd_query(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"wide", no_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    char *sql = NULL;
    struct out_opts opts;
    struct store *s;
    int c, rc;

    out_opts_for(stdout, &opts);
    optind = 1;
    /* "+": the SQL may start with "-" (a comment); options end at the first operand */
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'f':
            if (cli_format_arg(optarg, &opts.fmt) < 0)
                return EXIT_FATAL;
            break;
        case 'w':
            opts.wide = 1;
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
        cli_error("query: give the SQL statement (in quotes), or - to read it from stdin");
        return EXIT_FATAL;
    }
    if (optind + 1 < argc) {
        cli_error("query: give the SQL as one argument, in quotes (got '%s' after it)",
                  argv[optind + 1]);
        return EXIT_FATAL;
    }
    if (strcmp(argv[optind], "-") == 0 && (sql = read_stdin()) == NULL) {
        cli_error("query: the SQL on standard input is longer than %ld bytes", SQL_MAX);
        return EXIT_FATAL;
    }
    if ((s = cli_open_store(db, STORE_READ_ONLY)) == NULL) {
        free(sql);
        return EXIT_FATAL;
    }
    rc = run(s, sql ? sql : argv[optind], &opts);
    store_close(s);
    free(sql);
    return rc;
}
