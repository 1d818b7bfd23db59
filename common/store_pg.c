/*
 * store_pg - the PostgreSQL backend of the store (see store_pg.h, docs/scaling.md)
 *
 * DESCRIPTION
 *	Runs the job files' SQL through libpq with the same small surface the SQLite wrapper in
 *	store.c offers: statements prepared once per connection (named, PQprepare), values bound
 *	as text (or bytes, for blobs) and never pasted into SQL, results read a row at a time.
 *	The job files write placeholders as ?N; they become $N here, outside quotes. libpq is
 *	loaded when a store is first opened (dynload.h), so that runs on SQLite never load it.
 *
 *	A statement "COPY t (c1, c2, ...) FROM STDIN" is a bulk load: a step appends the bound
 *	row, in COPY's text format, to the statement's buffer; the commit sends every buffer
 *	(COPY ... FROM STDIN) just before COMMIT, so the rows commit with the checkpoint that
 *	covers them. The months the rows fall in get their partition of events first, under one
 *	transaction-scoped advisory lock, so that two hosts that meet a new month at once create it
 *	once. Nothing else of an ingest's transaction touches events, and its rows go in at the
 *	very end: a writer never waits for a lock while it holds one on events, so writers that
 *	create partitions (ACCESS EXCLUSIVE on events) and writers that load rows cannot deadlock.
 *	A batch larger than COPY_FLUSH_BYTES goes out early; should such a transaction then meet a
 *	month of its own and another writer create one at the same time, the server finds the
 *	deadlock and one of them fails (its next run goes on from its checkpoint).
 *
 *	Text goes to the server as UTF-8. Log lines are not always that: an invalid byte becomes
 *	U+FFFD on the way in (SQLite keeps the byte; such a text compares differently).
 *
 * DIAGNOSTICS
 *	Every message starts with the database's name (postgresql://user@host:port/dbname, never
 *	a password) and carries the server's own words.
 *
 * BUGS
 *	A result is read whole before its first row is handed out: an admin's query of millions
 *	of rows needs their memory.
 */
#include "store_pg.h"
#include "dynload.h"
#include "lru.h"
#include "strbuf.h"
#include "xalloc.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* type oids of pg_type.h (server headers are not needed for these few) */
#define OID_BOOL    16
#define OID_BYTEA   17
#define OID_INT8    20
#define OID_INT2    21
#define OID_INT4    23
#define OID_TEXT    25
#define OID_OID     26
#define OID_FLOAT4  700
#define OID_FLOAT8  701
#define OID_NUMERIC 1700

#define MONTHS_MAX       512
#define PARAMS_MAX       64
#define COPY_FLUSH_BYTES (64u << 20)

/*
 * the libpq functions used here, without their PQ, as loaded from REJECTLENS_LIBPQ_SONAME,
 * the library rejectlens was built against (CMake); each store has its table (store_pg.pq)
 */
#define PQ_FUNCTIONS(X)                                                                            \
    X(clear)                                                                                       \
    X(cmdStatus)                                                                                   \
    X(cmdTuples)                                                                                   \
    X(connectdbParams)                                                                             \
    X(db)                                                                                          \
    X(describePrepared)                                                                            \
    X(errorMessage)                                                                                \
    X(exec)                                                                                        \
    X(execPrepared)                                                                                \
    X(finish)                                                                                      \
    X(fname)                                                                                       \
    X(fnumber)                                                                                     \
    X(freemem)                                                                                     \
    X(ftype)                                                                                       \
    X(getResult)                                                                                   \
    X(getisnull)                                                                                   \
    X(getlength)                                                                                   \
    X(getvalue)                                                                                    \
    X(host)                                                                                        \
    X(nfields)                                                                                     \
    X(ntuples)                                                                                     \
    X(port)                                                                                        \
    X(prepare)                                                                                     \
    X(putCopyData)                                                                                 \
    X(putCopyEnd)                                                                                  \
    X(resultErrorField)                                                                            \
    X(resultErrorMessage)                                                                          \
    X(resultStatus)                                                                                \
    X(setClientEncoding)                                                                           \
    X(status)                                                                                      \
    X(transactionStatus)                                                                           \
    X(unescapeBytea)                                                                               \
    X(user)

struct pq_api {
#define PQ_SLOT(f) __typeof__(&PQ##f) f;
    PQ_FUNCTIONS(PQ_SLOT)
#undef PQ_SLOT
};

struct store_pg {
    struct pq_api pq;
    PGconn *conn;
    char name[512];
    char origin[256];
    int in_txn;
    int64_t changes, last_id;
    unsigned next_stmt;
    struct store_pg_stmt *copies; /* COPY statements (pending rows or not) */
    int64_t known[MONTHS_MAX];    /* months (year*12+month-1) whose partition exists */
    size_t nknown;
    int64_t pending[MONTHS_MAX]; /* months the pending rows need */
    size_t npending;
};

