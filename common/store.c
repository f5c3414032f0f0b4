/*
 * store.c — the persistent key-value store described in store.h: a hash
 * table in memory (hashtable.c) and an append-only file on disk.
 *
 * The file is a sequence of records, each the multibulk request that
 * performed a mutation: SET key value, DEL key, FLUSHDB.  Replaying the
 * records in order rebuilds the table.  The file always ends with a
 * complete record, except after a crash in the middle of a write, which
 * store_open repairs by cutting the incomplete record off.
 *
 * Order of a mutation: the record is queued first, then the table changed;
 * if the table cannot change (out of memory) the record is withdrawn, so
 * memory and file never disagree.  store_sync writes the queue.
 */
#include "store.h"
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "hashtable.h"
#include "protocol.h"
#include "reply.h"
#include "siphash.h"

#define DEFAULT_MAX_LEN     (512u * 1024 * 1024)
#define READ_CHUNK          (64 * 1024)      /* replay reads this much at once */
#define SNAPSHOT_FLUSH      (1024 * 1024)    /* a rewrite writes in pieces this big */
#define QUEUE_KEEP          (1024 * 1024)    /* queue memory kept between syncs */
#define IDLE_REHASH_BUCKETS 100              /* rehash work done by each store_sync */
#define EVERYSEC_MS         1000
#define RETRY_MS            1000             /* retry a failed sync this often */
/* Compaction at open: when the records outnumber the live keys more than
 * COMPACT_DEAD_RATIO times, and the file is big enough to be worth it. */
#define COMPACT_DEAD_RATIO  2
#define COMPACT_MIN_BYTES   (64 * 1024)

struct Store {
    HashTable    table;
    StoreOptions opt;
    char        *path;
    int          fd;             /* O_APPEND, locked */
    dev_t        dev;            /* identity of the open file, see open_stores */
    ino_t        ino;
    Store       *next_open;
    Buffer       queued;         /* records not yet written */
    off_t        file_size;      /* the file ends here, after a complete record */
    size_t       records;        /* records in the file and in the queue */
    bool         unsynced;       /* written, not yet fsynced (everysec, no) */
    struct timespec last_fsync;  /* CLOCK_MONOTONIC */
    bool         failed;         /* a sync failed; no mutation until one succeeds */
    struct timespec last_failure;
    unsigned long fsyncs;
};

void (*store_hook_before_rename)(const char *tmp_path);

/* ---- small helpers ----------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void now(struct timespec *ts)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
}

/* Milliseconds left until period_ms after since (0 if already past),
 * rounded up so that a caller sleeping that long never wakes up early. */
static long ms_until(const struct timespec *since, long period_ms)
{
    struct timespec t;
    now(&t);
    long long elapsed_ns = (long long)(t.tv_sec - since->tv_sec) * 1000000000LL
                         + (t.tv_nsec - since->tv_nsec);
    long long left_ns = (long long)period_ms * 1000000LL - elapsed_ns;
    return left_ns <= 0 ? 0 : (long)((left_ns + 999999) / 1000000);
}

/* write() until all n bytes are out.  A write to a regular file may write
 * fewer bytes than asked (the disk filled up, a size limit, a signal): the
 * rest must be written by another call.  EINTR means nothing was written. */
static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        if (w == 0) {                   /* never for a regular file, but a */
            errno = EIO;                /* loop that cannot end is worse   */
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

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

/* ---- options ----------------------------------------------------------- */

void store_options_default(StoreOptions *o)
{
    o->fsync = STORE_FSYNC_EVERYSEC;
    o->max_key_len = DEFAULT_MAX_LEN;
    o->max_value_len = DEFAULT_MAX_LEN;
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
        set_err(err, errlen, "unknown fsync policy %d", (int)o->fsync);
        return -1;
    }
    /* A record must be readable back: the parser refuses longer arguments. */
    if (o->max_key_len > (size_t)PROTO_MAX_BULK ||
        o->max_value_len > (size_t)PROTO_MAX_BULK) {
        set_err(err, errlen, "key and value limits must be at most %ld bytes, "
                "the longest argument the file can hold", PROTO_MAX_BULK);
        return -1;
    }
    return 0;
}

/* ---- the hash key ------------------------------------------------------ */

static uint8_t hash_seed[SIPHASH_KEY_LEN];
static bool hash_seed_ready;

