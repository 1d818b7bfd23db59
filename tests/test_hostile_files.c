/*
 * test_hostile_files - files made to hurt a log reader: lines of 10 MB, a file that is one line
 * of 64 MB without a newline, a binary file, random bytes before a log, a log that changes
 * format half-way, times out of order and far in the future, a gzip bomb, NUL bytes, a
 * symbolic link loop and a FIFO in a glob, a FIFO with no writer on the command line.
 *
 * Each gives a counted, reported skip (the sources' unparsed lines, a warning) or one clear
 * line of error, and the rest of the run goes on: the good file named after it is read. Every
 * command runs with a time limit, and its peak resident memory (getrusage of the child) stays
 * under MAX_RSS_KB, which is less than most of the inputs: memory does not grow with them.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIN REJECTLENS_BIN

/* the bound on a command's peak RSS; the sanitizers' shadow memory and quarantine cost more */
#if defined(__SANITIZE_ADDRESS__)
#define MAX_RSS_KB (96 * 1024L)
#else
#define MAX_RSS_KB (48 * 1024L)
#endif
#define TIME_LIMIT_S 120

#define GOOD_LINE                                                                                  \
    "2026-01-12T08:00:00.000000+00:00 mx1 postfix/smtpd[100]: NOQUEUE: reject: RCPT from "         \
    "unknown[192.0.2.1]: 550 5.1.1 <a@example.com>: Recipient address rejected: User unknown in "  \
    "virtual mailbox table; from=<s@example.org> to=<a@example.com> proto=ESMTP helo=<h>\n"

static char *path_in(const char *name)
{
    static char buf[16][700];
    static int next;
    char *p = buf[next++ % 16];

    snprintf(p, sizeof buf[0], "%s/%s", tu_tempdir(), name);
    return p;
}

struct outcome {
    int status;  /* exit status, 128 + signal */
    long rss_kb; /* peak resident set of the command */
    double secs;
    char *out, *err; /* malloc'ed */
};

static void outcome_free(struct outcome *o)
{
    free(o->out);
    free(o->err);
}

/*
 * rl - run "rejectlens ARGS" (a shell word list built with printf) with a time limit; fills o
 * with its status, peak RSS, time and output, and checks the limits of memory and time
 */
__attribute__((format(printf, 2, 3))) static void rl(struct outcome *o, const char *fmt, ...)
{
    char args[4096], cmd[4400], outp[700], errp[700];
    struct timespec t0, t1;
    struct rusage ru;
    va_list ap;
    int status = 0;
    pid_t pid;

    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(outp, sizeof outp, "%s/rl.out", tu_tempdir());
    snprintf(errp, sizeof errp, "%s/rl.err", tu_tempdir());
    /* exec: the shell becomes rejectlens, so the child's rusage is the command's */
    snprintf(cmd, sizeof cmd, "exec %s %s >'%s' 2>'%s' </dev/null", BIN, args, outp, errp);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (;;) {
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        ck_assert_int_ge(w, 0);
        if (w == pid)
            break;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (t1.tv_sec - t0.tv_sec > TIME_LIMIT_S) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            ck_abort_msg("rejectlens %s: still running after %d s", args, TIME_LIMIT_S);
        }
        usleep(5000);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    o->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o->rss_kb = ru.ru_maxrss;
    o->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    o->out = tu_read_file(outp, NULL);
    o->err = tu_read_file(errp, NULL);
    ck_assert_ptr_nonnull(o->out);
    ck_assert_ptr_nonnull(o->err);
    fprintf(stderr, "  %-60.60s status %d, %ld kB peak RSS, %.2f s\n", args, o->status, o->rss_kb,
            o->secs);
    ck_assert_msg(o->status < 128, "rejectlens %s: killed by signal %d\n%s", args, o->status - 128,
                  o->err);
    ck_assert_msg(o->rss_kb < MAX_RSS_KB, "rejectlens %s: peak RSS %ld kB (bound %ld kB)", args,
                  o->rss_kb, MAX_RSS_KB);
}

