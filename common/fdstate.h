/*
 * fdstate.h — the state of one client connection (FDState).
 *
 * Both servers keep one FDState per connected client.  The select server
 * keeps them in an array indexed by file descriptor: the integer accept()
 * returns is the index of the connection's entry.
 *
 * The assignment's design has one `buffer` with `cur` and `end` offsets
 * for data in and out.  Here each direction has its own Buffer (see
 * buffer.h, which has the same data/cur/end): a client may pipeline its
 * next requests while the replies to the previous ones are still being
 * written, so received bytes and replies must not share one buffer.
 *
 * The state machine (status), one connection's life.  The status alone says
 * what the connection waits for (fdstate_interest): a loop never guesses
 * from the buffers.  Each arrow is taken at one named step of the server's
 * loop, and -v logs every change ("fd 5 (127.0.0.1:40000): READ -> RESULT").
 *
 *              accept()
 *                 |
 *                 v
 *     +------->  READ       wants readable.  read() appends to `in`;
 *     |           |         bytes arrived -> RESULT.
 *     |           v
 *     |  +-----> RESULT     wants nothing: the loop runs it at once.
 *     |  |        |         Parse and execute every complete request in
 *     |  |        |         `in`, replies appended to `out`, until the
 *     |  |        |         back-pressure mark (serve.h):
 *     |  |        |           replies queued          -> WRITE
 *     |  |        |           no complete request     -> READ
 *     |  |        |           QUIT or protocol error  -> CLOSING
 *     |  |        v
 *     |  +----- WRITE       wants writable.  write() from `out`, once the
 *     |           |         store has synced what the replies acknowledge;
 *     +-----------+         a short write waits for the socket to be
 *                           writable again.  All written:
 *                             requests still waiting in `in` -> RESULT
 *                             otherwise                      -> READ
 *
 *              CLOSING      wants writable.  Write what is queued (the +OK
 *                 |         of QUIT, the protocol error), then close.
 *                 v
 *              closed       fd closed, FDState freed; also from any state
 *                           on end of file, a read or write error, SIGINT.
 */
#ifndef FDSTATE_H
#define FDSTATE_H

#include <stdbool.h>
#include <sys/types.h>
#include "buffer.h"
#include "protocol.h"
#include "session.h"

typedef enum FDStatus {
    FD_READ,    /* waiting for (the rest of) a request */
    FD_RESULT,  /* complete requests are being executed */
    FD_WRITE,   /* replies are queued in `out`, to be written */
    FD_CLOSING  /* write what is queued, then close the connection */
} FDStatus;

/* What a connection waits for, as a set of bits: the select loop turns it
 * into FD_SET calls, the blocking loop into which call it blocks in. */
typedef enum FDInterest {
    FD_WANT_NOTHING = 0,      /* RESULT: work to do now, no waiting */
    FD_WANT_READ    = 1 << 0, /* READ */
    FD_WANT_WRITE   = 1 << 1  /* WRITE, CLOSING */
} FDInterest;

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
    Session       session;  /* what commands know of the connection:
                               protocol version, name, id (session.h) */
} FDState;

/* Read at least this much at a time (both servers). */
#define FDSTATE_READ_CHUNK (16 * 1024)

/*
 * More unserved input than this closes the connection: the same default as
 * Redis's client-query-buffer-limit.  Only a request with several huge
 * arguments can reach it.
 */
#define FDSTATE_QUERY_LIMIT (1024L * 1024 * 1024)

/* Bytes of reply memory a connection keeps between requests; a bigger
 * buffer is given back once written, so idle connections stay small. */
#define FDSTATE_OUT_KEEP 4096

/* Allocates the state of a new connection on fd, in READ.  peer may be
 * NULL.  NULL if memory is exhausted. */
FDState *fdstate_new(int fd, const char *peer);

/* Frees the state and its buffers.  Does not close st->fd: the server does,
 * since it owns the descriptor. */
void fdstate_free(FDState *st);

/* What st waits for, from its status alone (see the diagram). */
FDInterest fdstate_interest(const FDState *st);

/*
 * One read() from st->fd into st->in, with at least FDSTATE_READ_CHUNK
 * bytes of room.  Returns what read() returned: > 0 bytes appended, 0 at
 * end of file, -1 with errno set (EAGAIN, EINTR... are the caller's to
 * judge; ENOMEM if no room could be made; ENOBUFS, logged, once more than
 * FDSTATE_QUERY_LIMIT bytes wait unserved: close the connection).
 */
ssize_t fdstate_read(FDState *st);

/* Once `out` is all written: gives back the memory a big request or reply
 * made the buffers grow to, so that an idle connection stays small.  The
 * status is the caller's to change. */
void fdstate_shrink(FDState *st);

/* Changes status, logging the transition when verbose logging is on. */
void fdstate_set_status(FDState *st, FDStatus status);

/* "READ", "RESULT", "WRITE" or "CLOSING". */
const char *fdstate_status_name(FDStatus status);

#endif
