/*
 * test_environment - the commands in a failing environment: the disk fills up during an ingest
 * or while a report rolls the days up, the database is read-only, another writer holds it
 * longer than the timeout, it is corrupt, it comes from a newer rejectlens, a rules file is
 * missing or unreadable, the reader of the output goes away or the output's disk is full.
 *
 * Each gives one clear line on stderr and the documented exit status, and leaves the database
 * exactly as it was after its last committed batch: PRAGMA integrity_check says ok, and the
 * counts of its rows are those of the committed files (or the file is not touched at all).
 * Runs as root too (as CI may): what root may always do is tried as user nobody.
 */
#include "store.h"
#include "store_internal.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIN        REJECTLENS_BIN
#define NOBODY     65534
#define FILE_LINES 3000

static const char small_log[] =
    "Jan  2 10:00:01 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 550 "
    "5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox "
    "table; from=<a@example.org> to=<nobody@example.com> proto=ESMTP helo=<x>\n"
    "Jan  2 10:00:02 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.2]: 554 "
    "5.7.1 <r@example.net>: Relay access denied; from=<b@example.org> to=<r@example.net> "
    "proto=ESMTP helo=<y>\n";

static const char other_log[] =
    "Jan  3 11:00:01 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 550 "
    "5.1.1 <gone@example.com>: Recipient address rejected: User unknown in virtual mailbox "
    "table; from=<c@example.org> to=<gone@example.com> proto=ESMTP helo=<z>\n";

/* ------------------------------------------------------------------ helpers */

static char *path_in(const char *name)
{
    static char buf[8][700];
    static int next;
    char *p = buf[next++ % 8];

    snprintf(p, sizeof buf[0], "%s/%s", tu_tempdir(), name);
    return p;
}

/* run - a shell command line built with printf; stdout and stderr as tu_run gives them */
__attribute__((format(printf, 3, 4))) static int run(char **out, char **err, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, out, err);
}

struct spawn_opts {
    int out_fd;        /* the child's stdout; -1 for /dev/null */
    long fsize_limit;  /* RLIMIT_FSIZE in bytes, SIGXFSZ ignored; 0 for none */
    int as_nobody;     /* when run as root: drop to user nobody first */
    const char *stdin; /* a file for stdin; NULL for /dev/null */
};

/*
 * spawn - run argv directly (no shell) as o says; stderr is returned in *err (malloc'ed).
 * Returns the exit status, or 128 + the signal that killed it.
 */