/* one_line - stderr holds a line "rejectlens: ..." that contains want */
static void says(const char *err, const char *want)
{
    ck_assert_msg(strstr(err, want) != NULL, "wanted '%s' in: %s", want, err);
    const char *line = strstr(err, want);
    while (line > err && line[-1] != '\n')
        line--;
    ck_assert_msg(strncmp(line, "rejectlens: ", 12) == 0, "not a rejectlens line: %s", err);
}

/* sql - an integer from the database */
static long sql(const char *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long sql(const char *db, const char *fmt, ...)
{
    char q[1000];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(q, sizeof q, fmt, ap);
    va_end(ap);
    return tu_sql_int(db, q);
}

/* source - a column of the sources row of the file named path */
static long source(const char *db, const char *col, const char *path)
{
    return sql(db, "SELECT %s FROM sources WHERE path = '%s'", col, path);
}

/* fresh - an empty path for a database */
static const char *fresh(const char *name)
{
    const char *db = path_in(name);
    char f[800];

    unlink(db);
    snprintf(f, sizeof f, "%s-wal", db);
    unlink(f);
    snprintf(f, sizeof f, "%s-shm", db);
    unlink(f);
    return db;
}

/* random_bytes - n bytes from a fixed-seed generator (the same every run, so a failure repeats) */
static void random_bytes(FILE *f, size_t n, uint64_t seed)
{
    uint64_t x = seed | 1;

    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        fputc((int)(x >> 32) & 0xff, f);
    }
}

/* repeat - n bytes of c (no newline) */
static void repeat(FILE *f, int c, size_t n)
{
    static char block[65536];

    memset(block, c, sizeof block);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof block ? n - done : sizeof block;
        ck_assert_uint_eq(fwrite(block, 1, k, f), k);
        done += k;
    }
}

static FILE *create(const char *path)
{
    FILE *f = fopen(path, "wb");

    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    return f;
}

/* good_log - a file of two good lines, not the same as any other file's first lines (a file
 * that starts with the lines of one read before is taken for that one, rotated) */
static const char *good_log(void)
{
    const char *p = path_in("good.log");

    tu_write_file(p,
                  "2026-01-13T09:00:00.000000+00:00 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT "
                  "from unknown[192.0.2.7]: 554 5.7.1 <r@example.net>: Relay access denied; "
                  "from=<b@example.org> to=<r@example.net> proto=ESMTP helo=<y>\n"
                  "2026-01-13T09:00:01.000000+00:00 mx1 postfix/smtpd[7]: NOQUEUE: reject: RCPT "
                  "from unknown[192.0.2.8]: 554 5.7.1 <q@example.net>: Relay access denied; "
                  "from=<b@example.org> to=<q@example.net> proto=ESMTP helo=<y>\n",
                  -1);
    return p;
}

/* ------------------------------------------------------------------ long lines */

/* lines of 10 MB between good ones: each cut, counted unparsed ("line too long"), skipped */
START_TEST(test_long_lines)
{
    const char *db = fresh("long.db"), *log = path_in("long.log");
    struct outcome o;
    FILE *f = create(log);

    fputs(GOOD_LINE, f);
    repeat(f, 'A', 10L << 20);
    fputc('\n', f);
    fputs(GOOD_LINE, f);
    repeat(f, '<', 10L << 20); /* and one that looks like markup, to the next line */
    fputc('\n', f);
    fputs(GOOD_LINE, f);
    fclose(f);
    rl(&o, "ingest -v --db '%s' '%s'", db, log);
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 3);
    ck_assert_int_eq(source(db, "unparsed_lines", log), 2);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM unparsed_lines WHERE reason = 'line too long'"),
                     2);
    /* a sample is kept short */
    ck_assert_int_le(sql(db, "SELECT max(length(line)) FROM unparsed_lines"), 64 * 1024);
    outcome_free(&o);
}
END_TEST

