/*
 * test_exchange_resume - a log read in two runs gives the events of one run
 *
 * Exchange writes the current hour's files while a nightly run reads them; the next run goes on
 * where the last one stopped, with the parser's saved state (the file's #Fields header, an open
 * quoted record, correlation, protocol sessions). Each sample of samples/exchange is cut at
 * several byte positions (inside lines, inside a multi-line record, inside UTF-16 characters):
 * the first part is ingested together with another file, the rest appended, and the file
 * ingested again. The events must be those of one run over the whole file: row for row for
 * message tracking and the exports; for protocol logs the same count by kind (a run that ends
 * between an AUTH failure note and its 535 reports the note alone).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QUERY                                                                                      \
    "SELECT kind, direction, stage, coalesce(queue_id, ''), coalesce(client_ip, ''), "             \
    "coalesce(sender, ''), coalesce(recipient, ''), coalesce(reply_code, ''), "                    \
    "coalesce(status, ''), offset FROM v_events WHERE source LIKE '%%%s' ORDER BY offset, kind, "  \
    "recipient"
#define COUNTS                                                                                     \
    "SELECT kind, direction, count(*) FROM v_events WHERE source LIKE '%%%s' GROUP BY 1, 2 "       \
    "ORDER BY 1, 2"

/* events - the rows (or counts) of a file's events in db, malloc'ed */
static char *events(const char *db, const char *name, int counts_only)
{
    char sql[1024], cmd[4096], *out = NULL;

    snprintf(sql, sizeof sql, counts_only ? COUNTS : QUERY, name);
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' \"%s\"", db, sql);
    ck_assert_int_eq(tu_run(cmd, &out, NULL), 0);
    return out;
}

static void ingest(const char *db, const char *files)
{
    char cmd[4096], *err = NULL;
    int rc;

    snprintf(cmd, sizeof cmd, "TZ=UTC " REJECTLENS_BIN " ingest -q --db '%s' %s", db, files);
    rc = tu_run(cmd, NULL, &err);
    ck_assert_msg(rc == 0, "%s: %s", cmd, err ? err : "");
    free(err);
}

static const char *const samples[] = {
    "MSGTRK2026010510-1.LOG", "MSGTRK20160405-1.LOG",      "RECV2026010510-1.LOG",
    "SEND2026010510-1.LOG",   "MessageTrace-20260105.csv", "HistoricalSearch-enhanced-summary.csv",
};

START_TEST(test_resume)
{
    const char *name = samples[_i];
    const char *dir = tu_tempdir();
    char src[2048], whole_db[1024], db[1024], part[1024], other[1024], files[4096];
    size_t len;
    int proto = strncmp(name, "RECV", 4) == 0 || strncmp(name, "SEND", 4) == 0;

    snprintf(src, sizeof src, "%s/samples/exchange/%s", SOURCE_DIR, name);
    char *data = tu_read_file(src, &len);
    ck_assert_ptr_nonnull(data);
    /* another Exchange log read in the same runs, so that the state holds more than one file */
    snprintf(other, sizeof other, "%s/samples/exchange/%s", SOURCE_DIR,
             _i == 0 ? "SEND2026010510-1.LOG" : "MSGTRK2026010510-1.LOG");
    snprintf(whole_db, sizeof whole_db, "%s/whole-%d.db", dir, _i);
    snprintf(files, sizeof files, "'%s'", src);
    ingest(whole_db, files);
    char *want = events(whole_db, name, proto);
    ck_assert_ptr_nonnull(want);
    ck_assert_msg(strlen(want) > 0, "%s: no events at all", name);

    /* and inside the record whose quoted subject spans three lines, between its lines */
    const char *inside = strstr(data, "Agenda, part 1\r\n");
    for (int k = 1; k < 9; k++) {
        size_t cut = len * (size_t)k / 8 + (size_t)k; /* odd and even positions */
        if (k == 8 && inside == NULL)
            break;
        if (k == 8)
            cut = (size_t)(inside - data) + strlen("Agenda, part 1\r\n");
        snprintf(db, sizeof db, "%s/resume-%d-%d.db", dir, _i, k);
        snprintf(part, sizeof part, "%s/%s", dir, name);
        tu_write_file(part, data, (long)cut);
        snprintf(files, sizeof files, "'%s' '%s'", part, other);
        ingest(db, files);
        tu_write_file(part, data, (long)len); /* the server wrote on */
        snprintf(files, sizeof files, "'%s' '%s'", other, part);
        ingest(db, files);
        char *got = events(db, name, proto);
        ck_assert_ptr_nonnull(got);
        if (strcmp(want, got) != 0) {
            printf("%s cut at byte %zu of %zu:\n--- one run\n%s--- two runs\n%s", name, cut, len,
                   want, got);
            fflush(stdout);
        }
        ck_assert_msg(strcmp(want, got) == 0, "%s: two runs differ from one (cut at %zu)", name,
                      cut);
        free(got);
        unlink(db);
        unlink(part);
    }
    free(want);
    free(data);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("exchange_resume");
    TCase *tc = tcase_create("resume");

    setenv("TZ", "UTC", 1);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_resume, 0, (int)(sizeof samples / sizeof samples[0]));
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