struct store_pg_stmt {
    struct store_pg *pg;
    char name[24];
    int nparams;
    const char **values;
    int *lengths, *formats;
    char (*num)[32]; /* the text of bound numbers */
    char **owned;    /* copies of texts that needed repair */
    PGresult *res;   /* the result being read */
    int row, nrows;
    PGresult *desc; /* the statement's description, for column names before a step */
    char *blob;     /* the current bytea value, unescaped */
    size_t blob_len;
    int blob_row, blob_col;
    int readonly;
    /* COPY */
    char *copy_sql;
    struct strbuf copy_buf;
    struct store_pg_stmt *next_copy;
};

/* ------------------------------------------------------------------ helpers */

static int fail(struct store_pg *pg, const char *what, const char *msg, struct diag *d)
{
    char buf[DIAG_MAX];
    size_t n;

    snprintf(buf, sizeof buf, "%s", msg ? msg : pg->pq.errorMessage(pg->conn));
    n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    return diag_set(d, "%s: %s: %s", pg->name, what, buf);
}

static int fail_res(struct store_pg *pg, const char *what, PGresult *res, struct diag *d)
{
    const char *state = pg->pq.resultErrorField(res, PG_DIAG_SQLSTATE);
    char msg[DIAG_MAX];

    snprintf(msg, sizeof msg, "%s", pg->pq.resultErrorMessage(res));
    if (state != NULL && strcmp(state, "40P01") == 0)
        snprintf(msg, sizeof msg,
                 "deadlock with another writer, nothing after the last commit "
                 "was kept (run again)");
    else if (state != NULL && strcmp(state, "53100") == 0)
        snprintf(msg, sizeof msg, "the server's disk is full (%s)", pg->pq.resultErrorMessage(res));
    return fail(pg, what, msg, d);
}

/* utf8_valid_len - the length of the valid UTF-8 sequence at p (at most n bytes), 0 if none */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    size_t len;
    unsigned c = p[0];

    if (c < 0x80)
        return c == 0 ? 0 : 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if (c == 0xe0 && p[1] < 0xa0)
        return 0; /* overlong */
    if (c == 0xed && p[1] >= 0xa0)
        return 0; /* surrogate */
    if (c == 0xf0 && p[1] < 0x90)
        return 0;
    if (c == 0xf4 && p[1] >= 0x90)
        return 0;
    return len;
}

/* utf8_ok - 1 when s[0..n) is valid UTF-8 without NUL */
static int utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        if (p[i] > 0 && p[i] < 0x80) {
            i++;
            continue;
        }
        size_t l = utf8_seq(p + i, n - i);
        if (l == 0)
            return 0;
        i += l;
    }
    return 1;
}

/* utf8_repair - append s[0..n) to sb with each invalid byte (or NUL) as U+FFFD */
static void utf8_repair(struct strbuf *sb, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq(p + i, n - i);
        if (l == 0) {
            strbuf_puts(sb, "\xef\xbf\xbd");
            i++;
        } else {
            strbuf_append(sb, s + i, l);
            i += l;
        }
    }
}

/* ------------------------------------------------------------------ connection */

static int pq_api_load(struct pq_api *api, struct diag *d)
{
#define PQ_NAME(f) "PQ" #f,
#define PQ_ADDR(f) &api->f,
    static const char *const names[] = {PQ_FUNCTIONS(PQ_NAME)};
    void *const slots[] = {PQ_FUNCTIONS(PQ_ADDR)};
#undef PQ_NAME
#undef PQ_ADDR

    return dynload_functions(REJECTLENS_LIBPQ_SONAME, "a PostgreSQL database", "libpq5", names,
                             slots, sizeof names / sizeof names[0], d);
}

int store_pg_open(const char *conninfo, int read_only, int busy_ms, struct store_pg **out,
                  struct diag *d)
{
    static const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *vals[] = {conninfo, "rejectlens", NULL};
    struct store_pg *pg = xcalloc(1, sizeof *pg);
    const char *origin = getenv("REJECTLENS_ORIGIN");

