/*
 * test_golden - every sample set in samples/<mta>/ ingested as a new user would, compared with
 * the results written beside it
 *
 * A sample set is a folder with:
 *   golden.args          the ingest arguments after "rejectlens ingest --db DB" (one line;
 *                        file names relative to the folder)
 *   expected-events.tsv  one row per event, in file order, as the sample's generator meant it:
 *                        file, line, kind, direction, stage, queue_id, client_ip, sender,
 *                        recipient, reply_code, status (an empty cell is empty or NULL); lines
 *                        are numbered as the reader cuts them (a UTF-16 file is decoded first)
 *   expected-summary.txt the output of "rejectlens summary" on that database
 * The events must match row for row; the summary byte for byte.
 *
 * With REJECTLENS_WRAPPER set (a command line), every rejectlens command runs under it: the
 * test_golden_memcheck ctest runs this suite with valgrind's memcheck there, so that a leak or
 * a bad read in a command fails the test with valgrind's report.
 */
#include "reader.h"
#include "store.h"
#include "store_internal.h"
#include "strbuf.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCOLS 11

/*
 * line_starts - the offset of each line of a file, as the reader counts them (for a UTF-16
 * file, offsets in the decoded stream); *n gets the count (malloc'ed array), NULL when the
 * file cannot be read
 */
static int64_t *line_starts(const char *path, size_t *n)
{
    struct reader *r;
    struct log_line ln;
    struct diag d = {""};
    size_t cap = 1024, k = 0;
    int64_t *starts;

    if (reader_open(path, &r, &d) < 0)
        return NULL;
    reader_take_partial(r, 1);
    starts = malloc(cap * sizeof *starts);
    while (reader_next(r, &ln, &d) == 1) {
        if (k == cap)
            starts = realloc(starts, (cap *= 2) * sizeof *starts);
        starts[k++] = ln.offset;
    }
    reader_close(r);
    if (k == 0)
        starts[k++] = 0;
    *n = k;
    return starts;
}

/* line_of - the 1-based line that starts at offset (binary search) */
static long line_of(const int64_t *starts, size_t n, int64_t offset)
{
    size_t lo = 0, hi = n;

    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (starts[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return (long)lo + 1;
}

struct rows {
    char **v;
    size_t n, cap;
};

static void rows_add(struct rows *r, const char *line)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        ck_assert_ptr_nonnull(r->v);
    }
    r->v[r->n++] = strdup(line);
}

static void rows_free(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i]);
    free(r->v);
}

/* row_cmp - by file, then line number, then the rest */
static int row_cmp(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    size_t fx = strcspn(x, "\t"), fy = strcspn(y, "\t");
    int c = strncmp(x, y, fx < fy ? fx : fy);

    if (c != 0 || fx != fy)
        return c != 0 ? c : (fx < fy ? -1 : 1);
    long lx = strtol(x + fx + 1, NULL, 10), ly = strtol(y + fy + 1, NULL, 10);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcmp(x, y);
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');

    return b ? b + 1 : p;
}

/* bin - the command that runs rejectlens: the binary, under $REJECTLENS_WRAPPER when set */
static const char *bin(void)
{
    static char buf[4096];
    const char *w = getenv("REJECTLENS_WRAPPER");

    snprintf(buf, sizeof buf, "%s%s%s", w && *w ? w : "", w && *w ? " " : "", REJECTLENS_BIN);
    return buf;
}

/* check_run - the command must have exited 0; its stderr (a valgrind report can be long) goes
 * to stdout in full, where ctest --output-on-failure shows it */
static void check_run(const char *cmd, int rc, const char *err)
{
    if (rc != 0) {
        printf("%s: exit %d, stderr:\n%s\n", cmd, rc, err ? err : "");
        fflush(stdout);
    }
    ck_assert_msg(rc == 0, "exit %d (the command and its stderr are printed above)", rc);
}

