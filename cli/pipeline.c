/*
 * pipeline - log files into the store (see pipeline.h)
 */
#include "pipeline.h"
#include "classify.h"
#include "cli.h"
#include "lru.h"
#include "mask.h"
#include "reader.h"
#include "workq.h"
#include "xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FINGERPRINT_BYTES   READER_PEEK_MAX
#define SAMPLES_PER_FILE    20
#define REPLY_CACHE_ENTRIES 20000
#define MASK_MEMO_ENTRIES   8192 /* reply texts and their templates */
#define MASK_MEMO_TEXT_MAX  1024 /* longer texts are masked every time */
#define BATCH_ROWS          512
#define FIRST_BATCH_ROWS    32 /* after the store has caught up: it has nothing else to do */
#define QUEUED_JOBS         4  /* jobs waiting for the store thread: a few MB at most */
#define MAX_STATES          8  /* parser states saved at a checkpoint (ingest.c's slots) */

/*
 * job - what the store does for the reader: a batch of events, a sample of an unparsed line,
 * or a checkpoint (the source row and the parsers' states, then commit; or only the row of a
 * file that ended, left for a later checkpoint to commit). Jobs run in the order they were
 * made, in the store's thread (workq.h).
 */
enum job_kind { JOB_EVENTS, JOB_UNPARSED, JOB_CHECKPOINT };

struct job {
    enum job_kind kind;
    int64_t source_id;
    struct evbatch batch;    /* JOB_EVENTS */
    int64_t offset;          /* JOB_UNPARSED: where the line is */
    const char *why;         /* JOB_UNPARSED: static */
    struct strbuf data;      /* JOB_UNPARSED: the line */
    struct store_source src; /* JOB_CHECKPOINT: the row to write (its path is borrowed) */
    int with_source;         /* JOB_CHECKPOINT: src is to be written */
    int commit;              /* JOB_CHECKPOINT: states saved, then commit */
    const char *formats[MAX_STATES];
    struct strbuf states[MAX_STATES]; /* JOB_CHECKPOINT: taken from the parsers' buffers */
    size_t nstates;
};

struct pipeline {
    struct store *store;
    struct store_source src; /* the file being read */
    struct pipeline_file_result *fr;
    const struct pipeline_options *opt;
    int file_index;
    int64_t lines_before; /* lines of the files read before in this run */
    int64_t start_pos;    /* reader_file_pos() once positioned where the last run stopped */
    struct ingest_stats *stats;
    struct ingest_stats base; /* the source's counts before this run */
    int64_t samples;
    int in_txn;
    int deferred; /* a file's end is in the transaction, its parsers' states are not yet */
    struct diag err;
    struct ruleset *rules;
    struct lru *replies;     /* reply key -> int64_t id in reply_texts */
    struct lru *masks;       /* reply text -> struct masked, its template */
    struct strbuf tmpl, key; /* scratch for the current event */
    int64_t dry_ids;         /* without a store: the ids handed out to new reply texts */
    struct workq *q;         /* the store's jobs, run in order; NULL in a dry run */
    struct job *cur;         /* the batch being filled, not yet queued */
    size_t batch_rows;       /* rows that make cur full: small after a sync, up to BATCH_ROWS */
    struct ingest_session *session;
};

static int ensure_txn(struct pipeline *p)
{
    if (p->in_txn || p->store == NULL)
        return 0;
    if (store_begin(p->store, &p->err) < 0)
        return -1;
    p->in_txn = 1;
    return 0;
}

/* reply_key_of - the lookup key of a reply: code, stage, kind, direction, status, MTA and
 * template, in p->key */
static void reply_key_of(struct pipeline *p, const struct reply_key *k, size_t tlen)
{
    unsigned char head[8];
    uint32_t code = (uint32_t)k->reply_code;

    memcpy(head, &code, 4);
    head[4] = (unsigned char)k->stage;
    head[5] = (unsigned char)k->kind;
    head[6] = (unsigned char)k->direction;
    head[7] = 0;
    strbuf_reset(&p->key);
    strbuf_append(&p->key, (const char *)head, sizeof head);
    strbuf_append(&p->key, k->status, strlen(k->status) + 1);
    strbuf_append(&p->key, k->mta, strlen(k->mta) + 1);
    strbuf_append(&p->key, k->template_text, tlen);
}

