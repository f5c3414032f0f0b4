/*
 * aof_compact.c — rewriting the append-only file as one SET per live key.
 *
 * The file only grows while the server runs; store_close, and store_open
 * when dead records dominate, rewrite it.  The rewrite never leaves a
 * half-written store file, whatever moment a crash picks:
 *
 *     write "<path>.tmp.<pid>", lock it, fsync it
 *     rename it over <path>           (the atomic step)
 *     fsync the directory             (the rename itself is now durable)
 *
 * A crash before the rename leaves the old file and a stale temporary one,
 * which the next store_open removes.
 */
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rio.h"

#define SNAPSHOT_FLUSH      (1024 * 1024)   /* a rewrite writes in pieces this big */
#define TEMP_INFIX          ".tmp."         /* "<path>.tmp.<pid>" */
#define TEMP_INFIX_LEN      (sizeof TEMP_INFIX - 1)
#define PID_DIGITS_MAX      24              /* room for a long in decimal */
/* Compaction at open: when the records outnumber the live keys more than
 * COMPACT_DEAD_RATIO times, and the file is big enough to be worth it. */
#define COMPACT_DEAD_RATIO  2
#define COMPACT_MIN_BYTES   (64 * 1024)
#define MODE_BITS           07777           /* permissions, setuid, sticky */

void (*store_hook_before_rename)(const char *tmp_path);

/* ---- names --------------------------------------------------------------- */

/* The directory part of path ("." if none), malloc'ed. */
static char *directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir != NULL) {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return dir;
}

/* The rewrite's temporary file: "<path>.tmp.<pid>", malloc'ed. */
static char *temp_path(const char *path, long pid)
{
    size_t n = strlen(path) + TEMP_INFIX_LEN + PID_DIGITS_MAX + 1;
    char *tmp = malloc(n);
    if (tmp != NULL)
        snprintf(tmp, n, "%s" TEMP_INFIX "%ld", path, pid);
    return tmp;
}

/* Is name "<base>.tmp.<digits>"? */
static bool is_temp_name(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0 ||
        strncmp(name + n, TEMP_INFIX, TEMP_INFIX_LEN) != 0)
        return false;
    const char *digits = name + n + TEMP_INFIX_LEN;
    if (*digits == '\0')
        return false;
    for (; *digits != '\0'; digits++)
        if (*digits < '0' || *digits > '9')
            return false;
    return true;
}

/*
 * Only called with the lock held: the process that holds the lock is the
 * only one that can be rewriting this store, so any temporary file left
 * over belongs to a process that is gone.
 */
void aof_remove_stale_temp_files(const Store *s)
{
    char *dir = directory_of(s->path);
    DIR *d = dir != NULL ? opendir(dir) : NULL;
    if (d == NULL) {
        free(dir);
        return;
    }
    const char *slash = strrchr(s->path, '/');
    const char *base = slash != NULL ? slash + 1 : s->path;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (!is_temp_name(ent->d_name, base))
            continue;
        size_t n = strlen(dir) + strlen(ent->d_name) + 2;
        char *stale = malloc(n);
        if (stale == NULL)
            break;
        snprintf(stale, n, "%s/%s", dir, ent->d_name);
        store_warn(&s->opt, "removing %s, left over by an interrupted rewrite",
                   stale);
        unlink(stale);
        free(stale);
    }
    closedir(d);
    free(dir);
}

/* ---- writing the snapshot ------------------------------------------------ */

typedef struct SnapshotWriter {
    int    fd;
    Buffer out;
    off_t  size;
    size_t records;                     /* keys written */
    int64_t now;                        /* keys expired by then are left out */
    int    error;                       /* errno of the failure */
} SnapshotWriter;

static int flush_snapshot(SnapshotWriter *w)
{
    size_t n = buffer_pending(&w->out);
    if (n == 0)
        return 0;
    if (rio_write_all(w->fd, w->out.data + w->out.cur, n, NULL) < 0) {
        w->error = errno;
        return -1;
    }
    buffer_consume(&w->out, n);
    w->size += (off_t)n;
    return 0;
}

/* One SET per live key, with its absolute expiry if it has one. */
static int snapshot_key(void *ctx, const HashItem *it)
{
    SnapshotWriter *w = ctx;
    if (it->expire_at != HT_NO_EXPIRY && it->expire_at <= w->now)
        return 0;
    if (aof_encode_set(&w->out, it->key, it->klen, it->val, it->vlen,
                       it->expire_at) < 0) {
        w->error = ENOMEM;
        return -1;
    }
    w->records++;
    return buffer_pending(&w->out) >= SNAPSHOT_FLUSH ? flush_snapshot(w) : 0;
}

