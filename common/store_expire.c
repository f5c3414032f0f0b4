/*
 * store_expire.c — keys with a time to live: the clock, the mutations that
 * set or remove an expiry (each one record in the file, with an absolute
 * time), and active expiry, run by an event loop's timer.
 *
 * Lazy expiry (store.c's store_lookup) alone would be correct, but a key
 * that nobody reads again would hold its memory forever.  Active expiry
 * walks the table with the SCAN cursor, a few buckets at a time, removing
 * keys that are due, as Redis's activeExpireCycle does: every
 * STORE_EXPIRE_PERIOD_MS it examines a sample of keys with an expiry, and
 * goes on with another sample while more than a tenth of them were
 * expired, but never for more than STORE_EXPIRE_BUDGET_MS: a store full
 * of expired keys is emptied over several rounds rather than in one stall
 * that would keep every client waiting.
 */
#include "store_internal.h"

#include <time.h>

/* One sample: at most this many keys with an expiry, at most this many
 * buckets visited (a sparse table must not make one sample long). */
#define SAMPLE_KEYS        20
#define SAMPLE_BUCKETS     (SAMPLE_KEYS * 20)
/* Another sample in the same cycle while more than 1 in STALE_RATIO of
 * the keys examined had expired. */
#define STALE_RATIO        10
/* Look at the clock once every this many samples. */
#define SAMPLES_PER_CLOCK  16

#define MS_PER_S  1000LL
#define NS_PER_MS 1000000LL

long long (*store_hook_now_ms)(void);

long long store_now_ms(void)
{
    if (store_hook_now_ms != NULL)
        return store_hook_now_ms();
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

size_t store_count_expiring(const Store *s)
{
    return ht_expiring(&s->table);
}

bool store_get_expiry(Store *s, const void *key, size_t klen, long long *expire_at)
{
    HashItem item;
    if (!store_lookup(s, key, klen, &item))
        return false;
    *expire_at = item.expire_at;
    return true;
}

/* ---- the mutations ------------------------------------------------------- */

int store_expire_at(Store *s, const void *key, size_t klen, long long expire_at,
                    char *err, size_t errlen)
{
    if (!store_exists(s, key, klen))
        return 0;
    if (expire_at <= store_now_ms())    /* already due: the key goes now */
        return store_delete(s, key, klen, err, errlen);
    if (store_check_writable(s, err, errlen) < 0)
        return -1;
    key = klen ? key : "";
    size_t mark = buffer_pending(&s->queued);
    int encoded = aof_encode_pexpireat(&s->queued, key, klen, expire_at);
    if (store_record_queued(s, encoded, mark, err, errlen) < 0)
        return -1;
    if (ht_set_expiry(&s->table, key, klen, expire_at) < 0) {
        store_cut_queue(s, mark);       /* withdraw the record */
        s->records--;
        store_set_err(err, errlen, "out of memory");
        return -1;
    }
    return 1;
}

int store_persist(Store *s, const void *key, size_t klen, char *err, size_t errlen)
{
    long long expire_at;
    if (!store_get_expiry(s, key, klen, &expire_at) || expire_at == STORE_NO_EXPIRY)
        return 0;
    if (store_check_writable(s, err, errlen) < 0)
        return -1;
    key = klen ? key : "";
    size_t mark = buffer_pending(&s->queued);
    int encoded = aof_encode_persist(&s->queued, key, klen);
    if (store_record_queued(s, encoded, mark, err, errlen) < 0)
        return -1;
    if (ht_set_expiry(&s->table, key, klen, HT_NO_EXPIRY) < 0) {
        store_cut_queue(s, mark);
        s->records--;
        store_set_err(err, errlen, "out of memory");
        return -1;
    }
    return 1;
}

/* ---- active expiry ------------------------------------------------------- */

static long long elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    aof_clock_now(&now);
    return (long long)(now.tv_sec - since->tv_sec) * MS_PER_S +
           (now.tv_nsec - since->tv_nsec) / NS_PER_MS;
}

long store_expire_timeout_ms(const Store *s)
{
    if (ht_expiring(&s->table) == 0)
        return -1;
    long long left = STORE_EXPIRE_PERIOD_MS - elapsed_ms(&s->last_expire_cycle);
    return left > 0 ? (long)left : 0;
}

long store_timeout_ms(const Store *s)
{
    long sync = store_sync_timeout_ms(s), expire = store_expire_timeout_ms(s);
    if (sync < 0 || (expire >= 0 && expire < sync))
        return expire;
    return sync;
}

/* No record: the file holds each key's absolute expiry, and replay drops
 * the keys already due (see store_lookup). */
void store_expire_cycle(Store *s)
{
    if (store_expire_timeout_ms(s) != 0)
        return;
    aof_clock_now(&s->last_expire_cycle);
    long long now = store_now_ms();
    for (unsigned samples = 1; ht_expiring(&s->table) > 0; samples++) {
        size_t seen;
        size_t removed = ht_expire_some(&s->table, &s->expire_cursor, now,
                                        SAMPLE_BUCKETS, SAMPLE_KEYS, &seen);
        if (removed * STALE_RATIO <= seen)
            break;                      /* few stale keys left: enough */
        if (samples % SAMPLES_PER_CLOCK == 0 &&
            elapsed_ms(&s->last_expire_cycle) >= STORE_EXPIRE_BUDGET_MS)
            break;                      /* the rest at the next cycle */
    }
}
