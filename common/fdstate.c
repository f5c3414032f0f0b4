/*
 * fdstate.c — allocating, resetting and freeing a connection's FDState
 * (see fdstate.h for the state machine).
 */
#include "fdstate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

FDState *fdstate_new(int fd, const char *peer)
{
    FDState *st = calloc(1, sizeof *st);
    if (st == NULL)
        return NULL;
    st->fd = fd;
    st->status = FD_READ;
    st->in = BUFFER_EMPTY;   /* buffers are allocated when bytes arrive */
    st->out = BUFFER_EMPTY;
    parser_init(&st->parser);
    snprintf(st->peer, sizeof st->peer, "%s", peer ? peer : "?");
    session_init(&st->session, fd, st->peer);
    return st;
}

void fdstate_free(FDState *st)
{
    if (st == NULL)
        return;
    buffer_free(&st->in);
    buffer_free(&st->out);
    parser_free(&st->parser);
    session_free(&st->session);
    free(st);
}

FDInterest fdstate_interest(const FDState *st)
{
    switch (st->status) {
    case FD_READ:    return FD_WANT_READ;
    case FD_RESULT:  return FD_WANT_NOTHING;
    case FD_WRITE:   return FD_WANT_WRITE;
    case FD_CLOSING: return FD_WANT_WRITE;
    }
    return FD_WANT_NOTHING;
}

ssize_t fdstate_read(FDState *st)
{
    if (buffer_reserve(&st->in, FDSTATE_READ_CHUNK) < 0) {
        errno = ENOMEM;
        return -1;
    }
    ssize_t n = read(st->fd, st->in.data + st->in.end, st->in.size - st->in.end);
    if (n <= 0)
        return n;
    buffer_commit(&st->in, (size_t)n);
    if (buffer_pending(&st->in) > FDSTATE_QUERY_LIMIT) {
        log_error("fd %d (%s): query buffer over %ld bytes, closing", st->fd,
                  st->peer, FDSTATE_QUERY_LIMIT);
        errno = ENOBUFS;
        return -1;
    }
    return n;
}

void fdstate_shrink(FDState *st)
{
    /* A request still half-received stays; only empty buffers shrink.  The
     * input buffer is freed outright when empty: it is refilled by the next
     * read, and an idle connection then holds no input memory at all. */
    buffer_shrink_if_idle(&st->in, 0);
    buffer_shrink_if_idle(&st->out, FDSTATE_OUT_KEEP);
}

const char *fdstate_status_name(FDStatus status)
{
    switch (status) {
    case FD_READ:    return "READ";
    case FD_RESULT:  return "RESULT";
    case FD_WRITE:   return "WRITE";
    case FD_CLOSING: return "CLOSING";
    }
    return "?";
}

void fdstate_set_status(FDState *st, FDStatus status)
{
    if (st->status == status)
        return;
    log_verbose("fd %d (%s): %s -> %s", st->fd, st->peer,
                fdstate_status_name(st->status), fdstate_status_name(status));
    st->status = status;
}
