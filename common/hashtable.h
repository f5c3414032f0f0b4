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
 * Expiry.  A key may carry an expiry time (an int64, Unix milliseconds
 * for the store; the table only compares it).  It costs 8 more bytes in
 * that key's block, and nothing for the keys without one.  The table never
 * looks at the clock: ht_get returns an expired key like any other (the
 * store checks the time), and ht_expire_some removes the ones due.
 *
 * Scanning.  ht_scan walks the table a bucket at a time with Redis's
 * reverse-binary cursor: a key present from the first call to the last is
 * returned at least once, even if the table grows, shrinks or is half way
 * through a rehash in between (see hashtable.c).
 *
 * Lengths are stored as 32-bit numbers, the top bit of the key's taken:
 * callers must refuse keys over 2 GiB - 1 and values over 4 GiB - 1 (the
 * store's limits are 512 MiB).
 */
#ifndef HASHTABLE_H
#define HASHTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

typedef struct HashEntry HashEntry;

/* No expiry: the key lives until deleted. */
#define HT_NO_EXPIRY ((int64_t)-1)

/* One key as the table returns it: pointers into the table's own block,
 * valid until the next mutation. */
typedef struct HashItem {
    const void *key;
    size_t      klen;
    const void *val;
    size_t      vlen;
    int64_t     expire_at;      /* HT_NO_EXPIRY, or when it expires */
} HashItem;

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
    size_t      expiring;       /* keys with an expiry, in both arrays */
    uint8_t     seed[SIPHASH_KEY_LEN];
} HashTable;

/* An empty table hashing under seed (allocates nothing). */
void ht_init(HashTable *ht, const uint8_t seed[SIPHASH_KEY_LEN]);

/* Frees every entry and both arrays; the table is then empty and usable. */
void ht_clear(HashTable *ht);

/* Number of keys. */
size_t ht_count(const HashTable *ht);

/* Inserts or overwrites, value and expiry (HT_NO_EXPIRY: none).  0 if
 * inserted, 1 if overwritten, -1 if out of memory (the table is then
 * unchanged). */
int ht_set(HashTable *ht, const void *key, size_t klen,
           const void *val, size_t vlen, int64_t expire_at);

/* Changes only key's expiry (HT_NO_EXPIRY removes it).  1 if changed, 0 if
 * there is no such key, -1 if out of memory (nothing changed). */
int ht_set_expiry(HashTable *ht, const void *key, size_t klen, int64_t expire_at);

/* Finds key; fills *item (bytes owned by the table). */
bool ht_get(const HashTable *ht, const void *key, size_t klen, HashItem *item);

/* Removes key; true if it was present. */
bool ht_delete(HashTable *ht, const void *key, size_t klen);

/* Calls visit for each key until it returns non-zero (returned), else 0. */
typedef int (*HashVisitor)(void *ctx, const HashItem *item);
int ht_foreach(const HashTable *ht, HashVisitor visit, void *ctx);

/* One step of a scan: visits the keys of the bucket(s) cursor names (visit's
 * return value is ignored; it must not change the table) and returns the
 * next cursor, 0 when the scan is complete.  Start with cursor 0. */
size_t ht_scan(const HashTable *ht, size_t cursor, HashVisitor visit, void *ctx);

/* Active expiry: continues a scan at *cursor, removing every key whose
 * expiry is <= now, until max_buckets buckets were visited, max_seen keys
 * with an expiry examined (*seen says how many), or the scan completed
 * (*cursor back to 0).  Returns the number of keys removed. */
size_t ht_expire_some(HashTable *ht, size_t *cursor, int64_t now,
                      size_t max_buckets, size_t max_seen, size_t *seen);

/* Number of keys that have an expiry. */
size_t ht_expiring(const HashTable *ht);

/* Moves up to n buckets of an ongoing rehash (for idle moments). */
void ht_rehash_some(HashTable *ht, size_t n);

/* true while keys are moving from one bucket array to the other. */
bool ht_rehashing(const HashTable *ht);

/* Buckets allocated, both arrays together (for tests and statistics). */
size_t ht_buckets(const HashTable *ht);

#endif
