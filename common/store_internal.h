/*
 * store_internal.h — test-only access to the store's insides.
 *
 * The servers never include this file.  tests/store_test.c uses it to check
 * what the public API cannot show: that the hash table grows and shrinks,
 * how many fsyncs a policy performs, and what happens when a rewrite dies
 * just before its rename.
 */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

typedef struct StoreStats {
    size_t        buckets;      /* hash table slots, both arrays together */
    bool          rehashing;    /* keys are moving to a resized array */
    size_t        records;      /* records in the file plus the queue */
    long long     file_size;    /* bytes written to the file */
    size_t        queued_bytes; /* records waiting for store_sync */
    unsigned long fsyncs;       /* fsyncs of the store file since open */
    bool          failed;       /* in write error: mutations refused */
} StoreStats;

void store_stats(const Store *s, StoreStats *st);

/* If set, store_compact calls it once the temporary file is complete and
 * fsynced, just before renaming it over the store file.  The test program
 * points it at a function that kills the process, to check that a rewrite
 * interrupted at that moment leaves the old file intact. */
extern void (*store_hook_before_rename)(const char *tmp_path);

#endif
