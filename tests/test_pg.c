/*
 * test_pg - the PostgreSQL store against a real server, and against SQLite
 *
 * main() starts a private server (tests/pg/server: initdb + pg_ctl in a temp dir, a Unix
 * socket there and no TCP port) and stops it at the end. When it cannot start, every test
 * here fails with the server's words: a machine without PostgreSQL does not pass silently.
 * Each test works in a database of its own.
 *
 *   - the two backends' schemas have the same tables, columns, views and indexes
 *   - the samples ingested into both give the same summary and the same report, byte for
 *     byte, in every format
 *   - four hosts ingest four logs at once while two more ingest one log at once: exact counts
 *   - a batch over many small files commits before it waits for another run's log
 *   - prune drops whole months and deletes the rest of the month the cutoff falls in
 *   - run, configured with the database, ingests and keeps the same reports as with SQLite
 *   - top, trace and query print the same with both
 */
#include "store.h"
#include "store_internal.h"
#include "testutil.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char server_dir[256];
static char conninfo[512]; /* of the server's maintenance database "rejectlens" */
static char server_error[4096];

/* sh - run a shell command; its exit status (ck_assert when want_ok and it failed) */
static int sh(int want_ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(int want_ok, const char *fmt, ...)
{
    char cmd[8192];
    char *out = NULL, *err = NULL;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    rc = tu_run(cmd, &out, &err);
    if (want_ok && rc != 0)
        ck_abort_msg("'%s' failed (%d): %s%s", cmd, rc, out ? out : "", err ? err : "");
    free(out);
    free(err);
    return rc;
}

/* server_up - fail the test when the server did not start, with the reason */
static void server_up(void)
{
    ck_assert_msg(conninfo[0] != '\0',
                  "the PostgreSQL server for the tests did not start (tests/pg/server): %s",
                  server_error);
}

/* new_db - a fresh database named name; its connection string in out */
static void new_db(const char *name, char *out, size_t cap)
{
    server_up();
    sh(1, "psql -X -q '%s' -c 'DROP DATABASE IF EXISTS %s' -c 'CREATE DATABASE %s'", conninfo, name,
       name);
    snprintf(out, cap, "%.*s dbname=%s", (int)(strstr(conninfo, " dbname=") - conninfo), conninfo,
             name);
}

/* psql_int - the integer a query prints */
static long psql_int(const char *db, const char *sql)
{
    char cmd[2048];
    char *out = NULL;
    long v = -1;

    snprintf(cmd, sizeof cmd, "psql -X -A -t '%s' -c \"%s\"", db, sql);
    if (tu_run(cmd, &out, NULL) == 0 && out != NULL)
        v = strtol(out, NULL, 10);
    free(out);
    return v;
}

/* ingest_samples - each sample set into db, as quickstart does */
static void ingest_samples(const char *db)
{
    static const char *const sets[] = {"postfix", "exim", "exchange"};

    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        sh(1, "cd '%s/samples/%s' && '%s' ingest --db '%s' $(cat golden.args)", SOURCE_DIR, sets[i],
           REJECTLENS_BIN, db);
}

/* take_out - each of the n lines out of a schema description; each must be there */
static void take_out(struct strbuf *schema, const char *const *lines, size_t n, const char *which)
{
    for (size_t i = 0; i < n; i++) {
        char *at = strstr(schema->buf, lines[i]);
        ck_assert_msg(at != NULL, "%s's schema lacks %s", which, lines[i]);
        memmove(at, at + strlen(lines[i]), strlen(at + strlen(lines[i])) + 1);
    }
}

START_TEST(test_schema_same)
{
    char db[600], lite[600];
    struct store *a = NULL, *b = NULL;
    struct diag d = {""};
    struct strbuf sa = STRBUF_INIT, sb = STRBUF_INIT, pg_only = STRBUF_INIT;
    /* what only PostgreSQL has, and why: docs/scaling.md */
    static const char *const extra[] = {
        "index events_id\n",           /* SQLite's rowid */
        "table parser_state origin\n", /* the host a parser state belongs to */
        "table sources origin\n",      /* the host that reads the file */
        "table rejectlens_meta key\n", /* PRAGMA application_id and user_version */
        "table rejectlens_meta value\n",
    };
    /* what only SQLite has: the address keys its day-and-address indexes are on (schema 8;
     * PostgreSQL's are on lower(address)) */
    static const char *const lite_only[] = {
        "table events orig_recipient_key\n",
        "table events recipient_key\n",
        "table events sender_key\n",
    };

    new_db("schema", db, sizeof db);
    snprintf(lite, sizeof lite, "%s/schema-%d.db", tu_tempdir(), (int)getpid());
    ck_assert_msg(store_open(lite, STORE_READ_WRITE, 1000, &a, &d) == 0, "%s", d.msg);
    ck_assert_msg(store_open(db, STORE_READ_WRITE, 1000, &b, &d) == 0, "%s", d.msg);
    ck_assert_msg(store_schema_describe(a, &sa, &d) == 0, "%s", d.msg);
    ck_assert_msg(store_schema_describe(b, &sb, &d) == 0, "%s", d.msg);
    take_out(&sb, extra, sizeof extra / sizeof extra[0], "PostgreSQL");
    take_out(&sa, lite_only, sizeof lite_only / sizeof lite_only[0], "SQLite");
    ck_assert_msg(strcmp(sa.buf, sb.buf) == 0, "the schemas differ:\nSQLite:\n%s\nPostgreSQL:\n%s",
                  sa.buf, sb.buf);
    strbuf_free(&sa);
    strbuf_free(&sb);
    strbuf_free(&pg_only);
    store_close(a);
    store_close(b);
}
END_TEST

/* a database of schema 6 (events_queue_id on the queue id alone) is migrated to 7 in place,
 * and on to the sources' fingerprint index of 9 */
START_TEST(test_migrate_from_6)
{
    char db[600], cmd[1200], *out = NULL;

    new_db("migrate", db, sizeof db);
    ingest_samples(db);
    sh(1,
       "psql -X -q '%s' -c 'DROP INDEX events_queue_id' -c 'CREATE INDEX events_queue_id ON "
       "events(queue_id) WHERE queue_id IS NOT NULL' -c 'DROP INDEX sources_fingerprint' -c "
       "\"UPDATE rejectlens_meta SET value = '6' WHERE key = 'schema_version'\"",
       db);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM pg_indexes WHERE indexname = "
                                  "'events_queue_id' AND indexdef LIKE '%86400000000%'"),
                     0);
    sh(1, "'%s' db migrate --db '%s'", REJECTLENS_BIN, db);
    ck_assert_int_eq(psql_int(db, "SELECT value::int FROM rejectlens_meta WHERE key = "
                                  "'schema_version'"),
                     STORE_SCHEMA_VERSION);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM pg_indexes WHERE indexname = "
                                  "'events_queue_id' AND indexdef LIKE "
                                  "'%86400000000%queue_id%WHERE (queue_id IS NOT NULL)%'"),
                     1);
    ck_assert_int_eq(psql_int(db,
                              "SELECT count(*) FROM pg_indexes WHERE indexname = "
                              "'sources_fingerprint' AND indexdef LIKE '%(fp_len, fingerprint)%'"),
                     1);
    snprintf(cmd, sizeof cmd,
             "'%s' trace --db '%s' --since 2000-01-01 --by queue-id D9D0A6FBAB5 --format tsv",
             REJECTLENS_BIN, db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "\tD9D0A6FBAB5\t"));
    free(out);
}
END_TEST

