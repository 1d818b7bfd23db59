/*
 * store - the connection to the SQLite database (see store.h, store_internal.h)
 *
 * DESCRIPTION
 *	Opens the database, sets the pragmas that make a nightly writer and an admin's reader get
 *	along (WAL, a busy timeout), refuses files that are not rejectlens databases or that come
 *	from a newer schema, migrates older ones, and wraps SQLite's statement API for the other
 *	store files. This is the only file that includes sqlite3.h.
 *
 * DIAGNOSTICS
 *	Every message starts with the database path. A lock held by another writer longer than
 *	the busy timeout, a full disk, a read-only file and a corrupt file each get their own words.
 *
 *	A --db that is a PostgreSQL URI or connection string (store_is_remote) opens the
 *	PostgreSQL backend instead (store_pg.c); each function below hands such a store over.
 */
#include "store.h"
#include "store_internal.h"
#include "store_pg.h"
#include "xalloc.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <string.h>
#include <strings.h>

#define STORE_MAX_CACHED 96
#define INGEST_CACHE_KIB 16384 /* the page cache of a bulk ingest (store_ingest_tuning) */
/* the WAL's size after which a checkpoint runs: SQLite's default of 1,000 frames of 4 KiB,
 * kept in bytes so that a database's page size does not change it */
#define CHECKPOINT_KIB 4000
/* the WAL's size after which the writer lets it start again (test_store builds this file with
 * less) */
#ifndef STORE_SETTLE_KIB
#define STORE_SETTLE_KIB (128 * 1024)
#endif

/*
 * A bulk ingest's checkpoints run in a thread of their own, on a connection of their own.
 * A checkpoint copies the WAL into the database file and waits for both to reach the disk
 * (two fdatasyncs): done by the writer itself, as SQLite's automatic checkpoint does, that
 * wait stops the ingest (1M Postfix lines: ~0.6 s of a 4 s ingest in fdatasync). A PASSIVE
 * checkpoint never waits for the writer, nor the writer for it; the writer's commits only
 * say when one is due.
 *
 * But the WAL starts again from its beginning only when a write transaction begins with every
 * frame copied, and the writer begins its next one right after a commit, before the copy of
 * that commit is done: the WAL would grow for the whole ingest (225 MB for 1M Exim lines).
 * So once it holds STORE_SETTLE_KIB, the writer's next begin waits for the copy in flight,
 * as it waited for every checkpoint before: one wait in a few batches, not one a batch.
 */
struct checkpointer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* the thread waits here for work */
    pthread_cond_t idle;   /* and says here that it has none */
    sqlite3 *db;           /* used by the thread alone */
    int checkpoint_frames; /* CHECKPOINT_KIB in frames of this database's pages */
    int settle_frames;     /* STORE_SETTLE_KIB in frames */
    int wanted;            /* the writer committed past checkpoint_frames since the last run */
    int running;
    int settle; /* the WAL has grown past settle_frames: the writer's next begin waits */
    int stop;
    int64_t runs;
};

static void checkpointer_settle(struct checkpointer *c);
static void checkpointer_stop(struct store *s);

/* a statement of either backend */
struct store_stmt {
    sqlite3_stmt *lite;
    struct store_pg_stmt *pg;
};

struct cached_stmt {
    const char *sql;
    struct store_stmt *stmt;
};

struct store {
    sqlite3 *db;
    struct store_pg *pg; /* PostgreSQL: db is NULL */
    char *path;
    enum store_mode mode;
    int busy_ms;
    int was_busy; /* the last failure was another writer's lock (store_was_busy) */
    int in_txn;
    int64_t saved_cache_size; /* PRAGMA cache_size before store_ingest_tuning; 0: not tuned */
    int64_t page_size;        /* SQLite: the database's, in bytes */
    struct cached_stmt cache[STORE_MAX_CACHED];
    size_t ncache;
    struct checkpointer *ckpt; /* during a bulk ingest (store_ingest_tuning) */
    int64_t ckpt_runs;         /* the checkpoints it ran, over every ingest of this connection */
    void *rollup;              /* what store_rollup.c keeps for this connection */
    void (*rollup_free)(void *);
};

/* wal_frames - how many of the database's pages make KIB KiB (at least one) */
static int64_t wal_frames(const struct store *s, int64_t kib)
{
    int64_t page = s->page_size > 0 ? s->page_size : 4096;

    return kib * 1024 / page > 0 ? kib * 1024 / page : 1;
}

/*
 * at_size_limit - 1 when a file size limit (ulimit -f) is set and the database or its WAL has
 * grown to it: the reason of a write error SQLite reports without an errno
 */
