/*
 * TODO (stage 2, milestones 2a to 2f): the select() server.  Milestone 2a:
 *     main() starts it with server_open() (common/server.h), keeps the
 *     FDState of connection fd in states[fd], and serves every client from
 *     one loop around select(); each later milestone adds to that loop.
 * See handout.md, section "Stage 2 — the select server", then each
 * milestone's section ("Milestone 2a — ...").
 */
int main(void)
{
    return 0;
}
