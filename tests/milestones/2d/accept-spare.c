/* O_NONBLOCK on fd: accept(), read() and write() then return EAGAIN
 * instead of waiting.  F_GETFL first: F_SETFL replaces every status flag. */
static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    return 0;
}

static int open_spare(void)
{
    return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int acceptor_init(Acceptor *a, int listen_fd)
{
    *a = (Acceptor){ .listen_fd = listen_fd, .spare_fd = -1 };
    if (set_nonblocking(listen_fd) < 0) {
        log_error("listening socket: fcntl(O_NONBLOCK): %s", strerror(errno));
        return -1;
    }
    a->spare_fd = open_spare();
    return 0;
}

void acceptor_close(Acceptor *a)
{
    if (a->spare_fd >= 0)
        close(a->spare_fd);
    a->spare_fd = -1;
}

void acceptor_refuse(int fd)
{
    static const char refusal[] = ACCEPTOR_REFUSAL;
    log_verbose("fd %d: refused, max number of clients reached", fd);
    if (write(fd, refusal, sizeof refusal - 1) < 0)
        log_verbose("fd %d: write: %s", fd, strerror(errno));
    close(fd);
}

FDState *acceptor_open_connection(int fd)
{
    if (set_nonblocking(fd) < 0) {
        log_error("fd %d: fcntl(O_NONBLOCK): %s", fd, strerror(errno));
        close(fd);
        return NULL;
    }
    char peer[NET_ADDR_LEN] = "?";
    net_peer_name(fd, peer, sizeof peer);
    FDState *st = fdstate_new(fd, peer);
    if (st == NULL) {
        log_error("fd %d: out of memory", fd);
        close(fd);
        return NULL;
    }
    log_verbose("fd %d (%s): accepted", fd, peer);
    return st;
}

/* EMFILE: the spare's slot takes the client just long enough to refuse it. */
static void refuse_without_descriptors(Acceptor *a)
{
    if (a->spare_fd >= 0) {
        close(a->spare_fd);
        int fd = accept(a->listen_fd, NULL, NULL);
        int accept_errno = errno;
        if (fd >= 0)
            acceptor_refuse(fd);
        a->spare_fd = open_spare();
        /*
         * EAGAIN is fine too: Linux's accept() looks for a free descriptor
         * before it looks at the queue, so the EMFILE may have come with
         * nobody waiting at all.
         */
        if (fd >= 0 || accept_errno == EAGAIN || accept_errno == EWOULDBLOCK)
            return;
    }
    log_error("out of file descriptors: not accepting until a client leaves");
    a->paused = true;
}

void acceptor_accept_all(Acceptor *a, AcceptorAdmit *admit, void *server)
{
    for (int i = 0; i < ACCEPTOR_MAX_PER_ROUND; i++) {
        char err[NET_ERR_LEN];
        int fd = net_accept(a->listen_fd, true, err, sizeof err);
        if (fd >= 0) {
            admit(server, fd);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE)
            refuse_without_descriptors(a);
        else if (errno == ECONNABORTED)
            continue;                   /* gone before we took it: next */
        else if (errno != EAGAIN && errno != EWOULDBLOCK)
            log_error("%s", err);
        return;
    }
}
