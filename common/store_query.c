/*
 * store_query - an admin's own SQL, one read-only statement (see store_query.h)
 *
 * DESCRIPTION
 *	The checking is store_stmt_prepare_admin's (store.c): an authorizer while the statement
 *	is prepared, then sqlite3_stmt_readonly. This file only hands the rows out.
 */
#include "store_query.h"
#include "store_internal.h"
#include "xalloc.h"

struct store_query {
    struct store *s;
    struct store_stmt *st;
    int ncols;
};

int store_query_open(struct store *s, const char *sql, struct store_query **out, struct diag *d)
{
    struct store_stmt *st = store_stmt_prepare_admin(s, sql, d);

    *out = NULL;
    if (st == NULL)
        return -1;
    *out = xcalloc(1, sizeof **out);
    (*out)->s = s;
    (*out)->st = st;
    (*out)->ncols = store_column_count(st);
    return 0;
}

int store_query_columns(const struct store_query *q)
{
    return q->ncols;
}

const char *store_query_column_name(const struct store_query *q, int i)
{
    return store_column_name(q->st, i);
}

int store_query_next(struct store_query *q, struct diag *d)
{
    int rc = store_step(q->s, q->st, d);

    if (rc < 0)
        diag_prefix(d, "running the query");
    return rc;
}

enum store_value_type store_query_type(const struct store_query *q, int i)
{
    switch (store_column_type(q->st, i)) {
    case STORE_INTEGER:
        return STORE_VALUE_INTEGER;
    case STORE_FLOAT:
        return STORE_VALUE_FLOAT;
    case STORE_TEXT:
        return STORE_VALUE_TEXT;
    case STORE_BLOB:
        return STORE_VALUE_BLOB;
    default:
        return STORE_VALUE_NULL;
    }
}

const char *store_query_text(const struct store_query *q, int i)
{
    return store_column_text(q->st, i);
}

size_t store_query_bytes(const struct store_query *q, int i)
{
    return store_column_bytes(q->st, i);
}

void store_query_close(struct store_query *q)
{
    if (q == NULL)
        return;
    store_stmt_finalize(q->st);
    free(q);
}
