/*
 * acceptor.h — accepting clients on a non-blocking listening socket, and
 * turning them away politely when there is no room: past --max-clients, or
 * when the process has no descriptor left (EMFILE).
 *
 * Shared by the non-blocking servers (select, epoll): how a server learns
 * that the listening socket is readable is its own business; what it does
 * then is the same.
 *
 * Out of descriptors (EMFILE/ENFILE), the pending connection stays in the
 * listen queue, so the listening socket is reported readable again at once
 * and a naive loop spins at 100% CPU.  The acceptor keeps a spare
 * descriptor for that moment: give it up, accept the client on it, refuse
 * it, take the spare back.  If even that fails, `paused` is set: the
 * server must stop watching the listening socket until a connection
 * closes, and then clear it.
 */
#ifndef ACCEPTOR_H
#define ACCEPTOR_H

#include <stdbool.h>

#include "fdstate.h"

/* What a refused client reads before the server closes it (Redis's text). */
#define ACCEPTOR_REFUSAL "-ERR max number of clients reached\r\n"

/* accept() at most this many connections per call of acceptor_accept_all,
 * so that a flood of connections cannot starve the clients already there. */
#define ACCEPTOR_MAX_PER_ROUND 1000

typedef struct Acceptor {
    int  listen_fd;  /* the listening socket, O_NONBLOCK; not owned */
    int  spare_fd;   /* /dev/null, held in reserve for EMFILE; or -1 */
    bool paused;     /* out of descriptors, spare included: do not watch
                        listen_fd; the server clears it when one closes */
} Acceptor;

/* Called with each accepted descriptor, which it now owns (still blocking:
 * accept() does not pass O_NONBLOCK on; acceptor_open_connection sets it). */
typedef void AcceptorAdmit(void *server, int fd);

/*
 * Makes the listening socket O_NONBLOCK (server_open leaves it blocking):
 * select() saying "readable" is no promise, the client may be gone before
 * accept() runs, and a blocking accept() would then wait for the next one.
 * Opens the spare descriptor (-1 if none could be: EMFILE then pauses at
 * once).  0, or -1 after a logged failure: the server cannot run.
 */
int acceptor_init(Acceptor *a, int listen_fd);

/* Closes the spare descriptor (not the listening socket). */
void acceptor_close(Acceptor *a);

/*
 * Accepts the pending connections until accept() says EAGAIN (or
 * ACCEPTOR_MAX_PER_ROUND of them), and hands each to admit(server, fd).
 * EMFILE/ENFILE are handled as above; other failures are logged.
 */
void acceptor_accept_all(Acceptor *a, AcceptorAdmit *admit, void *server);

/* Writes ACCEPTOR_REFUSAL to a new connection and closes it.  Its send
 * buffer is empty, so this short write cannot block. */
void acceptor_refuse(int fd);

/*
 * Makes an accepted descriptor a connection: O_NONBLOCK (accept() does not
 * pass it on from the listening socket), its peer's name, a new FDState in
 * READ.  NULL after a logged failure, fd then closed.
 */
FDState *acceptor_open_connection(int fd);

#endif
