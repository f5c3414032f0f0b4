/*
 * kvserver-blocking.c — stage 1: the blocking key-value server.
 *
 * One client at a time, with blocking calls: accept() waits for a client,
 * read() waits for its requests, write() waits until the replies are sent.
 * While one client is connected, the next one waits in the listen queue:
 * that is the limit stage 2 removes with select().
 *
 * Everything but the I/O loop is shared with stage 2 and lives in common/:
 * the store, the FDState, the protocol parser, the command table.
 *
 * Shutdown: SIGINT and SIGTERM set a flag (common/signals.c).  Their
 * handler is installed without SA_RESTART, so the blocked accept() or
 * read() fails with EINTR, the loop sees the flag, and main() closes the
 * client, the listening socket and the store, and exits 0.
 *
 * A known gap, closed in stage 2 with pselect(): if the signal lands after
 * the loop has tested the flag but before the process is back inside
 * accept() or read(), that call starts blocking anyway.  The window is a
 * few instructions wide; the 1-second receive timeout below bounds the
 * damage, since every blocking call here returns at least once a second.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
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

typedef struct Server {
    int            listen_fd;
    Store         *store;
    CommandContext ctx;
    unsigned long  connections;
    unsigned long  requests;
} Server;

/* BEGIN SOLUTION stage1 (handout: "Stage 1 — the blocking server")
 * TODO: write the blocking server: main() parses the options (options.h),
 *       opens the store and the listening socket, prints the ready line, then
 *       accepts one client at a time and serves it (serve.h) until it leaves; on
 *       SIGINT or SIGTERM it closes everything and prints "shutting down".
 * STUB: int main(void)
 * STUB: {
 * STUB:     return 0;
 * STUB: }
 */

/*
 * Every blocking call in this server waits at most a second (SO_RCVTIMEO,
 * which Linux also applies to accept()).  The loop then calls store_sync(),
 * so that with --fsync everysec the fsync happens within about a second
 * even when no request comes to trigger it.
 */
static void set_wait_limit(int fd)
{
    struct timeval one_second = { .tv_sec = 1, .tv_usec = 0 };
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &one_second, sizeof one_second) < 0)
        log_error("setsockopt(SO_RCVTIMEO): %s", strerror(errno));
}

