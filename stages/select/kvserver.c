/*
 * kvserver.c — stage 2: the non-blocking key-value server, built on select().
 *
 * One thread serves every client.  No call ever waits except pselect():
 * the listening socket and every connection are O_NONBLOCK, so accept(),
 * read() and write() return EAGAIN instead of blocking, and pselect() says
 * which descriptors are worth trying.  Each connection's progress lives in
 * its FDState, kept in states[] at the index of its file descriptor.
 *
 * One round of run_server():
 *   1. build the fd_sets (FD_ZERO, FD_SET) from the states;
 *   2. pselect(): sleep until a descriptor is ready or a signal arrives;
 *   3. accept every pending connection, allocating its FDState;
 *   4. read once from every readable connection (once: fairness);
 *   5. serve the complete requests, replies queued, state -> WRITE;
 *   6. store_sync(): one write, and with --fsync always one fsync, for
 *      every mutation of the round (group commit), before any reply;
 *   7. write the replies; a short write keeps the rest for a later round,
 *      when select() says the socket is writable; all written -> READ.
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

#include "commands.h"
#include "fdstate.h"
#include "log.h"
#include "net.h"
#include "options.h"
#include "serve.h"
#include "signals.h"
#include "store.h"

/* Read at least this much at a time. */
#define READ_CHUNK (16 * 1024)

/* Descriptors the server itself needs (stdio, the listening socket, the
 * store file, the spare descriptor): the default client limit leaves them. */
#define RESERVED_FDS 8

/* accept() at most this many connections per round, so that a flood of
 * connections cannot starve the clients already connected. */
#define MAX_ACCEPTS_PER_ROUND 1000

static const char MAX_CLIENTS_ERROR[] = "-ERR max number of clients reached\r\n";

/* The seed's array: the state of connection fd is states[fd]. */
static FDState *states[FD_SETSIZE];

typedef struct Server {
    int            listen_fd;
    int            spare_fd;      /* held in reserve for EMFILE, see below */
    bool           accept_paused; /* out of descriptors: listen fd unwatched */
    Store         *store;
    CommandContext ctx;
    long           max_clients;
    long           clients;       /* connections open now */
    int            max_fd;        /* highest fd with a state, or -1 */
    bool           work_waiting;  /* requests left for the next round */
    unsigned long  connections;   /* accepted since start */
    unsigned long  requests;      /* executed since start */
} Server;

/* BEGIN SOLUTION stage2 (handout: "Stage 2 — the select server")
 * TODO: write the select() server: non-blocking sockets; states[fd]
 *       allocated on accept and freed on close; the run_server() loop
 *       (FD_ZERO/FD_SET, pselect, accept until EAGAIN, read, serve, group
 *       commit, write); descriptors >= FD_SETSIZE refused; the SIGINT cleanup.
 * STUB: int main(void)
 * STUB: {
 * STUB:     (void)states;
 * STUB:     (void)MAX_CLIENTS_ERROR;
 * STUB:     return 0;
 * STUB: }
 */

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
        int fd = accept(srv->listen_fd, NULL, NULL);
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

/* Gives a new connection its FDState, or refuses it.  true if kept. */
static bool admit(Server *srv, int fd)
{
    char err[NET_ERR_LEN];
    if (fd >= FD_SETSIZE || srv->clients >= srv->max_clients) {
        log_verbose("fd %d: refused, max number of clients reached", fd);
        refuse(fd);
        return false;
    }
    if (net_set_nonblocking(fd, err, sizeof err) < 0) {
        log_error("fd %d: %s", fd, err);
        close(fd);
        return false;
    }
    char peer[NET_ADDR_LEN] = "?";
    net_peer_name(fd, peer, sizeof peer);
    states[fd] = fdstate_new(fd, peer);
    if (states[fd] == NULL) {
        log_error("fd %d: out of memory", fd);
        close(fd);
        return false;
    }
    srv->clients++;
    srv->connections++;
    if (fd > srv->max_fd)
        srv->max_fd = fd;
    log_verbose("fd %d (%s): accepted", fd, peer);
    return true;
}

