/*
 * store.c — the store's public face (store.h): options, opening and
 * closing, the mutations and the reads.  The hash table is hashtable.c;
 * what happens on disk is in the aof_*.c files (see store_internal.h for
 * the map).
 *
 * A mutation queues its record first, then changes the table; if the
 * table cannot change (out of memory) the record is withdrawn, so memory
 * and file never disagree.  store_sync (aof_sync.c) writes the queue.
 */
#include "store.h"
#include "store_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_MAX_LEN  (512u * 1024 * 1024)
#define STORE_WARN_LEN   512            /* a warning names a path: room for it */

/* ---- options ------------------------------------------------------------- */

void store_options_default(StoreOptions *o)
{
    o->fsync = STORE_FSYNC_EVERYSEC;
    o->max_key_len = DEFAULT_MAX_LEN;
    o->max_value_len = DEFAULT_MAX_LEN;
    o->warn = NULL;
    o->warn_arg = NULL;
}

static const char *const fsync_names[] = {
    [STORE_FSYNC_NO] = "no",
    [STORE_FSYNC_EVERYSEC] = "everysec",
    [STORE_FSYNC_ALWAYS] = "always",
};

int store_fsync_parse(const char *name, StoreFsync *policy)
{
    for (int i = STORE_FSYNC_NO; i <= STORE_FSYNC_ALWAYS; i++) {
        if (strcmp(name, fsync_names[i]) == 0) {
            *policy = (StoreFsync)i;
            return 0;
        }
    }
    return -1;
}

const char *store_fsync_name(StoreFsync policy)
{
    if (policy < STORE_FSYNC_NO || policy > STORE_FSYNC_ALWAYS)
        return "?";
    return fsync_names[policy];
}

static int check_options(const StoreOptions *o, char *err, size_t errlen)
{
    if (o->fsync < STORE_FSYNC_NO || o->fsync > STORE_FSYNC_ALWAYS) {
        store_set_err(err, errlen, "unknown fsync policy %d", (int)o->fsync);
        return -1;
    }
    /* A record must be readable back: the parser refuses longer arguments. */
    if (o->max_key_len > (size_t)PROTO_MAX_BULK ||
        o->max_value_len > (size_t)PROTO_MAX_BULK) {
        store_set_err(err, errlen, "key and value limits must be at most %ld "
                      "bytes, the longest argument the file can hold",
                      PROTO_MAX_BULK);
        return -1;
    }
    return 0;
}

/* ---- open and close ------------------------------------------------------ */

static void store_free(Store *s)
{
    store_lock_forget(s);
    if (s->fd >= 0)
        close(s->fd);
    ht_clear(&s->table);
    buffer_free(&s->queued);
    free(s->path);
    free(s);
}

static Store *store_new(const char *path, const StoreOptions *opt,
                        char *err, size_t errlen)
{
    Store *s = calloc(1, sizeof *s);
    char *copy = strdup(path);
    if (s == NULL || copy == NULL) {
        store_set_err(err, errlen, "out of memory");
        free(s);
        free(copy);
        return NULL;
    }
    s->fd = -1;
    s->path = copy;
    s->opt = *opt;
    s->queued = BUFFER_EMPTY;
    ht_init(&s->table, store_hash_seed(opt));
    return s;
}

Store *store_open(const char *path, const StoreOptions *opt,
                  char *err, size_t errlen)
{
    StoreOptions defaults;
    if (opt == NULL) {
        store_options_default(&defaults);
        opt = &defaults;
    }
    if (check_options(opt, err, errlen) < 0)
        return NULL;
    Store *s = store_new(path, opt, err, errlen);
    if (s == NULL)
        return NULL;
    if (store_lock_open(s, err, errlen) < 0 || aof_replay(s, err, errlen) < 0) {
        store_free(s);
        return NULL;
    }
    aof_remove_stale_temp_files(s);
    store_lock_register(s);
    aof_clock_now(&s->last_fsync);
    aof_compact_if_mostly_dead(s);
    return s;
}

