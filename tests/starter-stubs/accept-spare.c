/*
 * TODO (milestones 2a and 2d): accepting without blocking, as acceptor.h
 *     describes it.  2a: making the listening socket (acceptor_init) and
 *     each accepted one (acceptor_open_connection) non-blocking with
 *     fcntl, and accepting (acceptor_accept_all); 2d: refusing a client
 *     (acceptor_refuse) and the spare descriptor for EMFILE
 *     (acceptor_init, acceptor_close).
 * See handout.md, sections "Milestone 2a — ..." and "Milestone 2d — ...".
 */
int acceptor_init(Acceptor *a, int listen_fd)
{
    *a = (Acceptor){ .listen_fd = listen_fd, .spare_fd = -1 };
    return 0;
}

void acceptor_close(Acceptor *a)
{
    (void)a;
}

FDState *acceptor_open_connection(int fd)
{
    close(fd);
    return NULL;
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
