/*
 * hashtable_internal.h — the entry layout and the resize rule, shared by
 * hashtable.c (lookups, mutations, rehashing) and hashtable_scan.c (the
 * reverse-binary cursor and active expiry).  Nothing else includes it.
 */
#ifndef HASHTABLE_INTERNAL_H
#define HASHTABLE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hashtable.h"

/* The entry: one allocation per key, key bytes then value bytes inline.
 * The hash is not cached in the entry: it would cost 8 bytes per key, and
 * recomputing SipHash over a short key while rehashing is cheap. */
struct HashEntry {
    HashEntry *next;            /* chain of the bucket */
    uint32_t   klen;            /* key length, | HAS_EXPIRY (the top bit) */
    uint32_t   vlen;
    unsigned char bytes[];      /* [8-byte expiry], key bytes, value bytes */
};

/*
 * A key with a time to live carries its expiry (int64, Unix milliseconds)
 * in the first 8 bytes of `bytes`, and says so in the top bit of klen.
 * A key without one pays nothing: same header, same block size.  Keys are
 * therefore limited to 2 GiB - 1 bytes (the store's limit is 512 MiB).
 */
#define HAS_EXPIRY  (UINT32_C(1) << 31)
#define EXPIRY_LEN  sizeof(int64_t)

static inline bool entry_has_expiry(const HashEntry *e)
{
    return (e->klen & HAS_EXPIRY) != 0;
}

static inline size_t entry_klen(const HashEntry *e)
{
    return e->klen & ~HAS_EXPIRY;
}

/* Bytes before the key: the expiry, if the entry has one. */
static inline size_t entry_prefix(const HashEntry *e)
{
    return entry_has_expiry(e) ? EXPIRY_LEN : 0;
}

static inline unsigned char *entry_key(HashEntry *e)
{
    return e->bytes + entry_prefix(e);
}

static inline const unsigned char *entry_value(const HashEntry *e)
{
    return e->bytes + entry_prefix(e) + entry_klen(e);
}

/* memcpy: bytes[] is 8-aligned here, but saying so would need a cast. */
static inline int64_t entry_expiry(const HashEntry *e)
{
    int64_t when = HT_NO_EXPIRY;
    if (entry_has_expiry(e))
        memcpy(&when, e->bytes, EXPIRY_LEN);
    return when;
}

static inline HashItem entry_item(const HashEntry *e)
{
    return (HashItem){ entry_value(e) - entry_klen(e), entry_klen(e),
                       entry_value(e), e->vlen, entry_expiry(e) };
}

/* Starts growing or shrinking if the count asks for it (hashtable.c). */
void ht_maybe_resize(HashTable *ht);

#endif
