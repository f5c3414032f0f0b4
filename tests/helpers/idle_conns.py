#!/usr/bin/env python3
"""Hold N idle connections open to a server, for tests that measure what
idle connections cost (tests/epoll.bats).

    idle_conns.py PORT N [--hold-max SECONDS]

Opens N connections, sends one PING on each and reads its +PONG (so the
server has accepted every one and read from it once, as a pool's
connections are), prints "holding N", then sends nothing more until it is
killed or --hold-max seconds have passed.  Raises its own descriptor limit
first.  Exit status 1, with the reason, if a connection is refused or a
PING is not answered.
"""
import argparse
import resource
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("n", type=int)
    p.add_argument("--hold-max", type=float, default=120.0)
    args = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.n + 64
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            print(f"idle_conns.py: cannot open {args.n} descriptors (ulimit -Hn {hard})",
                  file=sys.stderr)
            return 3
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    socks = []
    for i in range(args.n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", args.port), timeout=10))
        except OSError as e:
            print(f"idle_conns.py: connection {i} of {args.n}: {e!r}", file=sys.stderr)
            return 1
    for s in socks:
        s.sendall(b"PING\r\n")
    for i, s in enumerate(socks):
        got = b""
        while not got.endswith(b"\r\n"):
            chunk = s.recv(64)
            if not chunk:
                break
            got += chunk
        if got != b"+PONG\r\n":
            print(f"idle_conns.py: connection {i}: PING answered {got!r}, expected "
                  "b'+PONG\\r\\n'", file=sys.stderr)
            return 1
    print(f"holding {len(socks)}", flush=True)
    time.sleep(args.hold_max)
    return 0


if __name__ == "__main__":
    sys.exit(main())