START_TEST(test_reports_same)
{
    static const char *const formats[] = {"text", "csv", "json", "html"};
    char db[600], lite[600], a[700], b[700];
    const char *dir = tu_tempdir();

    new_db("reports", db, sizeof db);
    snprintf(lite, sizeof lite, "%s/reports.db", dir);
    ingest_samples(db);
    ingest_samples(lite);
    /* the summary, then every report format, for the samples' week and for everything */
    sh(1,
       "'%s' summary --db '%s' >'%s/sum.pg' && '%s' summary --db '%s' >'%s/sum.lite' && "
       "cmp '%s/sum.lite' '%s/sum.pg'",
       REJECTLENS_BIN, db, dir, REJECTLENS_BIN, lite, dir, dir, dir);
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        for (int all = 0; all < 2; all++) {
            const char *period = all ? "--since 2000-01-01 --until 2030-12-31"
                                     : "--period last-week --now 2026-01-07";
            snprintf(a, sizeof a, "%s/report-%d.lite.%s", dir, all, formats[i]);
            snprintf(b, sizeof b, "%s/report-%d.pg.%s", dir, all, formats[i]);
            sh(1, "'%s' report --db '%s' %s --format %s -o '%s'", REJECTLENS_BIN, lite, period,
               formats[i], a);
            sh(1, "'%s' report --db '%s' %s --format %s -o '%s'", REJECTLENS_BIN, db, period,
               formats[i], b);
            /* the moment a report was made is the one thing that may differ (today's date:
             * the samples are of other days) */
            sh(1,
               "t=$(date -u +%%Y-%%m-%%d); for f in '%s' '%s'; do "
               "sed -E \"s/$t[T ][0-9:.]+( ?(Z|[+-][0-9:]+))?/NOW/g\" \"$f\" >\"$f.n\"; done; "
               "diff '%s.n' '%s.n'",
               a, b, a, b);
        }
    }
    /* reclassifying walks the reply texts in batches (and changes nothing); db check reads */
    sh(1, "'%s' classify --db '%s' --all | grep -q ': 0 changed'", REJECTLENS_BIN, db);
    sh(1,
       "'%s' db check --db '%s' | grep -Eq 'schema version +([0-9]+) \\(this rejectlens: \\1\\)'",
       REJECTLENS_BIN, db);
    /* a second ingest of the same files finds nothing new in either */
    ingest_samples(db);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM events"),
                     tu_sql_int(lite, "SELECT count(*) FROM events"));
    /* the months of the samples each have their partition */
    ck_assert_int_gt(psql_int(db, "SELECT count(*) FROM pg_inherits WHERE inhparent = "
                                  "'events'::regclass"),
                     1);
}
END_TEST

