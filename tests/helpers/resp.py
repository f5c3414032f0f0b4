#!/usr/bin/env python3
"""Byte-exact conversations with a RESP2 server (Redis or a TP7 kvserver).

Standard library only.  Exit status 0 when every check passed, 1 when one
failed (the reason is printed on stderr: what was sent, what was expected,
what came back, escapes visible, and a hint), 2 for bad usage.

EXCHANGE MODE (the default): steps run in the order given, on one connection.
    resp.py PORT --send 'PING\\r\\n' --expect '+PONG\\r\\n'
    resp.py PORT --chunk 1 --send 'SET k v\\r\\nGET k\\r\\n' \\
                 --expect '+OK\\r\\n$1\\r\\nv\\r\\n'
    resp.py PORT --send 'QUIT\\r\\n' --expect '+OK\\r\\n' --expect-close
  Arguments take C escapes: \\r \\n \\t \\0 \\\\ \\" \\' \\xHH \\a \\b \\f \\v \\e.
  Steps:
    --send S            send the bytes of S (in --chunk pieces if given)
    --send-file F       send the bytes of file F
    --send-repeat N S   send S repeated N times (e.g. a 70000-byte line), in
                        one piece even with --chunk
    --expect S          the next bytes received must be exactly S
    --expect-file F     ... exactly the bytes of file F
    --expect-re RX      the next bytes must match the Python regex RX (not
                        unescaped: write \\r\\n as the regex does), anchored
                        at the start (write self-delimiting patterns)
    --expect-unordered S  the next reply is an array with the same elements
                        as the array S, in any order (KEYS)
    --expect-close      the server must then close the connection (EOF, or a
                        reset), with nothing more sent, within --timeout
    --expect-silence T  nothing at all may arrive for T seconds (only for
                        "the server must NOT answer yet" checks)
    --read N            read N bytes (at least one byte if N is 1) and ignore them
    --touch F           create file F (to tell a test "I got here")
    --wait-file F       wait (at most --timeout) until file F exists
    --hold              print "holding" on stdout, then keep the connection
                        open, doing nothing, until killed (at most --hold-max s)
    --reset             close the connection with a reset (SO_LINGER 0)
    --half-close        shutdown(SHUT_WR): the server reads end of file, and
                        this side still reads (a reset after it makes the
                        server's next write fail with EPIPE, and raise SIGPIPE)
    --pause T           do nothing for T seconds
  Options: --host H (127.0.0.1), --timeout S per step (5), --chunk N (send
  in pieces of N bytes, TCP_NODELAY, pausing --chunk-delay s between them),
  --sentinel (after the steps, send PING and expect +PONG: proves nothing
  extra was sent and the connection still works), --label TEXT (named in
  failure messages).

CASES MODE: run the protocol cases of a data file, each on a new connection.
    resp.py PORT --cases tests/protocol_cases.txt --group strings [--chunk 1]
  See the data file for its format.  Placeholders {K} {K2} {K3} (8 random
  lowercase letters each), {V} {V2} (8 random letters) and {P} (6 random
  letters) are drawn anew for every case, from --seed.

LOAD MODE: N concurrent clients, each doing M random operations, every reply
checked against a model of what the store must hold.
    resp.py PORT --load 500 --ops 300 [--seed S]
  All clients connect first, then all work at once.  Each client has its own
  keys, so the expected replies are known exactly.
  --durable FILE: instead, every client does SETs of new keys until the
  server closes the connection (or --ops), and FILE receives "key value" for
  every SET acknowledged with +OK.  --verify FILE checks they are all there.

PIPELINE MODE: N requests in one write(), replies checked in order.
    resp.py PORT --pipeline 100000 [--seed S]

BIG VALUE MODE: SET a random value of SIZE bytes, GET it back, compare.
    resp.py PORT --bigvalue 16777216 [--key K] [--seed S]

MANY MODE: N connections open at once, then PING on each: each must be
served (+PONG) or refused (exactly "-ERR max number of clients reached\r\n",
then closed); the served ones must still answer afterwards.
    resp.py PORT --many 8 --expect-served 5   (or --max-served/--min-served)
  --hold: once checked, print "holding" and keep the connections open.
  --allow-waiting: a connection with no reply at all (not accepted yet) is
  fine too; one --timeout for all of them.

CONNECT-LOOP MODE: N connections one after the other (PING, +PONG, close).
    resp.py PORT --connect-loop 2000

FLOOD MODE: a client that never reads: SETs KEY to a --flood-size value,
then sends GET KEY forever without reading a reply, printing
"sent N requests" on stdout as it goes, until killed (at most --hold-max s).
    resp.py PORT --flood KEY --flood-size 1048576
"""

import argparse
import asyncio
import os
import random
import re
import select
import socket
import string
import sys
import threading
import time

# ---------------------------------------------------------------- escapes

_SIMPLE_ESCAPES = {
    "r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"',
    "'": b"'", "a": b"\a", "b": b"\b", "f": b"\f", "v": b"\v", "e": b"\x1b",
}


def unescape(text):
    """C-style escapes of a command-line argument -> bytes."""
    out = bytearray()
    i = 0
    raw = text.encode("utf-8", "surrogateescape")
    while i < len(raw):
        c = raw[i]
        if c != 0x5C or i + 1 >= len(raw):
            out.append(c)
            i += 1
            continue
        e = chr(raw[i + 1])
        if e == "x":
            digits = raw[i + 2:i + 4]
            if len(digits) != 2 or not all(chr(d) in string.hexdigits for d in digits):
                raise ValueError(f"bad \\x escape in {text!r}: two hex digits needed")
            out.append(int(digits, 16))
            i += 4
        elif e in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[e]
            i += 2
        else:
            raise ValueError(f"unknown escape \\{e} in {text!r}")
    return bytes(out)


