/*
 * test_store - the database: creation and migration, refusals, the v_events contract,
 * round trips of events, sources and reply texts, a bulk ingest's checkpoint thread and its
 * WAL bound with 16 KiB and 4 KiB pages, the address keys of schema 8 and trace's look-ups by
 * them, prune's batches of whole hours
 *
 * store.c is built into this test with STORE_SETTLE_KIB=8192 (8 MiB instead of 128 MiB),
 * so that a few transactions of ~5 MB show the WAL being let start again; the archive's
 * store.o is then not linked.
 */
#include "evbatch.h"
#include "store.h"
#include "store_internal.h"
#include "store_trace.h"
#include "testutil.h"
#include "timeparse.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static char dbpath[600];

static struct store *fresh_store(const char *name)
{
    struct store *s = NULL;
    struct diag d = {""};

    snprintf(dbpath, sizeof dbpath, "%s/%s", tu_tempdir(), name);
    unlink(dbpath);
    ck_assert_msg(store_open(dbpath, STORE_READ_WRITE, 1000, &s, &d) == 0, "%s", d.msg);
    return s;
}

/* the columns of v_events are a contract with admins' scripts: exactly these, in this order */
START_TEST(test_v_events_columns)
{
    static const char *const want[] = {
        "ts",        "host",        "mta",      "kind",   "direction", "stage",  "queue_id",
        "client_ip", "client_name", "helo",     "sender", "recipient", "relay",  "reply_code",
        "status",    "text",        "category", "rule",   "source",    "offset",
    };
    struct store *s = fresh_store("columns.db");
    struct diag d = {""};
    struct store_stmt *st = store_stmt_prepare(s, "SELECT * FROM v_events", &d);

    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(store_column_count(st), (int)(sizeof want / sizeof want[0]));
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_str_eq(store_column_name(st, (int)i), want[i]);
    store_stmt_finalize(st);
    store_close(s);
}
END_TEST

START_TEST(test_event_round_trip)
{
    struct store *s = fresh_store("roundtrip.db");
    struct diag d = {""};
    struct event ev;
    struct store_source src;
    struct store_stmt *st;

    memset(&src, 0, sizeof src);
    src.path = "/var/log/mail.log";
    snprintf(src.fingerprint, sizeof src.fingerprint, "abc");
    src.fp_len = 3;
    ck_assert_int_eq(store_begin(s, &d), 0);
    ck_assert_int_eq(store_source_add(s, &src, &d), 0);
    event_init(&ev);
    ev.ts_us = days_from_civil(2026, 1, 5) * 86400 * US_PER_SEC + 12 * 3600 * US_PER_SEC + 764590;
    ev.ts_prec = 6;
    ev.host = "mx1";
    ev.mta = "postfix";
    ev.kind = EVENT_REJECT;
    ev.direction = DIRECTION_INBOUND;
    ev.stage = STAGE_RCPT;
    ev.client_ip = "192.0.2.1";
    ev.sender = "";
    ev.recipient = "o'neil@example.com"; /* quotes are values, never SQL */
    ev.reply_code = 550;
    ev.status = "5.1.1";
    ev.text = "User unknown'); DROP TABLE events; --";
    ev.offset = 1234;
    ck_assert_int_eq(store_event_add(s, &ev, src.id, 0, &d), 0);
    ev.ts_prec = 0;
    ev.kind = EVENT_DELIVER;
    ev.direction = DIRECTION_OUTBOUND;
    ev.stage = STAGE_NONE;
    ev.reply_code = 0;
    ev.status = NULL;
    ev.sender = NULL;
    ck_assert_int_eq(store_event_add(s, &ev, src.id, 0, &d), 0);
    ck_assert_int_eq(store_commit(s, &d), 0);

    st = store_stmt_prepare(s,
                            "SELECT ts, kind, direction, stage, sender, recipient, reply_code, "
                            "status, text, source, offset, category FROM v_events ORDER BY rowid",
                            &d);
    ck_assert_int_eq(store_step(s, st, &d), 1);
    ck_assert_str_eq(store_column_text(st, 0), "2026-01-05T12:00:00.764590Z");
    ck_assert_str_eq(store_column_text(st, 1), "reject");
    ck_assert_str_eq(store_column_text(st, 2), "inbound");
    ck_assert_str_eq(store_column_text(st, 3), "rcpt");
    ck_assert(!store_column_is_null(st, 4));
    ck_assert_str_eq(store_column_text(st, 4), "");
    ck_assert_str_eq(store_column_text(st, 5), "o'neil@example.com");
    ck_assert_int_eq(store_column_int64(st, 6), 550);
    ck_assert_str_eq(store_column_text(st, 7), "5.1.1");
    ck_assert_str_eq(store_column_text(st, 8), "User unknown'); DROP TABLE events; --");
    ck_assert_str_eq(store_column_text(st, 9), "/var/log/mail.log");
    ck_assert_int_eq(store_column_int64(st, 10), 1234);
    ck_assert(store_column_is_null(st, 11));
    ck_assert_int_eq(store_step(s, st, &d), 1);
    ck_assert_str_eq(store_column_text(st, 0), "2026-01-05T12:00:00Z");
    ck_assert_str_eq(store_column_text(st, 1), "deliver");
    ck_assert_str_eq(store_column_text(st, 3), "");
    ck_assert(store_column_is_null(st, 4));
    ck_assert(store_column_is_null(st, 6));
    ck_assert(store_column_is_null(st, 7));
    ck_assert_int_eq(store_step(s, st, &d), 0);
    store_stmt_finalize(st);
    store_close(s);
}
END_TEST