    *out = NULL;
    snprintf(pg->name, sizeof pg->name, "%s", "postgresql");
    if (pq_api_load(&pg->pq, d) < 0) {
        store_pg_close(pg);
        return -1;
    }
    pg->conn = pg->pq.connectdbParams(keys, vals, 1);
    if (pg->conn == NULL || pg->pq.status(pg->conn) != CONNECTION_OK) {
        fail(pg, "cannot connect", pg->conn ? NULL : "out of memory", d);
        store_pg_close(pg);
        return -1;
    }
    snprintf(pg->name, sizeof pg->name, "postgresql://%s@%s:%s/%s", pg->pq.user(pg->conn),
             pg->pq.host(pg->conn), pg->pq.port(pg->conn), pg->pq.db(pg->conn));
    if (origin != NULL && origin[0] != '\0')
        snprintf(pg->origin, sizeof pg->origin, "%s", origin);
    else if (gethostname(pg->origin, sizeof pg->origin - 1) != 0)
        snprintf(pg->origin, sizeof pg->origin, "localhost");
    if (pg->pq.setClientEncoding(pg->conn, "UTF8") != 0) {
        fail(pg, "setting the client encoding", NULL, d);
        store_pg_close(pg);
        return -1;
    }
    /* no lock_timeout: a second ingest of a log waits for the first to finish it (the
     * server finds deadlocks); statement_timeout stays the server's */
    (void)busy_ms;
    if (store_pg_exec(pg, "SET client_min_messages = warning", d) < 0 ||
        (read_only && store_pg_exec(pg, "SET default_transaction_read_only = on", d) < 0)) {
        store_pg_close(pg);
        return -1;
    }
    *out = pg;
    return 0;
}

void store_pg_close(struct store_pg *pg)
{
    if (pg == NULL)
        return;
    if (pg->conn != NULL)
        pg->pq.finish(pg->conn);
    free(pg);
}

const char *store_pg_name(const struct store_pg *pg)
{
    return pg->name;
}

const char *store_pg_origin(const struct store_pg *pg)
{
    return pg->origin;
}

int store_pg_exec(struct store_pg *pg, const char *sql, struct diag *d)
{
    PGresult *res = pg->pq.exec(pg->conn, sql);
    ExecStatusType t = pg->pq.resultStatus(res);
    int rc = 0;

    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
        rc = fail_res(pg, "running SQL", res, d);
    pg->pq.clear(res);
    return rc;
}

/* query_text - the first column of the first row of sql (no parameters), or "" */
static int query_text(struct store_pg *pg, const char *sql, char *out, size_t cap, struct diag *d)
{
    PGresult *res = pg->pq.exec(pg->conn, sql);
    int rc = 0;

    out[0] = '\0';
    if (pg->pq.resultStatus(res) != PGRES_TUPLES_OK)
        rc = fail_res(pg, "reading the schema version", res, d);
    else if (pg->pq.ntuples(res) > 0 && !pg->pq.getisnull(res, 0, 0))
        snprintf(out, cap, "%s", pg->pq.getvalue(res, 0, 0));
    pg->pq.clear(res);
    return rc;
}

/*
 * relation_exists - 1 when the table is in the current schema. Read from pg_class with the
 * statement's snapshot: to_regclass() trusts the backend's catalog cache, which does not
 * learn of a table another process created while this one waited for an advisory lock.
 */
static int relation_exists(struct store_pg *pg, const char *name, struct diag *d)
{
    char sql[256], v[64];

    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = '%s' AND "
             "relnamespace = current_schema()::regnamespace",
             name);
    if (query_text(pg, sql, v, sizeof v, d) < 0)
        return -1;
    return atoi(v) > 0;
}

int store_pg_schema_version(struct store_pg *pg, int *version, struct diag *d)
{
    char v[64];
    int rc;

    *version = 0;
    if ((rc = relation_exists(pg, "rejectlens_meta", d)) <= 0)
        return rc;
    if (query_text(pg, "SELECT value FROM rejectlens_meta WHERE key = 'schema_version'", v,
                   sizeof v, d) < 0)
        return -1;
    *version = atoi(v);
    return 0;
}

/* foreign_now - store_pg_foreign as the catalog looks at this moment */
static int foreign_now(struct store_pg *pg, struct diag *d)
{
    char meta[64], ev[64], app[64];

    if (query_text(pg, "SELECT to_regclass('rejectlens_meta')", meta, sizeof meta, d) < 0 ||
        query_text(pg, "SELECT coalesce(to_regclass('events'), to_regclass('sources'))", ev,
                   sizeof ev, d) < 0)
        return -1;
    if (meta[0] == '\0')
        return ev[0] != '\0';
    if (query_text(pg, "SELECT value FROM rejectlens_meta WHERE key = 'application_id'", app,
                   sizeof app, d) < 0)
        return -1;
    return strtoll(app, NULL, 10) != 0x524A4C53;
}

/*
 * store_pg_foreign - the two lookups are two statements: another process that creates the
 * schema at this moment (a fleet starting at once) can commit between them, so that ours are
 * seen without the metadata table. A database that looks foreign is looked at again under
 * the lock the migrations hold, once any of them is done (test_pg's concurrent ingests met
 * it, 2026-11-30).
 */
int store_pg_foreign(struct store_pg *pg, struct diag *d)
{
    int rc = foreign_now(pg, d);

    if (rc != 1 || pg->in_txn)
        return rc;
    if (store_pg_begin(pg, d) < 0)
        return -1;
    if (store_pg_exec(pg, "SELECT pg_advisory_xact_lock(1380600915, -1)", d) < 0 ||
        (rc = foreign_now(pg, d)) < 0) {
        store_pg_rollback(pg);
        return -1;
    }
    return store_pg_commit(pg, d) < 0 ? -1 : rc;
}

