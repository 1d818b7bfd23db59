/*
 * exim - Exim mainlog, rejectlog and paniclog lines to events
 *
 * SYNOPSIS
 *	extern const struct parser_ops exim_parser;
 *
 * DESCRIPTION
 *	Reads the three logs Exim writes in one grammar (spec chapter "Log files"):
 *
 *	    YYYY-MM-DD HH:MM:SS[.mmm][ +hhmm][ [pid]][ <message id>] <rest>
 *
 *	The prefix is read token by token, never by column: the milliseconds of +millisec, the
 *	zone of log_timezone, the [pid] of +pid and a message id of either form (16 characters
 *	up to Exim 4.96, 23 characters from 4.97, both in one file after an upgrade) are each
 *	optional. The same text wrapped by syslog ("host exim[pid]: ...", with or without the
 *	syslog or the Exim timestamp) is read too, and entries that syslog split into "[n/m]"
 *	(cut for length) or "[n\m]" (cut at a newline) parts are put back together. A zone-less
 *	timestamp is parsed and converted in full once an hour of log (the parse_ctx's ts_memo):
 *	the lines of one second, with or without +millisec, only add their fraction to it, and
 *	another second of the hour only reads its minutes and seconds.
 *
 *	Events:
 *	    <=  arrival: not an event; remembers sender, size, client, Message-ID and, for a
 *	        bounce "<= <> R=<id>", its parent message
 *	    (=  fakereject: the message was kept while the client was told it was refused;
 *	        kind reject_warning (never a reject), stage eom
 *	    =>  ->  >>  delivery (deliver); "=> :blackhole:" and "=> blackhole (... discarded
 *	        recipients)" are discard, and so is "*>" (delivery suppressed by -N)
 *	    **  failure (bounce); "retry timeout exceeded" and the "failing for a long time"
 *	        cut-offs are expire, with that recipient's last deferral appended to the text
 *	    ==  deferral (defer)
 *	    removed by / cancelled by timeout_frozen_after: discard / expire of the message
 *	    rejected ... (ACL and built-in), refused connection, dropped by ACL, SMTP call
 *	        dropped, protocol synchronization errors, "authenticator failed for" (the old
 *	        and the 4.99 wording), unqualified addresses, local_scan(): reject, inbound
 *	    RCPT <a>: discarded by ... ACL: discard, inbound
 *	The outcome of a delivery comes with the remote reply after "SMTP error from remote
 *	mail server after <command>:" (code, enhanced status, text, and the stage from the
 *	command). Exim rarely logs the code of its own rejections: a code or status is recorded
 *	only when the logged text starts with one. The text of a rejection is its verb without
 *	the client and address ("temporarily rejected RCPT: Could not complete sender verify
 *	callout"), so that temporary and permanent refusals stay apart without a code. A
 *	"sender verify fail for <a>: reason" line is not an event; its reason is appended to
 *	the rejection that follows it on the same connection.
 *
 *	Every delivery outcome is completed from its message's arrival (sender, size, client,
 *	Message-ID, parent) through a bounded table keyed by message id, least recently used
 *	entries forgotten first, saved between runs. "Completed" forgets the message.
 *
 *	One rejection, counted once. Exim writes each rejection to the mainlog and again, with
 *	the message headers, to the rejectlog; over syslog both copies (and the paniclog's)
 *	arrive in one stream unless syslog_duplication is false. The first line of an entry is
 *	the same text in every copy, so the parser keeps a fingerprint (64-bit hash of host and
 *	line) of each rejection it emitted, with the kind of log it came from, in a bounded
 *	table of two generations (when the newer fills up, the older is dropped). A rejection
 *	whose fingerprint is held by an unmatched line of the other log (rejectlog against
 *	mainlog, in either order) is the other copy: it is counted as an info line and
 *	consumes that fingerprint, so two identical rejections in the mainlog still pair with
 *	two rejectlog copies. Over syslog every event line pairs with its twin from the same
 *	process. The kind of log comes from the file name (ctx->source: "reject" or "panic" in
 *	it); a paniclog's lines are never events, each entry is reported as unparsed with the
 *	reason "exim panic" (a non-empty paniclog is worth an admin's look). Why not skip the
 *	rejectlog outright: an admin who ingests only the rejectlog must still see every
 *	rejection, and a mainlog read after its rejectlog must not count them again.
 *
 *	Lines that do not start with a timestamp continue the entry before them: rejectlog
 *	header lines, multi-line warnings, paniclog configuration errors. They are info.
 *
 * BUGS
 *	A cutthrough delivery (">>") is logged before its arrival and so has no sender unless
 *	the line carries P=<...>. An address whose local part holds spaces or ": " (possible
 *	only quoted, or a pipe command) can be cut short. Syslog parts of one entry are
 *	reassembled per process and not saved between runs. The fingerprint table remembers
 *	at least the last 262144 rejections (at most twice that): a server that refuses more
 *	between the reading of a mainlog and of its rejectlog counts the oldest copies twice.
 *	A paniclog read from standard input is taken for a mainlog (its name is unknown).
 *	Exim has no "fakereject" kind of event: "(=" is reported as reject_warning, the kind
 *	of a refusal that was not enforced. Frozen messages are not events; only
 *	"cancelled by timeout_frozen_after" (expire) and "removed by" (discard) are.
 *
 * SEE ALSO
 *	shared/docs/formats/exim.md; Exim's src/deliver.c (post_process_one, string_log_address),
 *	src/smtp_in.c (smtp_handle_acl_fail), src/log.c (write_syslog).
 */
#include "parser.h"
#include "arena.h"
#include "lru.h"
#include "scan.h"
#include "smtp_reply.h"
#include "statepack.h"
#include "syslog.h"
#include "xalloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_MAX_MESSAGES  100000
#define EX_MAX_SPLITS    1024
#define EX_MAX_VERIFY    4096
#define EX_MAX_REASON    1024        /* bytes of a remembered reason or deferral */
#define EX_DEDUP_GEN     (1u << 18)  /* fingerprints per generation */
#define EX_DEDUP_KEEP_S  (2 * 86400) /* saved fingerprints: the last two days of log */
#define EX_MAX_SPLIT_LEN (64 * 1024) /* a reassembled syslog entry */

/* the kind of log a line comes from; also the tag of a fingerprint */
enum ex_log {
    LOG_MAIN = 'm',
    LOG_REJECT = 'r',
    LOG_PANIC = 'p',
    LOG_SYSLOG = 's',
};

/* what we know about one message, from its arrival; its texts live in the same allocation
 * (message_new), so that one free() forgets it */
struct ex_message {
    char *sender; /* NULL until the arrival; "" for <> */
    int64_t size;
    char *client_name;
    char *client_ip;
    char *helo;
    char *message_id;
    char *parent; /* the message a bounce reports on */
};

/* one fingerprint of an emitted line; an empty slot has kind 0 */
struct dd_entry {
    uint64_t fp;
    uint32_t ts_s;  /* when the line was logged (seconds, clamped), for saving */
    uint16_t count; /* unmatched copies */
    uint8_t kind;
    uint8_t pad;
};

struct dd_table {
    struct dd_entry *slots;
    size_t cap; /* a power of two, or 0 */
    size_t used;
};

/* the parts of a syslog entry that syslog split, waiting for the rest */
struct ex_split {
    struct strbuf text;
    int next, total; /* the part expected next, of how many */
    int first_done;  /* the first line of the entry is complete (and was parsed) */
    int64_t offset;  /* where the first part's line starts */
    struct civil_time outer;
    int has_outer;
    char *host, *tag;
    long pid;
};

struct exim_state {
    struct lru *messages;   /* "host\0id" -> ex_message */
    struct lru *defers;     /* "host\0id\0recipient" -> char* text of its last deferral */
    struct lru *splits;     /* "host\0pid" -> ex_split */
    struct lru *verify;     /* "host\0pid\0identity" -> char* sender verify reason */
    struct dd_table gen[2]; /* [0] the newer generation */
    uint32_t newest_s;      /* newest fingerprint time, for saving */
    struct arena a;
    char key[1024];
    char *source; /* the name of the file of the last line (a copy), and its kind */
    enum ex_log source_log;
    int in_entry; /* the last line was an Exim entry (or continued one) */
};

/* one Exim entry being parsed */
struct ex_line {
    struct event ev;
    const char *host; /* NUL-terminated, "" when none: the key space of the tables */
    long pid;         /* -1 when none */
    enum ex_log log;
    const char *text; /* the entry's first line, from the Exim timestamp (or rest) on */
    size_t text_len;
};

/* -------------------------------------------------------------------- small helpers */

/* find_lit - first occurrence of lit[0..m) in p[0..n), or NULL (scan_find with a known length) */
static const char *find_lit(const char *p, size_t n, const char *lit, size_t m)
{
    while (n >= m) {
        const char *c = memchr(p, lit[0], n - m + 1);
        if (c == NULL)
            return NULL;
        if (memcmp(c, lit, m) == 0)
            return c;
        n -= (size_t)(c - p) + 1;
        p = c + 1;
    }
    return NULL;
}

/* skip_sp - the index of the first non-space at or after i */
static size_t skip_sp(const char *p, size_t n, size_t i)
{
    while (i < n && p[i] == ' ')
        i++;
    return i;
}

/* tok_end - the index of the space that ends the word at i (or n; i when i >= n) */
static size_t tok_end(const char *p, size_t n, size_t i)
{
    /* memchr: the words it is asked for (field values, addresses) are long enough to gain */
    const char *sp = i < n ? memchr(p + i, ' ', n - i) : NULL;

    return sp != NULL ? (size_t)(sp - p) : i < n ? n : i;
}

/* ASCII classes without the locale tables: the hot path asks these per byte */
static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/*
 * byte classes, one table lookup a byte: a message id's character (base 62: ASCII letters and
 * digits), a field name's, and the bytes address_part acts on (all others it passes over)
 */
enum { CL_ID = 1, CL_KEY = 2, CL_ADDR = 4 };
#define W (CL_ID | CL_KEY)
/* clang-format off */
static const unsigned char byte_class[256] = {
    ['0'] = W, W, W, W, W, W, W, W, W, W,
    ['A'] = W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,
    ['_'] = CL_KEY,
    ['a'] = W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W, W,
    [' '] = CL_ADDR, ['"'] = CL_ADDR, [':'] = CL_ADDR, ['<'] = CL_ADDR, ['>'] = CL_ADDR,
    ['\\'] = CL_ADDR,
};
/* clang-format on */
#undef W

/* is_key_char - a character of a field name ("H", "DKIM", "shadow_..."): letters, digits, '_' */
static int is_key_char(int c)
{
    return byte_class[(unsigned char)c] & CL_KEY;
}

/*
 * msgid_len - length of an Exim message id at p (16 or 23 characters), 0 when none. The second
 * dash tells the forms apart before any character is classed: "xxxxxx-xxxxxx-xx" has it at 13,
 * "xxxxxx-xxxxxxxxxxx-xxxx" at 18 (and an id character at 13). The classes of the 14 or 21 id
 * characters are and-ed in one expression, without a branch a character: every line with a
 * message starts with its id.
 */
static size_t msgid_len(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    unsigned c;

    if (n < 16 || p[6] != '-')
        return 0;
#define B(k) byte_class[u[k]]
    if (p[13] == '-') {
        if (n > 16 && p[16] != ' ')
            return 0;
        c = B(0) & B(1) & B(2) & B(3) & B(4) & B(5) & B(7) & B(8) & B(9) & B(10) & B(11) & B(12) &
            B(14) & B(15);
        return c & CL_ID ? 16 : 0;
    }
    if (n < 23 || p[18] != '-' || (n > 23 && p[23] != ' '))
        return 0;
    c = B(0) & B(1) & B(2) & B(3) & B(4) & B(5) & B(7) & B(8) & B(9) & B(10) & B(11) & B(12) &
        B(13) & B(14) & B(15) & B(16) & B(17) & B(19) & B(20) & B(21) & B(22);
#undef B
    return c & CL_ID ? 23 : 0;
}

/* angle_close - index of the '>' closing "<...>" at p[i] (followed by ' ', ':', ',' or end) */
static size_t angle_close(const char *p, size_t n, size_t i)
{
    for (size_t j = i + 1; j < n; j++) {
        const char *gt = memchr(p + j, '>', n - j);
        if (gt == NULL)
            return 0;
        j = (size_t)(gt - p);
        if (j + 1 == n || p[j + 1] == ' ' || p[j + 1] == ':' || p[j + 1] == ',')
            return j;
    }
    return 0;
}

/* quote_close - index of the '"' closing a quoted value opened at p[i], 0 when unclosed */
static size_t quote_close(const char *p, size_t n, size_t i)
{
    const char *q = i + 1 < n ? memchr(p + i + 1, '"', n - i - 1) : NULL;

    if (q == NULL)
        return 0;
    /* the first quote closes unless a backslash comes before it (rare: walk then) */
    if (memchr(p + i + 1, '\\', (size_t)(q - p) - i - 1) == NULL)
        return (size_t)(q - p);
    for (size_t j = i + 1; j < n; j++) {
        if (p[j] == '\\')
            j++;
        else if (p[j] == '"')
            return j;
    }
    return 0;
}

