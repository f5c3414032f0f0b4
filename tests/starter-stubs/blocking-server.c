/*
 * TODO (stage 1, milestones 1a to 1d): the blocking server.  Milestone 1a:
 *     main() starts it with server_open() (common/server.h), then accepts
 *     one client at a time and serves it until it leaves; each later
 *     milestone adds to that.
 * See handout.md, section "Stage 1 — the blocking server", then each
 * milestone's section ("Milestone 1a — ...").
 */
int main(void)
{
    return 0;
}
