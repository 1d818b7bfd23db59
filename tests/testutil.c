/*
 * testutil - small helpers the Check suites share (see testutil.h)
 */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tempdir[512];

static void remove_tempdir(void)
{
    char cmd[600];

    if (tempdir[0] != '\0' && getenv("REJECTLENS_KEEP_TMP") == NULL) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tempdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tempdir);
    }
}

const char *tu_tempdir(void)
{
    const char *base = getenv("TMPDIR");

    if (tempdir[0] != '\0')
        return tempdir;
    snprintf(tempdir, sizeof tempdir, "%s/rejectlens-test-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(tempdir) == NULL) {
        perror("mkdtemp");
        abort();
    }
    atexit(remove_tempdir);
    return tempdir;
}

void tu_write_file(const char *path, const char *data, long n)
{
    FILE *f = fopen(path, "wb");

    ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
    size_t len = n < 0 ? strlen(data) : (size_t)n;
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            if (buf == NULL)
                abort();
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int tu_run(const char *cmd, char **out, char **err)
{
    char outp[600], errp[600], *full;
    const char *dir = tu_tempdir();
    static int seq;
    int status;
    size_t n = strlen(cmd) + 1300;

    snprintf(outp, sizeof outp, "%s/run-%d-%d.out", dir, (int)getpid(), seq);
    snprintf(errp, sizeof errp, "%s/run-%d-%d.err", dir, (int)getpid(), seq++);
    full = malloc(n);
    if (full == NULL)
        abort();
    snprintf(full, n, "( %s ) >'%s' 2>'%s'", cmd, outp, errp);
    status = system(full);
    free(full);
    if (out)
        *out = tu_read_file(outp, NULL);
    if (err)
        *err = tu_read_file(errp, NULL);
    unlink(outp);
    unlink(errp);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

int tu_exists(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0;
}

int tu_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}

long tu_postfix_log(const char *path, long steps, long window)
{
    static const char *const rejects[] = {
        "550 5.1.1 <u%ld@example.com>: Recipient address rejected: User unknown in virtual "
        "mailbox table",
        "554 5.7.1 Service unavailable; Client host [192.0.2.%ld] blocked using "
        "zen.spamhaus.org",
        "450 4.7.1 <h%ld.example.net>: Helo command rejected: Host not found",
        "554 5.7.1 <r%ld@example.org>: Relay access denied",
    };
    FILE *f = fopen(path, "w");
    long lines = 0;

    ck_assert_msg(f != NULL, "cannot write %s", path);
    for (long t = 0; t < steps + window; t++) {
        long sec = t * 3, h = sec / 3600 % 24, m = sec / 60 % 60, s = sec % 60,
             day = 2 + sec / 86400;
        char ts[64];
        snprintf(ts, sizeof ts, "2026-03-%02ldT%02ld:%02ld:%02ld.%06ld+00:00", day % 28, h, m, s,
                 (t * 7919) % 1000000);
        if (t < steps) {
            unsigned long qid = 0x1A0000000UL + (unsigned long)t * 7919UL;
            fprintf(f, "%s mx1 postfix/smtpd[%ld]: %lX: client=c%ld.example.net[198.51.100.%ld]\n",
                    ts, 1000 + t % 50, qid, t, t % 250);
            fprintf(f, "%s mx1 postfix/cleanup[%ld]: %lX: message-id=<m%ld@example.net>\n", ts,
                    2000 + t % 7, qid, t);
            fprintf(f,
                    "%s mx1 postfix/qmgr[99]: %lX: from=<s%ld@example.net>, size=%ld, nrcpt=1 "
                    "(queue active)\n",
                    ts, qid, t % 997, 1000 + t % 5000);
            lines += 3;
        }
        if (t >= window) {
            long i = t - window;
            unsigned long qid = 0x1A0000000UL + (unsigned long)i * 7919UL;
            const char *status = i % 10 == 3 ? "bounced" : i % 10 == 7 ? "deferred" : "sent";
            const char *dsn = i % 10 == 3 ? "5.1.1" : i % 10 == 7 ? "4.4.1" : "2.0.0";
            const char *why = i % 10 == 3   ? "host mx.example.com[203.0.113.5] said: 550 5.1.1 "
                                              "<r@example.com>: Recipient address rejected: User "
                                              "unknown (in reply to RCPT TO command)"
                              : i % 10 == 7 ? "connect to mx.example.com[203.0.113.5]:25: "
                                              "Connection timed out"
                                            : "250 2.0.0 Ok: queued as ABC";
            fprintf(f,
                    "%s mx1 postfix/smtp[%ld]: %lX: to=<r%ld@example.com>, "
                    "relay=mx.example.com[203.0.113.5]:25, delay=1.2, delays=0.1/0/0.5/0.6, "
                    "dsn=%s, status=%s (%s)\n",
                    ts, 3000 + i % 20, qid, i % 313, dsn, status, why);
            fprintf(f, "%s mx1 postfix/qmgr[99]: %lX: removed\n", ts, qid);
            lines += 2;
        }
        if (t % 5 == 0) {
            char text[300];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
            snprintf(text, sizeof text, rejects[(t / 5) % 4], t % 89);
#pragma GCC diagnostic pop
            fprintf(f,
                    "%s mx1 postfix/smtpd[%ld]: NOQUEUE: reject: RCPT from x%ld.example.org"
                    "[192.0.2.%ld]: %s; from=<a%ld@example.org> to=<u%ld@example.com> "
                    "proto=ESMTP helo=<x%ld.example.org>\n",
                    ts, 1000 + t % 50, t % 89, t % 250, text, t % 31, t % 89, t % 89);
            lines++;
        }
    }
    ck_assert_int_eq(fclose(f), 0);
    return lines;
}

void tu_copy_lines(const char *src, const char *dst, long from, long to, int append)
{
    FILE *in = fopen(src, "r"), *out = fopen(dst, append ? "a" : "w");
    char *line = NULL;
    size_t cap = 0;
    long n = 0;

    ck_assert_msg(in != NULL && out != NULL, "cannot copy %s to %s", src, dst);
    while (getline(&line, &cap, in) > 0) {
        if (n >= from && n < to)
            fputs(line, out);
        if (++n >= to)
            break;
    }
    free(line);
    fclose(in);
    ck_assert_int_eq(fclose(out), 0);
}

/* sql_out - what the sqlite3 shell prints for a script on db */
static char *sql_out(const char *db, const char *script)
{
    char cmd[8192], *out = NULL;

    snprintf(cmd, sizeof cmd, "sqlite3 -batch -readonly '%s' \"%s\"", db, script);
    ck_assert_msg(tu_run(cmd, &out, NULL) == 0, "sqlite3 failed on %s", db);
    return out;
}

char *tu_db_dump(const char *db)
{
    return sql_out(db,
                   "SELECT * FROM events ORDER BY id;"
                   "SELECT '--';"
                   "SELECT * FROM reply_texts ORDER BY id;"
                   "SELECT '--';"
                   "SELECT id, path, dev, inode, size, offset, fingerprint, fp_len, format, lines, "
                   "events, info_lines, foreign_lines, unparsed_lines, file_size, mtime_ns, "
                   "compression, at_end FROM sources ORDER BY id;"
                   "SELECT '--';"
                   "SELECT format, hex(state) FROM parser_state ORDER BY format;");
}

char *tu_db_dump_content(const char *db)
{
    return sql_out(db, "SELECT e.ts, e.ts_prec, e.host, e.mta, e.program, e.kind, e.direction, "
                       "e.stage, e.queue_id, e.parent_queue_id, e.message_id, e.client_ip, "
                       "e.client_name, e.helo, e.sender, e.recipient, e.orig_recipient, "
                       "e.relay, e.reply_code, e.status, e.text, e.size, r.template, "
                       "r.category, r.rule FROM events e "
                       "LEFT JOIN reply_texts r ON r.id = e.reply_text_id ORDER BY 1, 9, 16, 6, "
                       "21, 12, 15;");
}

long tu_sql_int(const char *db, const char *sql)
{
    char *out = sql_out(db, sql);
    long v = -1;

    if (out != NULL && sscanf(out, "%ld", &v) != 1)
        v = -1;
    free(out);
    return v;
}

int tu_threads_refused;

int failing_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
    (void)t;
    (void)attr;
    (void)fn;
    (void)arg;
    tu_threads_refused++;
    return EAGAIN;
}