/*
 * A file that is one line of 64 MB without a newline: not a known format (one clear line, exit
 * 1) and the next file is read; with --format, one unparsed line, the file read to its end.
 */
START_TEST(test_one_line)
{
    const char *db = fresh("oneline.db"), *log = path_in("oneline.log"), *good = good_log();
    struct outcome o;
    FILE *f = create(log);

    repeat(f, 'B', 64L << 20);
    fclose(f);
    rl(&o, "ingest --db '%s' '%s' '%s'", db, log, good);
    ck_assert_int_eq(o.status, 1);
    says(o.err, "oneline.log: not a log format rejectlens knows (looked at 1 lines)");
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 2);
    outcome_free(&o);
    rl(&o, "ingest --format postfix --db '%s' '%s'", db, log);
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_eq(source(db, "unparsed_lines", log), 1);
    ck_assert_int_eq(source(db, "offset", log), 64L << 20);
    outcome_free(&o);
}
END_TEST

/* ------------------------------------------------------------------ binary */

/* a megabyte of random bytes: not a known format, said in one line; the next file is read */
START_TEST(test_binary)
{
    const char *db = fresh("binary.db"), *bin = path_in("binary.log"), *good = good_log();
    struct outcome o;
    FILE *f = create(bin);

    random_bytes(f, 1L << 20, 42);
    fclose(f);
    rl(&o, "ingest --db '%s' '%s' '%s'", db, bin, good);
    ck_assert_int_eq(o.status, 1);
    says(o.err, "binary.log: not a log format rejectlens knows");
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 2);
    outcome_free(&o);
    /* read as Postfix anyway: every line unparsed and counted, none an event */
    rl(&o, "ingest --format postfix --db '%s' '%s'", db, bin);
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_gt(source(db, "unparsed_lines", bin), 1000);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 2);
    outcome_free(&o);
}
END_TEST

/*
 * 64 kB of random bytes (as /dev/urandom gives, some hundred "lines") before a good log: the
 * format is found after them, they are counted unparsed, and the log is read.
 */
START_TEST(test_random_prefix)
{
    const char *db = fresh("prefix.db"), *log = path_in("prefix.log");
    struct outcome o;
    FILE *f = create(log);

    random_bytes(f, 64 * 1024, 7);
    fputc('\n', f);
    for (int i = 0; i < 50; i++)
        fputs(GOOD_LINE, f);
    fclose(f);
    rl(&o, "ingest --db '%s' '%s'", db, log);
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 50);
    ck_assert_int_gt(source(db, "unparsed_lines", log), 64);
    outcome_free(&o);
}
END_TEST

/* NUL bytes in the first lines: kept byte for byte in the samples (they were read past the
 * end of a copy cut at the NUL, 2026-11-30) */
START_TEST(test_nul_bytes)
{
    static const char line[] = "nul\0byte garbage nul\0byte\n";
    const char *db = fresh("nul.db"), *log = path_in("nul.log");
    struct outcome o;
    FILE *f = create(log);

    fwrite(line, 1, sizeof line - 1, f);
    fputs(GOOD_LINE, f);
    fclose(f);
    rl(&o, "ingest --db '%s' '%s'", db, log);
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM unparsed_lines WHERE "
                             "hex(line) = '6E756C00627974652067617262616765206E756C0062797465'"),
                     1);
    outcome_free(&o);
    rl(&o, "summary --db '%s'", db);
    ck_assert_ptr_nonnull(strstr(o.out, "nul\\x00byte garbage nul\\x00byte\n"));
    outcome_free(&o);
}
END_TEST

/* ------------------------------------------------------------------ contents */

