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

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "evbatch.h"
#include "event.h"
#include "strbuf.h"

#define STORE_SCHEMA_VERSION 10

enum store_mode {
    STORE_READ_WRITE, /* create if missing, migrate */
    STORE_READ_ONLY,  /* must exist and be current */
    STORE_INSPECT,    /* read-only, any schema version up to the current one (db check) */
};

struct store;

/*
 * store_is_remote - 1 when db names a PostgreSQL database rather than a SQLite file: a
 * postgresql:// or postgres:// URI, or a libpq connection string ("host=... dbname=...")
 */
int store_is_remote(const char *db);

/*
 * store_process_init - SQLite's settings for the whole process: call once at start, before any
 * store is opened or a thread started (the CLI's main). Without it the store works the same,
 * only slower: SQLite then counts every allocation under a global mutex.
 */
void store_process_init(void);

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
/*
 * store_read_begin - read what follows from one snapshot of the database, whatever writers
 * commit meanwhile (a report whose figures must add up); store_read_end ends it. Not inside
 * store_begin. PostgreSQL: nothing (each statement sees its own snapshot).
 */
int store_read_begin(struct store *s, struct diag *d);
void store_read_end(struct store *s);

/*
 * store_ingest_tuning - on: give the connection the page cache a bulk ingest needs (16 MiB,
 * so that a batch of a few hundred thousand lines is written to the WAL once, not spilled
 * and written again), and run its checkpoints in a thread of their own, so that the ingest
 * never waits for the disk to sync; off: back to what it had (store_close turns the thread
 * off too). 0, or -1 (d set).
 */
int store_ingest_tuning(struct store *s, int on, struct diag *d);
/* store_background_checkpoints - the checkpoints that thread ran since the store was opened */
int64_t store_background_checkpoints(const struct store *s);

/* ---------------------------------------------------------------- sources */

struct store_source {
    int64_t id;
    char *path;
    int64_t dev, inode;
    int64_t size;   /* bytes of the (decompressed) stream when last seen */
    int64_t offset; /* bytes fully ingested */
    char fingerprint[65];
    int64_t fp_len; /* bytes the fingerprint covers */
    char format[32];
    int64_t lines, events, info_lines, foreign_lines, unparsed_lines;
    char first_seen[32], last_seen[32];
    int64_t file_size;    /* bytes of the file on disk when last seen (compressed: the archive) */
    int64_t mtime_ns;     /* its modification time */
    char compression[16]; /* gzip, bzip2, xz, zstd; "" when read as it is */
    int at_end;           /* compressed: read to the end of its stream, nothing can follow */
};

/*
 * store_source_find - the source whose first fp_len bytes hash to the same fingerprint as
 * `head` does; candidates are tried in the order last seen. Returns 1 and fills *out (free
 * with store_source_free), 0 when none matches.
 */
int store_source_find(struct store *s, const unsigned char *head, size_t head_len,
                      struct store_source *out, struct diag *d);
/* store_source_find_file - the source last seen with this device and inode; 1 found, 0 not */
int store_source_find_file(struct store *s, int64_t dev, int64_t inode, struct store_source *out,
                           struct diag *d);
/*
 * store_sources_list - every source, most recently seen first: *out is an array of *n (free
 * each with store_source_free, then the array)
 */
int store_sources_list(struct store *s, struct store_source **out, size_t *n, struct diag *d);
/* store_source_add - a new source; out->id is set */
int store_source_add(struct store *s, struct store_source *src, struct diag *d);
/* store_source_update - write back everything but the id and first_seen; last_seen is now */
int store_source_update(struct store *s, const struct store_source *src, struct diag *d);
void store_source_free(struct store_source *src);

/*
 * store_source_lock - keep other processes from writing the log whose first n bytes are head
 * until store_source_unlock (or close), which releases every log locked so far. PostgreSQL:
 * an advisory lock on its first line, for many hosts and runs at once; SQLite: nothing (one
 * writer at a time holds the run lock beside the file). With wait, it waits for another
 * writer to let go: call it so outside a transaction, or two runs may wait for each other.
 * Without, it returns 0 at once when another writer holds it. 1 when locked, -1 on error.
 */
