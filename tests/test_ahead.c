/*
 * test_ahead - a file read by a thread ahead of its parser (ingest_options.parse_ahead) gives
 * what the parser alone gives: the same events, counts, unparsed lines, checkpoints, progress,
 * and the same place to stop at when told to or when the store refuses. Batches of one, two
 * and five lines make the ring of batches turn over many times.
 */
#include "ingest.h"
#include "strbuf.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* what a run told its hooks, as text to compare */
struct trail {
    struct strbuf log;
    long events;
    long refuse_at;             /* refuse the event of this number (0: never) */
    long stop_at;               /* raise stop at the event of this number (0: never) */
    volatile sig_atomic_t stop; /* what ingest_options.stop points to */
};

static void put(struct strbuf *b, const char *name, const char *v)
{
    strbuf_printf(b, " %s=%s", name, v != NULL ? v : "(null)");
}

static int on_event(void *ctx, const struct event *ev)
{
    struct trail *t = ctx;

    t->events++;
    if (t->refuse_at > 0 && t->events == t->refuse_at)
        return -1;
    if (t->stop_at > 0 && t->events == t->stop_at)
        t->stop = 1;
    strbuf_printf(&t->log, "E %lld.%d @%lld %s/%s/%d code=%d size=%lld", (long long)ev->ts_us,
                  ev->ts_prec, (long long)ev->offset, event_kind_name(ev->kind),
                  event_direction_name(ev->direction), (int)ev->stage, ev->reply_code,
                  (long long)ev->size);
    put(&t->log, "host", ev->host);
    put(&t->log, "mta", ev->mta);
    put(&t->log, "program", ev->program);
    put(&t->log, "qid", ev->queue_id);
    put(&t->log, "parent", ev->parent_queue_id);
    put(&t->log, "msgid", ev->message_id);
    put(&t->log, "ip", ev->client_ip);
    put(&t->log, "name", ev->client_name);
    put(&t->log, "helo", ev->helo);
    put(&t->log, "from", ev->sender);
    put(&t->log, "to", ev->recipient);
    put(&t->log, "orig", ev->orig_recipient);
    put(&t->log, "relay", ev->relay);
    put(&t->log, "status", ev->status);
    put(&t->log, "text", ev->text);
    strbuf_putc(&t->log, '\n');
    return 0;
}

static int on_unparsed(void *ctx, const struct log_line *ln, const char *why)
{
    struct trail *t = ctx;

    strbuf_printf(&t->log, "U @%lld len=%zu cut=%d why=%s: ", (long long)ln->offset, ln->len,
                  ln->truncated, why);
    strbuf_append(&t->log, ln->text, ln->len < 80 ? ln->len : 80);
    strbuf_putc(&t->log, '\n');
    return 0;
}

static int on_checkpoint(void *ctx, int64_t offset, const struct parser_state_blob *states,
                         size_t nstates)
{
    struct trail *t = ctx;

    strbuf_printf(&t->log, "C @%lld states=%zu len=%zu\n", (long long)offset, nstates,
                  nstates > 0 ? states[0].len : 0);
    return 0;
}

static void on_progress(void *ctx, const struct ingest_stats *st, int64_t file_pos)
{
    struct trail *t = ctx;

    /* the position is the batch's with the thread: only that it moves on is the same */
    ck_assert_int_gt(file_pos, 0);
    strbuf_printf(&t->log, "P lines=%lld events=%lld\n", (long long)st->lines,
                  (long long)st->events);
}

/*
 * How often a run checkpoints: every 7 lines; every 7 lines once the bytes since the last
 * repay the state (the test put off line by line: batch_full sees the offset of the line
 * handled, never the reader's, which runs ahead); as in a real run (progress between them).
 */
static const struct checkpoints {
    int64_t lines, ratio;
} checkpoints[] = {{7, 0}, {7, 3}, {0, 0}};

/*
 * run - path through a fresh session, the thread on with batches of `batch` lines (0: its
 * default; -1: no thread), checkpoints as cp says; the hooks' trail and the counts as text
 */
