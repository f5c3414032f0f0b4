#!/usr/bin/env python3
"""Flood signal_demo with signals while nobody reads its stdout, then check
that it still works: the test behind "the self-pipe's write end must be
non-blocking".

    signal_flood.py [WRAPPER...] PROGRAM

(WRAPPER: tests/sandbox/exec, which keeps PROGRAM's pid.)

Why: while stdout is a pipe nobody reads, the main loop blocks in write()
and stops reading the self-pipe; every signal still adds a record to it.
After some 8000 records the self-pipe is full.  A handler whose write end
is non-blocking then loses records (EAGAIN) and returns; one whose write
end is blocking waits in write() for the main loop to read, but the main
loop is the very code it interrupted: the program hangs for ever, and no
later SIGTERM can end it.

Steps, each bounded in time (no timing luck):
  1. start PROGRAM with stdout a pipe; read its start lines, then stop reading;
  2. find its self-pipe in /proc/PID/fd (a pipe it holds both ends of) and
     measure how full it is (FIONREAD on a reopened read end);
  3. send signals until the self-pipe is full and has stopped growing;
  4. read stdout again: the self-pipe must be emptied within 20 s;
  5. SIGTERM: it must end with status 0 within 5 s, "exiting" last.
Exit status 0 if all holds, 1 with an explanation otherwise.
"""

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time

F_GETPIPE_SZ = 1032                 # Linux, <fcntl.h>
# Caught by signal_demo, harmless, and none of them discards another
# (SIGCONT and the stop signals do: POSIX makes them cancel each other).
FLOOD = [signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGALRM,
         signal.SIGURG, signal.SIGWINCH, signal.SIGCHLD, signal.SIGQUIT]
HINT = ("hint: a handler blocked writing into a full self-pipe waits for the "
        "main loop, which is the code it interrupted: make the pipe's write "
        "end non-blocking (fcntl F_SETFL O_NONBLOCK), so a record that does "
        "not fit is lost instead (handout, \"Stage 0\", step 2)")


class Failure(Exception):
    pass


