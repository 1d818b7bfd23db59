/*
 * store_ingest - what an ingest writes: sources and their checkpoints, parser state, reply
 * texts, events and samples of unparsed lines (see store.h)
 *
 * PostgreSQL: events go in by COPY (store_pg.c sends them with the checkpoint's commit);
 * a host's files and parser state are its own (origin); a new reply text is added under a
 * transaction-scoped advisory lock, so that two hosts meeting new texts in opposite orders
 * wait for each other instead of deadlocking; the writer of a log holds an advisory lock on
 * it (store_source_lock), so two ingests of one file take turns and the second reads on from
 * the first's checkpoint.
 */
#include "lru.h"
#include "store_internal.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>

#define UNPARSED_LINE_MAX 2000

/*
 * fp_lanes - the two lanes of a fingerprint over head[0..pos). Neither has a final step, so
 * the lanes of a longer head go on from those of a shorter one: store_source_find tries every
 * length in use, shortest first, and hashes the head once, not once per length.
 */
struct fp_lanes {
    uint64_t a, b;
    size_t pos;
};

static void fp_start(struct fp_lanes *f)
{
    f->a = UINT64_C(1469598103934665603); /* FNV-1a, as lru_hash */
    f->b = UINT64_C(0x84222325cbf29ce4);
    f->pos = 0;
}

static void fp_extend(struct fp_lanes *f, const unsigned char *head, size_t n)
{
    uint64_t a = f->a, b = f->b;

    for (size_t i = f->pos; i < n; i++) {
        a ^= head[i];
        a *= UINT64_C(1099511628211);
        b ^= head[i];
        b *= UINT64_C(0x100000001b3);
        b ^= b >> 29;
    }
    f->a = a;
    f->b = b;
    f->pos = n;
}