/* find_sep - the first ": " in p[i..n), as an index, or n */
static size_t find_sep(const char *p, size_t n, size_t i)
{
    const char *c = scan_find(p + i, n - i, ": ");

    if (c != NULL)
        return (size_t)(c - p);
    /* a trailing ':' ends the text too */
    if (n > i && p[n - 1] == ':')
        return n - 1;
    return n;
}

/* free_message, free_split - the tables' value destructors */
static void free_message(void *p)
{
    free(p); /* an ex_message and its texts are one block */
}

static void free_split(void *p)
{
    struct ex_split *s = p;

    strbuf_free(&s->text);
    free(s->host);
    free(s->tag);
    free(s);
}

/* make_key - "a\0b" in st->key; its length, 0 when it does not fit */
static size_t make_key(struct exim_state *st, const char *a, const char *b, size_t blen)
{
    size_t al = strlen(a);

    if (al + 1 + blen > sizeof st->key)
        return 0;
    memcpy(st->key, a, al);
    st->key[al] = '\0';
    memcpy(st->key + al + 1, b, blen);
    return al + 1 + blen;
}

/* message_get - what the arrival of host's message id said, or NULL */
static struct ex_message *message_get(struct exim_state *st, const char *host, const char *id)
{
    size_t k = make_key(st, host, id, strlen(id));

    return k != 0 ? lru_get(st->messages, st->key, k) : NULL;
}

/* message_forget - the message left the queue: drop what its arrival said */
static void message_forget(struct exim_state *st, const char *host, const char *id)
{
    size_t k = make_key(st, host, id, strlen(id));

    if (k != 0)
        lru_del(st->messages, st->key, k);
}

/* defer_key - "host\0id\0recipient" in st->key; its length, 0 when it does not fit */
static size_t defer_key(struct exim_state *st, const char *host, const char *id, const char *rcpt)
{
    size_t k = make_key(st, host, id, strlen(id) + 1), rl = strlen(rcpt);

    if (k == 0 || k + rl > sizeof st->key)
        return 0;
    memcpy(st->key + k, rcpt, rl);
    return k + rl;
}

/* copy_text - an arena copy of p[0..n) with Exim's "\n" escapes turned into spaces */
static char *copy_text(struct exim_state *st, const char *p, size_t n)
{
    char *out = arena_alloc(&st->a, n);
    size_t o = 0, i = 0;

    while (i < n) {
        /* the bytes up to the next backslash go as they are, in one copy */
        const char *bs = memchr(p + i, '\\', n - i);
        size_t run = (bs != NULL ? (size_t)(bs - p) : n) - i;
        memcpy(out + o, p + i, run);
        o += run;
        i += run;
        if (i == n)
            break;
        /* "\n" (not "\r\n", which quotes protocol input) is an embedded newline */
        if (i + 1 < n && p[i + 1] == 'n' &&
            (i == 0 || p[i - 1] != 'r' || i < 2 || p[i - 2] != '\\')) {
            out[o++] = ' ';
            i += 2;
        } else {
            out[o++] = p[i++];
        }
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return out;
}

/* apply_reply - code, status and joined text of a reply at p[0..n) */
static void apply_reply(struct exim_state *st, const char *p, size_t n, struct event *ev)
{
    struct smtp_reply r;
    char *flat = copy_text(st, p, n), *text;

    smtp_reply_parse(flat, strlen(flat), &r);
    ev->reply_code = r.code;
    ev->status = r.status[0] ? arena_copy(&st->a, r.status, strlen(r.status)) : NULL;
    text = arena_alloc(&st->a, r.text_len);
    smtp_reply_join(&r, text);
    ev->text = text;
}

/* join_text - "a: b" (either may be empty) in the arena */
static char *join_text(struct exim_state *st, const char *a, size_t an, const char *b, size_t bn)
{
    char *out = arena_alloc(&st->a, an + bn + 2);

    memcpy(out, a, an);
    if (an > 0 && bn > 0) {
        memcpy(out + an, ": ", 2);
        an += 2;
    }
    memcpy(out + an, b, bn);
    out[an + bn] = '\0';
    return out;
}

/* -------------------------------------------------------------- fingerprints */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* dd_find - the slot of (fp, kind) in t (open addressing, linear probing), or NULL */
static struct dd_entry *dd_find(struct dd_table *t, uint64_t fp, uint8_t kind)
{
    if (t->cap == 0)
        return NULL;
    for (size_t i = (size_t)mix64(fp) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        struct dd_entry *e = &t->slots[i];
        if (e->kind == 0)
            return NULL;
        if (e->fp == fp && e->kind == kind)
            return e;
    }
}

/* dd_insert - a new slot for (fp, kind) in t, which has room */
static struct dd_entry *dd_insert(struct dd_table *t, uint64_t fp, uint8_t kind)
{
    size_t i = (size_t)mix64(fp) & (t->cap - 1);

    while (t->slots[i].kind != 0)
        i = (i + 1) & (t->cap - 1);
    t->slots[i].fp = fp;
    t->slots[i].kind = kind;
    t->slots[i].count = 0;
    t->used++;
    return &t->slots[i];
}

/* dd_grow - double t's slots (1024 to start with) and rehash */
static void dd_grow(struct dd_table *t)
{
    struct dd_table bigger = {NULL, t->cap ? t->cap * 2 : 1024, 0};

    bigger.slots = xcalloc(bigger.cap, sizeof *bigger.slots);
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].kind != 0)
            *dd_insert(&bigger, t->slots[i].fp, t->slots[i].kind) = t->slots[i];
    free(t->slots);
    *t = bigger;
}

/* dd_add - one more unmatched line with this fingerprint */
static void dd_add(struct exim_state *st, uint64_t fp, uint8_t kind, uint32_t ts_s, uint16_t count)
{
    struct dd_entry *e = dd_find(&st->gen[0], fp, kind);

    if (e == NULL && (e = dd_find(&st->gen[1], fp, kind)) == NULL) {
        struct dd_table *t = &st->gen[0];
        if (t->used >= EX_DEDUP_GEN) { /* the newer generation is full: drop the older */
            free(st->gen[1].slots);
            st->gen[1] = st->gen[0];
            memset(&st->gen[0], 0, sizeof st->gen[0]);
        }
        if (t->cap == 0 || (t->used + 1) * 10 > t->cap * 7)
            dd_grow(t);
        e = dd_insert(t, fp, kind);
    }
    if (e->count < UINT16_MAX - count)
        e->count = (uint16_t)(e->count + count);
    if (ts_s > e->ts_s)
        e->ts_s = ts_s;
    if (ts_s > st->newest_s)
        st->newest_s = ts_s;
}

/* dd_take - consume one unmatched line with this fingerprint; 1 when there was one */
static int dd_take(struct exim_state *st, uint64_t fp, uint8_t kind)
{
    for (int g = 0; g < 2; g++) {
        struct dd_entry *e = dd_find(&st->gen[g], fp, kind);
        if (e != NULL && e->count > 0) {
            e->count--;
            return 1;
        }
    }
    return 0;
}

/*
 * is_copy - whether the entry is the other copy of a line already counted; records it
 * otherwise. Rejectlog and mainlog copies match each other; syslog copies match their twin.
 */
static int is_copy(struct exim_state *st, const struct ex_line *xl)
{
    uint64_t fp =
        lru_hash(xl->host, strlen(xl->host) + 1) ^ mix64(lru_hash(xl->text, xl->text_len));
    uint8_t other = xl->log == LOG_MAIN     ? LOG_REJECT
                    : xl->log == LOG_REJECT ? LOG_MAIN
                                            : LOG_SYSLOG;
    int64_t s = xl->ev.ts_us / US_PER_SEC;
    uint32_t ts_s = s < 0 ? 0 : s > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)s;

    if (xl->log == LOG_SYSLOG)
        fp ^= mix64((uint64_t)xl->pid + UINT64_C(0x9e3779b97f4a7c15));
    if (dd_take(st, fp, other))
        return 1;
    dd_add(st, fp, (uint8_t)xl->log, ts_s, 1);
    return 0;
}

/* ---------------------------------------------------------------- fields */

struct span {
    const char *p;
    size_t n;
};

struct hostspec {
    struct span name, helo, ip, port;
};

enum field_key { K_H, K_I, K_U, K_F, K_A, K_P, K_S, K_R, K_T, K_C, K_ID, K_SPF, K_DMARC, K_COUNT };

static const char *const field_names[K_COUNT] = {"H", "I", "U", "F",  "A",   "P",    "S",
                                                 "R", "T", "C", "id", "SPF", "DMARC"};
static const size_t field_len[K_COUNT] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 5};

/* field_key - the K_ index of a field name, -1 for one we do not keep */
static int field_key(const char *k, size_t n)
{
    if (n == 1) {
        switch (k[0]) {
        case 'H':
            return K_H;
        case 'I':
            return K_I;
        case 'U':
            return K_U;
        case 'F':
            return K_F;
        case 'A':
            return K_A;
        case 'P':
            return K_P;
        case 'S':
            return K_S;
        case 'R':
            return K_R;
        case 'T':
            return K_T;
        case 'C':
            return K_C;
        default:
            return -1;
        }
    }
    for (int x = K_ID; x < K_COUNT; x++)
        if (field_len[x] == n && memcmp(field_names[x], k, n) == 0)
            return x;
    return -1;
}

_Static_assert(K_COUNT <= 32, "struct fields keeps the keys it saw as bits of an unsigned");

struct fields {
    struct span v[K_COUNT]; /* v[k] is set only with bit k of has: left unset, not cleared */
    unsigned has;
    struct hostspec host; /* of H= */
    int sep;              /* the fields ended with a ": " separator */
};

/* has_field - the line gave field k */
static int has_field(const struct fields *f, int k)
{
    return (f->has >> k) & 1;
}

/*
 * read_hostspec - "name (helo) [ip]:port" (each part optional, ip last) at p[i..n); returns
 * the index after it. *sep is set when it ended with ':' (a separator follows).
 */
static size_t read_hostspec(const char *p, size_t n, size_t i, struct hostspec *h, int *sep)
{
    int first = 1;

    memset(h, 0, sizeof *h);
    *sep = 0;
    while (i < n) {
        size_t j;
        if (p[i] == '[') {
            const char *rb = memchr(p + i, ']', n - i);
            if (rb == NULL)
                return tok_end(p, n, i);
            h->ip.p = p + i + 1;
            h->ip.n = (size_t)(rb - p) - i - 1;
            j = (size_t)(rb - p) + 1;
            if (j + 1 < n && p[j] == ':' && p[j + 1] != ' ') {
                size_t ps = ++j;
                while (j < n && p[j] != ' ' && p[j] != ':' && p[j] != '*')
                    j++;
                h->port.p = p + ps;
                h->port.n = j - ps;
            }
            if (j < n && p[j] == '*') /* TLS resumption */
                j++;
            if (j < n && p[j] == ':' && (j + 1 == n || p[j + 1] == ' ')) {
                *sep = 1;
                j++;
            }
            return j;
        }
        if (p[i] == '(') {
            j = i + 1;
            while (j < n && !(p[j] == ')' && (j + 1 == n || p[j + 1] == ' ' || p[j + 1] == ':')))
                j++;
            if (j >= n)
                return tok_end(p, n, i);
            h->helo.p = p + i + 1;
            h->helo.n = j - i - 1;
            j++;
        } else if (first) {
            j = tok_end(p, n, i);
            h->name.p = p + i;
            h->name.n = j - i;
            if (h->name.n > 0 && p[j - 1] == ':') {
                h->name.n--;
                *sep = 1;
                return j;
            }
        } else {
            return i;
        }
        first = 0;
        if (j < n && p[j] == ':' && (j + 1 == n || p[j + 1] == ' ')) {
            *sep = 1;
            return j + 1;
        }
        if (j + 4 < n && memcmp(p + j, " DS [", 5) == 0) /* +dnssec: the lookup was secure */
            j += 3;
        if (j + 1 < n && p[j] == ' ' && (p[j + 1] == '(' || p[j + 1] == '['))
            i = j + 1;
        else
            return j;
    }
    return i;
}

/* is_flag - a bare selector flag on arrival and delivery lines */
static int is_flag(const char *p, size_t n)
{
    return (n == 1 && (p[0] == 'K' || p[0] == 'L')) ||
           (n == 2 && p[0] == 'L' && strchr("-.*", p[1]) != NULL) ||
           (n == 4 && memcmp(p, "PRDR", 4) == 0) || (n == 3 && memcmp(p, "TFO", 3) == 0) ||
           (n == 4 && memcmp(p, "TFO*", 4) == 0);
}

/*
 * scan_fields - read "KEY=value" tokens at p[i..n) into f (the first of each key wins);
 * stops at the first other token, or after a ": " / " : " separator (f->sep). Returns the
 * index where it stopped (past the separator and its space).
 */