/* generate - a Postfix log of lines lines, its own seed and start day, RFC 3339 times */
static void generate(const char *path, int seed, const char *start, long lines)
{
    sh(1,
       "python3 '%s/samples/postfix/generate.py' --lines %ld --seed %d --start %s "
       "--format rfc3339 -o '%s' >/dev/null 2>&1",
       SOURCE_DIR, lines, seed, start, path);
}

START_TEST(test_concurrent_ingest)
{
    char db[600], logs[5][600], cmd[8192];
    const char *dir = tu_tempdir();
    long expect[5], total = 0;
    size_t n = 0;

    new_db("concurrent", db, sizeof db);
    /* four hosts' logs (two of them cross a month: new partitions while others write) */
    for (int i = 0; i < 5; i++) {
        snprintf(logs[i], sizeof logs[i], "%s/host%d.log", dir, i);
        generate(logs[i], 11 + i, i % 2 ? "2026-01-30" : "2026-02-10", 30000);
        /* what each holds, read alone into a fresh SQLite database */
        char lite[700];
        snprintf(lite, sizeof lite, "%s/alone%d.db", dir, i);
        sh(1, "'%s' ingest --db '%s' '%s'", REJECTLENS_BIN, lite, logs[i]);
        expect[i] = tu_sql_int(lite, "SELECT count(*) FROM events");
        ck_assert_int_gt(expect[i], 1000);
        total += expect[i];
    }
    /* hosts 0..3 each ingest their own log, hosts 4 and 5 both ingest log 4, all at once */
    n += (size_t)snprintf(cmd + n, sizeof cmd - n, "pids=''; ");
    for (int i = 0; i < 6; i++)
        n += (size_t)snprintf(cmd + n, sizeof cmd - n,
                              "REJECTLENS_ORIGIN=host%d '%s' ingest --db '%s' '%s' "
                              ">'%s/ingest%d.out' 2>&1 & pids=\"$pids $!\"; ",
                              i, REJECTLENS_BIN, db, logs[i < 5 ? i : 4], dir, i);
    n += (size_t)snprintf(cmd + n, sizeof cmd - n,
                          "rc=0; for p in $pids; do wait $p || rc=1; done; "
                          "[ $rc = 0 ] || cat '%s'/ingest*.out; exit $rc",
                          dir);
    sh(1, "%s", cmd);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM events"), total);
    for (int i = 0; i < 5; i++) {
        char sql[1200];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM events e JOIN sources s ON s.id = e.source_id "
                 "WHERE s.path = '%s'",
                 logs[i]);
        ck_assert_int_eq(psql_int(db, sql), expect[i]);
        /* one source row per log, and its count is the events' */
        snprintf(sql, sizeof sql,
                 "SELECT count(*) * 1000000 + sum(events) FROM sources "
                 "WHERE path = '%s'",
                 logs[i]);
        ck_assert_int_eq(psql_int(db, sql), 1000000 + expect[i]);
    }
    /* every reply text once */
    ck_assert_int_eq(psql_int(db, "SELECT count(*) - count(DISTINCT (template, reply_code, "
                                  "status, stage, kind, direction, mta)) FROM reply_texts"),
                     0);
}
END_TEST