/*
 * reply_text_id - the reply_texts row of a reply: from the cache, else from the database,
 * else classified now and added. The key holds everything a rule may look at.
 */
static int reply_text_id(struct pipeline *p, const struct reply_key *k, size_t tlen, int64_t *id)
{
    int64_t *cached;
    int found = 0;

    reply_key_of(p, k, tlen);
    if ((cached = lru_get(p->replies, p->key.buf, p->key.len)) != NULL) {
        *id = *cached;
        return 0;
    }
    if (p->store != NULL && (found = store_reply_text_find(p->store, k, id, &p->err)) < 0)
        return -1;
    if (!found) {
        struct classify_input in = {k->template_text, tlen,    k->reply_code, k->status,
                                    k->stage,         k->kind, k->direction,  k->mta};
        struct classification c;
        classify(p->rules, &in, &c);
        if (p->store == NULL)
            *id = ++p->dry_ids;
        else if (store_reply_text_add(p->store, k, c.category_id, c.rule ? c.rule->id : NULL,
                                      p->rules->hash, id, &p->err) < 0)
            return -1;
    }
    cached = xmalloc(sizeof *cached);
    *cached = *id;
    lru_put(p->replies, p->key.buf, p->key.len, cached);
    return 0;
}

/* reply_key_init - the key fields of an event's reply */
static void reply_key_init(struct reply_key *k, const char *tmpl, const char *mta,
                           enum event_kind kind, enum event_direction dir, enum smtp_stage stage,
                           int code, const char *status)
{
    k->template_text = tmpl;
    k->mta = mta ? mta : "";
    k->kind = kind;
    k->direction = dir;
    k->stage = stage;
    k->reply_code = code > 0 ? code : 0;
    k->status = status ? status : "";
}

/*
 * store_batch - a batch of events into the store: each classified row gets its reply text id
 * (in the order of the rows, so ids come out as if added one event at a time), then all rows
 * go in with a few multi-row INSERTs. 0, or -1 (p->err).
 */
static int store_batch(struct pipeline *p, struct evbatch *b, int64_t source_id)
{
    if (b->n == 0)
        return 0;
    if (ensure_txn(p) < 0)
        return -1;
    for (size_t i = 0; i < b->n; i++) {
        struct evbatch_row *r = &b->rows[i];
        struct reply_key k;
        if (r->str[EVB_TEMPLATE] == 0)
            continue;
        reply_key_init(&k, evbatch_str(b, r, EVB_TEMPLATE), evbatch_str(b, r, EVB_MTA),
                       (enum event_kind)r->kind, (enum event_direction)r->direction,
                       (enum smtp_stage)r->stage, r->reply_code, evbatch_str(b, r, EVB_STATUS));
        if (reply_text_id(p, &k, r->len[EVB_TEMPLATE], &r->reply_text_id) < 0)
            return -1;
    }
    return store_events_add(p->store, b, source_id, &p->err);
}

/*
 * store_checkpoint - the source row and the parsers' states, then commit; or the row alone,
 * uncommitted: 0, or -1 (p->err)
 */
static int store_checkpoint(struct pipeline *p, struct job *j)
{
    if (ensure_txn(p) < 0)
        return -1;
    if (j->with_source && store_source_update(p->store, &j->src, &p->err) < 0)
        return -1;
    for (size_t i = 0; i < j->nstates; i++) {
        int rc = store_state_save(p->store, j->formats[i], strbuf_str(&j->states[i]),
                                  j->states[i].len, &p->err);
        strbuf_free(&j->states[i]); /* a job waiting to be used again holds no megabytes */
        if (rc < 0)
            return -1;
    }
    if (!j->commit)
        return 0;
    p->in_txn = 0;
    return store_commit(p->store, &p->err);
}

/* run_job - a job in the store's thread; 0, or -1 with p->err set */
static int run_job(void *ctx, void *job)
{
    struct pipeline *p = ctx;
    struct job *j = job;

    switch (j->kind) {
    case JOB_EVENTS:
        return store_batch(p, &j->batch, j->source_id);
    case JOB_UNPARSED:
        if (ensure_txn(p) < 0)
            return -1;
        return store_unparsed_add(p->store, j->source_id, j->offset, j->why, j->data.buf,
                                  j->data.len, &p->err);
    case JOB_CHECKPOINT:
        return store_checkpoint(p, j);
    }
    return 0;
}

