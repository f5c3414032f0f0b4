/*
 * How it works.
 *
 * One thread serves every client.  No call ever waits except pselect():
 * the listening socket and every connection are O_NONBLOCK, so accept(),
 * read() and write() return EAGAIN instead of blocking, and pselect() says
 * which descriptors are worth trying.  Each connection's progress lives in
 * its FDState, kept in states[] at the index of its file descriptor, and
 * its status (READ, RESULT, WRITE, CLOSING: common/fdstate.h) says what it
 * waits for.  One round of run_server():
 *
 *   1. build the fd_sets from each connection's status (fdstate_interest):
 *      READ -> readable, WRITE and CLOSING -> writable;
 *   2. pselect(): sleep until a descriptor is ready, a signal arrives or
 *      the store's next timed task is due (an fsync, active expiry); not at
 *      all if a connection is in RESULT: it has work waiting;
 *   3. accept every pending connection: a new FDState, in READ;
 *   4. READ step (conn_read_step): one read() from every readable
 *      connection -> RESULT; then the store's expiry cycle, when due;
 *   5. RESULT step (conn_result_step): execute the complete requests ->
 *      WRITE (or READ, or CLOSING);
 *   6. store_sync(): one write, and with --fsync always one fsync, for
 *      every mutation of the round (group commit), before any reply;
 *   7. WRITE step (conn_write_step): write the replies; a short write keeps
 *      the rest for a round where select() says the socket is writable; all
 *      written -> READ (or RESULT if requests are still waiting in the input).
 *
 * The steps themselves (common/conn.c) and accepting, refusing and the
 * spare descriptor for EMFILE (common/acceptor.c) do not depend on how
 * readiness is learnt, and stage 3's epoll server calls them too: this file
 * holds what is about select().
 *
 * Signals: SIGINT and SIGTERM stay blocked except inside pselect(), which
 * unblocks them atomically for the time it sleeps.  A signal that arrives
 * while a round is running stays pending and interrupts the very next
 * pselect() at once: it can never slip in between "test the flag" and
 * "go to sleep" and be missed, the race plain select() has.
 *
 * Descriptors >= FD_SETSIZE cannot be put in an fd_set (FD_SET would write
 * past its end), nor used as an index into states[]: such a connection,
 * or one over --max-clients, gets "-ERR max number of clients reached"
 * and is closed, as Redis does.
 */

/* Descriptors the server itself needs (stdio, the listening socket, the
 * store file, the spare descriptor): the default client limit leaves them. */
#define RESERVED_FDS 8

static const ServerSetup SELECT_SETUP = {
    .program = "kvserver",
    .with_max_clients = true,
    .default_max_clients = FD_SETSIZE - RESERVED_FDS,
};

/* The assignment's array: the state of connection fd is states[fd]. */
static FDState *states[FD_SETSIZE];

typedef struct Server {
    ServerBase base;          /* listening socket, store, counters */
    Acceptor   acceptor;      /* accept(), refusals, the spare for EMFILE */
    long       clients;       /* connections open now */
    int        max_fd;        /* highest fd with a state, or -1 */
} Server;

/* ---- connections -------------------------------------------------------- */

static void close_connection(Server *srv, int fd)
{
    FDState *st = states[fd];
    log_verbose("fd %d (%s): closed after %lu requests", fd, st->peer, st->requests);
    fdstate_free(st);
    states[fd] = NULL;
    close(fd);
    srv->clients--;
    while (srv->max_fd >= 0 && states[srv->max_fd] == NULL)
        srv->max_fd--;
    /* A descriptor is free again: if accept() had run out, try again. */
    srv->acceptor.paused = false;
}

/* Gives a new connection its FDState, in READ, or refuses it
 * (acceptor_accept_all calls it with each accepted descriptor). */
static void admit(void *server, int fd)
{
    Server *srv = server;
    if (fd >= FD_SETSIZE || srv->clients >= srv->base.ctx.max_clients) {
        acceptor_refuse(fd);            /* FD_SET would write past the end */
        return;
    }
    states[fd] = acceptor_open_connection(fd);
    if (states[fd] == NULL)
        return;
    srv->clients++;
    srv->base.connections++;
    if (fd > srv->max_fd)
        srv->max_fd = fd;
}

