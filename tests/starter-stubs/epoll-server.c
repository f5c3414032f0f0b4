/*
 * TODO (stage 3, optional): the epoll server: the select server's loop with
 *     readiness from epoll_pwait (SIGINT/SIGTERM blocked except inside it);
 *     each connection's fdstate_interest() kept in step with epoll_ctl
 *     whenever its status changes (level-triggered, or edge-triggered
 *     reading and writing until EAGAIN); the same steps (conn.h), the same
 *     acceptor (acceptor.h), group commit, back-pressure, RESULT meaning no
 *     sleep; states sized to the descriptor limit (raised at start with
 *     setrlimit), --max-clients default 10,000; the SIGINT cleanup.
 * See docs/going-further.md, section "Stage 3 — the epoll server".
 */
int main(void)
{
    return 0;
}