int store_pg_begin(struct store_pg *pg, struct diag *d)
{
    if (store_pg_exec(pg, "BEGIN", d) < 0)
        return -1;
    pg->in_txn = 1;
    return 0;
}

int store_pg_in_txn(const struct store_pg *pg)
{
    return pg->in_txn;
}

/* ------------------------------------------------------------------ partitions */

static int month_known(const int64_t *v, size_t n, int64_t m)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == m)
            return 1;
    return 0;
}

void store_pg_partition_ensure(struct store_pg *pg, int64_t ts_us)
{
    time_t secs = (time_t)(ts_us >= 0 ? ts_us / 1000000 : (ts_us - 999999) / 1000000);
    struct tm tm;
    int64_t m;

    gmtime_r(&secs, &tm);
    m = (int64_t)(tm.tm_year + 1900) * 12 + tm.tm_mon;
    if (month_known(pg->known, pg->nknown, m) || month_known(pg->pending, pg->npending, m))
        return;
    if (pg->npending < MONTHS_MAX)
        pg->pending[pg->npending++] = m;
}

void store_pg_partitions_forget(struct store_pg *pg)
{
    pg->nknown = 0;
}

/* month_start_us - the first microsecond of month m (year*12+month-1), UTC */
static int64_t month_start_us(int64_t m)
{
    int64_t y = m / 12, mon = m % 12 + 1;
    /* days from civil (Howard Hinnant's algorithm) */
    int64_t yy = mon <= 2 ? y - 1 : y;
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;

    return days * INT64_C(86400000000);
}

/*
 * create_partitions - the partitions the pending rows need, in the open transaction, under
 * one advisory lock (namespace 0x524A4C53, key -3) so that two writers that meet a new month
 * create it once: the second finds it made
 */
static int create_partitions(struct store_pg *pg, struct diag *d)
{
    if (store_pg_exec(pg, "SELECT pg_advisory_xact_lock(1380600915, -3)", d) < 0)
        return -1;
    for (size_t i = 0; i < pg->npending; i++) {
        int64_t m = pg->pending[i];
        char sql[512], name[32];
        int exists;
        snprintf(name, sizeof name, "events_p%04d%02d", (int)(m / 12), (int)(m % 12 + 1));
        if ((exists = relation_exists(pg, name, d)) < 0)
            return -1;
        if (!exists) {
            snprintf(sql, sizeof sql,
                     "CREATE TABLE events_p%04d%02d PARTITION OF events "
                     "FOR VALUES FROM (%lld) TO (%lld)",
                     (int)(m / 12), (int)(m % 12 + 1), (long long)month_start_us(m),
                     (long long)month_start_us(m + 1));
            if (store_pg_exec(pg, sql, d) < 0) {
                diag_prefix(d, "creating the partition of %04d-%02d", (int)(m / 12),
                            (int)(m % 12 + 1));
                return -1;
            }
        }
    }
    return 0;
}

/* flush_copy - send one COPY statement's pending rows */
static int flush_copy(struct store_pg *pg, struct store_pg_stmt *st, struct diag *d)
{
    PGresult *res;
    int rc = 0;

    if (st->copy_buf.len == 0)
        return 0;
    res = pg->pq.exec(pg->conn, st->copy_sql);
    if (pg->pq.resultStatus(res) != PGRES_COPY_IN) {
        rc = fail_res(pg, "starting a bulk load", res, d);
        pg->pq.clear(res);
        strbuf_reset(&st->copy_buf);
        return rc;
    }
    pg->pq.clear(res);
    if (pg->pq.putCopyData(pg->conn, st->copy_buf.buf, (int)st->copy_buf.len) != 1 ||
        pg->pq.putCopyEnd(pg->conn, NULL) != 1)
        rc = fail(pg, "sending a bulk load", NULL, d);
    while ((res = pg->pq.getResult(pg->conn)) != NULL) {
        if (rc == 0 && pg->pq.resultStatus(res) != PGRES_COMMAND_OK)
            rc = fail_res(pg, "bulk loading", res, d);
        pg->pq.clear(res);
    }
    strbuf_reset(&st->copy_buf);
    return rc;
}

/* flush_all - partitions first, then every pending COPY */
static int flush_all(struct store_pg *pg, struct diag *d)
{
    if (pg->npending > 0) {
        if (create_partitions(pg, d) < 0)
            return -1;
        for (size_t i = 0; i < pg->npending && pg->nknown < MONTHS_MAX; i++)
            pg->known[pg->nknown++] = pg->pending[i];
        pg->npending = 0;
    }
    for (struct store_pg_stmt *c = pg->copies; c != NULL; c = c->next_copy)
        if (flush_copy(pg, c, d) < 0)
            return -1;
    return 0;
}

