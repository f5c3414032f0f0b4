/*
 * log.c — stderr diagnostics (see log.h).
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

bool log_is_verbose = false;
static const char *program = "kvserver";

void log_set_program(const char *name)
{
    program = name;
}

static void emit(const char *fmt, va_list ap)
{
    /* One fprintf per piece is fine: stderr is unbuffered, and these lines
     * are for a human watching, not for a parser. */
    fprintf(stderr, "%s: ", program);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}

void log_verbose(const char *fmt, ...)
{
    if (!log_is_verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    emit(fmt, ap);
    va_end(ap);
}