static char *run(const char *path, const char *format, int batch, long refuse_at, long stop_at,
                 const struct checkpoints *cp)
{
    struct trail t;
    struct ingest_hooks hooks = {&t, on_event, on_unparsed, on_checkpoint, NULL, NULL, on_progress};
    struct ingest_options opt = {0};
    struct ingest_stats st = {0};
    struct ingest_session *s;
    struct reader *r;
    struct diag d = {""};
    int rc;

    memset(&t, 0, sizeof t);
    strbuf_init(&t.log);
    t.refuse_at = refuse_at;
    t.stop_at = stop_at;
    opt.format = format;
    opt.checkpoint_lines = cp->lines;
    opt.checkpoint_state_ratio = cp->ratio;
    opt.stop = &t.stop;
    opt.parse_ahead = batch >= 0;
    opt.parse_ahead_lines = batch > 0 ? (size_t)batch : 0;
    s = ingest_session_new(&hooks);
    ck_assert_int_eq(reader_open(path, &r, &d), 0);
    rc = ingest_session_file(s, r, &opt, 1, &st, NULL, &d);
    strbuf_printf(&t.log,
                  "rc=%d msg=%s lines=%lld bytes=%lld events=%lld info=%lld foreign=%lld "
                  "unparsed=%lld truncated=%lld\n",
                  rc, d.msg, (long long)st.lines, (long long)st.bytes, (long long)st.events,
                  (long long)st.info, (long long)st.foreign, (long long)st.unparsed,
                  (long long)st.truncated);
    reader_close(r);
    ingest_session_free(s);
    return strbuf_detach(&t.log);
}

/* same_either_way - every batch size gives the trail of the parser alone, however often it
 * checkpoints */
static void same_either_way(const char *path, const char *format, long refuse_at, long stop_at)
{
    static const int batches[] = {1, 2, 5, 0};

    for (size_t c = 0; c < sizeof checkpoints / sizeof checkpoints[0]; c++) {
        const struct checkpoints *cp = &checkpoints[c];
        char *alone = run(path, format, -1, refuse_at, stop_at, cp);

        for (size_t i = 0; i < sizeof batches / sizeof batches[0]; i++) {
#ifdef AHEAD_NOTHREAD
            int before = tu_threads_refused;
#endif
            char *ahead = run(path, format, batches[i], refuse_at, stop_at, cp);
#ifdef AHEAD_NOTHREAD
            ck_assert_int_gt(tu_threads_refused, before); /* asked for, and refused */
#endif
            if (strcmp(alone, ahead) != 0) {
                size_t k = 0;
                while (alone[k] == ahead[k])
                    k++;
                while (k > 0 && alone[k - 1] != '\n')
                    k--;
                ck_abort_msg("%s, batches of %d, checkpoints %lld/%lld: the thread's trail differs "
                             "at\n%.300s\nfrom\n%.300s",
                             path, batches[i], (long long)cp->lines, (long long)cp->ratio,
                             ahead + k, alone + k);
            }
            free(ahead);
        }
        free(alone);
    }
}

/* the samples, each format: Postfix in two stages, the others read ahead in one */
START_TEST(test_samples_the_same)
{
    static const char *const files[] = {
        "postfix/mail.log", "postfix/maillog", "postfix/mail-rfc3339.log",
        "exim/mainlog",     "exim/mail.log",   "exchange/MSGTRK2026010510-1.LOG"};
    char path[512];

    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/samples/%s", SOURCE_DIR, files[i]);
        same_either_way(path, "auto", 0, 0);
    }
}
END_TEST

/* write_hostile - Postfix lines among blank, foreign, headless, impossible and over-long ones,
 * delivery lines that cannot be read, CRLF endings, a NUL byte, and a last line without its
 * newline */
static void write_hostile(const char *path)
{
    FILE *f = fopen(path, "wb");
    const char *hdr = "Mar  2 10:00:01 mx postfix/smtpd[100]: ";

    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 40; i++) {
        fprintf(f,
                "%sNOQUEUE: reject: RCPT from unknown[192.0.2.%d]: 550 5.1.1 <u%d@example.com>: "
                "Recipient address rejected: User unknown; from=<s@example.org> "
                "to=<u%d@example.com> proto=ESMTP helo=<h%d>\n",
                hdr, i, i, i, i);
        fputs("\n", f);
        fprintf(f, "Mar  2 10:00:0%d mx dovecot: imap-login: Login: user=<u%d>\r\n", i % 10, i);
        fputs("this line has no syslog header at all\n", f);
        fputs("Feb 30 10:00:01 mx postfix/smtpd[100]: connect from x[192.0.2.9]\n", f);
        fprintf(f, "%sconnect from unknown[192.0.2.%d]\r\n", hdr, i);
        fprintf(f, "%sABCDEF%04d: client=x[192.0.2.%d]\n", hdr, i, i);
        fprintf(f,
                "Mar  2 10:00:02 mx postfix/qmgr[101]: ABCDEF%04d: from=<a%d@example.org>, "
                "size=1%d, nrcpt=1 (queue active)\n",
                i, i, i);
        fprintf(f,
                "Mar  2 10:00:03 mx postfix/smtp[102]: ABCDEF%04d: to=<r%d@example.net>, "
                "relay=mx.example.net[198.51.100.1]:25, delay=1, dsn=%s, status=%s (%s)\n",
                i, i, i % 3 ? "2.0.0" : "4.7.1", i % 3 ? "sent" : "deferred",
                i % 3 ? "250 ok" : "host said: 421 4.7.1 try later");
        fprintf(f,
                "Mar  2 10:00:03 mx postfix/smtp[102]: ABCDEF%04d: to=<r%d@example.net%s, "
                "relay=none, delay=1, dsn=5.0.0%s\n",
                i, i, i % 2 ? ">" : "", i % 4 < 2 ? "" : ", status=lost (x)");
        fprintf(f, "Mar  2 10:00:04 mx postfix/qmgr[101]: ABCDEF%04d: removed\n", i);
        static const char nul[] = "NOQUEUE: reject: RCPT from a\0b[192.0.2.1]: 554 nul\n";
        fputs(hdr, f);
        fwrite(nul, 1, sizeof nul - 1, f);
        if (i % 13 == 0) { /* longer than the reader takes: cut, and the rest skipped */
            fputs(hdr, f);
            for (int k = 0; k < (READER_MAX_LINE + 100) / 10; k++)
                fputs("xxxxxxxxxx", f);
            fputs("\n", f);
        }
    }
    fprintf(f, "%sNOQUEUE: reject: RCPT from last[192.0.2.200]: 550 no newline", hdr);
    fclose(f);
}

