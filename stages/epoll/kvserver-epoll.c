/*
 * kvserver-epoll.c — stage 3 (optional): the non-blocking server with its
 * readiness from epoll instead of select(), so that it holds 10,000 clients
 * and pays only for the ones that are active.
 *
 * select() is handed the whole descriptor set at every call, and the kernel
 * scans all of it: a round costs O(highest fd), idle connections included,
 * and nothing past FD_SETSIZE (1024) fits in an fd_set.  epoll keeps the
 * interest set in the kernel: epoll_ctl() says once what a descriptor waits
 * for, and epoll_wait() returns only the descriptors that are ready.  So
 * this server tells the kernel only what changes: each connection's
 * interest (fdstate_interest: READ -> readable, WRITE and CLOSING ->
 * writable, RESULT -> nothing) is registered at accept, and updated after a
 * round's steps whenever its status changed (watch).
 *
 * Level-triggered, on purpose: a descriptor stays reported for as long as it
 * is readable (or writable).  The steps are the select server's
 * (common/conn.c): one read() per round for fairness, one write() per
 * round, the rest left for later.  That is only correct level-triggered:
 * edge-triggered (EPOLLET) reports a descriptor once per new arrival, so the
 * bytes a single read() left in the socket, or the room a short write left
 * unused, would never be reported again and the connection would hang; an
 * edge-triggered server must read and write until EAGAIN each time.
 *
 * One round of run_server(), doing work only for the connections that have
 * some (the `busy` list), never walking the whole table:
 *
 *   1. epoll_pwait(): sleep until a descriptor is ready or a signal arrives
 *      (not at all while a connection is in RESULT: it has work waiting);
 *   2. for each ready descriptor: the listening socket -> accept; a
 *      connection in READ -> READ step (conn_read_step); one in WRITE or
 *      CLOSING -> busy;
 *   3. RESULT step (conn_result_step) for the busy connections in RESULT;
 *   4. store_sync() for the whole round (group commit), before any reply;
 *   5. WRITE step (conn_write_step) for the busy ones in WRITE or CLOSING;
 *   6. epoll_ctl() for each busy connection whose interest changed; only
 *      those still in RESULT (back-pressure left requests) stay busy.
 *
 * Signals: SIGINT and SIGTERM stay blocked except inside epoll_pwait(),
 * which unblocks them atomically for the time it sleeps (pselect's pattern:
 * a signal during a round interrupts the next epoll_pwait at once).
 *
 * Descriptors: at start the soft RLIMIT_NOFILE is raised towards the hard
 * limit (enough for --max-clients, default 10,000), and states[] is sized
 * to it: every descriptor the process can get has its slot.  Past
 * --max-clients a client gets "-ERR max number of clients reached"; out of
 * descriptors, the acceptor's spare descriptor refuses it (EMFILE).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "acceptor.h"
#include "conn.h"
#include "fdstate.h"
#include "log.h"
#include "server.h"
#include "signals.h"
#include "store.h"

/* Descriptors the server needs besides its clients: stdio, the listening
 * socket, the epoll instance, the store file, the spare descriptor. */
#define RESERVED_FDS 16

/* Events taken from the kernel per epoll_pwait: more wait for the next. */
#define EVENTS_PER_ROUND 1024

/* The state table never has more slots than this (2^20, Linux's default
 * fs.nr_open: no process gets more descriptors unless root raised it). */
#define MAX_SLOTS (1 << 20)

/* BEGIN SOLUTION stage3: epoll-server */

static const ServerSetup EPOLL_SETUP = {
    .program = "kvserver-epoll",
    .with_max_clients = true,
    .default_max_clients = 10000,
};

/* One slot per descriptor the process can have. */
typedef struct Slot {
    FDState   *st;       /* the connection on this fd, or NULL */
    FDInterest watched;  /* what epoll was last told it waits for */
    bool       busy;     /* listed in Server.busy: has work this round */
} Slot;

typedef struct Server {
    ServerBase base;       /* listening socket, store, counters */
    Acceptor   acceptor;   /* accept(), refusals, the spare for EMFILE */
    int        epoll_fd;
    bool       listening;  /* the listening socket is in the interest set */
    Slot      *slots;      /* slots[fd], size nslots: the state table */
    int        nslots;
    int       *busy;       /* fds with work this round, nbusy of them */
    int        nbusy;
    long       clients;    /* connections open now */
    bool       sync_failed; /* this round's store_sync() failed */
} Server;

/* ---- the interest set, in the kernel ------------------------------------ */

static uint32_t epoll_events(FDInterest want)
{
    return ((want & FD_WANT_READ) ? EPOLLIN : 0) |
           ((want & FD_WANT_WRITE) ? EPOLLOUT : 0);
}

/* Tells epoll what fd waits for now, if that changed. */
static void watch(Server *srv, int fd)
{
    Slot *slot = &srv->slots[fd];
    FDInterest want = fdstate_interest(slot->st);
    if (want == slot->watched)
        return;
    struct epoll_event ev = { .events = epoll_events(want), .data.fd = fd };
    if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0)
        log_error("epoll_ctl(fd %d): %s", fd, strerror(errno));
    slot->watched = want;
}

