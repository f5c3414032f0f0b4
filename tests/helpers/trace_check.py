#!/usr/bin/env python3
"""Checks on an strace log of a kvserver (tests/helpers/server.bash).

    trace_check.py order TRACE STORE KEY...
        TRACE is `strace -f -s 100 -e trace=open,openat,close,write,...,
        fsync,fdatasync` of a server run with --fsync always, during which
        one SET of each KEY was sent, one after another, each answered +OK.
        For each KEY, in order: a write of its record to the store file
        (a descriptor opened on STORE, or on a name starting with it), then
        an fsync/fdatasync of that descriptor, must come BEFORE the "+OK"
        sent to the client.

    trace_check.py dispositions TRACE PROC_STATUS
        TRACE is `strace -f -e trace=rt_sigaction` of the server's start;
        PROC_STATUS a copy of /proc/PID/status of the running server.
        SIGINT and SIGTERM must be caught (SigCgt), through sigaction
        without SA_RESTART and without SA_RESETHAND; SIGPIPE and SIGXFSZ
        ignored (SigIgn).

    trace_check.py race TRACE
        TRACE is `strace -f -e trace=pselect6,select,rt_sigprocmask,pipe,pipe2`
        of a select server that served a few requests, then got SIGINT.  A
        shutdown signal must never be able to slip in between "test the
        flag" and "go to sleep": either SIGINT and SIGTERM are blocked
        (rt_sigprocmask) before the loop and every wait is a pselect that
        unblocks them, or every wait watches a self-pipe's read end.

Exit status 0 if the check passed, 1 with the reason on stdout.
"""
import re
import sys

LINE = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+(\w+)\((.*)\)\s+=\s+(-?\d+|\?)")
WRITE_CALLS = {"write", "writev", "pwrite64", "pwritev", "sendto", "sendmsg"}
SYNC_CALLS = {"fsync", "fdatasync", "sync_file_range"}
OPEN_CALLS = {"open", "openat", "creat"}

ORDER_HINT = """  hint: with --fsync always, a SET is acknowledged only once it is on disk:
  append the record to the store file (write), fsync/fdatasync it, and only
  then queue or send the +OK (handout.md, sections "Milestone 1c — durability: the store before the reply" and "Milestone 2e — group commit and the store's timer")"""