START_TEST(test_hostile_lines_the_same)
{
    char path[512];

    snprintf(path, sizeof path, "%s/hostile.log", tu_tempdir());
    write_hostile(path);
    same_either_way(path, "postfix", 0, 0);
    same_either_way(path, "auto", 0, 0);
}
END_TEST

/* many batches: messages whose lines straddle every batch, checkpoints, progress */
START_TEST(test_many_lines_the_same)
{
    char path[512];

    snprintf(path, sizeof path, "%s/many.log", tu_tempdir());
    ck_assert_int_gt(tu_postfix_log(path, 12000, 37), INGEST_PROGRESS_LINES * 2);
    same_either_way(path, "postfix", 0, 0);
}
END_TEST

/*
 * write_news - lines the thread counts by itself (connects and disconnects, another program's
 * lines) for hundreds of lines in a row, a reject now and then between them: progress and the
 * checkpoints fall due on lines the parser's thread never sees the text of
 */
static void write_news(const char *path, int lines)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < lines; i++) {
        const char *t = "2026-03-02T10:00:01+00:00 mx";
        if (i % 997 == 0)
            fprintf(f,
                    "%s postfix/smtpd[100]: NOQUEUE: reject: RCPT from unknown[192.0.2.%d]: 554 "
                    "5.7.1 Service unavailable; from=<s@example.org> to=<u%d@example.com> "
                    "proto=ESMTP helo=<h>\n",
                    t, i % 250, i);
        else if (i % 331 < 40)
            fprintf(f, "%s dovecot: imap-login: Login: user=<u%d>\n", t, i);
        else
            fprintf(f, "%s postfix/smtpd[100]: %sconnect from unknown[192.0.2.%d]\n", t,
                    i % 2 ? "dis" : "", i % 250);
    }
    ck_assert_int_eq(fclose(f), 0);
}

/* lines the thread counted by itself: counted, checkpointed and reported as without it */
START_TEST(test_counted_runs_the_same)
{
    char path[512];

    snprintf(path, sizeof path, "%s/news.log", tu_tempdir());
    write_news(path, 2 * INGEST_PROGRESS_LINES + 5000); /* progress twice */
    same_either_way(path, "postfix", 0, 0);
    same_either_way(path, "postfix", 0, 3);
}
END_TEST

/* told to stop, or refused by the store: the same line, the same bytes counted */
START_TEST(test_stops_at_the_same_line)
{
    char path[512];

    snprintf(path, sizeof path, "%s/many.log", tu_tempdir());
    tu_postfix_log(path, 3000, 11);
    same_either_way(path, "postfix", 0, 1234);
    same_either_way(path, "postfix", 1234, 0);
    same_either_way(path, "postfix", 0, 1);
    same_either_way(path, "postfix", 1, 0);
}
END_TEST

static Suite *ahead_suite(void)
{
    Suite *s = suite_create("ahead");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_samples_the_same);
    tcase_add_test(tc, test_hostile_lines_the_same);
    tcase_add_test(tc, test_many_lines_the_same);
    tcase_add_test(tc, test_counted_runs_the_same);
    tcase_add_test(tc, test_stops_at_the_same_line);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run_suite(ahead_suite());
}
