/*
 * aof_sync.c — getting the queued records onto the disk: store_sync, the
 * fsync policy (always, everysec, no) and its timer, store_sync_timeout_ms.
 *
 * Group commit: a mutation only queues its record; the server calls
 * store_sync once per event-loop round, before sending any reply, so one
 * write (and, under "always", one fsync) covers every request of the
 * round.  A failed write or fsync puts the store in write error (s->failed)
 * until a retried sync succeeds; store.c refuses mutations meanwhile.
 */
#include "store_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "rio.h"

#define EVERYSEC_MS         1000
#define RETRY_MS            1000        /* retry a failed sync this often */
#define IDLE_REHASH_BUCKETS 100         /* rehash work done by each store_sync */

/* ---- time ---------------------------------------------------------------- */

void aof_clock_now(struct timespec *ts)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
}

/* Milliseconds left until period_ms after since (0 if already past),
 * rounded up so that a caller sleeping that long never wakes up early. */
static long ms_until(const struct timespec *since, long period_ms)
{
    const long long ns_per_s = 1000000000LL, ns_per_ms = 1000000LL;
    struct timespec t;
    aof_clock_now(&t);
    long long elapsed_ns = (long long)(t.tv_sec - since->tv_sec) * ns_per_s
                         + (t.tv_nsec - since->tv_nsec);
    long long left_ns = (long long)period_ms * ns_per_ms - elapsed_ns;
    return left_ns <= 0 ? 0 : (long)((left_ns + ns_per_ms - 1) / ns_per_ms);
}

/* ---- fsync --------------------------------------------------------------- */

/*
 * Flushes the file's data to the disk.  fdatasync skips the metadata not
 * needed to read the data back (the modification time) but, for a file
 * that grew, does flush its new length: for an append-only file it is as
 * safe as fsync and saves a disk write.  It belongs to POSIX's optional
 * Synchronized I/O, which Linux and the BSDs provide; elsewhere, fsync.
 */
static int sync_data(int fd)
{
#if defined(_POSIX_SYNCHRONIZED_IO) && _POSIX_SYNCHRONIZED_IO > 0
    return fdatasync(fd);
#else
    return fsync(fd);
#endif
}

static int do_fsync(Store *s)
{
    if (sync_data(s->fd) < 0)
        return -1;
    s->fsyncs++;
    s->unsynced = false;
    aof_clock_now(&s->last_fsync);
    return 0;
}

/* everysec: one fsync if written data has waited a second or more. */
static int fsync_if_due(Store *s, char *err, size_t errlen)
{
    if (s->opt.fsync != STORE_FSYNC_EVERYSEC || !s->unsynced ||
        ms_until(&s->last_fsync, EVERYSEC_MS) > 0)
        return 0;
    if (do_fsync(s) < 0) {
        /* unsynced stays true: the next store_sync tries again.  (Linux
         * reports a lost write-back once: a retried fsync may succeed even
         * though data were lost.  Databases that cannot accept that crash
         * and recover from their log; for a lab, the error and the refused
         * writes in between are enough.) */
        store_set_err(err, errlen, "cannot fsync %s: %s", s->path,
                      strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- writing the queue --------------------------------------------------- */

/*
 * Appends the queued records.  With the "always" policy they are fsynced
 * too before leaving the queue, so that a failed fsync is handled exactly
 * like a failed write.  On failure the file is cut back to its length
 * before this write: a partly written record left at the end would be
 * followed by the complete records of the next attempt, and the file
 * would then be damaged in the middle.
 */
static int write_queued(Store *s, char *err, size_t errlen)
{
    size_t n = buffer_pending(&s->queued);
    if (n == 0)
        return 0;
    const char *what = "write";
    int rc = rio_write_all(s->fd, s->queued.data + s->queued.cur, n, NULL) < 0
             ? -1 : 0;
    if (rc == 0 && s->opt.fsync == STORE_FSYNC_ALWAYS) {
        what = "fsync";
        rc = do_fsync(s);
    }
    if (rc < 0) {
        int e = errno;
        if (ftruncate(s->fd, s->file_size) < 0) {
            /* Retried before the next write: repair_after_failure. */
        }
        store_set_err(err, errlen, "cannot %s %s: %s", what, s->path, strerror(e));
        return -1;
    }
    s->file_size += (off_t)n;
    buffer_consume(&s->queued, n);
    buffer_shrink_if_idle(&s->queued, STORE_QUEUE_KEEP);
    if (s->opt.fsync != STORE_FSYNC_ALWAYS)
        s->unsynced = true;
    return 0;
}

/* A failed sync may have left a partial record if even its ftruncate
 * failed; cut the file back before writing after it. */
static int repair_after_failure(Store *s, char *err, size_t errlen)
{
    if (!s->failed || ftruncate(s->fd, s->file_size) == 0)
        return 0;
    store_set_err(err, errlen, "cannot truncate %s: %s", s->path, strerror(errno));
    return -1;
}

/* ---- the public side ----------------------------------------------------- */

int store_sync(Store *s, char *err, size_t errlen)
{
    ht_rehash_some(&s->table, IDLE_REHASH_BUCKETS);
    if (repair_after_failure(s, err, errlen) < 0 ||
        write_queued(s, err, errlen) < 0 || fsync_if_due(s, err, errlen) < 0) {
        s->failed = true;
        aof_clock_now(&s->last_failure);
        return -1;
    }
    s->failed = false;
    return 0;
}

long store_sync_timeout_ms(const Store *s)
{
    if (s->failed)
        return ms_until(&s->last_failure, RETRY_MS);
    if (buffer_pending(&s->queued) > 0)
        return 0;
    if (s->opt.fsync != STORE_FSYNC_EVERYSEC || !s->unsynced)
        return -1;
    return ms_until(&s->last_fsync, EVERYSEC_MS);
}

/* Writes the queue and fsyncs, whatever the policy: nothing will do it
 * after close. */
int aof_sync_for_close(Store *s, char *err, size_t errlen)
{
    if (store_sync(s, err, errlen) < 0)
        return -1;
    if (s->unsynced && do_fsync(s) < 0) {
        store_set_err(err, errlen, "cannot fsync %s: %s", s->path,
                      strerror(errno));
        return -1;
    }
    return 0;
}