/* Fills the locked, empty file w->fd with s's keys and fsyncs it.  0, or
 * -1 with w->error set and *what naming the failed step. */
static int fill_snapshot(const Store *s, SnapshotWriter *w, const char **what)
{
    struct stat st;
    *what = "write";
    /* The rewrite must not change who may read the file. */
    if (fstat(s->fd, &st) == 0 && fchmod(w->fd, st.st_mode & MODE_BITS) < 0) {
        w->error = errno;
        *what = "chmod";
        return -1;
    }
    if (ht_foreach(&s->table, snapshot_key, w) != 0 || flush_snapshot(w) < 0)
        return -1;
    if (fsync(w->fd) < 0) {
        w->error = errno;
        *what = "fsync";
        return -1;
    }
    return 0;
}

/*
 * Writes one SET per live key to a new file at tmp and fsyncs it.  Returns
 * its descriptor (and *size), or -1 with tmp removed.  The file is locked
 * before it is written: once renamed it is the store file, and no other
 * process must be able to take it in between.
 */
static int write_snapshot(const Store *s, const char *tmp, off_t *size,
                          size_t *records, char *err, size_t errlen)
{
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        store_set_err(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    SnapshotWriter w = { fd, BUFFER_EMPTY, 0, 0, store_now_ms(), 0 };
    const char *what;
    int rc = store_lock_file(fd, tmp, err, errlen);
    if (rc == 0 && (rc = fill_snapshot(s, &w, &what)) < 0)
        store_set_err(err, errlen, "cannot %s %s: %s", what, tmp,
                      strerror(w.error));
    buffer_free(&w.out);
    if (rc == 0) {
        *size = w.size;
        *records = w.records;
        return fd;
    }
    close(fd);
    unlink(tmp);
    return -1;
}

/* ---- switching to the new file ------------------------------------------- */

/*
 * rename() changes the directory, not the file: until the directory is
 * fsynced, a crash may bring back the old directory entry, i.e. the old
 * file.  That is still a complete file, but the rewrite is only durable,
 * and store_compact only reports success, once the directory is synced.
 */
static int fsync_directory(const char *path, char *err, size_t errlen)
{
    char *dir = directory_of(path);
    if (dir == NULL) {
        store_set_err(err, errlen, "out of memory");
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 ? -1 : fsync(fd);
    if (rc < 0)
        store_set_err(err, errlen, "cannot fsync directory %s: %s", dir,
                      strerror(errno));
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

/* The new file is the store now: the old one (no longer named) is closed,
 * which also drops our lock on it; the new one was locked before rename. */
static void switch_to(Store *s, int fd, off_t size, size_t records)
{
    struct stat st;
    close(s->fd);
    s->fd = fd;
    if (fstat(fd, &st) == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    s->file_size = size;
    s->records = records;
    /* The snapshot holds every key as it is in memory, queued changes
     * included, and it was fsynced. */
    buffer_consume(&s->queued, buffer_pending(&s->queued));
    buffer_shrink_if_idle(&s->queued, STORE_QUEUE_KEEP);
    s->unsynced = false;
    s->failed = false;
    aof_clock_now(&s->last_fsync);
}

int store_compact(Store *s, char *err, size_t errlen)
{
    char *tmp = temp_path(s->path, (long)getpid());
    if (tmp == NULL) {
        store_set_err(err, errlen, "out of memory");
        return -1;
    }
    off_t size;
    size_t records;
    int fd = write_snapshot(s, tmp, &size, &records, err, errlen);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    if (store_hook_before_rename != NULL)
        store_hook_before_rename(tmp);
    /* The atomic step: the path names the old file, then the new one. */
    if (rename(tmp, s->path) < 0) {
        store_set_err(err, errlen, "cannot rename %s to %s: %s", tmp, s->path,
                      strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    switch_to(s, fd, size, records);
    return fsync_directory(s->path, err, errlen);
}

void aof_compact_if_mostly_dead(Store *s)
{
    if (s->file_size <= COMPACT_MIN_BYTES ||
        s->records <= COMPACT_DEAD_RATIO * ht_count(&s->table))
        return;
    char err[STORE_ERR_LEN];
    if (store_compact(s, err, sizeof err) < 0)
        store_warn(&s->opt, "%s (the file is kept as it is)", err);
}
