/*
 * store - the SQLite database of events, reply texts and log sources
 *
 * Every SQL statement of rejectlens lives in the store module (store*.c); the rest of the program
 * sees typed functions. Statements are prepared once and values are always bound, never pasted
 * into SQL. A database is created and migrated to the current schema version on open (read-write
 * mode); a database from a newer rejectlens is refused. See docs/schema.md.
 *
 * Writes happen inside store_begin/store_commit; a failed commit leaves the database as it was
 * after the previous commit. Functions return 0 (or 1 for "found") on success and -1 with a
 * message in d on failure.
 *
 * Ownership: store_close() finalizes every statement and closes the connection (NULL is a no-op).
 * Strings handed out in result structs are owned by the struct and freed by its _free function.
 */
#ifndef REJECTLENS_STORE_H
#define REJECTLENS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "event.h"
#include "strbuf.h"

#define STORE_SCHEMA_VERSION 2

enum store_mode {
    STORE_READ_WRITE, /* create if missing, migrate */
    STORE_READ_ONLY,  /* must exist and be current */
};

struct store;

/* store_open - busy_ms: how long to wait for another writer's lock before giving up */
int store_open(const char *path, enum store_mode mode, int busy_ms, struct store **out,
               struct diag *d);
void store_close(struct store *s);
const char *store_path(const struct store *s);
int store_schema_version(struct store *s, int *version, struct diag *d);

/* store_begin - start a write transaction (takes the write lock now, not at the first write) */
int store_begin(struct store *s, struct diag *d);
int store_commit(struct store *s, struct diag *d);
/* store_rollback - undo the open transaction, if any; never fails */
void store_rollback(struct store *s);

/* ---------------------------------------------------------------- sources */

struct store_source {
    int64_t id;
    char *path;
    int64_t dev, inode;
    int64_t size;   /* bytes of the stream when last seen */
    int64_t offset; /* bytes fully ingested */
    char fingerprint[65];
    int64_t fp_len; /* bytes the fingerprint covers */
    char format[32];
    int64_t lines, events, info_lines, foreign_lines, unparsed_lines;
    char last_seen[32];
};

/*
 * store_source_find_by_fingerprint - the source whose first fp_len bytes hash to the same
 * fingerprint as `head` does; candidates are tried in the order last seen. Returns 1 and fills
 * *out (free with store_source_free), 0 when none matches.
 */
int store_source_find(struct store *s, const unsigned char *head, size_t head_len,
                      struct store_source *out, struct diag *d);
/* store_source_add - a new source; out->id is set */
int store_source_add(struct store *s, struct store_source *src, struct diag *d);
/* store_source_update - write back path, dev, inode, size, offset, fingerprint, format, counts */
int store_source_update(struct store *s, const struct store_source *src, struct diag *d);
void store_source_free(struct store_source *src);

/* store_fingerprint - hex fingerprint of head[0..n): two 64-bit FNV-1a lanes, 32 digits */
void store_fingerprint(const unsigned char *head, size_t n, char out[65]);

/* ---------------------------------------------------------------- parser state */

int store_state_load(struct store *s, const char *format, struct strbuf *out, struct diag *d);
int store_state_save(struct store *s, const char *format, const char *data, size_t len,
                     struct diag *d);

/* ---------------------------------------------------------------- reply texts, events */

/*
 * A reply text is stored once per distinct masked template and per everything a rule's
 * conditions may look at (code, status, stage, kind, direction, mta): the classification of
 * a reply_texts row holds for every event that points at it.
 */
struct reply_key {
    const char *template_text; /* the masked text */
    const char *mta;
    enum event_kind kind;
    enum event_direction direction;
    enum smtp_stage stage;
    int reply_code;     /* 0 for none */
    const char *status; /* "" or NULL for none */
};

/* store_reply_text_find - the id of a reply text; 1 found, 0 not */
int store_reply_text_find(struct store *s, const struct reply_key *key, int64_t *id,
                          struct diag *d);
int store_reply_text_add(struct store *s, const struct reply_key *key, const char *category,
                         const char *rule, const char *rules_hash, int64_t *id, struct diag *d);

int store_event_add(struct store *s, const struct event *ev, int64_t source_id,
                    int64_t reply_text_id, struct diag *d);

/* store_unparsed_add - keep a sample of a line that could not be read (cut to 2000 bytes) */
int store_unparsed_add(struct store *s, int64_t source_id, int64_t offset, const char *why,
                       const char *line, size_t len, struct diag *d);

/* ---------------------------------------------------------------- reclassification */

/* one stored reply text with its classification (strings owned by the row) */
struct reply_text_row {
    int64_t id;
    struct reply_key key; /* template_text, mta and status are owned copies */
    char *category, *rule, *rules_hash;
};

/*
 * store_reply_texts_next - up to max reply texts with id > after_id, in id order; with
 * stale_hash non-NULL only those whose rules_hash differs from it (or is NULL). *rows is an
 * array of *n rows (free with store_reply_text_rows_free).
 */
int store_reply_texts_next(struct store *s, int64_t after_id, const char *stale_hash, size_t max,
                           struct reply_text_row **rows, size_t *n, struct diag *d);
void store_reply_text_rows_free(struct reply_text_row *rows, size_t n);

/* store_reply_text_classify - set a reply text's category, rule and rules hash */
int store_reply_text_classify(struct store *s, int64_t id, const char *category, const char *rule,
                              const char *rules_hash, struct diag *d);

/* ---------------------------------------------------------------- summary */

struct count_row {
    char *label;
    int64_t count;
};

struct count_table {
    struct count_row *rows;
    size_t n;
};

struct unparsed_sample {
    char *source;
    int64_t offset;
    char *reason;
    char *line; /* may hold NUL bytes: line_len says how long it is */
    size_t line_len;
};

struct store_summary {
    int64_t events;
    int64_t first_us, last_us; /* time span of the events counted; 0 when none */
    struct count_table by_kind, by_direction, by_kind_direction, by_code, by_status, by_category;
    /* parse statistics over every source ever read */
    int64_t sources, lines, info_lines, foreign_lines, unparsed_lines, source_events;
    struct unparsed_sample *samples;
    size_t nsamples;
};

/*
 * store_summary - counts of the events with since_us <= ts < until_us (INT64_MIN / INT64_MAX
 * for no bound), plus parse statistics and up to max_samples unparsed lines.
 */
int store_summary(struct store *s, int64_t since_us, int64_t until_us, size_t max_samples,
                  struct store_summary *out, struct diag *d);
void store_summary_free(struct store_summary *sum);

#endif