def escape(data, limit=400):
    """bytes -> a quoted string with every non-printable byte escaped.
    Long data is cut in the middle (the length is said)."""
    def esc(b):
        s = []
        for c in b:
            if c == 0x0D:
                s.append("\\r")
            elif c == 0x0A:
                s.append("\\n")
            elif c == 0x09:
                s.append("\\t")
            elif c == 0x5C:
                s.append("\\\\")
            elif c == 0x22:
                s.append('\\"')
            elif 0x20 <= c < 0x7F:
                s.append(chr(c))
            else:
                s.append("\\x%02x" % c)
        return "".join(s)
    data = bytes(data)
    if len(data) <= limit:
        return '"' + esc(data) + '"'
    head, tail = data[:limit * 2 // 3], data[-limit // 3:]
    return ('"' + esc(head) + '" ... (' + str(len(data) - len(head) - len(tail)) +
            ' bytes not shown, ' + str(len(data)) + ' in all) ... "' + esc(tail) + '"')


def first_difference(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def around(data, pos, width=60):
    """A window of data around pos, escaped, for long mismatches."""
    lo = max(0, pos - width)
    return f"bytes {lo}..{min(len(data), pos + width)}: " + escape(data[lo:pos + width], limit=10**6)


# ---------------------------------------------------------------- RESP parsing

class Incomplete(Exception):
    pass


def parse_resp(buf, pos=0):
    """Parse one RESP2 value at buf[pos:] -> (value, new_pos).
    Raises Incomplete if more bytes are needed, ValueError if malformed."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete()
    kind, line = buf[pos:pos + 1], bytes(buf[pos + 1:end])
    nxt = end + 2
    if kind in (b"+", b"-"):
        return (kind + line), nxt
    if kind == b":":
        return int(line), nxt
    if kind == b"$":
        n = int(line)
        if n < 0:
            return None, nxt
        if len(buf) < nxt + n + 2:
            raise Incomplete()
        if buf[nxt + n:nxt + n + 2] != b"\r\n":
            raise ValueError("bulk string not followed by \\r\\n")
        return bytes(buf[nxt:nxt + n]), nxt + n + 2
    if kind == b"*":
        n = int(line)
        if n < 0:
            return None, nxt
        items = []
        for _ in range(n):
            v, nxt = parse_resp(buf, nxt)
            items.append(v)
        return items, nxt
    raise ValueError(f"not a RESP type byte: {escape(kind)}")


def enc_bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def enc_cmd(*args):
    """A multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(enc_bulk(a))
    return b"".join(out)


# ---------------------------------------------------------------- failures

class Failure(Exception):
    pass


HINT_NOTHING = ("no reply at all: is the server reading and parsing this request? "
                "(is the request complete for it: does it wait for \\r\\n where \\n "
                "alone ends an inline request, or for more bytes than the lengths "
                "announce? does it reply only when a buffer fills or at close?)")
HINT_CLOSED = ("connection closed early: did the server crash (look at its stderr) "
               "or close the connection without (or before finishing) the reply?")
HINT_REFUSED = "connection refused: is the server running on this port?"
HINT_SHORT = ("the reply is incomplete: a short write() whose rest is never sent? "
              "a reply built in a fixed-size buffer? or the server waits for more input")
HINT_STILL_OPEN = ("the connection is still open: after QUIT's +OK, or after a protocol "
                   "error reply, the server must close the connection")
HINT_EXTRA = ("more bytes came than expected: an extra or duplicated reply? a request "
              "executed twice, or a reply for an empty line?")


def hint_for(expected, got, eof, reset):
    if reset and not got:
        return "connection reset by the server before any reply: " + HINT_CLOSED
    if not got and eof:
        return HINT_CLOSED
    if not got:
        return HINT_NOTHING
    if expected.startswith(got) and len(got) < len(expected):
        return ("connection closed in the middle of the reply: " + HINT_CLOSED) if eof \
            else HINT_SHORT
    if got.startswith(expected):
        return HINT_EXTRA
    pos = first_difference(expected, got)
    h = f"first difference at byte {pos}"
    if expected[:1] != got[:1]:
        h += " (the reply type differs: + - : $ * )"
    if b"\r\n" in expected and b"\r\n" not in got and b"\n" in got:
        h += "; every RESP line ends with \\r\\n, not \\n alone"
    if expected[:1] == b"-" and got[:1] == b"-":
        h += "; error messages must be word for word Redis's (case, quotes, punctuation)"
    if expected[:1] == b"$" and got[:1] == b"$":
        h += "; a bulk reply is $<length>\\r\\n<bytes>\\r\\n with the exact byte length"
    return h


# ---------------------------------------------------------------- one connection

def wait_rw(sock, timeout):
    """poll() (not select(): descriptors may be >= 1024) -> (readable, writable)."""
    p = select.poll()
    p.register(sock, select.POLLIN | select.POLLOUT)
    ev = p.poll(max(0.0, timeout) * 1000)
    if not ev:
        return False, False
    mask = ev[0][1]
    r = bool(mask & (select.POLLIN | select.POLLHUP | select.POLLERR))
    return r, bool(mask & select.POLLOUT)


def wait_io(sock, write, timeout):
    p = select.poll()
    p.register(sock, select.POLLOUT if write else select.POLLIN)
    return bool(p.poll(max(0.0, timeout) * 1000))


class Conn:
    def __init__(self, host, port, timeout, chunk=None, chunk_delay=0.002, label=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.chunk, self.chunk_delay, self.label = chunk, chunk_delay, label
        self.buf = bytearray()          # received, not yet consumed
        self.eof = False
        self.reset = False
        self.send_error = None
        self.pending_sent = bytearray()  # sent since the last expect
        self.steps_ok = 0
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except ConnectionRefusedError:
            raise Failure(f"cannot connect to {host}:{port}: connection refused\n"
                          f"  hint: {HINT_REFUSED}")
        except OSError as e:
            raise Failure(f"cannot connect to {host}:{port}: {e}\n  hint: {HINT_REFUSED}")
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)

    # -- low level
    def _recv_some(self, wait):
        """Wait at most `wait` s for data; append it to buf. False if nothing."""
        if self.eof:
            return False
        if not wait_io(self.sock, False, wait):
            return False
        try:
            data = self.sock.recv(1 << 20)
        except BlockingIOError:
            return False
        except ConnectionResetError:
            self.eof = self.reset = True
            return False
        except OSError:
            self.eof = True
            return False
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def _sendall(self, data):
        """Send everything, reading whatever arrives meanwhile (so a server
        that replies while we are still sending cannot deadlock us)."""
        view = memoryview(data)
        last_progress = time.monotonic()
        while view:
            if self.send_error:
                return
            r, w = wait_rw(self.sock, 0.2)
            if r:
                self._recv_some(0)
            if w:
                try:
                    n = self.sock.send(view)
                    view = view[n:]
                    last_progress = time.monotonic()
                except BlockingIOError:
                    pass
                except (BrokenPipeError, ConnectionResetError) as e:
                    self.send_error = e
                    return
            if time.monotonic() - last_progress > self.timeout:
                raise Failure(self.describe(
                    f"could not send for {self.timeout} s: the server stopped reading "
                    f"({len(view)} of {len(data)} bytes still unsent)", None))

    def send(self, data, whole=False):
        self.pending_sent += data
        if self.chunk and not whole:
            for i in range(0, len(data), self.chunk):
                self._sendall(data[i:i + self.chunk])
                if self.send_error:
                    break
                time.sleep(self.chunk_delay)
        else:
            self._sendall(data)

    def sent_text(self):
        s = escape(self.pending_sent)
        if self.steps_ok:
            s += f"   (after {self.steps_ok} earlier step(s) that matched)"
        if self.chunk:
            s += f"   (sent in pieces of {self.chunk} byte(s))"
        return s

    def describe(self, what, expected, got=None, hint=None):
        lines = []
        if self.label:
            lines.append(f"FAILED: {self.label}")
        lines.append(what)
        lines.append(f"  sent:     {self.sent_text()}")
        if expected is not None:
            lines.append(f"  expected: {escape(expected)}")
        if got is not None:
            state = ""
            if self.reset:
                state = "   (then: connection reset by the server)"
            elif self.eof:
                state = "   (then: connection closed by the server)"
            elif self.send_error:
                state = f"   (sending failed: {self.send_error})"
            lines.append(f"  received: {escape(got)}{state}")
            if expected is not None and len(expected) > 300 and got != expected:
                pos = first_difference(expected, got)
                lines.append(f"  first difference at byte {pos} of {len(expected)} expected"
                             f" ({len(got)} received)")
                lines.append(f"    expected {around(expected, pos)}")
                lines.append(f"    received {around(got, pos)}")
        if hint:
            lines.append(f"  hint: {hint}")
        return "\n".join(lines)

    # -- checks
    def expect(self, expected):
        deadline = time.monotonic() + self.timeout
        while len(self.buf) < len(expected) and not self.eof:
            if not expected.startswith(bytes(self.buf)):
                # Already wrong: gather a little more for the message, no more.
                end = min(deadline, time.monotonic() + 0.2)
                while time.monotonic() < end and len(self.buf) < len(expected) + 200:
                    if not self._recv_some(end - time.monotonic()) and self.eof:
                        break
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._recv_some(min(left, 0.5))
        got = bytes(self.buf[:len(expected)])
        if got == expected:
            del self.buf[:len(expected)]
            self.pending_sent = bytearray()
            self.steps_ok += 1
            return
        shown = bytes(self.buf)
        if not shown and not self.eof:
            what = f"no reply within {self.timeout} s"
        elif len(shown) < len(expected) and expected.startswith(shown):
            what = ("the reply stopped short" if not self.eof else
                    "the connection was closed before the whole reply came")
        else:
            what = "wrong reply"
        raise Failure(self.describe(what, expected, shown,
                                    hint_for(expected, shown, self.eof, self.reset)))

    def expect_re(self, pattern):
        rx = re.compile(pattern.encode("utf-8", "surrogateescape"), re.S)
        deadline = time.monotonic() + self.timeout
        while True:
            m = rx.match(bytes(self.buf))
            if m:
                del self.buf[:m.end()]
                self.pending_sent = bytearray()
                self.steps_ok += 1
                return
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                break
            self._recv_some(min(left, 0.5))
        shown = bytes(self.buf)
        raise Failure(self.describe(
            f"the reply does not have the expected shape (regex {pattern})", None, shown,
            HINT_NOTHING if not shown and not self.eof else
            HINT_CLOSED if not shown else "compare the shape with Redis's reply"))

    def read_value(self):
        """Read one complete RESP value; returns (value, raw bytes)."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                v, end = parse_resp(self.buf)
                raw = bytes(self.buf[:end])
                del self.buf[:end]
                return v, raw
            except Incomplete:
                pass
            except ValueError as e:
                raise Failure(self.describe(f"the reply is not valid RESP: {e}", None,
                                            bytes(self.buf), None))
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                shown = bytes(self.buf)
                raise Failure(self.describe(
                    "no complete reply" + ("" if self.eof else f" within {self.timeout} s"),
                    None, shown, hint_for(b"*", shown, self.eof, self.reset)))
            self._recv_some(min(left, 0.5))

    def expect_unordered(self, expected_text):
        expected = unescape(expected_text)
        want, _ = parse_resp(expected)
        got, raw = self.read_value()
        if isinstance(got, list) and isinstance(want, list) and \
                sorted(got, key=repr) == sorted(want, key=repr):
            self.pending_sent = bytearray()
            self.steps_ok += 1
            return
        raise Failure(self.describe(
            "wrong reply (an array compared in any order)", expected, raw,
            "the array must hold exactly these elements, once each, in any order"
            if raw[:1] == b"*" else hint_for(expected, raw, self.eof, self.reset)))

    def expect_close(self):
        deadline = time.monotonic() + self.timeout
        while not self.eof and not self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._recv_some(min(left, 0.5))
        if self.buf:
            raise Failure(self.describe(
                "expected the server to close the connection, but more bytes came",
                b"", bytes(self.buf), HINT_STILL_OPEN + "; " + HINT_EXTRA))
        if not self.eof:
            raise Failure(self.describe(
                f"the connection is still open {self.timeout} s after the reply",
                None, None, HINT_STILL_OPEN))
        self.pending_sent = bytearray()
        self.steps_ok += 1

    def expect_silence(self, secs):
        # A deliberate negative wait: used only where the server must NOT
        # answer yet (the blocking server busy with another client).
        end = time.monotonic() + secs
        while time.monotonic() < end and not self.eof:
            self._recv_some(end - time.monotonic())
            if self.buf:
                break
        if self.buf or self.eof:
            raise Failure(self.describe(
                f"expected no reply at all for {secs} s (the server should still be "
                f"busy with the other client)", b"", bytes(self.buf),
                "a blocking server serves one client at a time: while the first client "
                "is connected the second must wait in the listen queue"
                if not self.eof else HINT_CLOSED))
        self.steps_ok += 1

    def read_n(self, n):
        deadline = time.monotonic() + self.timeout
        while len(self.buf) < n and not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._recv_some(min(left, 0.5))
        if len(self.buf) < n:
            raise Failure(self.describe(f"expected at least {n} byte(s) of reply",
                                        None, bytes(self.buf),
                                        hint_for(b"x" * n, bytes(self.buf), self.eof,
                                                 self.reset)))
        del self.buf[:n]
        self.pending_sent = bytearray()
        self.steps_ok += 1

    def close(self, reset=False):
        try:
            if reset:
                import struct
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     struct.pack("ii", 1, 0))
            self.sock.close()
        except OSError:
            pass


def wait_file(path, timeout):
    end = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > end:
            raise Failure(f"file {path} did not appear within {timeout} s")
        time.sleep(0.01)


def run_steps(conn, steps, args):
    for kind, val in steps:
        if kind == "send":
            conn.send(unescape(val))
        elif kind == "send_file":
            with open(val, "rb") as f:
                conn.send(f.read())
        elif kind == "send_repeat":
            n, s = val
            conn.send(unescape(s) * int(n), whole=True)   # never in --chunk pieces
        elif kind == "expect":
            conn.expect(unescape(val))
        elif kind == "expect_file":
            with open(val, "rb") as f:
                conn.expect(f.read())
        elif kind == "expect_re":
            conn.expect_re(val)
        elif kind == "expect_unordered":
            conn.expect_unordered(val)
        elif kind == "expect_close":
            conn.expect_close()
        elif kind == "expect_silence":
            conn.expect_silence(float(val))
        elif kind == "read":
            conn.read_n(int(val))
        elif kind == "touch":
            open(val, "a").close()
        elif kind == "wait_file":
            wait_file(val, args.timeout)
        elif kind == "hold":
            print("holding", flush=True)
            time.sleep(args.hold_max)
        elif kind == "reset":
            conn.close(reset=True)
            return
        elif kind == "half_close":
            conn.sock.shutdown(socket.SHUT_WR)
        elif kind == "pause":
            time.sleep(float(val))
        else:
            raise AssertionError(kind)


def exchange_mode(args):
    conn = Conn(args.host, args.port, args.timeout, args.chunk, args.chunk_delay, args.label)
    try:
        run_steps(conn, args.steps, args)
        if args.sentinel:
            conn.label = (conn.label or "") + " [sentinel PING sent after the last step]"
            conn.send(b"PING\r\n")
            conn.expect(b"+PONG\r\n")
    finally:
        conn.close()


# ---------------------------------------------------------------- cases mode

def parse_cases(path):
    """The data file: '== group NAME' starts a group, '-- case TEXT' a case;
    then directive lines 'send: ...', 'expect: ...', 'expect-close:',
    'expect-unordered: ...', 'expect-re: ...', 'send-repeat: N TEXT',
    'hint: ...'.  '#' starts a comment line."""
    groups = {}
    group = case = None
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("== group "):
                group = line[len("== group "):].strip()
                groups.setdefault(group, [])
                case = None
                continue
            if line.startswith("-- case "):
                if group is None:
                    raise ValueError(f"{path}:{lineno}: case outside a group")
                case = {"name": line[len("-- case "):].strip(), "steps": [],
                        "hint": None, "line": lineno}
                groups[group].append(case)
                continue
            m = re.match(r"([a-z-]+):\s?(.*)$", line)
            if not m or case is None:
                raise ValueError(f"{path}:{lineno}: cannot read {line!r}")
            key, val = m.group(1), m.group(2)
            if key == "hint":
                case["hint"] = val
            elif key == "send-repeat":
                n, s = val.split(" ", 1)
                case["steps"].append(("send_repeat", (n, s)))
            elif key in ("send", "expect", "expect-close", "expect-unordered", "expect-re"):
                case["steps"].append((key.replace("-", "_"), val))
            else:
                raise ValueError(f"{path}:{lineno}: unknown directive {key!r}")
    return groups


def fill_placeholders(text, rng):
    vals = {}

    def draw(m):
        name = m.group(1)
        if name not in vals:
            n = 6 if name == "P" else 8
            vals[name] = "".join(rng.choice(string.ascii_lowercase) for _ in range(n))
        return vals[name]
    return draw


def cases_mode(args):
    groups = parse_cases(args.cases)
    if args.group not in groups:
        print(f"resp.py: no group {args.group!r} in {args.cases} "
              f"(groups: {', '.join(groups)})", file=sys.stderr)
        return 2
    # The group and the piece size are part of the draw, so that two runs on
    # one server (whole requests, then one byte at a time) use other keys.
    rng = random.Random(f"{args.seed}:{args.group}:{args.chunk}")
    failures = 0
    for case in groups[args.group]:
        draw = fill_placeholders(None, rng)
        steps = []
        for kind, val in case["steps"]:
            if kind == "send_repeat":
                n, s = val
                steps.append((kind, (n, re.sub(r"\{(K|K2|K3|V|V2|P)\}", draw, s))))
            else:
                steps.append((kind, re.sub(r"\{(K|K2|K3|V|V2|P)\}", draw, val)))
        label = f"case '{case['name']}' ({args.cases} line {case['line']}, seed {args.seed})"
        try:
            conn = Conn(args.host, args.port, args.timeout, args.chunk, args.chunk_delay, label)
        except Failure as e:
            print(f"FAILED: {label}\n{e}", file=sys.stderr)
            return 1
        try:
            run_steps(conn, steps, args)
            if not steps or steps[-1][0] != "expect_close":
                conn.label = label + " [sentinel: PING sent after the case's last reply]"
                conn.send(b"PING\r\n")
                conn.expect(b"+PONG\r\n")
        except Failure as e:
            msg = str(e)
            if case["hint"]:
                msg += f"\n  note: {case['hint']}"
            print(msg + "\n", file=sys.stderr)
            failures += 1
        finally:
            conn.close()
    total = len(groups[args.group])
    if failures:
        print(f"{failures} of {total} case(s) of group '{args.group}' failed "
              f"(seed {args.seed}{', pieces of %d byte(s)' % args.chunk if args.chunk else ''})",
              file=sys.stderr)
        return 1
    print(f"{total} case(s) of group '{args.group}' passed")
    return 0


# ---------------------------------------------------------------- load mode

ALNUM = (string.ascii_letters + string.digits).encode()


def rand_value(rng, binary, maxlen):
    n = rng.choice([0, 1, 2, 5, 10, 30, 100, rng.randint(0, maxlen)])
    if binary:
        return bytes(rng.getrandbits(8) for _ in range(n))
    return bytes(rng.choice(ALNUM) for _ in range(n))


def make_op(rng, cid, seed, model, counters, keys, value_max):
    """One random request and the exact reply it must get; updates the model."""
    inline = rng.random() < 0.25
    r = rng.random()
    k = rng.choice(keys)
    if r < 0.35:
        v = rand_value(rng, not inline, value_max)
        model[k] = v
        req, exp = ("SET", k, v), b"+OK\r\n"
    elif r < 0.70:
        v = model.get(k)
        req, exp = ("GET", k), (b"$-1\r\n" if v is None else enc_bulk(v))
    elif r < 0.77:
        existed = k in model
        model.pop(k, None)
        req, exp = ("DEL", k), b":%d\r\n" % existed
    elif r < 0.82:
        k2 = rng.choice(keys)
        req, exp = ("EXISTS", k, k2), b":%d\r\n" % ((k in model) + (k2 in model))
    elif r < 0.90:
        c = rng.choice(list(counters))
        n = rng.randint(-1000, 1000)
        counters[c] += n
        req, exp = ("INCRBY", c, str(n).encode()), b":%d\r\n" % counters[c]
    elif r < 0.95:
        ks = [rng.choice(keys) for _ in range(rng.randint(1, 4))]
        exp = b"*%d\r\n" % len(ks) + b"".join(
            b"$-1\r\n" if model.get(x) is None else enc_bulk(model[x]) for x in ks)
        req = ("MGET",) + tuple(ks)
    else:
        msg = rand_value(rng, not inline, 20) or b"x"
        req, exp = ("ECHO", msg), enc_bulk(msg)
    req = tuple(a.encode() if isinstance(a, str) else a for a in req)
    if inline and all(a and all(c in ALNUM or c in b":-" for c in a) for a in req):
        raw = b" ".join(req) + rng.choice([b"\r\n", b"\n"])
    else:
        raw = enc_cmd(*req)
    return raw, exp


async def read_expected(reader, expected, timeout, got):
    """Read until `got` holds len(expected) bytes, or is already wrong."""
    deadline = time.monotonic() + timeout
    while len(got) < len(expected):
        if not expected.startswith(bytes(got)):
            return
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            data = await asyncio.wait_for(reader.read(1 << 16), left)
        except asyncio.TimeoutError:
            return
        except ConnectionError:
            return
        if not data:
            return
        got += data


async def load_main(args):
    seed = args.seed
    n = args.load
    print(f"load: {n} clients x {args.ops} operations, seed {seed}", flush=True)
    conns = []
    try:
        for cid in range(n):
            # Connect one by one (the listen backlog is finite), all before work.
            try:
                conns.append(await asyncio.wait_for(
                    asyncio.open_connection(args.host, args.port, limit=1 << 24),
                    args.timeout))
            except (OSError, asyncio.TimeoutError) as e:
                print(f"FAILED: client {cid} of {n} could not connect: {e!r} "
                      f"({cid} connected before it)\n  hint: {HINT_REFUSED} "
                      "Is the listen backlog large enough, accept() called for every "
                      "pending connection?", file=sys.stderr)
                return 1
        start = time.monotonic()
        failures = []
        total = [0]
        durable_out = open(args.durable, "w", buffering=1) if args.durable else None  # a line at a time

        async def client(cid, reader, writer):
            rng = random.Random(f"{seed}:{cid}")
            if durable_out:
                return await durable_client(cid, reader, writer, rng)
            keys = [f"ld:{seed}:{cid}:{i}".encode() for i in range(6)]
            counters = {f"ld:{seed}:{cid}:n{i}".encode(): 0 for i in range(2)}
            model = {}
            op = 0
            while op < args.ops:
                depth = 1 if rng.random() < 0.7 else rng.randint(2, 6)
                batch = [make_op(rng, cid, seed, model, counters, keys, args.value_max)
                         for _ in range(min(depth, args.ops - op))]
                req = b"".join(r for r, _ in batch)
                exp = b"".join(e for _, e in batch)
                writer.write(req)
                try:
                    await writer.drain()
                except ConnectionError as e:
                    failures.append(f"client {cid}, operation {op}: sending failed: {e!r}")
                    return
                got = bytearray()
                await read_expected(reader, exp, args.timeout, got)
                if bytes(got[:len(exp)]) != exp:
                    failures.append(
                        f"client {cid}, operations {op}..{op + len(batch) - 1} "
                        f"(seed {seed}):\n  sent:     {escape(req)}\n"
                        f"  expected: {escape(exp)}\n  received: {escape(bytes(got))}\n"
                        f"  hint: {hint_for(exp, bytes(got), reader.at_eof(), False)}")
                    return
                op += len(batch)
                total[0] += len(batch)

        async def durable_client(cid, reader, writer, rng):
            i = 0
            while args.ops == 0 or i < args.ops:
                k = f"du:{seed}:{cid}:{i}".encode()
                v = bytes(rng.choice(ALNUM) for _ in range(rng.randint(1, 40)))
                writer.write(enc_cmd(b"SET", k, v))
                try:
                    await writer.drain()
                except ConnectionError:
                    return
                got = bytearray()
                await read_expected(reader, b"+OK\r\n", args.timeout, got)
                if bytes(got) != b"+OK\r\n":
                    if got and not b"+OK\r\n".startswith(bytes(got)):
                        failures.append(f"client {cid}: SET {k.decode()} got {escape(bytes(got))}")
                    return              # closed by the shutdown: stop here
                durable_out.write(f"{k.decode()} {v.decode()}\n")
                total[0] += 1
                i += 1

        await asyncio.gather(*(client(cid, r, w) for cid, (r, w) in enumerate(conns)))
        elapsed = time.monotonic() - start
        if durable_out:
            durable_out.close()
        if failures:
            for f in failures[:5]:
                print("FAILED: " + f, file=sys.stderr)
            print(f"{len(failures)} of {n} clients got a wrong reply (seed {seed})",
                  file=sys.stderr)
            return 1
        print(f"load: {total[0]} replies checked, all correct, in {elapsed:.1f} s "
              f"(seed {seed})", flush=True)
        return 0
    finally:
        for _, w in conns:
            try:
                w.close()
            except Exception:
                pass


def load_mode(args):
    return asyncio.run(load_main(args))


def verify_mode(args):
    with open(args.verify) as f:
        pairs = [line.rstrip("\n").split(" ", 1) for line in f if line.strip()]
    conn = Conn(args.host, args.port, args.timeout, label=f"verify {args.verify}")
    missing = []
    batch = 1000
    for i in range(0, len(pairs), batch):
        part = pairs[i:i + batch]
        conn.send(b"".join(enc_cmd(b"GET", k.encode()) for k, _ in part))
        for k, v in part:
            got, raw = conn.read_value()
            if got != v.encode():
                missing.append((k, v, raw))
    conn.close()
    if missing:
        print(f"FAILED: {len(missing)} of {len(pairs)} acknowledged SETs are not in the "
              f"store after the restart; the first ones:", file=sys.stderr)
        for k, v, raw in missing[:5]:
            print(f"  sent:     GET {k}\n  expected: {escape(enc_bulk(v.encode()))}\n"
                  f"  received: {escape(raw)}", file=sys.stderr)
        print("  hint: a SET acknowledged with +OK must be on disk (with --fsync always, "
              "written and fsync'ed before the +OK is sent); is the store file flushed and "
              "closed at shutdown, and loaded at start?", file=sys.stderr)
        return 1
    print(f"verify: all {len(pairs)} acknowledged SETs present")
    return 0


# ---------------------------------------------------------------- pipeline mode

def pipeline_mode(args):
    rng = random.Random(args.seed)
    n = args.pipeline
    reqs, exps = [], []
    model = {}
    counter = f"pl:{args.seed}:counter".encode()
    count = 0
    for i in range(n):
        r = rng.random()
        k = f"pl:{args.seed}:{rng.randint(0, 999)}".encode()
        if r < 0.3:
            v = b"v%d" % i
            model[k] = v
            req, exp = enc_cmd(b"SET", k, v), b"+OK\r\n"
        elif r < 0.6:
            v = model.get(k)
            req, exp = enc_cmd(b"GET", k), (b"$-1\r\n" if v is None else enc_bulk(v))
        elif r < 0.8:
            count += 1          # INCR: each reply says exactly where in the stream it is
            req, exp = (b"INCR %s\r\n" % counter), b":%d\r\n" % count
        elif r < 0.9:
            req, exp = b"PING\r\n", b"+PONG\r\n"
        else:
            m = b"m%d" % i
            req, exp = enc_cmd(b"ECHO", m), enc_bulk(m)
        reqs.append(req)
        exps.append(exp)
    payload = b"".join(reqs)
    expected = b"".join(exps)
    offsets = []
    pos = 0
    for e in exps:
        offsets.append(pos)
        pos += len(e)
    print(f"pipeline: {n} requests, {len(payload)} bytes in one write, "
          f"{len(expected)} bytes of replies expected (seed {args.seed})", flush=True)

    sock = socket.create_connection((args.host, args.port), timeout=args.timeout)
    send_err = []

    def writer():
        try:
            sock.sendall(payload)       # one write() call (the kernel may cut it)
        except OSError as e:
            send_err.append(e)
    t = threading.Thread(target=writer, daemon=True)
    t.start()
    got = bytearray()
    eof = False
    sock.settimeout(args.timeout)
    while len(got) < len(expected):
        try:
            data = sock.recv(1 << 20)
        except socket.timeout:
            break
        except ConnectionResetError:
            eof = True
            break
        if not data:
            eof = True
            break
        old = len(got)
        got += data
        if got[old:] != expected[old:len(got)]:
            break
    if bytes(got) == expected:
        # Nothing extra: one more PING must be answered first thing.
        sock.settimeout(args.timeout)
        sock.sendall(b"PING\r\n")
        tail = b""
        try:
            while len(tail) < 7:
                d = sock.recv(100)
                if not d:
                    break
                tail += d
        except OSError:
            pass
        sock.close()
        if tail != b"+PONG\r\n":
            print(f"FAILED: after the {n} replies, a PING got {escape(tail)} instead of "
                  f"\"+PONG\\r\\n\"\n  hint: {HINT_EXTRA}", file=sys.stderr)
            return 1
        print(f"pipeline: all {n} replies correct and in order")
        return 0
    sock.close()
    import bisect
    pos = first_difference(expected, got)
    i = max(0, bisect.bisect_right(offsets, pos) - 1)
    complete = i
    why = ("wrong reply" if pos < len(got) else
           "connection closed" if eof else f"no more replies within {args.timeout} s")
    print(f"FAILED: pipeline of {n} requests in one write (seed {args.seed}): {why}\n"
          f"  {complete} replies were right, then at request #{i}:\n"
          f"  sent:     {escape(reqs[i])}\n"
          f"  expected: {escape(exps[i])}\n"
          f"  received: {escape(bytes(got[offsets[i]:offsets[i] + len(exps[i]) + 40]))}\n"
          f"  ({len(got)} of {len(expected)} reply bytes received)\n"
          f"  hint: {'sending failed: %r; ' % send_err[0] if send_err else ''}"
          "every complete request in the input buffer must be served, in order, "
          "before reading more; a request cut at the end of a read() must be kept "
          "for the next one; replies must not be dropped when write() is short",
          file=sys.stderr)
    return 1


# ---------------------------------------------------------------- big value mode

def bigvalue_mode(args):
    rng = random.Random(args.seed)
    size = args.bigvalue
    key = (args.key or f"big:{args.seed}:{size}").encode()
    # Random bytes, with \r\n and NULs: the value must be handled as binary.
    value = bytearray(rng.getrandbits(8 * size).to_bytes(size, "little")) if size else bytearray()
    for i in range(0, size, 4099):
        value[i:i + 2] = b"\r\n"[:max(0, min(2, size - i))]
    value = bytes(value)
    conn = Conn(args.host, args.port, args.timeout, args.chunk, args.chunk_delay,
                f"{size}-byte value round trip (seed {args.seed})")
    try:
        conn.send(enc_cmd(b"SET", key, value))
        conn.expect(b"+OK\r\n")
        conn.send(enc_cmd(b"GET", key))
        conn.expect(enc_bulk(value))
        conn.send(b"PING\r\n")
        conn.expect(b"+PONG\r\n")
    finally:
        conn.close()
    print(f"bigvalue: {size} bytes stored and read back intact")
    return 0


# ---------------------------------------------------------------- flood mode

def flood_mode(args):
    key = args.flood.encode()
    value = b"f" * args.flood_size
    conn = Conn(args.host, args.port, args.timeout, label="flood setup")
    conn.send(enc_cmd(b"SET", key, value))
    conn.expect(b"+OK\r\n")
    sock = conn.sock
    sock.setblocking(True)
    sock.settimeout(None)
    batch = enc_cmd(b"GET", key) * 100
    sent = 0
    end = time.monotonic() + args.hold_max
    print(f"flood: GET {args.flood} ({args.flood_size}-byte value), never reading", flush=True)
    while time.monotonic() < end:
        try:
            sock.sendall(batch)         # blocks when the server stops reading: fine
        except OSError as e:
            print(f"flood: sending failed after {sent} requests: {e}", flush=True)
            break
        sent += 100
        print(f"sent {sent} requests", flush=True)
    time.sleep(max(0, end - time.monotonic()))
    return 0


# ---------------------------------------------------------------- many mode

MAX_CLIENTS_ERROR = b"-ERR max number of clients reached\r\n"


def raise_fd_limit(need):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = need + 64
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            return False
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return True


def many_mode(args):
    """Open N connections, all at once, then PING on each: every one must be
    either served (+PONG) or refused (the max-clients error, then closed).
    Then PING again on the served ones, still all open."""
    n = args.many
    if not raise_fd_limit(n):
        print(f"resp.py: cannot open {n} descriptors (ulimit -Hn too low)", file=sys.stderr)
        return 3
    socks = []
    for i in range(n):
        try:
            s = socket.create_connection((args.host, args.port), timeout=args.timeout)
        except OSError as e:
            print(f"FAILED: connection {i} of {n} could not connect: {e!r} ({i} were "
                  f"connected)\n  hint: {HINT_REFUSED}", file=sys.stderr)
            return 1
        socks.append(s)
    served, refused, other, waiting = [], [], [], []
    for i, s in enumerate(socks):
        try:
            s.sendall(b"PING\r\n")
        except OSError:
            pass                        # refused and closed: its reply is read below
    # With --allow-waiting, one deadline for all: connections the server has
    # not accepted yet stay silent, and each must not cost a whole timeout.
    common_deadline = time.monotonic() + args.timeout
    for i, s in enumerate(socks):
        got, closed = bytearray(), False
        deadline = common_deadline if args.allow_waiting else time.monotonic() + args.timeout
        s.setblocking(False)
        while time.monotonic() < deadline:
            if got == b"+PONG\r\n":
                break
            if not wait_io(s, False, deadline - time.monotonic()):
                break
            try:
                d = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                closed = True
                break
            if not d:
                closed = True
                break
            got += d
        if bytes(got) == b"+PONG\r\n":
            served.append(i)
        elif bytes(got) == MAX_CLIENTS_ERROR and closed:
            refused.append(i)
        elif args.allow_waiting and not got and not closed:
            waiting.append(i)
        else:
            other.append((i, bytes(got), closed))
    again_bad = []
    for i in served:                    # the ones served are still served
        s = socks[i]
        s.setblocking(True)
        s.settimeout(args.timeout)
        try:
            s.sendall(b"ECHO again\r\n")
            got = b""
            while len(got) < 11:
                d = s.recv(100)
                if not d:
                    break
                got += d
        except OSError as e:
            got = repr(e).encode()
        if got != b"$5\r\nagain\r\n":
            again_bad.append((i, got))
    print(f"many: {n} connections: {len(served)} served, {len(refused)} refused, "
          f"{len(waiting)} waiting, {len(other)} other; "
          f"first refused: {refused[0] if refused else '-'}", flush=True)
    ok = True
    for i, got, closed in other[:5]:
        ok = False
        print(f"FAILED: connection #{i} (opened after {i} others, all still open)\n"
              f"  sent:     \"PING\\r\\n\"\n"
              f"  expected: \"+PONG\\r\\n\" (served) or {escape(MAX_CLIENTS_ERROR)} then "
              f"close (refused)\n  received: {escape(got)}"
              f"{'   (then: connection closed)' if closed else '   (connection still open)'}\n"
              "  hint: a refused client gets exactly the max-clients error, then the "
              "server closes its connection", file=sys.stderr)
    for i, got in again_bad[:5]:
        ok = False
        print(f"FAILED: connection #{i} was served, but once the others were refused\n"
              f"  sent:     \"ECHO again\\r\\n\"\n  expected: \"$5\\r\\nagain\\r\\n\"\n"
              f"  received: {escape(got)}", file=sys.stderr)
    if args.expect_served is not None and len(served) != args.expect_served:
        ok = False
        print(f"FAILED: expected exactly {args.expect_served} connections served, got "
              f"{len(served)} ({len(refused)} refused)", file=sys.stderr)
    if args.max_served is not None and len(served) > args.max_served:
        ok = False
        print(f"FAILED: {len(served)} connections served, at most {args.max_served} "
              f"allowed", file=sys.stderr)
    if args.min_served is not None and len(served) < args.min_served:
        ok = False
        print(f"FAILED: only {len(served)} connections served, at least "
              f"{args.min_served} expected", file=sys.stderr)
    if served and refused and min(refused) < max(served) and args.expect_served is not None:
        print(f"note: connection #{min(refused)} was refused before #{max(served)} was "
              "served", file=sys.stderr)
    if ok and any(kind == "hold" for kind, _ in args.steps):
        # Keep every connection open (the served ones, and any the server has
        # not closed) until killed: the test looks at the server meanwhile.
        print("holding", flush=True)
        time.sleep(args.hold_max)
    for s in socks:
        s.close()
    return 0 if ok else 1


def connect_loop_mode(args):
    """N connections one after the other: connect, PING, +PONG, close."""
    for i in range(args.connect_loop):
        conn = Conn(args.host, args.port, args.timeout,
                    label=f"connection #{i} of {args.connect_loop}, opened after the "
                          f"{i} before it were closed")
        try:
            conn.send(b"PING\r\n")
            conn.expect(b"+PONG\r\n")
        except Failure as e:
            raise Failure(str(e) + "\n  hint: are closed connections' descriptors "
                          "closed and their state freed? (a leak runs out after ~1000)")
        finally:
            conn.close()
    print(f"connect-loop: {args.connect_loop} connections served one after the other")
    return 0


# ---------------------------------------------------------------- main

class Step(argparse.Action):
    def __call__(self, parser, ns, values, option_string=None):
        steps = getattr(ns, "steps", None) or []
        kind = self.dest
        if self.nargs == 0:
            values = None
        steps.append((kind, values))
        ns.steps = steps


def main(argv):
    p = argparse.ArgumentParser(
        description="Byte-exact RESP conversations (see the top of this file).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("port", type=int)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per step")
    p.add_argument("--chunk", type=int, help="send in pieces of this many bytes")
    p.add_argument("--chunk-delay", type=float, default=0.002)
    p.add_argument("--label")
    p.add_argument("--sentinel", action="store_true")
    p.add_argument("--hold-max", type=float, default=300.0)
    p.add_argument("--seed", default=None)
    for name, nargs in (("send", None), ("send_file", None), ("expect", None),
                        ("expect_file", None), ("expect_re", None),
                        ("expect_unordered", None), ("expect_silence", None),
                        ("read", None), ("touch", None), ("wait_file", None),
                        ("pause", None)):
        p.add_argument("--" + name.replace("_", "-"), dest=name, action=Step, nargs=nargs)
    p.add_argument("--send-repeat", dest="send_repeat", action=Step, nargs=2,
                   metavar=("N", "TEXT"))
    for name in ("expect_close", "hold", "reset", "half_close"):
        p.add_argument("--" + name.replace("_", "-"), dest=name, action=Step, nargs=0)
    p.add_argument("--cases")
    p.add_argument("--group")
    p.add_argument("--load", type=int)
    p.add_argument("--ops", type=int, default=100)
    p.add_argument("--value-max", type=int, default=300)
    p.add_argument("--durable")
    p.add_argument("--verify")
    p.add_argument("--pipeline", type=int)
    p.add_argument("--bigvalue", type=int)
    p.add_argument("--key")
    p.add_argument("--flood")
    p.add_argument("--flood-size", type=int, default=1 << 20)
    p.add_argument("--many", type=int)
    p.add_argument("--expect-served", type=int)
    p.add_argument("--max-served", type=int)
    p.add_argument("--min-served", type=int)
    p.add_argument("--allow-waiting", action="store_true")
    p.add_argument("--connect-loop", type=int)
    # "--expect -ERR..." would look like an option to argparse: glue every
    # step's value to its option ("--expect=-ERR...").
    takes_value = {"--send", "--send-file", "--expect", "--expect-file", "--expect-re",
                   "--expect-unordered", "--expect-silence", "--read", "--touch",
                   "--wait-file", "--label", "--pause"}
    glued, i = [], 0
    while i < len(argv):
        if argv[i] in takes_value and i + 1 < len(argv):
            glued.append(argv[i] + "=" + argv[i + 1])
            i += 2
        else:
            glued.append(argv[i])
            i += 1
    args = p.parse_args(glued)
    if not hasattr(args, "steps") or args.steps is None:
        args.steps = []
    if args.seed is None:
        args.seed = str(random.randrange(1, 1 << 30))
    try:
        if args.cases:
            if not args.group:
                p.error("--cases needs --group")
            return cases_mode(args)
        if args.load:
            return load_mode(args)
        if args.verify:
            return verify_mode(args)
        if args.pipeline:
            return pipeline_mode(args)
        if args.bigvalue is not None:
            return bigvalue_mode(args)
        if args.flood:
            return flood_mode(args)
        if args.many:
            return many_mode(args)
        if args.connect_loop:
            return connect_loop_mode(args)
        if not args.steps:
            p.error("nothing to do: give --send/--expect steps or a mode")
        exchange_mode(args)
        return 0
    except Failure as e:
        print(str(e), file=sys.stderr)
        if args.seed and (args.load or args.pipeline or args.bigvalue):
            print(f"  (seed {args.seed})", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"resp.py: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
