/*
 * signal_table.c — the table of standard signals (see signal_table.h).
 *
 * Default actions, as POSIX defines them:
 *   terminate   the process ends (the shell shows status 128 + number)
 *   core dump   the process ends and may leave a core file for a debugger
 *   ignore      nothing happens
 *   stop        the process is suspended until SIGCONT
 *   continue    a stopped process resumes
 *
 * The signals marked #ifdef are not in POSIX 2008 (SIGWINCH, the Linux-only
 * ones) or only in its XSI option; every Linux has them, but the table still
 * compiles where one is missing.  Real-time signals (SIGRTMIN..SIGRTMAX)
 * queue instead of coalescing, and are left out: this demo is about the
 * standard ones.
 */
#include "signal_table.h"

#include <signal.h>
#include <string.h>

/* Why a signal is not caught, shown by --list. */
#define CANNOT "cannot be caught"
#define FAULT  "program error, see --crash"

/* In Linux's numeric order, so that --list comes out sorted there. */
const struct signal_info signal_table[] = {
    { SIGHUP,    "SIGHUP",    "terminate", NULL },
    { SIGINT,    "SIGINT",    "terminate", NULL },
    { SIGQUIT,   "SIGQUIT",   "core dump", NULL },
    /*
     * The faults below are raised by the instruction that just went wrong.
     * A handler that simply returns runs that same instruction again, and
     * it faults again, forever: the only sane handler for them reports and
     * exits, which is what --crash shows for SIGSEGV.
     */
    { SIGILL,    "SIGILL",    "core dump", FAULT },
#ifdef SIGTRAP
    { SIGTRAP,   "SIGTRAP",   "core dump", "left to debuggers" },
#endif
    /* abort() kills the process even if a SIGABRT handler returns. */
    { SIGABRT,   "SIGABRT",   "core dump", FAULT },
    { SIGBUS,    "SIGBUS",    "core dump", FAULT },
    { SIGFPE,    "SIGFPE",    "core dump", FAULT },
    { SIGKILL,   "SIGKILL",   "terminate", CANNOT },
    { SIGUSR1,   "SIGUSR1",   "terminate", NULL },
    { SIGSEGV,   "SIGSEGV",   "core dump", FAULT },
    { SIGUSR2,   "SIGUSR2",   "terminate", NULL },
    { SIGPIPE,   "SIGPIPE",   "terminate", NULL },
    { SIGALRM,   "SIGALRM",   "terminate", NULL },
    { SIGTERM,   "SIGTERM",   "terminate", NULL },
#ifdef SIGSTKFLT
    { SIGSTKFLT, "SIGSTKFLT", "terminate", NULL },
#endif
    { SIGCHLD,   "SIGCHLD",   "ignore",    NULL },
    { SIGCONT,   "SIGCONT",   "continue",  NULL },
    { SIGSTOP,   "SIGSTOP",   "stop",      CANNOT },
    { SIGTSTP,   "SIGTSTP",   "stop",      NULL },
    { SIGTTIN,   "SIGTTIN",   "stop",      NULL },
    { SIGTTOU,   "SIGTTOU",   "stop",      NULL },
    { SIGURG,    "SIGURG",    "ignore",    NULL },
#ifdef SIGXCPU
    { SIGXCPU,   "SIGXCPU",   "core dump", NULL },
#endif
#ifdef SIGXFSZ
    { SIGXFSZ,   "SIGXFSZ",   "core dump", NULL },
#endif
#ifdef SIGVTALRM
    { SIGVTALRM, "SIGVTALRM", "terminate", NULL },
#endif
#ifdef SIGPROF
    { SIGPROF,   "SIGPROF",   "terminate", NULL },
#endif
#ifdef SIGWINCH
    { SIGWINCH,  "SIGWINCH",  "ignore",    NULL },
#endif
#ifdef SIGPOLL
    { SIGPOLL,   "SIGPOLL",   "terminate", NULL },   /* also called SIGIO */
#endif
#ifdef SIGPWR
    { SIGPWR,    "SIGPWR",    "terminate", NULL },
#endif
#ifdef SIGSYS
    { SIGSYS,    "SIGSYS",    "core dump", FAULT },
#endif
};

const size_t signal_table_len = sizeof signal_table / sizeof signal_table[0];

const char *signal_name(int signo)
{
    for (size_t i = 0; i < signal_table_len; i++)
        if (signal_table[i].number == signo)
            return signal_table[i].name;
    return "SIG?";
}

void signal_table_print(FILE *out)
{
    fprintf(out, "%3s  %-10s %-26s %-10s %s\n",
            "#", "name", "description", "default", "caught by signal_demo");
    for (size_t i = 0; i < signal_table_len; i++) {
        const struct signal_info *s = &signal_table[i];
        fprintf(out, "%3d  %-10s %-26s %-10s %s%s\n", s->number, s->name,
                strsignal(s->number), s->default_action,
                s->not_caught ? "no: " : "yes", s->not_caught ? s->not_caught : "");
    }
}
