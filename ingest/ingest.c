/*
 * ingest - drives a parser over a reader (see ingest.h)
 */
#include "ingest.h"
#include "ahead.h"
#include "parser.h"
#include "xalloc.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define SNIFF_LINES              64
#define SNIFF_MAX_LINES          10000     /* lines looked at when none of the first is known */
#define SNIFF_MAX_BYTES          (4 << 20) /* and their bytes */
#define DEFAULT_CHECKPOINT_LINES 200000

struct parser_slot {
    const struct parser_ops *ops;
    void *state;
};

struct ingest_session {
    struct ingest_hooks hooks;
    struct parser_slot slots[8];
    size_t nslots;
    struct ingest_stats *stats;  /* of the file being read */
    struct ingest_stats flushed; /* counts of a flush outside a file (ingest_session_flush) */
    int64_t since_cp;            /* lines read since the last checkpoint, in any file */
    /* when a batch is full (ingest_options): every lines and ratio times the states' bytes */
    int64_t every, ratio;
    int64_t next_test;   /* since_cp at which to look at the batch again; 0: at every */
    int64_t cp_bytes;    /* log bytes of the files ended since the last checkpoint */
    int64_t cp_offset;   /* the file's offset at its start or at its last checkpoint */
    int64_t state_bytes; /* of the states last saved (or loaded) */
    int refused;
};

struct ingest_session *ingest_session_new(const struct ingest_hooks *hooks)
{
    struct ingest_session *s = xcalloc(1, sizeof *s);

    s->hooks = *hooks;
    return s;
}

void ingest_session_free(struct ingest_session *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nslots; i++)
        s->slots[i].ops->destroy(s->slots[i].state);
    free(s);
}

/* existing_slot - the session's state for a parser, NULL when this run has not used it */
static struct parser_slot *existing_slot(struct ingest_session *s, const struct parser_ops *ops)
{
    for (size_t i = 0; i < s->nslots; i++)
        if (s->slots[i].ops == ops)
            return &s->slots[i];
    return NULL;
}

/* slot_for - the session's state for a parser, created (and loaded) on first use */
static struct parser_slot *slot_for(struct ingest_session *s, const struct parser_ops *ops,
                                    struct diag *d)
{
    struct parser_slot *slot = existing_slot(s, ops);

    if (slot != NULL)
        return slot;
    if (s->nslots == sizeof s->slots / sizeof s->slots[0]) {
        diag_set(d, "too many formats in one run");
        return NULL;
    }
    slot = &s->slots[s->nslots++];
    slot->ops = ops;
    slot->state = ops->create();
    if (s->hooks.load_state != NULL) {
        struct strbuf sb = STRBUF_INIT;
        if (s->hooks.load_state(s->hooks.ctx, ops->name, &sb) < 0) {
            strbuf_free(&sb);
            diag_set(d, "cannot load the saved %s state", ops->name);
            return NULL;
        }
        if (sb.len > 0)
            ops->load_state(slot->state, sb.buf, sb.len);
        s->state_bytes += (int64_t)sb.len; /* what the next checkpoint will write, about */
        strbuf_free(&sb);
    }
    return slot;
}

static int count_event(void *ctx, const struct event *ev)
{
    struct ingest_session *s = ctx;

    if (s->hooks.event(s->hooks.ctx, ev) < 0) {
        s->refused = 1;
        return -1;
    }
    s->stats->events++;
    return 0;
}

/* batch_starts - a checkpoint at offset of the file being read (-1: outside a file) */
static void batch_starts(struct ingest_session *s, int64_t offset)
{
    s->since_cp = 0;
    s->next_test = 0;
    s->cp_bytes = 0;
    if (offset >= 0)
        s->cp_offset = offset;
}

/* batch_full - the batch holds its lines and, by the ratio, its bytes, at offset of the file */
static int batch_full(const struct ingest_session *s, int64_t offset)
{
    return s->since_cp >= s->every &&
           (s->ratio == 0 || s->cp_bytes + (offset - s->cp_offset) >= s->ratio * s->state_bytes);
}