def read_start_lines(proc, seconds=5):
    """Read stdout up to the 'SIGSTOP cannot be caught' line."""
    got, deadline = b"", time.time() + seconds
    fd = proc.stdout.fileno()
    while b"SIGSTOP cannot be caught" not in got:
        left = deadline - time.time()
        if left <= 0 or proc.poll() is not None:
            raise Failure("signal_demo never printed its start lines within "
                          f"{seconds} s (exit status {proc.poll()}); stdout: {got!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise Failure(f"signal_demo closed its stdout; it printed {got!r}")
            got += chunk
    return got


def find_self_pipe(pid, stdout_inode):
    """(read fd, write fd) of the pipe the process holds both ends of."""
    ends = {}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
            with open(f"/proc/{pid}/fdinfo/{name}") as f:
                flags = int(f.read().split("flags:")[1].split()[0], 8)
        except (OSError, IndexError):
            continue
        if not target.startswith("pipe:") or target == f"pipe:[{stdout_inode}]":
            continue
        ends.setdefault(target, {})[flags & 3] = int(name)
    for both in ends.values():
        if 0 in both and 1 in both:         # O_RDONLY and O_WRONLY ends
            return both[0], both[1]
    raise Failure("no self-pipe found: signal_demo holds no pipe with both its "
                  f"ends open (its descriptors: {describe_fds(pid)}); the handout's "
                  "stage 0 hands signals to the main loop through a pipe()")


def describe_fds(pid):
    out = []
    for name in sorted(os.listdir(f"/proc/{pid}/fd"), key=int):
        try:
            out.append(f"{name} -> {os.readlink(f'/proc/{pid}/fd/{name}')}")
        except OSError:
            pass
    return ", ".join(out)


def pipe_level(fd):
    buf = fcntl.ioctl(fd, termios.FIONREAD, struct.pack("i", 0))
    return struct.unpack("i", buf)[0]


def where_stuck(pid):
    """What the kernel says the process waits in, for the message."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            wchan = f.read().strip() or "?"
    except OSError:
        wchan = "?"
    return f"it is waiting in the kernel function '{wchan}'" + (
        " (a write into a full pipe)" if "pipe_write" in wchan else "")


def flood(pid, level_fd, capacity, seconds=20):
    """Send signals until the self-pipe is full and stays full; return
    (signals sent, level reached)."""
    sent, best, best_at, deadline = 0, 0, time.time(), time.time() + seconds
    while time.time() < deadline:
        for sig in FLOOD * 8:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                raise Failure(f"signal_demo died during the flood, after {sent} signals")
            sent += 1
        level = pipe_level(level_fd)
        if level > best:
            best, best_at = level, time.time()
        # Full: no room for another page of records, and 0.3 s of signals
        # added nothing, so every handler since has met a full pipe.
        if best > capacity - 4096 and time.time() - best_at > 0.3:
            return sent, best
    raise Failure(f"sent {sent} signals in {seconds} s, and the self-pipe never "
                  f"filled (at most {best} of {capacity} bytes): signal_demo keeps "
                  "reading it while its stdout is not read?")


def drain(stream, sink):
    for chunk in iter(lambda: stream.read1(65536), b""):
        sink.append(chunk)


def run(command):
    errors = tempfile.TemporaryFile()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=errors)
    level_fd = -1
    try:
        start = read_start_lines(proc)
        stdout_inode = os.fstat(proc.stdout.fileno()).st_ino
        rfd, wfd = find_self_pipe(proc.pid, stdout_inode)
        level_fd = os.open(f"/proc/{proc.pid}/fd/{rfd}", os.O_RDONLY | os.O_NONBLOCK)
        capacity = fcntl.fcntl(level_fd, F_GETPIPE_SZ)
        sent, level = flood(proc.pid, level_fd, capacity)
        print(f"sent {sent} signals while stdout was not read; the self-pipe "
              f"(descriptors {rfd} and {wfd}) filled to {level} of {capacity} bytes")

        chunks = [start]
        reader = threading.Thread(target=drain, args=(proc.stdout, chunks), daemon=True)
        reader.start()
        # Emptied within 20 s, and never 5 s without progress.
        deadline, last, moved = time.time() + 20, level, time.time()
        while (level := pipe_level(level_fd)) > 0:
            if proc.poll() is not None:
                raise Failure(f"signal_demo exited (status {proc.returncode}) while "
                              "its stdout was being read again, before any SIGTERM")
            if level != last:
                last, moved = level, time.time()
            if time.time() > min(deadline, moved + 5):
                raise Failure(
                    f"stdout was read again, but the self-pipe still holds {level} "
                    f"bytes {time.time() - moved:.0f} s later: signal_demo is stuck, "
                    f"{where_stuck(proc.pid)}\n{HINT}")
            time.sleep(0.02)

        os.kill(proc.pid, signal.SIGTERM)
        try:
            status = proc.wait(5)
        except subprocess.TimeoutExpired:
            raise Failure("still running 5 s after SIGTERM, once the flood was over "
                          f"and its stdout read again: {where_stuck(proc.pid)}\n{HINT}")
        reader.join(5)
        out = b"".join(chunks).decode(errors="replace").splitlines()
        if status != 0 or not out or out[-1] != "exiting":
            raise Failure(f"after the flood and SIGTERM, expected 'exiting' last and "
                          f"exit status 0; got status {status}, last lines: {out[-3:]}")
        print(f"then it printed {len(out)} lines, and SIGTERM ended it with status 0")
        return 0
    except Failure as e:
        print(e)
        errors.seek(0)
        err = errors.read(4000)
        if err:
            print("--- its stderr:\n" + err.decode(errors="replace"))
        return 1
    finally:
        if level_fd >= 0:
            os.close(level_fd)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(run(sys.argv[1:]))