static void drop_pending(struct store_pg *pg)
{
    for (struct store_pg_stmt *c = pg->copies; c != NULL; c = c->next_copy)
        strbuf_reset(&c->copy_buf);
    pg->npending = 0;
}

int store_pg_commit(struct store_pg *pg, struct diag *d)
{
    PGresult *res;
    int rc = 0;

    if (flush_all(pg, d) < 0) {
        store_pg_rollback(pg);
        return -1;
    }
    res = pg->pq.exec(pg->conn, "COMMIT");
    if (pg->pq.resultStatus(res) != PGRES_COMMAND_OK)
        rc = fail_res(pg, "committing", res, d);
    else if (strcmp(pg->pq.cmdStatus(res), "ROLLBACK") == 0)
        rc = fail(pg, "committing", "an earlier statement failed; the transaction was undone", d);
    pg->pq.clear(res);
    if (rc < 0)
        store_pg_rollback(pg);
    pg->in_txn = 0;
    return rc;
}

void store_pg_rollback(struct store_pg *pg)
{
    drop_pending(pg);
    pg->nknown = 0; /* partitions made in the transaction are gone with it */
    if (pg->pq.transactionStatus(pg->conn) != PQTRANS_IDLE)
        pg->pq.clear(pg->pq.exec(pg->conn, "ROLLBACK"));
    pg->in_txn = 0;
}

/* ------------------------------------------------------------------ statements */

/*
 * translate - ?N (and a bare ?) into $N outside quotes and comments; *nparams is the
 * highest number used
 */
static char *translate(const char *sql, int *nparams, unsigned char used[PARAMS_MAX + 1])
{
    struct strbuf sb = STRBUF_INIT;
    int next = 1;

    *nparams = 0;
    for (const char *p = sql; *p;) {
        if (*p == '\'' || *p == '"') {
            char q = *p;
            const char *e = p + 1;
            while (*e && !(*e == q && e[1] != q)) {
                if (*e == q)
                    e++; /* doubled quote */
                e++;
            }
            if (*e)
                e++;
            strbuf_append(&sb, p, (size_t)(e - p));
            p = e;
        } else if (*p == '?') {
            int n;
            p++;
            if (*p >= '0' && *p <= '9') {
                n = 0;
                while (*p >= '0' && *p <= '9')
                    n = n * 10 + (*p++ - '0');
            } else
                n = next;
            next = n + 1;
            if (n > *nparams)
                *nparams = n;
            if (n <= PARAMS_MAX)
                used[n] = 1;
            strbuf_printf(&sb, "$%d", n);
        } else
            strbuf_putc(&sb, *p++);
    }
    return strbuf_detach(&sb);
}

/* copy_columns - the number of columns of "COPY t (a, b, c) FROM STDIN" */
static int copy_columns(const char *sql)
{
    const char *open = strchr(sql, '('), *close = open ? strchr(open, ')') : NULL;
    int n = 1;

    if (open == NULL || close == NULL)
        return 0;
    for (const char *p = open; p < close; p++)
        n += *p == ',';
    return n;
}

static void alloc_params(struct store_pg_stmt *st, int n)
{
    st->nparams = n;
    st->values = xcalloc((size_t)(n > 0 ? n : 1), sizeof *st->values);
    st->lengths = xcalloc((size_t)(n > 0 ? n : 1), sizeof *st->lengths);
    st->formats = xcalloc((size_t)(n > 0 ? n : 1), sizeof *st->formats);
    st->num = xcalloc((size_t)(n > 0 ? n : 1), sizeof *st->num);
    st->owned = xcalloc((size_t)(n > 0 ? n : 1), sizeof *st->owned);
}

struct store_pg_stmt *store_pg_prepare(struct store_pg *pg, const char *sql, struct diag *d)
{
    struct store_pg_stmt *st = xcalloc(1, sizeof *st);
    const char *p = sql;
    char *text;
    int n;
    PGresult *res;
    unsigned char used[PARAMS_MAX + 1] = {0};
    Oid types[PARAMS_MAX];

    st->pg = pg;
    st->row = -1;
    st->blob_row = -1;
    while (*p == ' ' || *p == '\n' || *p == '\t')
        p++;
    if (strncmp(p, "COPY ", 5) == 0) {
        st->copy_sql = xstrdup(p);
        alloc_params(st, copy_columns(p));
        st->next_copy = pg->copies;
        pg->copies = st;
        return st;
    }
    st->readonly =
        strncmp(p, "SELECT", 6) == 0 || strncmp(p, "WITH", 4) == 0 || strncmp(p, "VALUES", 6) == 0;
    text = translate(sql, &n, used);
    alloc_params(st, n);
    snprintf(st->name, sizeof st->name, "rl%u", ++pg->next_stmt);
    /* a parameter the text never names (bound all the same, as SQLite allows) is text: the
     * server cannot guess a type for it */
    for (int i = 0; i < n && i < PARAMS_MAX; i++)
        types[i] = used[i + 1] ? 0 : OID_TEXT;
    res = pg->pq.prepare(pg->conn, st->name, text, n <= PARAMS_MAX ? n : 0, types);
    free(text);
    if (pg->pq.resultStatus(res) != PGRES_COMMAND_OK) {
        fail_res(pg, "preparing a statement", res, d);
        pg->pq.clear(res);
        st->name[0] = '\0';
        store_pg_finalize(st);
        return NULL;
    }
    pg->pq.clear(res);
    return st;
}