static size_t scan_fields(const char *p, size_t n, size_t i, struct fields *f)
{
    f->has = 0;
    f->sep = 0;
    memset(&f->host, 0, sizeof f->host);
    for (i = skip_sp(p, n, i); i < n; i = skip_sp(p, n, i)) {
        size_t k = i, v, j, vlen;
        if (p[i] == ':' && (i + 1 == n || p[i + 1] == ' ')) {
            f->sep = 1;
            return skip_sp(p, n, i + 1);
        }
        while (k < n && is_key_char((unsigned char)p[k]))
            k++;
        if (k == i || k >= n || p[k] != '=') {
            j = tok_end(p, n, i);
            if (is_flag(p + i, j - i)) {
                i = j;
                continue;
            }
            /* "ST=local_delivery (mailbox ... not a regular file)": a shadow's outcome */
            const char *rp;
            if (i > 0 && p[i] == '(' && (rp = scan_find(p + i, n - i, ") ")) != NULL &&
                scan_find(p + i, (size_t)(rp - p) - i, ": ") == NULL) {
                i = (size_t)(rp - p) + 1;
                continue;
            }
            return i;
        }
        int key = field_key(p + i, k - i);
        v = k + 1;
        if (key == K_H) {
            int sep;
            j = read_hostspec(p, n, v, &f->host, &sep);
            vlen = j - v;
            if (sep) {
                vlen--;
                f->sep = 1;
            }
        } else if (v < n && p[v] == '"' && (j = quote_close(p, n, v)) != 0) {
            v++;
            vlen = j - v;
            j++;
        } else if (v < n && p[v] == '<' && (j = angle_close(p, n, v)) != 0) {
            v++;
            vlen = j - v;
            j++;
        } else {
            j = tok_end(p, n, v);
            vlen = j - v;
            if (vlen > 0 && p[j - 1] == ':') {
                vlen--;
                f->sep = 1;
            }
        }
        if (!f->sep && j < n && p[j] == ':' && (j + 1 == n || p[j + 1] == ' ')) {
            f->sep = 1;
            j++;
        }
        if (key >= 0 && !has_field(f, key)) {
            f->has |= 1u << key;
            f->v[key].p = p + v;
            f->v[key].n = vlen;
        }
        i = j;
        if (f->sep)
            return skip_sp(p, n, i);
    }
    return i;
}

/* span_size - the decimal number S= gives, -1 when it is not one (tests write "S=sss") */
static int64_t span_size(struct span s)
{
    int64_t v = 0;

    if (s.n == 0 || s.n > 18)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (!is_digit((unsigned char)s.p[i]))
            return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    return v;
}

/* span_copy - an arena copy of a field's value, NULL for a field not in the line */
static const char *span_copy(struct exim_state *st, struct span s)
{
    return s.p != NULL ? arena_copy(&st->a, s.p, s.n) : NULL;
}

/* apply_client - the client of an inbound line from its host spec */
static void apply_client(struct exim_state *st, const struct hostspec *h, struct event *ev)
{
    if (h->name.n > 0)
        ev->client_name = span_copy(st, h->name);
    if (h->helo.n > 0)
        ev->helo = span_copy(st, h->helo);
    if (h->ip.n > 0)
        ev->client_ip = span_copy(st, h->ip);
}

/* relay_of - "name[ip]:port" of a host spec */
static const char *relay_of(struct exim_state *st, const struct hostspec *h)
{
    char *out, *o;

    if (h->name.n == 0 && h->ip.n == 0)
        return NULL;
    if (h->ip.n == 0)
        return arena_copy(&st->a, h->name.p, h->name.n);
    o = out = arena_alloc(&st->a, h->name.n + h->ip.n + h->port.n + 3);
    if (h->name.n > 0)
        memcpy(o, h->name.p, h->name.n), o += h->name.n;
    *o++ = '[';
    memcpy(o, h->ip.p, h->ip.n);
    o += h->ip.n;
    *o++ = ']';
    if (h->port.n > 0) {
        *o++ = ':';
        memcpy(o, h->port.p, h->port.n);
        o += h->port.n;
    }
    *o = '\0';
    return out;
}

/* apply_sender - F=<...> or F=bare: "" for <> */
static void apply_sender(struct exim_state *st, const struct fields *f, struct event *ev)
{
    if (has_field(f, K_F))
        ev->sender = span_copy(st, f->v[K_F]);
}

/* ------------------------------------------------------------ outcome texts */

#define LIT(s) s, sizeof s - 1

static const struct {
    const char *marker;
    size_t len;
    int is_error; /* a remote reply follows the command */
} after_markers[] = {
    {LIT("error from remote mail server after "), 1},
    {LIT("LMTP error after "), 1},
    {LIT("PRDR error after "), 1},
    {LIT("SMTP timeout after "), 0},
    {LIT("LMTP timeout after "), 0},
    {LIT("in response to "), 0},
    {LIT("timeout while connected to "), 2}, /* older: "... to host [ip] after CMD" */
};

/* command_stage - the stage of a command as Exim names it after "after "/"in response to " */
static enum smtp_stage command_stage(const char *p, size_t n)
{
    if (scan_prefix(p, n, "pipelined ")) {
        p += 10;
        n -= 10;
    }
    if (scan_prefix(p, n, "end of data"))
        return STAGE_EOM;
    if (scan_prefix(p, n, "sending data block"))
        return STAGE_DATA;
    if (scan_prefix(p, n, "initial connection"))
        return STAGE_CONNECT;
    return smtp_stage_of_command(p, n);
}

/* command_end - where the quoted command at p[i..n) ends: the ": " after it (or n) */
static size_t command_end(const char *p, size_t n, size_t i)
{
    const char *lt = memchr(p + i, '<', n - i);
    size_t sep = find_sep(p, n, i);

    if (lt != NULL && (size_t)(lt - p) < sep) {
        size_t gt = angle_close(p, n, (size_t)(lt - p));
        if (gt != 0)
            return find_sep(p, n, gt);
    }
    return sep;
}

/* starts_connection_error - p starts with an OS error of the TCP connect */
static int starts_connection_error(const char *p, size_t n)
{
    static const char *const errs[] = {"Connection refused",  "Connection timed out",
                                       "No route to host",    "Network is unreachable",
                                       "Host is unreachable", "Connection reset by peer",
                                       "Operation timed out"}; /* BSD's ETIMEDOUT */

    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        if (scan_prefix(p, n, errs[i]))
            return 1;
    return 0;
}

/*
 * apply_outcome - what a failure or deferral says at p[0..n): the stage from the command
 * named, and from "SMTP error from remote mail server after CMD: [host H [ip]: ]REPLY" the
 * remote's code, status and text (and the relay when the host is named in the text). Any
 * other text is kept whole, with a code only when it starts with one.
 */
static void apply_outcome(struct exim_state *st, const char *p, size_t n, struct event *ev)
{
    for (size_t m = 0; m < sizeof after_markers / sizeof after_markers[0]; m++) {
        const char *w = find_lit(p, n, after_markers[m].marker, after_markers[m].len);
        if (w == NULL)
            continue;
        size_t c = (size_t)(w - p) + after_markers[m].len;
        if (after_markers[m].is_error == 2) {
            const char *a = find_lit(p + c, n - c, "] after ", 8);
            if (a == NULL)
                continue;
            c = (size_t)(a - p) + 8;
        }
        ev->stage = command_stage(p + c, n - c);
        if (after_markers[m].is_error != 1)
            break;
        size_t e = command_end(p, n, c);
        if (e >= n) {
            ev->text = copy_text(st, p, n);
            return;
        }
        size_t r = skip_sp(p, n, e + 1);
        if (scan_prefix(p + r, n - r, "host ")) {
            /* older Exim: "host mx.example.com [192.0.2.1]: 550 ..." */
            struct hostspec h;
            int sep;
            size_t after = read_hostspec(p, n, r + 5, &h, &sep);
            if (sep && h.ip.n > 0) {
                if (ev->relay == NULL)
                    ev->relay = relay_of(st, &h);
                r = skip_sp(p, n, after);
            }
        }
        apply_reply(st, p + r, n - r, ev);
        return;
    }
    if (ev->stage == STAGE_NONE && starts_connection_error(p, n))
        ev->stage = STAGE_CONNECT;
    apply_reply(st, p, n, ev);
}

/* ----------------------------------------------------------- the address part */

/* is_field_letter - the tag of a field that ends an address: F P Q R T H S, and NUL (which
 * strchr("FPQRTHS", c) found too, as its terminator) */
static int is_field_letter(char c)
{
    switch (c) {
    case 'F':
    case 'P':
    case 'Q':
    case 'R':
    case 'T':
    case 'H':
    case 'S':
    case '\0':
        return 1;
    default:
        return 0;
    }
}

/*
 * address_part - the end of "addr [(parents)] [<top>]" after a delivery flag at p[0..n):
 * the first field tag (" F=", " P=<", " Q=", " R=", " T=", " H=", " S="), or " defer (" /
 * " routing defer (" on a deferral, or the ": " / " : " separator outside quotes and angle
 * brackets, whichever comes first (a leading ":blackhole:"-style pseudo address is skipped).
 * Without any of them the address is the first word. *rest gets where the line goes on.
 */
static size_t address_part(const char *p, size_t n, size_t *rest)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t end = n, start = 0, i;
    int angle = 0, quote = 0;

    if (n > 1 && p[0] == ':') {
        const char *c = memchr(p + 1, ':', n - 1);
        if (c != NULL)
            start = (size_t)(c - p) + 1;
    }
    for (i = start; i + 1 < n; i++) {
        /* the bytes none of the tests below would take, four a step (an address is long),
           while the byte after the four is still one the loop looks at (before n - 1) */
        while (i + 5 < n && !((byte_class[u[i]] | byte_class[u[i + 1]] | byte_class[u[i + 2]] |
                               byte_class[u[i + 3]]) &
                              CL_ADDR))
            i += 4;
        char c = p[i];
        if (!(byte_class[(unsigned char)c] & CL_ADDR))
            continue;
        if (c == '\\') {
            i++;
        } else if (c == '"') {
            quote = !quote;
        } else if (quote) {
            continue;
        } else if (c == '<') {
            angle = 1;
        } else if (c == '>') {
            angle = 0;
        } else if (c == ':' && p[i + 1] == ' ' && !angle) {
            end = i;
            break;
        } else if (c == ' ') {
            /* the fields start with a space: " R=", " T=", ... or " defer (" */
            if (i + 3 < n && p[i + 2] == '=' && is_field_letter(p[i + 1]) &&
                (p[i + 1] != 'P' || p[i + 3] == '<')) {
                end = i;
                break;
            }
            if (scan_prefix(p + i, n - i, " defer (")) {
                end = i;
                break;
            }
            if (scan_prefix(p + i, n - i, " routing defer (")) {
                end = i;
                break;
            }
        }
    }
    if (end == n && n > 0 && p[n - 1] == ':')
        end = n - 1;
    if (end == n) {
        /* "** mua_wrapper is set but ...", "=> blackhole (RCPT ACL discarded recipients)" */
        end = tok_end(p, n, start);
        *rest = skip_sp(p, n, end);
        return end;
    }
    *rest = end;
    while (end > 0 && p[end - 1] == ' ')
        end--;
    return end;
}

/* split_address - "addr (parent) <top>" at p[0..n) into recipient and original */
static void split_address(struct exim_state *st, const char *p, size_t n, struct event *ev)
{
    size_t an = n;

    if (n > 2 && p[n - 1] == '>') {
        const char *lt = scan_rfind(p, n, " <");
        if (lt != NULL) {
            size_t s = (size_t)(lt - p) + 2;
            ev->orig_recipient = arena_copy(&st->a, p + s, n - 1 - s);
            an = (size_t)(lt - p);
        }
    }
    if (an > 0 && p[an - 1] == ')') {
        const char *lp = scan_rfind(p, an, " (");
        if (lp != NULL)
            an = (size_t)(lp - p);
    }
    ev->recipient = arena_copy(&st->a, p, an);
}

/* fill_from_message - complete a delivery outcome with what its arrival told */
static void fill_from_message(const struct ex_message *m, struct event *ev)
{
    if (m == NULL)
        return;
    if (ev->sender == NULL)
        ev->sender = m->sender;
    if (ev->size < 0)
        ev->size = m->size;
    if (ev->client_name == NULL)
        ev->client_name = m->client_name;
    if (ev->client_ip == NULL)
        ev->client_ip = m->client_ip;
    if (ev->helo == NULL)
        ev->helo = m->helo;
    if (ev->message_id == NULL)
        ev->message_id = m->message_id;
    if (ev->parent_queue_id == NULL)
        ev->parent_queue_id = m->parent;
}

/* ------------------------------------------------------------------ arrivals */

/* the texts of a message, in the order message_new takes them */
enum { MT_SENDER, MT_CLIENT_NAME, MT_CLIENT_IP, MT_HELO, MT_MESSAGE_ID, MT_PARENT, MT_COUNT };