/*
 * many small files: one batch spans them, and their logs stay locked until it commits. When
 * another holds the lock of the next log, what the run holds goes in first, then it waits:
 * so two runs never wait for each other, and the other sees the files before. The rows are
 * those SQLite stores.
 */
START_TEST(test_many_files_lock_waits)
{
    char db[600], lite[700], all[700];
    const char *dir = tu_tempdir();
    long expect;

    new_db("manyfiles", db, sizeof db);
    snprintf(all, sizeof all, "%s/many.log", dir);
    generate(all, 31, "2026-02-10", 20000);
    sh(1,
       "mkdir -p '%s/many' && cd '%s/many' && split -a 2 -d -n l/20 --additional-suffix=.log "
       "'%s' f-",
       dir, dir, all);
    snprintf(lite, sizeof lite, "%s/many.db", dir);
    sh(1, "'%s' ingest --db '%s' '%s'/many/f-*.log", REJECTLENS_BIN, lite, dir);
    expect = tu_sql_int(lite, "SELECT count(*) FROM events");
    ck_assert_int_gt(expect, 1000);
    /* another process holds f-10's lock (an advisory lock on the hash of its first line) */
    sh(1,
       "key=$(python3 -c \"import functools, sys; "
       "l = open(sys.argv[1], 'rb').readline().rstrip(b'\\n'); "
       "h = functools.reduce(lambda h, c: ((h ^ c) * 1099511628211) %% 2**64, l, "
       "1469598103934665603); print(h - 2**64 if h >= 2**63 else h)\" '%s/many/f-10.log') && "
       "(psql -X -q '%s' -c \"SELECT pg_advisory_lock($key), pg_sleep(120)\" >/dev/null 2>&1 &) "
       "&& until [ \"$(psql -X -A -t '%s' -c \"SELECT count(*) FROM pg_locks WHERE locktype = "
       "'advisory' AND granted\")\" = 1 ]; do sleep 0.1; done",
       dir, db, db);
    sh(1,
       "('%s' ingest --db '%s' --progress never '%s'/many/f-*.log > '%s/many.out' 2>&1; "
       "echo $? > '%s/many.rc') &",
       REJECTLENS_BIN, db, dir, dir, dir);
    /* it waits for f-10, having committed the ten files before with their state */
    sh(1,
       "n=0; until [ \"$(psql -X -A -t '%s' -c \"SELECT count(*) FROM pg_locks WHERE locktype = "
       "'advisory' AND NOT granted\")\" = 1 ]; do sleep 0.1; n=$((n + 1)); "
       "[ $n -lt 1200 ] || exit 1; done",
       db);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM sources"), 10);
    ck_assert_int_gt(psql_int(db, "SELECT count(*) FROM events"), 0);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM parser_state"), 1);
    sh(1,
       "psql -X -q '%s' -c \"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query "
       "LIKE '%%pg_sleep(120)%%' AND pid <> pg_backend_pid()\"",
       db);
    sh(1,
       "n=0; until [ -s '%s/many.rc' ]; do sleep 0.1; n=$((n + 1)); [ $n -lt 1200 ] || exit 1; "
       "done; [ \"$(cat '%s/many.rc')\" = 0 ] || { cat '%s/many.out'; exit 1; }",
       dir, dir, dir);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM sources"), 20);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM events"), expect);
    ck_assert_int_eq(psql_int(db, "SELECT sum(events) FROM sources"), expect);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM events WHERE sender IS NOT NULL"),
                     tu_sql_int(lite, "SELECT count(*) FROM events WHERE sender IS NOT NULL"));
}
END_TEST

