/*
 * test_accuracy - the default rules against labelled bounce texts (../shared/corpus/bounces/
 * sisimai-dev.tsv): the share of rows whose category is in the row's `accept` set, over all
 * rows and without the rows Sisimai's own versions disagree on ("contested"). Fails below
 * ACCURACY_MIN. Prints the figures and the confusion (expected -> got) of the misses; with
 * REJECTLENS_ACCURACY_VERBOSE set in the environment, every miss with its text.
 *
 * Each row is classified as "rejectlens explain" would classify the text, with the row's reply
 * code and status standing in for what the log line would give (the DSN's Status: field).
 * Exits 77 (ctest: skipped) when the corpus is not there.
 */
#include "classify.h"
#include "rules_default.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCURACY_MIN  0.85
#define TSV_PATH      CORPUS_DIR "/bounces/sisimai-dev.tsv"
#define MAX_CONFUSION 128

struct confusion {
    char expected[200];
    char got[64];
    int count;
};

/* in_set - 1 when word is one of the |-separated names of set */
static int in_set(const char *set, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = set; *p;) {
        size_t m = strcspn(p, "|");
        if (m == n && memcmp(p, word, n) == 0)
            return 1;
        p += m + (p[m] == '|');
    }
    return 0;
}

/* field - the i-th tab-separated field of line, copied into out (cut at cap) */
static void field(const char *line, int i, char *out, size_t cap)
{
    const char *p = line;

    for (; i > 0 && p; i--)
        if ((p = strchr(p, '\t')) != NULL)
            p++;
    if (p == NULL) {
        out[0] = '\0';
        return;
    }
    size_t n = strcspn(p, "\t\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

static void add_miss(struct confusion *c, size_t *n, const char *expected, const char *got)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(c[i].expected, expected) == 0 && strcmp(c[i].got, got) == 0) {
            c[i].count++;
            return;
        }
    if (*n == MAX_CONFUSION)
        return;
    snprintf(c[*n].expected, sizeof c[*n].expected, "%s", expected);
    snprintf(c[*n].got, sizeof c[*n].got, "%s", got);
    c[(*n)++].count = 1;
}

static int by_count(const void *a, const void *b)
{
    return ((const struct confusion *)b)->count - ((const struct confusion *)a)->count;
}

START_TEST(test_sisimai_dev)
{
    struct ruleset *rs;
    struct diag d = {""};
    char *data = tu_read_file(TSV_PATH, NULL);
    struct strbuf tmpl = STRBUF_INIT;
    struct confusion conf[MAX_CONFUSION];
    size_t nconf = 0;
    int rows = 0, hits = 0, crows = 0, chits = 0,
        verbose = getenv("REJECTLENS_ACCURACY_VERBOSE") != NULL;
    char code[8], status[16], reason[32], accept[160], contested[8];

    ck_assert_ptr_nonnull(data);
    ck_assert_msg(ruleset_load(rules_default, rules_default_count, &rs, &d) == 0, "%s", d.msg);
    char *line = strchr(data, '\n'); /* skip the header */
    for (int lineno = 2; line != NULL && line[1] != '\0'; lineno++) {
        char *start = line + 1, *end = strchr(start, '\n');
        struct prepared pr;
        struct classify_input in;
        struct classification c;
        const char *text = start;
        if (end)
            *end = '\0';
        for (int f = 0; f < 5 && text; f++)
            if ((text = strchr(text, '\t')) != NULL)
                text++;
        line = end;
        if (text == NULL)
            continue;
        field(start, 0, code, sizeof code);
        field(start, 1, status, sizeof status);
        field(start, 2, reason, sizeof reason);
        field(start, 3, accept, sizeof accept);
        field(start, 4, contested, sizeof contested);
        strbuf_reset(&tmpl);
        classify_prepare(text, strlen(text), &pr, &tmpl, NULL);
        memset(&in, 0, sizeof in);
        in.text = strbuf_str(&tmpl);
        in.len = tmpl.len;
        in.reply_code = code[0] ? atoi(code) : pr.code;
        in.status = status[0] ? status : pr.status;
        in.stage = pr.stage;
        classify(rs, &in, &c);
        int ok = in_set(accept, c.category_id), is_contested = strcmp(contested, "yes") == 0;
        rows++;
        hits += ok;
        if (!is_contested) {
            crows++;
            chits += ok;
        }
        if (!ok) {
            char expected[200];
            snprintf(expected, sizeof expected, "%s (%s)", accept, reason);
            add_miss(conf, &nconf, expected, c.category_id);
            if (verbose)
                printf("miss line %d%s: %s -> %s (%s)\n    %.200s\n", lineno,
                       is_contested ? " (contested)" : "", accept, c.category_id,
                       c.rule ? c.rule->id : "no rule", text);
        }
    }
    qsort(conf, nconf, sizeof conf[0], by_count);
    printf("misses, expected -> got:\n");
    for (size_t i = 0; i < nconf; i++)
        printf("  %3d  %s -> %s\n", conf[i].count, conf[i].expected, conf[i].got);
    printf("accuracy on %s: %d/%d = %.1f %% (all rows), %d/%d = %.1f %% (without contested)\n",
           TSV_PATH, hits, rows, 100.0 * hits / rows, chits, crows, 100.0 * chits / crows);
    ck_assert_int_gt(rows, 0);
    ck_assert_msg((double)hits / rows >= ACCURACY_MIN, "accuracy %.1f %% is below %.0f %%",
                  100.0 * hits / rows, 100 * ACCURACY_MIN);
    strbuf_free(&tmpl);
    ruleset_free(rs);
    free(data);
}
END_TEST

int main(void)
{
    Suite *s;
    TCase *tc;

    /* before the suite exists: nothing allocated is left behind for the leak checker */
    if (!tu_exists(TSV_PATH)) {
        printf("skipped: %s is not there\n", TSV_PATH);
        return 77;
    }
    s = suite_create("accuracy");
    tc = tcase_create("sisimai-dev");
    tcase_add_test(tc, test_sisimai_dev);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