static int at_size_limit(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-journal"};
    struct rlimit rl;
    char file[4200];
    struct stat sb;

    if (getrlimit(RLIMIT_FSIZE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(file, sizeof file, "%s%s", path, suffix[i]);
        if (stat(file, &sb) == 0 && (rlim_t)sb.st_size + 65536 >= rl.rlim_cur)
            return 1;
    }
    return 0;
}

/* fail - record SQLite's complaint, in words an admin can act on */
static int fail(struct store *s, int rc, const char *what, struct diag *d)
{
    int sys = errno; /* first: what the failed call left, before anything else runs */
    const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

    /* SQLite says "disk I/O error" when a write fails outright; the errno says why (SQLite's
     * own record of it, sqlite3_system_errno, is lost when the transaction rolls back) */
    if (s->db != NULL && sqlite3_system_errno(s->db) != 0)
        sys = sqlite3_system_errno(s->db);
    if ((rc & 0xff) == SQLITE_IOERR && (sys == ENOSPC || sys == EDQUOT || sys == EFBIG))
        return diag_set(d, "%s: disk full while %s (%s); nothing after the last commit was kept",
                        s->path, what, strerror(sys));
    s->was_busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return diag_set(d, "%s: database is locked by another process (waited %d ms)", s->path,
                        s->busy_ms);
    case SQLITE_FULL:
        return diag_set(d, "%s: disk full while %s; nothing after the last commit was kept",
                        s->path, what);
    case SQLITE_READONLY:
        return diag_set(d, "%s: database is read-only (%s)", s->path, msg);
    case SQLITE_NOTADB:
        return diag_set(d, "%s: not a database file", s->path);
    case SQLITE_CORRUPT:
        return diag_set(d, "%s: database file is corrupt (%s); restore it from a backup", s->path,
                        msg);
    case SQLITE_CANTOPEN:
        return diag_set(d, "%s: cannot open database (%s)", s->path, msg);
    case SQLITE_IOERR: {
        int e = s->db ? sqlite3_system_errno(s->db) : 0;
        if (e == 0 && at_size_limit(s->path))
            e = EFBIG; /* SQLite keeps no errno of a failed write; the limit explains it */
        if (e == EFBIG)
            return diag_set(d,
                            "%s: file size limit reached while %s (%s; nothing after the last "
                            "commit was kept)",
                            s->path, what, strerror(e));
        return diag_set(d, "%s: I/O error while %s (%s%s%s)", s->path, what, msg, e ? ": " : "",
                        e ? strerror(e) : "");
    }
    default:
        return diag_set(d, "%s: %s: %s", s->path, what, msg);
    }
}

int store_exec(struct store *s, const char *sql, struct diag *d)
{
    if (s->pg != NULL)
        return store_pg_exec(s->pg, sql, d);
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

    return rc == SQLITE_OK ? 0 : fail(s, rc, "running SQL", d);
}

static int query_int(struct store *s, const char *sql, int64_t *out, struct diag *d)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

    if (rc != SQLITE_OK)
        return fail(s, rc, "reading the database header", d);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        *out = 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                 : fail(s, rc, "reading the database header", d);
}

int store_schema_version(struct store *s, int *version, struct diag *d)
{
    int64_t v;

    if (s->pg != NULL)
        return store_pg_schema_version(s->pg, version, d);
    if (query_int(s, "PRAGMA user_version", &v, d) < 0)
        return -1;
    *version = (int)v;
    return 0;
}

int64_t store_address_key(const char *addr, size_t len)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a, 64 bits */

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)addr[i];
        h ^= c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
        h *= UINT64_C(0x100000001b3);
    }
    /* 48 bits: SQLite stores the key in 6 bytes instead of 8, and an index entry is shorter */
    return (int64_t)(h >> 16);
}

/*
 * address_key_sql - rejectlens_address_key(address): the same key in SQL; NULL for NULL. Out
 * of memory is an error, not a NULL key: migration 8 must not store an event without its key.
 */
static void address_key_sql(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const unsigned char *text;

    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    if ((text = sqlite3_value_text(argv[0])) == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_int64(
        ctx, store_address_key((const char *)text, (size_t)sqlite3_value_bytes(argv[0])));
}

/*
 * add_functions - the SQL functions of a connection: rejectlens_address_key for migration 8's
 * back-fill and for an admin's look-up by address (docs/schema.md)
 */
static int add_functions(struct store *s, struct diag *d)
{
    int rc = sqlite3_create_function(s->db, "rejectlens_address_key", 1,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                     address_key_sql, NULL, NULL);

    return rc == SQLITE_OK ? 0 : fail(s, rc, "registering SQL functions", d);
}

int store_is_remote(const char *db)
{
    static const char *const keywords[] = {"host",    "hostaddr", "port",    "dbname", "user",
                                           "service", "password", "sslmode", "options"};
    size_t n;

    if (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0)
        return 1;
    /* a libpq connection string starts with one of its keywords and '=' */
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        n = strlen(keywords[i]);
        if (strncmp(db, keywords[i], n) == 0 && (db[n] == '=' || db[n] == ' '))
            return strchr(db, '=') != NULL;
    }
    return 0;
}