/*
 * message_new - a message of that size with copies of the texts t (a text with a NULL p stays
 * NULL; each is cut at a NUL byte, as strndup would), all in one allocation
 */
static struct ex_message *message_new(int64_t size, const struct span t[MT_COUNT])
{
    size_t len[MT_COUNT], total = sizeof(struct ex_message);

    for (int k = 0; k < MT_COUNT; k++) {
        len[k] = t[k].p != NULL ? strnlen(t[k].p, t[k].n) : 0;
        total += t[k].p != NULL ? len[k] + 1 : 0;
    }
    struct ex_message *m = xmalloc(total);
    char **slot[MT_COUNT] = {&m->sender, &m->client_name, &m->client_ip,
                             &m->helo,   &m->message_id,  &m->parent};
    char *o = (char *)(m + 1);
    m->size = size;
    for (int k = 0; k < MT_COUNT; k++) {
        if (t[k].p == NULL) {
            *slot[k] = NULL;
            continue;
        }
        memcpy(o, t[k].p, len[k]);
        o[len[k]] = '\0';
        *slot[k] = o;
        o += len[k] + 1;
    }
    return m;
}

/* handle_arrival - "<= sender fields [for rcpts]" and fakereject "(= ..." */
static enum line_result handle_arrival(struct exim_state *st, struct ex_line *xl, const char *p,
                                       size_t n, int fake)
{
    struct event *ev = &xl->ev;
    struct fields f;
    struct ex_message *m;
    size_t se = tok_end(p, n, 0), i, k;
    const char *snd = p;
    size_t sn = se;

    if (ev->queue_id == NULL)
        return LINE_INFO; /* an arrival always has an id; this one is broken */
    if (sn >= 2 && snd[0] == '<' && snd[sn - 1] == '>') {
        snd++;
        sn -= 2;
    }
    i = scan_fields(p, n, se, &f);
    k = make_key(st, xl->host, ev->queue_id, strlen(ev->queue_id));
    if (k == 0)
        return LINE_INFO;
    /* a new arrival; an id reused after a missed "Completed" starts afresh (lru_put frees the
       message it replaces and makes this one the newest, as a lookup would) */
    struct span t[MT_COUNT] = {
        [MT_SENDER] = {snd, sn},
        [MT_CLIENT_NAME] = f.host.name.n ? f.host.name : (struct span){NULL, 0},
        [MT_CLIENT_IP] = f.host.ip.n ? f.host.ip : (struct span){NULL, 0},
        [MT_HELO] = f.host.helo.n ? f.host.helo : (struct span){NULL, 0},
        [MT_MESSAGE_ID] = has_field(&f, K_ID) ? f.v[K_ID] : (struct span){NULL, 0},
        [MT_PARENT] = has_field(&f, K_R) ? f.v[K_R] : (struct span){NULL, 0},
    };
    m = message_new(has_field(&f, K_S) ? span_size(f.v[K_S]) : -1, t);
    lru_put(st->messages, st->key, k, m);
    if (!fake)
        return LINE_INFO;
    /* the message was kept, the client was told it was refused */
    ev->kind = EVENT_REJECT_WARNING;
    ev->direction = DIRECTION_INBOUND;
    ev->stage = STAGE_EOM;
    ev->text = "fakereject: the message was accepted, the client was told it was rejected";
    if (i + 4 <= n && scan_prefix(p + i, n - i, "for ")) {
        size_t r = skip_sp(p, n, i + 4), re = tok_end(p, n, r);
        if (re > r)
            ev->recipient = arena_copy(&st->a, p + r, re - r);
    }
    fill_from_message(m, ev);
    return LINE_EVENT;
}

/* ----------------------------------------------------------------- deliveries */

static int is_expiry(const char *t)
{
    return strncmp(t, "retry timeout exceeded", 22) == 0 ||
           strstr(t, "retry time not reached for any host after a long failure period") != NULL ||
           strstr(t, "have been failing for a long time") != NULL;
}

/*
 * handle_delivery - "=> -> >> *> ** ==" lines: p[0..n) is what follows the flag
 */
static enum line_result handle_delivery(struct exim_state *st, struct parse_ctx *ctx,
                                        struct ex_line *xl, char flag, const char *p, size_t n)
{
    struct event *ev = &xl->ev;
    struct fields f;
    size_t rest, ae = address_part(p, n, &rest), i;
    struct ex_message *m = NULL;

    if (ae == 0) {
        ctx->why = "delivery line without an address";
        return LINE_UNPARSED;
    }
    ev->direction = DIRECTION_OUTBOUND;
    ev->kind = flag == '*'   ? EVENT_BOUNCE
               : flag == '=' ? EVENT_DEFER
               : flag == 'N' ? EVENT_DISCARD
                             : EVENT_DELIVER;
    split_address(st, p, ae, ev);
    i = scan_fields(p, n, rest, &f);
    apply_sender(st, &f, ev);
    if (ev->sender == NULL && has_field(&f, K_P) && f.v[K_P].p > p && f.v[K_P].p[-1] == '<')
        ev->sender = span_copy(st, f.v[K_P]); /* the return path */
    if (f.host.ip.n > 0 || f.host.name.n > 0)
        ev->relay = relay_of(st, &f.host);
    if (has_field(&f, K_S))
        ev->size = span_size(f.v[K_S]);

    if (flag == '>' || flag == '-' || flag == 'c' || flag == 'N') {
        /* "=> :blackhole: <a> R=r" and "=> blackhole (RCPT ACL discarded recipients)" */
        if (strcmp(ev->recipient, ":blackhole:") == 0) {
            ev->kind = EVENT_DISCARD;
            ev->recipient = ev->orig_recipient;
            ev->orig_recipient = NULL;
            ev->text = ":blackhole:";
        } else if (strcmp(ev->recipient, "blackhole") == 0 && i < n &&
                   (p[i] == '(' || p[i] == '*')) {
            ev->kind = EVENT_DISCARD;
            ev->recipient = NULL;
            ev->text = copy_text(st, p + i, n - i);
        }
        if (has_field(&f, K_C))
            apply_reply(st, f.v[K_C].p, f.v[K_C].n, ev);
    } else if (flag == '=') {
        /* "defer (errno)[: strerror][ H=host [ip][:port]][: message]"; the strerror is
           there only for a positive errno (tests munge it to "dd" or "EEE") */
        const char *d = scan_prefix(p + i, n - i, "routing ") ? p + i + 8 : p + i;
        size_t di = (size_t)(d - p), ss = 0, se = 0;
        const char *rp;
        if (!scan_prefix(d, n - di, "defer (") || (rp = memchr(d, ')', n - di)) == NULL) {
            ctx->why = "deferral without 'defer (errno)'";
            return LINE_UNPARSED;
        }
        int has_strerror = d[7] != '-' && !(d[7] == '0' && d[8] == ')');
        i = (size_t)(rp - p) + 1;
        if (has_strerror && i + 1 < n && p[i] == ':' && p[i + 1] == ' ') {
            const char *h, *c;
            ss = i + 2;
            h = scan_find(p + ss, n - ss, " H=");
            c = scan_find(p + ss, n - ss, ": ");
            se = h != NULL && (c == NULL || h < c) ? (size_t)(h - p) : c ? (size_t)(c - p) : n;
            i = se;
        }
        if (i + 3 <= n && scan_prefix(p + i, n - i, " H=")) {
            struct hostspec h;
            int sep;
            i = read_hostspec(p, n, i + 3, &h, &sep);
            if (ev->relay == NULL)
                ev->relay = relay_of(st, &h);
            if (!sep) { /* "H=h [ip]:port I=[ip]:port: message" */
                struct fields more;
                i = scan_fields(p, n, i, &more);
                sep = more.sep;
            }
            i = sep ? skip_sp(p, n, i) : n;
        } else if (i + 1 < n && p[i] == ':' && p[i + 1] == ' ') {
            i += 2;
        } else {
            i = n;
        }
        if (i < n) {
            apply_outcome(st, p + i, n - i, ev);
            /* "Connection timed out: SMTP timeout after MAIL FROM:<...>" */
            if (ss > 0 && ev->reply_code == 0)
                ev->text = join_text(st, p + ss, se - ss, ev->text, strlen(ev->text));
        } else if (ss > 0) {
            apply_outcome(st, p + ss, se - ss, ev);
        } else {
            ev->text = "";
        }
        if (ev->stage == STAGE_NONE && ss > 0 && starts_connection_error(p + ss, se - ss))
            ev->stage = STAGE_CONNECT;
    } else { /* "**" */
        if (!f.sep && i + 1 < n && p[i] == ':' && p[i + 1] == ' ')
            i = skip_sp(p, n, i + 1);
        if (i < n)
            apply_outcome(st, p + i, n - i, ev);
        else
            ev->text = "";
    }

    /* a recipient's last deferral explains its final failure */
    size_t k = ev->recipient != NULL && (flag == '*' || flag == '=')
                   ? defer_key(st, xl->host, ev->queue_id, ev->recipient)
                   : 0;
    if (flag == '*' && is_expiry(ev->text)) {
        const char *last = k ? lru_get(st->defers, st->key, k) : NULL;
        ev->kind = EVENT_EXPIRE;
        if (last != NULL) {
            const char *lead = "; last deferral: ";
            size_t a = strlen(ev->text), b = strlen(lead), c = strlen(last);
            char *t = arena_alloc(&st->a, a + b + c);
            memcpy(t, ev->text, a);
            memcpy(t + a, lead, b);
            memcpy(t + a + b, last, c);
            t[a + b + c] = '\0';
            ev->text = t;
        }
    }
    if (k != 0 && flag == '=' && ev->text != NULL && ev->text[0]) {
        size_t tl = strlen(ev->text);
        lru_put(st->defers, st->key, k,
                xstrndup(ev->text, tl < EX_MAX_REASON ? tl : EX_MAX_REASON));
    } else if (k != 0) { /* the recipient failed for good: its deferral is spent */
        lru_del(st->defers, st->key, k);
    }
    m = message_get(st, xl->host, ev->queue_id);
    fill_from_message(m, ev);
    return LINE_EVENT;
}

/* ------------------------------------------------------------------ rejections */

/* what a rejection names after "rejected", and what follows that word */
enum what_arg {
    ARG_NONE,      /* ": message" may follow */
    ARG_RECIPIENT, /* "RCPT <a>", "VRFY a" */
    ARG_SENDER,    /* "MAIL <a>", "MAIL FROM:<a> U=x:", "MAIL command U=x:", "MAIL from host:" */
    ARG_HELO,      /* "EHLO or HELO name" */
    ARG_FROM_HOST, /* "HELO from host:", "connection from H=... input=..." */
    ARG_FROM_ADDR, /* "from <sender> U=x: message too big" */
    ARG_WORD,      /* "ETRN #x", "AUTH mech": a word, kept in the text for AUTH only */
    ARG_KEEP,      /* "after DATA PRDR", "DKIM": the words up to ": " are the verb */
};

static const struct {
    const char *word;
    enum smtp_stage stage;
    enum what_arg arg;
} reject_whats[] = {
    {"RCPT", STAGE_RCPT, ARG_RECIPIENT},
    {"MAIL", STAGE_MAIL, ARG_SENDER},
    {"EHLO or HELO", STAGE_HELO, ARG_HELO},
    {"HELO", STAGE_HELO, ARG_FROM_HOST},
    {"EHLO", STAGE_HELO, ARG_FROM_HOST},
    {"connection", STAGE_CONNECT, ARG_FROM_HOST},
    {"after DATA", STAGE_EOM, ARG_KEEP},
    {"DATA", STAGE_DATA, ARG_KEEP},
    {"during MIME ACL checks", STAGE_EOM, ARG_KEEP},
    {"by local_scan()", STAGE_EOM, ARG_KEEP},
    {"by non-SMTP ACL", STAGE_EOM, ARG_KEEP},
    {"from", STAGE_DATA, ARG_FROM_ADDR},
    {"VRFY", STAGE_RCPT, ARG_RECIPIENT},
    {"EXPN", STAGE_RCPT, ARG_RECIPIENT},
    {"AUTH", STAGE_NONE, ARG_WORD},
    {"ETRN", STAGE_NONE, ARG_WORD},
    {"ATRN", STAGE_NONE, ARG_WORD},
    {"WELLKNOWN", STAGE_NONE, ARG_WORD},
    {"STARTTLS", STAGE_HELO, ARG_KEEP},
    {"DKIM", STAGE_EOM, ARG_KEEP},
    {"NOTQUIT", STAGE_NONE, ARG_KEEP},
    {"QUIT", STAGE_NONE, ARG_KEEP},
    {"XCLIENT", STAGE_NONE, ARG_FROM_HOST},
};

/* take_target - an address or name at p[i..n): "<a>" or a bare word up to ": "; returns end */
static size_t take_target(const char *p, size_t n, size_t i, struct span *out)
{
    size_t e;

    if (i < n && p[i] == '<' && (e = angle_close(p, n, i)) != 0) {
        out->p = p + i + 1;
        out->n = e - i - 1;
        return e + 1;
    }
    e = find_sep(p, n, i);
    out->p = p + i;
    out->n = e - i;
    while (out->n > 0 && out->p[out->n - 1] == ' ')
        out->n--;
    return e;
}

