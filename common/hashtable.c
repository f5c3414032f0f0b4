/*
 * hashtable.c — the chained hash table with incremental rehashing
 * described in hashtable.h.
 *
 * Invariants:
 *   - not rehashing: every entry is in old; new is empty (size 0);
 *   - rehashing: slots [0, rehash_next) of old are empty, every entry of
 *     old is at or after rehash_next, new entries go to new;
 *   - a key is stored once, in whichever array holds it.
 */
#include "hashtable.h"
#include "hashtable_internal.h"

#include <stdlib.h>
#include <string.h>

#define MIN_BUCKETS 4
/* Buckets moved per mutation while rehashing.  Each step also gives up
 * after visiting EMPTY_VISITS_PER_BUCKET empty slots per bucket, so that a
 * sparse table (after many deletions) never costs a long scan at once. */
#define REHASH_BUCKETS_PER_OP   4
#define EMPTY_VISITS_PER_BUCKET 10
/* Shrink when fewer than one key per SHRINK_RATIO buckets: far enough
 * from the growth point (one key per bucket) that a table hovering around
 * one size does not grow and shrink again and again. */
#define SHRINK_RATIO 8

static uint64_t hash_key(const HashTable *ht, const void *key, size_t klen)
{
    return siphash13(key, klen, ht->seed);
}

static size_t slot_of(const HashBuckets *b, uint64_t hash)
{
    return (size_t)hash & (b->size - 1);
}

void ht_init(HashTable *ht, const uint8_t seed[SIPHASH_KEY_LEN])
{
    memset(ht, 0, sizeof *ht);
    memcpy(ht->seed, seed, SIPHASH_KEY_LEN);
}

bool ht_rehashing(const HashTable *ht)
{
    return ht->new.size != 0;
}

size_t ht_count(const HashTable *ht)
{
    return ht->old.used + ht->new.used;
}

size_t ht_buckets(const HashTable *ht)
{
    return ht->old.size + ht->new.size;
}

static void free_buckets(HashTable *ht, HashBuckets *b)
{
    for (size_t i = 0; i < b->size; i++) {
        HashEntry *e = b->slots[i];
        while (e != NULL) {
            HashEntry *next = e->next;
            ht->expiring -= entry_has_expiry(e);
            free(e);
            e = next;
        }
    }
    free(b->slots);
    *b = (HashBuckets){ NULL, 0, 0 };
}

void ht_clear(HashTable *ht)
{
    free_buckets(ht, &ht->old);
    free_buckets(ht, &ht->new);
    ht->rehash_next = 0;
}

/* ---- rehashing --------------------------------------------------------- */

/* Allocates an empty array of size slots (a power of two).  calloc of a
 * large array is cheap: the kernel hands out zeroed pages lazily. */
static int alloc_buckets(HashBuckets *b, size_t size)
{
    HashEntry **slots = calloc(size, sizeof *slots);
    if (slots == NULL)
        return -1;
    *b = (HashBuckets){ slots, size, 0 };
    return 0;
}

/* Moves the chain of old slot i to new. */
static void move_bucket(HashTable *ht, size_t i)
{
    HashEntry *e = ht->old.slots[i];
    while (e != NULL) {
        HashEntry *next = e->next;
        size_t j = slot_of(&ht->new, hash_key(ht, entry_key(e), entry_klen(e)));
        e->next = ht->new.slots[j];
        ht->new.slots[j] = e;
        ht->old.used--;
        ht->new.used++;
        e = next;
    }
    ht->old.slots[i] = NULL;
}

/* The move is over: new becomes the only array. */
static void finish_rehash(HashTable *ht)
{
    free(ht->old.slots);
    ht->old = ht->new;
    ht->new = (HashBuckets){ NULL, 0, 0 };
    ht->rehash_next = 0;
}


