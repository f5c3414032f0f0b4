/*
 * TODO (stage 2): write the select() server: the listening socket and
 *     every accepted socket non-blocking; states[fd] allocated on accept
 *     (READ) and freed on close; the run_server() loop (FD_ZERO/FD_SET from
 *     each status, pselect, accept until EAGAIN, the READ, RESULT and WRITE
 *     steps, group commit before the replies); descriptors >= FD_SETSIZE
 *     refused; the SIGINT cleanup.  common/server.h starts and stops it.
 *     Timers: bound pselect's sleep with store_timeout_ms() and call
 *     store_expire_cycle() once per round ("Timers in an event loop").
 * See handout.md, section "Stage 2 — the select server".
 */
int main(void)
{
    return 0;
}
