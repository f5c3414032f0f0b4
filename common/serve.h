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
 * Executes every complete request in st->in (at most until the output
 * passes SERVE_OUT_HIGH_WATER), appending the replies to st->out.
 * Afterwards st->status is WRITE if replies are queued, READ if not, or
 * CLOSING after QUIT or a protocol error (whose error reply is queued).
 * *executed is increased by the number of requests executed.
 * Returns 0, or -1 when memory ran out (close the connection at once).
 */
int serve_requests(FDState *st, const CommandContext *ctx,
                   const ProtocolLimits *limits, unsigned long *executed);

/* Does st hold complete requests that back-pressure left waiting? */
bool serve_has_waiting_input(const FDState *st);

#endif