/* Accepts every pending connection, until accept() says EAGAIN. */
static void accept_clients(Server *srv)
{
    for (int i = 0; i < MAX_ACCEPTS_PER_ROUND; i++) {
        char err[NET_ERR_LEN];
        int fd = net_accept(srv->listen_fd, true, err, sizeof err);
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

/* ---- reading, serving, writing ------------------------------------------ */

/* Is there room to take more requests from this connection? */
static bool wants_input(const FDState *st)
{
    return st->status != FD_CLOSING &&
           buffer_pending(&st->out) < SERVE_OUT_HIGH_WATER;
}

/* One read() from a readable connection.  false: close it. */
static bool read_from(FDState *st)
{
    if (buffer_reserve(&st->in, READ_CHUNK) < 0) {
        log_error("fd %d: out of memory", st->fd);
        return false;
    }
    ssize_t n = read(st->fd, st->in.data + st->in.end, st->in.size - st->in.end);
    if (n > 0) {
        buffer_commit(&st->in, (size_t)n);
        if (buffer_pending(&st->in) <= SERVE_QUERY_LIMIT)
            return true;
        log_error("fd %d: query buffer over %ld bytes, closing", st->fd,
                  SERVE_QUERY_LIMIT);
        return false;
    }
    if (n == 0)
        return false;                   /* the client closed its side */
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return true;                    /* nothing after all: next round */
    log_verbose("fd %d (%s): read: %s", st->fd, st->peer, strerror(errno));
    return false;
}

/* One write() of the queued replies.  false: close the connection. */
static bool write_to(Server *srv, FDState *st)
{
    ssize_t n = write(st->fd, st->out.data + st->out.cur, buffer_pending(&st->out));
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return true;                /* socket full: select() will tell */
        log_verbose("fd %d (%s): write: %s", st->fd, st->peer, strerror(errno));
        return false;
    }
    buffer_consume(&st->out, (size_t)n);  /* maybe short: the rest later */
    if (buffer_pending(&st->out) > 0)
        return true;
    if (st->status == FD_CLOSING)
        return false;                   /* QUIT or protocol error: done */
    fdstate_reset(st);
    if (serve_has_waiting_input(st))
        srv->work_waiting = true;       /* back-pressure released */
    return true;
}

static void read_ready(Server *srv, fd_set *readable)
{
    for (int fd = 0; fd <= srv->max_fd; fd++)
        if (states[fd] != NULL && FD_ISSET(fd, readable) && !read_from(states[fd]))
            close_connection(srv, fd);
}

static void serve_all(Server *srv)
{
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st == NULL || buffer_pending(&st->in) == 0 || !wants_input(st))
            continue;
        if (serve_requests(st, &srv->ctx, &protocol_default_limits,
                           &srv->requests) < 0) {
            log_error("fd %d: out of memory", fd);
            close_connection(srv, fd);
        }
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
    bool failed = store_sync(srv->store, err, sizeof err) < 0;
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

static void write_replies(Server *srv)
{
    srv->work_waiting = false;
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st != NULL && buffer_pending(&st->out) > 0 && !write_to(srv, st))
            close_connection(srv, fd);
    }
}

/* ---- the loop ------------------------------------------------------------ */

/* FD_ZERO/FD_SET, from the states; returns nfds for select. */
static int build_fd_sets(Server *srv, fd_set *readable, fd_set *writable)
{
    FD_ZERO(readable);
    FD_ZERO(writable);
    int nfds = 0;
    if (!srv->accept_paused) {
        FD_SET(srv->listen_fd, readable);
        nfds = srv->listen_fd + 1;
    }
    for (int fd = 0; fd <= srv->max_fd; fd++) {
        FDState *st = states[fd];
        if (st == NULL)
            continue;
        if (wants_input(st))
            FD_SET(fd, readable);
        if (buffer_pending(&st->out) > 0)
            FD_SET(fd, writable);
        if (fd >= nfds)
            nfds = fd + 1;
    }
    return nfds;
}

/* How long pselect may sleep: not at all if requests are waiting, until
 * the store's next fsync if one is due, else until something happens. */
static struct timespec *sleep_limit(Server *srv, struct timespec *ts)
{
    long ms = srv->work_waiting ? 0 : store_sync_timeout_ms(srv->store);
    if (ms < 0)
        return NULL;
    ts->tv_sec = ms / 1000;
    ts->tv_nsec = (ms % 1000) * 1000000L;
    return ts;
}