/* remember_verify - "sender verify fail for <a>: reason": kept for the rejection to follow */
static void remember_verify(struct exim_state *st, const struct ex_line *xl, const char *ident,
                            size_t ident_len, const char *p, size_t n)
{
    char pid[24];
    size_t k;

    snprintf(pid, sizeof pid, "%ld", xl->pid);
    if (ident_len > 512)
        ident_len = 512;
    k = make_key(st, xl->host, pid, strlen(pid) + 1);
    if (k == 0 || k + ident_len > sizeof st->key)
        return;
    memcpy(st->key + k, ident, ident_len);
    lru_put(st->verify, st->key, k + ident_len, xstrndup(p, n < EX_MAX_REASON ? n : EX_MAX_REASON));
}

/* recall_verify - the remembered verify reason of this connection (and forget it), or NULL */
static char *recall_verify(struct exim_state *st, const struct ex_line *xl, const char *ident,
                           size_t ident_len)
{
    char pid[24], *reason, *copy;
    size_t k;

    if (lru_count(st->verify) == 0)
        return NULL;
    snprintf(pid, sizeof pid, "%ld", xl->pid);
    if (ident_len > 512)
        ident_len = 512;
    k = make_key(st, xl->host, pid, strlen(pid) + 1);
    if (k == 0 || k + ident_len > sizeof st->key)
        return NULL;
    memcpy(st->key + k, ident, ident_len);
    if ((reason = lru_get(st->verify, st->key, k + ident_len)) == NULL)
        return NULL;
    copy = arena_copy(&st->a, reason, strlen(reason));
    lru_del(st->verify, st->key, k + ident_len);
    return copy;
}

/*
 * reject_text - "<phrase>[: <message>]" with the message's leading code and status taken
 * out; p[0..n) is the message (may be empty)
 */
static void reject_text(struct exim_state *st, const char *phrase, size_t plen, const char *p,
                        size_t n, struct event *ev)
{
    while (n > 0 && p[n - 1] == ' ')
        n--;
    while (plen > 0 && phrase[plen - 1] == ' ')
        plen--;
    if (n == 0) {
        ev->text = copy_text(st, phrase, plen);
        return;
    }
    apply_reply(st, p, n, ev);
    ev->text = join_text(st, phrase, plen, ev->text, strlen(ev->text));
}

/* after_fields - scan "U=x I=y:" at p[i..n) into f; the message's index, or n without one */
static size_t after_fields(const char *p, size_t n, size_t i, struct fields *f)
{
    i = scan_fields(p, n, i, f);
    return f->sep ? i : n;
}

/* after_sep - the index after the ": " that ends p[i..n)'s first part, or n */
static size_t after_sep(const char *p, size_t n, size_t i)
{
    size_t e = find_sep(p, n, i);

    return e < n ? skip_sp(p, n, e + 1) : n;
}

/*
 * parse_rejected - "[temporarily ]rejected WHAT [argument][: message]" at p[i..n); pre[0..pl)
 * is text logged before the verb ("SMTP protocol synchronization error (...)"). The text is
 * the verb without client and address, then the message without its code and status.
 */
static void parse_rejected(struct exim_state *st, struct ex_line *xl, const char *p, size_t n,
                           size_t i, const char *pre, size_t pl)
{
    struct event *ev = &xl->ev;
    size_t v = i, w, msg = n, verb_end, verb_only, k;
    struct span target = {NULL, 0};
    struct fields f;
    struct hostspec h;
    int sep, what = -1;

    ev->kind = EVENT_REJECT;
    ev->direction = DIRECTION_INBOUND;
    if (scan_prefix(p + i, n - i, "temporarily "))
        i += 12;
    i += 8; /* "rejected" */
    verb_end = verb_only = i < n ? i : n;
    i = skip_sp(p, n, verb_end);
    for (k = 0; k < sizeof reject_whats / sizeof reject_whats[0]; k++) {
        size_t wl = strlen(reject_whats[k].word);
        if (i + wl <= n && p[i] == reject_whats[k].word[0] &&
            memcmp(p + i, reject_whats[k].word, wl) == 0 &&
            (i + wl == n || p[i + wl] == ' ' || p[i + wl] == ':')) {
            what = (int)k;
            break;
        }
    }
    if (what < 0) {
        /* protocol synchronization: rejected "cmd" H=... next input=...; or a cut line */
        if (i < n && p[i] == '"' && (k = quote_close(p, n, i)) != 0) {
            ev->stage = smtp_stage_of_command(p + i + 1, k - i - 1);
            verb_end = k + 1;
            scan_fields(p, n, verb_end, &f);
            apply_client(st, &f.host, ev);
        }
        goto text;
    }
    ev->stage = reject_whats[what].stage;
    verb_end = i + strlen(reject_whats[what].word);
    w = skip_sp(p, n, verb_end);
    switch (reject_whats[what].arg) {
    case ARG_RECIPIENT:
        if (w < n && p[w] != ':') {
            w = take_target(p, n, w, &target);
            ev->recipient = arena_copy(&st->a, target.p, target.n);
        }
        msg = after_sep(p, n, w);
        break;
    case ARG_SENDER:
        if (scan_prefix(p + w, n - w, "FROM:<") && (k = angle_close(p, n, w + 5)) != 0) {
            /* built-in: "rejected MAIL FROM:<a> U=x: message too big: size=..." */
            if (ev->sender == NULL)
                ev->sender = arena_copy(&st->a, p + w + 6, k - w - 6);
            msg = after_fields(p, n, k + 1, &f);
        } else if (scan_prefix(p + w, n - w, "command")) {
            msg = after_fields(p, n, w + 7, &f);
        } else if (scan_prefix(p + w, n - w, "from ")) {
            w = read_hostspec(p, n, w + 5, &h, &sep);
            apply_client(st, &h, ev);
            msg = sep ? skip_sp(p, n, w) : n;
        } else {
            if (w < n && p[w] != ':') {
                w = take_target(p, n, w, &target);
                if (ev->sender == NULL)
                    ev->sender = arena_copy(&st->a, target.p, target.n);
            }
            msg = after_sep(p, n, w);
        }
        break;
    case ARG_HELO:
        if (w < n && p[w] != ':') {
            w = take_target(p, n, w, &target);
            if (ev->helo == NULL)
                ev->helo = arena_copy(&st->a, target.p, target.n);
        }
        msg = after_sep(p, n, w);
        break;
    case ARG_FROM_HOST:
        if (scan_prefix(p + w, n - w, "from H=")) {
            /* "rejected connection from H=[ip]:port I=... input="...": no message */
            scan_fields(p, n, w + 5, &f);
            apply_client(st, &f.host, ev);
        } else if (scan_prefix(p + w, n - w, "from ")) {
            w = read_hostspec(p, n, w + 5, &h, &sep);
            apply_client(st, &h, ev);
            msg = sep ? skip_sp(p, n, w) : n;
        } else {
            msg = after_sep(p, n, w); /* 'connection in "connect" ACL: message' */
        }
        break;
    case ARG_FROM_ADDR:
        /* "rejected from <a> U=x: message too big: read=225 max=100" */
        verb_end = verb_only;
        if (w < n && p[w] == '<' && (k = angle_close(p, n, w)) != 0) {
            if (ev->sender == NULL)
                ev->sender = arena_copy(&st->a, p + w + 1, k - w - 1);
            w = k + 1;
        }
        msg = after_fields(p, n, w, &f);
        if (ev->client_ip == NULL)
            apply_client(st, &f.host, ev);
        break;
    case ARG_WORD:
        if (strcmp(reject_whats[what].word, "AUTH") == 0 && w < n && p[w] != ':') {
            /* the mechanism, never what follows it (credentials) */
            verb_end = tok_end(p, n, w);
            if (p[verb_end - 1] == ':')
                verb_end--;
        }
        msg = after_sep(p, n, w);
        break;
    case ARG_KEEP:
        k = find_sep(p, n, w);
        verb_end = k;
        msg = k < n ? skip_sp(p, n, k + 1) : n;
        break;
    case ARG_NONE:
        msg = after_sep(p, n, w);
        break;
    }

text:
    /* the text: what was logged before the verb, the verb, and the message */
    if (verb_end > n)
        verb_end = n;
    char *phrase = arena_alloc(&st->a, pl + 2 + (verb_end - v));
    size_t o = 0;
    if (pl) {
        memcpy(phrase, pre, pl);
        memcpy(phrase + pl, ": ", 2);
        o = pl + 2;
    }
    memcpy(phrase + o, p + v, verb_end - v);
    o += verb_end - v;
    phrase[o] = '\0';
    reject_text(st, phrase, o, p + msg, n - msg, ev);
}

/* verify_enrich - append the connection's remembered sender verify reason to a verify reject */
static void verify_enrich(struct exim_state *st, struct ex_line *xl, const char *ident,
                          size_t ident_len)
{
    struct event *ev = &xl->ev;
    char *reason;

    if (ev->text == NULL || strstr(ev->text, "verif") == NULL)
        return;
    if ((reason = recall_verify(st, xl, ident, ident_len)) == NULL)
        return;
    size_t a = strlen(ev->text), b = strlen(reason);
    char *t = arena_alloc(&st->a, a + b + 3);
    memcpy(t, ev->text, a);
    memcpy(t + a, " (", 2);
    memcpy(t + a + 2, reason, b);
    t[a + b + 2] = ')';
    t[a + b + 3] = '\0';
    ev->text = t;
}

/*
 * handle_other - a line without a delivery flag: rejections and their kin are events,
 * everything else (connections, TLS, queue runs, host errors, warnings) is info.
 */
