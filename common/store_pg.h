/*
 * store_pg - the PostgreSQL backend of the store: libpq under the statement wrapper of
 * store_internal.h. Only store.c calls it (it dispatches on the --db value); only store_pg.c
 * includes libpq-fe.h. Not for use outside common/store*.c.
 */
#ifndef REJECTLENS_STORE_PG_H
#define REJECTLENS_STORE_PG_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "store.h"

struct store_pg;
struct store_pg_stmt;

/* store_pg_open - connect; read_only sets default_transaction_read_only (query_only's twin) */
int store_pg_open(const char *conninfo, int read_only, int busy_ms, struct store_pg **out,
                  struct diag *d);
void store_pg_close(struct store_pg *pg);
/* store_pg_name - the database as messages name it: postgresql://user@host:port/dbname */
const char *store_pg_name(const struct store_pg *pg);
/* store_pg_origin - the host this process ingests for: $REJECTLENS_ORIGIN, else gethostname() */
const char *store_pg_origin(const struct store_pg *pg);

int store_pg_exec(struct store_pg *pg, const char *sql, struct diag *d);
int store_pg_begin(struct store_pg *pg, struct diag *d);
/* store_pg_commit - send the pending COPY rows (creating their partitions), then COMMIT */
int store_pg_commit(struct store_pg *pg, struct diag *d);
void store_pg_rollback(struct store_pg *pg);
int store_pg_in_txn(const struct store_pg *pg);
/* store_pg_schema_version - 0 when the database holds no rejectlens schema */
int store_pg_schema_version(struct store_pg *pg, int *version, struct diag *d);
/* store_pg_foreign - 1 when the database holds tables of ours without our metadata table */
int store_pg_foreign(struct store_pg *pg, struct diag *d);

/*
 * store_pg_partition_ensure - the month of ts_us needs its partition of events before the
 * pending COPY rows go in (created at commit, once per month and process)
 */
void store_pg_partition_ensure(struct store_pg *pg, int64_t ts_us);
/* store_pg_partitions_forget - partitions were dropped: check again before the next COPY */
void store_pg_partitions_forget(struct store_pg *pg);

/*
 * Statements: SQL as the job files write it, with ?N placeholders (turned into $N). A
 * statement "COPY table (columns) FROM STDIN" is a bulk load: each step appends the bound
 * row to a buffer that store_pg_commit sends (the rows are not seen before that).
 */
struct store_pg_stmt *store_pg_prepare(struct store_pg *pg, const char *sql, struct diag *d);
/*
 * store_pg_prepare_admin - an admin's own SQL: one statement that starts as a query does
 * (SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW), run in a read-only transaction, so that a
 * data-modifying WITH or a function that writes fails when it runs; NULL with what was
 * refused in d
 */
struct store_pg_stmt *store_pg_prepare_admin(struct store_pg *pg, const char *sql, struct diag *d);
void store_pg_finalize(struct store_pg_stmt *st);
void store_pg_bind_int64(struct store_pg_stmt *st, int idx, int64_t v);
void store_pg_bind_double(struct store_pg_stmt *st, int idx, double v);
void store_pg_bind_text(struct store_pg_stmt *st, int idx, const char *s);
void store_pg_bind_textn(struct store_pg_stmt *st, int idx, const char *s, size_t n);
void store_pg_bind_blob(struct store_pg_stmt *st, int idx, const void *p, size_t n);
void store_pg_bind_null(struct store_pg_stmt *st, int idx);
int store_pg_step(struct store_pg_stmt *st, struct diag *d);
void store_pg_reset(struct store_pg_stmt *st);
int store_pg_column_count(struct store_pg_stmt *st);
const char *store_pg_column_name(struct store_pg_stmt *st, int i);
int store_pg_column_is_null(struct store_pg_stmt *st, int i);
/* store_pg_column_kind - 0 null, 1 integer, 2 float, 3 text, 4 blob (store_type's order) */
int store_pg_column_kind(struct store_pg_stmt *st, int i);
int64_t store_pg_column_int64(struct store_pg_stmt *st, int i);
double store_pg_column_double(struct store_pg_stmt *st, int i);
const char *store_pg_column_text(struct store_pg_stmt *st, int i);
size_t store_pg_column_bytes(struct store_pg_stmt *st, int i);
const void *store_pg_column_blob(struct store_pg_stmt *st, int i);
int store_pg_stmt_readonly(struct store_pg_stmt *st);
/* store_pg_last_insert_id - the id an INSERT ... RETURNING id gave last */
int64_t store_pg_last_insert_id(struct store_pg *pg);
int64_t store_pg_changes(struct store_pg *pg);

#endif
