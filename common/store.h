/*
 * store.h — the persistent key-value store both servers serve.
 *
 * In memory: a hash table (chained, grows and shrinks, amortised O(1))
 * hashed with SipHash-1-3 under a key drawn at random when the process
 * starts, so no client can choose keys that all land in one bucket.
 *
 * On disk: an append-only file.  Every mutation is appended as the
 * multibulk request that performs it (SET k v, DEL k, FLUSHDB), the very
 * bytes a client would send, so the protocol parser reads both the wire
 * and the file.  Opening the store replays the file.
 *
 * Keys and values are byte strings (pointer + length), binary-safe: they may
 * contain NUL, CR and LF.  The store copies what it is given; the caller
 * keeps ownership of its arguments.
 *
 * Writing and durability.  A mutation is applied in memory at once and its
 * record queued; store_sync() writes the queued records to the file and
 * fsyncs according to the policy:
 *     always    fsync at every store_sync: call it once per event-loop
 *               round, after executing requests and before sending any
 *               reply (group commit: one fsync covers the whole round);
 *     everysec  fsync at most about once a second, so at most ~1 s of
 *               acknowledged writes are at risk if the machine loses power;
 *     no        never fsync; the kernel writes back when it likes.
 * A reply that acknowledges a mutation must only be sent after the
 * store_sync() that follows it has succeeded.
 *
 * Errors.  Functions that can fail return -1 and put a one-line reason,
 * with the strerror() text of the failing call, in the caller's err buffer
 * (STORE_ERR_LEN bytes is enough).  Nothing in the store exits or aborts.
 * If store_sync() fails (disk full, I/O error), the file is cut back to
 * its last complete record, the records stay queued, and every later
 * mutation is refused (-1, with the reason) until a retried sync succeeds;
 * reads keep working throughout.
 *
 * Warnings.  What goes wrong without stopping the store (a cut-short last
 * record dropped, a stale temporary file removed, a rewrite at open that
 * failed, no /dev/urandom) is reported through StoreOptions.warn: the store
 * never prints.
 *
 * Compaction.  The file only grows while the server runs; it is rewritten
 * as one SET per live key at store_close() (unless it already holds exactly
 * that), and at store_open() when most of its records are dead: more than
 * twice as many records as live keys, in a file over 64 KiB.  We chose not
 * to rewrite while serving: for a large store, writing every key takes long
 * enough to stall every client (Redis avoids the stall by forking a child
 * to write the snapshot, which is beyond this lab).  A rewrite writes a
 * temporary file "<path>.tmp.<pid>" in the same directory, fsyncs it,
 * renames it over the old one and fsyncs the directory, so a crash at any
 * moment leaves a complete old or new file; store_open() removes the
 * temporary file a crashed rewrite left behind.
 *
 * Time to live.  A key may have an expiry time, absolute, in Unix
 * milliseconds (store_now_ms's clock).  A key past it is never returned:
 * every read checks (lazy expiry), and store_expire_cycle(), run by an
 * event loop's timer, removes such keys a bounded amount at a time without
 * waiting for a read (active expiry).  store_count() still counts an
 * expired key until one of the two has removed it, as Redis's DBSIZE does.
 * The file records absolute times (SET k v PXAT t, PEXPIREAT k t, PERSIST
 * k), so a restart neither revives an expired key (replay drops it) nor
 * extends a time to live; a rewrite keeps them.
 *
 * One owner.  While open, the file is locked (fcntl): a second store_open()
 * of the same file, by another process or by this one, is refused.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>

#define STORE_ERR_LEN 256

/* The expiry of a key that has none. */
#define STORE_NO_EXPIRY (-1LL)

typedef struct Store Store;

typedef enum StoreFsync {
    STORE_FSYNC_NO,
    STORE_FSYNC_EVERYSEC,
    STORE_FSYNC_ALWAYS
} StoreFsync;

/* The length limits apply to store_put(), not to the records of the file
 * (what was accepted once is never dropped because a limit was lowered).
 * They may not exceed 512 MiB, the longest argument the protocol parser
 * reads back: store_open() refuses larger ones. */
typedef struct StoreOptions {
    StoreFsync fsync;        /* default STORE_FSYNC_EVERYSEC */
    size_t     max_key_len;  /* default 512 MiB; longer keys are refused */
    size_t     max_value_len;/* default 512 MiB; longer values are refused */
    /* Called once per warning, during the store call that has something to
     * report, with warn_arg and one line of text: no newline, no program
     * name or "store:" prefix (like the err texts), usually naming the
     * file, e.g. "data.aof: dropping incomplete record at byte 120 (crash
     * during a write?)".  message lives only during the call.  NULL (the
     * default): warnings are dropped. */
    void     (*warn)(void *warn_arg, const char *message);
    void      *warn_arg;
} StoreOptions;

/* Fills o with the defaults above. */
void store_options_default(StoreOptions *o);

/* "always", "everysec" or "no" -> policy.  0, or -1 for any other name. */
int store_fsync_parse(const char *name, StoreFsync *policy);

/* The name of a policy, as store_fsync_parse accepts it. */
const char *store_fsync_name(StoreFsync policy);