static void run_server(Server *srv)
{
    /* Block SIGINT/SIGTERM; pselect() alone lets them in (see the top). */
    sigset_t shutdown_signals, during_select;
    signals_shutdown_set(&shutdown_signals);
    sigprocmask(SIG_BLOCK, &shutdown_signals, &during_select);

    while (!shutdown_requested) {
        fd_set readable, writable;
        struct timespec ts;
        int nfds = build_fd_sets(srv, &readable, &writable);
        int ready = pselect(nfds, &readable, &writable, NULL,
                            sleep_limit(srv, &ts), &during_select);
        if (ready < 0) {
            if (errno != EINTR)
                log_error("pselect: %s", strerror(errno));
            continue;                   /* EINTR: the flag is looked at */
        }
        if (ready > 0 && FD_ISSET(srv->listen_fd, &readable) && !srv->accept_paused)
            accept_clients(srv);
        if (ready > 0)
            read_ready(srv, &readable);
        serve_all(srv);
        sync_store(srv);
        write_replies(srv);
    }
    sigprocmask(SIG_SETMASK, &during_select, NULL);
}

/* ---- start and stop ----------------------------------------------------- */

static int server_start(Server *srv, const ServerOptions *opt)
{
    char err[STORE_ERR_LEN > NET_ERR_LEN ? STORE_ERR_LEN : NET_ERR_LEN];
    if (signals_install(err, sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    StoreOptions so;
    store_options_default(&so);
    so.fsync = opt->fsync;
    srv->store = store_open(opt->store_path, &so, err, sizeof err);
    if (srv->store == NULL) {
        log_error("%s", err);
        return -1;
    }
    srv->listen_fd = net_listen(opt->bind_addr, opt->port, 511, err, sizeof err);
    if (srv->listen_fd < 0 || srv->listen_fd >= FD_SETSIZE ||
        net_set_nonblocking(srv->listen_fd, err, sizeof err) < 0) {
        log_error("cannot listen on %s:%d: %s", opt->bind_addr, opt->port, err);
        if (srv->listen_fd >= 0)
            close(srv->listen_fd);
        store_close(srv->store, err, sizeof err);
        return -1;
    }
    srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    srv->max_clients = opt->max_clients > 0 ? opt->max_clients
                                            : FD_SETSIZE - RESERVED_FDS;
    srv->ctx = (CommandContext){ srv->store, opt->fsync, srv->max_clients };

    char name[NET_ADDR_LEN];
    if (net_local_name(srv->listen_fd, name, sizeof name) < 0)
        snprintf(name, sizeof name, "%s:%d", opt->bind_addr, opt->port);
    printf("listening on %s\n", name);
    fflush(stdout);
    return 0;
}

/* Frees every FDState, closes every descriptor, closes the store. */
static int server_stop(Server *srv)
{
    close(srv->listen_fd);              /* first: accept nobody new */
    for (int fd = 0; fd <= srv->max_fd; fd++)
        if (states[fd] != NULL)
            close_connection(srv, fd);
    if (srv->spare_fd >= 0)
        close(srv->spare_fd);

    size_t keys = store_count(srv->store);
    char err[STORE_ERR_LEN];
    int rc = store_close(srv->store, err, sizeof err);
    if (rc < 0)
        log_error("closing the store: %s", err);
    printf("shutting down: %lu connections, %lu requests, %zu keys\n",
           srv->connections, srv->requests, keys);
    return rc;
}

int main(int argc, char **argv)
{
    log_set_program("kvserver");
    ServerOptions opt;
    switch (options_parse(argc, argv, &opt, true)) {
    case OPTIONS_HELP:      return 0;
    case OPTIONS_BAD_VALUE: return 1;
    case OPTIONS_USAGE:     return 2;
    }
    log_is_verbose = opt.verbose;

    Server srv = { .listen_fd = -1, .spare_fd = -1, .max_fd = -1 };
    if (server_start(&srv, &opt) < 0)
        return 1;
    run_server(&srv);
    return server_stop(&srv) < 0 ? 1 : 0;
}

/* END SOLUTION */