struct store_pg_stmt *store_pg_prepare_admin(struct store_pg *pg, const char *sql, struct diag *d)
{
    static const char *const queries[] = {"SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN", "SHOW"};
    const char *p = sql;
    size_t n;

    /* blanks and comments, then the first word */
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '(')
            p++;
        if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
            continue;
        }
        if (p[0] == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
            continue;
        }
        break;
    }
    if (*p == '\0') {
        diag_set(d, "no SQL statement given (only blanks or comments)");
        return NULL;
    }
    for (n = 0; (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z'); n++)
        ;
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++)
        if (n == strlen(queries[i]) && strncasecmp(p, queries[i], n) == 0) {
            /* every statement of this connection from now on runs read-only */
            if (store_pg_exec(pg, "SET default_transaction_read_only = on", d) < 0)
                return NULL;
            struct store_pg_stmt *st = store_pg_prepare(pg, sql, d);
            if (st == NULL && strstr(d->msg, "multiple commands") != NULL)
                diag_set(d, "refused: more than one statement (run them one at a time)");
            else if (st == NULL)
                diag_prefix(d, "SQL error");
            return st;
        }
    diag_set(d,
             "refused: %.*s is not allowed here; the database is opened read-only and only a "
             "query runs (SELECT, WITH ... SELECT, VALUES, TABLE, EXPLAIN, SHOW)",
             (int)(n > 0 && n < 40 ? n : 1), n > 0 ? p : "?");
    return NULL;
}

static void clear_result(struct store_pg_stmt *st)
{
    if (st->res != NULL)
        st->pg->pq.clear(st->res);
    st->res = NULL;
    st->row = -1;
    st->nrows = 0;
    free(st->blob);
    st->blob = NULL;
    st->blob_row = -1;
}

static void clear_param(struct store_pg_stmt *st, int i)
{
    free(st->owned[i]);
    st->owned[i] = NULL;
    st->values[i] = NULL;
    st->lengths[i] = 0;
    st->formats[i] = 0;
}

void store_pg_finalize(struct store_pg_stmt *st)
{
    if (st == NULL)
        return;
    clear_result(st);
    if (st->desc != NULL)
        st->pg->pq.clear(st->desc);
    if (st->name[0] != '\0' && st->pg->pq.status(st->pg->conn) == CONNECTION_OK &&
        st->pg->pq.transactionStatus(st->pg->conn) != PQTRANS_INERROR) {
        char sql[64];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        st->pg->pq.clear(st->pg->pq.exec(st->pg->conn, sql));
    }
    if (st->copy_sql != NULL) {
        for (struct store_pg_stmt **pp = &st->pg->copies; *pp; pp = &(*pp)->next_copy)
            if (*pp == st) {
                *pp = st->next_copy;
                break;
            }
    }
    for (int i = 0; i < st->nparams; i++)
        free(st->owned[i]);
    free(st->values);
    free(st->lengths);
    free(st->formats);
    free(st->num);
    free(st->owned);
    free(st->copy_sql);
    strbuf_free(&st->copy_buf);
    free(st);
}

/* slot - the parameter of 1-based idx, or -1 when the statement has no such parameter */
static int slot(struct store_pg_stmt *st, int idx)
{
    if (idx < 1 || idx > st->nparams)
        return -1;
    clear_param(st, idx - 1);
    return idx - 1;
}

void store_pg_bind_int64(struct store_pg_stmt *st, int idx, int64_t v)
{
    int i = slot(st, idx);

    if (i < 0)
        return;
    st->lengths[i] = snprintf(st->num[i], sizeof st->num[i], "%lld", (long long)v);
    st->values[i] = st->num[i];
}

void store_pg_bind_double(struct store_pg_stmt *st, int idx, double v)
{
    int i = slot(st, idx);

    if (i < 0)
        return;
    st->lengths[i] = snprintf(st->num[i], sizeof st->num[i], "%.17g", v);
    st->values[i] = st->num[i];
}

/* bind_text - s[0..n) as text: kept as it is when terminated there and valid UTF-8 (the
 * caller keeps it until the step, as with SQLite), else copied (and repaired) */