static enum line_result handle_other(struct exim_state *st, struct ex_line *xl, const char *p,
                                     size_t n)
{
    struct event *ev = &xl->ev;
    struct fields f;
    size_t i = scan_fields(p, n, 0, &f), ident_len = 0;
    const char *r = p + i, *w;
    size_t rn = n - i;
    char ident[512];

    /* the client's identity, shared by the lines of one connection: H= and U= */
    for (int k = 0; k < 2; k++) {
        int key = k == 0 ? K_H : K_U;
        const struct span *v = &f.v[key];
        if (has_field(&f, key) && ident_len + v->n + 1 < sizeof ident) {
            memcpy(ident + ident_len, v->p, v->n);
            ident_len += v->n;
            ident[ident_len++] = '\0';
        }
    }
    /* the identity fields of an inbound line */
    apply_client(st, &f.host, ev);
    apply_sender(st, &f, ev);
    if (has_field(&f, K_S))
        ev->size = span_size(f.v[K_S]);

    if (f.sep) /* "H=host [ip]: SMTP error ...", a remote's answer on one attempt */
        return LINE_INFO;
    if (scan_prefix(r, rn, "rejected ") || scan_prefix(r, rn, "temporarily rejected ") ||
        (rn == 8 && memcmp(r, "rejected", 8) == 0)) {
        parse_rejected(st, xl, p, n, i, NULL, 0);
        verify_enrich(st, xl, ident, ident_len);
        if (has_field(&f, K_SPF) && ev->text != NULL && strchr(ev->text, ':') == NULL) {
            /* "F=<a> SPF=fail rejected RCPT <b>": the SPF verdict is the only reason given */
            char *t = arena_alloc(&st->a, strlen(ev->text) + 6 + f.v[K_SPF].n);
            sprintf(t, "%s: SPF=%.*s", ev->text, (int)f.v[K_SPF].n, f.v[K_SPF].p);
            ev->text = t;
        }
        return LINE_EVENT;
    }
    if (scan_prefix(r, rn, "sender verify fail for ") ||
        scan_prefix(r, rn, "sender verify defer for ")) {
        remember_verify(st, xl, ident, ident_len, r, rn);
        return LINE_INFO;
    }
    if (scan_prefix(r, rn, "RCPT ") && (w = scan_find(r, rn, ": discarded by ")) != NULL) {
        struct span target;
        take_target(r, rn, 5, &target);
        ev->kind = EVENT_DISCARD;
        ev->direction = DIRECTION_INBOUND;
        ev->stage = STAGE_RCPT;
        ev->recipient = arena_copy(&st->a, target.p, target.n);
        ev->text = copy_text(st, w + 2, rn - (size_t)(w + 2 - r));
        return LINE_EVENT;
    }
    if (scan_prefix(r, rn, "dropped by '")) {
        ev->kind = EVENT_REJECT;
        ev->direction = DIRECTION_INBOUND;
        ev->stage = STAGE_CONNECT;
        if ((w = scan_find(r, rn, "' ACL")) != NULL && !scan_prefix(r + 12, rn - 12, "connect'"))
            ev->stage = smtp_stage_of_command(r + 12, (size_t)(w - r) - 12);
        reject_text(st, r, rn, "", 0, ev);
        const char *c = scan_find(r, rn, ": ");
        if (c != NULL)
            reject_text(st, r, (size_t)(c - r), c + 2, rn - (size_t)(c + 2 - r), ev);
        return LINE_EVENT;
    }
    if (i > 0)
        return LINE_INFO;

    /* lines that name the client after the verb */
    ev->direction = DIRECTION_INBOUND;
    if (scan_prefix(p, n, "refused connection from ")) {
        struct hostspec h;
        int sep;
        size_t e = read_hostspec(p, n, 24, &h, &sep);
        apply_client(st, &h, ev);
        ev->kind = EVENT_REJECT;
        ev->stage = STAGE_CONNECT;
        char *t = arena_alloc(&st->a, 19 + (n - e));
        memcpy(t, "refused connection", 18);
        memcpy(t + 18, p + e, n - e);
        t[18 + n - e] = '\0';
        ev->text = copy_text(st, t, strlen(t));
        return LINE_EVENT;
    }
    if (scan_prefix(p, n, "SMTP call from ") && (w = scan_find(p, n, " dropped: ")) != NULL) {
        struct hostspec h;
        int sep;
        size_t e = read_hostspec(p, n, 15, &h, &sep);
        const char *last;
        if (e <= (size_t)(w - p)) {
            apply_client(st, &h, ev);
            scan_fields(p, n, e, &f);
            if (ev->client_ip == NULL)
                apply_client(st, &f.host, ev);
        }
        ev->kind = EVENT_REJECT;
        if ((last = scan_find(w, n - (size_t)(w - p), "(last ")) != NULL &&
            (last = memchr(last, '"', n - (size_t)(last - p))) != NULL)
            ev->stage = smtp_stage_of_command(last + 1, n - (size_t)(last + 1 - p));
        ev->text = copy_text(st, w + 1, n - (size_t)(w + 1 - p));
        return LINE_EVENT;
    }
    if ((w = scan_find(p, n, " authenticator failed for ")) != NULL &&
        memchr(p, ' ', (size_t)(w - p)) == NULL) {
        /* "name authenticator failed for [H=]host [ip][:port] [I= U= Ci=]: 535 text" */
        size_t s = (size_t)(w - p) + 26, e;
        struct hostspec h;
        int sep = 0;
        if (scan_prefix(p + s, n - s, "H=") || scan_prefix(p + s, n - s, "U=")) {
            e = scan_fields(p, n, s, &f);
            apply_client(st, &f.host, ev);
            sep = f.sep;
        } else {
            e = read_hostspec(p, n, s, &h, &sep);
            apply_client(st, &h, ev);
            if (!sep) {
                e = scan_fields(p, n, e, &f);
                sep = f.sep;
            }
        }
        ev->kind = EVENT_REJECT;
        ev->stage = STAGE_NONE;
        if (sep)
            reject_text(st, "authenticator failed", 20, p + e, n - e, ev);
        else
            reject_text(st, "authenticator failed", 20, "", 0, ev);
        return LINE_EVENT;
    }
    if (scan_prefix(p, n, "SMTP protocol synchronization error (") &&
        (w = scan_find(p, n, "): rejected")) != NULL) {
        /* "SMTP protocol synchronization error (why): rejected connection from H=..." */
        size_t vpos = (size_t)(w - p) + 3;
        parse_rejected(st, xl, p, n, vpos, p, vpos - 2);
        return LINE_EVENT;
    }
    if ((w = scan_find(p, n, ": rejected by ")) != NULL) {
        /* "Error while reading message with no usable sender address (R=x): rejected by
           non-SMTP ACL: local configuration problem" */
        size_t vpos = (size_t)(w - p) + 2;
        parse_rejected(st, xl, p, n, vpos, p, (size_t)(w - p));
        return LINE_EVENT;
    }
    if (scan_prefix(p, n, "unqualified sender rejected: ") ||
        scan_prefix(p, n, "unqualified recipient rejected: ")) {
        int rcpt = p[12] == 'r';
        size_t s = rcpt ? 32 : 29, e;
        struct span target = {NULL, 0};
        e = take_target(p, n, s, &target);
        (void)e;
        ev->kind = EVENT_REJECT;
        ev->stage = rcpt ? STAGE_RCPT : STAGE_MAIL;
        if (target.p != NULL) {
            char *a = arena_copy(&st->a, target.p, target.n);
            if (rcpt)
                ev->recipient = a;
            else
                ev->sender = a;
        }
        ev->text = rcpt ? "unqualified recipient rejected" : "unqualified sender rejected";
        return LINE_EVENT;
    }
    if (scan_prefix(p, n, "too many recipients: excess temporarily rejected")) {
        const char *s = scan_find(p, n, "sender=<");
        if (s != NULL) {
            size_t so = (size_t)(s - p) + 7, e = angle_close(p, n, so);
            if (e != 0)
                ev->sender = arena_copy(&st->a, p + so + 1, e - so - 1);
        }
        ev->kind = EVENT_REJECT;
        ev->stage = STAGE_RCPT;
        ev->text = "too many recipients: excess temporarily rejected";
        return LINE_EVENT;
    }
    if (scan_prefix(p, n, "local_scan() function ") &&
        scan_find(p, n, " - message temporarily rejected") != NULL) {
        ev->kind = EVENT_REJECT;
        ev->stage = STAGE_EOM;
        ev->text = copy_text(st, p, n);
        return LINE_EVENT;
    }
    return LINE_INFO;
}

/* handle_message_event - "removed by X", "cancelled by timeout_frozen_after" */
static enum line_result handle_message_event(struct exim_state *st, struct ex_line *xl,
                                             const char *p, size_t n)
{
    struct event *ev = &xl->ev;
    int removed = scan_prefix(p, n, "removed by ");

    ev->kind = removed ? EVENT_DISCARD : EVENT_EXPIRE;
    ev->direction = DIRECTION_OUTBOUND;
    ev->text = copy_text(st, p, n);
    fill_from_message(message_get(st, xl->host, ev->queue_id), ev);
    return LINE_EVENT;
}

/* ---------------------------------------------------------------- the prefix */

struct ex_prefix {
    struct civil_time ct;
    int has_ts;
    int ts_memo; /* ct is the memo's second, with the line's fraction (see parse_prefix) */
    long pid;
    const char *id;
    size_t id_len;
    const char *rest;
    size_t rest_len;
};

/*
 * memo_hit - the length of the timestamp at p[0..n) when it is a zone-less "YYYY-MM-DD
 * HH:MM:SS" of the memo's hour, perhaps with a fraction; *ct is then the time as ts_parse_iso
 * reads it (the date and hour are the memo's). 0 when ts_parse_iso must read it: another hour,
 * a zone after it (attached, or " +hhmm" / " -hhmm" from log_timezone), no clock there.
 *
 * Another second of the memo's hour becomes the memo's without a conversion (ts_memo_move: its
 * UTC time moved by the difference); a memo never converted (an impossible date) stays so, and
 * is converted as before.
 */
static size_t memo_hit(struct ts_memo *m, const char *p, size_t n, struct civil_time *ct)
{
    size_t i = 19;
    int min, sec;

    if (m->len != 19 || n < 19 || memcmp(p, m->text, 14) != 0 || p[16] != ':' ||
        (min = scan_two_digits(p + 14)) < 0 || min > 59 || (sec = scan_two_digits(p + 17)) < 0 ||
        sec > 60)
        return 0;
    *ct = m->ct;
    ct->min = min;
    ct->sec = sec;
    ct->usec = 0;
    ct->prec = 0;
    if (i + 1 < n && (p[i] == '.' || p[i] == ',') && is_digit((unsigned char)p[i + 1])) {
        int32_t scale = 100000;
        for (i++; i < n && is_digit((unsigned char)p[i]); i++) {
            if (ct->prec < 6) {
                ct->usec += (p[i] - '0') * scale;
                scale /= 10;
                ct->prec++;
            }
        }
    }
    if (i < n && (p[i] != ' ' || (i + 1 < n && (p[i + 1] == '+' || p[i + 1] == '-'))))
        return 0;
    if (min != m->ct.min || sec != m->ct.sec) {
        memcpy(m->text + 14, p + 14, 5);
        ts_memo_move(m, min, sec);
    }
    return i;
}

/*
 * parse_prefix - "ts[.mmm][ zone][ [pid]][ id] rest" at p[0..n); 0, or -1 without a timestamp.
 * With memo (may be NULL), a zone-less timestamp of the memo's hour is not parsed again
 * (px->ts_memo says so; px->ct has its own fraction), and its second is kept there, as is a
 * zone-less second of another hour, without its fraction: the lines of one second share it,
 * with or without +millisec, and the seconds of one hour share its conversion (memo_hit).
 */
static int parse_prefix(const char *p, size_t n, struct ex_prefix *px, struct ts_memo *memo)
{
    size_t i, l;

    memset(px, 0, sizeof *px);
    px->pid = -1;
    if (memo != NULL && (i = memo_hit(memo, p, n, &px->ct)) > 0) {
        px->ts_memo = 1;
    } else {
        if ((i = ts_parse_iso(p, n, 1, &px->ct)) == 0 || p[10] != ' ' || (i < n && p[i] != ' '))
            return -1;
        if (memo != NULL && !px->ct.has_zone) {
            struct civil_time second = px->ct;
            second.usec = 0;
            second.prec = 0;
            px->ts_memo = ts_memo_keep(memo, p, 19, &second);
        }
    }
    px->has_ts = 1;
    i = skip_sp(p, n, i);
    if (i + 2 < n && p[i] == '[' && is_digit((unsigned char)p[i + 1])) {
        size_t j = i + 1;
        long pid = 0;
        while (j < n && is_digit((unsigned char)p[j]) && j - i < 12)
            pid = pid * 10 + (p[j++] - '0');
        if (j < n && p[j] == ']' && (j + 1 == n || p[j + 1] == ' ')) {
            px->pid = pid;
            i = skip_sp(p, n, j + 1);
        }
    }
    if ((l = msgid_len(p + i, n - i)) > 0) {
        px->id = p + i;
        px->id_len = l;
        i = skip_sp(p, n, i + l);
    }
    px->rest = p + i;
    px->rest_len = n - i;
    return 0;
}

/* parse_prefix_nots - the same without a timestamp (syslog_timestamp = false) */
static void parse_prefix_nots(const char *p, size_t n, struct ex_prefix *px)
{
    size_t i = 0, l;

    memset(px, 0, sizeof *px);
    px->pid = -1;
    if (n > 2 && p[0] == '[' && is_digit((unsigned char)p[1])) {
        size_t j = 1;
        long pid = 0;
        while (j < n && is_digit((unsigned char)p[j]) && j < 12)
            pid = pid * 10 + (p[j++] - '0');
        if (j < n && p[j] == ']' && (j + 1 == n || p[j + 1] == ' ')) {
            px->pid = pid;
            i = skip_sp(p, n, j + 1);
        }
    }
    if ((l = msgid_len(p + i, n - i)) > 0) {
        px->id = p + i;
        px->id_len = l;
        i = skip_sp(p, n, i + l);
    }
    px->rest = p + i;
    px->rest_len = n - i;
}

/* ------------------------------------------------------------------ one entry */

/*
 * flag_of - the flag that opens a message line: '<' arrival "<=", '(' fakereject "(=",
 * '>' "=>", '-' "->", 'c' cutthrough ">>", 'N' "*>" (suppressed by -N), '*' "**", '=' "==";
 * 0 for none
 */
static char flag_of(const char *p, size_t n)
{
    static const char flags[][3] = {"<=", "(=", "=>", "->", ">>", "*>", "**", "=="};
    static const char codes[] = "<(>-cN*=";

    if (n < 3 || p[2] != ' ')
        return 0;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (p[0] == flags[i][0] && p[1] == flags[i][1])
            return codes[i];
    return 0;
}

/*
 * parse_entry - the first line of an Exim entry at text[0..len): its prefix, then its shape.
 * outer is the syslog timestamp (or NULL); host, tag and pid come from the wrapper.
 */
