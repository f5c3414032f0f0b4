/*
 * TODO (milestones 2a, 2b and 2c): the three steps of a non-blocking
 *     connection, as conn.h describes them.  2a: the steps, for small
 *     replies; 2b: a write that takes only part of `out`, or none of it;
 *     2c: what follows a write that emptied `out`.
 * See handout.md, sections "Milestone 2a — ...", "2b" and "2c".
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