/* source_of - a source row to add: its path and the fingerprint of head's first fp_len bytes */
static void source_of(struct store_source *src, const char *path, const unsigned char *head,
                      size_t fp_len)
{
    memset(src, 0, sizeof *src);
    src->path = (char *)path;
    store_fingerprint(head, fp_len, src->fingerprint);
    src->fp_len = (int64_t)fp_len;
}

/* add_sources - the n rows in one transaction; their ids are set */
static void add_sources(struct store *s, struct store_source *const *src, size_t n)
{
    struct diag d = {""};

    ck_assert_int_eq(store_begin(s, &d), 0);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(store_source_add(s, src[i], &d), 0);
    ck_assert_int_eq(store_commit(s, &d), 0);
}

/* seen_at - set a source's last_seen (every source's when id is 0) */
static void seen_at(struct store *s, int64_t id, const char *when)
{
    struct diag d = {""};
    char sql[200];

    if (id != 0)
        snprintf(sql, sizeof sql, "UPDATE sources SET last_seen = '%s' WHERE id = %lld", when,
                 (long long)id);
    else
        snprintf(sql, sizeof sql, "UPDATE sources SET last_seen = '%s'", when);
    ck_assert_msg(store_exec(s, sql, &d) == 0, "%s", d.msg);
}

/* found_id - the id store_source_find gives for head[0..n), 0 when none */
static int64_t found_id(struct store *s, const unsigned char *head, size_t n)
{
    struct store_source found;
    struct diag d = {""};
    int64_t id = 0;
    int rc = store_source_find(s, head, n, &found, &d);

    ck_assert_msg(rc >= 0, "%s", d.msg);
    if (rc == 1) {
        id = found.id;
        store_source_free(&found);
    }
    return id;
}

START_TEST(test_sources_by_fingerprint)
{
    struct store *s = fresh_store("sources.db");
    struct diag d = {""};
    struct store_source src, longer, third, twin, found;
    const unsigned char head[] = "Jan  1 00:00:01 mx postfix/smtpd[1]: connect from x[1.2.3.4]\n";
    const unsigned char other[] = "Jan  2 00:00:01 mx postfix/smtpd[1]: connect from x[1.2.3.4]\n";
    const size_t hl = sizeof head - 1;

    source_of(&src, "/var/log/mail.log", head, 20);
    src.offset = 77;
    add_sources(s, (struct store_source *[]){&src}, 1);
    /* a longer head with the same first 20 bytes is the same file (it grew) */
    ck_assert_int_eq(store_source_find(s, head, hl, &found, &d), 1);
    ck_assert_int_eq(found.id, src.id);
    ck_assert_int_eq(found.offset, 77);
    ck_assert_str_eq(found.path, "/var/log/mail.log");
    store_source_free(&found);
    /* a different first line is another file, whatever its name */
    ck_assert_int_eq(found_id(s, other, sizeof other - 1), 0);
    /* a head shorter than the fingerprint cannot be that file */
    ck_assert_int_eq(found_id(s, head, 10), 0);
    /* of the matches of every fingerprint length, the one seen last; the same second, the
     * newer row (the order the rows had when each was hashed in turn) */
    source_of(&longer, "/var/log/mail.log.1", head, 40);
    longer.offset = 5;
    source_of(&third, "/var/log/other.log", other, 30);
    add_sources(s, (struct store_source *[]){&longer, &third}, 2);
    seen_at(s, src.id, "2026-01-01T00:00:00Z");
    seen_at(s, longer.id, "2026-01-02T00:00:00Z");
    ck_assert_int_eq(store_source_find(s, head, hl, &found, &d), 1);
    ck_assert_int_eq(found.id, longer.id);
    ck_assert_int_eq(found.offset, 5);
    store_source_free(&found);
    /* a head of 30 bytes is too short for the 40-byte fingerprint */
    ck_assert_int_eq(found_id(s, head, 30), src.id);
    seen_at(s, src.id, "2026-01-03T00:00:00Z");
    ck_assert_int_eq(found_id(s, head, hl), src.id);
    seen_at(s, 0, "2026-01-04T00:00:00Z");
    ck_assert_int_eq(found_id(s, head, hl), longer.id);
    ck_assert_int_eq(found_id(s, other, sizeof other - 1), third.id);
    /* two rows of one length and fingerprint (a log rewritten with the same head): the one
     * seen last, though added first; at the same time, the newer */
    source_of(&twin, "/var/log/mail.log.new", head, 20);
    add_sources(s, (struct store_source *[]){&twin}, 1);
    seen_at(s, src.id, "2026-01-05T00:00:00Z");
    seen_at(s, twin.id, "2026-01-01T00:00:00Z");
    ck_assert_int_eq(found_id(s, head, hl), src.id);
    seen_at(s, 0, "2026-01-06T00:00:00Z");
    ck_assert_int_eq(found_id(s, head, 20), twin.id);
    store_close(s);
}
END_TEST

