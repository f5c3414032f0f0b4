/*
 * log.h — the servers' diagnostics on stderr.
 *
 * log_error() is always printed; log_verbose() only after -v, so that a
 * student can watch connections open and close and every FDState change
 * state, while the server stays quiet by default.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>

extern bool log_is_verbose;

/* One line on stderr, prefixed with the program's name. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same, only when log_is_verbose. */
void log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The name printed before every line (default "kvserver"). */
void log_set_program(const char *name);

#endif
