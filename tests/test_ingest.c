/*
 * test_ingest - the session over several files: where it checkpoints. A file's end is only
 * recorded (file_read) until checkpoint_lines lines have been read since the last checkpoint,
 * in whatever files; the last file, a full batch and ingest_session_checkpoint save the
 * parsers' states. Without a file_read hook every file ends with a checkpoint.
 */
#include "ingest.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CALLS 64

/* a hook call: 'F' file_read, 'C' checkpoint */
struct call {
    char kind;
    int64_t offset;
    size_t nstates;
    size_t state_len; /* of the first state */
};

struct recorder {
    struct call calls[MAX_CALLS];
    size_t n;
};

/* on_event - events are not what these tests look at */
static int on_event(void *ctx, const struct event *ev)
{
    (void)ctx;
    (void)ev;
    return 0;
}

static int on_checkpoint(void *ctx, int64_t offset, const struct parser_state_blob *states,
                         size_t nstates)
{
    struct recorder *rec = ctx;

    ck_assert_uint_lt(rec->n, MAX_CALLS);
    rec->calls[rec->n++] = (struct call){'C', offset, nstates, nstates > 0 ? states[0].len : 0};
    return 0;
}

static int on_file_read(void *ctx, int64_t offset)
{
    struct recorder *rec = ctx;

    ck_assert_uint_lt(rec->n, MAX_CALLS);
    rec->calls[rec->n++] = (struct call){'F', offset, 0, 0};
    return 0;
}

/*
 * write_log - a Postfix log of `messages` messages accepted and queued (four lines each,
 * queue ids from `first`), none delivered yet: the parser holds them in its state
 */
static long write_log(const char *name, int first, int messages, char *path, size_t size)
{
    FILE *f;
    long bytes;

    snprintf(path, size, "%s/%s", tu_tempdir(), name);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    for (int i = first; i < first + messages; i++) {
        fprintf(f,
                "2026-03-02T10:00:%02d.000000+00:00 mx postfix/smtpd[100]: connect from "
                "mail.example.com[192.0.2.1]\n"
                "2026-03-02T10:00:%02d.000000+00:00 mx postfix/smtpd[100]: 4AB12C3D%02d: "
                "client=mail.example.com[192.0.2.1]\n"
                "2026-03-02T10:00:%02d.000000+00:00 mx postfix/cleanup[101]: 4AB12C3D%02d: "
                "message-id=<m%d@example.com>\n"
                "2026-03-02T10:00:%02d.000000+00:00 mx postfix/qmgr[102]: 4AB12C3D%02d: "
                "from=<a%d@example.com>, size=100, nrcpt=1 (queue active)\n",
                i, i, i, i, i, i, i, i, i);
    }
    bytes = ftell(f);
    fclose(f);
    return bytes;
}

/* line_end - the offset just past line n (1-based) of a file */
static int64_t line_end(const char *path, int n)
{
    char *text = tu_read_file(path, NULL), *p = text;
    int64_t off;

    for (int i = 0; i < n; i++)
        p = strchr(p, '\n') + 1;
    off = p - text;
    free(text);
    return off;
}

/* new_session - a session whose checkpoints (and file ends, with_file_read) go into rec */
static struct ingest_session *new_session(struct recorder *rec, int with_file_read)
{
    struct ingest_hooks hooks = {
        rec, on_event, NULL, on_checkpoint, with_file_read ? on_file_read : NULL, NULL, NULL};

    memset(rec, 0, sizeof *rec);
    return ingest_session_new(&hooks);
}

/* read_file_ratio - one file through the session, batches of 10 lines and, by ratio, of the
 * states' bytes; the offset its reader ended at */
static int64_t read_file_ratio(struct ingest_session *s, const char *path, int last, int64_t ratio)
{
    struct ingest_options opt = {0};
    struct ingest_stats st = {0};
    struct reader *r;
    struct diag d = {""};
    int64_t end;

    opt.format = "postfix";
    opt.checkpoint_lines = 10;
    opt.checkpoint_state_ratio = ratio;
    ck_assert_int_eq(reader_open(path, &r, &d), 0);
    ck_assert_msg(ingest_session_file(s, r, &opt, last, &st, NULL, &d) == 0, "%s", d.msg);
    end = reader_offset(r);
    reader_close(r);
    return end;
}

/* read_file - the same, batches of 10 lines alone */
static int64_t read_file(struct ingest_session *s, const char *path, int last)
{
    return read_file_ratio(s, path, last, 0);
}