static void free_job(void *job)
{
    struct job *j = job;

    evbatch_free(&j->batch);
    strbuf_free(&j->data);
    for (size_t i = 0; i < MAX_STATES; i++)
        strbuf_free(&j->states[i]);
    free(j);
}

/* new_job - an empty job of a kind, reused when the store has finished one */
static struct job *new_job(struct pipeline *p, enum job_kind kind)
{
    struct job *j = workq_reuse(p->q);

    if (j == NULL)
        j = xcalloc(1, sizeof *j);
    j->kind = kind;
    j->source_id = p->src.id;
    evbatch_reset(&j->batch);
    strbuf_reset(&j->data);
    j->nstates = 0;
    return j;
}

/* push_job - hand a job to the store; 0, or -1 when the store has failed */
static int push_job(struct pipeline *p, struct job *j)
{
    return workq_push(p->q, j);
}

/* push_events - the batch being filled goes to the store */
static int push_events(struct pipeline *p)
{
    struct job *j = p->cur;

    if (j == NULL || j->batch.n == 0)
        return 0;
    p->cur = NULL;
    return push_job(p, j);
}

/*
 * sync_store - every job done, so that this thread may use the store itself: 0, or -1 when a
 * job failed (p->err)
 */
static int sync_store(struct pipeline *p)
{
    if (p->q == NULL)
        return 0;
    if (push_events(p) < 0)
        return -1;
    p->batch_rows = FIRST_BATCH_ROWS;
    return workq_drain(p->q);
}

/* a template in the mask memo */
struct masked {
    size_t len;
    char text[];
};

/*
 * template_of - the masked text of a reply (mask.h), remembered for the texts seen lately: a
 * deferral or a rejection is often logged again word for word, and a lookup costs a few
 * percent of masking. The template is valid until the next call.
 */
static const char *template_of(struct pipeline *p, const char *text, size_t *tlen)
{
    size_t n = text != NULL ? strlen(text) : 0;
    struct masked *m;

    if (n > 0 && n <= MASK_MEMO_TEXT_MAX && (m = lru_get(p->masks, text, n)) != NULL) {
        *tlen = m->len;
        return m->text;
    }
    strbuf_reset(&p->tmpl);
    if (n > 0)
        mask(text, n, &p->tmpl, NULL);
    if (n > 0 && n <= MASK_MEMO_TEXT_MAX) {
        m = xmalloc(sizeof *m + p->tmpl.len + 1);
        m->len = p->tmpl.len;
        memcpy(m->text, strbuf_str(&p->tmpl), p->tmpl.len + 1);
        lru_put(p->masks, text, n, m);
    }
    *tlen = p->tmpl.len;
    return strbuf_str(&p->tmpl);
}

static int on_event(void *ctx, const struct event *ev)
{
    struct pipeline *p = ctx;
    const char *tmpl = NULL;
    size_t tlen = 0;

    if (p->rules != NULL && ev->kind != EVENT_DELIVER &&
        (ev->text != NULL || ev->reply_code > 0 || ev->status != NULL))
        tmpl = template_of(p, ev->text, &tlen);
    if (p->store == NULL) { /* a dry run: classified, and that is all */
        struct reply_key k;
        int64_t id;
        if (tmpl == NULL)
            return 0;
        reply_key_init(&k, tmpl, ev->mta, ev->kind, ev->direction, ev->stage, ev->reply_code,
                       ev->status);
        return reply_text_id(p, &k, tlen, &id);
    }
    if (p->cur == NULL)
        p->cur = new_job(p, JOB_EVENTS);
    evbatch_add(&p->cur->batch, ev, tmpl, tlen);
    if (p->cur->batch.n < p->batch_rows)
        return 0;
    if (p->batch_rows < BATCH_ROWS)
        p->batch_rows *= 2;
    return push_events(p);
}

static int on_unparsed(void *ctx, const struct log_line *ln, const char *why)
{
    struct pipeline *p = ctx;
    struct job *j;

    if (p->samples >= SAMPLES_PER_FILE || p->store == NULL)
        return 0;
    p->samples++;
    j = new_job(p, JOB_UNPARSED);
    j->offset = ln->offset;
    j->why = why;
    strbuf_append(&j->data, ln->text, ln->len);
    return push_job(p, j);
}

