/*
 * test_cron - the guarantees of cron-grade operation, each on real files in a temp dir and the
 * real binary: a re-run reads nothing, appended lines are read alone, a partial last line
 * waits, rotation through mail.log.1 and mail.log.2.gz reads exactly the unseen lines,
 * copytruncate, every compression, a damaged archive, SIGKILL at several points compared row
 * for row with one uninterrupted run, batches that span many small files, two runs at once, a
 * reader during an ingest, a read-only database, a full disk, and "rejectlens run" with its
 * configuration
 */
#include "store.h"
#include "testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BIN REJECTLENS_BIN

static char dir[600];

/* fresh_dir - an empty directory for one test, world-readable (a test may drop privileges) */
static void fresh_dir(const char *name)
{
    char cmd[3000];

    snprintf(dir, sizeof dir, "%s/%s", tu_tempdir(), name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && chmod 755 '%s' '%s'", dir, dir,
             tu_tempdir(), dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* P - a path in the test's directory; valid until the test ends */
static char *pool[1024];
static size_t npool;

static void pool_free(void)
{
    for (size_t i = 0; i < npool; i++)
        free(pool[i]);
    npool = 0;
}

static const char *P(const char *name)
{
    char *b = malloc(strlen(dir) + strlen(name) + 2);

    ck_assert_ptr_nonnull(b);
    sprintf(b, "%s/%s", dir, name);
    static int registered;
    if (!registered)
        registered = atexit(pool_free) == 0;
    if (npool == sizeof pool / sizeof pool[0])
        pool_free(); /* never in one test: the paths before were used and done */
    pool[npool++] = b;
    return b;
}

/* run - a shell command line (printf-style), its stdout and stderr; returns the exit status */
__attribute__((format(printf, 3, 4))) static int run(char **out, char **err, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, out, err);
}

/* sh - a shell command that must succeed */
__attribute__((format(printf, 1, 2))) static void sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    char *err = NULL;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = tu_run(cmd, NULL, &err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", cmd, rc, err ? err : "");
    free(err);
}

/* ingest_ok - rejectlens ingest ARGS must exit 0; returns its -v output */
__attribute__((format(printf, 1, 2))) static char *ingest_ok(const char *fmt, ...)
{
    char args[6000], *out = NULL, *err = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int rc = run(&out, &err, BIN " ingest -v --progress never %s", args);
    ck_assert_msg(rc == 0, "ingest %s: exit %d: %s", args, rc, err);
    free(err);
    return out;
}

/* nth_line - line k (0-based) of a file, with its newline; malloc'ed */
static char *nth_line(const char *path, long k)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;

    ck_assert_ptr_nonnull(f);
    for (long i = 0; i <= k; i++)
        ck_assert_int_gt(getline(&line, &cap, f), 0);
    fclose(f);
    return line;
}

static void append(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "a");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* same_content - the events of two databases are the same, whatever the files they came from */
static void same_content(const char *db, const char *ref)
{
    char *a = tu_db_dump_content(db), *b = tu_db_dump_content(ref);

    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_msg(strlen(b) > 1000, "the reference holds nothing");
    ck_assert_msg(strcmp(a, b) == 0, "%s and %s differ (%zu and %zu bytes of events)", db, ref,
                  strlen(a), strlen(b));
    free(a);
    free(b);
}

/* same_rows - every row of every table, ids and offsets included */
static void same_rows(const char *db, const char *ref, const char *what)
{
    char *a = tu_db_dump(db), *b = tu_db_dump(ref);

    ck_assert_msg(strcmp(a, b) == 0, "%s: %s and %s differ row for row (%zu and %zu bytes)", what,
                  db, ref, strlen(a), strlen(b));
    free(a);
    free(b);
}

/* reference - one uninterrupted ingest of lines [0, n) of all.log */
static void reference(const char *all, long n, const char *refdb)
{
    tu_copy_lines(all, P("ref.log"), 0, n, 0);
    free(ingest_ok("--db '%s' '%s'", refdb, P("ref.log")));
}

static long events(const char *db)
{
    return tu_sql_int(db, "SELECT count(*) FROM events");
}

/* ------------------------------------------------------------------ incremental */

/* a re-run reads nothing; appended lines are read alone; a partial last line waits */
START_TEST(test_rerun_append_partial)
{
    char *out, *l5000;
    const char *all, *log, *db;

    fresh_dir("append");
    all = P("all.log");
    log = P("mail.log");
    db = P("rl.db");
    tu_postfix_log(all, 2000, 40);
    tu_copy_lines(all, log, 0, 5000, 0);
    l5000 = nth_line(all, 5000);
    append(log, l5000, 30); /* Postfix is still writing it */
    out = ingest_ok("--db '%s' '%s'", db, log);
    ck_assert_ptr_nonnull(strstr(out, "5000 lines"));
    ck_assert_ptr_nonnull(strstr(out, "30 bytes of an unfinished last line left"));
    free(out);
    out = ingest_ok("--db '%s' '%s'", db, log);
    ck_assert_ptr_nonnull(strstr(out, "ingested 1 file: 0 lines, 0 events"));
    free(out);
    append(log, l5000 + 30, strlen(l5000) - 30);
    tu_copy_lines(all, log, 5001, 8000, 1);
    out = ingest_ok("--db '%s' '%s'", db, log);
    ck_assert_ptr_nonnull(strstr(out, "ingested 1 file: 3000 lines"));
    free(out);
    ck_assert_int_eq(tu_sql_int(db, "SELECT lines FROM sources"), 8000);
    reference(all, 8000, P("ref.db"));
    same_content(db, P("ref.db"));
    free(l5000);
}
END_TEST

/*
 * mail.log -> mail.log.1 -> mail.log.2.gz -> mail.log.3.gz, with a new mail.log each time and a
 * tail written to mail.log (and mail.log.1) after the run before: "rejectlens run" over
 * mail.log* reads exactly the lines it has not seen, and says nothing
 */
