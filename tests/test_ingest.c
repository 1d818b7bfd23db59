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

#define MAX_CALLS 32

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

/* read_file - one file through the session; the offset its reader ended at */
static int64_t read_file(struct ingest_session *s, const char *path, int last)
{
    struct ingest_options opt = {0};
    struct ingest_stats st = {0};
    struct reader *r;
    struct diag d = {""};
    int64_t end;

    opt.format = "postfix";
    opt.checkpoint_lines = 10;
    ck_assert_int_eq(reader_open(path, &r, &d), 0);
    ck_assert_msg(ingest_session_file(s, r, &opt, last, &st, NULL, &d) == 0, "%s", d.msg);
    end = reader_offset(r);
    reader_close(r);
    return end;
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

int main(void)
{
    Suite *s = suite_create("ingest");
    TCase *tc = tcase_create("ingest");

    suite_add_tcase(s, tc);
    tcase_add_test(tc, test_checkpoints_span_files);
    tcase_add_test(tc, test_batch_counts_from_checkpoint);
    tcase_add_test(tc, test_checkpoint_every_file);
    return tu_run_suite(s);
}
