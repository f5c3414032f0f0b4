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
 * A query buffer (bytes received but not yet served) larger than this
 * closes the connection.  The same default as Redis's
 * client-query-buffer-limit; only a request with several huge arguments
 * can reach it.
 */
#define SERVE_QUERY_LIMIT (1024L * 1024 * 1024)

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

/* Does st->in hold requests that back-pressure left unparsed?  Asked once
 * `out` is all written, to choose between RESULT and READ. */
bool serve_has_waiting_input(const FDState *st);

/* Has the client sent more than SERVE_QUERY_LIMIT bytes not yet served? */
bool serve_query_too_big(const FDState *st);

#endif