START_TEST(test_rotation)
{
    char *out, *err, *l;
    const char *all, *db, *cfg;
    long n;

    fresh_dir("rotate");
    all = P("all.log");
    db = P("rl.db");
    cfg = P("rl.yaml");
    tu_postfix_log(all, 3000, 60);
    {
        char yaml[2000];
        snprintf(yaml, sizeof yaml, "database: %s\nsources:\n  - paths: %s/mail.log*\n", db, dir);
        tu_write_file(cfg, yaml, -1);
    }
#define RUN_SILENT()                                                                               \
    do {                                                                                           \
        int rc_ = run(&out, &err, BIN " run --config '%s'", cfg);                                  \
        ck_assert_msg(rc_ == 0, "run: exit %d: %s", rc_, err);                                     \
        ck_assert_str_eq(out, "");                                                                 \
        ck_assert_str_eq(err, "");                                                                 \
        free(out);                                                                                 \
        free(err);                                                                                 \
    } while (0)
    /* night 1: mail.log, its last line half written */
    tu_copy_lines(all, P("mail.log"), 0, 4000, 0);
    l = nth_line(all, 4000);
    append(P("mail.log"), l, 20);
    RUN_SILENT();
    /* night 2: the line finished and more written, then rotated; a new mail.log */
    append(P("mail.log"), l + 20, strlen(l) - 20);
    free(l);
    tu_copy_lines(all, P("mail.log"), 4001, 6000, 1);
    sh("mv '%s' '%s'", P("mail.log"), P("mail.log.1"));
    tu_copy_lines(all, P("mail.log"), 6000, 8000, 0);
    RUN_SILENT();
    /* night 3: a tail to mail.log; mail.log.1 -> mail.log.2.gz, mail.log -> mail.log.1 */
    tu_copy_lines(all, P("mail.log"), 8000, 9000, 1);
    sh("cd '%s' && mv mail.log.1 mail.log.2 && gzip mail.log.2 && mv mail.log mail.log.1", dir);
    tu_copy_lines(all, P("mail.log"), 9000, 11000, 0);
    RUN_SILENT();
    /* night 4: nothing new at all */
    RUN_SILENT();
    ck_assert_int_eq(tu_sql_int(db, "SELECT sum(lines) FROM sources"), 11000);
    /* night 5: delaycompress: a tail to mail.log.1 too, .2.gz -> .3.gz, .1 -> .2.gz */
    tu_copy_lines(all, P("mail.log"), 11000, 12000, 1);
    sh("cd '%s' && mv mail.log.2.gz mail.log.3.gz && mv mail.log.1 mail.log.2 && gzip mail.log.2 "
       "&& mv mail.log mail.log.1",
       dir);
    tu_copy_lines(all, P("mail.log"), 12000, 13000, 0);
    RUN_SILENT();
    n = tu_sql_int(db, "SELECT sum(lines) FROM sources");
    ck_assert_int_eq(n, 13000);
    reference(all, 13000, P("ref.db"));
    same_content(db, P("ref.db"));
    /* the archives read to their end are not decompressed again, whatever their names now */
    out = NULL;
    ck_assert_int_eq(run(&out, NULL, BIN " ingest -v --db '%s' %s/mail.log*", db, dir), 0);
    ck_assert_ptr_nonnull(strstr(out, "mail.log.3.gz: gzip archive read before, unchanged"));
    ck_assert_ptr_nonnull(strstr(out, "ingested 4 files: 0 lines"));
    free(out);
    ck_assert_int_eq(run(&out, NULL, BIN " sources --db '%s'", db), 0);
    ck_assert_ptr_nonnull(strstr(out, "read to end"));
    free(out);
#undef RUN_SILENT
}
END_TEST

/* copytruncate: the copy is read on from where mail.log stopped; the truncated file anew */
START_TEST(test_copytruncate)
{
    const char *all, *db;
    char *out;

    fresh_dir("copytruncate");
    all = P("all.log");
    db = P("rl.db");
    tu_postfix_log(all, 1500, 40);
    tu_copy_lines(all, P("mail.log"), 0, 3000, 0);
    free(ingest_ok("--db '%s' '%s'", db, P("mail.log")));
    tu_copy_lines(all, P("mail.log"), 3000, 4000, 1);
    sh("cd '%s' && cp mail.log mail.log.1 && : > mail.log", dir);
    tu_copy_lines(all, P("mail.log"), 4000, 5000, 1);
    out = ingest_ok("--db '%s' '%s' '%s'", db, P("mail.log"), P("mail.log.1"));
    ck_assert_ptr_nonnull(strstr(out, "ingested 2 files: 2000 lines"));
    free(out);
    reference(all, 5000, P("ref.db"));
    same_content(db, P("ref.db"));
}
END_TEST

/*
 * a file that begins with the same bytes as before (a fixed header longer than the
 * fingerprint) but is now shorter than the offset reached: truncated and rewritten, read from
 * its start
 */
START_TEST(test_truncated_same_head)
{
    const char *all, *db, *log = NULL;
    char hdr[4096];
    size_t o = 0;

    fresh_dir("truncated");
    all = P("all.log");
    db = P("rl.db");
    log = P("mail.log");
    tu_postfix_log(all, 1500, 40);
    for (int i = 0; i < 20; i++)
        o += (size_t)snprintf(hdr + o, sizeof hdr - o,
                              "2026-03-01T00:00:00.000000+00:00 mx1 dovecot[7]: master: "
                              "Dovecot v2.3.19.1 starting up for imap, pop3 (banner %02d)\n",
                              i);
    ck_assert_uint_gt(o, 1024);
    tu_write_file(log, hdr, (long)o);
    tu_copy_lines(all, log, 0, 3000, 1);
    free(ingest_ok("--db '%s' '%s'", db, log));
    tu_write_file(log, hdr, (long)o);
    tu_copy_lines(all, log, 3000, 3300, 1);
    free(ingest_ok("--db '%s' '%s'", db, log));
    reference(all, 3300, P("ref.db"));
    same_content(db, P("ref.db"));
}
END_TEST

/* ------------------------------------------------------------------ compression */

/* each compression, found by its magic bytes under any name, gives the events of the text */
START_TEST(test_compressions)
{
    static const char *const tools[] = {"gzip -c", "bzip2 -c", "xz -c", "zstd -q -c"};
    const char *all;
    char name[64], db[64], *out;

    fresh_dir("compress");
    all = P("all.log");
    tu_postfix_log(all, 1500, 40);
    free(ingest_ok("--db '%s' '%s'", P("plain.db"), all));
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++) {
        snprintf(name, sizeof name, "log%zu.data", i); /* the name says nothing */
        snprintf(db, sizeof db, "c%zu.db", i);
        sh("%s '%s' > '%s'", tools[i], all, P(name));
        out = ingest_ok("--db '%s' '%s'", P(db), P(name));
        ck_assert_msg(strstr(out, "postfix, ") != NULL, "%s", out);
        free(out);
        same_content(P(db), P("plain.db"));
    }
    /* several members (pigz, cat a.gz b.gz) and several zstd frames are one stream */
    tu_copy_lines(all, P("a.log"), 0, 4000, 0);
    tu_copy_lines(all, P("b.log"), 4000, 1000000, 0);
    sh("cd '%s' && gzip -c a.log > m.gz && gzip -c b.log >> m.gz && zstd -q -c a.log > m.zst && "
       "zstd -q -c b.log >> m.zst",
       dir);
    free(ingest_ok("--db '%s' '%s'", P("mgz.db"), P("m.gz")));
    same_content(P("mgz.db"), P("plain.db"));
    free(ingest_ok("--db '%s' '%s'", P("mzst.db"), P("m.zst")));
    same_content(P("mzst.db"), P("plain.db"));
    /* and a gzip named .log is no plain text */
    sh("cd '%s' && gzip -c all.log > other.log", dir);
    out = ingest_ok("--db '%s' '%s'", P("other.db"), P("other.log"));
    ck_assert_ptr_nonnull(strstr(out, "postfix, gzip"));
    free(out);
}
END_TEST

/*
 * a last line without a newline waits while the file is plain (the MTA may be writing it); once
 * the file is compressed nobody writes it any more: the line is read then, once
 */
START_TEST(test_archive_takes_last_line)
{
    const char *all, *db;
    char *out, *l;

    fresh_dir("lastline");
    all = P("all.log");
    db = P("rl.db");
    tu_postfix_log(all, 1000, 40);
    tu_copy_lines(all, P("mail.log.1"), 0, 3000, 0);
    l = nth_line(all, 3000);
    append(P("mail.log.1"), l, strlen(l) - 1); /* all but its newline: syslog died */
    free(l);
    out = ingest_ok("--db '%s' '%s'", db, P("mail.log.1"));
    ck_assert_ptr_nonnull(strstr(out, "3000 lines"));
    ck_assert_ptr_nonnull(strstr(out, "unfinished last line"));
    free(out);
    sh("cd '%s' && mv mail.log.1 mail.log.2 && xz mail.log.2", dir);
    out = ingest_ok("--db '%s' '%s'", db, P("mail.log.2.xz"));
    ck_assert_ptr_nonnull(strstr(out, "ingested 1 file: 1 lines"));
    free(out);
    out = ingest_ok("--db '%s' '%s'", db, P("mail.log.2.xz"));
    ck_assert_ptr_nonnull(strstr(out, "xz archive read before, unchanged"));
    free(out);
    reference(all, 3001, P("ref.db"));
    same_content(db, P("ref.db"));
}
END_TEST

