/*
 * server.h — what every stage's server does before and after its loop.
 *
 * Both servers start the same way: parse the command line (options.h),
 * install the signal handlers (signals.h), open the store, listen, and
 * print the ready line "listening on ADDR:PORT" that scripts and tests wait
 * for.  They stop the same way too: close the listening socket and the
 * store, and print the summary line
 *
 *     shutting down: N connections, M requests, K keys
 *
 * So a stage's own file holds only what is new in it: its I/O loop.  The
 * loop owns its connections and closes them before calling server_close().
 */
#ifndef SERVER_H
#define SERVER_H

#include <stdbool.h>

#include "commands.h"
#include "store.h"

/* The listen queue's length for both servers: connections the kernel
 * completes before accept() takes them.  The same as Redis's default. */
#define SERVER_BACKLOG 511

/* What differs between the stages at start-up. */
typedef struct ServerSetup {
    const char *program;             /* prefix of log lines */
    bool        with_max_clients;    /* --max-clients exists */
    long        default_max_clients; /* when --max-clients is not given */
} ServerSetup;

/* The part of a server every stage has. */
typedef struct ServerBase {
    int            listen_fd;
    Store         *store;
    CommandContext ctx;          /* what commands see: store, limits */
    unsigned long  connections;  /* accepted since start */
    unsigned long  requests;     /* executed since start */
} ServerBase;

/*
 * Parses argv, installs the signal handlers, opens the store, starts
 * listening and prints the ready line.  Returns 0 when the server must run.
 * Otherwise -1, with *exit_status set to what main() should return: 0 after
 * -h, 2 for a usage error, 1 when something could not be opened (a message
 * is on stderr, and nothing is left open).
 */
int server_open(ServerBase *base, int argc, char **argv,
                const ServerSetup *setup, int *exit_status);

/*
 * Closes the listening socket and the store (the store's last sync happens
 * here), then prints the summary line.  0, or -1 if the store could not be
 * closed cleanly (reported on stderr): main() should then exit 1.
 */
int server_close(ServerBase *base);

#endif
