/*
 * net.h — small TCP socket helpers for the servers.
 *
 * In the style of Redis's anet.c: each helper does one job and, when a
 * system call fails, returns -1 and writes a one-line reason with the
 * strerror() text into the caller's err buffer (NET_ERR_LEN bytes are
 * enough), leaving errno as the failing call set it.  None of them exits.
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#define NET_ERR_LEN 256
#define NET_ADDR_LEN 64     /* room for "address:port", IPv6 included */

/*
 * socket() + SO_REUSEADDR + bind() + listen() on addr:port (port 0: the
 * kernel picks a free one).  SO_REUSEADDR lets a restarted server bind at
 * once instead of failing with "Address already in use" while the old
 * connections sit in TIME_WAIT.  The socket is close-on-exec.
 * Returns the listening descriptor, or -1.
 */
int net_listen(const char *addr, int port, int backlog, char *err, size_t errlen);

/* The "address:port" a socket is bound to (local) or connected to (peer),
 * numeric, into out.  0, or -1. */
int net_local_name(int fd, char *out, size_t outlen);
int net_peer_name(int fd, char *out, size_t outlen);

/*
 * accept() one connection, retrying on EINTR only when retry_eintr is set
 * (the blocking server wants EINTR, to notice a shutdown signal).  The new
 * socket is close-on-exec with TCP_NODELAY (replies leave at once instead
 * of waiting for the previous segment's ACK).  Returns the descriptor, or
 * -1 with errno set: EAGAIN/EWOULDBLOCK, EINTR, EMFILE... are the caller's
 * to handle.
 */
int net_accept(int listen_fd, bool retry_eintr, char *err, size_t errlen);

/*
 * Writes every byte to a blocking socket, retrying after short writes and
 * EINTR unless *stop has become non-zero (how a signal handler asks the
 * caller to give up).  Returns len, or -1.  It is rio_write_all (rio.h),
 * under the name the servers know.
 */
ssize_t net_write_all(int fd, const void *buf, size_t len,
                      volatile const sig_atomic_t *stop);

#endif