/* ---- one round ----------------------------------------------------------- */

static void read_ready(Server *srv, fd_set *readable)
{
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st != NULL && st->status == FD_READ && FD_ISSET(fd, readable) &&
            !conn_read_step(st))
            close_connection(srv, fd);
    }
}

static void run_results(Server *srv)
{
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st != NULL && st->status == FD_RESULT && !conn_result_step(&srv->base, st))
            close_connection(srv, fd);
    }
}

/* Every connection that wants to write tries now, without waiting for
 * select() to say so: a socket's buffer is almost always free, and most
 * replies then leave in the round that produced them. */
static void write_replies(Server *srv)
{
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st != NULL && (fdstate_interest(st) & FD_WANT_WRITE) && !conn_write_step(st))
            close_connection(srv, fd);
    }
}

/* FD_ZERO/FD_SET from each connection's status; returns nfds for select.
 * *results_waiting: some connection is in RESULT, select must not sleep. */
static int build_fd_sets(Server *srv, fd_set *readable, fd_set *writable,
                         bool *results_waiting)
{
    FD_ZERO(readable);
    FD_ZERO(writable);
    *results_waiting = false;
    int nfds = 0;
    if (!srv->acceptor.paused) {
        FD_SET(srv->base.listen_fd, readable);
        nfds = srv->base.listen_fd + 1;
    }
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        if (states[fd] == NULL)
            continue;
        FDInterest want = fdstate_interest(states[fd]);
        if (want & FD_WANT_READ)
            FD_SET(fd, readable);
        if (want & FD_WANT_WRITE)
            FD_SET(fd, writable);
        if (want == FD_WANT_NOTHING)
            *results_waiting = true;
        nfds = fd + 1;
    }
    return nfds;
}

/* How long pselect may sleep: not at all if requests are waiting, until
 * the store's next timed task (an fsync, active expiry) if one is due,
 * else until something happens. */
static struct timeval *sleep_limit(Server *srv, bool results_waiting,
                                   struct timeval *tv)
{
    (void)srv;
    long ms = results_waiting ? 0 : -1;
    if (ms < 0)
        return NULL;
    tv->tv_sec = ms / 1000;
    tv->tv_usec = (ms % 1000) * 1000L;
    return tv;
}

static void run_server(Server *srv)
{
    while (!shutdown_requested) {
        fd_set readable, writable;
        struct timeval ts;
        bool results_waiting;
        int nfds = build_fd_sets(srv, &readable, &writable, &results_waiting);
        int ready = select(nfds, &readable, &writable, NULL,
                           sleep_limit(srv, results_waiting, &ts));
        if (ready < 0) {
            if (errno != EINTR)
                log_error("pselect: %s", strerror(errno));
            continue;                   /* EINTR: the flag is looked at */
        }
        if (ready > 0 && !srv->acceptor.paused &&
            FD_ISSET(srv->base.listen_fd, &readable))
            acceptor_accept_all(&srv->acceptor, admit, srv);
        if (ready > 0)
            read_ready(srv, &readable);
        run_results(srv);
        write_replies(srv);
    }
}

/* ---- start and stop ----------------------------------------------------- */

int main(int argc, char **argv)
{
    Server srv = { .max_fd = -1 };
    int exit_status;
    if (server_open(&srv.base, argc, argv, &SELECT_SETUP, &exit_status) < 0)
        return exit_status;
    if (srv.base.listen_fd >= FD_SETSIZE) {     /* FD_SET would overflow */
        log_error("listening socket %d is past FD_SETSIZE", srv.base.listen_fd);
        server_close(&srv.base);
        return 1;
    }
    if (acceptor_init(&srv.acceptor, srv.base.listen_fd) < 0) {
        server_close(&srv.base);
        return 1;
    }

    run_server(&srv);
    acceptor_close(&srv.acceptor);
    return server_close(&srv.base) < 0 ? 1 : 0;
}