static int read_urandom(uint8_t *out, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, out + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

/* A poor substitute for randomness: whoever knows roughly when the server
 * started and its pid can guess it.  Only used if /dev/urandom fails. */
static void seed_from_time_and_pid(uint8_t out[SIPHASH_KEY_LEN])
{
    struct {
        struct timespec real, mono;
        long pid;
        const void *stack;
    } material;
    memset(&material, 0, sizeof material);
    clock_gettime(CLOCK_REALTIME, &material.real);
    clock_gettime(CLOCK_MONOTONIC, &material.mono);
    material.pid = (long)getpid();
    material.stack = &material;         /* varies with address randomization */
    static const uint8_t k0[SIPHASH_KEY_LEN] = { 1 }, k1[SIPHASH_KEY_LEN] = { 2 };
    uint64_t h0 = siphash13(&material, sizeof material, k0);
    uint64_t h1 = siphash13(&material, sizeof material, k1);
    memcpy(out, &h0, 8);
    memcpy(out + 8, &h1, 8);
}

/* Draws the process's hash key once: every table of the process uses it. */
static void init_hash_seed(void)
{
    if (hash_seed_ready)
        return;
    if (read_urandom(hash_seed, sizeof hash_seed) < 0) {
        fprintf(stderr, "store: cannot read /dev/urandom (%s); the hash key is "
                "made from the time and pid instead, which is guessable\n",
                strerror(errno));
        seed_from_time_and_pid(hash_seed);
    }
    hash_seed_ready = true;
}

/* ---- opening and locking the file -------------------------------------- */

/*
 * POSIX record locks belong to a process, not to a descriptor: a second
 * open of the file by this same process would be granted the lock again,
 * and closing either descriptor would release it for both.  So the stores
 * open in this process are remembered here, and a second open of the same
 * file (same device and inode) is refused before anything is opened.
 */
static Store *open_stores;

static bool open_in_this_process(dev_t dev, ino_t ino)
{
    for (const Store *s = open_stores; s != NULL; s = s->next_open)
        if (s->dev == dev && s->ino == ino)
            return true;
    return false;
}

static void forget_open_store(Store *s)
{
    for (Store **link = &open_stores; *link != NULL; link = &(*link)->next_open) {
        if (*link == s) {
            *link = s->next_open;
            return;
        }
    }
}

/* Takes a write lock on the whole file, without waiting. */
static int lock_file(int fd, const char *path, char *err, size_t errlen)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                        .l_start = 0, .l_len = 0 };
    if (fcntl(fd, F_SETLK, &fl) == 0)
        return 0;
    int e = errno;
    struct flock holder = fl;
    if ((e == EACCES || e == EAGAIN) && fcntl(fd, F_GETLK, &holder) == 0 &&
        holder.l_type != F_UNLCK)
        set_err(err, errlen, "cannot lock %s: %s (process %ld has it open: "
                "is another server using this file?)", path, strerror(e),
                (long)holder.l_pid);
    else
        set_err(err, errlen, "cannot lock %s: %s", path, strerror(e));
    return -1;
}

/* Does path still name the file (dev, ino)? */
static bool path_names(const char *path, dev_t dev, ino_t ino)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/*
 * Opens and locks the store file.  Between our open() and our lock, the
 * process that held the lock may have renamed a rewritten file over the
 * path: we would then hold the lock of a file that no longer has a name.
 * So after locking we check that the path still names our file, and start
 * again if not.
 */
static int open_locked(Store *s, char *err, size_t errlen)
{
    struct stat st;
    if (stat(s->path, &st) == 0 && open_in_this_process(st.st_dev, st.st_ino)) {
        set_err(err, errlen, "cannot lock %s: it is already open in this process",
                s->path);
        return -1;
    }
    for (int attempt = 0; attempt < 10; attempt++) {
        int fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            set_err(err, errlen, "cannot open %s: %s", s->path, strerror(errno));
            return -1;
        }
        if (fstat(fd, &st) < 0) {
            set_err(err, errlen, "cannot stat %s: %s", s->path, strerror(errno));
            close(fd);
            return -1;
        }
        if (lock_file(fd, s->path, err, errlen) < 0) {
            close(fd);
            return -1;
        }
        if (path_names(s->path, st.st_dev, st.st_ino)) {
            s->fd = fd;
            s->dev = st.st_dev;
            s->ino = st.st_ino;
            return 0;
        }
        close(fd);
    }
    set_err(err, errlen, "cannot open %s: it keeps being replaced", s->path);
    return -1;
}

