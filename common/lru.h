/*
 * lru - a string-keyed hash map of bounded size that forgets the least recently used entry
 *
 * For state that must stay bounded on endless logs (a queue id's sender, a cache of reply
 * texts). Keys are byte strings, copied into the map. Values are caller-owned pointers: the map
 * calls free_value on a value when its entry is evicted, deleted, or the map is freed.
 */
#ifndef REJECTLENS_LRU_H
#define REJECTLENS_LRU_H

#include <stddef.h>
#include <stdint.h>

struct lru;

/* lru_new - a map holding at most max_entries; free_value may be NULL */
struct lru *lru_new(size_t max_entries, void (*free_value)(void *value));
void lru_free(struct lru *m);

/* lru_get - the value for key, marked as just used; NULL when absent */
void *lru_get(struct lru *m, const char *key, size_t klen);

/* lru_put - set key's value (freeing a value it replaces), evicting the oldest entry if full */
void lru_put(struct lru *m, const char *key, size_t klen, void *value);

/* lru_del - remove key; returns 1 when it was there */
int lru_del(struct lru *m, const char *key, size_t klen);

size_t lru_count(const struct lru *m);

/* lru_oldest - the least recently used value (its key in *key, *klen), or NULL when empty */
void *lru_oldest(struct lru *m, const char **key, size_t *klen);

/* lru_foreach - visit entries from oldest to newest; stop when fn returns non-zero */
void lru_foreach(struct lru *m, int (*fn)(void *arg, const char *key, size_t klen, void *value),
                 void *arg);

/* lru_hash - FNV-1a, 64 bits: a hash that never changes, for callers that store it (file
 * fingerprints, rule set hashes); the map itself places keys with a faster one */
uint64_t lru_hash(const char *key, size_t klen);

/* lru_fast_hash - what the map places keys with: eight bytes a step. Never to be stored (it
 * may change); for other in-memory tables of short byte strings */
uint64_t lru_fast_hash(const char *key, size_t klen);

#endif