/*
 * a truncated or corrupt archive is an error for that file alone: what came before the damage
 * is kept and counted, the other files are read, the exit status is 1, and a second run counts
 * nothing twice
 */
START_TEST(test_damaged_archive)
{
    const char *all, *db;
    char *out, *err;
    long whole, part;

    fresh_dir("damaged");
    all = P("all.log");
    db = P("rl.db");
    tu_postfix_log(all, 2500, 40);
    tu_copy_lines(all, P("one.log"), 0, 3000, 0);
    tu_copy_lines(all, P("two"), 3000, 9000, 0);
    tu_copy_lines(all, P("three.log"), 9000, 12000, 0);
    sh("cd '%s' && gzip two && size=$(stat -c %%s two.gz) && head -c $((size / 2)) two.gz > "
       "two.gz.cut && mv two.gz.cut two.gz",
       dir);
    ck_assert_int_eq(run(&out, &err, BIN " ingest -v --db '%s' '%s' '%s' '%s'", db, P("one.log"),
                         P("two.gz"), P("three.log")),
                     1);
    ck_assert_msg(strstr(err, "two.gz: truncated gzip data: the file ends inside the compressed "
                              "stream (after ") != NULL,
                  "%s", err);
    ck_assert_ptr_null(strchr(strchr(err, '\n') + 1, '\n')); /* one line */
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT lines FROM sources WHERE path LIKE '%one.log'"), 3000);
    ck_assert_int_eq(tu_sql_int(db, "SELECT lines FROM sources WHERE path LIKE '%three.log'"),
                     3000);
    part = tu_sql_int(db, "SELECT lines FROM sources WHERE path LIKE '%two.gz'");
    ck_assert_int_gt(part, 0);
    ck_assert_int_lt(part, 6000);
    whole = events(db);
    ck_assert_int_eq(whole, tu_sql_int(db, "SELECT sum(events) FROM sources"));
    /* again: the same error, nothing counted twice */
    ck_assert_int_eq(run(NULL, &err, BIN " ingest --db '%s' '%s' '%s' '%s'", db, P("one.log"),
                         P("two.gz"), P("three.log")),
                     1);
    ck_assert_ptr_nonnull(strstr(err, "truncated gzip data"));
    free(err);
    ck_assert_int_eq(events(db), whole);
    /* corrupt data in the middle: the same, with the reason zlib gives */
    sh("cd '%s' && gzip -c all.log > bad.gz && printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' | dd "
       "of=bad.gz bs=1 seek=$(($(stat -c %%s bad.gz) / 2)) conv=notrunc 2>/dev/null",
       dir);
    ck_assert_int_eq(run(NULL, &err, BIN " ingest --db '%s' '%s'", P("bad.db"), P("bad.gz")), 1);
    ck_assert_msg(strstr(err, "bad.gz: corrupt gzip data") != NULL, "%s", err);
    free(err);
    ck_assert_int_gt(events(P("bad.db")), 0);
}
END_TEST

/* ------------------------------------------------------------------ crash safety */

/*
 * kill_and_finish - `rejectlens ingest ARGS` into a fresh db, killed with SIGKILL once `want`
 * events are committed (0: at once), then run to its end: db must then be ref, row for row.
 * Returns 1 when the kill came in the middle (some of the `total` events committed, not all).
 */
static int kill_and_finish(const char *db, const char *ref, const char *args, long want, long total)
{
    char *err = NULL;
    long partial;

    sh("rm -f '%s' '%s-wal' '%s-shm'", db, db, db);
    int rc = run(NULL, &err,
                 BIN " ingest --db '%s' --progress never %s & pid=$!; "
                     "while [ %ld -gt 0 ] && kill -0 $pid 2>/dev/null; do "
                     "  n=$(sqlite3 '%s' 'SELECT count(*) FROM events' 2>/dev/null || echo 0); "
                     "  [ \"${n:-0}\" -ge %ld ] && break; sleep 0.01; "
                     "done; kill -KILL $pid 2>/dev/null; wait $pid",
                 db, args, want, db, want);
    ck_assert_msg(rc == 137 || rc == 0, "exit %d: %s", rc, err);
    free(err);
    partial = tu_exists(db) ? events(db) : 0;
    ck_assert_int_le(partial, total);
    free(ingest_ok("--db '%s' %s", db, args));
    same_rows(db, ref, "after SIGKILL");
    return partial > 0 && partial < total;
}

/*
 * SIGKILL at several points of a large ingest (before the first commit, after one batch, in
 * the middle, near the end), each followed by a run to the end: the database is the one an
 * uninterrupted run makes, row for row, ids, offsets and parser state included
 */
START_TEST(test_kill_anywhere)
{
    static const double at[] = {0.0, 0.05, 0.3, 0.6, 0.9}; /* of the events committed */
    const char *all, *db, *ref;
    char args[1800];
    long total, mid = 0;

    fresh_dir("kill");
    all = P("all.log");
    db = P("rl.db");
    ref = P("ref.db");
    tu_postfix_log(all, 25000, 300);
    /* two files, so that the parser's state crosses a file too */
    tu_copy_lines(all, P("mail.log.1"), 0, 70000, 0);
    tu_copy_lines(all, P("mail.log"), 70000, 10000000, 0);
    snprintf(args, sizeof args, "--batch 3000 '%s' '%s'", P("mail.log.1"), P("mail.log"));
    free(ingest_ok("--db '%s' %s", ref, args));
    total = events(ref);
    ck_assert_int_gt(total, 20000);
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++)
        mid += kill_and_finish(db, ref, args, (long)(at[k] * (double)total), total);
    ck_assert_msg(mid >= 2, "only %ld of the kills came in the middle of the ingest", mid);
}
END_TEST

/*
 * many small files, as Exchange writes them or as a first import of a directory finds them:
 * a batch spans files (the parsers' states are saved once for them all, not at every file's
 * end). SIGKILL in the middle of such a batch, a missing last file, and archives renamed and
 * met among files read, or last, each leave the data one uninterrupted run stores.
 */
START_TEST(test_many_small_files)
{
    static const double at[] = {0.1, 0.45, 0.8}; /* of the events committed */
    const char *db, *ref;
    char *err = NULL, args[1000];
    long total, mid = 0;

    fresh_dir("small");
    db = P("rl.db");
    ref = P("ref.db");
    tu_postfix_log(P("all.log"), 8000, 300);
    sh("cd '%s' && split -a 2 -d -n l/40 --additional-suffix=.log all.log f-", dir);
    snprintf(args, sizeof args, "--batch 2000 '%s'/f-*.log", dir);
    free(ingest_ok("--db '%s' %s", ref, args));
    total = events(ref);
    ck_assert_int_gt(total, 6000);
    for (size_t k = 0; k < sizeof at / sizeof at[0]; k++)
        mid += kill_and_finish(db, ref, args, (long)(at[k] * (double)total), total);
    ck_assert_msg(mid >= 1, "none of the kills came in the middle of the ingest");

    /* a last file that cannot be opened: the batch of the files before is saved with states */
    sh("rm -f '%s' '%s-wal' '%s-shm'", db, db, db);
    ck_assert_int_eq(run(NULL, &err,
                         BIN " ingest --db '%s' --batch 2000 --progress never '%s'/f-[01]*.log "
                             "'%s/missing.log'",
                         db, dir, dir),
                     1);
    ck_assert_msg(strstr(err, "missing.log: No such file") != NULL, "%s", err);
    free(err);
    free(ingest_ok("--db '%s' --batch 2000 '%s'/f-[23]*.log", db, dir));
    same_rows(db, ref, "after a missing last file");

    /* archives read, then renamed as logrotate does: met among new files, and last */
    sh("rm -f '%s' '%s-wal' '%s-shm' && cd '%s' && gzip -k f-0[0-4].log", db, db, db, dir);
    free(ingest_ok("--db '%s' --batch 2000 '%s'/f-0[0-4].log.gz '%s'/f-0[5-9].log '%s'/f-1*.log",
                   db, dir, dir, dir));
    sh("cd '%s' && for f in f-0[0-2].log.gz; do mv $f ${f%%.gz}.1.gz; done", dir);
    free(ingest_ok("--db '%s' --batch 2000 '%s'/f-2*.log '%s'/f-0[0-2].log.1.gz '%s'/f-3[0-4].log",
                   db, dir, dir, dir));
    sh("cd '%s' && for f in f-0[3-4].log.gz; do mv $f ${f%%.gz}.1.gz; done", dir);
    free(
        ingest_ok("--db '%s' --batch 2000 '%s'/f-3[5-9].log '%s'/f-0[3-4].log.1.gz", db, dir, dir));
    same_content(db, ref);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM sources WHERE path LIKE '%.log.1.gz'"),
                     5);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM sources"), 40);
}
END_TEST

