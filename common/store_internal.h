/*
 * store_internal.h — the store's insides, shared by the files that make it
 * up, and by tests/store_test.c.  The servers never include this file.
 *
 * The store is cut by idea, one file each, every file read top-down:
 *
 *     store.c        the public API of store.h: options, open/close, the
 *                    mutations (queue a record, then change the table),
 *                    reads, and the shared error and warning helpers
 *     store_lock.c   one owner per file: the fcntl lock, and the list of
 *                    files this process has open
 *     store_seed.c   the process's random SipHash key
 *     aof_format.c   the append-only file's records: encoding a mutation,
 *                    applying a parsed record, recognising a cut-short one
 *     aof_replay.c   store_open's replay, and the repair of a file whose
 *                    last record a crash cut short
 *     aof_sync.c     writing the queue and the fsync policy (always,
 *                    everysec, no): store_sync, store_sync_timeout_ms
 *     aof_compact.c  the rewrite (one SET per key) and its temporary files
 *     store_expire.c time to live: the clock, EXPIRE/PERSIST as records,
 *                    active expiry (store_expire_cycle) and its timer
 *     rio.c          (not the store's own) short reads and writes, once
 *
 * Order of a mutation: the record is queued first, then the table changed;
 * if the table cannot change (out of memory) the record is withdrawn, so
 * memory and file never disagree.  store_sync writes the queue.
 */
#ifndef STORE_INTERNAL_H
#define STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "buffer.h"
#include "hashtable.h"
#include "protocol.h"
#include "store.h"

/* ---- the store itself ---------------------------------------------------- */

struct Store {
    HashTable    table;
    StoreOptions opt;
    char        *path;
    int          fd;             /* O_APPEND, locked */
    dev_t        dev;            /* identity of the open file (store_lock.c) */
    ino_t        ino;
    Store       *next_open;      /* the process's open stores (store_lock.c) */
    Buffer       queued;         /* records not yet written */
    off_t        file_size;      /* the file ends here, after a complete record */
    size_t       records;        /* records in the file and in the queue */
    bool         unsynced;       /* written, not yet fsynced (everysec, no) */
    struct timespec last_fsync;  /* CLOCK_MONOTONIC */
    bool         failed;         /* a sync failed; no mutation until one succeeds */
    struct timespec last_failure;
    unsigned long fsyncs;
    size_t       expire_cursor;  /* where active expiry goes on (a scan cursor) */
    struct timespec last_expire_cycle;  /* CLOCK_MONOTONIC */
};

/* Queue memory kept between syncs and rewrites. */
#define STORE_QUEUE_KEEP (1024 * 1024)

/* ---- store.c: reporting -------------------------------------------------- */

/* printf into err (nothing if err is NULL), the convention of store.h. */
void store_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Formats one warning and hands it to opt->warn (dropped if NULL). */
void store_warn(const StoreOptions *opt, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- store.c: the steps of a mutation ------------------------------------ */

/* Refuses (-1, err set) while a sync is failing and a retry fails too. */
int store_check_writable(Store *s, char *err, size_t errlen);

/* After encoding a record into s->queued at mark (encoded: what the
 * encoder returned): counts it, or cuts off the half record.  0, or -1. */
int store_record_queued(Store *s, int encoded, size_t mark,
                        char *err, size_t errlen);

/* Withdraws what was queued after mark. */
void store_cut_queue(Store *s, size_t mark);

/* Finds a live key (an expired one is removed, lazily, and not found). */
bool store_lookup(Store *s, const void *key, size_t klen, HashItem *item);

/* ---- store_lock.c -------------------------------------------------------- */

/* Opens s->path (creating it), locks it, sets s->fd, s->dev, s->ino.
 * Refused if this process or another one has the file open.  0, or -1. */
int store_lock_open(Store *s, char *err, size_t errlen);

/* Takes a write lock on the whole of fd, without waiting.  0, or -1. */
int store_lock_file(int fd, const char *path, char *err, size_t errlen);

/* Adds s to, or removes it from, the process's list of open stores. */
void store_lock_register(Store *s);
void store_lock_forget(Store *s);

/* ---- store_seed.c -------------------------------------------------------- */

/* The process's SipHash key, drawn at the first call (a warning through
 * opt if /dev/urandom cannot be read). */
const uint8_t *store_hash_seed(const StoreOptions *opt);

/* ---- aof_format.c -------------------------------------------------------- */

/* Every record is a multibulk request: it starts with this byte. */
#define AOF_RECORD_MARK '*'

/* Append one record to out.  0, or -1 (out of memory: out then holds part
 * of the record, which the caller cuts off). */
int aof_encode_set(Buffer *out, const void *key, size_t klen,
                   const void *val, size_t vlen, int64_t expire_at);
int aof_encode_del(Buffer *out, const void *key, size_t klen);
int aof_encode_flushdb(Buffer *out);
int aof_encode_pexpireat(Buffer *out, const void *key, size_t klen,
                         int64_t expire_at);
int aof_encode_persist(Buffer *out, const void *key, size_t klen);

/* Applies the record the parser p just completed (its arguments lie in
 * base) to table; now (Unix ms) decides which keys are already expired:
 * those are dropped.  0, or -1 with the reason in why. */
int aof_apply_record(HashTable *table, const RequestParser *p, const char *base,
                     int64_t now, char *why, size_t whylen);

/* Are the n bytes at p the beginning of a well-formed record (not a whole
 * one), as a write cut short by a crash leaves? */
bool aof_is_record_prefix(const char *p, size_t n);

/* ---- aof_replay.c -------------------------------------------------------- */

/* Replays s's file into s->table, dropping a cut-short last record.  Sets
 * s->records and s->file_size.  0, or -1 with err set. */
int aof_replay(Store *s, char *err, size_t errlen);

/* ---- aof_sync.c ---------------------------------------------------------- */

/* CLOCK_MONOTONIC now. */
void aof_clock_now(struct timespec *ts);

/* Writes the queue and fsyncs whatever the policy (store_close). */
int aof_sync_for_close(Store *s, char *err, size_t errlen);

/* ---- aof_compact.c ------------------------------------------------------- */

/* The rule of store.h: rewrite at open when dead records dominate.  A
 * failure is only a warning: the old file is intact. */
void aof_compact_if_mostly_dead(Store *s);

/* Removes "<path>.tmp.<pid>" files that interrupted rewrites left behind.
 * Only with the lock held. */
void aof_remove_stale_temp_files(const Store *s);

/* ---- for tests/store_test.c ---------------------------------------------- */

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

/* If set, store_now_ms() returns what it returns instead of the real
 * time: the test program moves time forward without sleeping. */
extern long long (*store_hook_now_ms)(void);

#endif
