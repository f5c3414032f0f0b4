#!/usr/bin/env python3
"""Small helpers for bench/run (Python 3 standard library only).

    tools.py free-port
        print a TCP port on 127.0.0.1 that is free right now
    tools.py rss PID
        print the resident set size of PID in bytes (VmRSS)
    tools.py wait-ping PORT SECONDS
        poll PING until the server answers +PONG (not -LOADING); print the
        seconds it took; exit 1 if it never does
    tools.py gen-load FILE COUNT
        write COUNT "SET key value" requests in RESP (16-byte keys, 32-byte
        values) for redis-cli --pipe
    tools.py hold-idle PORT COUNT
        open COUNT connections, one PING each, print "holding N", then
        keep them open and idle until killed
    tools.py idle-rss PORT PID COUNT [--ping]
        open COUNT connections to PORT and hold them; print one CSV line
        "baseline_rss,loaded_rss,connections" measured on PID.  With --ping,
        every connection first sends PING and reads +PONG, so the server
        has read from it once (a pooled connection between two requests).
    tools.py time-start PIDFILE OUTFILE --line REGEX -- CMD [ARGS...]
    tools.py time-start PIDFILE OUTFILE --ping PORT -- CMD [ARGS...]
        start CMD with its stdout in OUTFILE (pid written to PIDFILE at once,
        so the caller can kill it); wait until a line of its stdout matches
        REGEX, or until it answers PING on PORT with +PONG; print the
        seconds that took.  CMD keeps running.
    tools.py parse-csv FILE
        print "TEST,rps,p50,p99" for each test line of redis-benchmark --csv
    tools.py parse-progress FILE
        for a run cut short (the blocking server with several clients):
        print "rate,active_ticks,stalled" from redis-benchmark's non-CSV
        progress lines (see parse_progress)
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise SystemExit(f"no VmRSS for pid {pid}")


def ping_once(port, timeout=1.0):
    """The first line the server answers to PING, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = b""
            while not data.endswith(b"\r\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data
    except OSError:
        return None


def wait_ping(port, seconds):
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if ping_once(port) == b"+PONG\r\n":
            return time.monotonic() - start
        time.sleep(0.005)
    return None


def gen_load(path, count):
    """SET key:%012d val:%028d -- 16-byte keys, 32-byte values."""
    with open(path, "wb", buffering=1 << 20) as f:
        for i in range(count):
            key = b"key:%012d" % i
            val = b"val:%028d" % i
            f.write(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$32\r\n%s\r\n" % (key, val))


def settle_rss(pid, seconds=0.5):
    """RSS after it stops moving (allocator may trim right after a burst)."""
    time.sleep(seconds)
    return rss(pid)


def idle_rss(port, pid, count, ping):
    base = settle_rss(pid)
    socks = []
    try:
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            socks.append(s)
        if ping:
            for s in socks:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
            for s in socks:
                data = b""
                while not data.endswith(b"\r\n"):
                    chunk = s.recv(64)
                    if not chunk:
                        raise SystemExit("server closed an idle connection "
                                         f"(answer so far {data!r})")
                    data += chunk
                if data != b"+PONG\r\n":
                    raise SystemExit(f"unexpected answer to PING: {data!r}")
        else:
            # No request: make sure the server has accepted every one of them
            # by round-tripping a PING on one more connection, accepted last.
            if ping_once(port, timeout=10) is None:
                raise SystemExit("server stopped answering")
        loaded = settle_rss(pid)
        print(f"{base},{loaded},{len(socks)}")
    finally:
        for s in socks:
            s.close()


def hold_idle(port, count):
    """Opens count connections, one PING each (so the server has accepted
    and read from every one), prints "holding N", then sleeps until killed."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 64), hard))
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10)
             for _ in range(count)]
    for s in socks:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
    for s in socks:
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(64)
            if not chunk:
                raise SystemExit(f"server closed an idle connection (answer so far {data!r})")
            data += chunk
    print(f"holding {len(socks)}", flush=True)
    while True:
        time.sleep(3600)


def time_start(pidfile, outfile, until, target, cmd, limit=300):
    """Starts cmd (stdout to outfile), times it until it is ready: a line of
    its stdout matching a regex (until == "line"), or +PONG to PING on a
    port (until == "ping"; Redis answers -LOADING while it loads)."""
    ready = re.compile(target) if until == "line" else None
    start = time.monotonic()
    with open(outfile, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stdin=subprocess.DEVNULL)
    with open(pidfile, "w") as f:
        f.write(f"{proc.pid}\n")
    while time.monotonic() - start < limit:
        if until == "line":
            with open(outfile, errors="replace") as f:
                if any(ready.search(line) for line in f):
                    break
        elif ping_once(int(target), timeout=limit) == b"+PONG\r\n":
            break
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[0]} exited ({proc.returncode}) before it was ready")
        time.sleep(0.001)
    else:
        raise SystemExit(f"{cmd[0]} not ready within {limit} s")
    print(f"{time.monotonic() - start:.4f}")
    # The server keeps running: the caller owns it through pidfile.


def parse_csv(path):
    """redis-benchmark --csv: "test","rps","avg_latency_ms","min_latency_ms",
    "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"."""
    import csv
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0][:2] != ["test", "rps"]:
        raise SystemExit(f"{path}: not redis-benchmark CSV output")
    head = rows[0]
    for row in rows[1:]:
        if len(row) != len(head):
            continue
        r = dict(zip(head, row))
        print(f'{r["test"]},{r["rps"]},{r["p50_latency_ms"]},{r["p99_latency_ms"]}')


def parse_progress(path):
    """Lines like "SET: rps=18652.0 (overall: 18617.5) avg_msec=0.049 ...",
    one every 250 ms, separated by CR: rps is the rate during that tick,
    overall the rate since the start.  Prints "rate,active_ticks,stalled":
    the overall rate at the last tick that made progress all through (the
    one before the last active tick; that one may have ended mid-tick), the
    number of ticks that made progress, and 1 if the last tick made none."""
    text = open(path, errors="replace").read().replace("\r", "\n")
    ticks = [(float(m.group(1)), float(m.group(2))) for m in
             re.finditer(r"rps=([0-9.]+) \(overall: ([0-9.]+)\)", text)]
    active = [overall for rps, overall in ticks if rps > 0]
    rate = active[-2] if len(active) >= 2 else (active[-1] if active else 0.0)
    stalled = 1 if ticks and ticks[-1][0] == 0 else 0
    print(f"{rate:.2f},{len(active)},{stalled}")


def main(argv):
    # Ctrl-C: die of SIGINT (no traceback), so bench/run's trap runs at once.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "free-port":
        print(free_port())
    elif cmd == "rss":
        print(rss(int(args[0])))
    elif cmd == "wait-ping":
        took = wait_ping(int(args[0]), float(args[1]))
        if took is None:
            raise SystemExit(f"port {args[0]}: no +PONG within {args[1]} s")
        print(f"{took:.4f}")
    elif cmd == "gen-load":
        gen_load(args[0], int(args[1]))
    elif cmd == "idle-rss":
        idle_rss(int(args[0]), int(args[1]), int(args[2]), "--ping" in args[3:])
    elif cmd == "hold-idle":
        hold_idle(int(args[0]), int(args[1]))
    elif cmd == "time-start":
        if len(args) < 6 or args[2] not in ("--line", "--ping") or args[4] != "--":
            raise SystemExit(__doc__)
        time_start(args[0], args[1], args[2][2:], args[3], args[5:])
    elif cmd == "parse-csv":
        parse_csv(args[0])
    elif cmd == "parse-progress":
        parse_progress(args[0])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
