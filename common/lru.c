/*
 * lru - a bounded string-keyed hash map with least-recently-used eviction (see lru.h)
 *
 * Chained buckets for lookup, plus one doubly-linked list in use order for eviction; both O(1).
 * The bucket array starts small and doubles as entries come, up to about one bucket per entry
 * of the maximum: a map sized for 100,000 entries costs a few hundred bytes while it is empty
 * (a short log, "rejectlens explain", a fuzz input), not a megabyte.
 */
#include "lru.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

struct lru_entry {
    struct lru_entry *chain;       /* next in the bucket */
    struct lru_entry *prev, *next; /* use order: head is oldest */
    uint64_t hash;
    void *value;
    size_t klen;
    char key[];
};

struct lru {
    struct lru_entry **buckets;
    size_t nbuckets;    /* a power of two */
    size_t max_buckets; /* what nbuckets may grow to */
    size_t count;
    size_t max;
    struct lru_entry *head, *tail;
    void (*free_value)(void *);
};

uint64_t lru_hash(const char *key, size_t klen)
{
    uint64_t h = UINT64_C(1469598103934665603);

    for (size_t i = 0; i < klen; i++) {
        h ^= (unsigned char)key[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

/*
 * lru_fast_hash - where a key goes: eight bytes a step, where FNV-1a takes one. Never stored
 * anywhere, so it may change; lru_hash (fingerprints, rule set hashes) may not.
 *
 * The last 1 to 7 bytes are read by loads of a fixed size, which may overlap: a memcpy of a
 * variable length became a call to libc's memcpy on every look-up (in the message tables a
 * key is a host and a queue id, and the call cost as much as the rest of the hash). A short
 * key's word does not say its length ("a" and "aaa" both read a, a, a): the length is mixed
 * in first, multiplied so that its bits reach every bit of the word.
 */
uint64_t lru_fast_hash(const char *key, size_t klen)
{
    uint64_t h = (UINT64_C(0x9e3779b97f4a7c15) ^ klen) * UINT64_C(0xff51afd7ed558ccd), w;

    while (klen >= 8) {
        memcpy(&w, key, 8);
        h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 32;
        key += 8;
        klen -= 8;
    }
    if (klen >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, key, 4);
        memcpy(&hi, key + klen - 4, 4);
        w = (uint64_t)hi << 32 | lo;
    } else if (klen > 0) {
        const unsigned char *u = (const unsigned char *)key;
        w = (uint64_t)u[0] | (uint64_t)u[klen / 2] << 8 | (uint64_t)u[klen - 1] << 16;
    } else {
        w = 0;
    }
    h = (h ^ w) * UINT64_C(0xc4ceb9fe1a85ec53);
    return h ^ (h >> 29);
}

struct lru *lru_new(size_t max_entries, void (*free_value)(void *value))
{
    struct lru *m = xcalloc(1, sizeof *m);

    m->max = max_entries ? max_entries : 1;
    m->max_buckets = 64;
    while (m->max_buckets < m->max && m->max_buckets < ((size_t)1 << 24))
        m->max_buckets <<= 1;
    m->nbuckets = 64;
    m->buckets = xcalloc(m->nbuckets, sizeof *m->buckets);
    m->free_value = free_value;
    return m;
}

static void unlink_order(struct lru *m, struct lru_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        m->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        m->tail = e->prev;
    e->prev = e->next = NULL;
}

static void append_order(struct lru *m, struct lru_entry *e)
{
    e->prev = m->tail;
    e->next = NULL;
    if (m->tail)
        m->tail->next = e;
    else
        m->head = e;
    m->tail = e;
}

/* grow - twice the buckets, every entry rehashed into them */
static void grow(struct lru *m)
{
    size_t n = m->nbuckets * 2;
    struct lru_entry **b = xcalloc(n, sizeof *b);

    for (struct lru_entry *e = m->head; e != NULL; e = e->next) {
        struct lru_entry **slot = &b[e->hash & (n - 1)];
        e->chain = *slot;
        *slot = e;
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

static struct lru_entry **find_slot(struct lru *m, const char *key, size_t klen, uint64_t h)
{
    struct lru_entry **pp = &m->buckets[h & (m->nbuckets - 1)];

    while (*pp != NULL) {
        struct lru_entry *e = *pp;
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return pp;
        pp = &e->chain;
    }
    return pp;
}

static void remove_entry(struct lru *m, struct lru_entry **slot)
{
    struct lru_entry *e = *slot;

    *slot = e->chain;
    unlink_order(m, e);
    if (m->free_value && e->value)
        m->free_value(e->value);
    free(e);
    m->count--;
}

void *lru_get(struct lru *m, const char *key, size_t klen)
{
    uint64_t h = lru_fast_hash(key, klen);
    struct lru_entry *e = *find_slot(m, key, klen, h);

    if (e == NULL)
        return NULL;
    if (e != m->tail) {
        unlink_order(m, e);
        append_order(m, e);
    }
    return e->value;
}

void lru_put(struct lru *m, const char *key, size_t klen, void *value)
{
    uint64_t h = lru_fast_hash(key, klen);
    struct lru_entry **slot = find_slot(m, key, klen, h);
    struct lru_entry *e = *slot;

    if (e != NULL) {
        if (m->free_value && e->value && e->value != value)
            m->free_value(e->value);
        e->value = value;
        unlink_order(m, e);
        append_order(m, e);
        return;
    }
    if (m->count >= m->max) {
        struct lru_entry *old = m->head;
        remove_entry(m, find_slot(m, old->key, old->klen, old->hash));
        slot = find_slot(m, key, klen, h); /* the chain may have changed */
    }
    if (m->count >= m->nbuckets && m->nbuckets < m->max_buckets) {
        grow(m);
        slot = find_slot(m, key, klen, h);
    }
    e = xmalloc(sizeof *e + klen + 1);
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    e->klen = klen;
    e->hash = h;
    e->value = value;
    e->chain = NULL;
    *slot = e;
    append_order(m, e);
    m->count++;
}

int lru_del(struct lru *m, const char *key, size_t klen)
{
    struct lru_entry **slot = find_slot(m, key, klen, lru_fast_hash(key, klen));

    if (*slot == NULL)
        return 0;
    remove_entry(m, slot);
    return 1;
}

size_t lru_count(const struct lru *m)
{
    return m->count;
}

void *lru_oldest(struct lru *m, const char **key, size_t *klen)
{
    if (m->head == NULL)
        return NULL;
    *key = m->head->key;
    *klen = m->head->klen;
    return m->head->value;
}

void lru_foreach(struct lru *m, int (*fn)(void *arg, const char *key, size_t klen, void *value),
                 void *arg)
{
    for (struct lru_entry *e = m->head, *next; e != NULL; e = next) {
        next = e->next;
        if (fn(arg, e->key, e->klen, e->value))
            break;
    }
}

void lru_free(struct lru *m)
{
    if (m == NULL)
        return;
    for (struct lru_entry *e = m->head, *next; e != NULL; e = next) {
        next = e->next;
        if (m->free_value && e->value)
            m->free_value(e->value);
        free(e);
    }
    free(m->buckets);
    free(m);
}