static void assert_call(const struct recorder *rec, size_t i, char kind, int64_t offset,
                        size_t nstates)
{
    ck_assert_uint_lt(i, rec->n);
    ck_assert_msg(rec->calls[i].kind == kind && rec->calls[i].offset == offset &&
                      rec->calls[i].nstates == nstates,
                  "call %zu: %c at %lld with %zu states, expected %c at %lld with %zu", i,
                  rec->calls[i].kind, (long long)rec->calls[i].offset, rec->calls[i].nstates, kind,
                  (long long)offset, nstates);
    if (kind == 'C' && nstates > 0)
        ck_assert_uint_gt(rec->calls[i].state_len, 0); /* the queued messages */
}

/*
 * four-line files with checkpoint_lines 10: two file ends recorded, a checkpoint within the
 * third file (its second line is the tenth since the last), its end recorded, an empty file's
 * end recorded, and the last file checkpointed; a run whose last file is not marked last ends
 * with ingest_session_checkpoint
 */
START_TEST(test_checkpoints_span_files)
{
    struct recorder rec;
    struct ingest_session *s = new_session(&rec, 1);
    char a[600], b[600], c[600], e[600], last[600];
    struct diag d = {""};
    long size_a, size_b, size_c;

    size_a = write_log("a.log", 0, 1, a, sizeof a);
    size_b = write_log("b.log", 1, 1, b, sizeof b);
    size_c = write_log("c.log", 2, 1, c, sizeof c);
    write_log("empty.log", 0, 0, e, sizeof e);
    write_log("last.log", 3, 1, last, sizeof last);

    ck_assert_int_eq(read_file(s, a, 0), size_a);
    ck_assert_int_eq(read_file(s, b, 0), size_b);
    ck_assert_int_eq(read_file(s, c, 0), size_c);
    ck_assert_int_eq(read_file(s, e, 0), 0);
    read_file(s, last, 1);
    ck_assert_uint_eq(rec.n, 6);
    assert_call(&rec, 0, 'F', size_a, 0);
    assert_call(&rec, 1, 'F', size_b, 0);
    assert_call(&rec, 2, 'C', line_end(c, 2), 1);
    assert_call(&rec, 3, 'F', size_c, 0);
    assert_call(&rec, 4, 'F', 0, 0);
    assert_call(&rec, 5, 'C', line_end(last, 4), 1);

    /* the last file not marked last: its end is recorded, and the run ends the batch */
    rec.n = 0;
    read_file(s, a, 0);
    ck_assert_uint_eq(rec.n, 1);
    assert_call(&rec, 0, 'F', size_a, 0);
    ck_assert_int_eq(ingest_session_checkpoint(s, &d), 0);
    assert_call(&rec, 1, 'C', -1, 1);
    ingest_session_free(s);
}
END_TEST

/* the lines counted towards a batch start again at every checkpoint, also one of a last file */
START_TEST(test_batch_counts_from_checkpoint)
{
    struct recorder rec;
    struct ingest_session *s = new_session(&rec, 1);
    char a[600], b[600];
    long size_a, size_b;

    size_a = write_log("a.log", 0, 3, a, sizeof a); /* 12 lines: a checkpoint at the tenth */
    size_b = write_log("b.log", 3, 2, b, sizeof b); /* 2 + 8 lines: one at its eighth */
    ck_assert_int_eq(read_file(s, a, 0), size_a);
    ck_assert_int_eq(read_file(s, b, 0), size_b);
    ck_assert_uint_eq(rec.n, 4);
    assert_call(&rec, 0, 'C', line_end(a, 10), 1);
    assert_call(&rec, 1, 'F', size_a, 0);
    assert_call(&rec, 2, 'C', line_end(b, 8), 1);
    assert_call(&rec, 3, 'F', size_b, 0);
    ingest_session_free(s);
}
END_TEST

/* without a file_read hook (a caller that wants a commit per file) every file ends with a
 * checkpoint, as every file did before batches spanned files */
START_TEST(test_checkpoint_every_file)
{
    struct recorder rec;
    struct ingest_session *s = new_session(&rec, 0);
    char a[600], b[600];
    long size_a, size_b;

    size_a = write_log("a.log", 0, 1, a, sizeof a);
    size_b = write_log("b.log", 1, 1, b, sizeof b);
    read_file(s, a, 0);
    read_file(s, b, 0);
    ck_assert_uint_eq(rec.n, 2);
    assert_call(&rec, 0, 'C', size_a, 1);
    assert_call(&rec, 1, 'C', size_b, 1);
    ingest_session_free(s);
}
END_TEST

/*
 * With a ratio, a batch also holds that many times the bytes of the states saved last: the
 * parser holds every message of this log, its state grows, and the checkpoints come further
 * apart. Each is at the first line where both the ten lines and the bytes are there.
 */
