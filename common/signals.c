/*
 * signals.c — the shutdown flag and its handler (see signals.h).
 */
#include "signals.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

volatile sig_atomic_t shutdown_requested = 0;

/* BEGIN SOLUTION stage1: shutdown-signals */

/* Async-signal-safe: one store into a sig_atomic_t, nothing else. */
static void on_shutdown_signal(int signo)
{
    (void)signo;
    shutdown_requested = 1;
}

void signals_shutdown_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
}

int signals_install(char *err, size_t errlen)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_shutdown_signal;
    sa.sa_flags = 0;                    /* no SA_RESTART: we want EINTR */
    signals_shutdown_set(&sa.sa_mask);  /* one handler run at a time */

    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);

    if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0 ||
        sigaction(SIGPIPE, &ignore, NULL) < 0 ||
        sigaction(SIGXFSZ, &ignore, NULL) < 0) {
        snprintf(err, errlen, "sigaction: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* END SOLUTION */
