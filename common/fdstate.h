/*
 * fdstate.h — the state of one client connection (FDState).
 *
 * Both servers keep one FDState per connected client.  The select server
 * keeps them in an array indexed by file descriptor: the integer accept()
 * returns is the index of the connection's entry.
 *
 * The lab's original design has one `buffer` with `cur` and `end` offsets
 * for data in and out.  Here each direction has its own Buffer (see
 * buffer.h, which has the same data/cur/end): a client may pipeline its
 * next requests while the replies to the previous ones are still being
 * written, so received bytes and replies must not share one buffer.
 *
 * The state machine (status), one connection's life:
 *
 *                accept()
 *                   |
 *                   v
 *      +-------> READ ----(a complete request is in `in`)----+
 *      |            |                                         |
 *      |     EOF, error,                                      v
 *      |     limit passed                  RESULT (the request is executed,
 *      |            |                         its reply appended to `out`;
 *      |            |                         repeat for every complete one)
 *      |            |                                 |
 *      |            |                                 v
 *      +--(all of `out` written)---------------- WRITE (write `out`; a short
 *                   |                              write waits for the socket
 *                   |                              to be writable again)
 *                   |                                 |
 *                   |               QUIT, or a protocol error: the reply
 *                   |               must still go out, then close
 *                   |                                 v
 *                   |                             CLOSING ---(out written)--+
 *                   v                                                       |
 *                closed (fd closed, FDState freed) <-------------------------+
 */
#ifndef FDSTATE_H
#define FDSTATE_H

#include <stdbool.h>
#include "buffer.h"
#include "protocol.h"

typedef enum FDStatus {
    FD_READ,    /* waiting for (the rest of) a request */
    FD_RESULT,  /* complete requests are being executed */
    FD_WRITE,   /* replies are queued in `out`, to be written */
    FD_CLOSING  /* write what is queued, then close the connection */
} FDStatus;

typedef struct FDState {
    int           fd;
    FDStatus      status;
    Buffer        in;       /* bytes received; [cur, end) not yet served */
    Buffer        out;      /* replies; [cur, end) not yet written */
    RequestParser parser;   /* how far the request at in.cur is parsed */
    unsigned long requests; /* requests served on this connection */
    bool          unsynced; /* `out` acknowledges mutations that are not
                               yet written to the store file: hold the
                               replies until store_sync() succeeds */
    char          peer[64]; /* "address:port" of the client, for logs */
} FDState;

/* Bytes of reply memory a connection keeps between requests; a bigger
 * buffer is given back once written, so idle connections stay small. */
#define FDSTATE_OUT_KEEP 4096

/* Allocates the state of a new connection on fd, in READ.  peer may be
 * NULL.  NULL if memory is exhausted. */
FDState *fdstate_new(int fd, const char *peer);

/* Frees the state and its buffers.  Does not close st->fd: the server does,
 * since it owns the descriptor. */
void fdstate_free(FDState *st);

/* Goes back to READ once everything queued has been written, and gives
 * back the memory a big request or reply made the buffers grow to. */
void fdstate_reset(FDState *st);

/* Changes status, logging the transition when verbose logging is on. */
void fdstate_set_status(FDState *st, FDStatus status);

/* "READ", "RESULT", "WRITE" or "CLOSING". */
const char *fdstate_status_name(FDStatus status);

#endif
