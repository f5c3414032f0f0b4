/*
 * rio.h — robust I/O: short counts handled once, here.
 *
 * read() and write() may move fewer bytes than asked.  A write to a socket
 * or a regular file stops short when a signal arrives after some bytes went
 * out, when the disk fills up or a size limit is reached; a read stops short
 * at the end of the file, or when fewer bytes are available yet.  And either
 * call may be interrupted before moving anything (-1, EINTR), since our
 * signal handlers are installed without SA_RESTART.  Every caller that needs
 * "all the bytes" goes through these two functions instead of writing its
 * own loop (the idea of the Rio package in Bryant and O'Hallaron's CS:APP).
 *
 * Both work on any descriptor in blocking mode.  On a non-blocking one they
 * give up at the first EAGAIN: use them only where waiting is intended.
 */
#ifndef RIO_H
#define RIO_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Writes all len bytes of buf to fd, retrying after short writes and after
 * EINTR.
 *
 * stop (may be NULL) is how a signal handler asks the caller to give up,
 * e.g. &shutdown_requested: after EVERY interruption (EINTR, or a short
 * count, which is what a signal arriving in the middle of a write leaves)
 * *stop is read, and if it is non-zero the function returns -1 with errno
 * EINTR instead of writing the rest.  It is not read before the first
 * write: a call always tries once.
 *
 * Returns len, or -1 with errno set (EINTR if stopped; EIO if write()
 * returned 0, which should never happen but must not loop for ever).  On
 * -1, an unknown number of bytes may already have been written.
 */
ssize_t rio_write_all(int fd, const void *buf, size_t len,
                      volatile const sig_atomic_t *stop);

/*
 * Reads from fd until len bytes are in buf or the end of the file is
 * reached, retrying after EINTR and after short reads.
 *
 * Returns the number of bytes read: len, or fewer only if the end of the
 * file came first (0 if fd was already at its end).  -1 with errno set if
 * read() fails; bytes read before the failure are then in buf but not
 * counted.
 */
ssize_t rio_read_full(int fd, void *buf, size_t len);

#endif
