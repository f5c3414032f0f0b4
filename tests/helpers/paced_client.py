#!/usr/bin/env python3
"""Clients that read their replies slowly, for the back-pressure and EAGAIN
tests of the server suites (tests/helpers/server.bash).

    paced_client.py PORT big-reply SIZE [--busy] [--seed S]
        SETs a random SIZE-byte value, then GETs it on a new connection and
        reads the reply a few KiB at a time with pauses, so that the server
        finds the socket full (write() fails with EAGAIN, or blocks) many
        times.  With --busy, another client does PING round trips all the
        while (stage 2: the server's loop keeps turning, and tries to write
        to the slow reader while its socket is full).  The whole reply must
        arrive, byte for byte.

    paced_client.py PORT pipelined-gets COUNT [--size 1000] [--seed S]
        SETs a SIZE-byte value on one connection (closed at once), then on
        another sends COUNT GETs of it in ONE write and reads the replies
        slowly, sending nothing more.  Every reply must arrive: requests
        already in the server's input buffer must be served once the queued
        replies have drained, without new bytes from the client.

Options: --chunk N (bytes per read, default 4096), --pause S (seconds
between reads, default 0.002), --rcvbuf N (the slow reader's SO_RCVBUF,
default 65536), --timeout S (no byte for this long is a
failure, default 10).  Exit status 0 if every check passed, 1 otherwise,
with what was sent, expected and received on stderr.
"""
import argparse
import random
import socket
import sys
import threading
import time


def bulk(data):
    return b"$%d\r\n%s\r\n" % (len(data), data)


def command(*args):
    return b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args)


