/*
 * store_internal - what the store*.c files share: a thin wrapper over SQLite statements
 *
 * Only store.c includes sqlite3.h. The other store files hold the SQL of one job each (schema,
 * ingest writes, summary, ...) and run it through these functions, so that a second backend
 * has one small surface to implement. Not for use outside common/store*.c.
 */
#ifndef REJECTLENS_STORE_INTERNAL_H
#define REJECTLENS_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "store.h"
#include "strbuf.h"

/* 'RJLS': marks a database as ours (PRAGMA application_id) */
#define STORE_APPLICATION_ID 0x524A4C53

/* the UTC day of an event: the roll-ups' unit, and what PostgreSQL's address and queue-id
 * indexes lead with (store_schema.c) */
#define STORE_DAY_US   INT64_C(86400000000)
#define STORE_DAY_EXPR "e.ts / 86400000000"

/* the hour of an event (hours since 1970), which SQLite's address and queue-id indexes lead
 * with since schema 10 (store_schema.c says why), as the roll-ups count by it */
#define STORE_BUCKET_US   INT64_C(3600000000)
#define STORE_BUCKET_EXPR "e.ts / 3600000000"

/*
 * the failures (reject, bounce, defer, expire) of events e, in the very words of the partial
 * index events_failures (schema version 6): SQLite uses a partial index only for a query that
 * repeats its condition. Equalities joined by OR and not an IN list: SQLite evaluates an
 * index's condition for every row it inserts, and for an IN list of more than two values it
 * opens and clears a temporary table each time (15 % of an ingest's instructions).
 */
#define STORE_FAILURES "(e.kind = 1 OR e.kind = 3 OR e.kind = 4 OR e.kind = 5)"

struct store_stmt; /* a prepared statement */

/*
 * store_stmt_cached - the statement for `sql`, prepared on first use and kept until close.
 * `sql` must be a string literal: its address is the cache key.
 */
struct store_stmt *store_stmt_cached(struct store *s, const char *sql, struct diag *d);
/*
 * store_one_int64 - the first column of the first row of sql (a statement without parameters,
 * kept as store_stmt_cached keeps it): 1 with *out set, 0 when there is no row or the value is
 * NULL (*out unchanged), -1 with d set
 */
int store_one_int64(struct store *s, const char *sql, int64_t *out, struct diag *d);
/* store_stmt_prepare - a one-off statement; the caller finalizes it */
struct store_stmt *store_stmt_prepare(struct store *s, const char *sql, struct diag *d);
void store_stmt_finalize(struct store_stmt *st);

void store_bind_int64(struct store_stmt *st, int idx, int64_t v);
void store_bind_double(struct store_stmt *st, int idx, double v);
/* store_bind_text - NULL binds SQL NULL; the text is copied by SQLite only if it must */
void store_bind_text(struct store_stmt *st, int idx, const char *s);
void store_bind_textn(struct store_stmt *st, int idx, const char *s, size_t n);
void store_bind_blob(struct store_stmt *st, int idx, const void *p, size_t n);
void store_bind_null(struct store_stmt *st, int idx);

/*
 * store_blob_write - data[0..len) over the blob (SQLite only) at table.column of row rowid,
 * which holds len bytes already (a zeroblob): written through the page cache a page at a time,
 * where a bound blob is first copied whole into the record SQLite builds. 0, or -1 (d)
 */
int store_blob_write(struct store *s, const char *table, const char *column, int64_t rowid,
                     const void *data, size_t len, struct diag *d);

/* store_step - 1 a row is ready, 0 done, -1 error (message in d, naming the database) */
int store_step(struct store *s, struct store_stmt *st, struct diag *d);
/* store_reset - ready the statement for new bindings (always call after the last step) */
void store_reset(struct store_stmt *st);
/*
 * store_reset_rebind - store_reset keeping the values bound, for a statement whose every
 * parameter is bound again before its next step: clearing 1,792 parameters of the 64-row
 * event insert cost ~1 % of an ingest's instructions
 */
void store_reset_rebind(struct store_stmt *st);