START_TEST(test_prune_drops_months)
{
    char db[600], log[600];
    long before, jan;

    new_db("prune", db, sizeof db);
    snprintf(log, sizeof log, "%s/prune.log", tu_tempdir());
    generate(log, 7, "2026-01-30", 20000);
    sh(1, "'%s' ingest --db '%s' '%s'", REJECTLENS_BIN, db, log);
    before = psql_int(db, "SELECT count(*) FROM events");
    jan = psql_int(db, "SELECT count(*) FROM events_p202601");
    ck_assert_int_gt(jan, 0);
    ck_assert_int_gt(before - jan, 0);
    /* a cutoff at February 1st: January goes whole, February stays */
    sh(1, "TZ=UTC '%s' prune --db '%s' --older-than 2026-02-01", REJECTLENS_BIN, db);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM pg_class WHERE relname = "
                                  "'events_p202601'"),
                     0);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM events"), before - jan);
    /* a cutoff inside February deletes its first day row by row */
    sh(1, "TZ=UTC '%s' prune --db '%s' --older-than 2026-02-02", REJECTLENS_BIN, db);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM events WHERE ts < 1769990400000000"), 0);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM pg_class WHERE relname = "
                                  "'events_p202602'"),
                     1);
}
END_TEST

START_TEST(test_adhoc_same)
{
    /* every top subject, traces by each kind of key, and an admin's queries (which run in
     * the database's own dialect: where NULLs sort is said, as PostgreSQL puts them last) */
    static const char *const cmds[][2] = {
        {"top", "categories --since 2000-01-01 --format tsv"},
        {"top", "domains --since 2000-01-01 --format tsv"},
        {"top", "relays --since 2000-01-01 --format tsv"},
        {"top", "clients --since 2000-01-01 --format tsv"},
        {"top", "senders --since 2000-01-01 --format tsv"},
        {"top", "recipients --since 2000-01-01 --format tsv"},
        {"top", "helos --since 2000-01-01 --format tsv"},
        {"top", "texts --since 2000-01-01 --format tsv"},
        {"top", "domains --since 2025-12-29 --until 2026-01-04 --format json"},
        /* kinds no roll-up counts: SQLite counts them in C, PostgreSQL by its GROUP BY */
        {"top", "recipients --since 2000-01-01 --kind all --limit 0 --format tsv"},
        {"top", "clients --since 2000-01-01 --kind deliver,defer --limit 0 --format tsv"},
        {"top", "texts --since 2025-12-29 --until 2026-01-04 --kind all --format tsv"},
        {"top", "domains --since 2026-01-05T10:17 --until 2026-02-01 --kind all --format tsv"},
        {"trace", "--since 2000-01-01 --by domain example.com --format tsv"},
        {"trace", "--since 2000-01-01 --by domain gmail.com --format json"},
        {"trace", "--since 2000-01-01 --by ip 192.0.2.143 --format tsv"},
        {"trace", "--since 2000-01-01 --by queue-id D9D0A6FBAB5 --format tsv"},
        {"trace", "--since 2000-01-01 thomas.mendoza2@branch.example.com --format tsv"},
        {"query",
         "'SELECT kind, direction, count(*) AS n FROM v_events GROUP BY 1, 2 ORDER BY 1, 2'"},
        {"query", "'SELECT day, category, kind, direction, events FROM v_daily "
                  "ORDER BY 1, 2 NULLS FIRST, 3, 4 LIMIT 50'"},
        {"query",
         "'SELECT ts, recipient, category FROM v_rejections ORDER BY ts_us, event_id LIMIT 40'"},
    };
    char db[600], lite[600];
    const char *dir = tu_tempdir();

    new_db("adhoc", db, sizeof db);
    snprintf(lite, sizeof lite, "%s/adhoc.db", dir);
    ingest_samples(db);
    ingest_samples(lite);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        sh(1,
           "'%s' %s --db '%s' %s >'%s/a.lite' 2>&1 && '%s' %s --db '%s' %s >'%s/a.pg' 2>&1 && "
           "diff '%s/a.lite' '%s/a.pg'",
           REJECTLENS_BIN, cmds[i][0], lite, cmds[i][1], dir, REJECTLENS_BIN, cmds[i][0], db,
           cmds[i][1], dir, dir, dir);
    /* an admin's query may not write, with either backend */
    ck_assert_int_ne(sh(0, "'%s' query --db '%s' 'DELETE FROM events'", REJECTLENS_BIN, db), 0);
    ck_assert_int_ne(sh(0,
                        "'%s' query --db '%s' 'WITH x AS (DELETE FROM events RETURNING 1) "
                        "SELECT count(*) FROM x'",
                        REJECTLENS_BIN, db),
                     0);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM events"),
                     tu_sql_int(lite, "SELECT count(*) FROM events"));
}
END_TEST