/* checkpoint_job - a checkpoint job, with the row of the file being read when offset >= 0 */
static struct job *checkpoint_job(struct pipeline *p, int64_t offset, int commit)
{
    const struct ingest_stats *st = p->stats;
    struct job *j = new_job(p, JOB_CHECKPOINT);

    j->commit = commit;
    j->with_source = offset >= 0;
    if (offset < 0)
        return j;
    p->src.offset = offset;
    if (offset > p->src.size)
        p->src.size = offset;
    if (p->fr->format != NULL) /* known from the first lines, before the first checkpoint */
        snprintf(p->src.format, sizeof p->src.format, "%s", p->fr->format);
    p->src.lines = p->base.lines + st->lines;
    p->src.events = p->base.events + st->events;
    p->src.info_lines = p->base.info + st->info;
    p->src.foreign_lines = p->base.foreign + st->foreign;
    p->src.unparsed_lines = p->base.unparsed + st->unparsed;
    j->src = p->src; /* the path stays p->src's: it lives until the file is done */
    return j;
}

static int on_checkpoint(void *ctx, int64_t offset, const struct parser_state_blob *states,
                         size_t nstates)
{
    struct pipeline *p = ctx;
    struct job *j;

    if (p->store == NULL)
        return 0;
    if (push_events(p) < 0)
        return -1;
    j = checkpoint_job(p, offset, 1);
    if (nstates > MAX_STATES)
        nstates = MAX_STATES; /* ingest.c has no more slots than that */
    for (size_t i = 0; i < nstates; i++) {
        /* the bytes change hands, not copied: a state may be megabytes */
        struct strbuf mine = j->states[i];
        j->formats[i] = states[i].format;
        j->states[i] = *states[i].buf;
        *states[i].buf = mine;
        strbuf_reset(states[i].buf);
    }
    j->nstates = nstates;
    p->deferred = 0;
    return push_job(p, j);
}

static int on_file_read(void *ctx, int64_t offset)
{
    struct pipeline *p = ctx;

    if (push_events(p) < 0)
        return -1;
    p->deferred = 1;
    return push_job(p, checkpoint_job(p, offset, 0));
}

/*
 * end_batch - the files whose ends are pending go in now, with the parsers' states (a
 * checkpoint outside a file), and every log they locked is let go: 0, or -1 (p->err)
 */
static int end_batch(struct pipeline *p)
{
    struct diag fd = {""};

    if (!p->deferred)
        return 0;
    if (ingest_session_checkpoint(p->session, &fd) < 0 || sync_store(p) < 0) {
        sync_store(p);
        if (p->err.msg[0] == '\0')
            diag_set(&p->err, "%s", fd.msg);
        return -1;
    }
    return store_source_unlock(p->store, &p->err);
}

static int on_load_state(void *ctx, const char *format, struct strbuf *out)
{
    struct pipeline *p = ctx;

    if (p->store == NULL)
        return 0; /* a dry run starts from nothing */
    if (sync_store(p) < 0)
        return -1;
    return store_state_load(p->store, format, out, &p->err);
}

/* report - tell the progress callback where the run is: file_pos bytes into the file */
static void report(struct pipeline *p, int64_t file_lines, int64_t file_pos, int done)
{
    struct pipeline_progress pp;

    if (p->opt->progress == NULL)
        return;
    pp.file = p->file_index;
    pp.file_pos = file_pos;
    pp.skipped = p->start_pos;
    pp.lines = p->lines_before + file_lines;
    pp.done = done;
    p->opt->progress(p->opt->progress_ctx, &pp);
}

static void on_progress(void *ctx, const struct ingest_stats *st, int64_t file_pos)
{
    struct pipeline *p = ctx;

    report(p, st->lines, file_pos, 0);
}

/* same_file - the file on disk is the one a source row saw last: device, inode, size, mtime */
static int same_file(const struct store_source *src, const struct stat *sb)
{
    return src->dev == (int64_t)sb->st_dev && src->inode == (int64_t)sb->st_ino &&
           src->file_size == (int64_t)sb->st_size &&
           src->mtime_ns == (int64_t)sb->st_mtim.tv_sec * 1000000000 + (int64_t)sb->st_mtim.tv_nsec;
}

/* compression_name - the static name equal to a stored one */
static const char *compression_name(const char *stored)
{
    static const char *const names[] = {"gzip", "bzip2", "xz", "zstd"};

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(stored, names[i]) == 0)
            return names[i];
    return NULL;
}

