
/*
 * A write() of at most PIPE_BUF bytes to a pipe is atomic: the record goes
 * in whole or not at all, never interleaved with another one, even when a
 * second handler interrupts the first.  So the pipe always holds whole
 * records, and a read() of one record's size gets exactly one.  POSIX
 * guarantees PIPE_BUF >= _POSIX_PIPE_BUF (512); Linux has 4096.
 */
_Static_assert(sizeof(struct signal_record) <= _POSIX_PIPE_BUF,
               "a record must fit in one atomic pipe write");

static int read_end = -1;

/*
 * The handler reads this.  volatile sig_atomic_t is the type C and POSIX
 * promise a handler can share with the rest of the program: selfpipe_close()
 * sets it to -1 before closing, and a handler running later sees -1 rather
 * than a closed (or, worse, reused) descriptor.
 */
static volatile sig_atomic_t write_end = -1;

/*
 * The handler.  Only async-signal-safe calls here: write(), and nothing
 * that takes a lock or touches the heap (no printf, malloc, free).
 */
static void on_signal(int signo, siginfo_t *info, void *context)
{
    /*
     * write() may set errno, and the interrupted code may be just between
     * a failed call and its test of errno: put errno back as it was.
     */
    int saved_errno = errno;
    struct signal_record rec = { .signo = signo, .pid = info->si_pid };
    (void)context;

    if (write_end >= 0) {
        /* If the pipe is full, this record is lost: see selfpipe_open(). */
        ssize_t n = write(write_end, &rec, sizeof rec);
        (void)n;
    }
    errno = saved_errno;
}

/* Adds flags (O_NONBLOCK...) to a descriptor's status flags. */
static int add_status_flags(int fd, int flags)
{
    int old = fcntl(fd, F_GETFL);
    return old < 0 ? -1 : fcntl(fd, F_SETFL, old | flags);
}

int selfpipe_open(void)
{
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    /*
     * The write end is non-blocking.  Blocking, a handler writing into a
     * full pipe would wait for the main loop to read it, but the main loop
     * is the very code the handler interrupted: it would wait forever.
     * Non-blocking, the write fails with EAGAIN and that record is lost,
     * which needs some 8000 signals faster than the loop can print them.
     * The read end stays blocking: the main loop sleeps in read() until
     * a record arrives.
     */
    if (add_status_flags(fds[1], O_NONBLOCK) < 0 ||
        fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 ||
        fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    read_end = fds[0];
    write_end = fds[1];
    return 0;
}

int selfpipe_catch(int signo, bool restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;        /* SA_SIGINFO: the 3-argument handler */
    sa.sa_flags = SA_SIGINFO | (restart ? SA_RESTART : 0);
    /*
     * While on_signal runs for signo, signo itself is blocked (the default
     * without SA_NODEFER); other signals may interrupt it.  That is fine:
     * each handler makes one atomic write and restores errno.
     */
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

int selfpipe_read(struct signal_record *rec)
{
    ssize_t n = read(read_end, rec, sizeof *rec);
    if (n == (ssize_t)sizeof *rec)
        return 0;
    /*
     * End of file or part of a record: impossible while we hold the write
     * end and every write is one whole record.  Report it, don't guess.
     */
    if (n >= 0)
        errno = EIO;
    return -1;
}

void selfpipe_close(void)
{
    int fd = write_end;
    write_end = -1;             /* first, so no handler writes to it now */
    if (fd >= 0)
        close(fd);
    if (read_end >= 0)
        close(read_end);
    read_end = -1;
}
