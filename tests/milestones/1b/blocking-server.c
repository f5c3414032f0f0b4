static const ServerSetup BLOCKING_SETUP = {
    .program = "kvserver-blocking",
    .with_max_clients = false,
    .default_max_clients = 1,
};

/* READ: block in read().  Bytes arrived -> RESULT.  false: the client is gone. */
static bool read_step(FDState *st)
{
    if (fdstate_read(st) <= 0)
        return false;
    fdstate_set_status(st, FD_RESULT);
    return true;
}

/* RESULT: execute the complete requests -> WRITE, READ or CLOSING. */
static bool result_step(ServerBase *base, FDState *st)
{
    FDStatus next;
    if (serve_requests(st, &base->ctx, &protocol_default_limits,
                       &base->requests, &next) < 0)
        return false;
    fdstate_set_status(st, next);
    return true;
}

/* WRITE and CLOSING: write every reply; then RESULT if requests wait in
 * `in`, else READ. */
static bool write_step(FDState *st)
{
    size_t len = buffer_pending(&st->out);
    if (net_write_all(st->fd, st->out.data + st->out.cur, len, &shutdown_requested) < 0)
        return false;
    buffer_consume(&st->out, len);
    if (st->status == FD_CLOSING)
        return false;
    fdstate_set_status(st, serve_all_written(st));
    return true;
}

static void serve_client(ServerBase *base, FDState *st)
{
    bool keep = true;
    while (keep && !shutdown_requested) {
        switch (st->status) {
        case FD_READ:    keep = read_step(st);         break;
        case FD_RESULT:  keep = result_step(base, st); break;
        case FD_WRITE:
        case FD_CLOSING: keep = write_step(st);        break;
        }
    }
}

int main(int argc, char **argv)
{
    ServerBase base;
    int exit_status;
    if (server_open(&base, argc, argv, &BLOCKING_SETUP, &exit_status) < 0)
        return exit_status;
    while (!shutdown_requested) {
        char err[NET_ERR_LEN];
        int fd = net_accept(base.listen_fd, false, err, sizeof err);
        if (fd < 0) {
            log_error("%s", err);
            continue;
        }
        char peer[NET_ADDR_LEN] = "?";
        net_peer_name(fd, peer, sizeof peer);
        FDState *st = fdstate_new(fd, peer);
        if (st != NULL) {
            base.connections++;
            serve_client(&base, st);
            fdstate_free(st);
        }
        close(fd);
    }
    return server_close(&base) < 0 ? 1 : 0;
}
