/*
 * test_golden - every sample set in samples/<mta>/ ingested as a new user would, compared with
 * the results written beside it
 *
 * A sample set is a folder with:
 *   golden.args          the ingest arguments after "rejectlens ingest --db DB" (one line;
 *                        file names relative to the folder)
 *   expected-events.tsv  one row per event, in file order, as the sample's generator meant it:
 *                        file, line, kind, direction, stage, queue_id, client_ip, sender,
 *                        recipient, reply_code, status (an empty cell is empty or NULL)
 *   expected-summary.txt the output of "rejectlens summary" on that database
 * The events must match row for row; the summary byte for byte.
 */
#include "store.h"
#include "store_internal.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NCOLS 11

/* line_starts - the offset of each line of text; *n gets the count (malloc'ed array) */
static int64_t *line_starts(const char *text, size_t len, size_t *n)
{
    int64_t *starts = malloc((len + 2) * sizeof *starts);
    size_t k = 0;

    starts[k++] = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            starts[k++] = (int64_t)i + 1;
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

/* split_tab - split a TSV line in place into at most max cells */
static int split_tab(char *s, char **cells, int max)
{
    int n = 0;

    cells[n++] = s;
    for (; *s && n < max; s++)
        if (*s == '\t') {
            *s = '\0';
            cells[n++] = s + 1;
        }
    return n;
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');

    return b ? b + 1 : p;
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
    snprintf(cmd, sizeof cmd, "cd '%s' && TZ=UTC " REJECTLENS_BIN " ingest --db '%s' %s", dir, db,
             args);
    rc = tu_run(cmd, &out, &err);
    ck_assert_msg(rc == 0, "%s: exit %d: %s", cmd, rc, err);
    free(out);
    free(err);

    /* the events, row for row */
    snprintf(path, sizeof path, "%s/expected-events.tsv", dir);
    char *expected = tu_read_file(path, &len);
    ck_assert_ptr_nonnull(expected);
    ck_assert_int_eq(store_open(db, STORE_READ_ONLY, 1000, &s, &d), 0);
    struct store_stmt *st = store_stmt_prepare(
        s,
        "SELECT source, offset, kind, direction, stage, coalesce(queue_id, ''), "
        "coalesce(client_ip, ''), coalesce(sender, ''), coalesce(recipient, ''), "
        "coalesce(reply_code, ''), coalesce(status, '') FROM v_events "
        "ORDER BY source, offset, rowid",
        &d);
    ck_assert_ptr_nonnull(st);
    char *save = NULL, *row = strtok_r(expected, "\n", &save);
    int rowno = 1, got_rows = 0, want_rows = 0;
    char last_source[1000] = "";
    char *file_text = NULL;
    int64_t *starts = NULL;
    size_t file_len = 0, nstarts = 0;
    row = strtok_r(NULL, "\n", &save); /* the header */
    while ((rc = store_step(s, st, &d)) == 1) {
        char got[NCOLS][1024];
        const char *source = store_column_text(st, 0);
        if (strcmp(source, last_source) != 0) {
            free(file_text);
            free(starts);
            snprintf(path, sizeof path, "%s/%s", dir, base_name(source));
            file_text = tu_read_file(path, &file_len);
            ck_assert_ptr_nonnull(file_text);
            starts = line_starts(file_text, file_len, &nstarts);
            snprintf(last_source, sizeof last_source, "%s", source);
        }
        snprintf(got[0], sizeof got[0], "%s", base_name(source));
        snprintf(got[1], sizeof got[1], "%ld", line_of(starts, nstarts, store_column_int64(st, 1)));
        for (int i = 2; i < NCOLS; i++)
            snprintf(got[i], sizeof got[i], "%s", store_column_text(st, i));
        got_rows++;
        rowno++;
        if (row == NULL) {
            printf("%s: extra event %s:%s %s\n", dir, got[0], got[1], got[2]);
            mismatches++;
            continue;
        }
        char rowcopy[4096], *cells[NCOLS + 1];
        snprintf(rowcopy, sizeof rowcopy, "%s", row);
        int n = split_tab(rowcopy, cells, NCOLS + 1);
        want_rows++;
        int differs = n != NCOLS;
        for (int i = 0; i < NCOLS && i < n && !differs; i++)
            differs = strcmp(cells[i], got[i]) != 0;
        if (differs) {
            printf("%s row %d:\n  want %s\n  got ", dir, rowno, row);
            for (int i = 0; i < NCOLS; i++)
                printf("%s%s", got[i], i + 1 < NCOLS ? "\t" : "\n");
            mismatches++;
        }
        row = strtok_r(NULL, "\n", &save);
    }
    while (row != NULL) {
        printf("%s: missing event %s\n", dir, row);
        want_rows++;
        mismatches++;
        row = strtok_r(NULL, "\n", &save);
    }
    ck_assert_int_eq(rc, 0);
    printf("%s: %d events, %d expected, %d mismatches\n", dir, got_rows, want_rows, mismatches);
    fflush(stdout);
    free(file_text);
    free(starts);
    free(expected);
    store_stmt_finalize(st);
    store_close(s);

    /* the summary, byte for byte */
    snprintf(cmd, sizeof cmd, "TZ=UTC " REJECTLENS_BIN " summary --db '%s'", db);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
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
