/*
 * store_rollup - per-hour roll-ups of the events for the report and top (see store_rollup.h)
 *
 * DESCRIPTION
 *	A day is rolled up in one write transaction that first checks, under the write lock,
 *	that no one did it meanwhile:
 *
 *	rollup_kinds	per hour, kind, direction, MTA, host and log file: the events (the
 *			report's totals, and the files and hosts behind them)
 *	rollup_groups	the distinct (reply text, kind, code, status, direction, MTA, host) of
 *			failures, numbered once for all days
 *	rollup_failures	per hour and group, and per day and group (span 1 or 24, start the
 *			first hour): the failures, the first and the last event id
 *	rollup_values	per dimension and hour, one blob: per group and value (of the
 *			expressions in store_rollup.h) the failures, the last event id and, for
 *			the client, the greatest client name. Top lists need every value with its
 *			count, which rows would make as many as the events; a blob is read in one
 *			step and decoded in C.
 *
 *	The blob is, per entry: group id, value, count, last id, extra; numbers as unsigned
 *	LEB128 varints, a string as its length + 1 (0: none) then its bytes; entries sorted by
 *	group, then value. Reading checks every length against the blob's end.
 *
 *	Segments: the whole hours of [since, until) that lie in the days listed in
 *	rollup_days (of those the events span) are rolled pieces; the rest is raw.
 *
 *	Staleness: rollup_days keeps with each day the newest event id when it was rolled up
 *	(or last found current). An ingest into the day adds an event with a greater id: the
 *	events above the least such id (those of the ingests since, read on the rowid) show
 *	which days are stale. A writer deletes their roll-ups and marks the rest current as of
 *	the newest id; a reader who may not write keeps the list for its connection and reads
 *	those days from the events. The ingest does nothing for the roll-ups. A prune forgets
 *	the days it reaches first (store_rollup_forget).
 *
 *	PostgreSQL has the tables (the schemas stay the same) but no roll-ups: its readers run
 *	their single passes, each month of events a partition of its own.
 *
 * BUGS
 *	A day is rolled up whole even when a period only touches it; the day that is still
 *	being written is rolled up again after each ingest that adds to it. Event ids are
 *	rowids: a prune that deleted the newest events and was killed before it marked the
 *	days again could let the next ingest reuse their ids unseen.
 */
#include "store_rollup.h"
#include "lru.h"
#include "store_internal.h"
#include "strbuf.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define DAY_US STORE_DAY_US

_Static_assert(EVENT_REJECT == 1 && EVENT_BOUNCE == 3 && EVENT_DEFER == 4 && EVENT_EXPIRE == 5,
               "the roll-up's SQL names the failure kinds by number");
_Static_assert(STORE_DIM_COUNT == 7, "forget_days names the dimensions 0 to 6");

/* floor_div - a / b rounded down (times before 1970 are negative) */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---------------------------------------------------------------- the histogram */

#define BLOCK 65536

struct block {
    struct block *next;
    size_t used, cap;
    char data[];
};

/* a slot of the open-addressing table: the entry (index + 1, 0 empty) and 32 bits of its hash,
 * so that a probe touches an entry only when those match */
struct slot {
    uint32_t idx, tag;
};

struct rollup_hist {
    struct rollup_entry *v; /* the entries */
    uint64_t *hash;         /* of each entry, for growing */
    size_t n, cap;
    struct slot *slot;
    size_t nslot; /* a power of two, at least twice n */
    struct block *blocks;
};

/* copy - n bytes kept for the life of h (NUL-terminated for convenience) */
static const char *copy(struct rollup_hist *h, const char *p, size_t n)
{
    struct block *b = h->blocks;
    char *dst;

    if (b == NULL || b->cap - b->used < n + 1) {
        size_t cap = n + 1 > BLOCK ? n + 1 : BLOCK;
        b = xmalloc(sizeof *b + cap);
        b->next = h->blocks;
        b->used = 0;
        b->cap = cap;
        h->blocks = b;
    }
    dst = b->data + b->used;
    memcpy(dst, p, n);
    dst[n] = '\0';
    b->used += n + 1;
    return dst;
}

struct rollup_hist *rollup_hist_new(void)
{
    struct rollup_hist *h = xcalloc(1, sizeof *h);

    h->nslot = 1024;
    h->slot = xcalloc(h->nslot, sizeof *h->slot);
    return h;
}

void rollup_hist_clear(struct rollup_hist *h)
{
    /* the first block's room is used again; the others go */
    while (h->blocks != NULL && h->blocks->next != NULL) {
        struct block *next = h->blocks->next;
        free(h->blocks);
        h->blocks = next;
    }
    if (h->blocks != NULL)
        h->blocks->used = 0;
    memset(h->slot, 0, h->nslot * sizeof *h->slot);
    h->n = 0;
}

void rollup_hist_free(struct rollup_hist *h)
{
    if (h == NULL)
        return;
    while (h->blocks != NULL) {
        struct block *next = h->blocks->next;
        free(h->blocks);
        h->blocks = next;
    }
    free(h->v);
    free(h->hash);
    free(h->slot);
    free(h);
}

int rollup_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c;

    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return (alen > blen) - (alen < blen);
}

/* hash_of - the value's hash and the key, mixed (MurmurHash3's finalizer) so that the low
 * bits, which pick the slot, depend on every bit */