def connect(port, timeout, rcvbuf=None):
    """A connection; with rcvbuf, a small receive buffer set before connect()
    (so the window stays small and the server's socket fills up early,
    whatever the machine's TCP buffer sizes)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_exactly(sock, n, timeout):
    """Reads n bytes at once (the fast way: set-up replies)."""
    sock.settimeout(timeout)
    got = bytearray()
    while len(got) < n:
        try:
            d = sock.recv(n - len(got))
        except OSError as e:
            return bytes(got), f"recv failed: {e}"
        if not d:
            return bytes(got), "the server closed the connection"
        got += d
    return bytes(got), None


def set_value(port, key, value, timeout):
    with connect(port, timeout) as s:
        s.sendall(command(b"SET", key, value))
        got, why = read_exactly(s, 5, timeout)
        if got != b"+OK\r\n":
            sys.exit(f"FAILED: setting up: SET {key.decode()} <{len(value)} bytes>\n"
                     f"  expected: '+OK\\r\\n'\n  received: {got[:80]!r} ({why or 'wrong bytes'})")


def slow_read(sock, want, args):
    """Reads len(want) bytes, args.chunk at a time, pausing between reads.
    Returns (received, reason it stopped early or None)."""
    sock.settimeout(args.timeout)
    got = bytearray()
    while len(got) < len(want):
        try:
            d = sock.recv(min(args.chunk, len(want) - len(got)))
        except socket.timeout:
            return bytes(got), f"nothing more arrived for {args.timeout:g} s"
        except OSError as e:
            return bytes(got), f"recv failed: {e}"
        if not d:
            return bytes(got), "the server closed the connection"
        got += d
        time.sleep(args.pause)
    return bytes(got), None


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def busy_pings(port, stop, report, timeout):
    """PING round trips until stop is set; report[0] counts them."""
    try:
        with connect(port, timeout) as s:
            while not stop.is_set():
                s.sendall(b"PING\r\n")
                got, why = read_exactly(s, 7, timeout)
                if got != b"+PONG\r\n":
                    report[1] = f"the busy client's PING got {got!r} ({why or 'wrong bytes'})"
                    return
                report[0] += 1
    except OSError as e:
        report[1] = f"the busy client failed: {e}"


def big_reply(args):
    rng = random.Random(args.seed)
    key = b"slow:%d" % rng.randrange(10**9)
    value = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(256))
    value = (value * (args.count // 256 + 1))[:args.count]
    set_value(args.port, key, value, args.timeout)
    want = bulk(value)
    stop, report = threading.Event(), [0, None]
    with connect(args.port, args.timeout, args.rcvbuf) as s:
        s.sendall(command(b"GET", key))
        busy = None
        if args.busy:
            busy = threading.Thread(target=busy_pings, args=(args.port, stop, report, args.timeout))
            busy.start()
        start = time.monotonic()
        got, why = slow_read(s, want, args)
        stop.set()
        if busy:
            busy.join()
    took = time.monotonic() - start
    if got != want:
        at = first_difference(got, want)
        sys.exit(f"FAILED: GET of a {len(value)}-byte value, read {args.chunk} bytes at a time "
                 f"with {args.pause * 1000:g} ms pauses"
                 + (f", while another client sent PINGs ({report[0]} answered)" if args.busy else "")
                 + f"\n  expected: {len(want)} bytes ('$%d\\r\\n' + the value + '\\r\\n')"
                 % len(value)
                 + f"\n  received: {len(got)} bytes, identical up to byte {at}; then: {why or 'wrong bytes'}"
                 + f"\n  received around byte {at}: {got[max(0, at - 10):at + 30]!r}"
                 + "\n  hint: a client that reads slowly fills its socket: write() then returns a"
                 "\n  short count or fails with EAGAIN/EWOULDBLOCK.  That is not an error: keep"
                 "\n  the rest of the reply and write it when select() says the socket is"
                 "\n  writable (handout.md, section \"Milestone 2b — partial writes\")")
    if report[1]:
        sys.exit(f"FAILED: {report[1]}")
    print(f"big-reply: {len(want)} bytes read slowly in {took:.1f} s, intact"
          + (f"; {report[0]} PINGs answered meanwhile" if args.busy else ""))
    return 0


def pipelined_gets(args):
    rng = random.Random(args.seed)
    key = b"pipe:%d" % rng.randrange(10**9)
    value = bytes(rng.choice(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(args.size))
    set_value(args.port, key, value, args.timeout)
    one = bulk(value)
    want = one * args.count
    with connect(args.port, args.timeout, args.rcvbuf) as s:
        s.sendall(command(b"GET", key) * args.count)
        got, why = slow_read(s, want, args)
    if got != want:
        whole = len(got) // len(one)
        sys.exit(f"FAILED: {args.count} pipelined 'GET {key.decode()}' ({args.size}-byte value) "
                 f"in one write, nothing sent afterwards, replies read {args.chunk} bytes at a "
                 f"time\n  expected: {args.count} replies of {len(one)} bytes ({len(want)} bytes)"
                 f"\n  received: {len(got)} bytes ({whole} whole replies), then: {why or 'wrong bytes'}"
                 "\n  hint: back-pressure must resume by itself: once the queued replies have"
                 "\n  drained below the limit, serve the requests already in the input buffer"
                 "\n  (the client has sent everything and will not wake the server up again;"
                 "\n  stage 1: serve every complete request before the next read(); stage 2:"
                 "\n  do not wait in select() while a connection has requests left to serve)")
    print(f"pipelined-gets: {args.count} replies ({len(want)} bytes) read slowly, all correct")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("port", type=int)
    p.add_argument("mode", choices=["big-reply", "pipelined-gets"])
    p.add_argument("count", type=int, help="reply size (big-reply) or number of GETs")
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--busy", action="store_true")
    p.add_argument("--seed", default="0")
    p.add_argument("--chunk", type=int, default=4096)
    p.add_argument("--pause", type=float, default=0.002)
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--rcvbuf", type=int, default=65536)
    args = p.parse_args()
    try:
        return big_reply(args) if args.mode == "big-reply" else pipelined_gets(args)
    except OSError as e:
        sys.exit(f"FAILED: {e}")


if __name__ == "__main__":
    sys.exit(main())