void ht_rehash_some(HashTable *ht, size_t n)
{
    if (!ht_rehashing(ht))
        return;
    size_t empty_visits = n * EMPTY_VISITS_PER_BUCKET;
    while (n > 0 && ht->old.used > 0) {
        /* An entry is left at or after rehash_next, so this stays in range. */
        while (ht->old.slots[ht->rehash_next] == NULL) {
            ht->rehash_next++;
            if (--empty_visits == 0)
                return;
        }
        move_bucket(ht, ht->rehash_next++);
        n--;
    }
    if (ht->old.used == 0) {
        finish_rehash(ht);
        ht_maybe_resize(ht);       /* the count may have moved on meanwhile */
    }
}

/* The smallest power of two >= n (and >= MIN_BUCKETS), or 0 on overflow. */
static size_t buckets_for(size_t n)
{
    size_t size = MIN_BUCKETS;
    while (size < n) {
        if (size > SIZE_MAX / 2 / sizeof(HashEntry *))
            return 0;
        size *= 2;
    }
    return size;
}

/* Starts moving to an array of size slots.  If it cannot be allocated we
 * simply keep the current one: chains get longer, nothing is lost. */
static void start_rehash(HashTable *ht, size_t size)
{
    if (size == 0 || size == ht->old.size || alloc_buckets(&ht->new, size) < 0)
        return;
    ht->rehash_next = 0;
    if (ht->old.used == 0)
        finish_rehash(ht);
}

/* Grows past one key per bucket, shrinks below one per SHRINK_RATIO. */
void ht_maybe_resize(HashTable *ht)
{
    if (ht_rehashing(ht))
        return;                 /* one move at a time */
    size_t count = ht->old.used;
    if (count > ht->old.size)
        start_rehash(ht, buckets_for(ht->old.size * 2));
    else if (ht->old.size > MIN_BUCKETS && count < ht->old.size / SHRINK_RATIO)
        start_rehash(ht, buckets_for(count));
}

/* ---- lookups ----------------------------------------------------------- */

/* The link (a bucket slot or a next field) pointing at key's entry, or
 * NULL.  Returning the link rather than the entry lets callers unlink the
 * entry or replace it by a reallocated copy. */
static HashEntry **find_link_in(const HashBuckets *b, uint64_t hash,
                                const void *key, size_t klen)
{
    if (b->used == 0)
        return NULL;
    HashEntry **link = &b->slots[slot_of(b, hash)];
    for (; *link != NULL; link = &(*link)->next) {
        HashEntry *e = *link;
        if (entry_klen(e) == klen && memcmp(entry_key(e), key, klen) == 0)
            return link;
    }
    return NULL;
}

static HashEntry **find_link(const HashTable *ht, const void *key, size_t klen)
{
    uint64_t hash = hash_key(ht, key, klen);
    HashEntry **link = find_link_in(&ht->old, hash, key, klen);
    if (link == NULL && ht_rehashing(ht))
        link = find_link_in(&ht->new, hash, key, klen);
    return link;
}

bool ht_get(const HashTable *ht, const void *key, size_t klen, HashItem *item)
{
    HashEntry **link = find_link(ht, key, klen);
    if (link == NULL)
        return false;
    *item = entry_item(*link);
    return true;
}

/* ---- mutations --------------------------------------------------------- */

static HashEntry *new_entry(const void *key, size_t klen, const void *val,
                            size_t vlen, int64_t expire_at)
{
    size_t prefix = expire_at == HT_NO_EXPIRY ? 0 : EXPIRY_LEN;
    HashEntry *e = malloc(sizeof *e + prefix + klen + vlen);
    if (e == NULL)
        return NULL;
    e->next = NULL;
    e->klen = (uint32_t)klen | (prefix ? HAS_EXPIRY : 0);
    e->vlen = (uint32_t)vlen;
    if (prefix)
        memcpy(e->bytes, &expire_at, EXPIRY_LEN);
    /* memcpy with a NULL pointer is undefined even for 0 bytes. */
    if (klen > 0)
        memcpy(e->bytes + prefix, key, klen);
    if (vlen > 0)
        memcpy(e->bytes + prefix + klen, val, vlen);
    return e;
}