/* run_config - a configuration that reads log into db and keeps the weekly report as files */
static void run_config(const char *file, const char *db, const char *log, const char *outdir)
{
    char text[4096];

    snprintf(text, sizeof text,
             "version: 1\n"
             "database: \"%s\"\n"
             "retention: 3650d\n"
             "sources:\n"
             "  - paths: %s\n"
             "reports:\n"
             "  - name: archive\n"
             "    period: weekly\n"
             "    weekday: monday\n"
             "    formats: [html, csv, text, json]\n"
             "    directory: %s\n",
             db, log, outdir);
    tu_write_file(file, text, -1);
}

START_TEST(test_run_same)
{
    char db[600], lite[600], log[600], conf[700], out[700];
    const char *dir = tu_tempdir();

    new_db("run", db, sizeof db);
    snprintf(lite, sizeof lite, "%s/run.db", dir);
    snprintf(log, sizeof log, "%s/run.log", dir);
    generate(log, 5, "2026-02-02", 20000);
    for (int pg = 0; pg < 2; pg++) {
        snprintf(conf, sizeof conf, "%s/run-%s.yaml", dir, pg ? "pg" : "lite");
        snprintf(out, sizeof out, "%s/reports-%s", dir, pg ? "pg" : "lite");
        sh(1, "mkdir -p '%s'", out);
        run_config(conf, pg ? db : lite, log, out);
        /* the week of 2026-02-02 is due on Monday the 9th; a second run finds nothing to do */
        sh(1, "TZ=UTC '%s' run --config '%s' --now 2026-02-10T06:00", REJECTLENS_BIN, conf);
        sh(1, "TZ=UTC '%s' run --config '%s' --now 2026-02-10T07:00", REJECTLENS_BIN, conf);
    }
    sh(1, "ls '%s/reports-pg' | grep -c archive-2026-02-02 | grep -qx 4", dir);
    sh(1,
       "t=$(date -u +%%Y-%%m-%%d); cd '%s' && for f in reports-*/*; do "
       "sed -E \"s/$t[T ][0-9:.]+( ?(Z|[+-][0-9:]+))?/NOW/g\" \"$f\" >\"$f.n\"; done; "
       "for f in reports-lite/*.n; do diff \"$f\" \"reports-pg/${f#reports-lite/}\" || exit 1; "
       "done",
       dir);
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM events"),
                     tu_sql_int(lite, "SELECT count(*) FROM events"));
    ck_assert_int_eq(psql_int(db, "SELECT count(*) FROM report_runs WHERE state = 'sent'"), 1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pg");
    TCase *tc = tcase_create("pg");

    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_schema_same);
    tcase_add_test(tc, test_migrate_from_6);
    tcase_add_test(tc, test_reports_same);
    tcase_add_test(tc, test_concurrent_ingest);
    tcase_add_test(tc, test_many_files_lock_waits);
    tcase_add_test(tc, test_prune_drops_months);
    tcase_add_test(tc, test_run_same);
    tcase_add_test(tc, test_adhoc_same);
    suite_add_tcase(s, tc);
    return s;
}

