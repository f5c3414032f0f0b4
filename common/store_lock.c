/*
 * store_lock.c — one owner per store file.
 *
 * While a store is open its file carries an fcntl write lock, so a second
 * server started on the same file is refused instead of interleaving its
 * records with ours.  Two traps of POSIX record locks are handled here:
 * they belong to a process, not to a descriptor (so this process keeps its
 * own list of open stores), and the file may be replaced by a rewrite's
 * rename between our open() and our lock (so we check its name again).
 */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How often open keeps trying while another process renames rewritten
 * files over the path: each retry means that process made progress. */
#define OPEN_ATTEMPTS 10

/* ---- the stores open in this process -------------------------------------- */

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

void store_lock_register(Store *s)
{
    s->next_open = open_stores;
    open_stores = s;
}

void store_lock_forget(Store *s)
{
    for (Store **link = &open_stores; *link != NULL; link = &(*link)->next_open) {
        if (*link == s) {
            *link = s->next_open;
            return;
        }
    }
}

/* ---- the lock ------------------------------------------------------------ */

int store_lock_file(int fd, const char *path, char *err, size_t errlen)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                        .l_start = 0, .l_len = 0 };
    if (fcntl(fd, F_SETLK, &fl) == 0)
        return 0;
    int e = errno;
    struct flock holder = fl;
    if ((e == EACCES || e == EAGAIN) && fcntl(fd, F_GETLK, &holder) == 0 &&
        holder.l_type != F_UNLCK)
        store_set_err(err, errlen, "cannot lock %s: %s (process %ld has it "
                      "open: is another server using this file?)", path,
                      strerror(e), (long)holder.l_pid);
    else
        store_set_err(err, errlen, "cannot lock %s: %s", path, strerror(e));
    return -1;
}

/* Does path still name the file (dev, ino)? */
static bool path_names(const char *path, dev_t dev, ino_t ino)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/* One attempt: open, identify, lock.  The descriptor, or -1 (err set). */
static int open_and_lock(const char *path, struct stat *st,
                         char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        store_set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0) {
        store_set_err(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (store_lock_file(fd, path, err, errlen) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Between our open() and our lock, the process that held the lock may have
 * renamed a rewritten file over the path: we would then hold the lock of a
 * file that no longer has a name.  So after locking we check that the path
 * still names our file, and start again if not.
 */
int store_lock_open(Store *s, char *err, size_t errlen)
{
    struct stat st;
    if (stat(s->path, &st) == 0 && open_in_this_process(st.st_dev, st.st_ino)) {
        store_set_err(err, errlen, "cannot lock %s: it is already open in "
                      "this process", s->path);
        return -1;
    }
    for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
        int fd = open_and_lock(s->path, &st, err, errlen);
        if (fd < 0)
            return -1;
        if (path_names(s->path, st.st_dev, st.st_ino)) {
            s->fd = fd;
            s->dev = st.st_dev;
            s->ino = st.st_ino;
            return 0;
        }
        close(fd);
    }
    store_set_err(err, errlen, "cannot open %s: it keeps being replaced", s->path);
    return -1;
}