/*
 * the store in a thread of its own (--threads 2) or not: the same database row for row, across
 * two files, small and large batches, and an unparsed line
 */
START_TEST(test_threads_same_rows)
{
    static const char *const batches[] = {"--batch 700", "--batch 1", ""};
    char files[1700], a[800], b[800];

    fresh_dir("threads");
    tu_postfix_log(P("all.log"), 6000, 300);
    tu_copy_lines(P("all.log"), P("mail.log.1"), 0, 15000, 0);
    tu_copy_lines(P("all.log"), P("mail.log"), 15000, 10000000, 0);
    sh("echo 'garbage that is no log line' >> '%s'", P("mail.log"));
    snprintf(files, sizeof files, "'%s' '%s'", P("mail.log.1"), P("mail.log"));
    for (size_t i = 0; i < sizeof batches / sizeof batches[0]; i++) {
        snprintf(a, sizeof a, "%s/one%zu.db", dir, i);
        snprintf(b, sizeof b, "%s/two%zu.db", dir, i);
        free(ingest_ok("--db '%s' --threads 1 %s %s", a, batches[i], files));
        free(ingest_ok("--db '%s' --threads 2 %s %s", b, batches[i], files));
        ck_assert_int_gt(events(a), 1000);
        ck_assert_int_eq(tu_sql_int(a, "SELECT count(*) FROM unparsed_lines"), 1);
        same_rows(b, a, batches[i]);
    }
}
END_TEST

/* SIGTERM and SIGINT finish the batch: exit 1, and the next run ends where one run would */
START_TEST(test_stop_signals)
{
    static const char *const sigs[] = {"TERM", "INT"};
    const char *all, *db, *ref;

    fresh_dir("signals");
    all = P("all.log");
    db = P("rl.db");
    ref = P("ref.db");
    tu_postfix_log(all, 20000, 200);
    free(ingest_ok("--db '%s' --batch 2000 '%s'", ref, all));
    for (size_t k = 0; k < 2; k++) {
        char *err = NULL;
        sh("rm -f '%s' '%s-wal' '%s-shm'", db, db, db);
        int rc = run(NULL, &err,
                     BIN " ingest --db '%s' --batch 2000 '%s' & pid=$!; "
                         "while kill -0 $pid 2>/dev/null; do "
                         "  n=$(sqlite3 '%s' 'SELECT count(*) FROM events' 2>/dev/null || echo 0); "
                         "  [ \"${n:-0}\" -ge 2000 ] && break; sleep 0.02; "
                         "done; kill -%s $pid; wait $pid",
                     db, all, db, sigs[k]);
        if (rc == 1)
            ck_assert_ptr_nonnull(strstr(err, "interrupted by signal"));
        else
            ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
        free(err);
        free(ingest_ok("--db '%s' --batch 2000 '%s'", db, all));
        same_rows(db, ref, sigs[k]);
    }
}
END_TEST

/*
 * two runs at once: the second waits for the lock (a bounded time), then exits 2 saying who
 * holds it; the first ends as if alone
 */
START_TEST(test_two_runs)
{
    const char *all, *db, *ref;
    char *err, yaml[1500];
    struct timespec t0, t1;

    fresh_dir("lock");
    all = P("all.log");
    db = P("rl.db");
    ref = P("ref.db");
    tu_postfix_log(all, 80000, 300); /* several seconds to read */
    free(ingest_ok("--db '%s' --batch 1000 '%s'", ref, all));
    snprintf(yaml, sizeof yaml, "database: %s\nlock_wait: 1s\nsources:\n  - paths: %s\n", db, all);
    tu_write_file(P("rl.yaml"), yaml, -1);
    /* the first, slowed by small batches (3.6 s here; with 1,000 lines a batch it ended within
     * the second's second once schema 10 made commits cheaper); wait until it holds the lock
     * and has committed */
    sh("(" BIN " ingest --db '%s' --batch 100 --progress never '%s' > '%s' 2>&1; echo $? > '%s') "
       "& while [ \"$(sqlite3 '%s' 'SELECT count(*) FROM events' 2>/dev/null || echo 0)\" -lt "
       "1000 ]; do sleep 0.02; done",
       db, all, P("first.out"), P("first.rc"), db);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(run(NULL, &err, BIN " ingest --db '%s' --wait 1 '%s'", db, all), 2);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_msg(strstr(err, "another rejectlens run is using this database (pid ") != NULL, "%s",
                  err);
    ck_assert_ptr_nonnull(strstr(err, "gave up after 1."));
    ck_assert_ptr_null(strchr(strchr(err, '\n') + 1, '\n'));
    free(err);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(secs >= 0.9 && secs < 10, "waited %.1f s", secs);
    /* the first ends alone, undisturbed */
    sh("while [ ! -s '%s' ]; do sleep 0.05; done; [ \"$(cat '%s')\" = 0 ]", P("first.rc"),
       P("first.rc"));
    same_rows(db, ref, "the first run");
    /* run and prune take the same lock (held here by flock(1), for as long as it takes) */
    sh("(flock -x '%s.lock' sleep 8 &) ; sleep 0.3", db);
    ck_assert_int_eq(run(NULL, &err, BIN " run --config '%s'", P("rl.yaml")), 2);
    ck_assert_ptr_nonnull(strstr(err, "another rejectlens run is using this database"));
    free(err);
    ck_assert_int_eq(run(NULL, &err, BIN " prune --db '%s' --wait 0 --older-than 1d", db), 2);
    ck_assert_ptr_nonnull(strstr(err, "another rejectlens run"));
    free(err);
    same_rows(db, ref, "after the runs that waited");
}
END_TEST

