bool conn_read_step(FDState *st)
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

bool conn_result_step(ServerBase *base, FDState *st)
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

bool conn_write_step(FDState *st)
{
    ssize_t n = write(st->fd, st->out.data + st->out.cur, buffer_pending(&st->out));
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return true;                /* full: wait until it is writable */
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