static void fp_hex(const struct fp_lanes *f, char out[65])
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 0; i < 16; i++) {
        out[i] = digits[(f->a >> (60 - 4 * i)) & 15];
        out[16 + i] = digits[(f->b >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

void store_fingerprint(const unsigned char *head, size_t n, char out[65])
{
    struct fp_lanes f;

    fp_start(&f);
    fp_extend(&f, head, n);
    fp_hex(&f, out);
}

void store_source_free(struct store_source *src)
{
    free(src->path);
    src->path = NULL;
}

#define SOURCE_COLUMNS                                                                             \
    "id, path, dev, inode, size, \"offset\", fingerprint, fp_len, format, lines, events, "         \
    "info_lines, foreign_lines, unparsed_lines, first_seen, last_seen, file_size, mtime_ns, "      \
    "compression, at_end"

/* read_source - a row of SOURCE_COLUMNS into *out */
static void read_source(struct store_stmt *st, struct store_source *out)
{
    memset(out, 0, sizeof *out);
    out->id = store_column_int64(st, 0);
    out->path = xstrdup(store_column_text(st, 1));
    out->dev = store_column_int64(st, 2);
    out->inode = store_column_int64(st, 3);
    out->size = store_column_int64(st, 4);
    out->offset = store_column_int64(st, 5);
    snprintf(out->fingerprint, sizeof out->fingerprint, "%s", store_column_text(st, 6));
    out->fp_len = store_column_int64(st, 7);
    snprintf(out->format, sizeof out->format, "%s", store_column_text(st, 8));
    out->lines = store_column_int64(st, 9);
    out->events = store_column_int64(st, 10);
    out->info_lines = store_column_int64(st, 11);
    out->foreign_lines = store_column_int64(st, 12);
    out->unparsed_lines = store_column_int64(st, 13);
    snprintf(out->first_seen, sizeof out->first_seen, "%s", store_column_text(st, 14));
    snprintf(out->last_seen, sizeof out->last_seen, "%s", store_column_text(st, 15));
    out->file_size = store_column_int64(st, 16);
    out->mtime_ns = store_column_int64(st, 17);
    snprintf(out->compression, sizeof out->compression, "%s", store_column_text(st, 18));
    out->at_end = store_column_int64(st, 19) != 0;
}

/*
 * keep_latest - the row at st into *out when it was seen after *out (the later id when at the
 * same time), or when nothing is in *out yet (*found 0). In C rather than by ORDER BY
 * last_seen DESC, id DESC LIMIT 1: SQLite sorted the one or two rows of a lookup in a
 * temporary B-tree, opened, zeroed and dropped for every file of every run.
 */
static void keep_latest(struct store_stmt *st, struct store_source *out, int *found)
{
    int cmp = *found ? strcmp(store_column_text(st, 15), out->last_seen) : 1;

    if (cmp > 0 || (cmp == 0 && store_column_int64(st, 0) > out->id)) {
        if (*found)
            store_source_free(out);
        read_source(st, out);
        *found = 1;
    }
}

/*
 * store_source_find - the fingerprint is taken at every length in use (almost every source
 * has the full length; a log first seen shorter keeps its own), and the rows are found by it
 * on sources_fingerprint, as are the lengths. Hashing the head for every row, most recently
 * seen first, made each new file cost a hash per source: an import of thousands of hourly
 * logs was quadratic. A hash per length would still be up to a thousand hashes of 1 KiB.
 */
int store_source_find(struct store *s, const unsigned char *head, size_t head_len,
                      struct store_source *out, struct diag *d)
{
    static const char len_sql[] = "SELECT fp_len FROM sources WHERE fp_len > ?1 AND fp_len <= ?2 "
                                  "ORDER BY fp_len LIMIT 1";
    static const char row_sql[] = "SELECT " SOURCE_COLUMNS " FROM sources "
                                  "WHERE fp_len = ?1 AND fingerprint = ?2";
    struct store_stmt *next_len = store_stmt_cached(s, len_sql, d);
    struct store_stmt *row = store_stmt_cached(s, row_sql, d);
    int64_t len = 0;
    struct fp_lanes lanes;
    char fp[65];
    int rc = 0, found = 0;

    if (next_len == NULL || row == NULL)
        return -1;
    fp_start(&lanes);
    /* of the matches of every length, the one seen last (as the rows' order had it) */
    for (;;) {
        store_bind_int64(next_len, 1, len);
        store_bind_int64(next_len, 2, (int64_t)head_len);
        if ((rc = store_step(s, next_len, d)) == 1)
            len = store_column_int64(next_len, 0);
        store_reset(next_len);
        if (rc != 1)
            break;
        fp_extend(&lanes, head, (size_t)len); /* the lengths come in ascending order */
        fp_hex(&lanes, fp);
        store_bind_int64(row, 1, len);
        store_bind_text(row, 2, fp);
        while ((rc = store_step(s, row, d)) == 1)
            keep_latest(row, out, &found);
        store_reset(row);
        if (rc < 0)
            break;
    }
    if (rc < 0) {
        if (found)
            store_source_free(out);
        return -1;
    }
    return found;
}

int store_source_find_file(struct store *s, int64_t dev, int64_t inode, struct store_source *out,
                           struct diag *d)
{
    static const char sql[] = "SELECT " SOURCE_COLUMNS " FROM sources WHERE dev = ?1 AND "
                              "inode = ?2";
    /* a device and inode name a file on one host only */
    static const char sql_pg[] = "SELECT " SOURCE_COLUMNS " FROM sources WHERE dev = ?1 AND "
                                 "inode = ?2 AND origin = ?3";
    struct store_stmt *st = store_stmt_cached(s, STORE_SQL(s, sql, sql_pg), d);
    int rc, found = 0;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, dev);
    store_bind_int64(st, 2, inode);
    if (store_is_pg(s))
        store_bind_text(st, 3, store_origin(s));
    while ((rc = store_step(s, st, d)) == 1)
        keep_latest(st, out, &found);
    store_reset(st);
    if (rc < 0 && found)
        store_source_free(out);
    return rc < 0 ? -1 : found;
}

int store_sources_list(struct store *s, struct store_source **out, size_t *n, struct diag *d)
{
    static const char sql[] =
        "SELECT " SOURCE_COLUMNS " FROM sources ORDER BY last_seen DESC, id DESC";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    struct store_source *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    while ((rc = store_step(s, st, d)) == 1) {
        if (cnt == cap) {
            cap = cap ? cap * 2 : 16;
            v = xreallocarray(v, cap, sizeof *v);
        }
        read_source(st, &v[cnt++]);
    }
    store_reset(st);
    if (rc < 0) {
        for (size_t i = 0; i < cnt; i++)
            store_source_free(&v[i]);
        free(v);
        return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

int store_source_add(struct store *s, struct store_source *src, struct diag *d)
{
    static const char sql[] =
        "INSERT INTO sources (path, dev, inode, size, \"offset\", fingerprint, fp_len, format, "
        "file_size, mtime_ns, compression, at_end) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
    static const char sql_pg[] =
        "INSERT INTO sources (path, dev, inode, size, \"offset\", fingerprint, fp_len, format, "
        "file_size, mtime_ns, compression, at_end, origin) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) RETURNING id";
    struct store_stmt *st = store_stmt_cached(s, STORE_SQL(s, sql, sql_pg), d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_text(st, 1, src->path);
    store_bind_int64(st, 2, src->dev);
    store_bind_int64(st, 3, src->inode);
    store_bind_int64(st, 4, src->size);
    store_bind_int64(st, 5, src->offset);
    store_bind_text(st, 6, src->fingerprint);
    store_bind_int64(st, 7, src->fp_len);
    store_bind_text(st, 8, src->format[0] ? src->format : NULL);
    store_bind_int64(st, 9, src->file_size);
    store_bind_int64(st, 10, src->mtime_ns);
    store_bind_text(st, 11, src->compression[0] ? src->compression : NULL);
    store_bind_int64(st, 12, src->at_end);
    if (store_is_pg(s))
        store_bind_text(st, 13, store_origin(s));
    rc = store_step(s, st, d);
    store_reset(st);
    if (rc < 0)
        return -1;
    src->id = store_last_insert_id(s);
    return 0;
}

int store_source_update(struct store *s, const struct store_source *src, struct diag *d)
{
#define SOURCE_SET                                                                                 \
    "UPDATE sources SET path = ?2, dev = ?3, inode = ?4, size = ?5, \"offset\" = ?6, "             \
    "fingerprint = ?7, fp_len = ?8, format = ?9, lines = ?10, events = ?11, "                      \
    "info_lines = ?12, foreign_lines = ?13, unparsed_lines = ?14, file_size = ?15, "               \
    "mtime_ns = ?16, compression = ?17, at_end = ?18, "
    static const char sql[] =
        SOURCE_SET "last_seen = strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1";
    static const char sql_pg[] = SOURCE_SET "last_seen = to_char(now() AT TIME ZONE 'UTC', "
                                            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') WHERE id = ?1";
    struct store_stmt *st = store_stmt_cached(s, STORE_SQL(s, sql, sql_pg), d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, src->id);
    store_bind_text(st, 2, src->path);
    store_bind_int64(st, 3, src->dev);
    store_bind_int64(st, 4, src->inode);
    store_bind_int64(st, 5, src->size);
    store_bind_int64(st, 6, src->offset);
    store_bind_text(st, 7, src->fingerprint);
    store_bind_int64(st, 8, src->fp_len);
    store_bind_text(st, 9, src->format[0] ? src->format : NULL);
    store_bind_int64(st, 10, src->lines);
    store_bind_int64(st, 11, src->events);
    store_bind_int64(st, 12, src->info_lines);
    store_bind_int64(st, 13, src->foreign_lines);
    store_bind_int64(st, 14, src->unparsed_lines);
    store_bind_int64(st, 15, src->file_size);
    store_bind_int64(st, 16, src->mtime_ns);
    store_bind_text(st, 17, src->compression[0] ? src->compression : NULL);
    store_bind_int64(st, 18, src->at_end);
    rc = store_step(s, st, d);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int store_state_load(struct store *s, const char *format, struct strbuf *out, struct diag *d)
{
    static const char sql[] = "SELECT state FROM parser_state WHERE format = ?1";
    static const char sql_pg[] = "SELECT state FROM parser_state WHERE format = ?1 AND "
                                 "origin = ?2";
    struct store_stmt *st = store_stmt_cached(s, STORE_SQL(s, sql, sql_pg), d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_text(st, 1, format);
    if (store_is_pg(s))
        store_bind_text(st, 2, store_origin(s));
    if ((rc = store_step(s, st, d)) == 1)
        strbuf_append(out, store_column_blob(st, 0), store_column_bytes(st, 0));
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int store_state_save(struct store *s, const char *format, const char *data, size_t len,
                     struct diag *d)
{
    /*
     * Room for the state, written afterwards through store_blob_write: a bound blob of
     * megabytes (Exchange's is 18.8 MB after 1M lines) is first copied whole into the record
     * SQLite builds, which was a seventh of an Exchange ingest's peak memory.
     */
    static const char sql[] = "INSERT INTO parser_state (format, state) VALUES (?1, zeroblob(?2)) "
                              "ON CONFLICT (format) DO UPDATE SET state = excluded.state "
                              "RETURNING rowid";
    static const char sql_pg[] =
        "INSERT INTO parser_state (format, state, origin) "
        "VALUES (?1, ?2, ?3) "
        "ON CONFLICT (origin, format) DO UPDATE SET state = excluded.state";
    struct store_stmt *st = store_stmt_cached(s, STORE_SQL(s, sql, sql_pg), d), *q;
    int64_t secure = 0;
    int rc, pg = store_is_pg(s);

    if (st == NULL)
        return -1;
    /*
     * The state replaces its previous copy at every checkpoint: megabytes for Exchange and
     * Exim. Debian builds SQLite with secure deletion on, which zeroes every page the old copy
     * frees and writes it again, though the next copy reuses those pages. Off for this
     * statement alone (and back to what it was), so what prune deletes is zeroed as before.
     */
    if (!pg) {
        if ((q = store_stmt_cached(s, "PRAGMA secure_delete", d)) == NULL)
            return -1;
        if ((rc = store_step(s, q, d)) == 1)
            secure = store_column_int64(q, 0);
        store_reset(q);
        if (rc < 0 || (secure != 0 && store_exec(s, "PRAGMA secure_delete = 0", d) < 0))
            return -1;
    }
    store_bind_text(st, 1, format);
    if (pg) {
        store_bind_blob(st, 2, data, len);
        store_bind_text(st, 3, store_origin(s));
        rc = store_step(s, st, d);
        store_reset(st);
    } else {
        store_bind_int64(st, 2, (int64_t)len);
        if ((rc = store_step(s, st, d)) == 1) {
            int64_t rowid = store_column_int64(st, 0);
            store_reset(st);
            rc = len > 0 ? store_blob_write(s, "parser_state", "state", rowid, data, len, d) : 0;
        } else {
            store_reset(st);
            if (rc == 0) /* no row: a trigger of the admin's skipped the insert */
                rc = diag_set(d, "%s: the parser state was not saved", store_path(s));
        }
    }
    if (secure != 0) {
        /* FAST reads back as 2, but "= 2" would set 1 */
        const char *back = secure == 2 ? "PRAGMA secure_delete = FAST" : "PRAGMA secure_delete = 1";
        if (store_exec(s, back, d) < 0)
            rc = -1;
    }
    return rc < 0 ? -1 : 0;
}

static void bind_reply_key(struct store_stmt *st, const struct reply_key *key)
{
    store_bind_text(st, 1, key->template_text);
    store_bind_int64(st, 2, key->reply_code);
    store_bind_text(st, 3, key->status ? key->status : "");
    store_bind_int64(st, 4, key->stage);
    store_bind_int64(st, 5, key->kind);
    store_bind_int64(st, 6, key->direction);
    store_bind_text(st, 7, key->mta ? key->mta : "");
}

int store_reply_text_find(struct store *s, const struct reply_key *key, int64_t *id, struct diag *d)
{
    static const char sql[] = "SELECT id FROM reply_texts WHERE template = ?1 AND "
                              "reply_code = ?2 AND status = ?3 AND stage = ?4 AND kind = ?5 AND "
                              "direction = ?6 AND mta = ?7";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    bind_reply_key(st, key);
    if ((rc = store_step(s, st, d)) == 1)
        *id = store_column_int64(st, 0);
    store_reset(st);
    return rc;
}

int store_reply_text_add(struct store *s, const struct reply_key *key, const char *category,
                         const char *rule, const char *rules_hash, int64_t *id, struct diag *d)
{
    static const char sql[] =
        "INSERT INTO reply_texts (template, reply_code, status, stage, kind, direction, mta, "
        "category, rule, rules_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    /* another host may have added it since this one looked: then it is found below */
    static const char sql_pg[] =
        "INSERT INTO reply_texts (template, reply_code, status, stage, kind, direction, mta, "
        "category, rule, rules_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT DO NOTHING RETURNING id";
    static const char lock_pg[] = "SELECT pg_advisory_xact_lock(1380600915, -2)";
    struct store_stmt *st;
    int rc;

    if (store_is_pg(s)) {
        if ((st = store_stmt_cached(s, lock_pg, d)) == NULL)
            return -1;
        rc = store_step(s, st, d);
        store_reset(st);
        if (rc < 0)
            return -1;
    }
    if ((st = store_stmt_cached(s, STORE_SQL(s, sql, sql_pg), d)) == NULL)
        return -1;
    bind_reply_key(st, key);
    store_bind_text(st, 8, category);
    store_bind_text(st, 9, rule);
    store_bind_text(st, 10, rules_hash);
    rc = store_step(s, st, d);
    store_reset(st);
    if (rc < 0)
        return -1;
    if (store_is_pg(s) && rc == 0)
        return store_reply_text_find(s, key, id, d) == 1 ? 0 : -1;
    *id = store_last_insert_id(s);
    return 0;
}

#define EVENT_COLUMN_NAMES                                                                         \
    "ts, ts_prec, host, mta, program, kind, direction, stage, queue_id, "                          \
    "parent_queue_id, message_id, client_ip, client_name, helo, sender, recipient, "               \
    "orig_recipient, relay, reply_code, status, text, size, reply_text_id, source_id, "            \
    "\"offset\""
/* OR FAIL: no row of ours breaks a constraint, and this spares SQLite the statement journal
 * it keeps for a multi-row INSERT that could stop half way (in /var/tmp, past 64 KB) */
/* SQLite's rows carry the address keys of schema 8 too, as parameters 26 to 28 (bind_keys);
 * PostgreSQL has no such columns */
#define EVENT_INSERT                                                                               \
    "INSERT OR FAIL INTO events (" EVENT_COLUMN_NAMES ", recipient_key, sender_key, "              \
    "orig_recipient_key) VALUES "
#define EVENT_COLUMNS 28
#define EVENT_ROW     "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
#define EVENT_ROWS4   EVENT_ROW "," EVENT_ROW "," EVENT_ROW "," EVENT_ROW
#define EVENT_ROWS16  EVENT_ROWS4 "," EVENT_ROWS4 "," EVENT_ROWS4 "," EVENT_ROWS4
#define EVENT_ROWS64  EVENT_ROWS16 "," EVENT_ROWS16 "," EVENT_ROWS16 "," EVENT_ROWS16

/*
 * bind_str - string field f of an event as parameter idx: its length from lens when the caller
 * knows it (an event batch's row), else SQLite measures it
 */
static void bind_str(struct store_stmt *st, int idx, const char *v, const uint32_t *lens,
                     enum evbatch_str f)
{
    if (v != NULL && lens != NULL)
        store_bind_textn(st, idx, v, lens[f]);
    else
        store_bind_text(st, idx, v); /* NULL binds NULL */
}

/* bind_event - the event's 25 values as parameters base+1 .. base+25; lens: see bind_str */
static void bind_event(struct store_stmt *st, int base, const struct event *ev,
                       const uint32_t *lens, int64_t source_id, int64_t reply_text_id)
{
    store_bind_int64(st, base + 1, ev->ts_us);
    store_bind_int64(st, base + 2, ev->ts_prec);
    bind_str(st, base + 3, ev->host, lens, EVB_HOST);
    if (ev->mta != NULL)
        bind_str(st, base + 4, ev->mta, lens, EVB_MTA);
    else
        store_bind_text(st, base + 4, "");
    bind_str(st, base + 5, ev->program, lens, EVB_PROGRAM);
    store_bind_int64(st, base + 6, ev->kind);
    store_bind_int64(st, base + 7, ev->direction);
    store_bind_int64(st, base + 8, ev->stage);
    bind_str(st, base + 9, ev->queue_id, lens, EVB_QUEUE_ID);
    bind_str(st, base + 10, ev->parent_queue_id, lens, EVB_PARENT_QUEUE_ID);
    bind_str(st, base + 11, ev->message_id, lens, EVB_MESSAGE_ID);
    bind_str(st, base + 12, ev->client_ip, lens, EVB_CLIENT_IP);
    bind_str(st, base + 13, ev->client_name, lens, EVB_CLIENT_NAME);
    bind_str(st, base + 14, ev->helo, lens, EVB_HELO);
    bind_str(st, base + 15, ev->sender, lens, EVB_SENDER);
    bind_str(st, base + 16, ev->recipient, lens, EVB_RECIPIENT);
    bind_str(st, base + 17, ev->orig_recipient, lens, EVB_ORIG_RECIPIENT);
    bind_str(st, base + 18, ev->relay, lens, EVB_RELAY);
    if (ev->reply_code > 0)
        store_bind_int64(st, base + 19, ev->reply_code);
    else
        store_bind_null(st, base + 19);
    bind_str(st, base + 20, ev->status, lens, EVB_STATUS);
    bind_str(st, base + 21, ev->text, lens, EVB_TEXT);
    if (ev->size >= 0)
        store_bind_int64(st, base + 22, ev->size);
    else
        store_bind_null(st, base + 22);
    if (reply_text_id > 0)
        store_bind_int64(st, base + 23, reply_text_id);
    else
        store_bind_null(st, base + 23);
    if (source_id > 0)
        store_bind_int64(st, base + 24, source_id);
    else
        store_bind_null(st, base + 24);
    store_bind_int64(st, base + 25, ev->offset);
}

/* bind_key - the key of an address as parameter idx (keys: made already, else made here); NULL
 * without an address */
static void bind_key(struct store_stmt *st, int idx, const char *addr, const int64_t *keys,
                     enum evbatch_key k)
{
    if (addr == NULL)
        store_bind_null(st, idx);
    else
        store_bind_int64(st, idx, keys != NULL ? keys[k] : store_address_key(addr, strlen(addr)));
}

/* bind_keys - the keys of the recipient, sender and original recipient as base+26 .. base+28 */
static void bind_keys(struct store_stmt *st, int base, const struct event *ev, const int64_t *keys)
{
    bind_key(st, base + 26, ev->recipient, keys, EVB_KEY_RECIPIENT);
    bind_key(st, base + 27, ev->sender, keys, EVB_KEY_SENDER);
    bind_key(st, base + 28, ev->orig_recipient, keys, EVB_KEY_ORIG_RECIPIENT);
}

int store_event_add(struct store *s, const struct event *ev, int64_t source_id,
                    int64_t reply_text_id, struct diag *d)
{
    static const char sql[] = EVENT_INSERT EVENT_ROW;
    /* the same columns in the same order: each step is a row of the COPY, sent at commit */
    static const char sql_pg[] = "COPY events (" EVENT_COLUMN_NAMES ") FROM STDIN";
    struct store_stmt *st = store_stmt_cached(s, STORE_SQL(s, sql, sql_pg), d);
    int rc;

    if (st == NULL)
        return -1;
    store_partition_ensure(s, ev->ts_us);
    bind_event(st, 0, ev, NULL, source_id, reply_text_id);
    if (!store_is_pg(s))
        bind_keys(st, 0, ev, NULL);
    rc = store_step(s, st, d);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/*
 * store_events_add - the whole batch, 64 rows to a statement. SQLite's per-statement work
 * (the start and end of the statement, and the table it makes for the IN list of the
 * events_failures index's WHERE, opened and closed again for a one-row INSERT, only emptied
 * between the rows of one) is then paid once per 64 events: on schema 3, 58,000
 * instructions an event became 28,000.
 */
int store_events_add(struct store *s, const struct evbatch *b, int64_t source_id, struct diag *d)
{
    static const char sql[] = EVENT_INSERT EVENT_ROWS64;
    enum { PER_STMT = 64 };
    struct store_stmt *st = NULL;
    struct event ev;
    size_t i = 0;
    int rc;

    /* PostgreSQL: each event is already a row of one COPY (store_event_add), all go there */
    if (!store_is_pg(s) && b->n >= PER_STMT && (st = store_stmt_cached(s, sql, d)) == NULL)
        return -1;
    for (; !store_is_pg(s) && i + PER_STMT <= b->n; i += PER_STMT) {
        for (int k = 0; k < PER_STMT; k++) {
            const struct evbatch_row *r = &b->rows[i + (size_t)k];
            evbatch_event(b, r, &ev);
            bind_event(st, k * EVENT_COLUMNS, &ev, r->len, source_id, r->reply_text_id);
            bind_keys(st, k * EVENT_COLUMNS, &ev, r->key);
        }
        rc = store_step(s, st, d);
        store_reset_rebind(st); /* bind_event and bind_keys bind every parameter */
        if (rc < 0)
            return -1;
    }
    for (; i < b->n; i++) {
        evbatch_event(b, &b->rows[i], &ev);
        if (store_event_add(s, &ev, source_id, b->rows[i].reply_text_id, d) < 0)
            return -1;
    }
    return 0;
}

int store_unparsed_add(struct store *s, int64_t source_id, int64_t offset, const char *why,
                       const char *line, size_t len, struct diag *d)
{
    static const char sql[] = "INSERT INTO unparsed_lines (source_id, \"offset\", reason, line) "
                              "VALUES (?1, ?2, ?3, ?4)";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    if (source_id > 0)
        store_bind_int64(st, 1, source_id);
    store_bind_int64(st, 2, offset);
    store_bind_text(st, 3, why);
    /* bound as a blob: the line may hold NUL bytes or invalid UTF-8 */
    store_bind_blob(st, 4, line, len > UNPARSED_LINE_MAX ? UNPARSED_LINE_MAX : len);
    rc = store_step(s, st, d);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* run_pg - one statement of PostgreSQL's with an optional number, no rows wanted */
static int run_pg(struct store *s, const char *sql, int with_arg, int64_t arg, struct diag *d)
{
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    if (with_arg)
        store_bind_int64(st, 1, arg);
    rc = store_step(s, st, d);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

int store_source_lock(struct store *s, const unsigned char *head, size_t n, int wait,
                      struct diag *d)
{
    static const char lock_pg[] = "SELECT pg_advisory_lock(?1)";
    static const char try_pg[] = "SELECT pg_try_advisory_lock(?1)::int";
    const unsigned char *nl = memchr(head, '\n', n);
    /* the first line: it stays the same while the log grows */
    int64_t key = (int64_t)lru_hash((const char *)head, nl ? (size_t)(nl - head) : n);
    struct store_stmt *st;
    int rc;

    if (!store_is_pg(s))
        return 1; /* SQLite: the run lock beside the file (cli_lock_run) does it */
    if (wait) {
        if (run_pg(s, lock_pg, 1, key, d) < 0) {
            diag_prefix(d, "waiting for another ingest of the same log");
            return -1;
        }
        return 1;
    }
    if ((st = store_stmt_cached(s, try_pg, d)) == NULL)
        return -1;
    store_bind_int64(st, 1, key);
    if ((rc = store_step(s, st, d)) == 1)
        rc = store_column_int64(st, 0) != 0;
    else if (rc == 0)
        rc = diag_set(d, "pg_try_advisory_lock returned no row");
    store_reset(st);
    return rc;
}

int store_source_unlock(struct store *s, struct diag *d)
{
    static const char unlock_pg[] = "SELECT pg_advisory_unlock_all()";

    return store_is_pg(s) ? run_pg(s, unlock_pg, 0, 0, d) : 0;
}
