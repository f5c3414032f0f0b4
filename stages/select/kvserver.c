/*
 * kvserver.c — stage 2: the non-blocking key-value server, built on select().
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
 *   2. pselect(): sleep until a descriptor is ready or a signal arrives
 *      (not at all if a connection is in RESULT: it has work waiting);
 *   3. accept every pending connection: a new FDState, in READ;
 *   4. READ step: one read() from every readable connection -> RESULT;
 *   5. RESULT step: execute the complete requests -> WRITE (or READ, or
 *      CLOSING);
 *   6. store_sync(): one write, and with --fsync always one fsync, for
 *      every mutation of the round (group commit), before any reply;
 *   7. WRITE step: write the replies; a short write keeps the rest for a
 *      round where select() says the socket is writable; all written ->
 *      READ (or RESULT if requests are still waiting in the input).
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
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fdstate.h"
#include "log.h"
#include "net.h"
#include "serve.h"
#include "server.h"
#include "signals.h"
#include "store.h"

/* Descriptors the server itself needs (stdio, the listening socket, the
 * store file, the spare descriptor): the default client limit leaves them. */
#define RESERVED_FDS 8

/* accept() at most this many connections per round, so that a flood of
 * connections cannot starve the clients already connected. */
#define MAX_ACCEPTS_PER_ROUND 1000

/* BEGIN SOLUTION stage2: select-server */

static const ServerSetup SELECT_SETUP = {
    .program = "kvserver",
    .nonblocking_listen = true,
    .with_max_clients = true,
    .default_max_clients = FD_SETSIZE - RESERVED_FDS,
};

static const char MAX_CLIENTS_ERROR[] = "-ERR max number of clients reached\r\n";

/* The assignment's array: the state of connection fd is states[fd]. */
static FDState *states[FD_SETSIZE];

typedef struct Server {
    ServerBase base;          /* listening socket, store, counters */
    int        spare_fd;      /* held in reserve for EMFILE, see below */
    bool       accept_paused; /* out of descriptors: listen fd unwatched */
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
    srv->accept_paused = false;
}

/* Turns a client away politely: one error line, then close.  The socket is
 * new, so its send buffer is empty and this short write cannot block. */
static void refuse(int fd)
{
    if (write(fd, MAX_CLIENTS_ERROR, sizeof MAX_CLIENTS_ERROR - 1) < 0)
        log_verbose("fd %d: write: %s", fd, strerror(errno));
    close(fd);
}

/*
 * Out of descriptors (EMFILE/ENFILE): the pending connection stays in the
 * listen queue, so select() would report the listening socket readable
 * again at once, and the loop would spin at 100% CPU.  The way out: give
 * up the spare descriptor kept for this moment, accept the client on it,
 * refuse it, and take the spare back.  If even that fails, stop watching
 * the listening socket until a connection closes.
 */
static void refuse_without_descriptors(Server *srv)
{
    if (srv->spare_fd >= 0) {
        close(srv->spare_fd);
        int fd = accept(srv->base.listen_fd, NULL, NULL);
        int accept_errno = errno;
        if (fd >= 0)
            refuse(fd);
        srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        /*
         * EAGAIN is fine too: Linux's accept() looks for a free descriptor
         * before it looks at the queue, so the EMFILE may have come with
         * nobody waiting at all.
         */
        if (fd >= 0 || accept_errno == EAGAIN || accept_errno == EWOULDBLOCK)
            return;
    }
    log_error("out of file descriptors: not accepting until a client leaves");
    srv->accept_paused = true;
}

/* Gives a new connection its FDState, in READ, or refuses it. */
static void admit(Server *srv, int fd)
{
    char err[NET_ERR_LEN];
    if (fd >= FD_SETSIZE || srv->clients >= srv->base.ctx.max_clients) {
        log_verbose("fd %d: refused, max number of clients reached", fd);
        refuse(fd);
        return;
    }
    if (net_set_nonblocking(fd, err, sizeof err) < 0) {
        log_error("fd %d: %s", fd, err);
        close(fd);
        return;
    }
    char peer[NET_ADDR_LEN] = "?";
    net_peer_name(fd, peer, sizeof peer);
    states[fd] = fdstate_new(fd, peer);
    if (states[fd] == NULL) {
        log_error("fd %d: out of memory", fd);
        close(fd);
        return;
    }
    srv->clients++;
    srv->base.connections++;
    if (fd > srv->max_fd)
        srv->max_fd = fd;
    log_verbose("fd %d (%s): accepted", fd, peer);
}

/* Accepts every pending connection, until accept() says EAGAIN. */
static void accept_clients(Server *srv)
{
    for (int i = 0; i < MAX_ACCEPTS_PER_ROUND; i++) {
        char err[NET_ERR_LEN];
        int fd = net_accept(srv->base.listen_fd, true, err, sizeof err);
        if (fd >= 0) {
            admit(srv, fd);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE)
            refuse_without_descriptors(srv);
        else if (errno == ECONNABORTED)
            continue;                   /* gone before we took it: next */
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            log_error("%s", err);
        return;
    }
}

/* ---- the steps of the state machine (fdstate.h) ------------------------- */

/* READ: one read() from a readable connection (one only: fairness).
 * Bytes arrived -> RESULT.  false: close the connection. */
static bool read_step(FDState *st)
{
    ssize_t n = fdstate_read(st);
    if (n > 0) {
        fdstate_set_status(st, FD_RESULT);
        return true;
    }
    if (n == 0)
        return false;                   /* the client closed its side */
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return true;                    /* nothing after all: stay in READ */
    log_verbose("fd %d (%s): read: %s", st->fd, st->peer, strerror(errno));
    return false;
}