static int spawn(const struct spawn_opts *o, char **err, char *const argv[])
{
    char errpath[700];
    int status;
    pid_t pid;

    snprintf(errpath, sizeof errpath, "%s/spawn.err", tu_tempdir());
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open(o->stdin ? o->stdin : "/dev/null", O_RDONLY);
        int out = o->out_fd >= 0 ? o->out_fd : open("/dev/null", O_WRONLY);
        if (e < 0 || in < 0 || out < 0)
            _exit(126);
        dup2(in, STDIN_FILENO);
        dup2(out, STDOUT_FILENO);
        dup2(e, STDERR_FILENO);
        signal(SIGPIPE, SIG_DFL);
        if (o->fsize_limit > 0) {
            struct rlimit rl = {(rlim_t)o->fsize_limit, (rlim_t)o->fsize_limit};
            signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG instead */
            if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
                _exit(126);
        }
        if (o->as_nobody && geteuid() == 0 &&
            (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    *err = tu_read_file(errpath, NULL);
    ck_assert_ptr_nonnull(*err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* one_line - stderr is exactly one line "rejectlens: ..." that contains `want` */
static void one_line(const char *err, const char *want)
{
    ck_assert_msg(strncmp(err, "rejectlens: ", 12) == 0, "stderr: %s", err);
    ck_assert_msg(strstr(err, want) != NULL, "wanted '%s' in: %s", want, err);
    ck_assert_msg(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
}

struct db_state {
    long long events, sources, reply_texts, unparsed, source_events, states;
};

/* db_state - integrity_check must say ok; the row counts, for comparing before and after */
static struct db_state db_state(const char *db)
{
    struct store *s = NULL;
    struct store_stmt *st;
    struct diag d = {""};
    struct db_state ds;

    ck_assert_msg(store_open(db, STORE_READ_ONLY, 1000, &s, &d) == 0, "%s", d.msg);
    st = store_stmt_prepare(s, "PRAGMA integrity_check", &d);
    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(store_step(s, st, &d), 1);
    ck_assert_str_eq(store_column_text(st, 0), "ok");
    store_stmt_finalize(st);
    st = store_stmt_prepare(s,
                            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM sources), "
                            "(SELECT count(*) FROM reply_texts), "
                            "(SELECT count(*) FROM unparsed_lines), "
                            "(SELECT coalesce(sum(events), 0) FROM sources), "
                            "(SELECT count(*) FROM parser_state)",
                            &d);
    ck_assert_msg(st != NULL, "%s", d.msg);
    ck_assert_int_eq(store_step(s, st, &d), 1);
    ds.events = store_column_int64(st, 0);
    ds.sources = store_column_int64(st, 1);
    ds.reply_texts = store_column_int64(st, 2);
    ds.unparsed = store_column_int64(st, 3);
    ds.source_events = store_column_int64(st, 4);
    ds.states = store_column_int64(st, 5);
    store_stmt_finalize(st);
    store_close(s);
    /* what a committed batch wrote agrees with itself: the sources count the events there are */
    ck_assert_int_eq(ds.events, ds.source_events);
    return ds;
}

static void same_state(struct db_state a, struct db_state b)
{
    ck_assert_int_eq(a.events, b.events);
    ck_assert_int_eq(a.sources, b.sources);
    ck_assert_int_eq(a.reply_texts, b.reply_texts);
    ck_assert_int_eq(a.unparsed, b.unparsed);
    ck_assert_int_eq(a.states, b.states);
}

/* same_bytes - the file holds exactly `before` */
static void same_bytes(const char *path, const char *before, size_t blen)
{
    size_t alen;
    char *after = tu_read_file(path, &alen);

    ck_assert_ptr_nonnull(after);
    ck_assert_uint_eq(alen, blen);
    ck_assert_msg(memcmp(before, after, blen) == 0, "%s changed", path);
    free(after);
}

/* fresh_db - a database with small_log in it */
static const char *fresh_db(const char *name)
{
    const char *db = path_in(name), *log = path_in("small.log");
    char *err;
    char wal[800], shm[800];

    snprintf(wal, sizeof wal, "%s-wal", db);
    snprintf(shm, sizeof shm, "%s-shm", db);
    unlink(db);
    unlink(wal);
    unlink(shm);
    tu_write_file(log, small_log, -1);
    ck_assert_int_eq(
        run(NULL, &err, BIN " ingest -q --db '%s' --year-ref 2026-01-05 '%s'", db, log), 0);
    free(err);
    return db;
}

/* big_file - FILE_LINES reject lines, different in every file k */
static void big_file(const char *path, int k)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < FILE_LINES; i++)
        fprintf(f,
                "Jan  2 %02d:%02d:%02d mx1 postfix/smtpd[%d]: NOQUEUE: reject: RCPT from "
                "c%d.example.com[192.0.2.%d]: 550 5.1.1 <u%d-%d@example.com>: Recipient "
                "address rejected: User unknown in virtual mailbox table; from=<s%d@example.org> "
                "to=<u%d-%d@example.com> proto=ESMTP helo=<c%d.example.com>\n",
                i / 3600 % 24, i / 60 % 60, i % 60, k, i, i % 250, k, i, i, k, i, i);
    fclose(f);
}

static long file_size(const char *path)
{
    struct stat sb;

    ck_assert_int_eq(stat(path, &sb), 0);
    return (long)sb.st_size;
}

/* ------------------------------------------------------------------ disk full */

/* ingest_argv - "rejectlens ingest --db DB --year-ref 2026-01-03" into argv; returns argc */
static int ingest_argv(char **argv, const char *db)
{
    int argc = 0;

    argv[argc++] = BIN;
    argv[argc++] = "ingest";
    argv[argc++] = "--db";
    argv[argc++] = (char *)db;
    argv[argc++] = "--year-ref";
    argv[argc++] = "2026-01-03";
    return argc;
}

/* run_out_of_room - argv run with the disk full: one line, status 2, nothing half kept */
static void run_out_of_room(struct spawn_opts *o, char **argv)
{
    char *err;

    ck_assert_int_eq(spawn(o, &err, argv), 2);
    one_line(err, "disk full");
    ck_assert_ptr_nonnull(strstr(err, "nothing after the last commit was kept"));
    free(err);
}

/* run_with_room - argv run again with room: every line of nfiles files, each once */
static void run_with_room(struct spawn_opts *o, char **argv, const char *db, int nfiles)
{
    char *err;
    struct db_state ds;

    o->fsize_limit = 0;
    ck_assert_int_eq(spawn(o, &err, argv), 0);
    free(err);
    ds = db_state(db);
    ck_assert_int_eq(ds.events, nfiles * FILE_LINES);
    ck_assert_int_eq(ds.sources, nfiles);
}

/*
 * The disk fills up in the middle of an ingest of ten files (a file size limit stands in for
 * it: the write fails with EFBIG, as it would with ENOSPC). The run stops with one line and
 * status 2; what it committed before is whole (each file is a batch here: --batch is a
 * file's lines, where by default a batch would span these files); the next run, with room
 * again, reads on and ends with every line counted once.
 */
START_TEST(test_disk_full)
{
    enum { NFILES = 10 };
    char files[NFILES][700], *err;
    char *argv[10 + NFILES], batch[32];
    const char *db = path_in("full.db");
    struct spawn_opts o = {-1, 0, 0, NULL};
    int argc;

    unlink(db);
    for (int k = 0; k < NFILES; k++) {
        snprintf(files[k], sizeof files[k], "%s/full-%d.log", tu_tempdir(), k);
        big_file(files[k], k);
    }
    argc = ingest_argv(argv, db);
    snprintf(batch, sizeof batch, "%d", FILE_LINES);
    argv[argc++] = "--batch";
    argv[argc++] = batch;
    argv[argc++] = files[0];
    argv[argc] = NULL;
    ck_assert_int_eq(spawn(&o, &err, argv), 0);
    free(err);
    ck_assert_int_eq(db_state(db).events, FILE_LINES);

    /* room for about two more files: the database grows by some 600 KB a file */
    for (int k = 1; k < NFILES; k++)
        argv[argc++] = files[k];
    argv[argc] = NULL;
    o.fsize_limit = file_size(db) + 2 * 1024 * 1024;
    run_out_of_room(&o, argv);
    struct db_state ds = db_state(db);
    ck_assert_msg(ds.events > FILE_LINES && ds.events < NFILES * FILE_LINES, "%lld events",
                  ds.events);
    ck_assert_int_eq(ds.events % FILE_LINES, 0); /* whole batches, nothing of the failed one */
    ck_assert_int_eq(ds.sources, ds.events / FILE_LINES);

    /* room again: the run goes on from there, nothing is lost and nothing counted twice */
    run_with_room(&o, argv, db, NFILES);
}
END_TEST

/*
 * The same when small files make one batch (the default) and the run's one commit is the one
 * that ends it, after its last file, an empty one: one line, status 2, nothing of the batch
 * kept and the database as the run found it; the next run reads every file once.
 */
START_TEST(test_disk_full_at_batch_end)
{
    enum { NFILES = 6 };
    char files[NFILES + 1][700], *err;
    char *argv[8 + NFILES + 1];
    const char *db = path_in("batch-full.db");
    struct spawn_opts o = {-1, 0, 0, NULL};
    int argc;

    unlink(db);
    for (int k = 0; k < NFILES; k++) {
        snprintf(files[k], sizeof files[k], "%s/batch-%d.log", tu_tempdir(), k);
        big_file(files[k], k);
    }
    snprintf(files[NFILES], sizeof files[NFILES], "%s/batch-empty.log", tu_tempdir());
    tu_write_file(files[NFILES], "", 0);
    argc = ingest_argv(argv, db);
    argv[argc++] = files[0];
    argv[argc] = NULL;
    ck_assert_int_eq(spawn(&o, &err, argv), 0);
    free(err);

    /* five files of ~600 KB in the database each, one batch; room for a sixth of that */
    for (int k = 1; k <= NFILES; k++)
        argv[argc++] = files[k];
    argv[argc] = NULL;
    o.fsize_limit = file_size(db) + 512 * 1024;
    run_out_of_room(&o, argv);
    struct db_state ds = db_state(db);
    ck_assert_int_eq(ds.events, FILE_LINES);
    ck_assert_int_eq(ds.sources, 1);

    run_with_room(&o, argv, db, NFILES);
}
END_TEST

/* rollup_log - six days of rejections, with texts, clients and recipients of each day */
static void rollup_log(const char *path)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    for (int day = 2; day < 8; day++)
        for (int i = 0; i < 400; i++) {
            char rcpt[64], text[256];
            int n = day * 1000 + i % 50;
            snprintf(rcpt, sizeof rcpt, "u%d-%d@d%d.example.com", day, i, i % 37);
            switch ((i + day) % 4) {
            case 0:
                snprintf(text, sizeof text,
                         "550 5.1.1 <%s>: Recipient address rejected: User "
                         "unknown in virtual mailbox table",
                         rcpt);
                break;
            case 1:
                snprintf(text, sizeof text, "554 5.7.1 <%s>: Relay access denied", rcpt);
                break;
            case 2:
                snprintf(text, sizeof text,
                         "450 4.2.0 <%s>: Recipient address rejected: "
                         "Greylisted, see http://x.example/%d",
                         rcpt, n);
                break;
            default:
                snprintf(text, sizeof text,
                         "552 5.2.2 <%s>: Recipient address rejected: "
                         "Mailbox full (%d)",
                         rcpt, n);
            }
            fprintf(f,
                    "Jan  %d %02d:%02d:%02d mx%d postfix/smtpd[%d]: NOQUEUE: reject: RCPT from "
                    "c%d.example.com[198.51.100.%d]: %s; from=<s%d@example.org> to=<%s> "
                    "proto=ESMTP helo=<h%d.example.com>\n",
                    day, i / 17 % 24, i % 60, (i * 7) % 60, 1 + i % 3, 100 + day, i % 211, i % 250,
                    text, i % 13, rcpt, i % 29);
        }
    fclose(f);
}

/* copy_db - a copy of db, which its last user closed (its WAL is empty), and no stale WAL */
static void copy_db(const char *db, const char *copy)
{
    ck_assert_int_eq(
        run(NULL, NULL, "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'", db, copy, copy, copy), 0);
}

/*
 * The disk fills up while the first report after an ingest rolls the days up (a day a
 * transaction). The report stops with one line and status 2; the days rolled up before stay,
 * the events are untouched; the next report, with room, says what a report with room all
 * along said, and numbers no group twice.
 */
START_TEST(test_disk_full_rolling_up)
{
    const char *log = path_in("rollup.log"), *db = path_in("rollup.db");
    const char *want = path_in("rollup-want.csv"), *got = path_in("rollup-got.csv");
    const char *copy = path_in("rollup-copy.db");
    char *report[] = {BIN,          "report",   "--db", (char *)copy, "--since", "@0", "--until",
                      "2026-02-01", "--format", "csv",  "-o",         NULL,      NULL};
    struct spawn_opts o = {-1, 0, 0, NULL};
    long long events;
    long days = 0;
    char *err, *a, *b;

    rollup_log(log);
    run(NULL, NULL, "rm -f '%s' '%s-wal' '%s-shm'", db, db, db);
    ck_assert_int_eq(
        run(NULL, &err, BIN " ingest -q --db '%s' --year-ref 2026-01-10 '%s'", db, log), 0);
    free(err);
    events = db_state(db).events;
    ck_assert_int_eq(events, 6 * 400);

    /* with room: the report to compare with */
    copy_db(db, copy);
    report[11] = (char *)want;
    ck_assert_int_eq(spawn(&o, &err, report), 0);
    free(err);

    /* room for some of the days' roll-ups, not all: a few limits are tried on a fresh copy */
    report[11] = (char *)got;
    for (long limit = 64 * 1024; limit <= 4 * 1024 * 1024 && days == 0; limit += 64 * 1024) {
        copy_db(db, copy);
        o.fsize_limit = limit;
        int rc = spawn(&o, &err, report);
        if (rc == 0) { /* room enough for every day: the smaller limits never got one in */
            free(err);
            break;
        }
        ck_assert_int_eq(rc, 2);
        one_line(err, "disk full");
        free(err);
        ck_assert_int_eq(db_state(copy).events, events);
        days = tu_sql_int(copy, "SELECT count(*) FROM rollup_days");
        ck_assert_int_lt(days, 6);
    }
    ck_assert_msg(days > 0, "no limit let some days but not all be rolled up");

    /* room again: the same report as with room all along, every group numbered once */
    o.fsize_limit = 0;
    ck_assert_int_eq(spawn(&o, &err, report), 0);
    free(err);
    a = tu_read_file(want, NULL);
    b = tu_read_file(got, NULL);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    ck_assert_int_eq(tu_sql_int(copy, "SELECT count(*) FROM rollup_days"), 6);
    ck_assert_int_eq(tu_sql_int(copy, "SELECT count(*) FROM (SELECT 1 FROM rollup_groups GROUP "
                                      "BY reply_text_id, kind, reply_code, status, direction, "
                                      "mta, host HAVING count(*) > 1)"),
                     0);
}
END_TEST

/* ------------------------------------------------------------------ read-only */

/*
 * A database its user may read but not write (root's nightly database, read by an admin):
 * ingest refuses with one line and leaves it alone; summary reads it.
 */
START_TEST(test_read_only)
{
    char dir[700], db[800], log[800], *err, *before;
    size_t blen;
    int out[2];
    struct spawn_opts o = {-1, 0, 1, NULL};

    /* nobody must reach the files: the temporary folder is 0700 */
    ck_assert_int_eq(chmod(tu_tempdir(), 0711), 0);
    snprintf(dir, sizeof dir, "%s/ro", tu_tempdir());
    mkdir(dir, 0755);
    snprintf(db, sizeof db, "%s/ro.db", dir);
    snprintf(log, sizeof log, "%s/other.log", dir);
    tu_write_file(log, other_log, -1);
    ck_assert_int_eq(chmod(log, 0644), 0);
    tu_write_file(path_in("small.log"), small_log, -1);
    ck_assert_int_eq(run(NULL, &err, BIN " ingest -q --db '%s' --year-ref 2026-01-05 '%s'", db,
                         path_in("small.log")),
                     0);
    free(err);
    /* nothing else opens it before the reader: as after root's nightly run */
    if (geteuid() != 0) { /* without root, the modes do it */
        char f[900];
        snprintf(f, sizeof f, "%s-wal", db);
        chmod(f, 0444);
        snprintf(f, sizeof f, "%s-shm", db);
        chmod(f, 0444);
        chmod(db, 0444);
        chmod(dir, 0555);
    }
    before = tu_read_file(db, &blen);

    /* reading needs no write access */
    ck_assert_int_eq(pipe(out), 0);
    o.out_fd = out[1];
    char *summary[] = {BIN, "summary", "--db", db, NULL};
    ck_assert_int_eq(spawn(&o, &err, summary), 0);
    close(out[1]);
    char buf[64] = "";
    ck_assert_int_gt(read(out[0], buf, sizeof buf - 1), 0);
    close(out[0]);
    ck_assert_msg(strncmp(buf, "events: 2 ", 10) == 0, "summary said: %s (%s)", buf, err);
    ck_assert_str_eq(err, "");
    free(err);

    /* writing does: the run lock beside the database comes first (test_cron has a read-only
     * database in a writable directory) */
    o.out_fd = -1;
    char *ingest[] = {BIN, "ingest", "--db", db, "--year-ref", "2026-01-05", log, NULL};
    ck_assert_int_eq(spawn(&o, &err, ingest), 2);
    one_line(err, "cannot create the run lock: Permission denied");
    free(err);
    same_bytes(db, before, blen);
    free(before);
    struct db_state ds = db_state(db);
    ck_assert_int_eq(ds.events, 2);
    ck_assert_int_eq(ds.sources, 1);
    chmod(dir, 0755);
}
END_TEST

/* ------------------------------------------------------------------ locked */

/*
 * Another writer holds the database longer than the busy timeout (10 s): ingest waits, then
 * gives up with one line; summary is not blocked (WAL); nothing changed; once the lock is gone,
 * the ingest goes in.
 */
START_TEST(test_locked)
{
    const char *db = fresh_db("locked.db"), *log = path_in("other.log");
    int ready[2], release[2];
    char *out, *err, c;
    pid_t holder;

    tu_write_file(log, other_log, -1);
    struct db_state ds = db_state(db);
    ck_assert_int_eq(pipe(ready), 0);
    ck_assert_int_eq(pipe(release), 0);
    holder = fork();
    ck_assert_int_ge(holder, 0);
    if (holder == 0) { /* the other writer: takes the write lock and holds it */
        struct store *s = NULL;
        struct diag d = {""};
        close(ready[0]);
        close(release[1]);
        if (store_open(db, STORE_READ_WRITE, 1000, &s, &d) < 0 || store_begin(s, &d) < 0)
            _exit(1);
        if (write(ready[1], "x", 1) != 1 || read(release[0], &c, 1) < 0)
            _exit(1);
        store_rollback(s);
        store_close(s);
        _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    ck_assert_int_eq(read(ready[0], &c, 1), 1);

    ck_assert_int_eq(run(&out, &err, BIN " ingest --db '%s' --year-ref 2026-01-05 '%s'", db, log),
                     2);
    one_line(err, "database is locked by another process (waited 10000 ms)");
    free(out);
    free(err);
    ck_assert_int_eq(run(&out, &err, BIN " summary --db '%s'", db), 0);
    ck_assert_ptr_nonnull(strstr(out, "events: 2 "));
    free(out);
    free(err);
    /* report and top would roll up the days they read; locked out, they read the events */
    ck_assert_int_eq(run(&out, &err,
                         BIN " report --db '%s' --since @0 --compare none --format csv "
                             "--table categories",
                         db),
                     0);
    ck_assert_msg(strstr(out, "\r\n") != NULL && *err == '\0', "%s%s", out, err);
    free(out);
    free(err);
    ck_assert_int_eq(run(&out, &err, BIN " top categories --db '%s' --since @0 --format tsv", db),
                     0);
    free(out);
    free(err);
    ck_assert_int_eq(tu_sql_int(db, "SELECT count(*) FROM rollup_days"), 0);

    close(release[1]); /* the other writer ends */
    int status;
    ck_assert_int_eq(waitpid(holder, &status, 0), holder);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(ready[0]);
    same_state(db_state(db), ds);
    ck_assert_int_eq(
        run(NULL, &err, BIN " ingest -q --db '%s' --year-ref 2026-01-05 '%s'", db, log), 0);
    free(err);
    ck_assert_int_eq(db_state(db).events, 3);
}
END_TEST

/* ------------------------------------------------------------------ corrupt, newer */

/* every command that opens the database refuses it with one line, and leaves it as it is */
static void refused_everywhere(const char *db, const char *want)
{
    static const char *const cmds[] = {
        BIN " ingest --db '%s' --year-ref 2026-01-05 '%s'",
        BIN " summary --db '%s' %s",
        BIN " classify --db '%s' %s",
    };
    const char *log = path_in("other.log");
    size_t blen;
    char *before = tu_read_file(db, &blen), *err;

    tu_write_file(log, other_log, -1);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        int rc = run(NULL, &err, cmds[i], db, i == 0 ? log : "");
#pragma GCC diagnostic pop
        ck_assert_msg(rc == 2, "%s: exit %d", cmds[i], rc);
        one_line(err, want);
        free(err);
        same_bytes(db, before, blen);
    }
    free(before);
}

/* pages past the first overwritten: the header reads, the tables do not */
START_TEST(test_corrupt)
{
    const char *db = fresh_db("corrupt.db");
    size_t len;
    char *bytes = tu_read_file(db, &len);

    ck_assert_uint_gt(len, 4 * 4096);
    for (size_t i = 4096; i < len; i++)
        bytes[i] = (char)(0xA5 ^ (i * 31));
    tu_write_file(db, bytes, (long)len);
    free(bytes);
    refused_everywhere(db, "database file is corrupt");
}
END_TEST

START_TEST(test_newer_schema)
{
    const char *db = fresh_db("newer.db");
    struct store *s = NULL;
    struct diag d = {""};

    ck_assert_int_eq(store_open(db, STORE_READ_WRITE, 1000, &s, &d), 0);
    ck_assert_int_eq(store_exec(s, "PRAGMA user_version = 99", &d), 0);
    store_close(s);
    refused_everywhere(db, "schema version 99 is newer than this rejectlens understands");
}
END_TEST

/*
 * A first ingest killed before its first commit leaves a database file with nothing in it:
 * reading it shows no events (as after no batch at all), and leaves it as it is; the next
 * ingest makes it a database.
 */
START_TEST(test_nothing_committed)
{
    const char *db = path_in("empty.db"), *log = path_in("other.log");
    char *out, *err;
    size_t len;

    tu_write_file(db, "", 0);
    tu_write_file(log, other_log, -1);
    ck_assert_int_eq(run(&out, &err, BIN " summary --db '%s'", db), 0);
    ck_assert_ptr_nonnull(strstr(out, "events: 0\n"));
    ck_assert_str_eq(err, "");
    free(out);
    free(err);
    free(tu_read_file(db, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(
        run(NULL, &err, BIN " ingest -q --db '%s' --year-ref 2026-01-05 '%s'", db, log), 0);
    free(err);
    ck_assert_int_eq(db_state(db).events, 1);
}
END_TEST

/* ------------------------------------------------------------------ rules files */

/*
 * A rules file that is missing, a directory, or unreadable: one line naming it, status 2, and
 * no event in the database, nor any change to one that was there.
 */
START_TEST(test_rules_file)
{
    const char *db = fresh_db("rules.db"), *log = path_in("other.log");
    const char *absent_db = path_in("never.db"), *secret = path_in("secret.yaml");
    size_t blen;
    char *before = tu_read_file(db, &blen), *err;
    struct spawn_opts o = {-1, 0, 1, NULL};

    tu_write_file(log, other_log, -1);
    ck_assert_int_eq(run(NULL, &err, BIN " ingest --db '%s' --rules /nonexistent/rules.yaml '%s'",
                         absent_db, log),
                     2);
    one_line(err, "/nonexistent/rules.yaml: No such file or directory");
    free(err);
    /* the database opens before the rules compile (a signal then still stops cleanly): it may
     * be made, with no events */
    if (tu_exists(absent_db))
        ck_assert_int_eq(db_state(absent_db).events, 0);
    ck_assert_int_eq(
        run(NULL, &err, BIN " ingest --db '%s' --rules '%s' '%s'", db, tu_tempdir(), log), 2);
    one_line(err, "Is a directory");
    free(err);
    ck_assert_int_eq(run(NULL, &err, BIN " classify --db '%s' --rules /nonexistent/rules.yaml", db),
                     2);
    one_line(err, "/nonexistent/rules.yaml: No such file or directory");
    free(err);
    ck_assert_int_eq(run(NULL, &err, BIN " explain --rules /nonexistent/rules.yaml '550 5.1.1 x'"),
                     2);
    one_line(err, "/nonexistent/rules.yaml: No such file or directory");
    free(err);
    same_bytes(db, before, blen);
    free(before);

    /* a file its user may not read (as nobody when we are root) */
    ck_assert_int_eq(chmod(tu_tempdir(), 0711), 0);
    tu_write_file(secret, "rules: []\n", -1);
    ck_assert_int_eq(chmod(secret, geteuid() == 0 ? 0600 : 0000), 0);
    char *explain[] = {BIN, "explain", "--rules", (char *)secret, "550 5.1.1 x", NULL};
    ck_assert_int_eq(spawn(&o, &err, explain), 2);
    one_line(err, "secret.yaml: Permission denied");
    free(err);
}
END_TEST

/* ------------------------------------------------------------------ output */

/*
 * "summary | head", "report | head": the reader goes away before the output is written. No
 * signal death, no message, status 0, whatever the command and format. Output to a full disk
 * is an error: one line, status 2.
 */
START_TEST(test_output_gone)
{
    const char *db = fresh_db("output.db");
    struct spawn_opts o = {-1, 0, 0, NULL};
    char *err;
    int p[2];

    ck_assert_int_eq(pipe(p), 0);
    close(p[0]); /* nobody will read */
    o.out_fd = p[1];
    char *summary[] = {BIN, "summary", "--db", (char *)db, NULL};
    ck_assert_int_eq(spawn(&o, &err, summary), 0);
    ck_assert_str_eq(err, "");
    free(err);
    static const char *const others[][6] = {
        {"report", "--period", "2026-01-05", NULL},
        {"report", "--period", "2026-01-05", "--format", "html", NULL},
        {"report", "--period", "2026-01-05", "--format", "csv", NULL},
        {"report", "--period", "2026-01-05", "--format", "json", NULL},
        {"report", "--mail-to", "a@example.com", "--mail-dry-run", NULL},
        {"sources", NULL},
        {"db", "check", NULL},
        {"explain", "550 5.1.1 <a@example.com>: User unknown", NULL},
        {"rules", "list", NULL},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        char *argv[10] = {BIN};
        int n = 1;
        for (int k = 0; others[i][k] != NULL; k++)
            argv[n++] = (char *)others[i][k];
        if (strcmp(others[i][0], "explain") != 0 && strcmp(others[i][0], "rules") != 0) {
            argv[n++] = "--db";
            argv[n++] = (char *)db;
        }
        ck_assert_msg(spawn(&o, &err, argv) == 0, "%s %s: %s", others[i][0],
                      others[i][1] ? others[i][1] : "", err);
        ck_assert_msg(err[0] == '\0', "%s %s said: %s", others[i][0],
                      others[i][1] ? others[i][1] : "", err);
        free(err);
    }

    /* an ingest whose output nobody reads still stores everything */
    const char *log = path_in("other.log");
    tu_write_file(log, other_log, -1);
    char *ingest[] = {BIN,          "ingest",     "-v",        "--db", (char *)db,
                      "--year-ref", "2026-01-05", (char *)log, NULL};
    ck_assert_int_eq(spawn(&o, &err, ingest), 0);
    ck_assert_str_eq(err, "");
    free(err);
    close(p[1]);
    ck_assert_int_eq(db_state(db).events, 3);

    int full = open("/dev/full", O_WRONLY);
    if (full >= 0) {
        o.out_fd = full;
        ck_assert_int_eq(spawn(&o, &err, summary), 2);
        one_line(err, "standard output: No space left on device");
        free(err);
        char *report[] = {BIN, "report", "--db", (char *)db, "--period", "2026-01-05", NULL};
        ck_assert_int_eq(spawn(&o, &err, report), 2);
        one_line(err, "standard output: ");
        free(err);
        close(full);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("environment");
    TCase *tc = tcase_create("environment");

    setenv("TZ", "UTC", 1);
    unsetenv("REJECTLENS_DB");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_disk_full);
    tcase_add_test(tc, test_disk_full_at_batch_end);
    tcase_add_test(tc, test_disk_full_rolling_up);
    tcase_add_test(tc, test_read_only);
    tcase_add_test(tc, test_locked);
    tcase_add_test(tc, test_corrupt);
    tcase_add_test(tc, test_newer_schema);
    tcase_add_test(tc, test_nothing_committed);
    tcase_add_test(tc, test_rules_file);
    tcase_add_test(tc, test_output_gone);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
