/*
 * hashtable.h — the in-memory half of the store: a chained hash table of
 * binary-safe keys and values, with incremental rehashing.
 *
 * Memory.  Each key lives in ONE malloc'ed block holding the chain pointer,
 * the two lengths and the key and value bytes, so a key costs its bytes
 * plus 16 bytes of header plus one bucket pointer (about 1.5 on average).
 *
 * Growing without stalling.  When the table must grow (more keys than
 * buckets) or shrink (fewer than one key per 8 buckets), a second bucket
 * array of the new size is allocated and the keys move to it a few buckets
 * at a time, during the following mutations (and ht_rehash_some), instead
 * of all at once: doubling a table of 4 million keys in one go would stop
 * the server for tens of milliseconds.  While the move is in progress a
 * key is in either array, so lookups search both.
 *
 * Lengths are stored as 32-bit numbers: callers must refuse longer keys and
 * values (the store's limits are far below 4 GiB).
 */
#ifndef HASHTABLE_H
#define HASHTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

typedef struct HashEntry HashEntry;

/* One bucket array: size is 0 (nothing allocated) or a power of two. */
typedef struct HashBuckets {
    HashEntry **slots;
    size_t      size;
    size_t      used;           /* entries stored in this array */
} HashBuckets;

typedef struct HashTable {
    HashBuckets old;            /* the only array, or the one being emptied */
    HashBuckets new;            /* size 0 except while rehashing */
    size_t      rehash_next;    /* next slot of old to move while rehashing */
    uint8_t     seed[SIPHASH_KEY_LEN];
} HashTable;

/* An empty table hashing under seed (allocates nothing). */
void ht_init(HashTable *ht, const uint8_t seed[SIPHASH_KEY_LEN]);

/* Frees every entry and both arrays; the table is then empty and usable. */
void ht_clear(HashTable *ht);

/* Number of keys. */
size_t ht_count(const HashTable *ht);

/* Inserts or overwrites.  0 if inserted, 1 if overwritten, -1 if out of
 * memory (the table is then unchanged). */
int ht_set(HashTable *ht, const void *key, size_t klen,
           const void *val, size_t vlen);

/* Finds key; sets *val and *vlen (bytes owned by the table). */
bool ht_get(const HashTable *ht, const void *key, size_t klen,
            const void **val, size_t *vlen);

/* Removes key; true if it was present. */
bool ht_delete(HashTable *ht, const void *key, size_t klen);

/* Calls visit for each key until it returns non-zero (returned), else 0. */
typedef int (*HashVisitor)(void *ctx, const void *key, size_t klen,
                           const void *val, size_t vlen);
int ht_foreach(const HashTable *ht, HashVisitor visit, void *ctx);

/* Moves up to n buckets of an ongoing rehash (for idle moments). */
void ht_rehash_some(HashTable *ht, size_t n);

/* true while keys are moving from one bucket array to the other. */
bool ht_rehashing(const HashTable *ht);

/* Buckets allocated, both arrays together (for tests and statistics). */
size_t ht_buckets(const HashTable *ht);

#endif