/* start_server - the private server; conninfo set, or server_error says why not */
static void start_server(void)
{
    char cmd[1024], out[1024] = "";
    FILE *p;
    size_t n;

    /* in /tmp: the socket's path must fit in 107 bytes, and as root the server runs as
     * nobody, who may not enter $TMPDIR */
    snprintf(server_dir, sizeof server_dir, "/tmp/rl-pg-XXXXXX");
    if (mkdtemp(server_dir) == NULL) {
        snprintf(server_error, sizeof server_error, "cannot make a temp dir in /tmp");
        return;
    }
    /* not tu_run: its temp dir belongs to the tests (each removes it as it exits) */
    snprintf(cmd, sizeof cmd, "'%s/tests/pg/server' start '%s' 2>'%s.err'", SOURCE_DIR, server_dir,
             server_dir);
    if ((p = popen(cmd, "r")) != NULL) {
        n = fread(out, 1, sizeof out - 1, p);
        out[n] = '\0';
        if (pclose(p) == 0 && strstr(out, "dbname=") != NULL) {
            out[strcspn(out, "\n")] = '\0';
            snprintf(conninfo, sizeof conninfo, "%s", out);
            return;
        }
    }
    snprintf(cmd, sizeof cmd, "%s.err", server_dir);
    if ((p = fopen(cmd, "r")) != NULL) {
        n = fread(server_error, 1, sizeof server_error - 1, p);
        server_error[n] = '\0';
        fclose(p);
    }
    if (server_error[0] == '\0')
        snprintf(server_error, sizeof server_error, "(no message)");
}

static void stop_server(void)
{
    char cmd[1024];

    snprintf(cmd, sizeof cmd, "'%s/tests/pg/server' stop '%s'; rm -rf '%s' '%s.err'", SOURCE_DIR,
             server_dir, server_dir, server_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_pg: could not stop the server in %s\n", server_dir);
}

int main(void)
{
    int rc;

    start_server();
    if (conninfo[0] == '\0')
        fprintf(stderr, "test_pg: the PostgreSQL server did not start: %s\n", server_error);
    rc = tu_run_suite(suite());
    stop_server();
    return rc;
}