static uint64_t hash_of(int64_t key, const char *v, size_t n)
{
    uint64_t x = v != NULL ? lru_fast_hash(v, n) : UINT64_C(0x9e3779b97f4a7c15);

    x ^= (uint64_t)key * UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static void grow(struct rollup_hist *h)
{
    size_t nslot = h->nslot * 2;
    struct slot *slot = xcalloc(nslot, sizeof *slot);

    for (size_t i = 0; i < h->nslot; i++) {
        size_t j;
        if (h->slot[i].idx == 0)
            continue;
        j = h->hash[h->slot[i].idx - 1] & (nslot - 1);
        while (slot[j].idx != 0)
            j = (j + 1) & (nslot - 1);
        slot[j] = h->slot[i];
    }
    free(h->slot);
    h->slot = slot;
    h->nslot = nslot;
}

/* slot_of - the slot of (key, value) whose hash is x: the entry's, or the empty one where it
 * would go */
static size_t slot_of(const struct rollup_hist *h, int64_t key, const char *value, size_t vlen,
                      uint64_t x)
{
    size_t j = x & (h->nslot - 1);
    uint32_t tag = (uint32_t)(x >> 32);

    for (;; j = (j + 1) & (h->nslot - 1)) {
        const struct rollup_entry *t;
        if (h->slot[j].idx == 0)
            return j;
        if (h->slot[j].tag != tag)
            continue;
        t = &h->v[h->slot[j].idx - 1];
        if (t->key == key && (t->value == NULL) == (value == NULL) &&
            (value == NULL || rollup_cmp(t->value, t->vlen, value, vlen) == 0))
            return j;
    }
}

struct rollup_entry *rollup_hist_find(struct rollup_hist *h, int64_t key, const char *value,
                                      size_t vlen)
{
    size_t j = slot_of(h, key, value, vlen, hash_of(key, value, vlen));

    return h->slot[j].idx ? &h->v[h->slot[j].idx - 1] : NULL;
}

/* add - rollup_hist_add with the hash x of e already known */
static void add(struct rollup_hist *h, const struct rollup_entry *e, uint64_t x)
{
    size_t j;
    struct rollup_entry *t;

    if (h->n * 2 >= h->nslot)
        grow(h);
    j = slot_of(h, e->key, e->value, e->vlen, x);
    if (h->slot[j].idx != 0) {
        t = &h->v[h->slot[j].idx - 1];
        t->n += e->n;
        if (e->last > t->last)
            t->last = e->last;
        if (e->extra != NULL &&
            (t->extra == NULL || rollup_cmp(e->extra, e->elen, t->extra, t->elen) > 0)) {
            t->extra = copy(h, e->extra, e->elen);
            t->elen = e->elen;
        }
        return;
    }
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->v = xreallocarray(h->v, h->cap, sizeof *h->v);
        h->hash = xreallocarray(h->hash, h->cap, sizeof *h->hash);
    }
    h->hash[h->n] = x;
    t = &h->v[h->n];
    *t = *e;
    t->value = e->value ? copy(h, e->value, e->vlen) : NULL;
    t->extra = e->extra ? copy(h, e->extra, e->elen) : NULL;
    h->slot[j].idx = (uint32_t)(++h->n);
    h->slot[j].tag = (uint32_t)(x >> 32);
}

void rollup_hist_add(struct rollup_hist *h, const struct rollup_entry *e)
{
    add(h, e, hash_of(e->key, e->value, e->vlen));
}

struct rollup_entry *rollup_hist_entries(struct rollup_hist *h, size_t *n)
{
    *n = h->n;
    return h->v;
}

/* ---------------------------------------------------------------- building a day */

#define DAY_FAILURES " WHERE e.ts >= ?1 AND e.ts < ?2 AND " STORE_FAILURES

/* run - a statement with ?1 ?2 bound to [from, to), stepped to its end */
static int run(struct store *s, const char *sql, int64_t from, int64_t to, struct diag *d)
{
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    while ((rc = store_step(s, st, d)) == 1)
        ;
    store_reset(st);
    return rc;
}

/* ---------------------------------------------------------------- the groups */

/*
 * group_ids - rollup_groups' ids by the group's columns, for the days of one build: a failure
 * finds its group here, and a new group is numbered in the same pass over the day's failures.
 * Before, a pass of its own (SELECT DISTINCT ... NOT EXISTS) numbered the new groups and the
 * failures were joined with rollup_groups, an index search for each: two fifths of a roll-up.
 * Groups are never deleted, so ids once read stay true; those another writer numbered between
 * two days are read at the next day's start, under the write lock.
 */
struct group_ids {
    struct rollup_hist *by_key; /* value: the group's key (group_key); last: its id */
    int64_t max_id;             /* the greatest id read or numbered */
    struct strbuf key;          /* scratch */
};

/* the columns of a group, in rollup_groups' order, as a statement's columns c .. c + 6 */
enum { G_REPLY_TEXT, G_KIND, G_CODE, G_STATUS, G_DIRECTION, G_MTA, G_HOST, G_COLUMNS };

/* group_text - 1 for the group's text columns, 0 for its integers */
static int group_text(int i)
{
    return i == G_STATUS || i == G_MTA || i == G_HOST;
}

/*
 * group_key - the key of the group in columns c .. c + 6 of st's row, in g->key: each column
 * as a tag (NULL, integer or text) and its value, a text with its length first. Equal keys
 * are the same group: a failure's group is every column the report and top filter or group
 * it by, NULL the same as NULL, texts compared byte for byte (BINARY).
 */
static void group_key(struct group_ids *g, struct store_stmt *st, int c)
{
    const char *text[G_COLUMNS] = {NULL};
    size_t len[G_COLUMNS] = {0}, room = 0, n = 0;
    unsigned char *p;

    /* every column read first, so that the key is written with one reservation */
    for (int i = 0; i < G_COLUMNS; i++) {
        if (store_column_is_null(st, c + i))
            len[i] = SIZE_MAX;
        else if (group_text(i))
            text[i] = store_column_textn(st, c + i, &len[i]), room += len[i];
    }
    strbuf_reset(&g->key);
    strbuf_reserve(&g->key, G_COLUMNS * (1 + 8) + room);
    p = (unsigned char *)g->key.buf;
    for (int i = 0; i < G_COLUMNS; i++) {
        if (len[i] == SIZE_MAX) {
            p[n++] = 0;
        } else if (text[i] != NULL) {
            uint64_t l = len[i];
            p[n++] = 2;
            memcpy(p + n, &l, 8);
            memcpy(p + n + 8, text[i], len[i]);
            n += 8 + len[i];
        } else {
            int64_t v = store_column_int64(st, c + i);
            p[n++] = 1;
            memcpy(p + n, &v, 8);
            n += 8;
        }
    }
    g->key.len = n;
    g->key.buf[n] = '\0';
}

/* group_remember - the key in g->key is group id's */
static void group_remember(struct group_ids *g, int64_t id)
{
    struct rollup_entry e = {0, g->key.buf, g->key.len, 1, id, NULL, 0};

    rollup_hist_add(g->by_key, &e);
    if (id > g->max_id)
        g->max_id = id;
}

