/*
 * hashtable_scan.c — walking the table with a cursor (SCAN), and active
 * expiry, which walks it the same way removing what is due.
 */
#include "hashtable.h"
#include "hashtable_internal.h"

#include <stdlib.h>

/* ---- scanning: the reverse-binary cursor ---------------------------------
 *
 * A cursor names a bucket by its index with the bits reversed, and the next
 * cursor adds 1 to the reversed index (from the top bit down).  Buckets are
 * thus visited in an order that does not depend on the array's size: when
 * the table doubles, bucket i splits into i and i + size, and both of
 * those come after every bucket already visited; when it halves, the
 * buckets visited map onto buckets visited.  While rehashing, the smaller
 * array's bucket is visited, then every bucket of the larger array that it
 * expands to.  A key present for the whole scan is returned at least once
 * (perhaps twice, after a shrink).  This is Redis's dictScan.
 */

static size_t reverse_bits(size_t v)
{
    size_t r = 0;
    for (size_t bit = 0; bit < sizeof v * 8; bit++, v >>= 1)
        r = (r << 1) | (v & 1);
    return r;
}

/* The cursor after v, for an array with index mask m. */
static size_t next_cursor(size_t v, size_t m)
{
    v |= ~m;
    return reverse_bits(reverse_bits(v) + 1);
}

typedef void (*BucketVisitor)(HashTable *ht, HashBuckets *b, size_t slot,
                              void *ctx);

/* Visits the bucket(s) the cursor v names; returns the next cursor (0:
 * the scan is complete) and counts the buckets in *visited. */
static size_t scan_step(HashTable *ht, size_t v, BucketVisitor visit,
                        void *ctx, size_t *visited)
{
    if (ht_count(ht) == 0 || ht->old.size == 0)
        return 0;
    if (!ht_rehashing(ht)) {
        size_t m = ht->old.size - 1;
        visit(ht, &ht->old, v & m, ctx);
        (*visited)++;
        return next_cursor(v, m);
    }
    bool old_smaller = ht->old.size < ht->new.size;
    HashBuckets *small = old_smaller ? &ht->old : &ht->new;
    HashBuckets *large = old_smaller ? &ht->new : &ht->old;
    size_t m0 = small->size - 1, m1 = large->size - 1;
    visit(ht, small, v & m0, ctx);
    (*visited)++;
    do {            /* the buckets of large that small's bucket expands to */
        visit(ht, large, v & m1, ctx);
        (*visited)++;
        v = next_cursor(v, m1);
    } while (v & (m0 ^ m1));
    return v;
}

typedef struct ScanVisit {
    HashVisitor visit;
    void       *ctx;
} ScanVisit;

static void visit_chain(HashTable *ht, HashBuckets *b, size_t slot, void *ctx)
{
    (void)ht;
    ScanVisit *sv = ctx;
    for (const HashEntry *e = b->slots[slot]; e != NULL; e = e->next) {
        HashItem item = entry_item(e);
        sv->visit(sv->ctx, &item);
    }
}

size_t ht_scan(const HashTable *ht, size_t cursor, HashVisitor visit, void *ctx)
{
    ScanVisit sv = { visit, ctx };
    size_t visited = 0;
    /* visit_chain changes nothing: the cast only lets it share scan_step */
    return scan_step((HashTable *)ht, cursor, visit_chain, &sv, &visited);
}

/* ---- active expiry: the same cursor, removing what is due ---------------- */

typedef struct ExpireVisit {
    int64_t now;
    size_t  seen;       /* entries with an expiry examined */
    size_t  removed;
} ExpireVisit;

static void expire_chain(HashTable *ht, HashBuckets *b, size_t slot, void *ctx)
{
    ExpireVisit *ev = ctx;
    HashEntry **link = &b->slots[slot];
    while (*link != NULL) {
        HashEntry *e = *link;
        if (!entry_has_expiry(e)) {
            link = &e->next;
            continue;
        }
        ev->seen++;
        if (entry_expiry(e) > ev->now) {
            link = &e->next;
            continue;
        }
        *link = e->next;
        ht->expiring--;
        b->used--;
        ev->removed++;
        free(e);
    }
}

size_t ht_expire_some(HashTable *ht, size_t *cursor, int64_t now,
                      size_t max_buckets, size_t max_seen, size_t *seen)
{
    ExpireVisit ev = { now, 0, 0 };
    size_t visited = 0;
    do {
        *cursor = scan_step(ht, *cursor, expire_chain, &ev, &visited);
    } while (*cursor != 0 && visited < max_buckets && ev.seen < max_seen);
    /* Resizing only after the walk: it must not change under the cursor. */
    ht_maybe_resize(ht);
    *seen = ev.seen;
    return ev.removed;
}

size_t ht_expiring(const HashTable *ht)
{
    return ht->expiring;
}