/* The listening socket is watched unless the acceptor is out of
 * descriptors (then it would be reported readable at every call). */
static void watch_listener(Server *srv)
{
    bool wanted = !srv->acceptor.paused;
    if (wanted == srv->listening)
        return;
    struct epoll_event ev = { .events = wanted ? EPOLLIN : 0,
                              .data.fd = srv->base.listen_fd };
    if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, srv->base.listen_fd, &ev) < 0)
        log_error("epoll_ctl(listening socket): %s", strerror(errno));
    srv->listening = wanted;
}

static void mark_busy(Server *srv, int fd)
{
    if (srv->slots[fd].busy)
        return;
    srv->slots[fd].busy = true;
    srv->busy[srv->nbusy++] = fd;
}

/* ---- connections -------------------------------------------------------- */

/* Closing the descriptor takes it out of the interest set.  Its busy entry
 * stays until the end of the round (forget_idle), so that the list never
 * holds one fd twice. */
static void close_connection(Server *srv, int fd)
{
    FDState *st = srv->slots[fd].st;
    log_verbose("fd %d (%s): closed after %lu requests", fd, st->peer, st->requests);
    fdstate_free(st);
    srv->slots[fd].st = NULL;
    close(fd);
    srv->clients--;
    srv->acceptor.paused = false;    /* a descriptor is free again */
}

/* A new connection: its FDState in READ, watched for readable.  Past
 * the table (the descriptor limit was lowered?) or --max-clients: refused. */
static void admit(void *server, int fd)
{
    Server *srv = server;
    if (srv->clients >= srv->base.ctx.max_clients || fd >= srv->nslots) {
        acceptor_refuse(fd);
        return;
    }
    FDState *st = acceptor_open_connection(fd);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    if (st == NULL)
        return;
    if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        log_error("epoll_ctl(fd %d): %s", fd, strerror(errno));
        fdstate_free(st);
        close(fd);
        return;
    }
    srv->slots[fd] = (Slot){ .st = st, .watched = FD_WANT_READ,
                             .busy = srv->slots[fd].busy };
    srv->clients++;
    srv->base.connections++;
}

/* ---- one round ----------------------------------------------------------- */

/* What epoll reported for one connection.  A hang-up or an error counts as
 * readable or writable: the step's read() or write() then says what. */
static void on_ready(Server *srv, int fd, uint32_t events)
{
    FDState *st = srv->slots[fd].st;
    if (st == NULL)
        return;                         /* closed earlier in this round */
    FDInterest want = fdstate_interest(st);
    if ((want & FD_WANT_READ) && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
        if (!conn_read_step(st))
            close_connection(srv, fd);
        else if (st->status == FD_RESULT)
            mark_busy(srv, fd);
    } else if ((want & FD_WANT_WRITE) && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))) {
        mark_busy(srv, fd);
    }
}

/* A step for one busy connection; false: close it. */
typedef bool BusyStep(Server *srv, FDState *st);

static void for_each_busy(Server *srv, BusyStep *step)
{
    for (int i = 0; i < srv->nbusy; i++) {
        int fd = srv->busy[i];
        if (srv->slots[fd].st != NULL && !step(srv, srv->slots[fd].st))
            close_connection(srv, fd);
    }
}

static bool result_if_due(Server *srv, FDState *st)
{
    return st->status != FD_RESULT || conn_result_step(&srv->base, st);
}

/* After the round's store_sync(): replies that acknowledge writes the
 * store could not sync must not go out, so their connection is closed
 * without them (the client sees no +OK). */
static bool settle_sync(Server *srv, FDState *st)
{
    if (st->unsynced && srv->sync_failed)
        return false;
    st->unsynced = false;
    return true;
}

/* Group commit, as in the select server: one store_sync() for every
 * mutation of the round.  Only busy connections executed requests. */
static void sync_store(Server *srv)
{
    char err[STORE_ERR_LEN];
    srv->sync_failed = store_sync(srv->base.store, err, sizeof err) < 0;
    if (srv->sync_failed)
        log_error("store: %s", err);
    for_each_busy(srv, settle_sync);
}

/* Replies are written at once, without waiting for epoll to say the
 * socket is writable: it almost always is. */
static bool write_if_due(Server *srv, FDState *st)
{
    (void)srv;
    return !(fdstate_interest(st) & FD_WANT_WRITE) || conn_write_step(st);
}

/* End of round: epoll learns each busy connection's new interest; only
 * those still in RESULT stay busy (they make the next wait not sleep). */
static void forget_idle(Server *srv)
{
    int kept = 0;
    for (int i = 0; i < srv->nbusy; i++) {
        int fd = srv->busy[i];
        Slot *slot = &srv->slots[fd];
        if (slot->st != NULL)
            watch(srv, fd);
        if (slot->st != NULL && slot->st->status == FD_RESULT)
            srv->busy[kept++] = fd;
        else
            slot->busy = false;
    }
    srv->nbusy = kept;
}