def calls(path):
    """(index, name, args, result) of each completed system call."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for i, raw in enumerate(f):
            m = LINE.match(raw.strip())
            if m:
                yield i, m.group(2), m.group(3), m.group(4), raw.strip()


def first_fd(args):
    m = re.match(r"\s*(\d+)", args)
    return int(m.group(1)) if m else None


def opened_path(name, args):
    m = re.search(r'"((?:[^"\\]|\\.)*)"', args)
    return m.group(1) if m else None


def order(trace, store, keys):
    store_fds, events = set(), []
    for i, name, args, result, raw in calls(trace):
        if name in OPEN_CALLS:
            path = opened_path(name, args)
            if path and path.startswith(store) and result.isdigit():
                store_fds.add(int(result))
            continue
        fd = first_fd(args)
        if name == "close":
            store_fds.discard(fd)
        elif name in SYNC_CALLS and fd in store_fds:
            events.append(("sync", fd, raw))
        elif name in WRITE_CALLS and fd in store_fds:
            events.append(("store", args, raw))
        elif name in WRITE_CALLS and fd is not None and fd > 2 and "+OK\\r\\n" in args:
            events.append(("ok", fd, raw))
    if not store_fds and not any(e[0] == "store" for e in events):
        return f"no descriptor opened on the store file {store} in the trace"
    pos = 0
    for n, key in enumerate(keys, 1):
        written = synced = False
        while pos < len(events) and events[pos][0] != "ok":
            kind, what, _ = events[pos]
            if kind == "store" and key in what:
                written, synced = True, False
            elif kind == "sync" and written:
                synced = True
            pos += 1
        if pos == len(events):
            return f"SET number {n} (key {key}): no '+OK\\r\\n' written to a client in the trace"
        ok_line = events[pos][2]
        pos += 1
        if not written:
            return (f"SET {key} ... (--fsync always): the '+OK' was sent before the record "
                    f"was written to the store file {store}\n  the reply: {ok_line}\n"
                    + ORDER_HINT)
        if not synced:
            return (f"SET {key} ... (--fsync always): the '+OK' was sent after the record was "
                    f"written to the store file but before fsync/fdatasync of it\n"
                    f"  the reply: {ok_line}\n" + ORDER_HINT)
    return None


def sigset(status, field):
    m = re.search(rf"^{field}:\s*([0-9a-fA-F]+)$", status, re.M)
    return int(m.group(1), 16) if m else 0


SIGNUMS = {"SIGINT": 2, "SIGPIPE": 13, "SIGTERM": 15, "SIGXFSZ": 25}


def dispositions(trace, status_path):
    with open(status_path, encoding="utf-8") as f:
        status = f.read()
    caught, ignored = sigset(status, "SigCgt"), sigset(status, "SigIgn")
    problems = []
    for name in ("SIGINT", "SIGTERM"):
        if not caught >> (SIGNUMS[name] - 1) & 1:
            problems.append(f"{name} is not caught by the running server (SigCgt in /proc/PID/status):"
                            f" install a handler for it")
    for name in ("SIGPIPE", "SIGXFSZ"):
        if not ignored >> (SIGNUMS[name] - 1) & 1:
            why = ("a write to a client that has gone would kill the server"
                   if name == "SIGPIPE" else
                   "a store file over the file-size limit (ulimit -f) would kill the server "
                   "instead of write() failing with EFBIG")
            problems.append(f"{name} is not ignored by the running server (SigIgn in "
                            f"/proc/PID/status): {why}; set it to SIG_IGN")
    last = {}
    for _, name, args, result, raw in calls(trace):
        if name not in ("rt_sigaction", "sigaction", "signal"):
            continue
        m = re.match(r"\s*(SIG\w+),\s*(\{.*?\}|NULL)", args)
        if m and m.group(2) != "NULL":
            last[m.group(1)] = (m.group(2), raw)    # the new action only
    for name in ("SIGINT", "SIGTERM"):
        if name not in last:
            problems.append(f"no rt_sigaction({name}, ...) at start-up in the strace log")
            continue
        action, raw = last[name]
        if "SIG_DFL" in action or "SIG_IGN" in action:
            continue                    # SigCgt above reports it
        for flag, why in (("SA_RESTART", "the blocked accept()/read()/select() would be "
                           "restarted instead of failing with EINTR, so the loop never sees "
                           "the flag"),
                          ("SA_RESETHAND", "a one-shot handler: the second Ctrl-C kills the "
                           "server with no clean-up (this is what signal() does under "
                           "-std=c11)")):
            if re.search(rf"\b{flag}\b", action):
                problems.append(f"the {name} handler is installed with {flag}: {why}\n"
                                f"    {raw}")
    if not problems:
        return None
    return ("signal dispositions of the server:\n  - " + "\n  - ".join(problems) +
            "\n  hint: install the SIGINT/SIGTERM handler with sigaction(), sa_flags = 0 (no "
            "SA_RESTART, no SA_RESETHAND), and ignore SIGPIPE and SIGXFSZ with SIG_IGN "
            "(handout.md, section \"Signals\")")


RACE_HINT = """  hint: block SIGINT and SIGTERM (sigprocmask) before the loop and wait in
  pselect() with the mask that lets them in: the signal can then only arrive
  while the server sleeps (or use a self-pipe the handler writes to, watched
  by select); with plain select() a Ctrl-C that lands just before the call
  is noticed only when the next client does something (handout.md, section
  "Signals without the race")"""

SHUTDOWN_SIGNALS = {"INT", "TERM", "SIGINT", "SIGTERM"}


def mask_of(args):
    """The signal mask pselect6 was given (a set of names), or None (NULL)."""
    m = re.search(r"(?:sigmask=\[|\{\[)([^\]]*)\]", args)
    return set(m.group(1).split()) if m else None


def read_set(args):
    m = re.match(r"\s*\d+,\s*\[([^\]]*)\]", args)
    return {int(x) for x in m.group(1).split() if x.isdigit()} if m else set()


def race(trace):
    waits, pipes, blocked_first = [], set(), False
    for _i, name, args, _result, raw in calls(trace):
        if name == "rt_sigprocmask" and not waits:
            m = re.match(r"\s*(SIG_BLOCK|SIG_SETMASK),\s*\[([^\]]*)\]", args)
            if m and {"INT", "TERM"} <= {x.replace("SIG", "", 1) for x in m.group(2).split()}:
                blocked_first = True
        elif name in ("pipe", "pipe2"):
            m = re.match(r"\s*\[(\d+),\s*(\d+)\]", args)
            if m:
                pipes.add(int(m.group(1)))
        elif name in ("select", "pselect6"):
            waits.append((name, args, raw))
    if not waits:
        return ("the server never waited in select() or pselect() while it served "
                "requests\n" + RACE_HINT)
    if pipes and all(read_set(a) & pipes for _n, a, _r in waits):
        return None                     # the self-pipe trick
    problems = []
    if not blocked_first:
        problems.append("SIGINT and SIGTERM are not blocked (sigprocmask SIG_BLOCK) "
                        "before the loop's first wait")
    plain = [r for n, a, r in waits if n != "pselect6" or mask_of(a) is None]
    if plain:
        problems.append(f"{len(plain)} of {len(waits)} waits take no signal mask "
                        f"(plain select), e.g.\n    {plain[0]}")
    closed = [r for n, a, r in waits
              if n == "pselect6" and mask_of(a) and mask_of(a) & SHUTDOWN_SIGNALS]
    if closed:
        problems.append("pselect keeps SIGINT/SIGTERM blocked while it sleeps, e.g.\n"
                        f"    {closed[0]}")
    if not problems:
        return None
    return ("a shutdown signal can be missed:\n  - " + "\n  - ".join(problems) +
            "\n" + RACE_HINT)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "race":
        why = race(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "order":
        why = order(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "dispositions":
        why = dispositions(sys.argv[2], sys.argv[3])
    else:
        print(__doc__)
        return 2
    if why:
        print("FAILED: " + why)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
