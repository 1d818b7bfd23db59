/*
 * store_check - is the database whole, which schema is it, and what does it hold (see store.h)
 *
 * PostgreSQL keeps its pages whole itself (WAL, checksums when the cluster has them): its
 * check says "ok" once the server answers, and the size is the database's on disk; amcheck
 * is the tool for a deeper look (docs/scaling.md).
 */
#include "store_internal.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>

/* one_int - the first column of the first row of sql; *out = -1 when the statement cannot be
 * prepared (a table an older schema lacks) and missing_ok */
static int one_int(struct store *s, const char *sql, int missing_ok, int64_t *out, struct diag *d)
{
    struct store_stmt *st = store_stmt_prepare(s, sql, d);
    int rc;

    *out = -1;
    if (st == NULL)
        return missing_ok ? 0 : -1;
    if ((rc = store_step(s, st, d)) == 1)
        *out = store_column_int64(st, 0);
    store_stmt_finalize(st);
    return rc < 0 ? -1 : 0;
}

int store_check(struct store *s, int full, struct store_check *out, struct diag *d)
{
    struct store_stmt *st;
    struct strbuf sb = STRBUF_INIT;
    int64_t v;
    int rc;

    memset(out, 0, sizeof *out);
    if (store_is_pg(s)) {
        int version;
        if (store_schema_version(s, &version, d) < 0 ||
            one_int(s, "SELECT value::bigint FROM rejectlens_meta WHERE key = 'application_id'", 1,
                    &out->application_id, d) < 0 ||
            one_int(s, "SELECT pg_database_size(current_database()) / 8192", 0, &out->pages, d) < 0)
            return -1;
        out->version = version;
        out->page_size = 8192;
        snprintf(out->journal_mode, sizeof out->journal_mode, "postgresql");
        out->integrity = xstrdup("ok");
        goto counts;
    }
    if (one_int(s, "PRAGMA user_version", 0, &v, d) < 0 ||
        one_int(s, "PRAGMA application_id", 0, &out->application_id, d) < 0 ||
        one_int(s, "PRAGMA page_size", 0, &out->page_size, d) < 0 ||
        one_int(s, "PRAGMA page_count", 0, &out->pages, d) < 0 ||
        one_int(s, "PRAGMA freelist_count", 0, &out->free_pages, d) < 0)
        return -1;
    out->version = (int)v;
    if ((st = store_stmt_prepare(s, "PRAGMA journal_mode", d)) == NULL)
        return -1;
    if (store_step(s, st, d) == 1)
        snprintf(out->journal_mode, sizeof out->journal_mode, "%s", store_column_text(st, 0));
    store_stmt_finalize(st);
    /* integrity: one row "ok", or a row per problem */
    if ((st = store_stmt_prepare(
             s, full ? "PRAGMA integrity_check(100)" : "PRAGMA quick_check(100)", d)) == NULL)
        return -1;
    while ((rc = store_step(s, st, d)) == 1)
        strbuf_printf(&sb, "%s%s", sb.len ? "\n" : "", store_column_text(st, 0));
    store_stmt_finalize(st);
    if (rc < 0) {
        strbuf_free(&sb);
        return -1;
    }
    out->integrity = strbuf_detach(&sb);
    if (out->integrity == NULL)
        out->integrity = xstrdup("");
counts:
    /* counts; a table an older schema lacks counts -1 */
    if (one_int(s, "SELECT count(*) FROM events", 1, &out->events, d) < 0 ||
        one_int(s, "SELECT count(*) FROM reply_texts", 1, &out->reply_texts, d) < 0 ||
        one_int(s, "SELECT count(*) FROM reply_texts WHERE category IS NULL", 1, &out->unclassified,
                d) < 0 ||
        one_int(s, "SELECT count(*) FROM sources", 1, &out->sources, d) < 0 ||
        one_int(s, "SELECT count(*) FROM unparsed_lines", 1, &out->unparsed_samples, d) < 0 ||
        one_int(s, "SELECT count(*) FROM report_runs", 1, &out->report_runs, d) < 0 ||
        one_int(s, "SELECT coalesce(min(ts), 0) FROM events", 1, &out->first_us, d) < 0 ||
        one_int(s, "SELECT coalesce(max(ts), 0) FROM events", 1, &out->last_us, d) < 0) {
        store_check_free(out);
        return -1;
    }
    return 0;
}

void store_check_free(struct store_check *c)
{
    free(c->integrity);
    c->integrity = NULL;
}