/* run_set - ingest one sample folder and compare; returns the number of mismatches */
static int run_set(const char *dir)
{
    char path[4096], args[4096], cmd[16384], db[4096], *text, *out, *err;
    struct store *s = NULL;
    struct diag d = {""};
    int mismatches = 0, rc;
    size_t len;

    snprintf(path, sizeof path, "%s/golden.args", dir);
    text = tu_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    snprintf(args, sizeof args, "%s", text);
    free(text);
    args[strcspn(args, "\n")] = '\0';
    snprintf(db, sizeof db, "%s/golden-%s.db", tu_tempdir(), base_name(dir));
    unlink(db);
    snprintf(cmd, sizeof cmd, "cd '%s' && TZ=UTC %s ingest --db '%s' %s", dir, bin(), db, args);
    rc = tu_run(cmd, &out, &err);
    check_run(cmd, rc, err);
    free(out);
    free(err);

    /* the events, row for row, both sides in (file, line) order */
    snprintf(path, sizeof path, "%s/expected-events.tsv", dir);
    char *expected = tu_read_file(path, &len);
    ck_assert_ptr_nonnull(expected);
    struct rows want = {0}, got = {0};
    char *save = NULL, *line = strtok_r(expected, "\n", &save); /* the header */
    while ((line = strtok_r(NULL, "\n", &save)) != NULL)
        rows_add(&want, line);
    free(expected);

    ck_assert_int_eq(store_open(db, STORE_READ_ONLY, 1000, &s, &d), 0);
    struct store_stmt *st = store_stmt_prepare(
        s,
        "SELECT source, offset, kind, direction, stage, coalesce(queue_id, ''), "
        "coalesce(client_ip, ''), coalesce(sender, ''), coalesce(recipient, ''), "
        "coalesce(reply_code, ''), coalesce(status, '') FROM v_events ORDER BY source, offset",
        &d);
    ck_assert_ptr_nonnull(st);
    char last_source[1000] = "";
    int64_t *starts = NULL;
    size_t nstarts = 0;
    while ((rc = store_step(s, st, &d)) == 1) {
        struct strbuf row = STRBUF_INIT;
        const char *source = store_column_text(st, 0);
        if (strcmp(source, last_source) != 0) {
            free(starts);
            snprintf(path, sizeof path, "%s/%s", dir, base_name(source));
            starts = line_starts(path, &nstarts);
            ck_assert_ptr_nonnull(starts);
            snprintf(last_source, sizeof last_source, "%s", source);
        }
        strbuf_printf(&row, "%s\t%ld", base_name(source),
                      line_of(starts, nstarts, store_column_int64(st, 1)));
        for (int i = 2; i < NCOLS; i++)
            strbuf_printf(&row, "\t%s", store_column_text(st, i));
        rows_add(&got, strbuf_str(&row));
        strbuf_free(&row);
    }
    ck_assert_int_eq(rc, 0);
    free(starts);
    store_stmt_finalize(st);
    store_close(s);

    qsort(want.v, want.n, sizeof *want.v, row_cmp);
    qsort(got.v, got.n, sizeof *got.v, row_cmp);
    size_t i = 0, j = 0;
    while (i < want.n || j < got.n) {
        int c = i == want.n ? 1 : j == got.n ? -1 : row_cmp(&want.v[i], &got.v[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        mismatches++;
        if (mismatches <= 40) {
            if (c < 0)
                printf("%s: missing  %s\n", dir, want.v[i]);
            else
                printf("%s: unwanted %s\n", dir, got.v[j]);
        }
        if (c < 0)
            i++;
        else
            j++;
    }
    printf("%s: %zu events, %zu expected, %d differences\n", dir, got.n, want.n, mismatches);
    fflush(stdout);
    rows_free(&want);
    rows_free(&got);

    /* the summary, byte for byte */
    snprintf(cmd, sizeof cmd, "TZ=UTC %s summary --db '%s'", bin(), db);
    rc = tu_run(cmd, &out, &err);
    check_run(cmd, rc, err);
    free(err);
    /* sources are stored with absolute paths: the expected summary names them from the set */
    {
        char prefix[4096];
        char *real = realpath(dir, NULL);
        snprintf(prefix, sizeof prefix, "%s/", real ? real : dir);
        free(real);
        struct strbuf sb = STRBUF_INIT;
        for (const char *p = out, *hit; *p; p = hit + strlen(prefix)) {
            if ((hit = strstr(p, prefix)) == NULL) {
                strbuf_puts(&sb, p);
                break;
            }
            strbuf_append(&sb, p, (size_t)(hit - p));
        }
        free(out);
        out = strbuf_detach(&sb);
    }
    snprintf(path, sizeof path, "%s/expected-summary.txt", dir);
    text = tu_read_file(path, NULL);
    if (text == NULL || strcmp(text, out) != 0) {
        char fresh[4096];
        snprintf(fresh, sizeof fresh, "%s/%s-summary.txt", tu_tempdir(), base_name(dir));
        tu_write_file(fresh, out, -1);
        printf("%s: summary differs from expected-summary.txt; see: diff %s %s\n", dir, path,
               fresh);
        fflush(stdout);
        if (getenv("REJECTLENS_KEEP_TMP") == NULL)
            printf("(set REJECTLENS_KEEP_TMP=1 to keep it)\n");
        mismatches++;
    }
    free(text);
    free(out);
    return mismatches;
}

START_TEST(test_samples)
{
    char root[1024], dir[2048];
    DIR *dp;
    struct dirent *de;
    int sets = 0, mismatches = 0;

    snprintf(root, sizeof root, "%s/samples", SOURCE_DIR);
    dp = opendir(root);
    ck_assert_ptr_nonnull(dp);
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(dir, sizeof dir, "%s/%s", root, de->d_name);
        char args[4096];
        snprintf(args, sizeof args, "%s/golden.args", dir);
        if (!tu_exists(args))
            continue;
        mismatches += run_set(dir);
        sets++;
    }
    closedir(dp);
    ck_assert_int_gt(sets, 0);
    ck_assert_int_eq(mismatches, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("samples");

    setenv("TZ", "UTC", 1);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_samples);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
