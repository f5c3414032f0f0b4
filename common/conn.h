/*
 * conn.h — the three steps of a non-blocking connection (READ, RESULT,
 * WRITE), shared by every server whose sockets are O_NONBLOCK.
 *
 * What a step does depends only on the connection's FDState, never on how
 * the server learnt that the socket was ready: select() (stage 2) and
 * epoll (stage 3) call the same steps.  What the readiness mechanism must do
 * is in the server's own loop: call each step for the connections whose
 * status and readiness ask for it, and after a step, look at st->status
 * again (fdstate_interest) to know what the connection waits for now.
 *
 * Each step makes its transition of the FDState machine (fdstate.h) with
 * fdstate_set_status, and returns false when the connection must be closed:
 * the caller closes it (it owns the descriptor and the table it sits in).
 *
 *     conn_read_step     READ   -> RESULT          (bytes arrived)
 *     conn_result_step   RESULT -> WRITE | READ | CLOSING
 *     conn_write_step    WRITE  -> READ | RESULT   (all written)
 *                        CLOSING -> closed         (all written)
 */
#ifndef CONN_H
#define CONN_H

#include <stdbool.h>

#include "fdstate.h"
#include "server.h"

/*
 * READ: one read() from a readable connection (one only, fair to the
 * others).  Bytes arrived -> RESULT; EAGAIN or EINTR (nothing after all):
 * stays in READ.  false: end of file or an error, close it.
 */
bool conn_read_step(FDState *st);

/*
 * RESULT: executes the complete requests in st->in (serve_requests, which
 * counts them in base->requests) and moves to the status it names: WRITE,
 * READ or CLOSING.  false: out of memory, close it.
 */
bool conn_result_step(ServerBase *base, FDState *st);

/*
 * WRITE and CLOSING: one write() of the queued replies.  A short write, or
 * EAGAIN (the socket's buffer is full), keeps the rest: the status does not
 * change, and the connection still wants writable.  All written: WRITE ->
 * RESULT if back-pressure left requests in st->in, else READ; CLOSING ->
 * false.  false also on a write error: close it.  The replies must already
 * be synced (st->unsynced false): group commit is the caller's.
 */
bool conn_write_step(FDState *st);

#endif