static enum line_result parse_entry(struct exim_state *st, struct parse_ctx *ctx, const char *text,
                                    size_t len, int64_t offset, const struct civil_time *outer,
                                    const char *host, size_t host_len, const char *tag,
                                    size_t tag_len, long wrap_pid, enum ex_log log)
{
    struct ex_prefix px;
    struct ex_line xl;
    const char *p;
    size_t n, hl = host != NULL ? host_len : ctx->default_host ? strlen(ctx->default_host) : 0;
    enum line_result r;

    if (parse_prefix(text, len, &px, &ctx->ts_memo) < 0) {
        if (outer == NULL) {
            ctx->why = "no Exim timestamp";
            return LINE_UNPARSED;
        }
        parse_prefix_nots(text, len, &px);
        px.ct = *outer;
    }
    st->in_entry = 1;
    if (log == LOG_PANIC) {
        ctx->why = "exim panic";
        return LINE_UNPARSED;
    }
    /* room for every copy this line can make: fields once, texts a few times, two reasons */
    arena_begin(&st->a, 10 * len + 4 * EX_MAX_REASON + hl + tag_len + 4096);
    event_init(&xl.ev); /* the other fields of xl are all set below */
    /* a second of the memo is converted once; the line's fraction is added to it */
    if (px.ts_memo ? ts_memo_utc(&ctx->ts_memo, 1, &ctx->ts_memo.ct, &ctx->years, &ctx->tz,
                                 &xl.ev.ts_us) < 0
                   : civil_to_utc_us(&px.ct, &ctx->years, &ctx->tz, &xl.ev.ts_us) < 0) {
        ctx->why = "impossible date";
        return LINE_UNPARSED;
    }
    if (px.ts_memo)
        xl.ev.ts_us += px.ct.usec;
    xl.ev.ts_prec = px.ct.prec;
    xl.ev.offset = offset;
    xl.ev.mta = "exim";
    xl.ev.program = tag != NULL ? arena_copy(&st->a, tag, tag_len) : "exim";
    if (host != NULL)
        xl.host = arena_copy(&st->a, host, host_len);
    else if (ctx->default_host != NULL)
        xl.host = arena_copy(&st->a, ctx->default_host, hl);
    else
        xl.host = "";
    xl.ev.host = xl.host[0] ? xl.host : NULL;
    xl.pid = wrap_pid >= 0 ? wrap_pid : px.pid;
    xl.log = log;
    xl.text = text;
    xl.text_len = len;
    if (px.id != NULL)
        xl.ev.queue_id = arena_copy(&st->a, px.id, px.id_len);
    p = px.rest;
    n = px.rest_len;

    int forget = 0;
    char flag = flag_of(p, n);
    if (xl.ev.queue_id != NULL && flag == '<')
        return handle_arrival(st, &xl, p + 3, n - 3, 0);
    if (xl.ev.queue_id != NULL && flag == '(')
        r = handle_arrival(st, &xl, p + 3, n - 3, 1);
    else if (xl.ev.queue_id != NULL && flag != 0)
        r = handle_delivery(st, ctx, &xl, flag, p + 3, n - 3);
    else if (xl.ev.queue_id != NULL && scan_prefix(p, n, "Completed")) {
        message_forget(st, xl.host, xl.ev.queue_id);
        return LINE_INFO;
    } else if (xl.ev.queue_id != NULL && (scan_prefix(p, n, "removed by ") ||
                                          scan_prefix(p, n, "cancelled by timeout_frozen_after"))) {
        r = handle_message_event(st, &xl, p, n);
        forget = 1;
    } else {
        r = handle_other(st, &xl, p, n);
    }
    if (r == LINE_EVENT) {
        /* count a line once over mainlog, rejectlog and syslog copies */
        if ((log == LOG_SYSLOG ||
             (xl.ev.direction == DIRECTION_INBOUND && xl.ev.kind != EVENT_REJECT_WARNING)) &&
            is_copy(st, &xl))
            r = LINE_INFO;
        else if (parse_emit(ctx, &xl.ev) < 0)
            return LINE_ABORT;
    }
    if (forget)
        message_forget(st, xl.host, xl.ev.queue_id);
    return r;
}

/* ------------------------------------------------------------------ syslog */

struct ex_wrap {
    struct civil_time ct;
    int has_ts;
    const char *host, *tag, *msg;
    size_t host_len, tag_len, msg_len;
    long pid;
};

/* is_exim_tag - a syslog tag of Exim's: "exim", "exim4", ... */
static int is_exim_tag(const char *t, size_t n)
{
    return n >= 4 && memcmp(t, "exim", 4) == 0;
}

/* tag_at - "exim*[pid]: " or "exim*: " at p[i..n); fills w and returns 1 */
static int tag_at(const char *p, size_t n, size_t i, struct ex_wrap *w)
{
    size_t j = i;

    while (j < n && p[j] != '[' && p[j] != ':' && p[j] != ' ')
        j++;
    if (!is_exim_tag(p + i, j - i))
        return 0;
    w->tag = p + i;
    w->tag_len = j - i;
    w->pid = -1;
    if (j < n && p[j] == '[') {
        long pid = 0;
        size_t d = ++j;
        while (j < n && is_digit((unsigned char)p[j]) && j - d < 10)
            pid = pid * 10 + (p[j++] - '0');
        if (j == d || j >= n || p[j] != ']')
            return 0;
        w->pid = pid;
        j++;
    }
    if (j >= n || p[j] != ':')
        return 0;
    j++;
    if (j < n && p[j] == ' ')
        j++;
    w->msg = p + j;
    w->msg_len = n - j;
    return 1;
}

/* wrap_from - fill w from a syslog header whose tag is Exim's */
static void wrap_from(struct ex_wrap *w, const struct syslog_header *h)
{
    w->ct = h->ct;
    w->has_ts = 1;
    w->host = h->host;
    w->host_len = h->host_len;
    w->tag = h->tag;
    w->tag_len = h->tag_len;
    w->msg = h->msg;
    w->msg_len = h->msg_len;
    w->pid = h->pid;
}

/* is_program_tag - a syslog tag of another program: "postfix/smtpd[1]:", "dovecot[2]:" */
static int is_program_tag(const struct syslog_header *h)
{
    if (is_exim_tag(h->tag, h->tag_len) || h->tag_len == 0 || !isalpha((unsigned char)h->tag[0]))
        return 0;
    for (size_t i = 0; i < h->tag_len; i++)
        if (!isalnum((unsigned char)h->tag[i]) && strchr("-_./", h->tag[i]) == NULL)
            return 0;
    return h->pid >= 0 || memchr(h->tag, '/', h->tag_len) != NULL;
}

/*
 * syslog_shaped - whether p[0..n) (n > 19) has the shape syslog_parse_header needs after an ISO
 * timestamp: the first space from byte 19 on, then "[host ]tag[" or "[host ]tag:". Every line
 * that header parser takes has it (it is a necessary condition, not a sufficient one); a plain
 * Exim line ("id => ...", "H=... rejected ...") fails it on its first words, without the
 * search for ": " through the whole line that the test after it makes.
 */
static int syslog_shaped(const char *p, size_t n)
{
    size_t i = 19, t, l;

    while (i < n && p[i] != ' ') /* the fraction and zone of the timestamp have no space */
        i++;
    if (i >= n)
        return 0;
    i = skip_sp(p, n, i);
    /* a message id (its characters are tag bytes, a space or the end follows it) is classed
       faster as one than byte by byte */
    l = msgid_len(p + i, n - i);
    t = l > 0 ? i + l : i + syslog_tag_span(p + i, n - i);
    if (t > i && t < n && p[t] == ' ') { /* that was the host */
        i = skip_sp(p, n, t);
        t = i + syslog_tag_span(p + i, n - i);
    }
    return t > i && t < n && (p[t] == '[' || p[t] == ':');
}

/*
 * parse_wrapper - a syslog wrapper around an Exim line: "<syslog header> exim[pid]: msg", or
 * without a syslog timestamp "host exim[pid]: msg" / "exim[pid]: msg". 1 when wrapped, -1
 * for another program's syslog line, 0 for neither (a plain Exim line, or no header at all).
 */
static int parse_wrapper(const char *p, size_t n, struct ex_wrap *w)
{
    struct syslog_header h;
    size_t t;

    /* the digit test first: a plain Exim line starts with one, and no digit is alpha */
    if (n > 19 && is_digit((unsigned char)p[0])) {
        /* "2019-10-22 03:39:17 host exim[29786]: ..." (RFC 3339 or space-separated). A plain
           Exim line fails the shape test on its first two words; a wrapper also has a ": " in
           its first 160 bytes after "]" (a pid) or a '/' word, or " exim" among them */
        size_t lim = n < 160 ? n : 160;
        const char *c;
        if (!syslog_shaped(p, n))
            return 0;
        c = scan_find(p, lim, ": ");
        if (c == NULL || (c[-1] != ']' && scan_find(p, (size_t)(c - p), "/") == NULL &&
                          scan_find(p, lim, " exim") == NULL))
            return 0;
        if (syslog_parse_header(p, n, &h) != 0)
            return 0;
        if (is_exim_tag(h.tag, h.tag_len)) {
            wrap_from(w, &h);
            return 1;
        }
        return is_program_tag(&h) ? -1 : 0;
    }
    if (n > 0 && (isalpha((unsigned char)p[0]) || p[0] == '<') &&
        syslog_parse_header(p, n, &h) == 0) {
        if (!is_exim_tag(h.tag, h.tag_len))
            return -1;
        wrap_from(w, &h);
        return 1;
    }
    memset(w, 0, sizeof *w); /* wrap_from fills every field, tag_at some */
    if (tag_at(p, n, 0, w))
        return 1;
    t = tok_end(p, n, 0);
    if (t > 0 && t + 1 < n && tag_at(p, n, t + 1, w)) {
        w->host = p;
        w->host_len = t;
        return 1;
    }
    return 0;
}

/* split_marker - "[n/m] " or "[n\m] " at p; its length, with n, m and the separator */
static size_t split_marker(const char *p, size_t n, int *part, int *total, char *sep)
{
    size_t i = 1;
    int a = 0, b = 0;

    if (n < 6 || p[0] != '[')
        return 0;
    while (i < n && is_digit((unsigned char)p[i]) && a < 10000)
        a = a * 10 + (p[i++] - '0');
    if (i >= n || (p[i] != '/' && p[i] != '\\') || a == 0)
        return 0;
    *sep = p[i++];
    while (i < n && is_digit((unsigned char)p[i]) && b < 10000)
        b = b * 10 + (p[i++] - '0');
    if (i + 1 >= n || p[i] != ']' || p[i + 1] != ' ' || b < a)
        return 0;
    *part = a;
    *total = b;
    return i + 2;
}

/* split_key - "host\0pid" of a wrapped line in st->key; its length, 0 when it does not fit */
static size_t split_key(struct exim_state *st, const struct ex_wrap *w)
{
    char pid[24];
    int pl = snprintf(pid, sizeof pid, "%ld", w->pid);

    if (pl < 0 || w->host_len + 1 + (size_t)pl > sizeof st->key)
        return 0;
    if (w->host_len > 0)
        memcpy(st->key, w->host, w->host_len);
    st->key[w->host_len] = '\0';
    memcpy(st->key + w->host_len + 1, pid, (size_t)pl);
    return w->host_len + 1 + (size_t)pl;
}

/* parse_split - parse the reassembled first line of a split syslog entry */
static enum line_result parse_split(struct exim_state *st, struct parse_ctx *ctx,
                                    struct ex_split *s)
{
    return parse_entry(st, ctx, s->text.buf ? s->text.buf : "", s->text.len, s->offset,
                       s->has_outer ? &s->outer : NULL, s->host, s->host ? strlen(s->host) : 0,
                       s->tag, strlen(s->tag), s->pid, LOG_SYSLOG);
}

/* handle_wrapped - a syslog line of Exim's, perhaps one part of a split entry */
static enum line_result handle_wrapped(struct exim_state *st, struct parse_ctx *ctx,
                                       const struct log_line *ln, const struct ex_wrap *w)
{
    int part, total;
    char sep;
    size_t ml = split_marker(w->msg, w->msg_len, &part, &total, &sep), k;
    struct ex_split *s;

    if (ml == 0)
        return parse_entry(st, ctx, w->msg, w->msg_len, ln->offset, w->has_ts ? &w->ct : NULL,
                           w->host, w->host_len, w->tag, w->tag_len, w->pid, LOG_SYSLOG);
    const char *body = w->msg + ml;
    size_t blen = w->msg_len - ml;
    if ((k = split_key(st, w)) == 0)
        return LINE_INFO;
    s = lru_get(st->splits, st->key, k);
    if (part == 1) {
        s = xcalloc(1, sizeof *s);
        strbuf_init(&s->text);
        s->total = total;
        s->offset = ln->offset;
        s->outer = w->ct;
        s->has_outer = w->has_ts;
        s->host = w->host ? xstrndup(w->host, w->host_len) : NULL;
        s->tag = xstrndup(w->tag, w->tag_len);
        s->pid = w->pid;
        lru_put(st->splits, st->key, k, s);
    } else if (s == NULL || s->next != part || s->total != total) {
        ctx->why = "syslog part without the parts before it";
        return LINE_UNPARSED;
    }
    s->next = part + 1;
    enum line_result r = LINE_INFO;
    if (!s->first_done) {
        if (s->text.len + blen <= EX_MAX_SPLIT_LEN)
            strbuf_append(&s->text, body, blen);
        if (sep == '\\' || part == total) {
            s->first_done = 1;
            r = parse_split(st, ctx, s);
        }
    }
    if (part == total) {
        k = split_key(st, w);
        if (k != 0)
            lru_del(st->splits, st->key, k);
    }
    return r;
}

/* ------------------------------------------------------------------ the parser */

/* log_of - the kind of log a file name says */
static enum ex_log log_of(const char *path)
{
    const char *base;

    if (path == NULL)
        return LOG_MAIN;
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strstr(base, "panic") != NULL)
        return LOG_PANIC;
    if (strstr(base, "reject") != NULL)
        return LOG_REJECT;
    return LOG_MAIN;
}