/* Milliseconds epoll_pwait may sleep: 0 if requests wait, else until the
 * store's next timed task (the everysec fsync, the expiry cycle), else -1
 * (until something happens). */
static int sleep_limit_ms(Server *srv)
{
    return srv->nbusy > 0 ? 0 : (int)store_timeout_ms(srv->base.store);
}

static void run_server(Server *srv, const sigset_t *during_wait)
{
    static struct epoll_event events[EVENTS_PER_ROUND];
    while (!shutdown_requested) {
        watch_listener(srv);
        int ready = epoll_pwait(srv->epoll_fd, events, EVENTS_PER_ROUND,
                                sleep_limit_ms(srv), during_wait);
        if (ready < 0) {
            if (errno != EINTR)
                log_error("epoll_pwait: %s", strerror(errno));
            continue;                   /* EINTR: the flag is looked at */
        }
        for (int i = 0; i < ready; i++) {
            if (events[i].data.fd == srv->base.listen_fd)
                acceptor_accept_all(&srv->acceptor, admit, srv);
            else
                on_ready(srv, events[i].data.fd, events[i].events);
        }
        store_expire_cycle(srv->base.store);    /* when due: bounded work */
        for_each_busy(srv, result_if_due);
        sync_store(srv);
        for_each_busy(srv, write_if_due);
        forget_idle(srv);
    }
}

/* ---- start and stop ----------------------------------------------------- */

/*
 * Raises the soft descriptor limit to what max_clients needs, up to the
 * hard limit (an unprivileged process may go that far, no further).
 * Returns the limit now in force: the size of the state table.
 */
static int raise_fd_limit(long max_clients)
{
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
        lim.rlim_cur = lim.rlim_max = 1024;
    rlim_t wanted = (rlim_t)max_clients + RESERVED_FDS;
    if (lim.rlim_cur < wanted) {
        lim.rlim_cur = lim.rlim_max < wanted ? lim.rlim_max : wanted;
        if (setrlimit(RLIMIT_NOFILE, &lim) < 0 || getrlimit(RLIMIT_NOFILE, &lim) < 0)
            log_error("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
    }
    if (lim.rlim_cur < wanted)
        log_error("only %ld descriptors (ulimit -Hn): fewer than %ld clients fit",
                  (long)lim.rlim_cur, max_clients);
    return lim.rlim_cur > MAX_SLOTS ? MAX_SLOTS : (int)lim.rlim_cur;
}

/* The state table, the busy list and the epoll instance with the
 * listening socket in it.  -1 after a message. */
static int open_epoll(Server *srv)
{
    srv->nslots = raise_fd_limit(srv->base.ctx.max_clients);
    srv->slots = calloc((size_t)srv->nslots, sizeof *srv->slots);
    srv->busy = calloc((size_t)srv->nslots, sizeof *srv->busy);
    srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = srv->base.listen_fd };
    if (srv->slots == NULL || srv->busy == NULL) {
        log_error("out of memory for %d descriptors", srv->nslots);
        return -1;
    }
    if (srv->epoll_fd < 0 ||
        epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, srv->base.listen_fd, &ev) < 0) {
        log_error("epoll: %s", strerror(errno));
        return -1;
    }
    srv->listening = true;
    return 0;
}

/* Frees every FDState and the tables; closes every descriptor but the
 * listening one. */
static void close_everything(Server *srv)
{
    for (int fd = 0; fd < srv->nslots && srv->slots != NULL; fd++)
        if (srv->slots[fd].st != NULL)
            close_connection(srv, fd);
    free(srv->slots);
    free(srv->busy);
    if (srv->epoll_fd >= 0)
        close(srv->epoll_fd);
    acceptor_close(&srv->acceptor);
}

int main(int argc, char **argv)
{
    Server srv = { .epoll_fd = -1 };
    int exit_status;
    if (server_open(&srv.base, argc, argv, &EPOLL_SETUP, &exit_status) < 0)
        return exit_status;
    if (acceptor_init(&srv.acceptor, srv.base.listen_fd) < 0) {
        server_close(&srv.base);
        return 1;
    }
    int status = 0;

    /* Block SIGINT/SIGTERM; epoll_pwait() alone lets them in (see the top). */
    sigset_t shutdown_signals, during_wait;
    signals_shutdown_set(&shutdown_signals);
    if (open_epoll(&srv) < 0)
        status = 1;
    else if (sigprocmask(SIG_BLOCK, &shutdown_signals, &during_wait) < 0) {
        log_error("sigprocmask: %s", strerror(errno));
        status = 1;
    } else
        run_server(&srv, &during_wait);

    close_everything(&srv);
    return server_close(&srv.base) < 0 ? 1 : status;
}

/* END SOLUTION */