static void bind_text(struct store_pg_stmt *st, int idx, const char *s, size_t n, int terminated)
{
    int i = slot(st, idx);

    if (i < 0 || s == NULL)
        return;
    if (!terminated || !utf8_ok(s, n)) {
        /* libpq takes text parameters up to their NUL, whatever their length says */
        struct strbuf sb = STRBUF_INIT;
        utf8_repair(&sb, s, n);
        st->owned[i] = strbuf_detach(&sb);
        if (st->owned[i] == NULL)
            st->owned[i] = xstrdup("");
        s = st->owned[i];
        n = strlen(s);
    }
    st->values[i] = s;
    st->lengths[i] = (int)n;
}

void store_pg_bind_text(struct store_pg_stmt *st, int idx, const char *s)
{
    bind_text(st, idx, s, s ? strlen(s) : 0, 1);
}

void store_pg_bind_textn(struct store_pg_stmt *st, int idx, const char *s, size_t n)
{
    bind_text(st, idx, s, n, 0);
}

void store_pg_bind_blob(struct store_pg_stmt *st, int idx, const void *p, size_t n)
{
    int i = slot(st, idx);

    if (i < 0)
        return;
    st->values[i] = n ? (const char *)p : "";
    st->lengths[i] = (int)n;
    st->formats[i] = st->copy_sql ? 2 : 1; /* binary bytea; in a COPY row: \x hex */
}

void store_pg_bind_null(struct store_pg_stmt *st, int idx)
{
    slot(st, idx);
}

/* copy_row - the bound values as one line of COPY's text format */
static void copy_row(struct store_pg_stmt *st)
{
    static const char hex[] = "0123456789abcdef";
    struct strbuf *b = &st->copy_buf;

    for (int i = 0; i < st->nparams; i++) {
        const char *v = st->values[i];
        if (i > 0)
            strbuf_putc(b, '\t');
        if (v == NULL) {
            strbuf_puts(b, "\\N");
            continue;
        }
        if (st->formats[i] == 2) {
            strbuf_puts(b, "\\\\x");
            for (int k = 0; k < st->lengths[i]; k++) {
                unsigned char c = (unsigned char)v[k];
                strbuf_putc(b, hex[c >> 4]);
                strbuf_putc(b, hex[c & 15]);
            }
            continue;
        }
        const char *run = v;
        for (const char *p = v; p < v + st->lengths[i]; p++) {
            const char *esc = *p == '\\'   ? "\\\\"
                              : *p == '\t' ? "\\t"
                              : *p == '\n' ? "\\n"
                              : *p == '\r' ? "\\r"
                                           : NULL;
            if (esc == NULL)
                continue;
            strbuf_append(b, run, (size_t)(p - run));
            strbuf_puts(b, esc);
            run = p + 1;
        }
        strbuf_append(b, run, (size_t)(v + st->lengths[i] - run));
    }
    strbuf_putc(b, '\n');
}

int store_pg_step(struct store_pg_stmt *st, struct diag *d)
{
    struct store_pg *pg = st->pg;
    ExecStatusType t;

    if (st->copy_sql != NULL) {
        copy_row(st);
        pg->changes = 1;
        /* a batch far larger than usual goes out early; the partitions it needs first */
        if (st->copy_buf.len >= COPY_FLUSH_BYTES && pg->in_txn && flush_all(pg, d) < 0)
            return -1;
        return 0;
    }
    if (st->res == NULL) {
        /* rows of a COPY pending in the transaction are not seen before the commit (the
         * ingest never reads them back): see the description above */
        st->res = pg->pq.execPrepared(pg->conn, st->name, st->nparams, st->values, st->lengths,
                                      st->formats, 0);
        t = pg->pq.resultStatus(st->res);
        if (t == PGRES_COMMAND_OK) {
            const char *n = pg->pq.cmdTuples(st->res);
            pg->changes = n[0] ? strtoll(n, NULL, 10) : 0;
            st->nrows = 0;
        } else if (t == PGRES_TUPLES_OK) {
            st->nrows = pg->pq.ntuples(st->res);
            const char *n = pg->pq.cmdTuples(st->res);
            pg->changes = n[0] ? strtoll(n, NULL, 10) : 0;
            if (strncmp(pg->pq.cmdStatus(st->res), "INSERT", 6) == 0 && st->nrows > 0 &&
                pg->pq.fnumber(st->res, "id") == 0)
                pg->last_id = strtoll(pg->pq.getvalue(st->res, 0, 0), NULL, 10);
        } else {
            fail_res(pg, st->readonly ? "reading" : "writing", st->res, d);
            clear_result(st);
            return -1;
        }
    }
    free(st->blob);
    st->blob = NULL;
    st->blob_row = -1;
    if (st->row + 1 < st->nrows) {
        st->row++;
        return 1;
    }
    st->row = st->nrows;
    return 0;
}

void store_pg_reset(struct store_pg_stmt *st)
{
    clear_result(st);
    for (int i = 0; i < st->nparams; i++)
        clear_param(st, i);
}