int store_close(Store *s, char *err, size_t errlen)
{
    if (s == NULL)
        return 0;
    char flush_err[STORE_ERR_LEN];
    int rc = aof_sync_for_close(s, flush_err, sizeof flush_err);
    /* Rewrite unless the file is complete and already holds one SET per
     * key (records == keys).  After a failed flush, try anyway: a new file
     * may be writable where appending was not. */
    if (rc < 0 || s->records != store_count(s)) {
        char compact_err[STORE_ERR_LEN];
        if (store_compact(s, compact_err, sizeof compact_err) == 0)
            rc = 0;         /* everything in memory is on disk after all */
        else if (rc == 0) {
            rc = -1;
            store_set_err(flush_err, sizeof flush_err, "%s", compact_err);
        }
    }
    if (rc < 0)
        store_set_err(err, errlen, "%s", flush_err);
    store_free(s);
    return rc;
}

/* ---- mutations ----------------------------------------------------------- */

/*
 * While a sync is failing, mutations are refused: the server could not
 * acknowledge them anyway, and the queue would grow without bound.  Each
 * mutation first retries the sync, so the store recovers by itself as soon
 * as the disk accepts the queued records again.
 */
int store_check_writable(Store *s, char *err, size_t errlen)
{
    if (!s->failed)
        return 0;
    char why[STORE_ERR_LEN];
    if (store_sync(s, why, sizeof why) == 0)
        return 0;
    store_set_err(err, errlen, "store not writable: %s", why);
    return -1;
}

static int check_length(const char *what, size_t len, size_t max,
                        char *err, size_t errlen)
{
    if (len <= max)
        return 0;
    store_set_err(err, errlen, "%s too long: %zu bytes, the limit is %zu",
                  what, len, max);
    return -1;
}

/* Cuts the queue back to mark bytes (as an offset from the buffer's
 * cursor, which survives the buffer moving). */
void store_cut_queue(Store *s, size_t mark)
{
    buffer_truncate(&s->queued, mark);
}

/* Counts the record just encoded, or, if encoding failed, cuts off the
 * half record it left after mark. */
int store_record_queued(Store *s, int encoded, size_t mark,
                         char *err, size_t errlen)
{
    if (encoded < 0) {
        store_cut_queue(s, mark);
        store_set_err(err, errlen, "out of memory");
        return -1;
    }
    s->records++;
    return 0;
}

int store_put(Store *s, const void *key, size_t klen,
              const void *val, size_t vlen, char *err, size_t errlen)
{
    return store_put_expiring(s, key, klen, val, vlen, STORE_NO_EXPIRY,
                              err, errlen);
}