/* RESULT: execute the complete requests -> WRITE, READ or CLOSING, as
 * serve_requests() says.  false: close the connection (out of memory). */
static bool result_step(Server *srv, FDState *st)
{
    FDStatus next;
    if (serve_requests(st, &srv->base.ctx, &protocol_default_limits,
                       &srv->base.requests, &next) < 0) {
        log_error("fd %d: out of memory", st->fd);
        return false;
    }
    fdstate_set_status(st, next);
    return true;
}

/* WRITE and CLOSING: one write() of the queued replies.  A short write
 * (or EAGAIN: the socket's buffer is full) keeps the rest for later.  All
 * written -> RESULT if requests wait in `in`, else READ.  false: close. */
static bool write_step(FDState *st)
{
    ssize_t n = write(st->fd, st->out.data + st->out.cur, buffer_pending(&st->out));
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return true;                /* full: select() will tell */
        log_verbose("fd %d (%s): write: %s", st->fd, st->peer, strerror(errno));
        return false;
    }
    buffer_consume(&st->out, (size_t)n);
    if (buffer_pending(&st->out) > 0)
        return true;                    /* short write: the rest later */
    if (st->status == FD_CLOSING)
        return false;                   /* QUIT or protocol error: done */
    fdstate_set_status(st, serve_all_written(st));
    return true;
}

/* ---- one round ----------------------------------------------------------- */

static void read_ready(Server *srv, fd_set *readable)
{
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st != NULL && st->status == FD_READ && FD_ISSET(fd, readable) &&
            !read_step(st))
            close_connection(srv, fd);
    }
}

static void run_results(Server *srv)
{
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st != NULL && st->status == FD_RESULT && !result_step(srv, st))
            close_connection(srv, fd);
    }
}

/*
 * Group commit: one store_sync() for every mutation of the round.  If it
 * fails, the replies that acknowledge those mutations must not go out:
 * their connections are closed without them (the clients see no +OK), and
 * the store refuses further writes until the disk accepts them again.
 */
static void sync_store(Server *srv)
{
    char err[STORE_ERR_LEN];
    bool failed = store_sync(srv->base.store, err, sizeof err) < 0;
    if (failed)
        log_error("store: %s", err);
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st == NULL || !st->unsynced)
            continue;
        if (failed)
            close_connection(srv, fd);
        else
            st->unsynced = false;
    }
}

/* Every connection that wants to write tries now, without waiting for
 * select() to say so: a socket's buffer is almost always free, and most
 * replies then leave in the round that produced them. */
static void write_replies(Server *srv)
{
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st != NULL && (fdstate_interest(st) & FD_WANT_WRITE) && !write_step(st))
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
    if (!srv->accept_paused) {
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
static struct timespec *sleep_limit(Server *srv, bool results_waiting,
                                    struct timespec *ts)
{
    long ms = results_waiting ? 0 : store_timeout_ms(srv->base.store);
    if (ms < 0)
        return NULL;
    ts->tv_sec = ms / 1000;
    ts->tv_nsec = (ms % 1000) * 1000000L;
    return ts;
}

static void run_server(Server *srv, const sigset_t *during_select)
{
    while (!shutdown_requested) {
        fd_set readable, writable;
        struct timespec ts;
        bool results_waiting;
        int nfds = build_fd_sets(srv, &readable, &writable, &results_waiting);
        int ready = pselect(nfds, &readable, &writable, NULL,
                            sleep_limit(srv, results_waiting, &ts), during_select);
        if (ready < 0) {
            if (errno != EINTR)
                log_error("pselect: %s", strerror(errno));
            continue;                   /* EINTR: the flag is looked at */
        }
        if (ready > 0 && !srv->accept_paused &&
            FD_ISSET(srv->base.listen_fd, &readable))
            accept_clients(srv);
        if (ready > 0)
            read_ready(srv, &readable);
        store_expire_cycle(srv->base.store);    /* when due: bounded work */
        run_results(srv);
        sync_store(srv);
        write_replies(srv);
    }
}

/* ---- start and stop ----------------------------------------------------- */

/* Frees every FDState and closes every descriptor but the listening one. */
static void close_everything(Server *srv)
{
    for (int fd = 0; fd <= srv->max_fd; fd++)
        if (states[fd] != NULL)
            close_connection(srv, fd);
    if (srv->spare_fd >= 0)
        close(srv->spare_fd);
}

int main(int argc, char **argv)
{
    Server srv = { .spare_fd = -1, .max_fd = -1 };
    int exit_status;
    if (server_open(&srv.base, argc, argv, &SELECT_SETUP, &exit_status) < 0)
        return exit_status;
    if (srv.base.listen_fd >= FD_SETSIZE) {     /* FD_SET would overflow */
        log_error("listening socket %d is past FD_SETSIZE", srv.base.listen_fd);
        server_close(&srv.base);
        return 1;
    }
    srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

    /* Block SIGINT/SIGTERM; pselect() alone lets them in (see the top). */
    sigset_t shutdown_signals, during_select;
    signals_shutdown_set(&shutdown_signals);
    if (sigprocmask(SIG_BLOCK, &shutdown_signals, &during_select) < 0)
        log_error("sigprocmask: %s", strerror(errno));
    else
        run_server(&srv, &during_select);

    close_everything(&srv);
    return server_close(&srv.base) < 0 ? 1 : 0;
}

/* END SOLUTION */
