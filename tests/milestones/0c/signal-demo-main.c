/* printf, then flush: stdout may be a file or a pipe, fully buffered. */
static bool say(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vprintf(format, ap);
    va_end(ap);
    /*
     * If stdout is gone (a closed pipe), stop: each failed write raises
     * SIGPIPE, which we catch, whose line would fail again, and so on.
     */
    if (fflush(stdout) == EOF) {
        fprintf(stderr, "signal_demo: writing to stdout: %s\n", strerror(errno));
        return false;
    }
    return true;
}

/*
 * Installs the self-pipe handler for every signal of the table worth
 * catching.  Among them SIGTSTP, SIGTTIN and SIGTTOU: caught, they no
 * longer stop the program (Ctrl-Z only prints a line).  SIGCONT still
 * resumes a stopped program, whatever its handler: the kernel does that
 * part before any handler runs.
 */
static bool install_handlers(bool restart)
{
    for (size_t i = 0; i < signal_table_len; i++) {
        const struct signal_info *s = &signal_table[i];
        if (s->not_caught == NULL && selfpipe_catch(s->number, restart) < 0) {
            fprintf(stderr, "signal_demo: sigaction(%s): %s\n", s->name, strerror(errno));
            return false;
        }
    }
    return true;
}

/*
 * SIGKILL and SIGSTOP can be neither caught nor ignored: they are the
 * system's guaranteed way to end or freeze any process, however broken.
 * sigaction refuses them with EINVAL; show it.
 */
static bool show_uncatchable(int signo)
{
    if (selfpipe_catch(signo, true) == 0)
        return say("%s was caught?! this system breaks POSIX\n", signal_name(signo));
    return say("%s cannot be caught: %s\n", signal_name(signo), strerror(errno));
}

static bool ends_the_program(int signo)
{
    return signo == SIGINT || signo == SIGTERM;
}

/* Prints what arrives through the self-pipe until SIGINT or SIGTERM. */
static int report_signals(void)
{
    for (;;) {
        struct signal_record rec;
        if (selfpipe_read(&rec) < 0) {
            if (errno != EINTR) {
                fprintf(stderr, "signal_demo: reading the self-pipe: %s\n", strerror(errno));
                return EXIT_FAILURE;
            }
            /*
             * A signal arrived while read() was waiting; the handler ran
             * and read() gave up with EINTR.  That happens only without
             * SA_RESTART (--no-restart): with it, the kernel starts the
             * read() again by itself and this line never shows.  Either
             * way the record is in the pipe: read again to get it.
             */
            if (!say("read() interrupted: %s (EINTR); calling it again\n",
                     strerror(EINTR)))
                return EXIT_FAILURE;
            continue;
        }
        /*
         * si_pid is the sender's pid for a kill() or sigqueue(), the
         * child's for SIGCHLD.  For a signal the kernel raises itself it
         * means little: 0 for SIGWINCH from a terminal, and on Linux our
         * own pid for the SIGPIPE of a write to a closed pipe.
         */
        if (!say("caught %s (%s) from pid %ld\n", signal_name(rec.signo),
                 strsignal(rec.signo), (long)rec.pid))
            return EXIT_FAILURE;
        if (ends_the_program(rec.signo))
            return say("exiting\n") ? EXIT_SUCCESS : EXIT_FAILURE;
    }
}

static int catch_signals(bool restart)
{
    if (selfpipe_open() < 0) {
        perror("signal_demo: pipe");
        return EXIT_FAILURE;
    }
    /*
     * Handlers first, pid second: whoever waits for the pid line before
     * sending a signal must find the handlers in place.
     */
    int status = EXIT_FAILURE;
    if (install_handlers(restart) &&
        say("signal_demo: pid %ld\n", (long)getpid()) &&
        show_uncatchable(SIGKILL) && show_uncatchable(SIGSTOP) &&
        (restart || say("handlers installed without SA_RESTART: a signal makes a "
                        "waiting read() fail with EINTR\n")))
        status = report_signals();
    selfpipe_close();
    return status;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--no-restart") == 0)
        return catch_signals(false);
    return catch_signals(true);
}