/* described - the result that names the columns: the current one, else the statement's */
static const PGresult *described(struct store_pg_stmt *st)
{
    if (st->res != NULL)
        return st->res;
    if (st->desc == NULL && st->name[0] != '\0')
        st->desc = st->pg->pq.describePrepared(st->pg->conn, st->name);
    return st->desc;
}

int store_pg_column_count(struct store_pg_stmt *st)
{
    const PGresult *r = described(st);

    return r ? st->pg->pq.nfields(r) : 0;
}

const char *store_pg_column_name(struct store_pg_stmt *st, int i)
{
    const PGresult *r = described(st);
    const char *n = r ? st->pg->pq.fname(r, i) : NULL;

    return n ? n : "";
}

/* cell - the text of column i of the current row, NULL for SQL NULL or no row */
static const char *cell(struct store_pg_stmt *st, int i)
{
    if (st->res == NULL || st->row < 0 || st->row >= st->nrows || i < 0 ||
        i >= st->pg->pq.nfields(st->res) || st->pg->pq.getisnull(st->res, st->row, i))
        return NULL;
    return st->pg->pq.getvalue(st->res, st->row, i);
}

int store_pg_column_is_null(struct store_pg_stmt *st, int i)
{
    return cell(st, i) == NULL;
}

int store_pg_column_kind(struct store_pg_stmt *st, int i)
{
    if (cell(st, i) == NULL)
        return 0;
    switch (st->pg->pq.ftype(st->res, i)) {
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
    case OID_BOOL:
        return 1;
    case OID_FLOAT4:
    case OID_FLOAT8:
    case OID_NUMERIC:
        return 2;
    case OID_BYTEA:
        return 4;
    default:
        return 3;
    }
}

int64_t store_pg_column_int64(struct store_pg_stmt *st, int i)
{
    const char *v = cell(st, i);

    if (v == NULL)
        return 0;
    if (st->pg->pq.ftype(st->res, i) == OID_BOOL)
        return v[0] == 't';
    if (st->pg->pq.ftype(st->res, i) == OID_NUMERIC || st->pg->pq.ftype(st->res, i) == OID_FLOAT8)
        return (int64_t)strtod(v, NULL);
    return strtoll(v, NULL, 10);
}

double store_pg_column_double(struct store_pg_stmt *st, int i)
{
    const char *v = cell(st, i);

    return v ? strtod(v, NULL) : 0.0;
}

/* unescaped - the bytes of bytea column i of the current row */
static const char *unescaped(struct store_pg_stmt *st, int i, size_t *len)
{
    const char *v = cell(st, i);

    if (v == NULL) {
        *len = 0;
        return "";
    }
    if (st->blob == NULL || st->blob_row != st->row || st->blob_col != i) {
        size_t n = 0;
        unsigned char *raw = st->pg->pq.unescapeBytea((const unsigned char *)v, &n);
        free(st->blob);
        /* one byte more, so that the text of a blob ends in NUL */
        st->blob = xmalloc(n + 1);
        if (raw != NULL)
            memcpy(st->blob, raw, n);
        st->blob[n] = '\0';
        if (raw != NULL)
            st->pg->pq.freemem(raw);
        st->blob_len = n;
        st->blob_row = st->row;
        st->blob_col = i;
    }
    *len = st->blob_len;
    return st->blob;
}

const char *store_pg_column_text(struct store_pg_stmt *st, int i)
{
    const char *v = cell(st, i);
    size_t n;

    if (v == NULL)
        return "";
    if (st->pg->pq.ftype(st->res, i) == OID_BYTEA)
        return unescaped(st, i, &n);
    if (st->pg->pq.ftype(st->res, i) == OID_BOOL)
        return v[0] == 't' ? "1" : "0";
    return v;
}

size_t store_pg_column_bytes(struct store_pg_stmt *st, int i)
{
    const char *v = cell(st, i);
    size_t n;

    if (v == NULL)
        return 0;
    if (st->pg->pq.ftype(st->res, i) == OID_BYTEA) {
        unescaped(st, i, &n);
        return n;
    }
    if (st->pg->pq.ftype(st->res, i) == OID_BOOL)
        return 1;
    return (size_t)st->pg->pq.getlength(st->res, st->row, i);
}

const void *store_pg_column_blob(struct store_pg_stmt *st, int i)
{
    size_t n;

    if (cell(st, i) != NULL && st->pg->pq.ftype(st->res, i) == OID_BYTEA)
        return unescaped(st, i, &n);
    return store_pg_column_text(st, i);
}

int store_pg_stmt_readonly(struct store_pg_stmt *st)
{
    return st->readonly;
}

int64_t store_pg_last_insert_id(struct store_pg *pg)
{
    return pg->last_id;
}

int64_t store_pg_changes(struct store_pg *pg)
{
    return pg->changes;
}