int store_column_count(struct store_stmt *st);
const char *store_column_name(struct store_stmt *st, int i);
int store_column_is_null(struct store_stmt *st, int i);
int64_t store_column_int64(struct store_stmt *st, int i);
double store_column_double(struct store_stmt *st, int i);
/* store_column_text - valid until the next step or reset; "" for NULL */
const char *store_column_text(struct store_stmt *st, int i);
size_t store_column_bytes(struct store_stmt *st, int i);
/*
 * store_column_textn - store_column_text with its length in *len: the text is asked for first,
 * as SQLite wants (a length asked for first may describe another form of the value)
 */
const char *store_column_textn(struct store_stmt *st, int i, size_t *len);
/* store_column_dup - a copy of column i (the caller frees it), NULL when it is NULL */
char *store_column_dup(struct store_stmt *st, int i);
const void *store_column_blob(struct store_stmt *st, int i);
/* store_stmt_readonly - 1 when the statement cannot change the database */
int store_stmt_readonly(struct store_stmt *st);

/* the storage class of a value in the current row */
enum store_type { STORE_NULL, STORE_INTEGER, STORE_FLOAT, STORE_TEXT, STORE_BLOB };
enum store_type store_column_type(struct store_stmt *st, int i);

/*
 * store_stmt_prepare_admin - an admin's own SQL, checked before it runs: exactly one
 * statement that only reads (SELECT, WITH, VALUES, EXPLAIN, a pragma that reports). Writing,
 * ATTACH, DETACH, transactions and pragmas that set something are refused while the
 * statement is prepared (an authorizer), so nothing of them ever runs. NULL with a message
 * that says what was refused, or the SQL error, in d.
 */
struct store_stmt *store_stmt_prepare_admin(struct store *s, const char *sql, struct diag *d);

/* store_exec - run SQL text without results (several statements allowed: DDL) */
int store_exec(struct store *s, const char *sql, struct diag *d);
int64_t store_last_insert_id(struct store *s);
/* store_changes - rows changed by the last INSERT, UPDATE or DELETE */
int64_t store_changes(struct store *s);
/* store_in_txn - 1 inside store_begin .. store_commit */
int store_in_txn(const struct store *s);

/* store_writable - 1 when the store was opened to be written (STORE_READ_WRITE) */
int store_writable(const struct store *s);
/* store_was_busy - 1 when the last SQLite call that failed found the database locked by another
 * writer longer than the busy timeout */
int store_was_busy(const struct store *s);

/* store_rollup_state - the slot where store_rollup.c keeps what it knows of this connection,
 * freed with free_fn when the store closes */
void **store_rollup_state(struct store *s, void (*free_fn)(void *));
/*
 * The backends. SQL that both understand is written once; where they differ, the job file
 * keeps both texts side by side and picks one with STORE_SQL (both are string literals, so
 * each stays a cache key of its own). Placeholders are ?N in both: the PostgreSQL backend
 * turns them into $N.
 */
#define STORE_SQL(s, sqlite_text, pg_text) (store_is_pg(s) ? (pg_text) : (sqlite_text))
/* store_is_pg - 1 for the PostgreSQL backend (store_pg.c), 0 for SQLite */
int store_is_pg(const struct store *s);
/* store_origin - the host whose sources and parser state a PostgreSQL store keys on; "" */
const char *store_origin(const struct store *s);
/*
 * store_partition_ensure - PostgreSQL: an event of ts_us is about to be loaded, its month's
 * partition must exist by the commit; SQLite: nothing
 */
void store_partition_ensure(struct store *s, int64_t ts_us);
/* store_partitions_forget - partitions were dropped (prune): look again before creating */
void store_partitions_forget(struct store *s);
/*
 * store_schema_describe - "table column" lines for every table and view of the schema (not
 * the partitions), then "index name" lines, sorted: the test that keeps the backends'
 * schemas the same compares these
 */
int store_schema_describe(struct store *s, struct strbuf *out, struct diag *d);

/* store_migrate - bring the schema to STORE_SCHEMA_VERSION (store_schema.c) */
int store_migrate(struct store *s, int from_version, struct diag *d);

#endif