/* WAL: an admin's open read transaction does not hold the nightly ingest up */
START_TEST(test_reader_does_not_block)
{
    const char *all, *db;
    struct timespec t0, t1;

    fresh_dir("reader");
    all = P("all.log");
    db = P("rl.db");
    tu_postfix_log(all, 1000, 40);
    tu_copy_lines(all, P("mail.log"), 0, 2000, 0);
    free(ingest_ok("--db '%s' '%s'", db, P("mail.log")));
    /* a reader holding a snapshot for 6 seconds */
    sh("((echo 'BEGIN; SELECT count(*) FROM events;'; sleep 6; echo 'COMMIT;') | sqlite3 '%s' > "
       "'%s' 2>&1 &) ; sleep 0.5",
       db, P("reader.out"));
    tu_copy_lines(all, P("mail.log"), 2000, 5000, 1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    free(ingest_ok("--db '%s' '%s'", db, P("mail.log")));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_msg(secs < 4, "the ingest waited for the reader: %.1f s", secs);
    ck_assert_int_eq(tu_sql_int(db, "SELECT lines FROM sources"), 5000);
}
END_TEST

/* ------------------------------------------------------------------ a hostile environment */

/* db_intact - integrity_check says ok, and the events are those the sources account for */
static void db_intact(const char *db, long want_events)
{
    char cmd[1200], *out;

    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'PRAGMA integrity_check'", db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    ck_assert_str_eq(out, "ok\n");
    free(out);
    ck_assert_int_eq(events(db), tu_sql_int(db, "SELECT sum(events) FROM sources"));
    if (want_events >= 0)
        ck_assert_int_eq(events(db), want_events);
}

/* a read-only database: one clear line, exit 2, nothing changed */
START_TEST(test_read_only)
{
    const char *all, *db;
    char *err, as_other[200] = "";
    long before;

    fresh_dir("readonly");
    all = P("all.log");
    db = P("rl.db");
    tu_postfix_log(all, 1000, 40);
    tu_copy_lines(all, P("mail.log"), 0, 2000, 0);
    free(ingest_ok("--db '%s' '%s'", db, P("mail.log")));
    before = events(db);
    tu_copy_lines(all, P("mail.log"), 2000, 4000, 1);
    /* root writes whatever the mode says: drop to nobody for the run */
    if (geteuid() == 0)
        snprintf(as_other, sizeof as_other, "setpriv --reuid=65534 --regid=65534 --clear-groups ");
    sh("chmod 0444 '%s' && chmod 0666 '%s.lock' && chmod 0777 '%s' && chmod 0644 '%s'", db, db, dir,
       P("mail.log"));
    ck_assert_int_eq(
        run(NULL, &err, "%s" BIN " ingest --db '%s' '%s'", as_other, db, P("mail.log")), 2);
    ck_assert_msg(strstr(err, "rl.db: database is read-only") != NULL ||
                      strstr(err, "rl.db: cannot open database") != NULL,
                  "%s", err);
    ck_assert_ptr_null(strchr(strchr(err, '\n') + 1, '\n'));
    free(err);
    db_intact(db, before);
    /* a read-only directory: the lock cannot be made, said as much */
    sh("chmod 0644 '%s' && rm -f '%s.lock' && chmod 0555 '%s'", db, db, dir);
    if (as_other[0] != '\0' || geteuid() != 0) {
        ck_assert_int_eq(
            run(NULL, &err, "%s" BIN " ingest --db '%s' '%s'", as_other, db, P("mail.log")), 2);
        ck_assert_msg(strstr(err, "rl.db.lock: cannot create the run lock") != NULL, "%s", err);
        free(err);
    }
    sh("chmod 0755 '%s'", dir);
    db_intact(db, before);
}
END_TEST

/*
 * a full disk (a file size limit, the same to SQLite: a short write): one clear line, exit 2,
 * the database whole and holding exactly the batches committed; the next run with room ends
 * as one run would, row for row
 */
START_TEST(test_full_disk)
{
    const char *all, *db, *ref;
    char *err;

    fresh_dir("full");
    all = P("all.log");
    db = P("rl.db");
    ref = P("ref.db");
    tu_postfix_log(all, 25000, 300);
    free(ingest_ok("--db '%s' --batch 2000 '%s'", ref, all));
    /* ulimit -f counts 512-byte blocks in dash, 1024 in bash: 2-4 MB, a few batches */
    int rc = run(NULL, &err, "ulimit -f 4000 && exec " BIN " ingest --db '%s' --batch 2000 '%s'",
                 db, all);
    ck_assert_msg(rc == 2, "exit %d: %s", rc, err);
    ck_assert_msg(strstr(err, "rl.db: disk full") != NULL ||
                      strstr(err, "rl.db: file size limit reached while committing (File too "
                                  "large; nothing after the last commit was kept)") != NULL,
                  "%s", err);
    ck_assert_ptr_null(strchr(strchr(err, '\n') + 1, '\n'));
    free(err);
    long kept = events(db);
    ck_assert_int_gt(kept, 0);
    ck_assert_int_lt(kept, events(ref));
    db_intact(db, -1);
    free(ingest_ok("--db '%s' --batch 2000 '%s'", db, all));
    same_rows(db, ref, "after a full disk");
}
END_TEST

/* a real full file system, when this machine lets us mount a small tmpfs */
START_TEST(test_full_tmpfs)
{
    const char *all;
    char *out = NULL, *err = NULL, prefix[64] = "";
    long got_events = -1, sum_events = -2;
    int rc, ran;

    fresh_dir("tmpfs");
    all = P("all.log");
    tu_postfix_log(all, 25000, 300);
    /* as root, or in a user namespace of our own */
    if (geteuid() != 0)
        snprintf(prefix, sizeof prefix, "unshare -rm ");
    if (run(NULL, NULL, "%ssh -c 'mount -t tmpfs -o size=1m none \"%s\" && umount \"%s\"'", prefix,
            dir, dir) != 0 &&
        run(NULL, NULL, "unshare -rm sh -c 'mount -t tmpfs -o size=1m none \"%s\"'", dir) == 0)
        snprintf(prefix, sizeof prefix, "unshare -rm ");
    sh("mkdir -p '%s'", P("mnt"));
    rc = run(&out, &err,
             "%ssh -c 'mount -t tmpfs -o size=3m none \"%s\" || exit 99; "
             "" BIN " ingest --db \"%s/rl.db\" --batch 2000 \"%s\"; echo \"rc=$?\"; "
             "sqlite3 \"%s/rl.db\" \"PRAGMA integrity_check; SELECT count(*) FROM events; "
             "SELECT sum(events) FROM sources;\"; umount \"%s\"'",
             prefix, P("mnt"), P("mnt"), all, P("mnt"), P("mnt"));
    if (rc == 99 || (rc != 0 && strstr(err, "mount") != NULL)) {
        fprintf(stderr, "test_full_tmpfs: skipped: cannot mount a tmpfs here (%s)\n",
                err ? err : "");
        free(out);
        free(err);
        return;
    }
    ck_assert_msg(rc == 0, "exit %d: %s", rc, err);
    ran = sscanf(out, "rc=%d\nok\n%ld\n%ld", &rc, &got_events, &sum_events);
    ck_assert_msg(ran == 3, "%s / %s", out, err);
    ck_assert_msg(rc == 2, "%s", err);
    ck_assert_msg(strstr(err, "rl.db: disk full") != NULL, "%s", err);
    ck_assert_int_eq(got_events, sum_events);
    free(out);
    free(err);
}
END_TEST

/* ------------------------------------------------------------------ rejectlens run */

START_TEST(test_run_command)
{
    const char *db, *cfg;
    char yaml[3000], *out, *err;

    fresh_dir("run");
    db = P("rl.db");
    cfg = P("rl.yaml");
    /* classic syslog times without a zone, written in Berlin, in March 2026 */
    tu_write_file(P("mail.log"),
                  "Mar  2 10:00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
                  "x.example.org[192.0.2.9]: 554 5.7.1 <r@example.org>: Relay access denied; "
                  "from=<a@example.org> to=<r@example.org> proto=ESMTP helo=<x.example.org>\n"
                  "Mar  2 10:00:01 postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
                  "x.example.org[192.0.2.9]: 554 5.7.1 <r@example.org>: Relay access denied; "
                  "from=<a@example.org> to=<r@example.org> proto=ESMTP helo=<x.example.org>\n",
                  -1);
    sh("touch -d '2026-03-03 12:00' '%s'", P("mail.log"));
    snprintf(yaml, sizeof yaml, "%s",
             "database: rl.db\n"
             "retention: 30d\n"
             "sources:\n"
             "  - paths: mail.log*\n"
             "    host: mx9.example.org\n"
             "    timezone: Europe/Berlin\n");
    tu_write_file(cfg, yaml, -1);
    /* from another directory: relative paths are the configuration's; as of 5 March the
     * retention keeps the events of the 2nd */
    ck_assert_int_eq(run(&out, &err, "cd / && " BIN " run --now 2026-03-05 --config '%s'", cfg), 0);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    ck_assert_int_eq(
        run(&out, NULL, "sqlite3 '%s' 'SELECT ts, host FROM v_events ORDER BY ts'", db), 0);
    ck_assert_str_eq(out, "2026-03-02T09:00:00Z|mx1\n2026-03-02T09:00:01Z|mx9.example.org\n");
    free(out);
    /* the day it added to is rolled up, for the morning's report and top */
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM rollup_days WHERE day = 20514"), 1);
    ck_assert_int_eq(tu_sql_int(db, "SELECT sum(n) FROM rollup_kinds"), 2);
    /* the other commands find the database in the configuration */
    ck_assert_int_eq(run(&out, NULL, BIN " summary --config '%s'", cfg), 0);
    ck_assert_ptr_nonnull(strstr(out, "events: 2 "));
    free(out);
    ck_assert_int_eq(run(&out, NULL, "REJECTLENS_CONFIG='%s' " BIN " sources", cfg), 0);
    ck_assert_ptr_nonnull(strstr(out, "/mail.log"));
    free(out);
    /* -v says what it did; the retention, as of June, forgets March; the offsets stay */
    ck_assert_int_eq(run(&out, &err, BIN " run -v --now 2026-06-01 --config '%s'", cfg), 0);
    ck_assert_ptr_nonnull(strstr(out, "pruned 2 events older than 30 days"));
    free(out);
    free(err);
    ck_assert_int_eq(events(db), 0);
    ck_assert_int_eq(tu_sql_int(db, "SELECT lines FROM sources"), 2);
    ck_assert_int_eq(run(&out, &err, BIN " run --now 2026-03-05 --config '%s'", cfg), 0);
    free(out);
    free(err);
    ck_assert_int_eq(events(db), 0); /* nothing read twice */
    /* a glob that matches nothing is for an admin to read: exit 1, file:line */
    snprintf(yaml, sizeof yaml,
             "database: %s\nsources:\n  - paths: %s/mail.log*\n  - paths: %s/exim/mainlog*\n", db,
             dir, dir);
    tu_write_file(cfg, yaml, -1);
    ck_assert_int_eq(run(&out, &err, BIN " run --config '%s'", cfg), 1);
    ck_assert_msg(strstr(err, "rl.yaml:4: no file matches ") != NULL, "%s", err);
    free(out);
    free(err);
    /* a report that cannot be sent (there is no sendmail at this path): a warning, exit 1,
     * nothing recorded, so that the next run tries again */
    snprintf(yaml, sizeof yaml,
             "database: %s\nsources:\n  - paths: %s\nreports:\n  - name: daily\n"
             "    period: daily\n    to: postmaster@example.org\n"
             "    sendmail: %s/no-sendmail\n",
             P("rep.db"), P("mail.log"), dir);
    tu_write_file(cfg, yaml, -1);
    ck_assert_int_eq(run(&out, &err, BIN " run --now 2026-03-04 --config '%s'", cfg), 1);
    ck_assert_msg(strstr(err, "report 'daily' for 2026-03-03 .. 2026-03-03 could not be sent; "
                              "the next run tries again") != NULL,
                  "%s", err);
    ck_assert_int_eq(tu_sql_int(P("rep.db"), "SELECT count(*) FROM report_runs"), 0);
    free(out);
    free(err);
    /* a bad configuration: exit 2, file:line, one line */
    tu_write_file(cfg, "database: x.db\nsources:\n  - paths: /var/log/mail.log\n    fromat: x\n",
                  -1);
    ck_assert_int_eq(run(&out, &err, BIN " run --config '%s'", cfg), 2);
    ck_assert_msg(strstr(err, "rl.yaml:4: a source: unknown key 'fromat'") != NULL, "%s", err);
    ck_assert_ptr_null(strchr(strchr(err, '\n') + 1, '\n'));
    free(out);
    free(err);
    /* every command that reads the configuration says so too */
    ck_assert_int_eq(run(NULL, &err, BIN " summary --config '%s'", cfg), 2);
    ck_assert_ptr_nonnull(strstr(err, "rl.yaml:4:"));
    free(err);
    ck_assert_int_eq(run(NULL, &err, BIN " run --config '%s'", P("absent.yaml")), 2);
    ck_assert_ptr_nonnull(strstr(err, "absent.yaml: No such file or directory"));
    free(err);
    ck_assert_int_eq(run(NULL, &err, BIN " run --config '%s' extra", P("absent.yaml")), 2);
    free(err);
}
END_TEST

/*
 * the report step for real: a weekly report through a sendmail that keeps what it is given,
 * and the files to keep; each period once, however many runs see it due
 */
START_TEST(test_run_sends_reports)
{
    const char *all, *db, *cfg;
    char yaml[3000], *out, *err, *mail;

    fresh_dir("reports");
    all = P("all.log");
    db = P("rl.db");
    cfg = P("rl.yaml");
    tu_postfix_log(all, 3000, 40); /* Monday 2 March 2026 */
    tu_write_file(P("sendmail"),
                  "#!/bin/sh\n"
                  "# a sendmail that keeps each message, with its arguments\n"
                  "n=$(ls \"$(dirname \"$0\")\"/mail.* 2>/dev/null | wc -l)\n"
                  "{ echo \"ARGS: $*\"; cat; } > \"$(dirname \"$0\")/mail.$n\"\n",
                  -1);
    sh("chmod 755 '%s'", P("sendmail"));
    snprintf(yaml, sizeof yaml,
             "database: rl.db\n"
             "sources:\n  - paths: all.log\n"
             "reports:\n"
             "  - name: weekly\n    period: weekly\n    weekday: tuesday\n"
             "    to: [postmaster@example.org, noc@example.org]\n"
             "    from: rejectlens@mx1.example.org\n    subject: Last week at mx1\n"
             "    sendmail: sendmail\n"
             "    formats: [html, json]\n    directory: reports\n");
    tu_write_file(cfg, yaml, -1);
    /* Monday the 9th: not yet (Tuesday is the day) */
    ck_assert_int_eq(run(&out, &err, BIN " run --now 2026-03-09 --config '%s'", cfg), 0);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    ck_assert(!tu_exists(P("mail.0")));
    /* Tuesday the 10th: the week of 2 to 8 March, mailed and kept, silently */
    ck_assert_int_eq(run(&out, &err, BIN " run --now 2026-03-10 --config '%s'", cfg), 0);
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    mail = tu_read_file(P("mail.0"), NULL);
    ck_assert_ptr_nonnull(mail);
    ck_assert_ptr_nonnull(strstr(mail, "ARGS: -t -i"));
    ck_assert_ptr_nonnull(strstr(mail, "To: postmaster@example.org, noc@example.org"));
    ck_assert_ptr_nonnull(strstr(mail, "<rejectlens@mx1.example.org>"));
    ck_assert_ptr_nonnull(strstr(mail, "Subject: Last week at mx1"));
    ck_assert_ptr_nonnull(strstr(mail, "text/html"));
    free(mail);
    ck_assert(tu_exists(P("reports/weekly-2026-03-02.html")));
    ck_assert(tu_exists(P("reports/weekly-2026-03-02.json")));
    char *json = tu_read_file(P("reports/weekly-2026-03-02.json"), NULL);
    ck_assert_ptr_nonnull(strstr(json, "2026-03-02"));
    free(json);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM report_runs WHERE name = 'weekly' AND "
                                    "period_start = '2026-03-02' AND period_end = '2026-03-09' AND "
                                    "state = 'sent'"),
                     1);
    /* the same week again, Wednesday and Monday: nothing sent twice */
    ck_assert_int_eq(run(NULL, NULL, BIN " run --now 2026-03-11 --config '%s'", cfg), 0);
    ck_assert_int_eq(run(NULL, NULL, BIN " run --now 2026-03-16 --config '%s'", cfg), 0);
    ck_assert(!tu_exists(P("mail.1")));
    /* the next Tuesday, the next week (no events in it: a report all the same) */
    ck_assert_int_eq(run(NULL, &err, BIN " run --now 2026-03-17 --config '%s'", cfg), 0);
    free(err);
    ck_assert(tu_exists(P("mail.1")));
    ck_assert(tu_exists(P("reports/weekly-2026-03-09.html")));
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM report_runs WHERE state = 'sent'"), 2);
}
END_TEST

