/*
 * main.c — stage 0: signal_demo, a program that catches signals and says
 * which one arrived and who sent it.
 *
 *     signal_demo &          prints its pid, then waits
 *     kill -USR1 <pid>       it prints: caught SIGUSR1 (User defined signal 1) from pid <yours>
 *     kill -INT <pid>        it prints that line, then "exiting", and exits 0
 *
 * The handler (selfpipe.c) only writes a record into a pipe; this file's
 * loop reads the records and prints them.  The table of signals is in
 * signal_table.c, the --crash demo in crash.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "selfpipe.h"
#include "signal_table.h"

/* Not static: a main() written milestone by milestone prints it only once it
 * handles the options (0d), and an unused static would stop the build under
 * -Werror until then. */
extern const char usage_text[];
const char usage_text[] =
    "usage: signal_demo [--no-restart | --list | --crash | --help]\n"
    "\n"
    "Catches the standard signals and prints one line for each one received:\n"
    "    caught SIGUSR1 (User defined signal 1) from pid 4242\n"
    "SIGINT or SIGTERM prints its line, then \"exiting\", and ends it (status 0).\n"
    "Try, from another terminal:  kill -USR1 <the pid it prints>\n"
    "\n"
    "  --no-restart  install the handlers without SA_RESTART: the read() the\n"
    "                program waits in then fails with EINTR at each signal, and\n"
    "                it says so.  Without this option the kernel restarts the\n"
    "                read() and nothing shows.\n"
    "  --list        print the table of signals (number, name, description,\n"
    "                default action, caught here or not) and exit\n"
    "  --crash       write to a forbidden page: the SIGSEGV handler prints the\n"
    "                fault address and exits with status 3\n"
    "  --help        print this help and exit\n";

/* BEGIN SOLUTION stage0: signal-demo-main */

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
    const char *option = argc == 2 ? argv[1] : "";

    if (argc == 1)
        return catch_signals(true);
    if (strcmp(option, "--no-restart") == 0)
        return catch_signals(false);
    if (strcmp(option, "--list") == 0) {
        signal_table_print(stdout);
        return fflush(stdout) == EOF ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    if (strcmp(option, "--crash") == 0)
        return crash_demo();
    if (strcmp(option, "--help") == 0) {
        fputs(usage_text, stdout);
        return fflush(stdout) == EOF ? EXIT_FAILURE : EXIT_SUCCESS;
    }
    if (argc > 2)
        fprintf(stderr, "signal_demo: one option at most\n");
    else
        fprintf(stderr, "signal_demo: unknown option '%s'\n", option);
    fputs(usage_text, stderr);
    return 2;
}

/* END SOLUTION */
