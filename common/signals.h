/*
 * signals.h — how the servers learn that they must shut down.
 *
 * The handler for SIGINT and SIGTERM does the only thing that is safe in a
 * handler that can interrupt the program anywhere (in the middle of malloc,
 * or of a printf holding stdio's lock): it stores 1 in a
 * `volatile sig_atomic_t` flag.  The main loop notices the flag and does
 * the real cleanup (free every FDState, close every descriptor, close the
 * store) in ordinary code, where any function may be called.
 *
 * SIGPIPE is ignored: writing to a client that has gone away must fail with
 * EPIPE, which the server handles, rather than kill the whole server.
 * SIGXFSZ is ignored for the same reason: a store file that reaches the
 * file-size limit (ulimit -f) must make the write fail with EFBIG, which the
 * store reports as an error reply, not kill the server with every client.
 */
#ifndef SIGNALS_H
#define SIGNALS_H

#include <signal.h>
#include <stddef.h>

/* Set to 1 by the handler when SIGINT or SIGTERM arrives. */
extern volatile sig_atomic_t shutdown_requested;

/*
 * Installs the SIGINT/SIGTERM handler with sigaction, WITHOUT SA_RESTART:
 * a blocking call (accept, read, select) interrupted by the signal then
 * fails with EINTR instead of silently resuming, so the loop gets to look
 * at the flag.  Also ignores SIGPIPE and SIGXFSZ.  0, or -1 with the
 * reason in err.
 */
int signals_install(char *err, size_t errlen);

/* The set {SIGINT, SIGTERM}, for sigprocmask and pselect. */
void signals_shutdown_set(sigset_t *set);

#endif