/*
 * unchanged_archive - 1 when the file is an archive read to its end by an earlier run and not
 * changed since (same device, inode, size, mtime): nothing in it can be new, and it is not
 * decompressed again. The source's path and last_seen are brought up to date (a rotation
 * renames it). 0 when it must be read, -1 when the store failed (p->err).
 */
static int unchanged_archive(struct pipeline *p, const char *path, const struct stat *sb)
{
    struct store_source src;
    int found, rc = 0;

    if ((found = store_source_find_file(p->store, (int64_t)sb->st_dev, (int64_t)sb->st_ino, &src,
                                        &p->err)) <= 0)
        return found;
    if (src.compression[0] != '\0' && src.at_end && same_file(&src, sb)) {
        char *real = realpath(path, NULL);
        if (real != NULL && strcmp(real, src.path) != 0) {
            free(src.path);
            src.path = real;
            real = NULL;
            /* committed with the file's end, or with a checkpoint when one is pending */
            if (ensure_txn(p) < 0 || store_source_update(p->store, &src, &p->err) < 0) {
                free(real);
                store_source_free(&src);
                return -1;
            }
        }
        free(real);
        p->fr->start_offset = src.offset;
        p->fr->unchanged = 1;
        p->fr->compression = compression_name(src.compression);
        rc = 1;
    }
    store_source_free(&src);
    return rc;
}

/*
 * open_source - find (or create) the source row of an open file and position the reader
 * where the previous run stopped. Returns 1 to read, 0 to skip (empty, or an archive read
 * before), -1 when the file cannot be read (message in d), -2 when the store failed (message
 * in p->err).
 */
static int open_source(struct pipeline *p, struct reader *r, const char *path,
                       struct pipeline_file_result *fr, struct diag *d)
{
    const unsigned char *head;
    struct stat sb;
    size_t hl;
    int found;

    memset(&p->src, 0, sizeof p->src);
    memset(&p->base, 0, sizeof p->base);
    if (fstat(reader_fd(r), &sb) < 0)
        return diag_set(d, "%s: %s", path, strerror(errno));
    if (p->store == NULL) {
        /* a dry run reads every file whole, as if it were new */
        if (reader_peek(r, FINGERPRINT_BYTES, &head, &hl, d) < 0)
            return -1;
        fr->compression = reader_compression(r);
        if (fr->compression != NULL)
            reader_take_partial(r, 1);
        return hl > 0;
    }
    if (!S_ISREG(sb.st_mode)) {
        /* a pipe or stdin: no identity to remember, every run is new */
        p->src.path = xstrdup(path);
        snprintf(p->src.fingerprint, sizeof p->src.fingerprint, "stream");
        if (ensure_txn(p) < 0 || store_source_add(p->store, &p->src, &p->err) < 0)
            return -2;
        return 1;
    }
    if ((found = unchanged_archive(p, path, &sb)) != 0)
        return found < 0 ? -2 : 0;
    if (reader_peek(r, FINGERPRINT_BYTES, &head, &hl, d) < 0)
        return -1;
    if (hl == 0)
        return 0;
    fr->compression = reader_compression(r);
    /*
     * PostgreSQL: another host or run may be reading this very log; wait for it to finish,
     * then go on from its checkpoint. Not while this run holds files of its own uncommitted
     * (and their logs locked): the other may be waiting for one of them. Those go in first.
     */
    if ((found = store_source_lock(p->store, head, hl, !p->deferred, &p->err)) < 0)
        return -2;
    if (found == 0 && (end_batch(p) < 0 || store_source_lock(p->store, head, hl, 1, &p->err) < 0))
        return -2;
    if ((found = store_source_find(p->store, head, hl, &p->src, &p->err)) < 0)
        return -2;
    if (found && fr->compression == NULL && p->src.offset > (int64_t)sb.st_size) {
        /* the same first bytes but shorter than what we read: truncated and rewritten */
        p->src.offset = 0;
    }
    free(p->src.path);
    /* the absolute path: "mail.log" means nothing once the shell has moved on */
    char *real = realpath(path, NULL);
    p->src.path = real ? real : xstrdup(path);
    p->src.dev = (int64_t)sb.st_dev;
    p->src.inode = (int64_t)sb.st_ino;
    p->src.file_size = (int64_t)sb.st_size;
    p->src.mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + (int64_t)sb.st_mtim.tv_nsec;
    snprintf(p->src.compression, sizeof p->src.compression, "%s",
             fr->compression ? fr->compression : "");
    p->src.at_end = 0;
    if (fr->compression == NULL)
        p->src.size = (int64_t)sb.st_size;
    else if (p->src.size < p->src.offset)
        p->src.size = p->src.offset; /* the stream's length is known once read to its end */
    store_fingerprint(head, hl, p->src.fingerprint);
    p->src.fp_len = (int64_t)hl;
    if (!found) {
        if (ensure_txn(p) < 0 || store_source_add(p->store, &p->src, &p->err) < 0)
            return -2;
    } else {
        p->base.lines = p->src.lines;
        p->base.events = p->src.events;
        p->base.info = p->src.info_lines;
        p->base.foreign = p->src.foreign_lines;
        p->base.unparsed = p->src.unparsed_lines;
    }
    /* an archive is final: a last line without a newline will never be finished */
    if (fr->compression != NULL)
        reader_take_partial(r, 1);
    fr->start_offset = p->src.offset;
    if (p->src.offset > 0 && reader_skip_to(r, p->src.offset, d) < 0)
        return -1;
    return 1;
}