/* Postfix, then Exim in the same file: the Exim lines are counted unparsed, not guessed at */
START_TEST(test_format_switch)
{
    const char *db = fresh("switch.db"), *log = path_in("switch.log");
    struct outcome o;
    FILE *f = create(log);

    for (int i = 0; i < 20; i++)
        fputs(GOOD_LINE, f);
    for (int i = 0; i < 20; i++)
        fprintf(f,
                "2026-01-12 08:00:%02d H=(x.example) [192.0.2.80] F=<a@example.com> rejected "
                "RCPT <b@example.com>: Unknown user\n",
                i);
    fclose(f);
    rl(&o, "ingest --db '%s' '%s'", db, log);
    ck_assert_int_eq(o.status, 0);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 20);
    ck_assert_int_eq(source(db, "unparsed_lines", log), 20);
    ck_assert_str_eq(o.err, "");
    outcome_free(&o);
    rl(&o, "summary --db '%s'", db);
    ck_assert_ptr_nonnull(strstr(o.out, "unparsed lines                         20"));
    outcome_free(&o);
}
END_TEST

/*
 * Times out of order (a classic syslog file across New Year, lines swapped) and far in the
 * future: every line is an event at the time it says, the summary and the report run.
 */
START_TEST(test_times)
{
    const char *db = fresh("times.db"), *log = path_in("times.log"), *iso = path_in("iso.log");
    static const char classic[] =
        "Dec 31 23:59:58 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: "
        "550 5.1.1 <a@example.com>: Recipient address rejected: User unknown; from=<s@example.org> "
        "to=<a@example.com> proto=ESMTP helo=<h>\n"
        "Jan  1 00:00:02 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: "
        "550 5.1.1 <b@example.com>: Recipient address rejected: User unknown; from=<s@example.org> "
        "to=<b@example.com> proto=ESMTP helo=<h>\n"
        "Dec 31 23:59:59 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.1]: "
        "550 5.1.1 <c@example.com>: Recipient address rejected: User unknown; from=<s@example.org> "
        "to=<c@example.com> proto=ESMTP helo=<h>\n";
    static const char future[] =
        "2026-01-12T08:00:00.000000+00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
        "unknown[192.0.2.1]: 550 5.1.1 <d@example.com>: User unknown; from=<s@example.org> "
        "to=<d@example.com> proto=ESMTP helo=<h>\n"
        "9999-12-31T23:59:59.999999+00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
        "unknown[192.0.2.1]: 550 5.1.1 <e@example.com>: User unknown; from=<s@example.org> "
        "to=<e@example.com> proto=ESMTP helo=<h>\n"
        "1970-01-01T00:00:00.000000+00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
        "unknown[192.0.2.1]: 550 5.1.1 <f@example.com>: User unknown; from=<s@example.org> "
        "to=<f@example.com> proto=ESMTP helo=<h>\n"
        "2026-01-11T08:00:00.000000+00:00 mx1 postfix/smtpd[1]: NOQUEUE: reject: RCPT from "
        "unknown[192.0.2.1]: 550 5.1.1 <g@example.com>: User unknown; from=<s@example.org> "
        "to=<g@example.com> proto=ESMTP helo=<h>\n";
    struct outcome o;

    tu_write_file(log, classic, -1);
    tu_write_file(iso, future, -1);
    rl(&o, "ingest --db '%s' --year-ref 2026-01-01T00:00:05Z '%s' '%s'", db, log, iso);
    ck_assert_msg(o.status == 0, "%s", o.err);
    outcome_free(&o);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 7);
    /* the years of the classic lines: the two of December in 2025, January in 2026 */
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM v_events WHERE ts LIKE '2025-12-31T23:59:5%%'"),
                     2);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM v_events WHERE ts LIKE '2026-01-01T00:00:02%%'"),
                     1);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM v_events WHERE ts LIKE '9999-12-31T23:59:59%%'"),
                     1);
    rl(&o, "summary --db '%s'", db);
    ck_assert_int_eq(o.status, 0);
    ck_assert_ptr_nonnull(
        strstr(o.out, "events: 7 (1970-01-01T00:00:00Z .. 9999-12-31T23:59:59Z)"));
    outcome_free(&o);
    rl(&o, "report --db '%s' --since @0 --until 9999-12-31 --compare none --format json", db);
    ck_assert_int_eq(o.status, 0);
    ck_assert_ptr_nonnull(strstr(o.out, "\"failures\":7,"));
    outcome_free(&o);
    rl(&o, "report --db '%s' --period 2026-01-12", db);
    ck_assert_int_eq(o.status, 0);
    outcome_free(&o);
}
END_TEST