/* group_ids_read - the groups numbered since g last looked: 0, or -1 with d set */
static int group_ids_read(struct store *s, struct group_ids *g, struct diag *d)
{
    static const char sql[] = "SELECT reply_text_id, kind, reply_code, status, direction, mta,"
                              " host, id FROM rollup_groups WHERE id > ?1 ORDER BY id";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, g->max_id);
    while ((rc = store_step(s, st, d)) == 1) {
        group_key(g, st, 0);
        group_remember(g, store_column_int64(st, G_COLUMNS));
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/*
 * group_id - the id of the group in columns c .. c + 6 of st's row, numbered now when it is
 * new: 0 with *id set, or -1 with d set
 */
static int group_id(struct store *s, struct group_ids *g, struct store_stmt *st, int c, int64_t *id,
                    struct diag *d)
{
    static const char sql[] = "INSERT INTO rollup_groups (reply_text_id, kind, reply_code, status,"
                              " direction, mta, host) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    const struct rollup_entry *e;
    struct store_stmt *ins;
    int rc;

    group_key(g, st, c);
    if ((e = rollup_hist_find(g->by_key, 0, g->key.buf, g->key.len)) != NULL) {
        *id = e->last;
        return 0;
    }
    if ((ins = store_stmt_cached(s, sql, d)) == NULL)
        return -1;
    for (int i = 0; i < G_COLUMNS; i++) {
        if (store_column_is_null(st, c + i)) {
            store_bind_null(ins, i + 1);
        } else if (group_text(i)) {
            size_t len;
            const char *t = store_column_textn(st, c + i, &len);
            store_bind_textn(ins, i + 1, t, len);
        } else {
            store_bind_int64(ins, i + 1, store_column_int64(st, c + i));
        }
    }
    rc = store_step(s, ins, d);
    store_reset(ins);
    if (rc < 0)
        return -1;
    *id = store_last_insert_id(s);
    group_remember(g, *id);
    return 0;
}

/* ---------------------------------------------------------------- the blob's codec */

/* varint_at - v as an unsigned LEB128 varint at p (room for 10 bytes); returns its length */
static size_t varint_at(unsigned char *p, uint64_t v)
{
    size_t n = 0;

    do {
        p[n++] = (unsigned char)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        v >>= 7;
    } while (v != 0);
    return n;
}

/* string_at - a string as the blob writes it at p: length + 1 (0: no string), then the bytes */
static size_t string_at(unsigned char *p, const char *s, size_t n)
{
    size_t k = varint_at(p, s != NULL ? n + 1 : 0);

    if (s != NULL)
        memcpy(p + k, s, n);
    return s != NULL ? k + n : k;
}

/*
 * put_entry - one entry of a blob: group, value, count, last id, extra. Written with one
 * reservation: a varint appended at a time was a twentieth of a roll-up.
 */
static void put_entry(struct strbuf *b, const struct rollup_entry *e)
{
    unsigned char *p;
    size_t n = 0;

    strbuf_reserve(b, 5 * 10 + (e->value ? e->vlen : 0) + (e->extra ? e->elen : 0));
    p = (unsigned char *)b->buf + b->len;
    n += varint_at(p + n, (uint64_t)(e->key & 0xffffffff));
    n += string_at(p + n, e->value, e->vlen);
    n += varint_at(p + n, (uint64_t)e->n);
    n += varint_at(p + n, (uint64_t)e->last);
    n += string_at(p + n, e->extra, e->elen);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* get_varint - 1 with *v read and *pp past it, 0 when it runs past end or beyond 63 bits */
static int get_varint(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
    const unsigned char *p = *pp;
    uint64_t x = 0;

    for (int shift = 0; p < end && shift < 63; shift += 7) {
        x |= (uint64_t)(*p & 0x7f) << shift;
        if (!(*p++ & 0x80)) {
            *v = x;
            *pp = p;
            return 1;
        }
    }
    return 0;
}

static int get_string(const unsigned char **pp, const unsigned char *end, const char **s, size_t *n)
{
    uint64_t len;

    if (!get_varint(pp, end, &len))
        return 0;
    if (len == 0) {
        *s = NULL;
        *n = 0;
        return 1;
    }
    if (len - 1 > (uint64_t)(end - *pp))
        return 0;
    *s = (const char *)*pp;
    *n = (size_t)(len - 1);
    *pp += len - 1;
    return 1;
}

/* by_group_value - entries in the order of a blob: group (key), then value */
static int by_group_value(const void *a, const void *b)
{
    const struct rollup_entry *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return rollup_cmp(x->value, x->vlen, y->value, y->vlen);
}

/*
 * write_values - the blobs of one dimension for the hours in hist, whose keys are
 * hour offset << 32 | group id
 */
static int write_values(struct store *s, int dim, int64_t hour0, struct rollup_hist *hist,
                        struct diag *d)
{
    static const char sql[] = "INSERT INTO rollup_values (dim, hour, entries) VALUES (?1, ?2, ?3)";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    struct strbuf blob = STRBUF_INIT;
    size_t n;
    struct rollup_entry *v = rollup_hist_entries(hist, &n);
    int rc = 0;

    if (st == NULL)
        return -1;
    if (n == 0) /* no failure that day */
        return 0;
    qsort(v, n, sizeof *v, by_group_value);
    for (size_t i = 0; i < n && rc >= 0;) {
        int64_t hour = v[i].key >> 32;
        strbuf_reset(&blob);
        for (; i < n && v[i].key >> 32 == hour; i++)
            put_entry(&blob, &v[i]);
        store_bind_int64(st, 1, dim);
        store_bind_int64(st, 2, hour0 + hour);
        store_bind_blob(st, 3, blob.buf, blob.len);
        rc = store_step(s, st, d);
        store_reset(st);
    }
    strbuf_free(&blob);
    return rc < 0 ? -1 : 0;
}

/* an address's two values (lower-cased, and its domain): the bytes of the last one made */
struct addr_values {
    struct strbuf lower, domain;
    int has_domain;
};

/*
 * simple_ascii - 1 when s[0..n) is ASCII without NUL: SQLite's string functions then treat
 * every byte as one character, and ROLLUP_DOMAIN_OF is what addr_values_of works out
 */
static int simple_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] - 1u >= 0x7fu)
            return 0;
    return 1;
}

/* lower_ascii - s[0..n) with A-Z as a-z into out, byte for byte as SQLite's lower() does it */
static void lower_ascii(struct strbuf *out, const char *s, size_t n)
{
    strbuf_reset(out);
    strbuf_append(out, s, n);
    for (size_t i = 0; i < n; i++)
        if (out->buf[i] >= 'A' && out->buf[i] <= 'Z')
            out->buf[i] = (char)(out->buf[i] + ('a' - 'A'));
}

/*
 * addr_values_of - ROLLUP_RECIPIENT's (or _SENDER's) value of the address v[0..n) and
 * ROLLUP_DOMAIN_OF's, worked out here: in SQL the domain's replace, rtrim (which compares
 * every byte with every character of the address) and lower were a third of a roll-up's
 * instructions. For an address that is not plain ASCII SQLite itself says what the domain is
 * (its rtrim takes the characters of UTF-8, valid or not): the same answer by construction.
 * 0, or -1 with d set.
 */
static int addr_values_of(struct store *s, const char *v, size_t n, struct addr_values *out,
                          struct diag *d)
{
    static const char sql[] = "SELECT " ROLLUP_DOMAIN_OF("?1");
    const char *at = NULL;
    struct store_stmt *st;
    int rc;

    for (size_t i = n; i > 0 && at == NULL; i--) /* the last '@' */
        if (v[i - 1] == '@')
            at = v + i - 1;

