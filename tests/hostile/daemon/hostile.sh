#!/usr/bin/env bash
# Hostile: double-forks a daemon (new session, parent gone: not in the test's
# process group, re-parented to init) that binds well-known and random ports
# and eats a CPU, then behaves like a server that prints a ready line.
# At build time too (a daemon left by `make`).
# Stopped by: tests/sandbox/kill-user after each test and after the build
# (kills by uid, whatever the process group); the network namespace keeps
# its ports away from other grading jobs.
# A test fixture, not a weapon: it attacks only as a grading sandbox user
# (kvgrade*).  Run by anyone else (a developer, root: the sandbox is off),
# it fails at once and harms nothing.
case $(id -un 2>/dev/null) in
  kvgrade*) ;;
  *) echo "HOSTILE: not a sandbox user (uid $(id -u)): the sandbox is off, no attack" >&2; exit 1 ;;
esac
( setsid python3 -c '
import socket, time
socks = []
for port in [6379, 7000, 8080, 0, 0, 0]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); s.listen(); socks.append(s)
    except OSError:
        pass
end = time.time() + 3600
while time.time() < end:
    pass
' </dev/null >/dev/null 2>&1 & ) 
[[ ${1:-} == build ]] && exit 0
echo "listening on 127.0.0.1:1"
sleep 30
