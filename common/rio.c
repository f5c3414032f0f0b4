/*
 * rio.c — robust reads and writes (see rio.h): the only loops in the
 * program that deal with short counts and EINTR.
 */
#include "rio.h"

#include <errno.h>
#include <unistd.h>

/* Was the call told to stop?  Read only after an interruption. */
static int stopped(volatile const sig_atomic_t *stop)
{
    if (stop == NULL || *stop == 0)
        return 0;
    errno = EINTR;
    return 1;
}

ssize_t rio_write_all(int fd, const void *buf, size_t len,
                      volatile const sig_atomic_t *stop)
{
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n == 0) {                   /* never for len > 0, but a loop */
            errno = EIO;                /* that cannot end is worse      */
            return -1;
        }
        if (n > 0) {
            p += n;
            left -= (size_t)n;
        }
        /* Here either nothing was written (EINTR) or part of it was: in
         * both cases a signal may have arrived, and its handler may want
         * us to give up rather than block again to write the rest. */
        if (left > 0 && stopped(stop))
            return -1;
    }
    return (ssize_t)len;
}

ssize_t rio_read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, p + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;                   /* interrupted before reading */
        if (n < 0)
            return -1;
        if (n == 0)
            break;                      /* end of file */
        got += (size_t)n;
    }
    return (ssize_t)got;
}