int store_put_expiring(Store *s, const void *key, size_t klen, const void *val,
                       size_t vlen, long long expire_at, char *err, size_t errlen)
{
    if (check_length("key", klen, s->opt.max_key_len, err, errlen) < 0 ||
        check_length("value", vlen, s->opt.max_value_len, err, errlen) < 0 ||
        store_check_writable(s, err, errlen) < 0)
        return -1;
    /* Already in the past: the key is set and gone at once, as in Redis. */
    if (expire_at != STORE_NO_EXPIRY && expire_at <= store_now_ms())
        return store_delete(s, key, klen, err, errlen) < 0 ? -1 : 0;
    key = klen ? key : "";              /* never hand NULL to memcpy */
    val = vlen ? val : "";
    size_t mark = buffer_pending(&s->queued);
    int encoded = aof_encode_set(&s->queued, key, klen, val, vlen, expire_at);
    if (store_record_queued(s, encoded, mark, err, errlen) < 0)
        return -1;
    if (ht_set(&s->table, key, klen, val, vlen, expire_at) < 0) {
        store_cut_queue(s, mark);             /* withdraw the record */
        s->records--;
        store_set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int store_delete(Store *s, const void *key, size_t klen,
                 char *err, size_t errlen)
{
    if (!store_exists(s, key, klen))
        return 0;                       /* nothing changes: no record */
    if (store_check_writable(s, err, errlen) < 0)
        return -1;
    key = klen ? key : "";
    size_t mark = buffer_pending(&s->queued);
    int encoded = aof_encode_del(&s->queued, key, klen);
    if (store_record_queued(s, encoded, mark, err, errlen) < 0)
        return -1;
    ht_delete(&s->table, key, klen);
    return 1;
}

int store_clear(Store *s, char *err, size_t errlen)
{
    if (store_check_writable(s, err, errlen) < 0)
        return -1;
    size_t mark = buffer_pending(&s->queued);
    int encoded = aof_encode_flushdb(&s->queued);
    if (store_record_queued(s, encoded, mark, err, errlen) < 0)
        return -1;
    /* Frees every entry now: for millions of keys this takes a while
     * (Redis can hand the freeing to a thread, FLUSHDB ASYNC). */
    ht_clear(&s->table);
    return 0;
}

/* ---- reads --------------------------------------------------------------- */

/*
 * Every read goes through here: a key past its expiry is removed at the
 * moment it is found (lazy expiry), so no reader ever sees it.  No record
 * is written for it: the file holds the key's absolute expiry time, and a
 * replay drops it just the same.
 */
bool store_lookup(Store *s, const void *key, size_t klen, HashItem *item)
{
    key = klen ? key : "";
    if (!ht_get(&s->table, key, klen, item))
        return false;
    if (item->expire_at == HT_NO_EXPIRY || item->expire_at > store_now_ms())
        return true;
    ht_delete(&s->table, key, klen);
    return false;
}

bool store_get(Store *s, const void *key, size_t klen,
               const void **val, size_t *vlen)
{
    HashItem item;
    if (!store_lookup(s, key, klen, &item))
        return false;
    *val = item.val;
    *vlen = item.vlen;
    return true;
}

bool store_exists(Store *s, const void *key, size_t klen)
{
    HashItem item;
    return store_lookup(s, key, klen, &item);
}

size_t store_count(const Store *s)
{
    return ht_count(&s->table);
}

typedef struct LiveVisit {
    StoreVisitor visit;
    void        *ctx;
    int64_t      now;
} LiveVisit;

/* Hands the caller's visitor the keys that have not expired. */
static int store_visit_live(void *ctx, const HashItem *item)
{
    const LiveVisit *lv = ctx;
    if (item->expire_at != HT_NO_EXPIRY && item->expire_at <= lv->now)
        return 0;
    return lv->visit(lv->ctx, item->key, item->klen, item->val, item->vlen);
}

int store_foreach(const Store *s, StoreVisitor visit, void *ctx)
{
    LiveVisit lv = { visit, ctx, store_now_ms() };
    return ht_foreach(&s->table, store_visit_live, &lv);
}

size_t store_scan(const Store *s, size_t cursor, StoreVisitor visit, void *ctx)
{
    LiveVisit lv = { visit, ctx, store_now_ms() };
    return ht_scan(&s->table, cursor, store_visit_live, &lv);
}

void store_stats(const Store *s, StoreStats *st)
{
    st->buckets = ht_buckets(&s->table);
    st->rehashing = ht_rehashing(&s->table);
    st->records = s->records;
    st->file_size = (long long)s->file_size;
    st->queued_bytes = buffer_pending(&s->queued);
    st->fsyncs = s->fsyncs;
    st->failed = s->failed;
}

/* ---- reporting, shared by the store's files ------------------------------ */

void store_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Library code never prints: what to do with a warning (log it, count it,
 * ignore it) is the program's choice, made through StoreOptions.warn. */
void store_warn(const StoreOptions *opt, const char *fmt, ...)
{
    if (opt->warn == NULL)
        return;
    char message[STORE_WARN_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    opt->warn(opt->warn_arg, message);
}
