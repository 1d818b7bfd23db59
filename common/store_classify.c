/*
 * store_classify - what "rejectlens classify" reads and writes: the reply texts and their
 * classification, nothing else (see store.h)
 *
 * Reclassifying walks reply_texts in id order, a batch at a time, so that a table of any size
 * needs bounded memory and an update never disturbs the read it follows.
 */
#include "store_internal.h"
#include "xalloc.h"

#include <string.h>

static char *dup_or_null(struct store_stmt *st, int col)
{
    return store_column_is_null(st, col) ? NULL : xstrdup(store_column_text(st, col));
}

int store_reply_texts_next(struct store *s, int64_t after_id, const char *stale_hash, size_t max,
                           struct reply_text_row **rows, size_t *n, struct diag *d)
{
    static const char q_all[] =
        "SELECT id, template, mta, kind, direction, stage, reply_code, status, category, rule, "
        "rules_hash FROM reply_texts WHERE id > ?1 ORDER BY id LIMIT ?2";
    static const char q_stale[] =
        "SELECT id, template, mta, kind, direction, stage, reply_code, status, category, rule, "
        "rules_hash FROM reply_texts WHERE id > ?1 AND (rules_hash IS NULL OR rules_hash <> ?3) "
        "ORDER BY id LIMIT ?2";
    struct store_stmt *st = store_stmt_cached(s, stale_hash ? q_stale : q_all, d);
    int rc = 0; /* max 0: no step */

    *rows = NULL;
    *n = 0;
    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, after_id);
    store_bind_int64(st, 2, (int64_t)max);
    if (stale_hash != NULL)
        store_bind_text(st, 3, stale_hash);
    *rows = xcalloc(max ? max : 1, sizeof **rows);
    while (*n < max && (rc = store_step(s, st, d)) == 1) {
        struct reply_text_row *r = &(*rows)[(*n)++];
        r->id = store_column_int64(st, 0);
        r->key.template_text = xstrdup(store_column_text(st, 1));
        r->key.mta = xstrdup(store_column_text(st, 2));
        r->key.kind = (enum event_kind)store_column_int64(st, 3);
        r->key.direction = (enum event_direction)store_column_int64(st, 4);
        r->key.stage = (enum smtp_stage)store_column_int64(st, 5);
        r->key.reply_code = (int)store_column_int64(st, 6);
        r->key.status = xstrdup(store_column_text(st, 7));
        r->category = dup_or_null(st, 8);
        r->rule = dup_or_null(st, 9);
        r->rules_hash = dup_or_null(st, 10);
    }
    store_reset(st);
    if (rc < 0) {
        store_reply_text_rows_free(*rows, *n);
        *rows = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

void store_reply_text_rows_free(struct reply_text_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)rows[i].key.template_text);
        free((char *)rows[i].key.mta);
        free((char *)rows[i].key.status);
        free(rows[i].category);
        free(rows[i].rule);
        free(rows[i].rules_hash);
    }
    free(rows);
}

int store_reply_text_classify(struct store *s, int64_t id, const char *category, const char *rule,
                              const char *rules_hash, struct diag *d)
{
    static const char sql[] =
        "UPDATE reply_texts SET category = ?2, rule = ?3, rules_hash = ?4 WHERE id = ?1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, id);
    store_bind_text(st, 2, category);
    store_bind_text(st, 3, rule);
    store_bind_text(st, 4, rules_hash);
    rc = store_step(s, st, d);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