/*
 * Opens (creating if missing) the store file at path and replays it.
 * opt may be NULL for the defaults.
 * A last record cut short by a crash is dropped, with one warning (opt->warn)
 * naming its byte offset, and the file truncated back to the last complete
 * record.  Any other damage refuses to open: NULL, with the offset in err.
 * Also NULL (reason in err) if the file cannot be opened, read or locked
 * (another store has it open), or if opt is invalid.
 */
Store *store_open(const char *path, const StoreOptions *opt,
                  char *err, size_t errlen);

/* Sets key to value (inserting or overwriting).  0, or -1 with err set
 * (key or value over its limit, out of memory, store in write error). */
int store_put(Store *s, const void *key, size_t klen,
              const void *val, size_t vlen, char *err, size_t errlen);

/* The same, with an expiry: absolute, Unix ms, or STORE_NO_EXPIRY (which
 * store_put means: a SET removes a key's time to live).  A time already
 * past deletes the key instead (0, as Redis's SET PXAT does). */
int store_put_expiring(Store *s, const void *key, size_t klen, const void *val,
                       size_t vlen, long long expire_at, char *err, size_t errlen);

/* Looks key up.  If present, sets *val and *vlen to the stored bytes (owned
 * by the store, valid until the next mutation) and returns true.  Not
 * const: a key found expired is removed there and then. */
bool store_get(Store *s, const void *key, size_t klen,
               const void **val, size_t *vlen);

/* true if key is present. */
bool store_exists(Store *s, const void *key, size_t klen);

/* If key is present, sets *expire_at (STORE_NO_EXPIRY if it has none) and
 * returns true. */
bool store_get_expiry(Store *s, const void *key, size_t klen, long long *expire_at);

/* Sets key's expiry (absolute, Unix ms); a time already past deletes the
 * key.  1 done, 0 no such key, -1 with err set. */
int store_expire_at(Store *s, const void *key, size_t klen, long long expire_at,
                    char *err, size_t errlen);

/* Removes key's expiry.  1 removed, 0 no such key or no expiry, -1. */
int store_persist(Store *s, const void *key, size_t klen, char *err, size_t errlen);

/* Now, in Unix milliseconds: the clock of every expiry time. */
long long store_now_ms(void);

/* Number of keys that have an expiry (expired ones not yet removed too). */
size_t store_count_expiring(const Store *s);

/* Removes key.  1 if it was present, 0 if not (nothing to record, so 0
 * even in write error), -1 with err set. */
int store_delete(Store *s, const void *key, size_t klen,
                 char *err, size_t errlen);

/* Removes every key (FLUSHDB).  0, or -1 with err set. */
int store_clear(Store *s, char *err, size_t errlen);

/* Number of keys. */
size_t store_count(const Store *s);

/*
 * Calls visit(ctx, key, klen, val, vlen) for every key, in no particular
 * order.  visit must not modify the store; a non-zero return stops the walk
 * and is returned by store_foreach (0 once every key was visited).
 */
typedef int (*StoreVisitor)(void *ctx, const void *key, size_t klen,
                            const void *val, size_t vlen);
int store_foreach(const Store *s, StoreVisitor visit, void *ctx);

/*
 * One step of SCAN: visits the live keys of the bucket(s) cursor names and
 * returns the next cursor (0: complete).  Every key present from the first
 * step to the last is visited at least once, even while the table resizes;
 * some may be visited twice.  visit's return value is ignored.
 */
size_t store_scan(const Store *s, size_t cursor, StoreVisitor visit, void *ctx);

/*
 * Active expiry, for an event loop's timer: when due (every
 * STORE_EXPIRE_PERIOD_MS while any key has an expiry), removes expired keys,
 * sampling keys a few buckets at a time as Redis does and going on while
 * more than a tenth of those sampled were expired, for at most
 * STORE_EXPIRE_BUDGET_MS.  Cheap to call when not due.
 */
#define STORE_EXPIRE_PERIOD_MS 100
#define STORE_EXPIRE_BUDGET_MS 25
void store_expire_cycle(Store *s);

/* Milliseconds until store_expire_cycle() is due (0: now), or -1 when no
 * key has an expiry.  Bounds the event loop's select() timeout. */
long store_expire_timeout_ms(const Store *s);

/* The sooner of store_sync_timeout_ms() and store_expire_timeout_ms(): how
 * long an event loop may sleep (-1: until something happens). */
long store_timeout_ms(const Store *s);

/*
 * Writes the queued records and fsyncs as the policy says (see above).
 * Call once per event-loop round before sending replies, and whenever
 * store_sync_timeout_ms() says time is up.  0, or -1 with err set.
 */
int store_sync(Store *s, char *err, size_t errlen);

/* Milliseconds until store_sync() must run again for the everysec policy
 * (0: now), or -1 if nothing is waiting for an fsync.  In write error, the
 * time until the failed sync should be retried (about once a second).
 * Use it to bound the event loop's select() timeout. */
long store_sync_timeout_ms(const Store *s);

/* Rewrites the file now as one SET per live key (see Compaction). */
int store_compact(Store *s, char *err, size_t errlen);

/*
 * Closes the store: writes what is queued, compacts, fsyncs, closes the
 * file and frees everything, even when it returns -1 (err says what failed;
 * the old file is then intact).  s must not be used afterwards.
 */
int store_close(Store *s, char *err, size_t errlen);

#endif