/* Replaces *link's entry by one with the same key and this value and
 * expiry.  Same block size (the common case, an overwrite by a value of
 * the same length): in place.  Otherwise a new block, linked where the
 * old one was (its next field copied), so a failure changes nothing. */
static int replace_entry(HashTable *ht, HashEntry **link, const void *val,
                         size_t vlen, int64_t expire_at)
{
    HashEntry *e = *link;
    bool had = entry_has_expiry(e), has = expire_at != HT_NO_EXPIRY;
    if (e->vlen == vlen && had == has) {
        if (has)
            memcpy(e->bytes, &expire_at, EXPIRY_LEN);
        unsigned char *dst = e->bytes + entry_prefix(e) + entry_klen(e);
        if (vlen > 0 && dst != val)     /* ht_set_expiry passes the value itself */
            memcpy(dst, val, vlen);
        return 0;
    }
    HashEntry *copy = new_entry(entry_key(e), entry_klen(e), val, vlen, expire_at);
    if (copy == NULL)
        return -1;              /* the old block is still valid and linked */
    copy->next = e->next;
    *link = copy;
    free(e);
    ht->expiring += (size_t)has - (size_t)had;
    return 0;
}

int ht_set(HashTable *ht, const void *key, size_t klen,
           const void *val, size_t vlen, int64_t expire_at)
{
    ht_rehash_some(ht, REHASH_BUCKETS_PER_OP);
    HashEntry **link = find_link(ht, key, klen);
    if (link != NULL)
        return replace_entry(ht, link, val, vlen, expire_at) < 0 ? -1 : 1;

    if (ht->old.size == 0 && alloc_buckets(&ht->old, MIN_BUCKETS) < 0)
        return -1;
    HashEntry *e = new_entry(key, klen, val, vlen, expire_at);
    if (e == NULL)
        return -1;
    /* While rehashing, new keys go straight to the new array. */
    HashBuckets *b = ht_rehashing(ht) ? &ht->new : &ht->old;
    size_t i = slot_of(b, hash_key(ht, key, klen));
    e->next = b->slots[i];
    b->slots[i] = e;
    b->used++;
    ht->expiring += entry_has_expiry(e);
    ht_maybe_resize(ht);
    return 0;
}

int ht_set_expiry(HashTable *ht, const void *key, size_t klen, int64_t expire_at)
{
    HashEntry **link = find_link(ht, key, klen);
    if (link == NULL)
        return 0;
    HashEntry *e = *link;
    return replace_entry(ht, link, entry_value(e), e->vlen, expire_at) < 0 ? -1 : 1;
}

bool ht_delete(HashTable *ht, const void *key, size_t klen)
{
    ht_rehash_some(ht, REHASH_BUCKETS_PER_OP);
    uint64_t hash = hash_key(ht, key, klen);
    HashBuckets *b = &ht->old;
    HashEntry **link = find_link_in(b, hash, key, klen);
    if (link == NULL && ht_rehashing(ht)) {
        b = &ht->new;
        link = find_link_in(b, hash, key, klen);
    }
    if (link == NULL)
        return false;
    HashEntry *e = *link;
    *link = e->next;
    ht->expiring -= entry_has_expiry(e);
    free(e);
    b->used--;
    ht_maybe_resize(ht);
    return true;
}

/* ---- walking ----------------------------------------------------------- */

static int foreach_in(const HashBuckets *b, HashVisitor visit, void *ctx)
{
    for (size_t i = 0; i < b->size; i++) {
        for (const HashEntry *e = b->slots[i]; e != NULL; e = e->next) {
            HashItem item = entry_item(e);
            int rc = visit(ctx, &item);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

int ht_foreach(const HashTable *ht, HashVisitor visit, void *ctx)
{
    int rc = foreach_in(&ht->old, visit, ctx);
    return rc != 0 ? rc : foreach_in(&ht->new, visit, ctx);
}

