/*
 * TODO (stage 2): accepting without blocking, as acceptor.h describes it:
 *     acceptor_init/acceptor_close (the spare descriptor, /dev/null),
 *     acceptor_refuse (the error line, then close), and
 *     acceptor_accept_all (accept until EAGAIN, at most
 *     ACCEPTOR_MAX_PER_ROUND; ECONNABORTED: next; EMFILE/ENFILE: close the
 *     spare, accept, refuse, reopen it, or set `paused`).
 *     Your select server calls them from its loop.
 * See handout.md, section "Stage 2 — the select server".
 */
void acceptor_init(Acceptor *a, int listen_fd)
{
    *a = (Acceptor){ .listen_fd = listen_fd, .spare_fd = -1 };
}

void acceptor_close(Acceptor *a)
{
    (void)a;
}

void acceptor_accept_all(Acceptor *a, AcceptorAdmit *admit, void *server)
{
    (void)a;
    (void)admit;
    (void)server;
}

void acceptor_refuse(int fd)
{
    close(fd);
}
