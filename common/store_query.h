/*
 * store_query - an admin's own SQL ("rejectlens query"): one statement that only reads
 *
 * The statement is checked before it runs (see store_stmt_prepare_admin in store_internal.h):
 * more than one statement, or one that would write, attach, detach, start a transaction or
 * set a pragma, is refused with a message that says so. Open the store read-only as well.
 *
 * Values come back as text with their storage class, so that a writer can tell a number
 * from a string and a NULL from an empty string. A text or blob may hold any bytes (a blob
 * may hold NUL bytes): use store_query_bytes for its length.
 *
 * Ownership: store_query_close finalizes the statement (NULL is a no-op). Values are valid
 * until the next store_query_next.
 */
#ifndef REJECTLENS_STORE_QUERY_H
#define REJECTLENS_STORE_QUERY_H

#include <stddef.h>

#include "diag.h"
#include "store.h"

enum store_value_type {
    STORE_VALUE_NULL,
    STORE_VALUE_INTEGER,
    STORE_VALUE_FLOAT,
    STORE_VALUE_TEXT,
    STORE_VALUE_BLOB,
};

struct store_query;

/* store_query_open - prepare and check sql; 0, or -1 with the reason in d */
int store_query_open(struct store *s, const char *sql, struct store_query **out, struct diag *d);
int store_query_columns(const struct store_query *q);
const char *store_query_column_name(const struct store_query *q, int i);
/* store_query_next - 1 a row is ready, 0 no more rows, -1 error (in d) */
int store_query_next(struct store_query *q, struct diag *d);
enum store_value_type store_query_type(const struct store_query *q, int i);
/* store_query_text - the value as text ("" for NULL; a float as SQLite prints it) */
const char *store_query_text(const struct store_query *q, int i);
size_t store_query_bytes(const struct store_query *q, int i);
void store_query_close(struct store_query *q);

#endif