START_TEST(test_batch_by_state_bytes)
{
    enum { RATIO = 3, MESSAGES = 40 };
    struct recorder rec;
    struct ingest_session *s = new_session(&rec, 1);
    char a[600], *text;
    int64_t ends[4 * MESSAGES + 1], prev_off = 0, prev_state = 0;
    size_t nends = 1, wide = 0;
    long size_a = write_log("a.log", 0, MESSAGES, a, sizeof a);

    ends[0] = 0; /* ends[i]: the offset past line i */
    text = tu_read_file(a, NULL);
    for (char *p = text; (p = strchr(p, '\n')) != NULL; p++)
        ends[nends++] = p + 1 - text;
    free(text);
    ck_assert_int_eq(read_file_ratio(s, a, 1, RATIO), size_a);
    ck_assert_uint_ge(rec.n, 4);
    for (size_t i = 0; i + 1 < rec.n; i++) { /* the last is the file's end */
        const struct call *c = &rec.calls[i];
        size_t line = 0, prev_line = 0;
        ck_assert_int_eq(c->kind, 'C');
        while (line < nends && ends[line] != c->offset)
            line++;
        while (prev_line < nends && ends[prev_line] != prev_off)
            prev_line++;
        ck_assert_msg(line < nends, "checkpoint %zu at %lld: not a line's end", i,
                      (long long)c->offset);
        ck_assert_uint_ge(line - prev_line, 10);
        ck_assert_int_ge(c->offset - prev_off, RATIO * prev_state);
        /* not a line later than needed */
        ck_assert(line - prev_line == 10 || ends[line - 1] - prev_off < RATIO * prev_state);
        wide += line - prev_line > 10;
        prev_off = c->offset;
        prev_state = (int64_t)c->state_len;
    }
    ck_assert_uint_ge(wide, 2); /* the states' bytes set the pace */
    assert_call(&rec, rec.n - 1, 'C', size_a, 1);
    ingest_session_free(s);

    /* a file that ends with its lines but not its bytes is only recorded */
    char b[600];
    long size_b;
    s = new_session(&rec, 1);
    size_a = write_log("a.log", 0, 5, a, sizeof a); /* 20 lines: a checkpoint at the tenth */
    size_b = write_log("b.log", 5, 1, b, sizeof b);
    ck_assert_int_eq(read_file_ratio(s, a, 0, 1000), size_a);
    ck_assert_int_eq(read_file_ratio(s, b, 1, 1000), size_b);
    ck_assert_uint_eq(rec.n, 3);
    assert_call(&rec, 0, 'C', line_end(a, 10), 1);
    assert_call(&rec, 1, 'F', size_a, 0);
    assert_call(&rec, 2, 'C', size_b, 1);
    ingest_session_free(s);

    /*
     * the bytes add up across files: after the 40 messages, one-message files (4 lines, under
     * the bytes needed) are only recorded until together they hold enough
     */
    s = new_session(&rec, 1);
    int64_t since = 0, state = 0;
    size_a = write_log("a.log", 0, MESSAGES, a, sizeof a);
    read_file_ratio(s, a, 0, RATIO);
    for (size_t i = 0; i < rec.n; i++)
        if (rec.calls[i].kind == 'C') {
            since = size_a - rec.calls[i].offset;
            state = (int64_t)rec.calls[i].state_len;
        }
    ck_assert_int_gt(state, 0);
    int files = 0, done = 0;
    while (!done) {
        size_t n = rec.n;
        ck_assert_int_lt(files, 40);
        size_b = write_log("b.log", MESSAGES + files, 1, b, sizeof b);
        ck_assert_int_lt(size_b, RATIO * state); /* one file is not enough */
        read_file_ratio(s, b, 0, RATIO);
        files++;
        ck_assert_uint_gt(rec.n, n);
        for (size_t k = n; k < rec.n; k++)
            if (rec.calls[k].kind == 'C') {
                ck_assert_int_ge(since + rec.calls[k].offset, RATIO * state);
                done = 1;
            }
        since += size_b;
        /* recorded only: the bytes were short (the lines are there long before) */
        ck_assert(done || since < RATIO * state);
    }
    ck_assert_int_gt(files, 1);
    ingest_session_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("ingest");

    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_checkpoints_span_files);
    tcase_add_test(tc, test_batch_counts_from_checkpoint);
    tcase_add_test(tc, test_checkpoint_every_file);
    tcase_add_test(tc, test_batch_by_state_bytes);
    return tu_run_suite(s);
}