static bool timed_out(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

/* Writes the queued replies.  With --fsync always they are only sent once
 * store_sync() has put the mutations they acknowledge on disk. */
static int sync_and_reply(Server *srv, FDState *st)
{
    char err[STORE_ERR_LEN];
    if (store_sync(srv->store, err, sizeof err) < 0 && st->unsynced) {
        /* Not on disk: the client must not be told +OK.  Closing without
         * the replies leaves the outcome unacknowledged. */
        log_error("fd %d: store: %s; closing without acknowledging", st->fd, err);
        return -1;
    }
    st->unsynced = false;
    size_t len = buffer_pending(&st->out);
    if (net_write_all(st->fd, st->out.data + st->out.cur, len, &shutdown_requested) < 0) {
        log_verbose("fd %d (%s): write: %s", st->fd, st->peer, strerror(errno));
        return -1;
    }
    buffer_consume(&st->out, len);
    return 0;
}

/* Reads what the client sent.  1: got bytes, 0: the client is gone (or
 * we must stop), -1: nothing yet (timeout or signal), try again. */
static int read_some(FDState *st)
{
    if (buffer_reserve(&st->in, READ_CHUNK) < 0) {
        log_error("fd %d: out of memory", st->fd);
        return 0;
    }
    ssize_t n = read(st->fd, st->in.data + st->in.end, st->in.size - st->in.end);
    if (n > 0) {
        buffer_commit(&st->in, (size_t)n);
        return 1;
    }
    if (n < 0 && (errno == EINTR || timed_out()))
        return -1;                      /* the loop checks the flag, syncs */
    if (n < 0)
        log_verbose("fd %d (%s): read: %s", st->fd, st->peer, strerror(errno));
    return 0;
}

/* Serves one client until it leaves, sends QUIT, or a signal arrives. */
static void serve_client(Server *srv, FDState *st)
{
    const ProtocolLimits *limits = &protocol_default_limits;
    while (!shutdown_requested) {
        int got = read_some(st);
        if (got == 0)
            return;
        if (got < 0) {
            char err[STORE_ERR_LEN];
            if (store_sync(srv->store, err, sizeof err) < 0)
                log_error("store: %s", err);
            continue;
        }
        if (buffer_pending(&st->in) > SERVE_QUERY_LIMIT) {
            log_error("fd %d: query buffer over %ld bytes, closing", st->fd,
                      SERVE_QUERY_LIMIT);
            return;
        }
        /* Serve every complete request; when back-pressure stopped
         * serve_requests early, the replies are written (blocking) and the
         * rest served, until only a partial request is left. */
        do {
            if (serve_requests(st, &srv->ctx, limits, &srv->requests) < 0 ||
                sync_and_reply(srv, st) < 0)
                return;
        } while (serve_has_waiting_input(st));
        if (st->status == FD_CLOSING)
            return;
        fdstate_reset(st);
    }
}

/* accept() one client, serve it, close it. */
static void accept_and_serve(Server *srv)
{
    char err[NET_ERR_LEN];
    int fd = net_accept(srv->listen_fd, false, err, sizeof err);
    if (fd < 0) {
        if (errno != EINTR && !timed_out())
            log_error("%s", err);
        if (timed_out() && store_sync(srv->store, err, sizeof err) < 0)
            log_error("store: %s", err);
        return;
    }
    char peer[NET_ADDR_LEN] = "?";
    net_peer_name(fd, peer, sizeof peer);
    FDState *st = fdstate_new(fd, peer);
    if (st == NULL) {
        log_error("fd %d: out of memory", fd);
        close(fd);
        return;
    }
    srv->connections++;
    log_verbose("fd %d (%s): accepted", fd, peer);
    set_wait_limit(fd);
    serve_client(srv, st);
    log_verbose("fd %d (%s): closed after %lu requests", fd, peer, st->requests);
    fdstate_free(st);
    close(fd);
}

/* Opens the store and the listening socket.  0, or -1 after a message. */
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
    srv->ctx = (CommandContext){ srv->store, opt->fsync, 1 };
    srv->listen_fd = net_listen(opt->bind_addr, opt->port, 128, err, sizeof err);
    if (srv->listen_fd < 0) {
        log_error("cannot listen on %s:%d: %s", opt->bind_addr, opt->port, err);
        store_close(srv->store, err, sizeof err);
        return -1;
    }
    set_wait_limit(srv->listen_fd);
    char name[NET_ADDR_LEN];
    if (net_local_name(srv->listen_fd, name, sizeof name) < 0)
        snprintf(name, sizeof name, "%s:%d", opt->bind_addr, opt->port);
    printf("listening on %s\n", name);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    log_set_program("kvserver-blocking");
    ServerOptions opt;
    switch (options_parse(argc, argv, &opt, false)) {
    case OPTIONS_HELP:      return 0;
    case OPTIONS_BAD_VALUE: return 1;
    case OPTIONS_USAGE:     return 2;
    }
    log_is_verbose = opt.verbose;

    Server srv = { .listen_fd = -1 };
    if (server_start(&srv, &opt) < 0)
        return 1;
    while (!shutdown_requested)
        accept_and_serve(&srv);

    /* Ordinary code again, so cleanup may call anything it likes. */
    close(srv.listen_fd);
    char err[STORE_ERR_LEN];
    int rc = store_close(srv.store, err, sizeof err);
    if (rc < 0)
        log_error("closing the store: %s", err);
    log_verbose("served %lu connections, %lu requests", srv.connections,
                srv.requests);
    printf("shutting down\n");
    return rc < 0 ? 1 : 0;
}

/* END SOLUTION */