/* the fingerprints stored in every database: the same bytes must always give the same one */
START_TEST(test_fingerprint_values)
{
    unsigned char pattern[1024];
    const char *line = "Mar  2 10:00:00 mx postfix/smtpd[1]: connect\n";
    char fp[65];

    for (size_t i = 0; i < sizeof pattern; i++)
        pattern[i] = (unsigned char)(i * 7 + 3);
    store_fingerprint((const unsigned char *)"", 0, fp);
    ck_assert_str_eq(fp, "14650fb0739d038384222325cbf29ce4");
    store_fingerprint((const unsigned char *)line, strlen(line), fp);
    ck_assert_str_eq(fp, "df9765c800638756f3a9f3682d1502f5");
    store_fingerprint(pattern, sizeof pattern, fp);
    ck_assert_str_eq(fp, "86ea4caf14129f83e4070f2a89d995e4");
}
END_TEST

/* a file by device and inode: the row seen last; at the same time, the newer */
START_TEST(test_sources_by_file)
{
    struct store *s = fresh_store("files.db");
    struct diag d = {""};
    struct store_source a, b, found;

    memset(&a, 0, sizeof a);
    a.path = "/var/log/mail.log";
    a.dev = 2049;
    a.inode = 77;
    b = a;
    b.path = "/var/log/mail.log.1";
    add_sources(s, (struct store_source *[]){&a, &b}, 2);
    ck_assert_int_eq(store_source_find_file(s, 2049, 78, &found, &d), 0);
    ck_assert_int_eq(store_source_find_file(s, 2050, 77, &found, &d), 0);
    seen_at(s, 0, "2026-01-01T00:00:00Z");
    ck_assert_int_eq(store_source_find_file(s, 2049, 77, &found, &d), 1);
    ck_assert_int_eq(found.id, b.id);
    store_source_free(&found);
    seen_at(s, a.id, "2026-01-02T00:00:00Z");
    ck_assert_int_eq(store_source_find_file(s, 2049, 77, &found, &d), 1);
    ck_assert_int_eq(found.id, a.id);
    ck_assert_str_eq(found.path, "/var/log/mail.log");
    store_source_free(&found);
    store_close(s);
}
END_TEST

START_TEST(test_reply_texts_unique)
{
    struct store *s = fresh_store("texts.db");
    struct diag d = {""};
    struct reply_key k = {"User unknown in <X>",
                          "postfix",
                          EVENT_REJECT,
                          DIRECTION_INBOUND,
                          STAGE_RCPT,
                          550,
                          "5.1.1"};
    int64_t id1, id2, id3;

    ck_assert_int_eq(store_begin(s, &d), 0);
    ck_assert_int_eq(store_reply_text_find(s, &k, &id1, &d), 0);
    ck_assert_int_eq(store_reply_text_add(s, &k, "recipient_unknown", "r1", "h", &id1, &d), 0);
    ck_assert_int_eq(store_reply_text_find(s, &k, &id2, &d), 1);
    ck_assert_int_eq(id1, id2);
    ck_assert_int_eq(store_reply_text_add(s, &k, NULL, NULL, NULL, &id3, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "UNIQUE"));
    k.stage = STAGE_MAIL; /* the same words at another stage may mean another cause */
    ck_assert_int_eq(store_reply_text_find(s, &k, &id2, &d), 0);
    k.status = NULL; /* no status is its own key, not a wildcard */
    ck_assert_int_eq(store_reply_text_add(s, &k, NULL, NULL, NULL, &id3, &d), 0);
    ck_assert_int_eq(store_reply_text_find(s, &k, &id2, &d), 1);
    ck_assert_int_eq(id2, id3);
    store_rollback(s);
    store_close(s);
}
END_TEST

static int64_t sql_key(struct store *s, const char *sql);

START_TEST(test_state_blob)
{
    struct store *s = fresh_store("state.db");
    struct diag d = {""};
    struct strbuf sb = STRBUF_INIT;

    ck_assert_int_eq(store_state_load(s, "postfix", &sb, &d), 0);
    ck_assert_uint_eq(sb.len, 0);
    ck_assert_int_eq(store_begin(s, &d), 0);
    ck_assert_int_eq(store_state_save(s, "postfix", "a\0b", 3, &d), 0);
    ck_assert_int_eq(store_state_save(s, "postfix", "x\0yz", 4, &d), 0);
    ck_assert_int_eq(store_commit(s, &d), 0);
    ck_assert_int_eq(store_state_load(s, "postfix", &sb, &d), 0);
    ck_assert_uint_eq(sb.len, 4);
    ck_assert(memcmp(sb.buf, "x\0yz", 4) == 0);
    /* a state replaced without secure deletion, which is then what it was before: prune's
     * deletions are zeroed as the build of SQLite chose (Debian's: on) */
    static char big[200000];
    for (int64_t mode = 0; mode <= 2; mode++) {
        static const char *const set[] = {"PRAGMA secure_delete = 0", "PRAGMA secure_delete = 1",
                                          "PRAGMA secure_delete = FAST"};
        ck_assert_int_eq(store_exec(s, set[mode], &d), 0);
        ck_assert_int_eq(sql_key(s, "PRAGMA secure_delete"), mode);
        ck_assert_int_eq(store_begin(s, &d), 0);
        memset(big, 'a' + (int)mode, sizeof big);
        ck_assert_int_eq(store_state_save(s, "exim", big, sizeof big, &d), 0);
        ck_assert_int_eq(store_commit(s, &d), 0);
        ck_assert_int_eq(sql_key(s, "PRAGMA secure_delete"), mode);
    }
    strbuf_reset(&sb);
    ck_assert_int_eq(store_state_load(s, "exim", &sb, &d), 0);
    ck_assert_uint_eq(sb.len, sizeof big);
    ck_assert(memcmp(sb.buf, big, sizeof big) == 0);
    strbuf_free(&sb);
    store_close(s);
}
END_TEST