int store_source_lock(struct store *s, const unsigned char *head, size_t n, int wait,
                      struct diag *d);
int store_source_unlock(struct store *s, struct diag *d);

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
/* store_events_add - every row of b, in order, each with its reply_text_id; on failure some
 * rows may be in (the caller rolls the transaction back) */
int store_events_add(struct store *s, const struct evbatch *b, int64_t source_id, struct diag *d);

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

/* ---------------------------------------------------------------- prune (store_prune.c) */

struct store_prune_result {
    int64_t events;      /* events deleted */
    int64_t reply_texts; /* reply texts no event points at any more, deleted */
    int64_t samples;     /* unparsed-line samples of sources not seen since the cutoff */
};

/*
 * store_prune - delete the events with ts < before_us, in batches of their own transactions
 * (an admin's query waits for one batch at most; a crash keeps what was deleted), then the
 * reply texts no event points at and the samples of sources not seen since. The sources stay:
 * their offsets keep lines already read from being read again. `stop` (may be NULL) is looked
 * at between batches. 0 (counts in *out, also when stopped), or -1 with d set.
 */
int store_prune(struct store *s, int64_t before_us, const volatile sig_atomic_t *stop,
                struct store_prune_result *out, struct diag *d);

/* ---------------------------------------------------------------- check (store_check.c) */

struct store_check {
    int version; /* PRAGMA user_version */
    int64_t application_id;
    char journal_mode[16];
    char *integrity; /* "ok", or the problems SQLite found, one per line (owned) */
    int64_t events, reply_texts, unclassified, sources, unparsed_samples, report_runs;
    int64_t first_us, last_us; /* span of the events; 0 when none */
    int64_t page_size, pages, free_pages;
};

/*
 * store_check - PRAGMA integrity_check (or quick_check when !full), the schema version and
 * the counts of every table. Works on an older schema (STORE_INSPECT): tables it lacks count
 * -1. 0, or -1 with d set when the database cannot be read at all.
 */
int store_check(struct store *s, int full, struct store_check *out, struct diag *d);
void store_check_free(struct store_check *c);

/* ------------------------------------------------------ scheduled reports (store_schedule.c) */

enum report_run_state {
    REPORT_RUN_NONE,    /* not sent (no row) */
    REPORT_RUN_SENDING, /* a run began sending it, and did not say how it ended */
    REPORT_RUN_SENT,
    REPORT_RUN_UNKNOWN, /* a run died while sending it; an admin was told */
};

/*
 * A scheduled report is remembered per name and period: "sending" is written (and committed)
 * before the report is made and sent, "sent" after. A row left in "sending" means a run died
 * while sending: the mail may have gone out, so it is not sent again (never twice); the next
 * run says so once and marks it "unknown".
 */
int store_report_run_get(struct store *s, const char *name, const char *period_start,
                         enum report_run_state *state, struct diag *d);
/* store_report_run_begin - record "sending" for the period (its own transaction) */
int store_report_run_begin(struct store *s, const char *name, const char *period_start,
                           const char *period_end, struct diag *d);
/* store_first_event - the time of the oldest event; INT64_MAX when there is none */
int store_first_event(struct store *s, int64_t *ts_us, struct diag *d);
/*
 * store_report_run_end - how the attempt ended: SENT or UNKNOWN are recorded; NONE forgets it,
 * so that a later run tries again
 */
int store_report_run_end(struct store *s, const char *name, const char *period_start,
                         enum report_run_state outcome, struct diag *d);

/*
 * store_address_key - what events.recipient_key, sender_key and orig_recipient_key hold for
 * an address (schema 8; SQL: rejectlens_address_key): 48 bits of FNV-1a over its bytes, A-Z
 * taken as a-z as COLLATE NOCASE takes them. The day-and-address indexes compare these
 * integers instead of the strings. Two addresses may share a key: a look-up compares the
 * address as well. Public so that an event batch (evbatch.h) can carry its keys, made in the
 * reading thread instead of the store's.
 */
int64_t store_address_key(const char *addr, size_t len);

#endif
