/*
 * TODO (milestones 0a to 0d): main().  0a: install the handlers
 *     (selfpipe.h), print the start lines, then one line per signal read
 *     from the self-pipe until SIGINT or SIGTERM; 0c: --no-restart, and a
 *     stdout that fails; 0d: the other options (see usage_text).
 * See handout.md, section "Stage 0 — signal_demo", then each milestone's.
 */
int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs(usage_text, stderr);
    return 0;
}