/* ------------------------------------------------------------------ compression */

/*
 * A gzip bomb: ten good lines, then 300 members of a megabyte of zeros each (300 MB from 300
 * kB). Read no further than the bound (one line saying so, exit 1), the ten lines kept, the
 * next file read, memory bounded.
 */
START_TEST(test_gzip_bomb)
{
    const char *db = fresh("bomb.db"), *bomb = path_in("bomb.log.gz"), *good = good_log();
    const char *zeros = path_in("zeros"), *head = path_in("head.log");
    struct outcome o;
    char cmd[2000], *member;
    size_t mlen;
    FILE *f;

    f = create(zeros);
    repeat(f, 0, 1L << 20);
    fclose(f);
    f = create(head);
    for (int i = 0; i < 10; i++)
        fputs(GOOD_LINE, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "gzip -9 -c '%s' > '%s' && gzip -9 -c '%s' > '%s.gz'", head, bomb,
             zeros, zeros);
    ck_assert_int_eq(tu_run(cmd, NULL, NULL), 0);
    snprintf(cmd, sizeof cmd, "%s.gz", zeros);
    member = tu_read_file(cmd, &mlen);
    ck_assert_ptr_nonnull(member);
    f = fopen(bomb, "ab");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 300; i++)
        ck_assert_uint_eq(fwrite(member, 1, mlen, f), mlen);
    fclose(f);
    free(member);

    rl(&o, "ingest --db '%s' '%s' '%s'", db, bomb, good);
    ck_assert_int_eq(o.status, 1);
    says(o.err, "bomb.log.gz: more than 200 times as much text as compressed data");
    says(o.err, "a decompression bomb?");
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 12);
    ck_assert_int_eq(source(db, "events", bomb), 10);
    outcome_free(&o);
    /* the next run says it again, and adds nothing */
    rl(&o, "ingest --db '%s' '%s'", db, bomb);
    ck_assert_int_eq(o.status, 1);
    says(o.err, "a decompression bomb?");
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 12);
    outcome_free(&o);
}
END_TEST

/* an archive damaged within its first lines: the lines before the damage are kept */
START_TEST(test_damaged_head)
{
    const char *db = fresh("damaged.db"), *log = path_in("damaged.log"), *gz;
    struct outcome o;
    char cmd[2000], *data;
    size_t len;
    FILE *f = create(log);

    for (int i = 0; i < 30; i++)
        fprintf(f,
                "2026-01-12T08:00:%02d.000000+00:00 mx1 postfix/smtpd[100]: NOQUEUE: reject: RCPT "
                "from unknown[192.0.2.%d]: 550 5.1.1 <u%d@example.com>: User unknown; "
                "from=<s@example.org> to=<u%d@example.com> proto=ESMTP helo=<h%d>\n",
                i, i + 1, i * 7919, i * 104729, i * 31);
    fclose(f);
    snprintf(cmd, sizeof cmd, "gzip -1 -f '%s'", log);
    ck_assert_int_eq(tu_run(cmd, NULL, NULL), 0);
    gz = path_in("damaged.log.gz");
    data = tu_read_file(gz, &len);
    ck_assert_ptr_nonnull(data);
    tu_write_file(gz, data, (long)(len * 2 / 3)); /* cut: the end is missing */
    free(data);
    rl(&o, "ingest --db '%s' '%s'", db, gz);
    ck_assert_int_eq(o.status, 1);
    says(o.err, "truncated gzip data");
    ck_assert_int_gt(sql(db, "SELECT count(*) FROM events"), 5);
    ck_assert_int_lt(sql(db, "SELECT count(*) FROM events"), 30);
    outcome_free(&o);
}
END_TEST

