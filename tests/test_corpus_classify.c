/*
 * test_corpus_classify - the real Postfix lines of ../shared/corpus/postfix/ (and the repo's
 * samples/postfix/, when there) ingested with the default rules: print how the rejections,
 * bounces and deferrals fall into categories and the share left unclassified, and fail when
 * that share reaches UNCLASSIFIED_MAX. Exits 77 (ctest: skipped) without the corpus.
 */
#include "store.h"
#include "testutil.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNCLASSIFIED_MAX 0.03
#define CORPUS_GLOB      CORPUS_DIR "/postfix/*.log"
#define SAMPLES_GLOB     SOURCE_DIR "/samples/postfix/*.log"

START_TEST(test_postfix_corpus)
{
    glob_t g;
    char db[600], *cmd, *out = NULL, *err = NULL;
    size_t len;
    struct store *s;
    struct store_summary sum;
    struct diag d = {""};
    int64_t failures = 0, unclassified = 0;

    memset(&g, 0, sizeof g);
    ck_assert_int_eq(glob(CORPUS_GLOB, 0, NULL, &g), 0);
    glob(SAMPLES_GLOB, GLOB_APPEND, NULL, &g); /* samples are optional */
    snprintf(db, sizeof db, "%s/corpus.db", tu_tempdir());
    len = strlen(REJECTLENS_BIN) + strlen(db) + 64;
    for (size_t i = 0; i < g.gl_pathc; i++)
        len += strlen(g.gl_pathv[i]) + 3;
    cmd = malloc(len);
    snprintf(cmd, len, "'%s' ingest -q --format postfix --db '%s'", REJECTLENS_BIN, db);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        strcat(cmd, " '");
        strcat(cmd, g.gl_pathv[i]);
        strcat(cmd, "'");
    }
    int st = tu_run(cmd, &out, &err);
    ck_assert_msg(st == 0, "ingest failed (%d): %s", st, err ? err : "");
    free(cmd);
    free(out);
    free(err);

    ck_assert_msg(store_open(db, STORE_READ_ONLY, 1000, &s, &d) == 0, "%s", d.msg);
    ck_assert_msg(store_summary(s, INT64_MIN, INT64_MAX, 0, &sum, &d) == 0, "%s", d.msg);
    printf("%zu files, %lld events; failures by category:\n", g.gl_pathc, (long long)sum.events);
    for (size_t i = 0; i < sum.by_category.n; i++) {
        const struct count_row *r = &sum.by_category.rows[i];
        printf("  %-26s %6lld\n", r->label, (long long)r->count);
        failures += r->count;
        if (strcmp(r->label, "unclassified") == 0 || strcmp(r->label, "(not classified)") == 0)
            unclassified += r->count;
    }
    double share = failures ? (double)unclassified / (double)failures : 0;
    printf("unclassified: %lld of %lld rejections, bounces and deferrals = %.1f %%\n",
           (long long)unclassified, (long long)failures, 100 * share);
    ck_assert_int_gt(failures, 0);
    ck_assert_msg(share < UNCLASSIFIED_MAX, "%.1f %% unclassified", 100 * share);
    store_summary_free(&sum);
    store_close(s);
    globfree(&g);
}
END_TEST

int main(void)
{
    Suite *s;
    TCase *tc;
    glob_t g;

    /* before the suite exists: nothing allocated is left behind for the leak checker */
    if (glob(CORPUS_GLOB, 0, NULL, &g) != 0) {
        globfree(&g);
        printf("skipped: no %s\n", CORPUS_GLOB);
        return 77;
    }
    globfree(&g);
    s = suite_create("corpus_classify");
    tc = tcase_create("postfix");
    tcase_add_test(tc, test_postfix_corpus);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
