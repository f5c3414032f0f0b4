/*
 * crash.h — signal_demo --crash: a real SIGSEGV, caught to show where it
 * happened (siginfo's si_addr), then a deliberate exit.
 */
#ifndef CRASH_H
#define CRASH_H

/*
 * The SIGSEGV handler ends the program with this status.  It is none of
 * 0 (success), 1 (error; also what ASan exits with), 2 (bad usage) or 139
 * (what the shell shows for a process really killed by SIGSEGV, 128 + 11),
 * so the status alone tells that our handler ran.
 */
#define CRASH_EXIT_STATUS 3

/*
 * Prints the address it is about to write to, then writes to a page the
 * program may not touch.  Does not return, unless it failed to set up the
 * crash: then it returns 1 after saying why on stderr.
 */
int crash_demo(void);

#endif
