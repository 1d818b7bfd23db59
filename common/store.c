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
 */
#include "store.h"
#include "store_internal.h"
#include "xalloc.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <string.h>

#define STORE_MAX_CACHED 96
#define INGEST_CACHE_KIB 16384 /* the page cache of a bulk ingest (store_ingest_tuning) */

struct cached_stmt {
    const char *sql;
    sqlite3_stmt *stmt;
};

struct store {
    sqlite3 *db;
    char *path;
    enum store_mode mode;
    int busy_ms;
    int in_txn;
    int64_t saved_cache_size; /* PRAGMA cache_size before store_ingest_tuning; 0: not tuned */
    struct cached_stmt cache[STORE_MAX_CACHED];
    size_t ncache;
};

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
    const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);

    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return diag_set(d, "%s: database is locked by another process (waited %d ms)", s->path,
                        s->busy_ms);
    case SQLITE_FULL:
        return diag_set(d, "%s: disk full while %s (nothing after the last commit was kept)",
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

    if (query_int(s, "PRAGMA user_version", &v, d) < 0)
        return -1;
    *version = (int)v;
    return 0;
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
        if (mode == STORE_READ_ONLY && version < STORE_SCHEMA_VERSION) {
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
    /* WAL: an admin's query never blocks the nightly ingest, nor the other way round */
    if (store_exec(s, "PRAGMA journal_mode = WAL", d) < 0 ||
        store_exec(s, "PRAGMA synchronous = NORMAL", d) < 0 ||
        store_exec(s, "PRAGMA foreign_keys = OFF", d) < 0)
        goto fail;
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
    for (size_t i = 0; i < s->ncache; i++)
        sqlite3_finalize(s->cache[i].stmt);
    if (s->db != NULL) {
        /* a clean close folds the WAL back, so the file is whole on its own */
        sqlite3_close(s->db);
    }
    free(s->path);
    free(s);
}

const char *store_path(const struct store *s)
{
    return s->path;
}

int store_begin(struct store *s, struct diag *d)
{
    if (store_exec(s, "BEGIN IMMEDIATE", d) < 0)
        return -1;
    s->in_txn = 1;
    return 0;
}

int store_commit(struct store *s, struct diag *d)
{
    int rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);

    if (rc != SQLITE_OK) {
        fail(s, rc, "committing", d);
        store_rollback(s);
        return -1;
    }
    s->in_txn = 0;
    return 0;
}

void store_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    s->in_txn = 0;
}

int store_ingest_tuning(struct store *s, int on, struct diag *d)
{
    char sql[64];

    if (on && s->saved_cache_size == 0) {
        if (query_int(s, "PRAGMA cache_size", &s->saved_cache_size, d) < 0)
            return -1;
        if (s->saved_cache_size == 0)
            s->saved_cache_size = -2000; /* SQLite's default */
        snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", -INGEST_CACHE_KIB);
    } else if (!on && s->saved_cache_size != 0) {
        snprintf(sql, sizeof sql, "PRAGMA cache_size = %lld", (long long)s->saved_cache_size);
        s->saved_cache_size = 0;
    } else {
        return 0;
    }
    return store_exec(s, sql, d);
}

/* ------------------------------------------------------------- statement wrapper */

#define STMT(st) ((sqlite3_stmt *)(st))

struct store_stmt *store_stmt_cached(struct store *s, const char *sql, struct diag *d)
{
    sqlite3_stmt *st;
    int rc;

    for (size_t i = 0; i < s->ncache; i++)
        if (s->cache[i].sql == sql)
            return (struct store_stmt *)s->cache[i].stmt;
    if (s->ncache == STORE_MAX_CACHED) {
        diag_set(d, "bug: more than %d cached statements", STORE_MAX_CACHED);
        return NULL;
    }
    rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        fail(s, rc, "preparing a statement", d);
        return NULL;
    }
    s->cache[s->ncache].sql = sql;
    s->cache[s->ncache].stmt = st;
    s->ncache++;
    return (struct store_stmt *)st;
}

struct store_stmt *store_stmt_prepare(struct store *s, const char *sql, struct diag *d)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

    if (rc != SQLITE_OK) {
        fail(s, rc, "preparing a statement", d);
        return NULL;
    }
    if (st == NULL) {
        diag_set(d, "empty SQL statement");
        return NULL;
    }
    return (struct store_stmt *)st;
}

void store_stmt_finalize(struct store_stmt *st)
{
    sqlite3_finalize(STMT(st));
}

void store_bind_int64(struct store_stmt *st, int idx, int64_t v)
{
    sqlite3_bind_int64(STMT(st), idx, v);
}

void store_bind_double(struct store_stmt *st, int idx, double v)
{
    sqlite3_bind_double(STMT(st), idx, v);
}

void store_bind_text(struct store_stmt *st, int idx, const char *s)
{
    if (s == NULL)
        sqlite3_bind_null(STMT(st), idx);
    else
        sqlite3_bind_text(STMT(st), idx, s, -1, SQLITE_STATIC);
}

void store_bind_textn(struct store_stmt *st, int idx, const char *s, size_t n)
{
    if (s == NULL)
        sqlite3_bind_null(STMT(st), idx);
    else
        sqlite3_bind_text64(STMT(st), idx, s, n, SQLITE_STATIC, SQLITE_UTF8);
}

void store_bind_blob(struct store_stmt *st, int idx, const void *p, size_t n)
{
    sqlite3_bind_blob64(STMT(st), idx, n ? p : "", n, SQLITE_STATIC);
}

void store_bind_null(struct store_stmt *st, int idx)
{
    sqlite3_bind_null(STMT(st), idx);
}

int store_step(struct store *s, struct store_stmt *st, struct diag *d)
{
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
    sqlite3_reset(STMT(st));
    sqlite3_clear_bindings(STMT(st));
}

int store_column_count(struct store_stmt *st)
{
    return sqlite3_column_count(STMT(st));
}

const char *store_column_name(struct store_stmt *st, int i)
{
    const char *n = sqlite3_column_name(STMT(st), i);

    return n ? n : "";
}

int store_column_is_null(struct store_stmt *st, int i)
{
    return sqlite3_column_type(STMT(st), i) == SQLITE_NULL;
}

int64_t store_column_int64(struct store_stmt *st, int i)
{
    return sqlite3_column_int64(STMT(st), i);
}

double store_column_double(struct store_stmt *st, int i)
{
    return sqlite3_column_double(STMT(st), i);
}

const char *store_column_text(struct store_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(STMT(st), i);

    return t ? (const char *)t : "";
}

size_t store_column_bytes(struct store_stmt *st, int i)
{
    return (size_t)sqlite3_column_bytes(STMT(st), i);
}

const void *store_column_blob(struct store_stmt *st, int i)
{
    return sqlite3_column_blob(STMT(st), i);
}

int store_stmt_readonly(struct store_stmt *st)
{
    return sqlite3_stmt_readonly(STMT(st));
}

int64_t store_last_insert_id(struct store *s)
{
    return sqlite3_last_insert_rowid(s->db);
}

int64_t store_changes(struct store *s)
{
    return sqlite3_changes64(s->db);
}

int store_in_txn(const struct store *s)
{
    return s->in_txn;
}