/* mark_at_end - an archive was read to its end: remember its length, never decompress it again
 * while it stays the same file */
static int mark_at_end(struct pipeline *p, struct reader *r)
{
    if (p->store == NULL)
        return 0;
    p->src.at_end = 1;
    p->src.size = reader_offset(r);
    if (ensure_txn(p) < 0 || store_source_update(p->store, &p->src, &p->err) < 0)
        return -1;
    return 0;
}

int pipeline_ingest(struct store *s, char *const *paths, int npaths,
                    const struct pipeline_options *opt, struct pipeline_result *res, struct diag *d)
{
    struct pipeline p;
    struct ingest_hooks hooks = {&p,           on_event,      on_unparsed, on_checkpoint,
                                 on_file_read, on_load_state, on_progress};
    struct ingest_session *session;
    struct ingest_options io;
    int rc = 0, flushed = 0;

    memset(&p, 0, sizeof p);
    memset(res, 0, sizeof *res);
    p.store = s;
    p.opt = opt;
    p.rules = opt->rules;
    p.replies = lru_new(REPLY_CACHE_ENTRIES, free);
    p.masks = lru_new(MASK_MEMO_ENTRIES, free);
    res->files = xcalloc((size_t)(npaths > 0 ? npaths : 1), sizeof *res->files);
    memset(&io, 0, sizeof io);
    io.year_ref_s = opt->year_ref_s;
    io.default_host = opt->default_host;
    io.checkpoint_lines = opt->checkpoint_lines;
    io.stop = opt->stop;
    if (s == NULL) { /* a dry run keeps no state: none is saved */
        hooks.checkpoint = NULL;
        hooks.file_read = NULL;
        /* and its second core is free: an ingest gives it to the store */
        io.parse_ahead = opt->threads > 1;
    }
    session = ingest_session_new(&hooks);
    p.session = session;
    if (s != NULL && store_ingest_tuning(s, 1, d) < 0) {
        rc = -1;
        npaths = 0; /* nothing is read */
    }
    if (s != NULL)
        p.q = workq_new(opt->threads > 1, QUEUED_JOBS, run_job, free_job, &p);
    p.batch_rows = FIRST_BATCH_ROWS;
    res->threaded = p.q != NULL && workq_threaded(p.q);

    for (int i = 0; i < npaths; i++) {
        struct pipeline_file_result *fr = &res->files[res->nfiles++];
        struct reader *r = NULL;
        struct diag fd = {""};
        int ok;

        fr->path = paths[i];
        p.fr = fr;
        p.file_index = i;
        if (opt->stop != NULL && *opt->stop) {
            res->interrupted = 1;
            res->nfiles--;
            break;
        }
        if (reader_open(paths[i], &r, &fd) < 0) {
            cli_error("%s", fd.msg);
            fr->failed = 1;
            res->files_failed++;
            continue;
        }
        reader_decompress_ahead(r, opt->threads > 1);
        p.start_pos = 0;
        p.samples = 0;
        p.stats = &fr->stats;
        ok = open_source(&p, r, paths[i], fr, &fd);
        if (ok == -2) {
            reader_close(r);
            diag_set(d, "%s", p.err.msg);
            rc = -1;
            break;
        }
        if (ok < 0) {
            cli_error("%s", fd.msg);
            fr->failed = 1;
            res->files_failed++;
        } else if (ok > 0) {
            diag_clear(&p.err);
            p.start_pos = reader_file_pos(r);
            /* a file read before goes on in the format found then, not one guessed from
             * whatever lines happen to follow */
            io.format = opt->format;
            if ((opt->format == NULL || strcmp(opt->format, "auto") == 0) &&
                p.src.format[0] != '\0' && p.src.offset > 0)
                io.format = p.src.format;
            int frc =
                ingest_session_file(session, r, &io, i == npaths - 1, &fr->stats, &fr->format, &fd);
            /* the store's thread has done this file's jobs before anything else is decided */
            if (sync_store(&p) < 0) {
                diag_set(d, "%s", p.err.msg);
                reader_close(r);
                rc = -1; /* rolled back below */
                break;
            }
            if (frc == 0) {
                flushed = i == npaths - 1;
                if (fr->compression != NULL && reader_pending(r) == 0 && mark_at_end(&p, r) < 0) {
                    diag_set(d, "%s", p.err.msg);
                    reader_close(r);
                    rc = -1;
                    break;
                }
            } else if (frc == 1)
                res->interrupted = 1;
            else {
                if (p.err.msg[0] != '\0') { /* the store failed: stop the run */
                    diag_set(d, "%s", p.err.msg);
                    reader_close(r);
                    rc = -1;
                    break;
                }
                cli_error("%s", fd.msg);
                fr->failed = 1;
                res->files_failed++;
            }
            fr->pending = reader_pending(r);
        }
        /* what is pending with a file's end goes in with the next checkpoint */
        if (p.in_txn && !p.deferred) {
            p.in_txn = 0;
            if (store_commit(s, &p.err) < 0) {
                diag_set(d, "%s", p.err.msg);
                reader_close(r);
                rc = -1;
                break;
            }
        }
        /* a log stays locked until its rows are committed (a dry run has no store) */
        if (s != NULL && !p.deferred && store_source_unlock(s, &p.err) < 0) {
            diag_set(d, "%s", p.err.msg);
            reader_close(r);
            rc = -1;
            break;
        }
        report(&p, fr->stats.lines, reader_file_pos(r), 1);
        p.lines_before += fr->stats.lines;
        res->total.lines += fr->stats.lines;
        res->total.bytes += fr->stats.bytes;
        res->total.events += fr->stats.events;
        res->total.info += fr->stats.info;
        res->total.foreign += fr->stats.foreign;
        res->total.unparsed += fr->stats.unparsed;
        res->total.truncated += fr->stats.truncated;
        store_source_free(&p.src);
        reader_close(r);
        if (res->interrupted)
            break;
    }
    /* the states as the last file read left them, before a flush changes them */
    if (rc == 0 && end_batch(&p) < 0) {
        diag_set(d, "%s", p.err.msg);
        rc = -1; /* rolled back below */
    }
    if (rc == 0 && !flushed && !res->interrupted) {
        /* the last file was not read to its end: what the parsers hold goes in on its own */
        struct diag fd = {""};
        if (ingest_session_flush(session, &fd) < 0 || sync_store(&p) < 0) {
            sync_store(&p);
            diag_set(d, "%s", p.err.msg[0] != '\0' ? p.err.msg : fd.msg);
            rc = -1; /* rolled back below */
        } else if (p.in_txn && store_commit(s, &p.err) < 0) {
            diag_set(d, "%s", p.err.msg);
            rc = -1;
            p.in_txn = 0;
        } else {
            p.in_txn = 0;
        }
    }
    /* the store's thread stops before this one touches the store again */
    if (p.cur != NULL)
        free_job(p.cur);
    workq_free(p.q);
    if (rc < 0 && p.in_txn)
        store_rollback(s);
    if (s != NULL && store_ingest_tuning(s, 0, &p.err) < 0 && rc == 0) {
        diag_set(d, "%s", p.err.msg);
        rc = -1;
    }
    res->reply_texts = p.dry_ids;
    store_source_free(&p.src);
    ingest_session_free(session);
    lru_free(p.replies);
    lru_free(p.masks);
    strbuf_free(&p.tmpl);
    strbuf_free(&p.key);
    return rc;
}

void pipeline_result_free(struct pipeline_result *res)
{
    free(res->files);
    memset(res, 0, sizeof *res);
}
