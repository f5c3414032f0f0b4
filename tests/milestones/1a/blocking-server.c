static const ServerSetup BLOCKING_SETUP = {
    .program = "kvserver-blocking",
    .with_max_clients = false,
    .default_max_clients = 1,
};

/* Reads, executes and answers until the client leaves or asks to. */
static void serve_client(ServerBase *base, FDState *st)
{
    for (;;) {
        if (fdstate_read(st) <= 0)
            return;
        FDStatus next;
        if (serve_requests(st, &base->ctx, &protocol_default_limits,
                           &base->requests, &next) < 0)
            return;
        size_t len = buffer_pending(&st->out);
        if (net_write_all(st->fd, st->out.data + st->out.cur, len, &shutdown_requested) < 0)
            return;
        buffer_consume(&st->out, len);
        if (next == FD_CLOSING)
            return;
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