/* open_pg - the PostgreSQL half of store_open: connect, check what is there, migrate */
static int open_pg(struct store *s, struct store **out, struct diag *d)
{
    int version, foreign;

    if (store_pg_open(s->path, s->mode != STORE_READ_WRITE, s->busy_ms, &s->pg, d) < 0)
        goto fail;
    free(s->path);
    s->path = xstrdup(store_pg_name(s->pg));
    if ((foreign = store_pg_foreign(s->pg, d)) < 0 || store_schema_version(s, &version, d) < 0)
        goto fail;
    if (foreign) {
        diag_set(d,
                 "%s: not a rejectlens database (it holds other tables named events or "
                 "sources); give another database, or a schema in options=-csearch_path=...",
                 s->path);
        goto fail;
    }
    if (version > STORE_SCHEMA_VERSION) {
        diag_set(d,
                 "%s: schema version %d is newer than this rejectlens understands (%d); "
                 "use a newer rejectlens",
                 s->path, version, STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (s->mode == STORE_READ_ONLY && version < STORE_SCHEMA_VERSION) {
        diag_set(d, "%s: %s; 'rejectlens db migrate' (or the next ingest) creates or upgrades it",
                 s->path,
                 version == 0 ? "no rejectlens schema in this database yet"
                              : "the schema is older than this rejectlens");
        goto fail;
    }
    if (s->mode == STORE_READ_WRITE && version < STORE_SCHEMA_VERSION &&
        store_migrate(s, version, d) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

void store_process_init(void)
{
    /* nothing here reads sqlite3_memory_used() or sets a heap limit, which the counting is
     * for; a failure (SQLite already initialised) leaves the default */
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *path, enum store_mode mode, int busy_ms, struct store **out,
               struct diag *d)
{
    struct store *s = xcalloc(1, sizeof *s);
    int flags = mode != STORE_READ_WRITE ? SQLITE_OPEN_READONLY
                                         : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int64_t app_id, tables;
    int version, rc;

    s->path = xstrdup(path);
    s->mode = mode;
    s->busy_ms = busy_ms;
    if (store_is_remote(path))
        return open_pg(s, out, d);
    rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (mode != STORE_READ_WRITE && (rc & 0xff) == SQLITE_CANTOPEN)
            diag_set(d, "%s: no database there (run 'rejectlens ingest' first, or give --db)",
                     path);
        else
            fail(s, rc, "opening", d);
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, busy_ms);
    if (add_functions(s, d) < 0)
        goto fail;
    if (query_int(s, "PRAGMA application_id", &app_id, d) < 0 ||
        query_int(s, "SELECT count(*) FROM sqlite_master", &tables, d) < 0 ||
        store_schema_version(s, &version, d) < 0)
        goto fail;
    if (app_id != STORE_APPLICATION_ID && (app_id != 0 || tables > 0)) {
        diag_set(d, "%s: not a rejectlens database (it holds other data); give another --db", path);
        goto fail;
    }
    if (version > STORE_SCHEMA_VERSION) {
        diag_set(d,
                 "%s: schema version %d is newer than this rejectlens understands (%d); "
                 "use a newer rejectlens",
                 path, version, STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (mode != STORE_READ_WRITE) {
        if (mode == STORE_READ_ONLY && version == 0 && tables == 0) {
            /*
             * Nothing was ever committed: a first ingest stopped before its first batch (or
             * the file is empty). That is a database with no events, as after no batch at all;
             * it is read from an empty schema in memory, the file left as it is.
             */
            sqlite3_close(s->db);
            s->db = NULL;
            rc = sqlite3_open_v2(":memory:", &s->db, SQLITE_OPEN_READWRITE, NULL);
            if (rc != SQLITE_OK) {
                fail(s, rc, "opening", d);
                goto fail;
            }
            if (add_functions(s, d) < 0)
                goto fail;
            if (store_migrate(s, 0, d) < 0)
                goto fail;
        } else if (mode == STORE_READ_ONLY && version < STORE_SCHEMA_VERSION) {
            diag_set(d,
                     "%s: schema version %d is older than %d; 'rejectlens db migrate' (or the "
                     "next ingest, run or report by its owner) upgrades it",
                     path, version, STORE_SCHEMA_VERSION);
            goto fail;
        }
        if (store_exec(s, "PRAGMA query_only = 1", d) < 0)
            goto fail;
        *out = s;
        return 0;
    }
    /*
     * 16 KiB pages for a new database (SQLite fixes the size when it first writes the file):
     * each event updates eight index B-trees, and with a quarter as many pages per tree the
     * ingest spends 13-20 % less time (docs/performance.md, "Page size"). A database made
     * before keeps its 4 KiB pages; only a VACUUM would change them.
     */
    if (tables == 0 && store_exec(s, "PRAGMA page_size = 16384", d) < 0)
        goto fail;
    /* WAL: an admin's query never blocks the nightly ingest, nor the other way round */
    /* a writer's page cache holds the newest part of each index (bench/INDEXES.md: with the
     * default 2 MB, index pages are read back and written out again for every batch) */
    if (store_exec(s, "PRAGMA journal_mode = WAL", d) < 0 ||
        store_exec(s, "PRAGMA synchronous = NORMAL", d) < 0 ||
        store_exec(s, "PRAGMA cache_size = -65536", d) < 0 ||
        store_exec(s, "PRAGMA foreign_keys = OFF", d) < 0 ||
        store_exec(s, "PRAGMA journal_size_limit = 0", d) < 0)
        goto fail;
    /*
     * Keep the -wal and -shm files when the writer closes (the -wal emptied: the database file
     * is whole on its own). A reader of a WAL database needs them, and one that may not create
     * files in the directory (an admin reading the nightly database of root's cron job) could
     * not open it otherwise.
     */
    int persist = 1;
    sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    if (query_int(s, "PRAGMA page_size", &s->page_size, d) < 0)
        goto fail;
    sqlite3_wal_autocheckpoint(s->db, (int)wal_frames(s, CHECKPOINT_KIB));
    if (version < STORE_SCHEMA_VERSION && store_migrate(s, version, d) < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

void store_close(struct store *s)
{
    if (s == NULL)
        return;
    if (s->in_txn)
        store_rollback(s);
    checkpointer_stop(s); /* before the writer's close, which must be the last connection */
    for (size_t i = 0; i < s->ncache; i++)
        store_stmt_finalize(s->cache[i].stmt);
    store_pg_close(s->pg);
    if (s->db != NULL) {
        /* a clean close folds the WAL back, so the file is whole on its own */
        sqlite3_close(s->db);
    }
    if (s->rollup_free != NULL)
        s->rollup_free(s->rollup);
    free(s->path);
    free(s);
}

void **store_rollup_state(struct store *s, void (*free_fn)(void *))
{
    s->rollup_free = free_fn;
    return &s->rollup;
}

const char *store_path(const struct store *s)
{
    return s->path;
}

int store_begin(struct store *s, struct diag *d)
{
    if (s->pg != NULL)
        return store_pg_begin(s->pg, d);
    if (s->ckpt != NULL)
        checkpointer_settle(s->ckpt);
    if (store_exec(s, "BEGIN IMMEDIATE", d) < 0)
        return -1;
    s->in_txn = 1;
    return 0;
}

int store_commit(struct store *s, struct diag *d)
{
    if (s->pg != NULL)
        return store_pg_commit(s->pg, d);
    int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);

    if (rc != SQLITE_OK) {
        fail(s, rc, "committing", d);
        store_rollback(s);
        return -1;
    }
    s->in_txn = 0;
    return 0;
}

int store_read_begin(struct store *s, struct diag *d)
{
    if (s->pg != NULL)
        return 0; /* each statement reads its own snapshot there, as before */
    if (store_exec(s, "BEGIN DEFERRED", d) < 0)
        return -1;
    s->in_txn = 1;
    return 0;
}

void store_read_end(struct store *s)
{
    if (s->pg == NULL)
        store_rollback(s); /* nothing was written: ending is all it does */
}

int store_writable(const struct store *s)
{
    return s->mode == STORE_READ_WRITE;
}

int store_was_busy(const struct store *s)
{
    return s->pg == NULL && s->was_busy;
}

void store_rollback(struct store *s)
{
    if (s->pg != NULL) {
        store_pg_rollback(s->pg);
        return;
    }
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_txn = 0;
}

static void *checkpointer_main(void *arg)
{
    struct checkpointer *c = arg;

    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->wanted && !c->stop)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->wanted) /* stopped, nothing due: the writer's close checkpoints the rest */
            break;
        c->wanted = 0;
        c->running = 1;
        pthread_mutex_unlock(&c->mu);
        /*
         * Errors are left to the writer: what it committed is in the WAL whether or not it was
         * copied, a full disk fails its next write too, and its close checkpoints again. BUSY
         * (an admin's reader on an old snapshot) only means less was copied this time.
         */
        sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&c->mu);
        c->running = 0;
        c->runs++;
        pthread_cond_broadcast(&c->idle);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* on_wal_commit - the writer's commit left frames in the WAL (its thread; SQLite's wal hook) */
static int on_wal_commit(void *ctx, sqlite3 *db, const char *name, int frames)
{
    struct checkpointer *c = ctx;

    (void)db;
    (void)name;
    if (frames >= c->checkpoint_frames) {
        pthread_mutex_lock(&c->mu);
        c->wanted = 1;
        c->settle |= frames >= c->settle_frames;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    return SQLITE_OK;
}

/* checkpointer_settle - before a write transaction: when the WAL has grown, the copy first */
static void checkpointer_settle(struct checkpointer *c)
{
    pthread_mutex_lock(&c->mu);
    if (c->settle) {
        while (c->wanted || c->running)
            pthread_cond_wait(&c->idle, &c->mu);
        c->settle = 0;
    }
    pthread_mutex_unlock(&c->mu);
}

/*
 * checkpointer_start - checkpoints in a thread from now on; when its connection or thread
 * cannot be had, SQLite's own checkpoints go on in the writer's thread, as before
 */
static void checkpointer_start(struct store *s)
{
    struct checkpointer *c;

    if (!sqlite3_threadsafe()) /* a library built without mutexes: one thread it is */
        return;
    c = xcalloc(1, sizeof *c);
    c->checkpoint_frames = (int)wal_frames(s, CHECKPOINT_KIB);
    c->settle_frames = (int)wal_frames(s, STORE_SETTLE_KIB);
    if (sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(c->db);
        free(c);
        return;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_cond_init(&c->idle, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        pthread_cond_destroy(&c->idle);
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        sqlite3_close(c->db);
        free(c);
        return;
    }
    s->ckpt = c;
    sqlite3_wal_hook(s->db, on_wal_commit, c); /* replaces the automatic checkpoint */
}

/* checkpointer_stop - back to SQLite's own checkpoints; the thread runs what is due first */
static void checkpointer_stop(struct store *s)
{
    struct checkpointer *c = s->ckpt;

    if (c == NULL)
        return;
    /* the hook no longer sees c */
    sqlite3_wal_autocheckpoint(s->db, (int)wal_frames(s, CHECKPOINT_KIB));
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    s->ckpt_runs += c->runs;
    /* not the last connection: the writer's own close folds the WAL back */
    sqlite3_close(c->db);
    pthread_cond_destroy(&c->idle);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
    s->ckpt = NULL;
}

int64_t store_background_checkpoints(const struct store *s)
{
    return s->ckpt_runs;
}

int store_ingest_tuning(struct store *s, int on, struct diag *d)
{
    char sql[64];

    if (s->pg != NULL) /* the server sizes its own buffers */
        return 0;
    if (on && s->saved_cache_size == 0) {
        if (query_int(s, "PRAGMA cache_size", &s->saved_cache_size, d) < 0)
            return -1;
        if (s->saved_cache_size == 0)
            s->saved_cache_size = -2000; /* SQLite's default */
        snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", -INGEST_CACHE_KIB);
        if (store_exec(s, sql, d) < 0)
            return -1;
        checkpointer_start(s);
        return 0;
    }
    if (!on && s->saved_cache_size != 0) {
        checkpointer_stop(s);
        snprintf(sql, sizeof sql, "PRAGMA cache_size = %lld", (long long)s->saved_cache_size);
        s->saved_cache_size = 0;
        return store_exec(s, sql, d);
    }
    return 0;
}

/* ------------------------------------------------------------- statement wrapper */

#define STMT(st) ((st)->lite)

/* wrap - a statement handle of either backend (NULL stays NULL) */
static struct store_stmt *wrap(sqlite3_stmt *lite, struct store_pg_stmt *pg)
{
    struct store_stmt *st;

    if (lite == NULL && pg == NULL)
        return NULL;
    st = xcalloc(1, sizeof *st);
    st->lite = lite;
    st->pg = pg;
    return st;
}

/*
 * show_plan - with $REJECTLENS_EXPLAIN set, SQLite's plan of each statement the store keeps, on
 * standard error: how the tests (and an admin with a slow question) see that the statements
 * themselves, not copies of them, find their indexes
 */
static void show_plan(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *q;

    if (getenv("REJECTLENS_EXPLAIN") == NULL ||
        (q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql)) == NULL)
        return;
    if (sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK) {
        fprintf(stderr, "plan: %s\n", sql);
        while (sqlite3_step(st) == SQLITE_ROW)
            fprintf(stderr, "plan:   %s\n", (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    sqlite3_free(q);
}

struct store_stmt *store_stmt_cached(struct store *s, const char *sql, struct diag *d)
{
    struct store_stmt *st;

    for (size_t i = 0; i < s->ncache; i++)
        if (s->cache[i].sql == sql)
            return s->cache[i].stmt;
    if (s->ncache == STORE_MAX_CACHED) {
        diag_set(d, "bug: more than %d cached statements", STORE_MAX_CACHED);
        return NULL;
    }
    if (s->pg != NULL)
        st = wrap(NULL, store_pg_prepare(s->pg, sql, d));
    else {
        sqlite3_stmt *lite = NULL;
        int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &lite, NULL);
        if (rc != SQLITE_OK) {
            fail(s, rc, "preparing a statement", d);
            return NULL;
        }
        st = wrap(lite, NULL);
        show_plan(s->db, sql);
    }
    if (st == NULL)
        return NULL;
    s->cache[s->ncache].sql = sql;
    s->cache[s->ncache].stmt = st;
    s->ncache++;
    return st;
}

int store_one_int64(struct store *s, const char *sql, int64_t *out, struct diag *d)
{
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc, found = 0;

    if (st == NULL)
        return -1;
    if ((rc = store_step(s, st, d)) == 1 && !store_column_is_null(st, 0)) {
        *out = store_column_int64(st, 0);
        found = 1;
    }
    store_reset(st);
    return rc < 0 ? -1 : found;
}

struct store_stmt *store_stmt_prepare(struct store *s, const char *sql, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (s->pg != NULL)
        return wrap(NULL, store_pg_prepare(s->pg, sql, d));
    rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        fail(s, rc, "preparing a statement", d);
        return NULL;
    }
    if (st == NULL) {
        diag_set(d, "empty SQL statement");
        return NULL;
    }
    return wrap(st, NULL);
}

void store_stmt_finalize(struct store_stmt *st)
{
    if (st == NULL)
        return;
    if (st->pg != NULL)
        store_pg_finalize(st->pg);
    else
        sqlite3_finalize(STMT(st));
    free(st);
}

void store_bind_int64(struct store_stmt *st, int idx, int64_t v)
{
    if (st->pg != NULL) {
        store_pg_bind_int64(st->pg, idx, v);
        return;
    }
    sqlite3_bind_int64(STMT(st), idx, v);
}

void store_bind_double(struct store_stmt *st, int idx, double v)
{
    if (st->pg != NULL) {
        store_pg_bind_double(st->pg, idx, v);
        return;
    }
    sqlite3_bind_double(STMT(st), idx, v);
}

void store_bind_text(struct store_stmt *st, int idx, const char *s)
{
    if (st->pg != NULL) {
        store_pg_bind_text(st->pg, idx, s);
        return;
    }
    if (s == NULL)
        sqlite3_bind_null(STMT(st), idx);
    else
        sqlite3_bind_text(STMT(st), idx, s, -1, SQLITE_STATIC);
}

void store_bind_textn(struct store_stmt *st, int idx, const char *s, size_t n)
{
    if (st->pg != NULL) {
        store_pg_bind_textn(st->pg, idx, s, n);
        return;
    }
    if (s == NULL)
        sqlite3_bind_null(STMT(st), idx);
    else
        sqlite3_bind_text64(STMT(st), idx, s, n, SQLITE_STATIC, SQLITE_UTF8);
}

void store_bind_blob(struct store_stmt *st, int idx, const void *p, size_t n)
{
    if (st->pg != NULL) {
        store_pg_bind_blob(st->pg, idx, p, n);
        return;
    }
    sqlite3_bind_blob64(STMT(st), idx, n ? p : "", n, SQLITE_STATIC);
}

void store_bind_null(struct store_stmt *st, int idx)
{
    if (st->pg != NULL) {
        store_pg_bind_null(st->pg, idx);
        return;
    }
    sqlite3_bind_null(STMT(st), idx);
}

int store_blob_write(struct store *s, const char *table, const char *column, int64_t rowid,
                     const void *data, size_t len, struct diag *d)
{
    sqlite3_blob *b;
    int rc;

    if (len > INT_MAX)
        return diag_set(d, "%s: %zu bytes are too many for one blob", s->path, len);
    rc = sqlite3_blob_open(s->db, "main", table, column, rowid, 1, &b);
    if (rc != SQLITE_OK)
        return fail(s, rc, "writing", d);
    rc = sqlite3_blob_write(b, data, (int)len, 0);
    if (rc != SQLITE_OK) {
        fail(s, rc, "writing", d); /* before the close, which clears the message */
        sqlite3_blob_close(b);
        return -1;
    }
    rc = sqlite3_blob_close(b);
    return rc == SQLITE_OK ? 0 : fail(s, rc, "writing", d);
}

int store_step(struct store *s, struct store_stmt *st, struct diag *d)
{
    if (st->pg != NULL)
        return store_pg_step(st->pg, d);
    int rc = sqlite3_step(STMT(st));

    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    fail(s, rc, "writing", d);
    sqlite3_reset(STMT(st));
    return -1;
}

void store_reset(struct store_stmt *st)
{
    if (st->pg != NULL) {
        store_pg_reset(st->pg);
        return;
    }
    sqlite3_reset(STMT(st));
    sqlite3_clear_bindings(STMT(st));
}

void store_reset_rebind(struct store_stmt *st)
{
    if (st->pg != NULL) {
        store_pg_reset(st->pg);
        return;
    }
    sqlite3_reset(STMT(st));
}

int store_column_count(struct store_stmt *st)
{
    if (st->pg != NULL)
        return store_pg_column_count(st->pg);
    return sqlite3_column_count(STMT(st));
}

const char *store_column_name(struct store_stmt *st, int i)
{
    if (st->pg != NULL)
        return store_pg_column_name(st->pg, i);
    const char *n = sqlite3_column_name(STMT(st), i);

    return n ? n : "";
}

int store_column_is_null(struct store_stmt *st, int i)
{
    if (st->pg != NULL)
        return store_pg_column_is_null(st->pg, i);
    return sqlite3_column_type(STMT(st), i) == SQLITE_NULL;
}

char *store_column_dup(struct store_stmt *st, int i)
{
    const char *t;
    size_t n;

    if (store_column_is_null(st, i))
        return NULL;
    t = store_column_textn(st, i, &n);
    return xstrndup(t, n);
}

int64_t store_column_int64(struct store_stmt *st, int i)
{
    if (st->pg != NULL)
        return store_pg_column_int64(st->pg, i);
    return sqlite3_column_int64(STMT(st), i);
}

double store_column_double(struct store_stmt *st, int i)
{
    if (st->pg != NULL)
        return store_pg_column_double(st->pg, i);
    return sqlite3_column_double(STMT(st), i);
}

const char *store_column_text(struct store_stmt *st, int i)
{
    if (st->pg != NULL)
        return store_pg_column_text(st->pg, i);
    const unsigned char *t = sqlite3_column_text(STMT(st), i);

    return t ? (const char *)t : "";
}

size_t store_column_bytes(struct store_stmt *st, int i)
{
    if (st->pg != NULL)
        return store_pg_column_bytes(st->pg, i);
    return (size_t)sqlite3_column_bytes(STMT(st), i);
}

const char *store_column_textn(struct store_stmt *st, int i, size_t *len)
{
    const char *t = store_column_text(st, i);

    *len = store_column_bytes(st, i);
    return t;
}

const void *store_column_blob(struct store_stmt *st, int i)
{
    if (st->pg != NULL)
        return store_pg_column_blob(st->pg, i);
    return sqlite3_column_blob(STMT(st), i);
}

int store_stmt_readonly(struct store_stmt *st)
{
    if (st->pg != NULL)
        return store_pg_stmt_readonly(st->pg);
    return sqlite3_stmt_readonly(STMT(st));
}

int64_t store_last_insert_id(struct store *s)
{
    if (s->pg != NULL)
        return store_pg_last_insert_id(s->pg);
    return sqlite3_last_insert_rowid(s->db);
}

int64_t store_changes(struct store *s)
{
    if (s->pg != NULL)
        return store_pg_changes(s->pg);
    return sqlite3_changes64(s->db);
}

int store_in_txn(const struct store *s)
{
    if (s->pg != NULL)
        return store_pg_in_txn(s->pg);
    return s->in_txn;
}

/* ------------------------------------------------------------- backends */

int store_is_pg(const struct store *s)
{
    return s->pg != NULL;
}

const char *store_origin(const struct store *s)
{
    return s->pg != NULL ? store_pg_origin(s->pg) : "";
}

void store_partition_ensure(struct store *s, int64_t ts_us)
{
    if (s->pg != NULL)
        store_pg_partition_ensure(s->pg, ts_us);
}

void store_partitions_forget(struct store *s)
{
    if (s->pg != NULL)
        store_pg_partitions_forget(s->pg);
}

enum store_type store_column_type(struct store_stmt *st, int i)
{
    if (st->pg != NULL)
        return (enum store_type)store_pg_column_kind(st->pg, i);
    switch (sqlite3_column_type(STMT(st), i)) {
    case SQLITE_INTEGER:
        return STORE_INTEGER;
    case SQLITE_FLOAT:
        return STORE_FLOAT;
    case SQLITE_TEXT:
        return STORE_TEXT;
    case SQLITE_BLOB:
        return STORE_BLOB;
    default:
        return STORE_NULL;
    }
}

/* ------------------------------------------------------------- an admin's own SQL */

/* what the authorizer refused first, in words */
struct refusal {
    char what[128];
};

/* pragma_reads - pragmas that report and never set: allowed with an argument naming a table */
static int pragma_reads(const char *name, const char *arg)
{
    static const char *const about[] = {
        "table_info",  "table_xinfo",      "table_list",      "index_list",     "index_info",
        "index_xinfo", "foreign_key_list", "database_list",   "collation_list", "function_list",
        "module_list", "pragma_list",      "compile_options",
    };
    static const char *const values[] = {
        "user_version",   "application_id", "schema_version", "page_count",   "page_size",
        "freelist_count", "encoding",       "journal_mode",   "data_version", "query_only",
    };

    for (size_t i = 0; i < sizeof about / sizeof about[0]; i++)
        if (strcasecmp(name, about[i]) == 0)
            return 1;
    for (size_t i = 0; arg == NULL && i < sizeof values / sizeof values[0]; i++)
        if (strcasecmp(name, values[i]) == 0)
            return 1;
    return 0;
}

/* admin_authorizer - allow reading, refuse everything that changes a database or the
 * connection (see store_stmt_prepare_admin) */
static int admin_authorizer(void *arg, int action, const char *a1, const char *a2, const char *db,
                            const char *trigger)
{
    struct refusal *r = arg;
    const char *what = NULL;

    (void)db;
    (void)trigger;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        if (a2 != NULL && strcasecmp(a2, "load_extension") == 0) {
            what = "load_extension()";
            break;
        }
        return SQLITE_OK;
    case SQLITE_PRAGMA:
        if (pragma_reads(a1, a2))
            return SQLITE_OK;
        if (r->what[0] == '\0')
            snprintf(r->what, sizeof r->what, "PRAGMA %s%s%s", a1, a2 ? " = " : "", a2 ? a2 : "");
        return SQLITE_DENY;
    /* a change of the schema table is CREATE, ALTER or DROP, whatever SQLite calls it */
    case SQLITE_INSERT:
        what = strncasecmp(a1, "sqlite_", 7) == 0 ? "CREATE" : "INSERT";
        break;
    case SQLITE_UPDATE:
        /* reading a pragma function (pragma_table_info) asks this of the schema table; an
         * ALTER TABLE is refused as such before, and the statement must still be read-only */
        if (strncasecmp(a1, "sqlite_", 7) == 0)
            return SQLITE_OK;
        what = "UPDATE";
        break;
    case SQLITE_DELETE:
        what = strncasecmp(a1, "sqlite_", 7) == 0 ? "DROP" : "DELETE";
        break;
    case SQLITE_ATTACH:
        what = "ATTACH";
        break;
    case SQLITE_DETACH:
        what = "DETACH";
        break;
    case SQLITE_TRANSACTION:
    case SQLITE_SAVEPOINT:
        what = "a transaction";
        break;
    case SQLITE_ALTER_TABLE:
        what = "ALTER TABLE";
        break;
    case SQLITE_ANALYZE:
        what = "ANALYZE";
        break;
    case SQLITE_REINDEX:
        what = "REINDEX";
        break;
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
        what = "DROP";
        break;
    default: /* CREATE of every kind, and whatever a later SQLite adds */
        what = "CREATE";
        break;
    }
    if (r->what[0] == '\0')
        snprintf(r->what, sizeof r->what, "%s", what);
    return SQLITE_DENY;
}

struct store_stmt *store_stmt_prepare_admin(struct store *s, const char *sql, struct diag *d)
{
    struct refusal r = {""};
    sqlite3_stmt *st = NULL, *next = NULL;
    const char *tail = NULL;
    int rc;

    if (s->pg != NULL)
        return wrap(NULL, store_pg_prepare_admin(s->pg, sql, d));
    sqlite3_set_authorizer(s->db, admin_authorizer, &r);
    rc = sqlite3_prepare_v2(s->db, sql, -1, &st, &tail);
    if (rc == SQLITE_OK && st != NULL && tail != NULL && *tail != '\0') {
        /* only blanks and comments may follow: they prepare to no statement */
        const char *rest = NULL;
        if (sqlite3_prepare_v2(s->db, tail, -1, &next, &rest) != SQLITE_OK || next != NULL) {
            sqlite3_finalize(next);
            sqlite3_finalize(st);
            sqlite3_set_authorizer(s->db, NULL, NULL);
            diag_set(d, "refused: more than one statement (run them one at a time)");
            return NULL;
        }
    }
    sqlite3_set_authorizer(s->db, NULL, NULL);
    if (r.what[0] != '\0') {
        sqlite3_finalize(st);
        diag_set(d,
                 "refused: %s is not allowed here; the database is opened read-only and only "
                 "a query runs (SELECT, WITH ... SELECT, VALUES, EXPLAIN, a pragma that reports)",
                 r.what);
        return NULL;
    }
    if (rc != SQLITE_OK) {
        diag_set(d, "SQL error: %s", sqlite3_errmsg(s->db));
        return NULL;
    }
    if (st == NULL) {
        diag_set(d, "no SQL statement given (only blanks or comments)");
        return NULL;
    }
    if (!sqlite3_stmt_readonly(st)) {
        sqlite3_finalize(st);
        diag_set(d, "refused: the statement would change the database; only a query runs here");
        return NULL;
    }
    return wrap(st, NULL);
}
