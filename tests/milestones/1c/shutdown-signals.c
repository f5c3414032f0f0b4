/*
 * TODO (milestone 1d): write the SIGINT/SIGTERM handler (it only sets
 *     shutdown_requested) and install it with sigaction, without
 *     SA_RESTART; fill signals_shutdown_set (signals.h).
 */
void signals_shutdown_set(sigset_t *set) { sigemptyset(set); }

int signals_install(char *err, size_t errlen)
{
    struct sigaction ignore;
    memset(&ignore, 0, sizeof ignore);
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    if (sigaction(SIGPIPE, &ignore, NULL) < 0 ||
        sigaction(SIGXFSZ, &ignore, NULL) < 0) {
        snprintf(err, errlen, "sigaction: %s", strerror(errno));
        return -1;
    }
    return 0;
}