static int checkpoint(struct ingest_session *s, int64_t offset)
{
    struct parser_state_blob blobs[8];
    struct strbuf bufs[8];
    int64_t bytes = 0;
    int rc;

    if (s->hooks.checkpoint == NULL) {
        batch_starts(s, offset); /* nothing to keep: a dry run */
        return 0;
    }
    for (size_t i = 0; i < s->nslots; i++) {
        strbuf_init(&bufs[i]);
        s->slots[i].ops->save_state(s->slots[i].state, &bufs[i]);
        blobs[i].format = s->slots[i].ops->name;
        blobs[i].data = strbuf_str(&bufs[i]);
        blobs[i].len = bufs[i].len;
        blobs[i].buf = &bufs[i];
        bytes += (int64_t)bufs[i].len;
    }
    rc = s->hooks.checkpoint(s->hooks.ctx, offset, blobs, s->nslots);
    for (size_t i = 0; i < s->nslots; i++)
        strbuf_free(&bufs[i]);
    if (rc == 0) {
        batch_starts(s, offset);
        s->state_bytes = bytes;
    }
    return rc;
}

int ingest_session_checkpoint(struct ingest_session *s, struct diag *d)
{
    if (checkpoint(s, -1) < 0)
        return diag_set(d, "the store refused the parsers' state");
    return 0;
}

/*
 * handle - one line through the parser, counted; al is the line as the reading thread
 * prepared it (ahead.h), NULL when the line is read here
 */
static int handle(struct ingest_session *s, struct parser_slot *slot, struct parse_ctx *pctx,
                  const struct log_line *ln, const struct ahead_line *al)
{
    struct ingest_stats *st = s->stats;
    enum line_result r;

    st->lines++;
    if (ln->len == 0 && !ln->truncated) {
        st->info++; /* blank lines carry nothing */
        return 0;
    }
    if (ln->truncated) {
        st->truncated++;
        st->unparsed++;
        return s->hooks.unparsed ? s->hooks.unparsed(s->hooks.ctx, ln, "line too long") : 0;
    }
    pctx->why = NULL;
    if (al == NULL || (al->verdict == LINE_EVENT && al->prep == NULL))
        r = slot->ops->parse_line(slot->state, pctx, ln);
    else if (al->verdict == LINE_EVENT)
        r = slot->ops->parse_prepared(slot->state, pctx, ln, al->prep);
    else {
        r = al->verdict;
        pctx->why = al->why;
    }
    switch (r) {
    case LINE_EVENT:
        break;
    case LINE_INFO:
        st->info++;
        break;
    case LINE_FOREIGN:
        st->foreign++;
        break;
    case LINE_UNPARSED:
        st->unparsed++;
        if (s->hooks.unparsed != NULL &&
            s->hooks.unparsed(s->hooks.ctx, ln, pctx->why ? pctx->why : "unknown shape") < 0)
            return -1;
        break;
    case LINE_ABORT:
        return -1;
    }
    return 0;
}

int ingest_session_flush(struct ingest_session *s, struct diag *d)
{
    struct parse_ctx pctx;
    int rc = 0;

    if (s->stats == NULL)
        s->stats = &s->flushed;
    memset(&pctx, 0, sizeof pctx);
    pctx.sink.emit = count_event;
    pctx.sink.ctx = s;
    for (size_t i = 0; i < s->nslots && rc == 0; i++)
        if (s->slots[i].ops->flush(s->slots[i].state, &pctx) < 0)
            rc = diag_set(d, "could not store the events held by the %s parser",
                          s->slots[i].ops->name);
    if (s->stats == &s->flushed)
        s->stats = NULL;
    return rc;
}

/* plain_file - r reads a regular file as it is: a thread of its own can read it ahead (never a
 * pipe, which could keep it waiting; a compressed file has a thread already) */