/*
 * A state that cannot be written: the row is gone before its bytes go in (a trigger deletes
 * it), or the insert is skipped and RETURNING gives no row (a trigger ignores it). Each is
 * an error naming the database, secure deletion is back to what it was, and the state saved
 * before stays; store_blob_write alone refuses a missing row and more bytes than the blob has.
 */
START_TEST(test_state_blob_fails)
{
    struct store *s = fresh_store("state-fails.db");
    struct diag d = {""};
    struct strbuf sb = STRBUF_INIT;
    static const char *const traps[] = {
        "CREATE TEMP TRIGGER trap AFTER INSERT ON parser_state "
        "BEGIN DELETE FROM parser_state WHERE rowid = new.rowid; END",
        "CREATE TEMP TRIGGER trap BEFORE INSERT ON parser_state BEGIN SELECT RAISE(IGNORE); END",
    };

    ck_assert_int_eq(store_begin(s, &d), 0);
    ck_assert_int_eq(store_state_save(s, "exim", "kept", 4, &d), 0);
    ck_assert_int_eq(store_commit(s, &d), 0);
    ck_assert_int_eq(store_exec(s, "PRAGMA secure_delete = 1", &d), 0);
    for (size_t i = 0; i < sizeof traps / sizeof traps[0]; i++) {
        ck_assert_int_eq(store_exec(s, traps[i], &d), 0);
        ck_assert_int_eq(store_begin(s, &d), 0);
        diag_clear(&d);
        ck_assert_int_eq(store_state_save(s, "postfix", "lost", 4, &d), -1);
        ck_assert_msg(strstr(d.msg, "state-fails.db") != NULL, "%zu: %s", i, d.msg);
        ck_assert_int_eq(sql_key(s, "PRAGMA secure_delete"), 1);
        store_rollback(s);
        ck_assert_int_eq(store_exec(s, "DROP TRIGGER temp.trap", &d), 0);
    }
    ck_assert_int_eq(store_state_load(s, "postfix", &sb, &d), 0);
    ck_assert_uint_eq(sb.len, 0);
    ck_assert_int_eq(store_state_load(s, "exim", &sb, &d), 0);
    ck_assert_uint_eq(sb.len, 4);
    ck_assert(memcmp(sb.buf, "kept", 4) == 0);
    /* the statement is whole again: the next save goes in */
    ck_assert_int_eq(store_begin(s, &d), 0);
    ck_assert_int_eq(store_state_save(s, "postfix", "next", 4, &d), 0);
    ck_assert_int_eq(store_commit(s, &d), 0);

    int64_t rowid = sql_key(s, "SELECT rowid FROM parser_state WHERE format = 'postfix'");
    diag_clear(&d);
    ck_assert_int_eq(store_blob_write(s, "parser_state", "state", rowid + 1000, "x", 1, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "state-fails.db"));
    diag_clear(&d);
    ck_assert_int_eq(store_blob_write(s, "parser_state", "state", rowid, "longer", 6, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "state-fails.db"));
    ck_assert_msg(strstr(d.msg, "not an error") == NULL, "%s", d.msg); /* SQLite's own words */
    ck_assert_int_eq(store_blob_write(s, "parser_state", "state", rowid, "NEXT", 4, &d), 0);
    strbuf_reset(&sb);
    ck_assert_int_eq(store_state_load(s, "postfix", &sb, &d), 0);
    ck_assert_uint_eq(sb.len, 4);
    ck_assert(memcmp(sb.buf, "NEXT", 4) == 0);
    strbuf_free(&sb);
    store_close(s);
}
END_TEST