/* The rewrite's temporary file: "<path>.tmp.<pid>", malloc'ed. */
static char *temp_path(const char *path, long pid)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (tmp != NULL)
        snprintf(tmp, n, "%s.tmp.%ld", path, pid);
    return tmp;
}

/* Is name "<base>.tmp.<digits>"? */
static bool is_temp_name(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0 || strncmp(name + n, ".tmp.", 5) != 0)
        return false;
    const char *digits = name + n + 5;
    if (*digits == '\0')
        return false;
    for (; *digits != '\0'; digits++)
        if (*digits < '0' || *digits > '9')
            return false;
    return true;
}

/*
 * Removes the temporary files of rewrites that died before their rename.
 * Only called with the lock held: the process that holds the lock is the
 * only one that can be rewriting this store, so any temporary file left
 * over belongs to a process that is gone.
 */
static void remove_stale_temp_files(const Store *s)
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
        fprintf(stderr, "store: removing %s, left over by an interrupted rewrite\n",
                stale);
        unlink(stale);
        free(stale);
    }
    closedir(d);
    free(dir);
}

/* ---- replaying the file ------------------------------------------------ */

static bool arg_equals(const char *base, const ArgSpan *a, const char *word)
{
    size_t n = strlen(word);
    return a->len == n && strncasecmp(base + a->off, word, n) == 0;
}

/* Copies at most 32 bytes of an argument for an error message, printable
 * characters only. */
static void printable(char *out, size_t outlen, const char *p, size_t n)
{
    size_t i = 0;
    for (; i < n && i < 32 && i + 1 < outlen; i++)
        out[i] = p[i] >= ' ' && p[i] <= '~' ? p[i] : '?';
    out[i] = '\0';
}

/* Applies one record to the table.  0, or -1 with why set. */
static int apply_record(Store *s, const RequestParser *p, const char *base,
                        char *why, size_t whylen)
{
    if (p->argc == 0) {
        set_err(why, whylen, "empty request");
        return -1;
    }
    /* The parser skips the two bytes after an argument without looking (as
     * Redis does); in a file they must be "\r\n", or a length is wrong. */
    for (size_t i = 0; i < p->argc; i++) {
        const char *end = base + p->args[i].off + p->args[i].len;
        if (end[0] != '\r' || end[1] != '\n') {
            set_err(why, whylen, "argument %zu is not followed by CRLF", i + 1);
            return -1;
        }
    }
    const ArgSpan *a = p->args;
    if (arg_equals(base, &a[0], "SET") && p->argc == 3) {
        if (ht_set(&s->table, base + a[1].off, a[1].len,
                   base + a[2].off, a[2].len) < 0) {
            set_err(why, whylen, "out of memory");
            return -1;
        }
    } else if (arg_equals(base, &a[0], "DEL") && p->argc >= 2) {
        for (size_t i = 1; i < p->argc; i++)
            ht_delete(&s->table, base + a[i].off, a[i].len);
    } else if (arg_equals(base, &a[0], "FLUSHDB") && p->argc == 1) {
        ht_clear(&s->table);
    } else {
        char name[33];
        printable(name, sizeof name, base + a[0].off, a[0].len);
        bool known = arg_equals(base, &a[0], "SET") ||
                     arg_equals(base, &a[0], "DEL") ||
                     arg_equals(base, &a[0], "FLUSHDB");
        set_err(why, whylen, known ? "wrong number of arguments for '%s'"
                                   : "unknown command '%s'", name);
        return -1;
    }
    return 0;
}

/* Reads a "<type><digits>\r\n" header at *i, its number at most max.
 * 1: complete (value set), 0: the bytes end inside it, -1: not such a
 * header. */
static int prefix_header(const char *p, size_t n, size_t *i, char type,
                         long long max, long long *value)
{
    if (*i >= n)
        return 0;
    if (p[(*i)++] != type)
        return -1;
    long long v = 0;
    int digits = 0;
    for (; *i < n && p[*i] >= '0' && p[*i] <= '9'; (*i)++, digits++) {
        v = v * 10 + (p[*i] - '0');
        if (v > max)
            return -1;
    }
    if (*i >= n)
        return 0;
    if (digits == 0 || p[(*i)++] != '\r')
        return -1;
    if (*i >= n)
        return 0;
    if (p[(*i)++] != '\n')
        return -1;
    *value = v;
    return 1;
}

