/*
 * TODO (stage 1): write the blocking server: main() starts it with
 *     server_open() (common/server.h), then accepts one client at a time and
 *     serves it until it leaves, switching on its FDState's status (READ:
 *     read(), RESULT: serve_requests(), WRITE: sync the store, then write
 *     every reply); on SIGINT or SIGTERM it closes the client and calls
 *     server_close().
 * See handout.md, section "Stage 1 — the blocking server".
 */
int main(void)
{
    return 0;
}
