/*
 * How it works.
 *
 * The client's FDState goes through the same machine as in stage 2
 * (common/fdstate.h), and serve_client() switches on its status: READ
 * blocks in read(), RESULT executes the requests, WRITE blocks in write()
 * until every reply is out.  Everything else is shared with stage 2 and
 * lives in common/: start-up and shutdown, the store, the protocol parser,
 * the command table.
 *
 * Shutdown: SIGINT and SIGTERM set a flag (common/signals.c).  Their
 * handler is installed without SA_RESTART, so the blocked accept(), read()
 * or write() fails with EINTR (or, for a write, returns short), the loop
 * sees the flag, and main() closes the client, the listening socket and
 * the store, and exits 0.
 *
 * A known gap, closed in stage 2 with pselect(): if the signal lands after
 * the loop has tested the flag but before the process is back inside
 * accept() or read(), that call starts blocking anyway.  The window is a
 * few instructions wide; the 1-second receive timeout below bounds the
 * damage, since every blocking read or accept returns at least once a
 * second.
 */

static const ServerSetup BLOCKING_SETUP = {
    .program = "kvserver-blocking",
    .with_max_clients = false,
    .default_max_clients = 1,       /* one client at a time */
};

/*
 * Every blocking read or accept in this server waits at most a second
 * (SO_RCVTIMEO, which Linux also applies to accept()).  The loop then calls
 * store_sync(), so that with --fsync everysec the fsync happens within
 * about a second even when no request comes to trigger it.
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

/* The everysec policy's fsync, when a wait timed out or was interrupted. */
static void sync_idle_store(ServerBase *base)
{
    char err[STORE_ERR_LEN];
    if (store_sync(base->store, err, sizeof err) < 0)
        log_error("store: %s", err);
}

/* READ: block in read().  Bytes arrived -> RESULT.  false: the client is
 * gone (or the query is too big). */
static bool read_step(ServerBase *base, FDState *st)
{
    ssize_t n = fdstate_read(st);
    if (n > 0) {
        fdstate_set_status(st, FD_RESULT);
        return true;
    }
    if (n < 0 && (errno == EINTR || timed_out())) {
        sync_idle_store(base);          /* then the loop checks the flag */
        return true;
    }
    if (n < 0)
        log_verbose("fd %d (%s): read: %s", st->fd, st->peer, strerror(errno));
    return false;
}

/* RESULT: execute the complete requests -> WRITE, READ or CLOSING. */
static bool result_step(ServerBase *base, FDState *st)
{
    FDStatus next;
    if (serve_requests(st, &base->ctx, &protocol_default_limits,
                       &base->requests, &next) < 0) {
        log_error("fd %d: out of memory", st->fd);
        return false;
    }
    fdstate_set_status(st, next);
    return true;
}

/* WRITE and CLOSING: sync the store, then block in write() until every
 * reply is out.  -> RESULT if requests wait in `in` (back-pressure stopped
 * the RESULT step early), else READ.  false: close the connection. */
static bool write_step(ServerBase *base, FDState *st)
{
    char err[STORE_ERR_LEN];
    if (store_sync(base->store, err, sizeof err) < 0 && st->unsynced) {
        /* Not on disk: the client must not be told +OK.  Closing without
         * the replies leaves the outcome unacknowledged. */
        log_error("fd %d: store: %s; closing without acknowledging", st->fd, err);
        return false;
    }
    st->unsynced = false;
    size_t len = buffer_pending(&st->out);
    if (net_write_all(st->fd, st->out.data + st->out.cur, len, &shutdown_requested) < 0) {
        log_verbose("fd %d (%s): write: %s", st->fd, st->peer, strerror(errno));
        return false;
    }
    buffer_consume(&st->out, len);
    if (st->status == FD_CLOSING)
        return false;                   /* QUIT or protocol error: done */
    fdstate_set_status(st, serve_all_written(st));
    return true;
}

/* Serves one client until it leaves, sends QUIT, or a signal arrives:
 * each turn performs the step its status names. */
static void serve_client(ServerBase *base, FDState *st)
{
    bool keep = true;
    while (keep && !shutdown_requested) {
        switch (st->status) {
        case FD_READ:    keep = read_step(base, st);   break;
        case FD_RESULT:  keep = result_step(base, st); break;
        case FD_WRITE:
        case FD_CLOSING: keep = write_step(base, st);  break;
        }
    }
}

/* accept() one client, serve it, close it. */
static void accept_and_serve(ServerBase *base)
{
    char err[NET_ERR_LEN];
    int fd = net_accept(base->listen_fd, false, err, sizeof err);
    if (fd < 0) {
        if (timed_out() || errno == EINTR)
            sync_idle_store(base);
        else
            log_error("%s", err);
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
    base->connections++;
    log_verbose("fd %d (%s): accepted", fd, peer);
    set_wait_limit(fd);
    serve_client(base, st);
    log_verbose("fd %d (%s): closed after %lu requests", fd, peer, st->requests);
    fdstate_free(st);
    close(fd);
}

int main(int argc, char **argv)
{
    ServerBase base;
    int exit_status;
    if (server_open(&base, argc, argv, &BLOCKING_SETUP, &exit_status) < 0)
        return exit_status;
    set_wait_limit(base.listen_fd);
    while (!shutdown_requested)
        accept_and_serve(&base);
    /* Ordinary code again, so cleanup may call anything it likes. */
    return server_close(&base) < 0 ? 1 : 0;
}