/* the whole schema, and the indexes alone (names and text) */
#define SCHEMA_SQL "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
#define ROWS_SQL   "'SELECT * FROM events ORDER BY id; SELECT * FROM reply_texts ORDER BY id'"
#define INDEX_SQL  "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"

/*
 * copy_as_schema_2 - a copy of db as version 2 left it: without what versions 3 to 8 added
 * (version 8's address keys too, so the migration computes every one of them again), and with
 * the two indexes that versions 6 and 7 wrote anew as they were before
 */
static void copy_as_schema_2(const char *db, const char *copy)
{
    sh("cp '%s' '%s' && sqlite3 '%s' "
       "'DROP TABLE rollup_days; DROP TABLE rollup_kinds; DROP TABLE rollup_groups; "
       "DROP TABLE rollup_failures; DROP TABLE rollup_values; "
       "DROP VIEW v_rejections; DROP VIEW v_daily; "
       "DROP INDEX events_recipient; DROP INDEX events_sender; "
       "DROP INDEX events_orig_recipient; ALTER TABLE events DROP COLUMN orig_recipient_key; "
       "ALTER TABLE events DROP COLUMN sender_key; ALTER TABLE events DROP COLUMN recipient_key; "
       "DROP INDEX events_parent; "
       "DROP INDEX sources_fingerprint; DROP TABLE report_runs; DROP INDEX sources_file; "
       "ALTER TABLE sources DROP COLUMN at_end; ALTER TABLE sources DROP COLUMN compression; "
       "ALTER TABLE sources DROP COLUMN mtime_ns; ALTER TABLE sources DROP COLUMN file_size; "
       "DROP INDEX events_failures; DROP INDEX events_queue_id; "
       "CREATE INDEX events_failures ON events(ts, reply_text_id, kind, reply_code, status, "
       "direction, mta, host, recipient, sender, client_ip, client_name, helo, relay) "
       "WHERE kind IN (1, 3, 4, 5); CREATE INDEX events_queue_id ON events(queue_id); "
       "PRAGMA user_version = 2'",
       db, copy, copy);
}