    lower_ascii(&out->lower, v, n); /* lower() folds A-Z and nothing else */
    out->has_domain = at != NULL;
    if (at == NULL)
        return 0;
    if (simple_ascii(v, n)) {
        lower_ascii(&out->domain, at + 1, n - (size_t)(at + 1 - v));
        return 0;
    }
    if ((st = store_stmt_cached(s, sql, d)) == NULL)
        return -1;
    store_bind_textn(st, 1, v, n);
    if ((rc = store_step(s, st, d)) == 1) {
        strbuf_reset(&out->domain);
        out->has_domain = !store_column_is_null(st, 0);
        if (out->has_domain) {
            size_t len;
            const char *t = store_column_textn(st, 0, &len);
            strbuf_append(&out->domain, t, len);
        }
    }
    store_reset(st);
    if (rc == 0)
        return diag_set(d, "bug: no row for the domain of an address");
    return rc < 0 ? -1 : 0;
}

/* a failure of the day: its hour and group (a histogram's key) and its event id */
struct hour_event {
    int64_t key, id;
};

/* by_key_id - by hour and group, then by id */
static int by_key_id(const void *a, const void *b)
{
    const struct hour_event *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* a group's failures in an hour or a day: how many, the first and the last event id */
struct group_count {
    int64_t group, n, first, last;
};

static int by_group(const void *a, const void *b)
{
    const struct group_count *x = a, *y = b;

    return (x->group > y->group) - (x->group < y->group);
}

/* put_failures - a row of rollup_failures: 0, or -1 with d set */
static int put_failures(struct store *s, struct store_stmt *st, int span, int64_t start,
                        const struct group_count *c, struct diag *d)
{
    int rc;

    store_bind_int64(st, 1, span);
    store_bind_int64(st, 2, start);
    store_bind_int64(st, 3, c->group);
    store_bind_int64(st, 4, c->n);
    store_bind_int64(st, 5, c->first);
    store_bind_int64(st, 6, c->last);
    rc = store_step(s, st, d);
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* the rows of rollup_failures written for a day's hours so far, for its day rows */
struct group_counts {
    struct group_count *v;
    size_t n, cap;
};

/*
 * write_hour_failures - the rows of rollup_failures (span 1) of one hour's failures in
 * ev[0..n), whose keys are hour offset << 32 | group id: per group, each also kept in day
 */
static int write_hour_failures(struct store *s, struct store_stmt *st, int64_t hour0,
                               struct hour_event *ev, size_t n, struct group_counts *day,
                               struct diag *d)
{
    int rc = 0;

    qsort(ev, n, sizeof *ev, by_key_id);
    for (size_t i = 0, j; i < n && rc >= 0; i = j) {
        for (j = i + 1; j < n && ev[j].key == ev[i].key; j++)
            ;
        /* ev[i..j): one group, the first id first and the last one last */
        if (day->n == day->cap) {
            day->cap = day->cap ? day->cap * 2 : 256;
            day->v = xreallocarray(day->v, day->cap, sizeof *day->v);
        }
        day->v[day->n] =
            (struct group_count){ev[i].key & 0xffffffff, (int64_t)(j - i), ev[i].id, ev[j - 1].id};
        rc = put_failures(s, st, 1, hour0 + (ev[i].key >> 32), &day->v[day->n++], d);
    }
    return rc;
}

/*
 * write_day_failures - the rows of rollup_failures per group for the day (span 24), from its
 * hours' rows (an INSERT ... SELECT of them cost twice as much); day's rows are reordered
 */
static int write_day_failures(struct store *s, struct store_stmt *st, int64_t hour0,
                              struct group_counts *day, struct diag *d)
{
    int rc = 0;

    if (day->n == 0) /* a day without failures: day->v may be NULL, which qsort must not see */
        return 0;
    qsort(day->v, day->n, sizeof *day->v, by_group);
    for (size_t i = 0, j; i < day->n && rc >= 0; i = j) {
        struct group_count sum = day->v[i];
        for (j = i + 1; j < day->n && day->v[j].group == sum.group; j++) {
            sum.n += day->v[j].n;
            if (day->v[j].first < sum.first)
                sum.first = day->v[j].first;
            if (day->v[j].last > sum.last)
                sum.last = day->v[j].last;
        }
        rc = put_failures(s, st, 24, hour0, &sum, d);
    }
    return rc;
}

/*
 * flush_hour - the rollup_failures and rollup_values rows of the hour whose failures are in
 * ev[0..n) and hist, and hist emptied: 0, or -1 with d set
 */
static int flush_hour(struct store *s, struct store_stmt *ins, int64_t hour0, struct hour_event *ev,
                      size_t n, struct rollup_hist **hist, struct group_counts *day, struct diag *d)
{
    int rc = write_hour_failures(s, ins, hour0, ev, n, day, d);

    for (int k = 0; k < STORE_DIM_COUNT; k++) {
        if (rc >= 0 && write_values(s, k, hour0, hist[k], d) < 0)
            rc = -1;
        rollup_hist_clear(hist[k]);
    }
    return rc;
}

/*
 * failures_and_values - one pass over the day's failures: their groups (numbered when new), the
 * hourly counts of each group (rollup_failures, span 1), and a histogram per dimension, then
 * its blobs. One pass for all: a second join of the day's failures with their groups and a
 * sort were a fifth of a roll-up, and numbering the groups in a pass of their own and joining
 * them two fifths. The events come in the order of events_failures, as SELECT DISTINCT read
 * them: new groups get the ids that pass gave them. Each hour is written when the next one
 * starts: a busy site's day holds millions of distinct addresses, and the histograms of a whole
 * day took 194 MB for 1.56 million events (docs/performance.md).
 */
static int failures_and_values(struct store *s, struct group_ids *g, int64_t from, int64_t to,
                               struct diag *d)
{
    /* the group's columns at 1 .. 7 (G_*), then the dimensions' and the event's */
    enum {
        C_HOUR,
        C_GROUP,
        C_RECIPIENT = C_GROUP + G_COLUMNS,
        C_SENDER,
        C_CLIENT,
        C_HELO,
        C_RELAY,
        C_CLIENT_NAME,
        C_ID
    };
    /* the client, HELO and relay dimensions are columns of the SELECT below in this order */
    _Static_assert(STORE_DIM_CLIENT_IP == 4 && STORE_DIM_HELO == 5 && STORE_DIM_RELAY == 6,
                   "the SELECT's columns follow enum store_report_dim");
    static const char sql[] =
        "SELECT e.ts / 3600000000, e.reply_text_id, e.kind, e.reply_code, e.status, e.direction,"
        " e.mta, e.host, e.recipient, e.sender, " ROLLUP_CLIENT ", " ROLLUP_HELO ", " ROLLUP_RELAY
        ", e.client_name, e.id FROM events e" DAY_FAILURES " ORDER BY e.ts";
    static const char ins_sql[] = "INSERT INTO rollup_failures (span, start, group_id, n,"
                                  " first_id, last_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    struct rollup_hist *hist[STORE_DIM_COUNT];
    struct addr_values addr[2] = {{STRBUF_INIT, STRBUF_INIT, 0}, {STRBUF_INIT, STRBUF_INIT, 0}};
    struct store_stmt *st = store_stmt_cached(s, sql, d), *ins;
    int64_t hour0 = from / ROLLUP_HOUR_US, hour = -1; /* the hour being counted, as an offset */
    struct hour_event *ev = NULL;
    struct group_counts day = {NULL, 0, 0};
    size_t nev = 0, cap = 0;
    int rc;

    if (st == NULL || (ins = store_stmt_cached(s, ins_sql, d)) == NULL)
        return -1;
    for (int k = 0; k < STORE_DIM_COUNT; k++)
        hist[k] = rollup_hist_new();
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    while ((rc = store_step(s, st, d)) == 1) {
        int64_t group, key, id = store_column_int64(st, C_ID);
        int64_t h = store_column_int64(st, C_HOUR) - hour0;
        int has_name = !store_column_is_null(st, C_CLIENT_NAME), has_addr[2];
        if (h != hour) {
            if (h < hour) {
                rc = diag_set(d, "bug: the day's failures are not in the order of time");
                break;
            }
            if (nev > 0 && flush_hour(s, ins, hour0, ev, nev, hist, &day, d) < 0) {
                rc = -1;
                break;
            }
            nev = 0;
            hour = h;
        }
        if (group_id(s, g, st, C_GROUP, &group, d) < 0) {
            rc = -1;
            break;
        }
        key = (h << 32) | group;
        if (nev == cap) {
            cap = cap ? cap * 2 : 4096;
            ev = xreallocarray(ev, cap, sizeof *ev);
        }
        ev[nev++] = (struct hour_event){key, id};
        for (int a = 0; a < 2; a++) { /* the recipient, the sender */
            const char *t;
            size_t len;
            has_addr[a] = !store_column_is_null(st, C_RECIPIENT + a);
            if (!has_addr[a])
                continue;
            t = store_column_textn(st, C_RECIPIENT + a, &len);
            if (addr_values_of(s, t, len, &addr[a], d) < 0) {
                rc = -1;
                break;
            }
        }
        if (rc < 0)
            break;
        for (int k = 0; k < STORE_DIM_COUNT; k++) {
            struct rollup_entry e = {key, NULL, 0, 1, id, NULL, 0};
            if (k < STORE_DIM_CLIENT_IP) { /* recipient, its domain, sender, its domain */
                const struct addr_values *av = &addr[k / 2];
                const struct strbuf *val = k % 2 == 0 ? &av->lower : &av->domain;
                if (has_addr[k / 2] && (k % 2 == 0 || av->has_domain)) {
                    e.value = strbuf_str(val);
                    e.vlen = val->len;
                }
            } else { /* client, HELO, relay */
                int c = C_CLIENT + (k - STORE_DIM_CLIENT_IP);
                if (!store_column_is_null(st, c))
                    e.value = store_column_textn(st, c, &e.vlen);
            }
            if (k == STORE_DIM_CLIENT_IP && has_name)
                e.extra = store_column_textn(st, C_CLIENT_NAME, &e.elen);
            rollup_hist_add(hist[k], &e);
        }
    }
    store_reset(st);
    for (int a = 0; a < 2; a++) {
        strbuf_free(&addr[a].lower);
        strbuf_free(&addr[a].domain);
    }
    if (rc >= 0 && nev > 0 && flush_hour(s, ins, hour0, ev, nev, hist, &day, d) < 0)
        rc = -1;
    if (rc >= 0 && write_day_failures(s, ins, hour0, &day, d) < 0)
        rc = -1;
    free(ev);
    free(day.v);
    for (int k = 0; k < STORE_DIM_COUNT; k++)
        rollup_hist_free(hist[k]);
    return rc < 0 ? -1 : 0;
}

/* day_current - 1 when day's roll-up is current, 0 when not */
static int day_current(struct store *s, int64_t day, struct diag *d)
{
    static const char sql[] = "SELECT 1 FROM rollup_days WHERE day = ?1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, day);
    rc = store_step(s, st, d);
    store_reset(st);
    return rc;
}

/* forget_days - the roll-ups of the days [d0, d1) gone (in the caller's transaction) */
static int forget_days(struct store *s, int64_t d0, int64_t d1, struct diag *d)
{
    static const char del_days[] = "DELETE FROM rollup_days WHERE day >= ?1 AND day < ?2";
    static const char del_kinds[] = "DELETE FROM rollup_kinds WHERE hour >= ?1 AND hour < ?2";
    static const char del_failures[] =
        "DELETE FROM rollup_failures WHERE span IN (1, 24) AND start >= ?1 AND start < ?2";
    static const char del_values[] = "DELETE FROM rollup_values WHERE dim IN (0, 1, 2, 3, 4, 5, 6)"
                                     " AND hour >= ?1 AND hour < ?2";

    return run(s, del_days, d0, d1, d) < 0 || run(s, del_kinds, d0 * 24, d1 * 24, d) < 0 ||
                   run(s, del_failures, d0 * 24, d1 * 24, d) < 0 ||
                   run(s, del_values, d0 * 24, d1 * 24, d) < 0
               ? -1
               : 0;
}

/* an hour's events of one kind, direction, MTA, host and log file */
struct kind_count {
    int64_t hour, kind, direction, source_id;
    int source_null, host_null;
    char *mta, *host;
    size_t mta_len, host_len;
    int64_t n;
};

struct kind_counts {
    struct kind_count *v;
    size_t n, cap;
};

/* flush_kinds - the counted rows into rollup_kinds, and the counts emptied */
static int flush_kinds(struct store *s, struct kind_counts *kc, struct diag *d)
{
    static const char sql[] = "INSERT INTO rollup_kinds (hour, kind, direction, mta, host,"
                              " source_id, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc = st == NULL ? -1 : 0;

    for (size_t i = 0; i < kc->n; i++) {
        struct kind_count *k = &kc->v[i];
        if (rc == 0) {
            store_bind_int64(st, 1, k->hour);
            store_bind_int64(st, 2, k->kind);
            store_bind_int64(st, 3, k->direction);
            store_bind_textn(st, 4, k->mta, k->mta_len);
            if (k->host_null)
                store_bind_null(st, 5);
            else
                store_bind_textn(st, 5, k->host, k->host_len);
            if (k->source_null)
                store_bind_null(st, 6);
            else
                store_bind_int64(st, 6, k->source_id);
            store_bind_int64(st, 7, k->n);
            rc = store_step(s, st, d) < 0 ? -1 : 0;
            store_reset(st);
        }
        free(k->mta);
        free(k->host);
    }
    kc->n = 0;
    return rc;
}

/*
 * kinds - the day's events per hour, kind, direction, MTA, host and log file into rollup_kinds.
 * They are read in the order of events_ts and counted here, an hour at a time among the few
 * kinds of rows an hour has: a GROUP BY of the day made SQLite sort all its events first (a
 * third of a day's roll-up). Should the hours not come in order, an hour gets two rows for
 * the same kind of events, which every reader adds up.
 */
static int kinds(struct store *s, int64_t from, int64_t to, struct diag *d)
{
    static const char sql[] = "SELECT e.ts / 3600000000, e.kind, e.direction, e.mta, e.host,"
                              " e.source_id FROM events e WHERE e.ts >= ?1 AND e.ts < ?2";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    struct kind_counts kc = {NULL, 0, 0};
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, from);
    store_bind_int64(st, 2, to);
    while ((rc = store_step(s, st, d)) == 1) {
        struct kind_count k = {.hour = store_column_int64(st, 0),
                               .kind = store_column_int64(st, 1),
                               .direction = store_column_int64(st, 2),
                               .source_id = store_column_int64(st, 5),
                               .source_null = store_column_is_null(st, 5),
                               .host_null = store_column_is_null(st, 4),
                               .n = 1};
        const char *mta = store_column_text(st, 3), *host = store_column_text(st, 4);
        size_t i;
        k.mta_len = store_column_bytes(st, 3);
        k.host_len = store_column_bytes(st, 4);
        if (kc.n > 0 && kc.v[0].hour != k.hour && flush_kinds(s, &kc, d) < 0) {
            rc = -1;
            break;
        }
        for (i = 0; i < kc.n; i++) {
            const struct kind_count *c = &kc.v[i];
            if (c->kind == k.kind && c->direction == k.direction &&
                c->source_null == k.source_null && c->source_id == k.source_id &&
                c->host_null == k.host_null && c->mta_len == k.mta_len &&
                c->host_len == k.host_len && memcmp(c->mta, mta, k.mta_len) == 0 &&
                (k.host_null || memcmp(c->host, host, k.host_len) == 0))
                break;
        }
        if (i < kc.n) {
            kc.v[i].n++;
            continue;
        }
        if (kc.n == kc.cap) {
            kc.cap = kc.cap ? kc.cap * 2 : 32;
            kc.v = xreallocarray(kc.v, kc.cap, sizeof *kc.v);
        }
        k.mta = xmemdup(mta ? mta : "", k.mta_len);
        k.host = k.host_null ? NULL : xmemdup(host ? host : "", k.host_len);
        kc.v[kc.n++] = k;
    }
    store_reset(st);
    if (rc >= 0 && flush_kinds(s, &kc, d) < 0)
        rc = -1;
    for (size_t i = 0; i < kc.n; i++) { /* what an error left unwritten */
        free(kc.v[i].mta);
        free(kc.v[i].host);
    }
    free(kc.v);
    return rc < 0 ? -1 : 0;
}

/* build_day - roll up UTC day `day` (days since 1970), unless it is current */
static int build_day(struct store *s, struct group_ids *g, int64_t day, struct diag *d)
{
    /* current as of the newest event: one with a greater id, if in this day, makes it stale */
    static const char done[] = "INSERT INTO rollup_days (day, max_id)"
                               " VALUES (?1, (SELECT coalesce(max(id), 0) FROM events))";
    int64_t from = day * DAY_US, to = from + DAY_US;
    struct store_stmt *st;
    int rc;

    if (store_begin(s, d) < 0)
        return -1;
    /* another reader may have done it while this one waited for the lock */
    if ((rc = day_current(s, day, d)) != 0) {
        if (rc < 0) {
            store_rollback(s);
            return -1;
        }
        return store_commit(s, d);
    }
    if (forget_days(s, day, day + 1, d) < 0 || kinds(s, from, to, d) < 0 ||
        group_ids_read(s, g, d) < 0 || failures_and_values(s, g, from, to, d) < 0 ||
        (st = store_stmt_cached(s, done, d)) == NULL)
        goto fail;
    store_bind_int64(st, 1, day);
    rc = store_step(s, st, d);
    store_reset(st);
    if (rc < 0)
        goto fail;
    return store_commit(s, d);
fail:
    store_rollback(s);
    diag_prefix(d, "rolling up %lld", (long long)day);
    return -1;
}

/* ---------------------------------------------------------------- what is current */

/* what a connection knows: the rolled-up days that events newer than their roll-up fall in,
 * as of the newest event id it looked at */
struct known {
    int64_t newest;
    int64_t *stale; /* sorted */
    size_t n;
};

static void known_free(void *p)
{
    struct known *k = p;

    if (k != NULL)
        free(k->stale);
    free(k);
}

/* newest_id - the greatest event id, 0 without events (the end of the rowid b-tree) */
static int newest_id(struct store *s, int64_t *id, struct diag *d)
{
    *id = 0;
    return store_one_int64(s, "SELECT max(id) FROM events", id, d) < 0 ? -1 : 0;
}

/*
 * find_stale - the rolled-up days that an event ingested after their roll-up falls in: the
 * events with an id above the least max_id of rollup_days (read on the rowid: those of the
 * ingests since), their newest id per day against the day's max_id. NOT INDEXED: grouping by
 * the day, SQLite would rather walk the whole of events_sender, which begins with it.
 */
static int find_stale(struct store *s, struct known *k, struct diag *d)
{
    static const char sql[] =
        "SELECT r.day FROM (SELECT ts / 86400000000 AS day, max(id) AS newest FROM events"
        " NOT INDEXED WHERE id > (SELECT min(max_id) FROM rollup_days) GROUP BY 1) x"
        " JOIN rollup_days r ON r.day = x.day WHERE r.max_id < x.newest ORDER BY r.day";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    size_t cap = 0;
    int rc;

    k->n = 0;
    if (st == NULL)
        return -1;
    while ((rc = store_step(s, st, d)) == 1) {
        if (k->n == cap) {
            cap = cap ? cap * 2 : 8;
            k->stale = xreallocarray(k->stale, cap, sizeof *k->stale);
        }
        k->stale[k->n++] = store_column_int64(st, 0);
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}

/* known_of - what this connection knows, looked at again when there are newer events */
static struct known *known_of(struct store *s, struct diag *d)
{
    void **slot = store_rollup_state(s, known_free);
    struct known *k = *slot;
    int64_t newest;

    if (newest_id(s, &newest, d) < 0)
        return NULL;
    if (k != NULL && k->newest == newest)
        return k;
    if (k == NULL)
        *slot = k = xcalloc(1, sizeof *k);
    if (find_stale(s, k, d) < 0) {
        k->newest = -1; /* look again next time */
        return NULL;
    }
    k->newest = newest;
    return k;
}

static int is_stale(const struct known *k, int64_t day)
{
    size_t lo = 0, hi = k->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->stale[mid] == day)
            return 1;
        if (k->stale[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/*
 * refresh - a writer's look: the stale days' roll-ups deleted, and every other day's max_id
 * made the newest id, so that the next look reads only the events of later ingests
 */
static int refresh(struct store *s, struct diag *d)
{
    static const char mark[] = "UPDATE rollup_days SET max_id = ?1 WHERE max_id <> ?1";
    struct known k = {0, NULL, 0};
    struct store_stmt *st;
    int64_t newest;
    int rc = -1;

    if (store_begin(s, d) < 0)
        return -1;
    if (newest_id(s, &newest, d) < 0 || find_stale(s, &k, d) < 0)
        goto out;
    for (size_t i = 0; i < k.n; i++)
        if (forget_days(s, k.stale[i], k.stale[i] + 1, d) < 0)
            goto out;
    if ((st = store_stmt_cached(s, mark, d)) == NULL)
        goto out;
    store_bind_int64(st, 1, newest);
    rc = store_step(s, st, d);
    store_reset(st);
out:
    free(k.stale);
    if (rc < 0) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s, d);
}

/* span - the times of the first and the last event; 0 when there is none */
static int span(struct store *s, int64_t *first, int64_t *last, struct diag *d)
{
    /* two statements: SQLite reads one end of events_ts for a lone min() or max(), but the
     * whole index for both in one query (a second on ten million events) */
    int found = store_one_int64(s, "SELECT min(ts) FROM events", first, d);

    if (found <= 0)
        return found;
    return store_one_int64(s, "SELECT max(ts) FROM events", last, d) < 0 ? -1 : 1;
}

/* next_event_day - the first day from day on that holds an event into *next: 1, or 0 when none
 * does, or -1 with d set */
static int next_event_day(struct store *s, int64_t day, int64_t *next, struct diag *d)
{
    static const char sql[] = "SELECT min(ts) FROM events WHERE ts >= ?1";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc, found = 0;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, day * DAY_US);
    if ((rc = store_step(s, st, d)) == 1 && !store_column_is_null(st, 0)) {
        *next = floor_div(store_column_int64(st, 0), DAY_US);
        found = 1;
    }
    store_reset(st);
    return rc < 0 ? -1 : found;
}

/* days_current - the current days of [d0, d1] into *days (sorted), their number in *n: those
 * rollup_days lists that no later ingest has added to */
static int days_current(struct store *s, int64_t d0, int64_t d1, int64_t **days, size_t *n,
                        struct diag *d)
{
    static const char sql[] = "SELECT day FROM rollup_days WHERE day >= ?1 AND day <= ?2"
                              " ORDER BY day";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    struct known *k = known_of(s, d);
    size_t cap = 0;
    int rc;

    *days = NULL;
    *n = 0;
    if (st == NULL || k == NULL)
        return -1;
    store_bind_int64(st, 1, d0);
    store_bind_int64(st, 2, d1);
    while ((rc = store_step(s, st, d)) == 1) {
        int64_t day = store_column_int64(st, 0);
        if (is_stale(k, day))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *days = xreallocarray(*days, cap, sizeof **days);
        }
        (*days)[(*n)++] = day;
    }
    store_reset(st);
    if (rc < 0) {
        free(*days);
        *days = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int store_rollup_build(struct store *s, int64_t since_us, int64_t until_us, struct diag *d)
{
    int64_t first, last, *days;
    size_t n, k = 0;
    int found = 0;

    if (store_is_pg(s))
        return 0; /* no roll-ups there: its months are partitions of their own */
    if (!store_writable(s))
        return known_of(s, d) != NULL ? 0 : -1; /* only read: see what is stale, keep it */
    if (refresh(s, d) < 0) {
        if (!store_was_busy(s))
            return -1;
        diag_clear(d); /* locked by an ingest: read as a reader who may not write would */
        return known_of(s, d) != NULL ? 0 : -1;
    }
    if (since_us >= until_us || (found = span(s, &first, &last, d)) <= 0)
        return found < 0 ? -1 : 0;
    if (since_us < first)
        since_us = first;
    if (until_us > last + 1)
        until_us = last + 1;
    if (since_us >= until_us)
        return 0;
    int64_t d0 = floor_div(since_us, DAY_US), d1 = floor_div(until_us - 1, DAY_US);
    if (days_current(s, d0, d1, &days, &n, d) < 0)
        return -1;
    /* from one day with events to the next: the events may span centuries (a clock far off),
     * and a day without any needs no roll-up */
    struct group_ids g = {rollup_hist_new(), 0, STRBUF_INIT};
    int rc = 0;
    for (int64_t day = d0; day <= d1 && rc == 0; day++) {
        int next = next_event_day(s, day, &day, d);
        if (next <= 0 || day > d1) {
            rc = next < 0 ? -1 : 1;
            break;
        }
        while (k < n && days[k] < day)
            k++;
        if (k < n && days[k] == day)
            continue;
        if (build_day(s, &g, day, d) < 0) {
            /* a long ingest holds the lock: the days not rolled up are read from the events
             * (the same figures, only slower) rather than the admin's question failing */
            rc = store_was_busy(s) ? 1 : -1;
            if (rc > 0)
                diag_clear(d);
        }
    }
    /* after a day that failed, g may hold groups its rollback took back: it goes with it */
    rollup_hist_free(g.by_key);
    strbuf_free(&g.key);
    free(days);
    return rc < 0 ? -1 : 0;
}

int store_rollup_forget(struct store *s, int64_t before_us, struct diag *d)
{
    static const char mark[] = "UPDATE rollup_days SET max_id = ?1 WHERE max_id > ?1";
    struct store_stmt *st;
    int64_t newest;
    int rc;

    if (store_is_pg(s))
        return 0;
    if (store_begin(s, d) < 0)
        return -1;
    /* every day with a time before the cutoff; and no max_id above the newest event, so that
     * a deleted id given again to a new event still shows as new */
    if (forget_days(s, INT64_MIN / DAY_US, floor_div(before_us - 1, DAY_US) + 1, d) < 0 ||
        newest_id(s, &newest, d) < 0 || (st = store_stmt_cached(s, mark, d)) == NULL) {
        store_rollback(s);
        return -1;
    }
    store_bind_int64(st, 1, newest);
    rc = store_step(s, st, d);
    store_reset(st);
    if (rc < 0) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s, d);
}

/* ---------------------------------------------------------------- reading */

/* add_segment - append [from, to) to *segs, joined to the last piece when of its kind */
static void add_segment(struct rollup_segment **segs, size_t *n, size_t *cap, int64_t from,
                        int64_t to, int rolled)
{
    if (from >= to)
        return;
    if (*n > 0 && (*segs)[*n - 1].rolled == rolled && (*segs)[*n - 1].to_us == from) {
        (*segs)[*n - 1].to_us = to;
        return;
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        *segs = xreallocarray(*segs, *cap, sizeof **segs);
    }
    (*segs)[(*n)++] = (struct rollup_segment){from, to, rolled};
}

int store_rollup_segments(struct store *s, int64_t since_us, int64_t until_us,
                          struct rollup_segment **segs, size_t *n, struct diag *d)
{
    int64_t first, last, lo, hi, *days = NULL, cur = since_us;
    size_t cap = 0, ndays = 0;
    int found;

    *segs = NULL;
    *n = 0;
    if (since_us >= until_us)
        return 0;
    if (store_is_pg(s)) { /* no roll-ups there: the period in one piece from the events */
        add_segment(segs, n, &cap, since_us, until_us, 0);
        return 0;
    }
    if ((found = span(s, &first, &last, d)) < 0)
        return -1;
    lo = found && first > since_us ? first : since_us;
    hi = found && last + 1 < until_us ? last + 1 : until_us;
    if (found && lo < hi) {
        /* the whole hours of the period, in the current days among those of the events (a
         * current day holds all its events, so its hours past the last event count too) */
        int64_t d0 = floor_div(lo, DAY_US), d1 = floor_div(hi - 1, DAY_US);
        int64_t from = since_us > d0 * DAY_US ? since_us : d0 * DAY_US;
        int64_t to = until_us < (d1 + 1) * DAY_US ? until_us : (d1 + 1) * DAY_US;
        int64_t h0 = floor_div(from + ROLLUP_HOUR_US - 1, ROLLUP_HOUR_US);
        int64_t h1 = floor_div(to, ROLLUP_HOUR_US);
        if (h0 < h1 && days_current(s, d0, d1, &days, &ndays, d) < 0)
            return -1;
        for (size_t i = 0; i < ndays; i++) {
            int64_t a = days[i] * 24 > h0 ? days[i] * 24 : h0;
            int64_t b = days[i] * 24 + 24 < h1 ? days[i] * 24 + 24 : h1;
            if (a >= b)
                continue;
            add_segment(segs, n, &cap, cur, a * ROLLUP_HOUR_US, 0);
            add_segment(segs, n, &cap, a * ROLLUP_HOUR_US, b * ROLLUP_HOUR_US, 1);
            cur = b * ROLLUP_HOUR_US;
        }
        free(days);
    }
    add_segment(segs, n, &cap, cur, until_us, 0);
    return 0;
}

void rollup_days_within(int64_t from_us, int64_t to_us, int64_t *day_from, int64_t *day_to)
{
    int64_t a = floor_div(from_us + DAY_US - 1, DAY_US), b = floor_div(to_us, DAY_US);

    if (a >= b) /* no whole day: [from, to) is hours only */
        a = b = floor_div(to_us, ROLLUP_HOUR_US) / 24 + 1;
    *day_from = a;
    *day_to = b;
}

int rollup_any(const struct rollup_segment *segs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (segs[i].rolled)
            return 1;
    return 0;
}

int store_rollup_max_group(struct store *s, int64_t *max, struct diag *d)
{
    *max = 0;
    return store_one_int64(s, "SELECT max(id) FROM rollup_groups", max, d) < 0 ? -1 : 0;
}

/* decode - add the entries of one blob; 0, or -1 when it is damaged */
/*
 * decode - add the entries of one blob, BATCH at a time: their slots are fetched into the cache
 * while the next ones are decoded (a week's table is larger than the cache, and waiting for
 * memory was a third of a report's time). 0, or -1 when the blob is damaged.
 */
#define BATCH 16

static int decode(const unsigned char *p, const unsigned char *end, const int64_t *key_of,
                  size_t ngroups, struct rollup_hist *h)
{
    struct rollup_entry e[BATCH];
    uint64_t x[BATCH];
    size_t k = 0;

    while (p < end || k > 0) {
        if (p < end && k < BATCH) {
            uint64_t group, n, last;
            struct rollup_entry *t = &e[k];
            if (!get_varint(&p, end, &group) || !get_string(&p, end, &t->value, &t->vlen) ||
                !get_varint(&p, end, &n) || !get_varint(&p, end, &last) ||
                !get_string(&p, end, &t->extra, &t->elen) || n > INT64_MAX || last > INT64_MAX)
                return -1;
            if (group >= ngroups || key_of[group] < 0)
                continue;
            t->key = key_of[group];
            t->n = (int64_t)n;
            t->last = (int64_t)last;
            x[k] = hash_of(t->key, t->value, t->vlen);
            __builtin_prefetch(&h->slot[x[k] & (h->nslot - 1)]);
            k++;
            continue;
        }
        /* a batch is ready (or the blob is at its end): add it */
        for (size_t i = 0; i < k; i++)
            add(h, &e[i], x[i]);
        k = 0;
    }
    return 0;
}

int store_rollup_values(struct store *s, enum store_report_dim dim, int64_t from_us, int64_t to_us,
                        const int64_t *key_of, size_t ngroups, struct rollup_hist *h,
                        struct diag *d)
{
    static const char sql[] =
        "SELECT hour, entries FROM rollup_values WHERE dim = ?1 AND hour >= ?2 AND hour < ?3";
    struct store_stmt *st = store_stmt_cached(s, sql, d);
    int rc;

    if (st == NULL)
        return -1;
    store_bind_int64(st, 1, dim);
    store_bind_int64(st, 2, floor_div(from_us, ROLLUP_HOUR_US));
    store_bind_int64(st, 3, floor_div(to_us, ROLLUP_HOUR_US));
    while ((rc = store_step(s, st, d)) == 1) {
        const unsigned char *p = store_column_blob(st, 1);
        size_t len = store_column_bytes(st, 1);
        if (p != NULL && decode(p, p + len, key_of, ngroups, h) < 0) {
            rc = diag_set(d, "%s: the roll-up of hour %lld is damaged; 'rejectlens db check'",
                          store_path(s), (long long)store_column_int64(st, 0));
            break;
        }
    }
    store_reset(st);
    return rc < 0 ? -1 : 0;
}