/* files that are not ours are refused with a message naming them, and left untouched */
START_TEST(test_refusals)
{
    struct store *s = NULL;
    struct diag d = {""};
    char path[700];
    char *before, *after;
    size_t blen, alen;

    snprintf(path, sizeof path, "%s/notadb.db", tu_tempdir());
    tu_write_file(path, "this is a mail log, not a database\n", -1);
    ck_assert_int_eq(store_open(path, STORE_READ_WRITE, 100, &s, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, path));
    ck_assert_ptr_nonnull(strstr(d.msg, "not a database"));
    after = tu_read_file(path, NULL);
    ck_assert_str_eq(after, "this is a mail log, not a database\n");
    free(after);

    /* somebody else's SQLite database */
    snprintf(path, sizeof path, "%s/foreign.db", tu_tempdir());
    unlink(path);
    ck_assert_int_eq(store_open(path, STORE_READ_WRITE, 100, &s, &d), 0);
    ck_assert_int_eq(store_exec(s, "PRAGMA application_id = 0; CREATE TABLE t(x)", &d), 0);
    store_close(s);
    before = tu_read_file(path, &blen);
    ck_assert_int_eq(store_open(path, STORE_READ_WRITE, 100, &s, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "not a rejectlens database"));
    after = tu_read_file(path, &alen);
    ck_assert_uint_eq(alen, blen);
    ck_assert(memcmp(before, after, alen) == 0);
    free(before);
    free(after);

    /* a database from a newer rejectlens */
    s = fresh_store("newer.db");
    ck_assert_int_eq(store_exec(s, "PRAGMA user_version = 999", &d), 0);
    store_close(s);
    ck_assert_int_eq(store_open(dbpath, STORE_READ_WRITE, 100, &s, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "newer"));
    ck_assert_int_eq(store_open(dbpath, STORE_READ_ONLY, 100, &s, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "newer"));

    /* reading a database that is not there */
    snprintf(path, sizeof path, "%s/absent.db", tu_tempdir());
    ck_assert_int_eq(store_open(path, STORE_READ_ONLY, 100, &s, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "no database there"));
    ck_assert(!tu_exists(path));
}
END_TEST

/* a second writer waits for the busy timeout, then gives up with a clear message */
START_TEST(test_locked)
{
    struct store *a = fresh_store("locked.db"), *b = NULL;
    struct diag d = {""};

    ck_assert_int_eq(store_begin(a, &d), 0);
    ck_assert_int_eq(store_open(dbpath, STORE_READ_WRITE, 200, &b, &d), 0);
    ck_assert_int_eq(store_begin(b, &d), -1);
    ck_assert_ptr_nonnull(strstr(d.msg, "locked"));
    /* a reader is not blocked by the writer (WAL) */
    struct store *r = NULL;
    ck_assert_int_eq(store_open(dbpath, STORE_READ_ONLY, 200, &r, &d), 0);
    struct store_summary sum;
    ck_assert_int_eq(store_summary(r, INT64_MIN, INT64_MAX, 0, &sum, &d), 0);
    store_summary_free(&sum);
    store_close(r);
    store_commit(a, &d);
    store_close(b);
    store_close(a);
}
END_TEST

/* cache_kib - the connection's page cache in KiB (a negative cache_size is KiB, as we set it) */
static int64_t cache_kib(struct store *s)
{
    struct diag d = {""};
    struct store_stmt *st = store_stmt_prepare(s, "PRAGMA cache_size", &d);
    int64_t v;

    ck_assert_msg(st != NULL, "%s", d.msg);
    ck_assert_int_eq(store_step(s, st, &d), 1);
    v = store_column_int64(st, 0);
    store_stmt_finalize(st);
    return v < 0 ? -v : v;
}

/* a read-only connection refuses writes */
START_TEST(test_read_only)
{
    struct store *s = fresh_store("ro.db"), *r = NULL;
    struct diag d = {""};

    store_close(s);
    ck_assert_int_eq(store_open(dbpath, STORE_READ_ONLY, 100, &r, &d), 0);
    ck_assert_int_eq(store_exec(r, "DELETE FROM events", &d), -1);
    /* a reader keeps SQLite's 2 MB, and a trace has 32 MiB on the read-only connection */
    ck_assert_int_eq(cache_kib(r), 2000);
    ck_assert_msg(store_trace_cache(r, &d) == 0, "%s", d.msg);
    ck_assert_int_eq(cache_kib(r), 32768);
    store_close(r);
}
END_TEST

/* ------------------------------------------------ the checkpoint thread (store_ingest_tuning) */

#define TEXT_BYTES 2000
#define PER_TXN    2500 /* ~5 MB of WAL a transaction: past 4,000 KiB, below 8 MiB */

