/*
 * selfpipe.h — the self-pipe: how a signal handler hands a signal over to
 * the main loop without doing anything unsafe.
 *
 * A handler can run between any two instructions of the program, in the
 * middle of a printf() holding stdout's lock or of a malloc() rearranging
 * the heap.  If the handler itself called printf or malloc, it could
 * deadlock on that lock or corrupt that heap.  So the handler does one
 * async-signal-safe thing (signal-safety(7)): it write()s a small record,
 * {signal number, sender's pid}, into a pipe.  The main loop read()s the
 * records from the other end and does the printing, in ordinary code.
 *
 * Unlike a "signal happened" flag, the pipe keeps one record per delivery:
 * when SIGUSR1, SIGUSR2 and SIGHUP arrive together, all three are reported.
 */
#ifndef SELFPIPE_H
#define SELFPIPE_H

#include <stdbool.h>
#include <sys/types.h>

/* What the handler writes for each delivery. */
struct signal_record {
    int   signo;   /* which signal */
    pid_t pid;     /* who sent it (siginfo's si_pid) */
};

/* Creates the pipe.  0, or -1 with errno set. */
int selfpipe_open(void);

/*
 * Installs the self-pipe handler for signo with sigaction and SA_SIGINFO;
 * with restart, also SA_RESTART.  0, or -1 with errno set (EINVAL for
 * SIGKILL and SIGSTOP).
 */
int selfpipe_catch(int signo, bool restart);

/*
 * Waits for the next record.  0, or -1 with errno set: EINTR when a signal
 * interrupted the wait (only without SA_RESTART), the caller then calls
 * again.
 */
int selfpipe_read(struct signal_record *rec);

/* Closes both ends; signals caught afterwards are dropped. */
void selfpipe_close(void);

#endif
