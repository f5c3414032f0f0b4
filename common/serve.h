/*
 * serve.h — executing the requests a connection has sent.
 *
 * Both servers read bytes into an FDState's input buffer, then call
 * serve_requests(), which parses and executes every complete request in
 * order (pipelining) and queues the replies in the output buffer.  What
 * differs between the servers is only how they read and write: blocking
 * calls in stage 1, select() and non-blocking sockets in stage 2.
 */
#ifndef SERVE_H
#define SERVE_H

#include "commands.h"
#include "fdstate.h"

/*
 * Back-pressure: once this many reply bytes wait to be written, stop
 * executing this client's requests (and the select server stops reading
 * from it) until the client has read its replies.  A client that pipelines
 * without reading then costs at most this much plus one reply, and cannot
 * make the server's memory grow without bound.
 */
#define SERVE_OUT_HIGH_WATER (64 * 1024)

/*
 * The RESULT step: executes every complete request in st->in, in order
 * (pipelining), appending the replies to st->out, and stops early once
 * st->out holds SERVE_OUT_HIGH_WATER bytes (back-pressure).  *executed is
 * increased by the number of requests executed.
 *
 * It does not change st->status: it says in *next what the status must
 * become, and the server's loop makes the transition:
 *   FD_WRITE    replies are queued in st->out;
 *   FD_READ     no reply queued: the rest of a request is still to come;
 *   FD_CLOSING  QUIT, or a protocol error whose error reply is queued.
 * Returns 0, or -1 when memory ran out (close the connection at once).
 */
int serve_requests(FDState *st, const CommandContext *ctx,
                   const ProtocolLimits *limits, unsigned long *executed,
                   FDStatus *next);

/* Does st->in hold requests that back-pressure left unparsed? */
bool serve_has_waiting_input(const FDState *st);

/*
 * The end of the WRITE step, once all of st->out is written: gives back the
 * memory a big request or reply made the buffers grow to (fdstate_shrink),
 * and returns the next status: FD_RESULT if back-pressure left requests in
 * st->in — they must be served without waiting for new bytes, which may
 * never come — else FD_READ.
 */
FDStatus serve_all_written(FDState *st);

#endif