static long long file_size(const char *suffix)
{
    char path[700];
    struct stat sb;

    snprintf(path, sizeof path, "%s%s", dbpath, suffix);
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* add_events - PER_TXN events with texts of TEXT_BYTES that differ from event to event */
static void add_events(struct store *s, int txn)
{
    static char text[TEXT_BYTES + 1];
    struct diag d = {""};
    struct event ev;

    for (int i = 0; i < PER_TXN; i++) {
        snprintf(text, sizeof text, "%d-%d ", txn, i);
        for (size_t k = strlen(text); k < TEXT_BYTES; k++)
            text[k] = (char)('a' + (k * 7 + (size_t)i) % 26);
        text[TEXT_BYTES] = '\0';
        event_init(&ev);
        ev.ts_us = days_from_civil(2026, 11, 1) * 86400 * US_PER_SEC + (int64_t)i * US_PER_SEC;
        ev.mta = "postfix";
        ev.kind = EVENT_REJECT;
        ev.direction = DIRECTION_INBOUND;
        ev.recipient = "bob@example.org";
        ev.reply_code = 550;
        ev.text = text;
        ck_assert_msg(store_event_add(s, &ev, 0, 0, &d) == 0, "%s", d.msg);
    }
}

/* assert_whole - after close: the WAL folded back, every row there, integrity_check ok */
static void assert_whole(int txns)
{
    ck_assert_int_eq(file_size("-wal"), 0);
    ck_assert_int_eq(tu_sql_int(dbpath, "SELECT count(*) FROM events"), (long)txns * PER_TXN);
    ck_assert_int_eq(
        tu_sql_int(dbpath, "SELECT integrity_check = 'ok' FROM pragma_integrity_check"), 1);
}

/*
 * assert_checkpointed_ingest - ten transactions of add_events into S as a bulk ingest writes
 * them (~120 MB through the WAL), then S closed: the WAL held 8 MiB and two transactions'
 * worth at the most, every row is there, and the file has pages of PAGE_SIZE bytes.
 *
 * Each commit leaves more than 4,000 KiB: a checkpoint is due every time, and the thread runs
 * every one that was asked for before it stops. Transactions follow each other at once, as in
 * a busy ingest, so the WAL starts again only when the writer waits for a copy: past 8 MiB it
 * does, whatever the database's page size.
 */
static void assert_checkpointed_ingest(struct store *s, long page_size)
{
    struct diag d = {""};
    const int txns = 10;
    long long wal_max = 0;

    ck_assert_int_eq(store_ingest_tuning(s, 1, &d), 0);
    for (int t = 0; t < txns; t++) {
        ck_assert_msg(store_begin(s, &d) == 0, "%s", d.msg);
        add_events(s, t);
        ck_assert_msg(store_commit(s, &d) == 0, "%s", d.msg);
        if (file_size("-wal") > wal_max)
            wal_max = file_size("-wal");
    }
    ck_assert_int_eq(store_ingest_tuning(s, 0, &d), 0);
    ck_assert_int_ge(store_background_checkpoints(s), 1);
    ck_assert_msg(wal_max < 24LL * 1024 * 1024, "the WAL grew to %lld bytes", wal_max);
    store_close(s);
    assert_whole(txns);
    ck_assert_int_eq(tu_sql_int(dbpath, "PRAGMA page_size"), page_size);
}

/* a new database has 16 KiB pages */
START_TEST(test_background_checkpoints)
{
    assert_checkpointed_ingest(fresh_store("ckpt.db"), 16384);
}
END_TEST

/* a database made with 4 KiB pages (by an earlier rejectlens) keeps them, with the same
 * bound on its WAL */
START_TEST(test_old_page_size)
{
    struct store *s = NULL;
    struct diag d = {""};
    sqlite3 *db;

    snprintf(dbpath, sizeof dbpath, "%s/%s", tu_tempdir(), "ckpt-4k.db");
    unlink(dbpath);
    /* written once, no table: what store_open takes for a new database whose size is fixed */
    ck_assert_int_eq(sqlite3_open(dbpath, &db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db, "PRAGMA page_size = 4096; CREATE TABLE t(x); DROP TABLE t",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    ck_assert_msg(store_open(dbpath, STORE_READ_WRITE, 1000, &s, &d) == 0, "%s", d.msg);
    assert_checkpointed_ingest(s, 4096);
}
END_TEST

/* closing the store with the thread still running stops it first, and loses nothing */
START_TEST(test_close_while_tuned)
{
    struct store *s = fresh_store("ckpt-close.db");
    struct diag d = {""};

    ck_assert_int_eq(store_ingest_tuning(s, 1, &d), 0);
    for (int t = 0; t < 2; t++) {
        ck_assert_msg(store_begin(s, &d) == 0, "%s", d.msg);
        add_events(s, t);
        ck_assert_msg(store_commit(s, &d) == 0, "%s", d.msg);
    }
    store_close(s);
    assert_whole(2);
}
END_TEST

/* two addresses whose keys are the same 48 bits (found by a search of u0 .. u33554431) */
#define SHARED_KEY_A "u8498868@example.org"
#define SHARED_KEY_B "u10448107@example.org"

/* sql_key - rejectlens_address_key(literal) through the store's own connection */
static int64_t sql_key(struct store *s, const char *sql)
{
    struct diag d = {""};
    struct store_stmt *st = store_stmt_prepare(s, sql, &d);
    int64_t v;

    ck_assert_msg(st != NULL, "%s", d.msg);
    ck_assert_int_eq(store_step(s, st, &d), 1);
    v = store_column_is_null(st, 0) ? -1 : store_column_int64(st, 0);
    store_stmt_finalize(st);
    return v;
}

/*
 * the address key of schema 8: A-Z folded as COLLATE NOCASE folds them and nothing else, 48
 * bits, the same in C and in SQL; what the batch and the single insert store is that key
 */
START_TEST(test_address_keys)
{
    struct store *s = fresh_store("keys.db");
    struct diag d = {""};
    struct evbatch b = EVBATCH_INIT;
    struct event ev;
    int64_t k = store_address_key("bob@example.org", 15);

    ck_assert_int_eq(store_address_key("Bob@EXAMPLE.org", 15), k);
    ck_assert_int_ne(store_address_key("bob@example.com", 15), k);
    ck_assert_int_ne(store_address_key("bob@example.org", 14), k); /* every byte counts */
    ck_assert_int_ge(k, 0);
    ck_assert_int_lt(k, INT64_C(1) << 48);
    /* beyond ASCII nothing is folded, as NOCASE folds nothing there */
    ck_assert_int_ne(store_address_key("\xc3\x89@x", 4), store_address_key("\xc3\xa9@x", 4));
    ck_assert_int_ne(store_address_key("\xc4@x", 3), store_address_key("\xe4@x", 3));
    ck_assert_int_ne(store_address_key("@@x", 3), store_address_key("`@x", 3)); /* 'A' - 1 */
    ck_assert_int_ne(store_address_key("[@x", 3), store_address_key("{@x", 3)); /* 'Z' + 1 */
    ck_assert_int_eq(store_address_key(SHARED_KEY_A, strlen(SHARED_KEY_A)),
                     store_address_key(SHARED_KEY_B, strlen(SHARED_KEY_B)));
    ck_assert_int_eq(sql_key(s, "SELECT rejectlens_address_key('BOB@example.org')"), k);
    ck_assert_int_eq(sql_key(s, "SELECT rejectlens_address_key(NULL)"), -1);
    ck_assert_int_eq(sql_key(s, "SELECT rejectlens_address_key('')"), store_address_key("", 0));
    /* an empty blob is an empty address, not a failure to read one */
    ck_assert_int_eq(sql_key(s, "SELECT rejectlens_address_key(x'')"), store_address_key("", 0));

    /*
     * 140 events through a batch (the statement of 64 rows twice, reset with the values left
     * bound, then twelve alone) and one on its own; the senders that are NULL in the second
     * 64 were not in the first, so a value left over from the first would show
     */
    event_init(&ev);
    ev.mta = "postfix";
    ev.kind = EVENT_DELIVER;
    ck_assert_int_eq(store_begin(s, &d), 0);
    for (int i = 0; i < 140; i++) {
        char rcpt[32], from[32];
        snprintf(rcpt, sizeof rcpt, "User%d@Example.ORG", i);
        snprintf(from, sizeof from, "sender%d@example.net", i);
        ev.ts_us = INT64_C(1767225600000000) + i;
        ev.recipient = rcpt;
        ev.sender = i % 3 == 0 ? NULL : from;
        ev.orig_recipient = i % 3 == 1 ? "Alias@Example.org" : NULL;
        evbatch_add(&b, &ev, NULL, 0);
    }
    ck_assert_msg(store_events_add(s, &b, 0, &d) == 0, "%s", d.msg);
    ev.recipient = NULL;
    ev.sender = "";
    ev.orig_recipient = NULL;
    ck_assert_msg(store_event_add(s, &ev, 0, 0, &d) == 0, "%s", d.msg);
    ck_assert_int_eq(store_commit(s, &d), 0);
    evbatch_free(&b);
    ck_assert_int_eq(sql_key(s, "SELECT count(*) FROM events WHERE "
                                "recipient_key IS NOT rejectlens_address_key(recipient) OR "
                                "sender_key IS NOT rejectlens_address_key(sender) OR "
                                "orig_recipient_key IS NOT "
                                "rejectlens_address_key(orig_recipient)"),
                     0);
    ck_assert_int_eq(sql_key(s, "SELECT count(*) FROM events WHERE recipient_key = "
                                "rejectlens_address_key('user7@example.org')"),
                     1);
    ck_assert_int_eq(sql_key(s, "SELECT count(*) FROM events WHERE sender_key IS NULL"), 47);
    ck_assert_int_eq(sql_key(s, "SELECT count(*) FROM events WHERE recipient_key IS NULL"), 1);
    ck_assert_int_eq(sql_key(s, "SELECT count(*) FROM events WHERE orig_recipient_key IS NULL"),
                     94);
    ck_assert_int_eq(sql_key(s, "SELECT count(*) FROM events WHERE orig_recipient_key = "
                                "rejectlens_address_key('alias@example.org')"),
                     47);
    store_close(s);
}
END_TEST

/* add_addressed - a delivery from sender to recipient (originally orig, may be NULL) at ts_us */
static void add_addressed(struct store *s, int64_t ts_us, const char *sender, const char *recipient,
                          const char *orig)
{
    struct diag d = {""};
    struct event ev;

    event_init(&ev);
    ev.ts_us = ts_us;
    ev.mta = "postfix";
    ev.kind = EVENT_DELIVER;
    ev.sender = sender;
    ev.recipient = recipient;
    ev.orig_recipient = orig;
    ck_assert_msg(store_event_add(s, &ev, 0, 0, &d) == 0, "%s", d.msg);
}

/* is - a and b the same address, ignoring case; NULL is none */
static int is(const char *a, const char *b)
{
    return a != NULL && strcasecmp(a, b) == 0;
}

/* trace_count - how many events trace finds for an address (as any of its three roles) */
static size_t trace_count(struct store *s, const char *address)
{
    struct diag d = {""};
    struct trace_events out = {NULL, 0, 0};
    size_t n;

    ck_assert_msg(store_trace_find(s, TRACE_ADDRESS, address, 0, INT64_MAX, 0, &out, &d) == 0, "%s",
                  d.msg);
    n = out.n;
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(is(out.v[i].ev.recipient, address) || is(out.v[i].ev.sender, address) ||
                          is(out.v[i].ev.orig_recipient, address),
                      "%s found an event of %s -> %s", address, out.v[i].ev.sender,
                      out.v[i].ev.recipient);
    store_trace_events_free(&out);
    return n;
}

/* two addresses that share a key are told apart: a look-up compares the address as well */
START_TEST(test_trace_shared_key)
{
    struct store *s = fresh_store("shared-key.db");
    struct diag d = {""};
    const int64_t day = INT64_C(1767225600000000); /* 2026-01-01 */

    ck_assert_int_eq(store_begin(s, &d), 0);
    add_addressed(s, day + 1, "x@example.net", SHARED_KEY_A, NULL);
    add_addressed(s, day + 2, SHARED_KEY_A, SHARED_KEY_B, NULL);
    add_addressed(s, day + 3, "x@example.net", "U8498868@EXAMPLE.ORG", NULL);
    add_addressed(s, day + 4, SHARED_KEY_B, "x@example.net", NULL);
    add_addressed(s, day + 5, "x@example.net", "y@example.net", SHARED_KEY_B);
    add_addressed(s, day + 6, "x@example.net", "z@example.net", "u8498868@example.ORG");
    ck_assert_int_eq(store_commit(s, &d), 0);
    ck_assert_uint_eq(trace_count(s, SHARED_KEY_A), 4);
    ck_assert_uint_eq(trace_count(s, "u10448107@EXAMPLE.org"), 3);
    ck_assert_uint_eq(trace_count(s, "x@example.net"), 5);
    store_close(s);
}
END_TEST

/* prune_to - store_prune before cutoff: it deletes exactly the events before it */
static void prune_to(struct store *s, int64_t cutoff)
{
    char sql[160];
    struct diag d = {""};
    struct store_prune_result res;
    int64_t before, total = sql_key(s, "SELECT count(*) FROM events");

    snprintf(sql, sizeof sql, "SELECT count(*) FROM events WHERE ts < %lld", (long long)cutoff);
    before = sql_key(s, sql);
    ck_assert_msg(store_prune(s, cutoff, NULL, &res, &d) == 0, "%s", d.msg);
    ck_assert_int_eq(res.events, before);
    ck_assert_int_eq(sql_key(s, sql), 0);
    ck_assert_int_eq(sql_key(s, "SELECT count(*) FROM events"), total - before);
}

/*
 * a prune deletes in batches of whole hours (store_prune.c): the 20,000th oldest event's hour
 * ends before the cutoff (a batch to there, more follow) or after it (the batch stops at the
 * cutoff); before 1970 the division truncates upwards, and the batch still ends after it
 */
START_TEST(test_prune_in_hours)
{
    struct store *s = fresh_store("prune.db");
    struct diag d = {""};
    int64_t day = days_from_civil(2026, 11, 1) * 86400 * US_PER_SEC, hour = 3600 * US_PER_SEC;
    const char *sender = "a@example.org", *rcpt = "b@example.org";

    ck_assert_msg(store_begin(s, &d) == 0, "%s", d.msg);
    for (int i = 0; i < 20000; i++) /* 1969-12-31 21:00 to 23:00 */
        add_addressed(s, -3 * hour + (int64_t)i * 360000, sender, rcpt, NULL);
    add_addressed(s, 0, sender, rcpt, NULL);
    for (int i = 0; i < 50000; i++) /* 5,000 an hour, day 00:00 to 10:00 */
        add_addressed(s, day + (int64_t)i * 720000, sender, rcpt, NULL);
    add_addressed(s, day + 9 * hour + hour / 2, sender, rcpt, NULL); /* at the second cutoff */
    add_addressed(s, day + 24 * hour, sender, rcpt, NULL);
    ck_assert_msg(store_commit(s, &d) == 0, "%s", d.msg);
    /* the events before 1970; then the 20,000th, at 03:59:58.56, ends its hour after 03:59:59 */
    prune_to(s, day + 4 * hour - US_PER_SEC);
    ck_assert_int_eq(sql_key(s, "SELECT count(*) FROM events"), 30003);
    /* the 20,000th then is at 07:59:58.56: a batch to 08:00, then the rest before 09:30 */
    prune_to(s, day + 9 * hour + hour / 2);
    ck_assert_int_eq(sql_key(s, "SELECT count(*) FROM events"), 2502);
    store_close(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("store");

    setenv("TZ", "UTC", 1);
    tcase_add_test(tc, test_v_events_columns);
    tcase_add_test(tc, test_event_round_trip);
    tcase_add_test(tc, test_sources_by_fingerprint);
    tcase_add_test(tc, test_fingerprint_values);
    tcase_add_test(tc, test_sources_by_file);
    tcase_add_test(tc, test_reply_texts_unique);
    tcase_add_test(tc, test_state_blob);
    tcase_add_test(tc, test_state_blob_fails);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_locked);
    tcase_add_test(tc, test_read_only);
    tcase_add_test(tc, test_background_checkpoints);
    tcase_add_test(tc, test_old_page_size);
    tcase_add_test(tc, test_close_while_tuned);
    tcase_add_test(tc, test_address_keys);
    tcase_add_test(tc, test_trace_shared_key);
    tcase_add_test(tc, test_prune_in_hours);
    suite_add_tcase(s, tc);
    return tu_run_suite(s);
}