/*
 * Is the tail of the file (bytes the parser found incomplete) the
 * beginning of a well-formed record, as a crash in the middle of a write
 * leaves?  If not, the end of the file is damaged, and cutting it off
 * could throw away more than one interrupted write.
 */
static bool is_record_prefix(const char *p, size_t n)
{
    size_t i = 0;
    long long argc, len;
    int r = prefix_header(p, n, &i, '*', PROTO_MAX_ARGS, &argc);
    if (r <= 0)
        return r == 0;
    for (long long k = 0; k < argc; k++) {
        r = prefix_header(p, n, &i, '$', PROTO_MAX_BULK, &len);
        if (r <= 0)
            return r == 0;
        if ((unsigned long long)len >= n - i)
            return true;                /* ends inside the argument */
        i += (size_t)len;
        if (p[i++] != '\r')
            return false;
        if (i == n)
            return true;
        if (p[i++] != '\n')
            return false;
        if (i == n)
            return k + 1 < argc;        /* a complete record is not a tail */
    }
    return false;
}

/* The file ends with an incomplete record at offset: cut it off, with one
 * warning, if it looks like an interrupted write; refuse otherwise. */
static int drop_incomplete_tail(Store *s, const Buffer *in, off_t offset,
                                char *err, size_t errlen)
{
    if (!is_record_prefix(in->data + in->cur, buffer_pending(in))) {
        set_err(err, errlen, "%s: bad record at byte %lld: damaged, and the "
                "file ends inside it", s->path, (long long)offset);
        return -1;
    }
    fprintf(stderr, "store: %s: dropping incomplete record at byte %lld "
            "(crash during a write?)\n", s->path, (long long)offset);
    if (ftruncate(s->fd, offset) < 0) {
        set_err(err, errlen, "cannot truncate %s: %s", s->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Reads the next chunk of the file into in.  Bytes read, 0 at the end. */
static ssize_t read_chunk(Store *s, Buffer *in, char *err, size_t errlen)
{
    if (buffer_reserve(in, READ_CHUNK) < 0) {
        set_err(err, errlen, "cannot read %s: out of memory", s->path);
        return -1;
    }
    for (;;) {
        ssize_t n = read(s->fd, in->data + in->end, in->size - in->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            set_err(err, errlen, "cannot read %s: %s", s->path, strerror(errno));
        else
            buffer_commit(in, (size_t)n);
        return n;
    }
}

/*
 * Replays the file record by record.  It is read in chunks into a buffer
 * that keeps the record being parsed, so memory holds one record and one
 * chunk, never the whole file.  The parser is fed everything received of
 * the current record and says "need more" until it is complete.
 */
static int replay(Store *s, char *err, size_t errlen)
{
    Buffer in = BUFFER_EMPTY;
    RequestParser p;
    parser_init(&p);
    off_t offset = 0;                   /* file offset of in's first pending byte */
    bool at_end = false;
    int rc = 0;
    char why[STORE_ERR_LEN];

    for (;;) {
        ParseResult r = PARSE_INCOMPLETE;
        size_t pending = buffer_pending(&in);
        char *start = pending > 0 ? in.data + in.cur : NULL;
        if (pending > 0 && p.kind == PARSER_IDLE && start[0] != '*') {
            /* We only ever write multibulk requests. */
            set_err(why, sizeof why, "expected '*', got byte 0x%02x",
                    (unsigned char)start[0]);
            r = PARSE_ERROR;
        } else if (pending > 0) {
            r = parser_feed(&p, start, pending, &protocol_default_limits);
            if (r == PARSE_ERROR)
                set_err(why, sizeof why, "%s", p.error);
        }
        if (r == PARSE_REQUEST && apply_record(s, &p, start, why, sizeof why) < 0)
            r = PARSE_ERROR;
        if (r == PARSE_ERROR) {
            set_err(err, errlen, "%s: bad record at byte %lld: %s", s->path,
                    (long long)offset, why);
            rc = -1;
            break;
        }
        if (r == PARSE_REQUEST) {
            s->records++;
            offset += (off_t)p.request_len;
            buffer_consume(&in, p.request_len);
            parser_reset(&p);
            continue;
        }
        if (at_end) {
            if (pending > 0)
                rc = drop_incomplete_tail(s, &in, offset, err, errlen);
            break;
        }
        ssize_t n = read_chunk(s, &in, err, errlen);
        if (n < 0) {
            rc = -1;
            break;
        }
        at_end = n == 0;
    }
    s->file_size = offset;
    buffer_free(&in);
    parser_free(&p);
    return rc;
}

/* ---- writing ----------------------------------------------------------- */

static int do_fsync(Store *s)
{
    if (sync_data(s->fd) < 0)
        return -1;
    s->fsyncs++;
    s->unsynced = false;
    now(&s->last_fsync);
    return 0;
}

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
    int rc = write_all(s->fd, s->queued.data + s->queued.cur, n);
    if (rc == 0 && s->opt.fsync == STORE_FSYNC_ALWAYS) {
        what = "fsync";
        rc = do_fsync(s);
    }
    if (rc < 0) {
        int e = errno;
        if (ftruncate(s->fd, s->file_size) < 0) {
            /* Retried before the next write: repair_after_failure. */
        }
        set_err(err, errlen, "cannot %s %s: %s", what, s->path, strerror(e));
        return -1;
    }
    s->file_size += (off_t)n;
    buffer_consume(&s->queued, n);
    buffer_shrink_if_idle(&s->queued, QUEUE_KEEP);
    if (s->opt.fsync != STORE_FSYNC_ALWAYS)
        s->unsynced = true;
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
        set_err(err, errlen, "cannot fsync %s: %s", s->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* A failed sync may have left a partial record if even its ftruncate
 * failed; cut the file back before writing after it. */
static int repair_after_failure(Store *s, char *err, size_t errlen)
{
    if (!s->failed || ftruncate(s->fd, s->file_size) == 0)
        return 0;
    set_err(err, errlen, "cannot truncate %s: %s", s->path, strerror(errno));
    return -1;
}

int store_sync(Store *s, char *err, size_t errlen)
{
    ht_rehash_some(&s->table, IDLE_REHASH_BUCKETS);
    if (repair_after_failure(s, err, errlen) < 0 ||
        write_queued(s, err, errlen) < 0 || fsync_if_due(s, err, errlen) < 0) {
        s->failed = true;
        now(&s->last_failure);
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

/* ---- mutations --------------------------------------------------------- */

/*
 * While a sync is failing, mutations are refused: the server could not
 * acknowledge them anyway, and the queue would grow without bound.  Each
 * mutation first retries the sync, so the store recovers by itself as soon
 * as the disk accepts the queued records again.
 */
static int check_writable(Store *s, char *err, size_t errlen)
{
    if (!s->failed)
        return 0;
    char why[STORE_ERR_LEN];
    if (store_sync(s, why, sizeof why) == 0)
        return 0;
    set_err(err, errlen, "store not writable: %s", why);
    return -1;
}

static int check_length(const char *what, size_t len, size_t max,
                        char *err, size_t errlen)
{
    if (len <= max)
        return 0;
    set_err(err, errlen, "%s too long: %zu bytes, the limit is %zu",
            what, len, max);
    return -1;
}

/* Queues one record; *mark remembers where it starts (as an offset from
 * the buffer's cursor, which survives the buffer moving). */
static int queue_record(Store *s, size_t argc, const char *const *argv,
                        const size_t *lens, size_t *mark,
                        char *err, size_t errlen)
{
    *mark = buffer_pending(&s->queued);
    if (encode_command(&s->queued, argc, argv, lens) < 0) {
        s->queued.end = s->queued.cur + *mark;     /* drop the half record */
        set_err(err, errlen, "out of memory");
        return -1;
    }
    s->records++;
    return 0;
}

static void withdraw_record(Store *s, size_t mark)
{
    s->queued.end = s->queued.cur + mark;
    s->records--;
}

int store_put(Store *s, const void *key, size_t klen,
              const void *val, size_t vlen, char *err, size_t errlen)
{
    if (check_length("key", klen, s->opt.max_key_len, err, errlen) < 0 ||
        check_length("value", vlen, s->opt.max_value_len, err, errlen) < 0 ||
        check_writable(s, err, errlen) < 0)
        return -1;
    const char *argv[] = { "SET", klen ? key : "", vlen ? val : "" };
    size_t lens[] = { 3, klen, vlen };
    size_t mark;
    if (queue_record(s, 3, argv, lens, &mark, err, errlen) < 0)
        return -1;
    if (ht_set(&s->table, argv[1], klen, argv[2], vlen) < 0) {
        withdraw_record(s, mark);
        set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

bool store_get(const Store *s, const void *key, size_t klen,
               const void **val, size_t *vlen)
{
    return ht_get(&s->table, klen ? key : "", klen, val, vlen);
}

bool store_exists(const Store *s, const void *key, size_t klen)
{
    const void *val;
    size_t vlen;
    return store_get(s, key, klen, &val, &vlen);
}

int store_delete(Store *s, const void *key, size_t klen,
                 char *err, size_t errlen)
{
    if (!store_exists(s, key, klen))
        return 0;                       /* nothing changes: no record */
    if (check_writable(s, err, errlen) < 0)
        return -1;
    const char *argv[] = { "DEL", klen ? key : "" };
    size_t lens[] = { 3, klen };
    size_t mark;
    if (queue_record(s, 2, argv, lens, &mark, err, errlen) < 0)
        return -1;
    ht_delete(&s->table, argv[1], klen);
    return 1;
}

int store_clear(Store *s, char *err, size_t errlen)
{
    if (check_writable(s, err, errlen) < 0)
        return -1;
    const char *argv[] = { "FLUSHDB" };
    size_t lens[] = { 7 };
    size_t mark;
    if (queue_record(s, 1, argv, lens, &mark, err, errlen) < 0)
        return -1;
    /* Frees every entry now: for millions of keys this takes a while
     * (Redis can hand the freeing to a thread, FLUSHDB ASYNC). */
    ht_clear(&s->table);
    return 0;
}

size_t store_count(const Store *s)
{
    return ht_count(&s->table);
}

int store_foreach(const Store *s, StoreVisitor visit, void *ctx)
{
    return ht_foreach(&s->table, visit, ctx);
}

/* ---- compaction -------------------------------------------------------- */

typedef struct SnapshotWriter {
    int    fd;
    Buffer out;
    off_t  size;
    int    error;                       /* errno of the failure */
} SnapshotWriter;

static int flush_snapshot(SnapshotWriter *w)
{
    size_t n = buffer_pending(&w->out);
    if (n == 0)
        return 0;
    if (write_all(w->fd, w->out.data + w->out.cur, n) < 0) {
        w->error = errno;
        return -1;
    }
    buffer_consume(&w->out, n);
    w->size += (off_t)n;
    return 0;
}

static int snapshot_key(void *ctx, const void *key, size_t klen,
                        const void *val, size_t vlen)
{
    SnapshotWriter *w = ctx;
    const char *argv[] = { "SET", key, val };
    size_t lens[] = { 3, klen, vlen };
    if (encode_command(&w->out, 3, argv, lens) < 0) {
        w->error = ENOMEM;
        return -1;
    }
    return buffer_pending(&w->out) >= SNAPSHOT_FLUSH ? flush_snapshot(w) : 0;
}

/*
 * Writes one SET per live key to a new file at tmp and fsyncs it.  Returns
 * its descriptor (and *size), or -1 with tmp removed.  The file is locked
 * before it is written: once renamed it is the store file, and no other
 * process must be able to take it in between.
 */
static int write_snapshot(Store *s, const char *tmp, off_t *size,
                          char *err, size_t errlen)
{
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        set_err(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    SnapshotWriter w = { fd, BUFFER_EMPTY, 0, 0 };
    struct stat st;
    const char *what = "write";
    if (lock_file(fd, tmp, err, errlen) < 0)
        goto failed_locked;
    /* The rewrite must not change who may read the file. */
    if (fstat(s->fd, &st) == 0 && fchmod(fd, st.st_mode & 07777) < 0) {
        w.error = errno;
        what = "chmod";
    }
    if (w.error == 0 && ht_foreach(&s->table, snapshot_key, &w) == 0)
        flush_snapshot(&w);
    if (w.error == 0 && fsync(fd) < 0) {
        w.error = errno;
        what = "fsync";
    }
    buffer_free(&w.out);
    if (w.error == 0) {
        *size = w.size;
        return fd;
    }
    set_err(err, errlen, "cannot %s %s: %s", what, tmp, strerror(w.error));
failed_locked:
    buffer_free(&w.out);
    close(fd);
    unlink(tmp);
    return -1;
}

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
        set_err(err, errlen, "out of memory");
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 ? -1 : fsync(fd);
    if (rc < 0)
        set_err(err, errlen, "cannot fsync directory %s: %s", dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

/* The new file is the store now: the old one (no longer named) is closed,
 * which also drops our lock on it; the new one was locked before rename. */
static void switch_to(Store *s, int fd, off_t size)
{
    struct stat st;
    close(s->fd);
    s->fd = fd;
    if (fstat(fd, &st) == 0) {
        s->dev = st.st_dev;
        s->ino = st.st_ino;
    }
    s->file_size = size;
    s->records = ht_count(&s->table);
    /* The snapshot holds every key as it is in memory, queued changes
     * included, and it was fsynced. */
    buffer_consume(&s->queued, buffer_pending(&s->queued));
    buffer_shrink_if_idle(&s->queued, QUEUE_KEEP);
    s->unsynced = false;
    s->failed = false;
    now(&s->last_fsync);
}

int store_compact(Store *s, char *err, size_t errlen)
{
    char *tmp = temp_path(s->path, (long)getpid());
    if (tmp == NULL) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    off_t size;
    int fd = write_snapshot(s, tmp, &size, err, errlen);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    if (store_hook_before_rename != NULL)
        store_hook_before_rename(tmp);
    /* The atomic step: the path names the old file, then the new one. */
    if (rename(tmp, s->path) < 0) {
        set_err(err, errlen, "cannot rename %s to %s: %s", tmp, s->path,
                strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    switch_to(s, fd, size);
    return fsync_directory(s->path, err, errlen);
}

/* The rule documented in store.h: rewrite at open when dead records
 * dominate.  A failure is not fatal: the old file is intact and usable. */
static void compact_if_mostly_dead(Store *s)
{
    if (s->file_size <= COMPACT_MIN_BYTES ||
        s->records <= COMPACT_DEAD_RATIO * store_count(s))
        return;
    char err[STORE_ERR_LEN];
    if (store_compact(s, err, sizeof err) < 0)
        fprintf(stderr, "store: %s (the file is kept as it is)\n", err);
}

/* ---- open, close, statistics ------------------------------------------- */

static void store_free(Store *s)
{
    forget_open_store(s);
    if (s->fd >= 0)
        close(s->fd);
    ht_clear(&s->table);
    buffer_free(&s->queued);
    free(s->path);
    free(s);
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
    init_hash_seed();

    Store *s = calloc(1, sizeof *s);
    char *copy = strdup(path);
    if (s == NULL || copy == NULL) {
        set_err(err, errlen, "out of memory");
        free(s);
        free(copy);
        return NULL;
    }
    s->fd = -1;
    s->path = copy;
    s->opt = *opt;
    s->queued = BUFFER_EMPTY;
    ht_init(&s->table, hash_seed);
    if (open_locked(s, err, errlen) < 0 || replay(s, err, errlen) < 0) {
        store_free(s);
        return NULL;
    }
    remove_stale_temp_files(s);
    s->next_open = open_stores;
    open_stores = s;
    now(&s->last_fsync);
    compact_if_mostly_dead(s);
    return s;
}

/* Writes the queue and fsyncs, whatever the policy: nothing will do it
 * after close. */
static int flush_for_close(Store *s, char *err, size_t errlen)
{
    if (store_sync(s, err, errlen) < 0)
        return -1;
    if (s->unsynced && do_fsync(s) < 0) {
        set_err(err, errlen, "cannot fsync %s: %s", s->path, strerror(errno));
        return -1;
    }
    return 0;
}

int store_close(Store *s, char *err, size_t errlen)
{
    if (s == NULL)
        return 0;
    char flush_err[STORE_ERR_LEN];
    int rc = flush_for_close(s, flush_err, sizeof flush_err);
    /* Rewrite unless the file is complete and already holds one SET per
     * key (records == keys).  After a failed flush, try anyway: a new file
     * may be writable where appending was not. */
    if (rc < 0 || s->records != store_count(s)) {
        char compact_err[STORE_ERR_LEN];
        if (store_compact(s, compact_err, sizeof compact_err) == 0)
            rc = 0;         /* everything in memory is on disk after all */
        else if (rc == 0) {
            rc = -1;
            set_err(flush_err, sizeof flush_err, "%s", compact_err);
        }
    }
    if (rc < 0)
        set_err(err, errlen, "%s", flush_err);
    store_free(s);
    return rc;
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