/* exim_sniff - an Exim line, plain (a timestamp not followed by another program's syslog tag) or
 * wrapped */
static int exim_sniff(const char *line, size_t len)
{
    struct ex_prefix px;
    struct ex_wrap w;

    if (parse_wrapper(line, len, &w) == 1)
        return 1;
    if (len > 19 && is_digit((unsigned char)line[0]) && parse_prefix(line, len, &px, NULL) == 0) {
        struct syslog_header h;
        /* "2024-01-05 10:00:00 host postfix/smtpd[1]: ..." is another program's syslog */
        return syslog_parse_header(line, len, &h) != 0 || px.id != NULL;
    }
    return 0;
}

/* exim_create - empty tables; the fingerprint generations grow on first use */
static void *exim_create(void)
{
    struct exim_state *st = xcalloc(1, sizeof *st);

    st->messages = lru_new(EX_MAX_MESSAGES, free_message);
    st->defers = lru_new(EX_MAX_MESSAGES, free);
    st->splits = lru_new(EX_MAX_SPLITS, free_split);
    st->verify = lru_new(EX_MAX_VERIFY, free);
    st->source_log = LOG_MAIN;
    return st;
}

/* exim_destroy - free everything (NULL is a no-op) */
static void exim_destroy(void *p)
{
    struct exim_state *st = p;

    if (st == NULL)
        return;
    lru_free(st->messages);
    lru_free(st->defers);
    lru_free(st->splits);
    lru_free(st->verify);
    free(st->gen[0].slots);
    free(st->gen[1].slots);
    arena_free(&st->a);
    free(st->source);
    free(st);
}

/*
 * exim_parse_line - one line of a mainlog, rejectlog, paniclog or syslog: a syslog line is
 * unwrapped (other programs' lines are foreign), an Exim entry is parsed, a line without a
 * timestamp continues the entry before it (or is unparsed when there is none)
 */
static enum line_result exim_parse_line(void *state, struct parse_ctx *ctx,
                                        const struct log_line *ln)
{
    struct exim_state *st = state;
    struct ex_wrap w;
    const char *p = ln->text;
    size_t n = ln->len;

    /* a new file: compared by name, never by pointer (the reader frees its name with the
     * file, and the next reader's name may get the same address: a rejectlog read after a
     * mainlog was then taken for a mainlog, and its copies counted twice) */
    if ((ctx->source == NULL) != (st->source == NULL) ||
        (ctx->source != NULL && strcmp(ctx->source, st->source) != 0)) {
        free(st->source);
        st->source = ctx->source != NULL ? xstrdup(ctx->source) : NULL;
        st->source_log = log_of(ctx->source);
        st->in_entry = 0;
    }
    switch (parse_wrapper(p, n, &w)) {
    case 1:
        return handle_wrapped(st, ctx, ln, &w);
    case -1:
        return LINE_FOREIGN;
    default:
        break;
    }
    if (n > 19 && is_digit((unsigned char)p[0]))
        return parse_entry(st, ctx, p, n, ln->offset, NULL, NULL, 0, NULL, 0, -1, st->source_log);
    if (st->in_entry) /* rejectlog headers, continuation lines of an entry */
        return LINE_INFO;
    ctx->why = "no Exim timestamp";
    return LINE_UNPARSED;
}

struct flush_arg {
    struct exim_state *st;
    struct parse_ctx *ctx;
    int failed;
};

/* flush_split - a split entry whose parts stopped coming is parsed as far as it goes */
static int flush_split(void *arg, const char *key, size_t klen, void *value)
{
    struct flush_arg *fa = arg;
    struct ex_split *s = value;

    (void)key;
    (void)klen;
    if (!s->first_done && s->text.len > 0) {
        s->first_done = 1;
        if (parse_split(fa->st, fa->ctx, s) == LINE_ABORT)
            fa->failed = 1;
    }
    return fa->failed;
}

/* exim_flush - the input ended: parse what split entries hold, then forget them */
static int exim_flush(void *state, struct parse_ctx *ctx)
{
    struct exim_state *st = state;
    struct flush_arg fa = {st, ctx, 0};

    /* the input ended: a split entry whose last parts never came is read as it is */
    lru_foreach(st->splits, flush_split, &fa);
    lru_free(st->splits);
    st->splits = lru_new(EX_MAX_SPLITS, free_split);
    return fa.failed ? -1 : 0;
}

/* -------------------------------------------------- state between runs */

/*
 * The saved state is a list of records of fields (statepack.h):
 *   "R" key sender size client_name client_ip helo message_id parent
 *        a message
 *   "E" key text   a recipient's last deferral
 *   "D" blob   fingerprints of the last two days of log, 16 bytes each: fp (8), seconds
 *        (4), count (2), kind (1), generation (1: the older, 0: the newer), little-endian
 */
/* save_one, save_defer - one "R" / "E" record */
static int save_one(void *arg, const char *key, size_t klen, void *value)
{
    struct strbuf *out = arg;
    struct ex_message *m = value;
    char size[32];

    snprintf(size, sizeof size, "%lld", (long long)m->size);
    strbuf_putc(out, 'R');
    statepack_put(out, key, klen);
    statepack_put_str(out, m->sender);
    statepack_put_str(out, size);
    statepack_put_str(out, m->client_name);
    statepack_put_str(out, m->client_ip);
    statepack_put_str(out, m->helo);
    statepack_put_str(out, m->message_id);
    statepack_put_str(out, m->parent);
    return 0;
}

static int save_defer(void *arg, const char *key, size_t klen, void *value)
{
    struct strbuf *out = arg;

    strbuf_putc(out, 'E');
    statepack_put(out, key, klen);
    statepack_put_str(out, value);
    return 0;
}

/* put_le, get_le - n bytes of v, little-endian */
static void put_le(unsigned char *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *b, int n)
{
    uint64_t v = 0;

    for (int i = n; i-- > 0;)
        v = (v << 8) | b[i];
    return v;
}

/* dd_digit - what pass sorts on: the kind (pass -1), or the fingerprint's byte pass */
static size_t dd_digit(const struct dd_entry *e, int pass)
{
    return pass < 0 ? e->kind : (size_t)(e->fp >> (8 * pass)) & 0xff;
}

/*
 * dd_sort - v[0..n) in the order of the fingerprint, then the kind: a radix sort, a pass on the
 * kind and then eight on the fingerprint's bytes, each stable. qsort's calls of a comparison
 * were two thirds of saving the state, which happens at every checkpoint: at the end of every
 * file of a backlog.
 */
static void dd_sort(struct dd_entry *v, size_t n)
{
    struct dd_entry *tmp = xmalloc((n ? n : 1) * sizeof *tmp), *src = v, *dst = tmp, *t;

    for (int pass = -1; pass < 8; pass++) {
        size_t at[257] = {0};
        for (size_t i = 0; i < n; i++)
            at[dd_digit(&src[i], pass) + 1]++;
        for (size_t b = 1; b < 257; b++)
            at[b] += at[b - 1];
        for (size_t i = 0; i < n; i++)
            dst[at[dd_digit(&src[i], pass)]++] = src[i];
        t = src;
        src = dst;
        dst = t;
    }
    if (src != v) /* nine passes: the last one wrote tmp */
        memcpy(v, src, n * sizeof *v);
    free(tmp);
}

/*
 * exim_save_state - the messages, the deferrals, and the fingerprints of the last two days.
 * A fingerprint record is 16 bytes: fp (8), ts_s (4), count (2), kind, generation (1 for the
 * older). Each generation is written in fingerprint order, not in the order of its hash slots,
 * so that a state loaded back saves the same bytes.
 */
static void exim_save_state(void *state, struct strbuf *out)
{
    struct exim_state *st = state;
    uint32_t since = st->newest_s > EX_DEDUP_KEEP_S ? st->newest_s - EX_DEDUP_KEEP_S : 0;
    struct strbuf blob = STRBUF_INIT;

    lru_foreach(st->messages, save_one, out);
    lru_foreach(st->defers, save_defer, out);
    for (int g = 1; g >= 0; g--) {
        struct dd_entry *keep = xmalloc((st->gen[g].used ? st->gen[g].used : 1) * sizeof *keep);
        size_t n = 0;
        for (size_t i = 0; i < st->gen[g].cap; i++) {
            const struct dd_entry *e = &st->gen[g].slots[i];
            if (e->kind != 0 && e->count != 0 && e->ts_s >= since && n < st->gen[g].used)
                keep[n++] = *e;
        }
        dd_sort(keep, n);
        for (size_t i = 0; i < n; i++) {
            unsigned char b[16];
            put_le(b, keep[i].fp, 8);
            put_le(b + 8, keep[i].ts_s, 4);
            put_le(b + 12, keep[i].count, 2);
            b[14] = keep[i].kind;
            b[15] = (unsigned char)g;
            strbuf_append(&blob, (const char *)b, 16);
        }
        free(keep);
    }
    if (blob.len > 0) {
        strbuf_putc(out, 'D');
        statepack_put(out, blob.buf, blob.len);
    }
    strbuf_free(&blob);
}

/* dd_add_older - a saved fingerprint of the older generation back into it (bounded like it) */
static void dd_add_older(struct exim_state *st, uint64_t fp, uint8_t kind, uint32_t ts_s,
                         uint16_t count)
{
    struct dd_table *t = &st->gen[1];

    if (count == 0 || dd_find(&st->gen[0], fp, kind) != NULL || dd_find(t, fp, kind) != NULL ||
        t->used >= EX_DEDUP_GEN)
        return;
    if (t->cap == 0 || (t->used + 1) * 10 > t->cap * 7)
        dd_grow(t);
    struct dd_entry *e = dd_insert(t, fp, kind);
    e->count = count;
    e->ts_s = ts_s;
    if (ts_s > st->newest_s)
        st->newest_s = ts_s;
}

/* load_fingerprints - the "D" blob back into its generations; records of an unknown kind are
 * skipped (a state saved before generations were recorded has them all in the newer one) */
static void load_fingerprints(struct exim_state *st, const char *blob, size_t len)
{
    const unsigned char *b = (const unsigned char *)blob;

    for (size_t i = 0; i + 16 <= len; i += 16) {
        uint8_t kind = b[i + 14];
        uint64_t fp = get_le(b + i, 8);
        uint32_t ts_s = (uint32_t)get_le(b + i + 8, 4);
        uint16_t count = (uint16_t)get_le(b + i + 12, 2);
        if (kind != LOG_MAIN && kind != LOG_REJECT && kind != LOG_SYSLOG)
            continue;
        if (b[i + 15] == 1)
            dd_add_older(st, fp, kind, ts_s, count);
        else
            dd_add(st, fp, kind, ts_s, count);
    }
}

/* exim_load_state - what exim_save_state wrote; stops quietly at the first malformed record */
static void exim_load_state(void *state, const char *data, size_t len)
{
    struct exim_state *st = state;
    const char *p = data, *end = data + len;

    while (p < end) {
        if (*p == 'D') {
            const char *s;
            size_t sl;
            p++;
            if (!statepack_get(&p, end, &s, &sl))
                return;
            if (s != NULL)
                load_fingerprints(st, s, sl);
            continue;
        }
        if (*p == 'E') {
            const char *k, *t;
            size_t kl, tl;
            p++;
            if (!statepack_get(&p, end, &k, &kl) || !statepack_get(&p, end, &t, &tl))
                return;
            if (k != NULL && kl > 0 && t != NULL)
                lru_put(st->defers, k, kl, xstrndup(t, tl));
            continue;
        }
        if (*p != 'R')
            return;
        const char *f[8];
        size_t fl[8];
        p++;
        for (int i = 0; i < 8; i++)
            if (!statepack_get(&p, end, &f[i], &fl[i]))
                return;
        if (f[0] == NULL || fl[0] == 0)
            continue;
        char sizebuf[32];
        int64_t size = -1;
        if (f[2] != NULL && fl[2] < sizeof sizebuf) {
            memcpy(sizebuf, f[2], fl[2]);
            sizebuf[fl[2]] = '\0';
            size = strtoll(sizebuf, NULL, 10);
        }
        /* saved as: key, sender, size, client name, client ip, helo, Message-ID, parent */
        struct span t[MT_COUNT] = {
            [MT_SENDER] = {f[1], fl[1]},     [MT_CLIENT_NAME] = {f[3], fl[3]},
            [MT_CLIENT_IP] = {f[4], fl[4]},  [MT_HELO] = {f[5], fl[5]},
            [MT_MESSAGE_ID] = {f[6], fl[6]}, [MT_PARENT] = {f[7], fl[7]},
        };
        lru_put(st->messages, f[0], fl[0], message_new(size, t));
    }
}

const struct parser_ops exim_parser = {
    .name = "exim",
    .sniff = exim_sniff,
    .create = exim_create,
    .destroy = exim_destroy,
    .parse_line = exim_parse_line,
    .flush = exim_flush,
    .save_state = exim_save_state,
    .load_state = exim_load_state,
};