/* sources, prune, db check, db migrate */
START_TEST(test_admin_commands)
{
    const char *all, *db;
    char *out, *err;

    fresh_dir("admin");
    all = P("all.log");
    db = P("rl.db");
    tu_postfix_log(all, 3000, 40);
    tu_copy_lines(all, P("mail.log.1"), 0, 8000, 0);
    sh("gzip '%s'", P("mail.log.1"));
    tu_copy_lines(all, P("mail.log"), 8000, 12000, 0);
    free(ingest_ok("--db '%s' '%s' '%s'", db, P("mail.log"), P("mail.log.1.gz")));
    tu_copy_lines(all, P("mail.log"), 12000, 12500, 1);
    ck_assert_int_eq(run(&out, NULL, BIN " sources --db '%s'", db), 0);
    ck_assert_ptr_nonnull(strstr(out, "postfix+gzip"));
    ck_assert_ptr_nonnull(strstr(out, "read to end"));
    ck_assert_ptr_nonnull(strstr(out, "bytes behind"));
    free(out);
    ck_assert_int_eq(run(&out, NULL, BIN " sources --db '%s' --format tsv", db), 0);
    ck_assert_ptr_nonnull(strstr(out, "id\tpath\tformat\tcompression\toffset"));
    ck_assert_ptr_nonnull(strstr(out, "\tpostfix\tgzip\t"));
    free(out);
    /* db check: whole, current, counted */
    ck_assert_int_eq(run(&out, NULL, BIN " db check --db '%s'", db), 0);
    ck_assert_ptr_nonnull(strstr(out, "integrity check    ok"));
    char version[64];
    snprintf(version, sizeof version, "schema version     %d (this rejectlens: %d)",
             STORE_SCHEMA_VERSION, STORE_SCHEMA_VERSION);
    ck_assert_ptr_nonnull(strstr(out, version));
    ck_assert_ptr_nonnull(strstr(out, "sources            2"));
    free(out);
    /* prune: by date, then by age; the sources and their offsets stay */
    long all_events = events(db);
    ck_assert_int_eq(
        run(&out, NULL, BIN " prune -v --db '%s' --older-than '2026-03-02 01:00Z'", db), 0);
    ck_assert_ptr_nonnull(strstr(out, "pruned "));
    free(out);
    long left = events(db);
    ck_assert_int_gt(left, 0);
    ck_assert_int_lt(left, all_events);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM events WHERE ts < 1772413200000000"), 0);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM reply_texts r WHERE NOT EXISTS "
                                    "(SELECT 1 FROM events e WHERE e.reply_text_id = r.id)"),
                     0);
    ck_assert_int_eq(run(NULL, NULL, BIN " prune -q --db '%s' --older-than 1d", db), 0);
    ck_assert_int_eq(events(db), 0);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM sources"), 2);
    out = ingest_ok("--db '%s' '%s' '%s'", db, P("mail.log.1.gz"), P("mail.log"));
    ck_assert_ptr_nonnull(strstr(out, "ingested 2 files: 500 lines")); /* only what is new */
    free(out);
    ck_assert_int_eq(run(NULL, &err, BIN " prune --db '%s' --older-than soon", db), 2);
    ck_assert_ptr_nonnull(strstr(err, "--older-than: 'soon' is neither an age"));
    free(err);
    /* an older schema: db check says to migrate, read-only commands refuse, migrate does it */
    copy_as_schema_2(db, P("old.db"));
    ck_assert_int_eq(run(&out, NULL, BIN " db check --db '%s'", P("old.db")), 1);
    snprintf(version, sizeof version, "schema version     2 (this rejectlens: %d); run",
             STORE_SCHEMA_VERSION);
    ck_assert_ptr_nonnull(strstr(out, version));
    ck_assert_ptr_nonnull(strstr(out, "'rejectlens db migrate'"));
    free(out);
    ck_assert_int_eq(run(NULL, &err, BIN " sources --db '%s'", P("old.db")), 2);
    ck_assert_ptr_nonnull(strstr(err, "'rejectlens db migrate' (or the next ingest"));
    free(err);
    ck_assert_int_eq(run(NULL, NULL, BIN " db migrate --db '%s'", P("old.db")), 0);
    ck_assert_int_eq(run(NULL, NULL, BIN " db check --db '%s'", P("old.db")), 0);
    /* version 6 wrote the two indexes of versions 1 and 2 anew, with the conditions the
     * queries repeat; version 7 led the queue ids by the day, version 10 them and the
     * addresses by the hour */
    ck_assert_int_eq(tu_sql_int(P("old.db"), "SELECT count(*) FROM sqlite_master WHERE "
                                             "(name = 'events_failures' AND sql LIKE "
                                             "'%WHERE kind = 1 OR kind = 3 OR kind = 4 OR "
                                             "kind = 5') OR (name = 'events_queue_id' AND "
                                             "sql LIKE '%(ts / 3600000000, queue_id) "
                                             "WHERE queue_id IS NOT NULL')"),
                     2);
    ck_assert_int_eq(tu_sql_int(P("old.db"), "SELECT count(*) FROM sqlite_master WHERE name IN "
                                             "('events_recipient', 'events_sender', "
                                             "'events_orig_recipient') AND sql LIKE "
                                             "'%(ts / 3600000000, %_key) WHERE %_key IS NOT NULL'"),
                     3);
    /* damage: the integrity check finds it */
    sh("cp '%s' '%s' && size=$(stat -c %%s '%s') && head -c $((size / 2)) /dev/urandom | dd "
       "of='%s' bs=4096 seek=2 conv=notrunc 2>/dev/null",
       db, P("bad.db"), P("bad.db"), P("bad.db"));
    int rc = run(&out, &err, BIN " db check --db '%s'", P("bad.db"));
    ck_assert_msg(rc == 1 || rc == 2, "exit %d", rc);
    free(out);
    free(err);
}
END_TEST