static int plain_file(struct reader *r)
{
    struct stat sb;

    return fstat(reader_fd(r), &sb) == 0 && S_ISREG(sb.st_mode) && reader_compression(r) == NULL;
}

/* next_line - the next line, from the reading thread when there is one (as reader_next) */
static int next_line(struct reader *r, struct line_ahead *ahead, struct ahead_line *al,
                     struct diag *d)
{
    if (ahead != NULL)
        return line_ahead_next(ahead, al, d);
    return reader_next(r, &al->ln, d); /* (the rest of al is the thread's) */
}

int ingest_session_file(struct ingest_session *s, struct reader *r,
                        const struct ingest_options *opt, int last, struct ingest_stats *stats,
                        const char **format_out, struct diag *d)
{
    const struct parser_ops *ops = NULL;
    struct parser_slot *slot;
    struct parse_ctx pctx;
    struct log_line ln, *sniff = NULL;
    size_t nsniff = 0, sniff_cap = 0, sniff_bytes = 0;
    int known = 0, sniff_failed = 0;
    int rc = 0, result = -1;
    struct stat sb;
    int64_t start_offset = reader_offset(r);
    struct diag failure;
    struct line_ahead *ahead = NULL;
    struct ahead_line al;
    int64_t at = start_offset; /* the offset after the last line handled */

    memset(&pctx, 0, sizeof pctx);
    pctx.sink.emit = count_event;
    pctx.sink.ctx = s;
    pctx.default_host = opt->default_host;
    pctx.source = reader_name(r);
    tz_cache_init(&pctx.tz);
    pctx.years.ref_s = opt->year_ref_s;
    if (pctx.years.ref_s == 0)
        pctx.years.ref_s = fstat(reader_fd(r), &sb) == 0 && S_ISREG(sb.st_mode)
                               ? (int64_t)sb.st_mtime
                               : (int64_t)time(NULL);
    s->stats = stats;
    s->refused = 0;
    s->every = opt->checkpoint_lines > 0 ? opt->checkpoint_lines : DEFAULT_CHECKPOINT_LINES;
    s->ratio = opt->checkpoint_lines > 0 ? opt->checkpoint_state_ratio : INGEST_STATE_RATIO;
    s->cp_offset = start_offset;
    diag_clear(d);

    if (opt->format != NULL && strcmp(opt->format, "auto") != 0) {
        char names[256];
        if ((ops = parser_by_name(opt->format)) == NULL) {
            parser_names(names, sizeof names);
            return diag_set(d, "unknown format '%s' (known: auto, %s)", opt->format, names);
        }
    }
    /*
     * With "auto", look at the first SNIFF_LINES lines before choosing; they are kept for
     * parsing. When none of them is of a known format (a log that starts with other programs'
     * lines, or with garbage), look on until one is, within SNIFF_MAX_LINES and
     * SNIFF_MAX_BYTES. A read error among them (a damaged archive) comes after their lines.
     */
    while ((rc = reader_next(r, &ln, d)) == 1) {
        if (nsniff == sniff_cap) {
            sniff_cap = sniff_cap ? sniff_cap * 2 : SNIFF_LINES;
            sniff = xreallocarray(sniff, sniff_cap, sizeof *sniff);
        }
        sniff[nsniff] = ln;
        sniff[nsniff].text = xmemdup(ln.text, ln.len); /* all of it: a line may hold NUL bytes */
        nsniff++;
        sniff_bytes += ln.len;
        if (ops != NULL)
            break; /* no need to look further */
        known = known || parser_detect(&ln, 1) != NULL;
        if (nsniff >= SNIFF_LINES &&
            (known || nsniff >= SNIFF_MAX_LINES || sniff_bytes >= SNIFF_MAX_BYTES))
            break;
    }
    if (rc < 0) {
        sniff_failed = 1;
        memcpy(&failure, d, sizeof failure);
    }
    if (ops == NULL)
        ops = parser_detect(sniff, nsniff);
    if (ops == NULL) {
        if (sniff_failed)
            goto out;      /* nothing known was read before the error, which d holds */
        if (nsniff == 0) { /* an empty file is fine */
            result = 0;
            goto out;
        }
        diag_set(d, "%s: not a log format rejectlens knows (looked at %zu lines); use --format",
                 reader_name(r), nsniff);
        goto out;
    }
    if (format_out != NULL)
        *format_out = ops->name;
    if (nsniff == 0 && !sniff_failed) {
        /*
         * Nothing new: a log read to its end by an earlier run. Its parser's saved state is
         * neither loaded nor saved again (megabytes for Exim: most of such a run's time); a
         * saved state holds nothing a flush would emit. A state this run already uses still
         * ends with the run, and the checkpoint brings the source's row up to date.
         */
        slot = existing_slot(s, ops);
        goto end_of_file;
    }
    if ((slot = slot_for(s, ops, d)) == NULL)
        goto out;
    for (size_t i = 0; i < nsniff; i++)
        if (handle(s, slot, &pctx, &sniff[i], NULL) < 0)
            goto refused;
    s->since_cp += (int64_t)nsniff;
    if (sniff_failed) {
        memcpy(d, &failure, sizeof *d);
        rc = -1;
    }
    if (!sniff_failed && opt->parse_ahead && plain_file(r))
        ahead = line_ahead_start(r, ops, &pctx, opt->parse_ahead_lines);
    while (!sniff_failed && (rc = next_line(r, ahead, &al, d)) == 1) {
        at = ahead ? al.end_offset : reader_offset(r);
        if (handle(s, slot, &pctx, &al.ln, ahead ? &al : NULL) < 0)
            goto refused;
        if (s->hooks.progress != NULL && stats->lines % INGEST_PROGRESS_LINES == 0)
            s->hooks.progress(s->hooks.ctx, stats, ahead ? al.file_pos : reader_file_pos(r));
        if (opt->stop != NULL && *opt->stop) {
            if (checkpoint(s, at) < 0)
                goto refused;
            result = 1;
            goto out;
        }
        /* the bytes are looked at now and then once the lines are there: a state is small or
         * takes hundreds of megabytes of log to repay */
        if (++s->since_cp >= (s->next_test > 0 ? s->next_test : s->every)) {
            if (batch_full(s, at)) {
                if (checkpoint(s, at) < 0)
                    goto refused;
            } else
                s->next_test = s->since_cp + s->every / 16 + 1;
        }
    }
    /* every line was asked for: the reader is where it would be without the thread */
    line_ahead_finish(ahead);
    ahead = NULL;
    if (rc < 0) {
        /* keep what was read before the damage */
        if (checkpoint(s, reader_offset(r)) < 0)
            goto refused;
        goto out;
    }
end_of_file:
    if (last && slot != NULL && slot->ops->flush(slot->state, &pctx) < 0)
        goto refused;
    if (!last && s->hooks.file_read != NULL && !batch_full(s, reader_offset(r))) {
        if (s->hooks.file_read(s->hooks.ctx, reader_offset(r)) < 0)
            goto refused;
        s->cp_bytes += reader_offset(r) - s->cp_offset;
    } else if (checkpoint(s, reader_offset(r)) < 0)
        goto refused;
    result = 0;
    goto out;
refused:
    if (d->msg[0] == '\0')
        diag_set(d, "%s: stopped at byte %lld: the store refused the data", reader_name(r),
                 (long long)(ahead ? at : reader_offset(r)));
out:
    /* a thread stopped early has read past the lines handled */
    stats->bytes += (ahead ? at : reader_offset(r)) - start_offset;
    line_ahead_finish(ahead);
    for (size_t i = 0; i < nsniff; i++)
        free((char *)sniff[i].text);
    free(sniff);
    s->stats = NULL;
    return result;
}
