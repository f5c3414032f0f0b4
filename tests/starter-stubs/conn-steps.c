/*
 * TODO (stage 2): the three steps of a non-blocking connection, as conn.h
 *     describes them: conn_read_step (one fdstate_read; bytes -> RESULT,
 *     EAGAIN/EINTR stay in READ, end of file or an error: false),
 *     conn_result_step (serve_requests, then the status it names) and
 *     conn_write_step (one write() of `out`; a short write or EAGAIN keeps
 *     the rest; all written: serve_all_written, or false for CLOSING).
 *     Your select server calls them from its loop.
 * See handout.md, section "Stage 2 — the select server".
 */
bool conn_read_step(FDState *st)
{
    (void)st;
    return false;
}

bool conn_result_step(ServerBase *base, FDState *st)
{
    (void)base;
    (void)st;
    return false;
}

bool conn_write_step(FDState *st)
{
    (void)st;
    return false;
}