/* ------------------------------------------------------------------ not files */

/*
 * In a glob of the configuration: a symbolic link loop, a dangling link, a FIFO (which would
 * block a reader forever) and a directory beside the good file. Each of the first three is a
 * warning naming it (exit 1), the directory passes without a word, the good file is read.
 */
START_TEST(test_glob_not_files)
{
    const char *db = fresh("glob.db"), *dir = path_in("logs"), *conf = path_in("glob.yaml");
    char p[900], q[900], yaml[2000];
    struct outcome o;

    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(p, sizeof p, "%s/mail.log", dir);
    tu_write_file(p, GOOD_LINE GOOD_LINE, -1);
    snprintf(p, sizeof p, "%s/mail.log.1", dir);
    snprintf(q, sizeof q, "%s/mail.log.2", dir);
    ck_assert_int_eq(symlink(q, p), 0);
    ck_assert_int_eq(symlink(p, q), 0);
    snprintf(p, sizeof p, "%s/mail.log.old", dir);
    ck_assert_int_eq(symlink("nowhere", p), 0);
    snprintf(p, sizeof p, "%s/mail.log.fifo", dir);
    ck_assert_int_eq(mkfifo(p, 0600), 0);
    snprintf(p, sizeof p,
             "%s/mail.log.\xe2\x80\xae"
             "gol.\xc2\x9b"
             "2J",
             dir);
    ck_assert_int_eq(mkfifo(p, 0600), 0); /* named to fool a terminal */
    snprintf(p, sizeof p, "%s/mail.log.d", dir);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(yaml, sizeof yaml, "database: %s\nsources:\n  - paths: %s/mail.log*\n", db, dir);
    tu_write_file(conf, yaml, -1);

    rl(&o, "run --config '%s'", conf);
    ck_assert_int_eq(o.status, 1);
    says(o.err, "mail.log.1: Too many levels of symbolic links");
    says(o.err, "mail.log.2: Too many levels of symbolic links");
    says(o.err, "mail.log.old: No such file or directory");
    says(o.err, "mail.log.fifo: a FIFO, not a log file: not read");
    says(o.err, "mail.log.\\u{202e}gol.\\x9b2J: a FIFO");
    ck_assert_ptr_null(strstr(o.err, "\xe2\x80\xae"));
    ck_assert_ptr_null(strstr(o.err, "\xc2\x9b"));
    ck_assert_ptr_null(strstr(o.err, "mail.log.d"));
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 2);
    outcome_free(&o);
}
END_TEST

/* a FIFO named on the command line that nobody writes to: read as empty, not waited on */
START_TEST(test_fifo_no_writer)
{
    const char *db = fresh("fifo.db"), *fifo = path_in("fifo"), *good = good_log();
    struct outcome o;

    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    rl(&o, "ingest --db '%s' '%s' '%s'", db, fifo, good);
    ck_assert_msg(o.status == 0, "%s", o.err);
    ck_assert_int_eq(sql(db, "SELECT count(*) FROM events"), 2);
    ck_assert(o.secs < 30);
    outcome_free(&o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("hostile_files");
    TCase *tc = tcase_create("files");

    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_long_lines);
    tcase_add_test(tc, test_one_line);
    tcase_add_test(tc, test_binary);
    tcase_add_test(tc, test_random_prefix);
    tcase_add_test(tc, test_nul_bytes);
    tcase_add_test(tc, test_format_switch);
    tcase_add_test(tc, test_times);
    tcase_add_test(tc, test_gzip_bomb);
    tcase_add_test(tc, test_damaged_head);
    tcase_add_test(tc, test_glob_not_files);
    tcase_add_test(tc, test_fifo_no_writer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    unsetenv("REJECTLENS_DB");
    unsetenv("REJECTLENS_CONFIG");
    return tu_run_suite(suite());
}