/*
 * a migration that runs out of room part of the way (a full disk, as a file size limit): one
 * line naming the file, exit 2, and the database as it was, at version 2, the steps done before
 * the failure rolled back with it. The next migration, with room, ends as one would.
 */
START_TEST(test_migrate_full_disk)
{
    const char *db, *old, *t;
    char *before, *after, *err, *want;
    int halfway = 0;

    fresh_dir("migfull");
    db = P("rl.db");
    old = P("old.db");
    t = P("t.db");
    tu_postfix_log(P("all.log"), 25000, 300);
    free(ingest_ok("--db '%s' '%s'", db, P("all.log")));
    copy_as_schema_2(db, old);
    ck_assert_int_eq(run(&before, NULL, "sqlite3 '%s' \"" SCHEMA_SQL "\"", old), 0);
    /* in blocks of 512 bytes (dash) or 1024 (bash): from before the first step to the commit */
    for (int limit = 40; limit <= 1600; limit *= 2) {
        sh("rm -f '%s'* && cp '%s' '%s'", t, old, t);
        int rc = run(NULL, &err, "ulimit -f %d && exec " BIN " db migrate --db '%s'", limit, t);
        if (rc == 0) {
            free(err);
            break;
        }
        ck_assert_msg(rc == 2, "limit %d: exit %d: %s", limit, rc, err);
        ck_assert_msg(strstr(err, "t.db: disk full") != NULL ||
                          strstr(err, "t.db: file size limit reached") != NULL,
                      "limit %d: %s", limit, err);
        ck_assert_ptr_null(strchr(strchr(err, '\n') + 1, '\n'));
        /* failed after a step of the transaction had been done: "to version 4" or later */
        int v;
        const char *m = strstr(err, "migrating the schema to version ");
        if (m != NULL && sscanf(m + 32, "%d", &v) == 1 && v > 3)
            halfway++;
        free(err);
        ck_assert_int_eq(tu_sql_int(t, "PRAGMA user_version"), 2);
        ck_assert_int_eq(run(&after, NULL, "sqlite3 '%s' \"" SCHEMA_SQL "\"", t), 0);
        ck_assert_msg(strcmp(before, after) == 0, "limit %d: the schema changed", limit);
        free(after);
        db_intact(t, events(db));
    }
    ck_assert_msg(halfway > 0, "no limit failed the migration part of the way");
    /* with room */
    ck_assert_int_eq(run(NULL, NULL, BIN " db migrate --db '%s'", old), 0);
    ck_assert_int_eq(tu_sql_int(old, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    db_intact(old, events(db));
    ck_assert_int_eq(run(&want, NULL, "sqlite3 '%s' \"" INDEX_SQL "\"", db), 0);
    ck_assert_int_eq(run(&after, NULL, "sqlite3 '%s' \"" INDEX_SQL "\"", old), 0);
    ck_assert_str_eq(after, want);
    free(want);
    free(after);
    /* every column, the address keys that version 8 computed in SQL among them, as the
     * ingest wrote it */
    ck_assert_int_eq(run(&want, NULL, "sqlite3 '%s' " ROWS_SQL, db), 0);
    ck_assert_int_eq(run(&after, NULL, "sqlite3 '%s' " ROWS_SQL, old), 0);
    ck_assert_msg(strcmp(after, want) == 0, "the events differ after the migration");
    free(want);
    free(after);
    free(before);
}
END_TEST

/*
 * a long ingest on a terminal shows bytes, lines/s and ETA; --progress never shows nothing.
 * "Long" is made, not hoped for: another connection holds the database's write lock for three
 * seconds, so the ingest waits at its first write and reads the rest of its file past the
 * bar's first second however fast it is.
 */
START_TEST(test_progress)
{
    const char *all;
    char *err;

    fresh_dir("progress");
    all = P("all.log");
    tu_postfix_log(all, 60000, 300);
    ck_assert_int_eq(run(NULL, NULL, BIN " db migrate --db '%s'", P("a.db")), 0);
    sh("(sqlite3 '%s' 'BEGIN IMMEDIATE; CREATE TABLE hold (x);' '.shell touch %s' "
       "'.shell sleep 3' 'ROLLBACK;') >/dev/null 2>&1 &",
       P("a.db"), P("held"));
    for (int i = 0; i < 1000 && !tu_exists(P("held")); i++)
        usleep(10000);
    ck_assert_msg(tu_exists(P("held")), "the write lock was never taken");
    ck_assert_int_eq(run(NULL, &err,
                         BIN " ingest --db '%s' --progress always --batch 2000 '%s' '%s'",
                         P("a.db"), all, all),
                     0);
    ck_assert_msg(strstr(err, "lines/s") != NULL && strstr(err, "ETA ") != NULL &&
                      strstr(err, " MB") != NULL,
                  "%s", err);
    free(err);
    tu_copy_lines(all, P("more.log"), 0, 300000, 0);
    ck_assert_int_eq(run(NULL, &err, BIN " ingest --db '%s' '%s'", P("b.db"), P("more.log")), 0);
    ck_assert_str_eq(err, ""); /* auto: standard error is no terminal here */
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cron");
    TCase *tc = tcase_create("cron");

    setenv("TZ", "UTC", 1);
    unsetenv("REJECTLENS_DB");
    unsetenv("REJECTLENS_CONFIG");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_rerun_append_partial);
    tcase_add_test(tc, test_rotation);
    tcase_add_test(tc, test_copytruncate);
    tcase_add_test(tc, test_truncated_same_head);
    tcase_add_test(tc, test_compressions);
    tcase_add_test(tc, test_archive_takes_last_line);
    tcase_add_test(tc, test_damaged_archive);
    tcase_add_test(tc, test_kill_anywhere);
    tcase_add_test(tc, test_many_small_files);
    tcase_add_test(tc, test_threads_same_rows);
    tcase_add_test(tc, test_stop_signals);
    tcase_add_test(tc, test_two_runs);
    tcase_add_test(tc, test_reader_does_not_block);
    tcase_add_test(tc, test_read_only);
    tcase_add_test(tc, test_full_disk);
    tcase_add_test(tc, test_full_tmpfs);
    tcase_add_test(tc, test_run_command);
    tcase_add_test(tc, test_run_sends_reports);
    tcase_add_test(tc, test_admin_commands);
    tcase_add_test(tc, test_migrate_full_disk);
    tcase_add_test(tc, test_progress);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
