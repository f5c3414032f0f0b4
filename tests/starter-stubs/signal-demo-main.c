/*
 * TODO (stage 0): write main(): parse the options (see usage_text),
 *     print the pid and sigaction's refusal of SIGKILL and SIGSTOP,
 *     install the handlers (selfpipe.h), then print one line per signal
 *     read from the self-pipe until SIGINT or SIGTERM.
 * See handout.md, section "Stage 0 — signal_demo".
 */
int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs(usage_text, stderr);
    return 0;
}
