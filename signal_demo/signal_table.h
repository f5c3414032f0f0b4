/*
 * signal_table.h — the standard signals: number, name, default action, and
 * whether signal_demo catches each one.
 *
 * Why a table of our own: POSIX gives a signal's description (strsignal)
 * but not its name.  glibc's sigabbrev_np() and the NSIG constant are GNU
 * extensions, not declared under -D_POSIX_C_SOURCE=200809L, and signal
 * NUMBERS differ between systems (SIGUSR1 is 10 on Linux x86, 30 on macOS),
 * so the table is written with the macros, never with numbers.
 */
#ifndef SIGNAL_TABLE_H
#define SIGNAL_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct signal_info {
    int         number;          /* SIGUSR1, ... */
    const char *name;            /* "SIGUSR1" */
    const char *default_action;  /* what happens when nobody catches it */
    const char *not_caught;      /* NULL if signal_demo catches it, else why not */
};

extern const struct signal_info signal_table[];
extern const size_t signal_table_len;

/* "SIGUSR1" for SIGUSR1; "SIG?" for a number not in the table. */
const char *signal_name(int signo);

/* The table for --list, one signal a line, with strsignal()'s description. */
void signal_table_print(FILE *out);

#endif
