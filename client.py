#!/usr/bin/env python3
"""A small client for the TP7 key-value server (a subset of Redis' RESP2).

Command line (prints replies the way ``redis-cli`` does on a terminal)::

    ./client.py [-H HOST] [-p PORT] [--raw] CMD [ARGS...]   one command
    ./client.py [-H HOST] [-p PORT] -x CMD [ARGS...]        last arg from stdin
    ./client.py [-H HOST] [-p PORT] --pipe  < commands.txt  pipelined
    ./client.py [-H HOST] [-p PORT]                         interactive prompt

Exit status: 0 when every reply was read (even an error reply, like
redis-cli), 1 when the connection failed or broke, 2 for a usage error.

As a module::

    from client import Client, ReplyError
    with Client(host='127.0.0.1', port=6380, timeout=5.0) as c:
        c.command('SET', 'k', b'v')          # -> 'OK' (a Status, i.e. a str)
        c.command('GET', 'k')                # -> b'v'
        c.pipeline([('INCR', 'n'), ('GET', 'n')])   # -> [1, b'1']

Only the Python 3 standard library is used (Python 3.9 or newer).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 6380
HISTORY_FILE = os.path.join(os.path.expanduser("~"), ".kvclient_history")
PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "client.py"


# --------------------------------------------------------------------------
# Reply types and errors
# --------------------------------------------------------------------------

class Status(str):
    """A simple-string reply (``+OK``): a ``str`` you can tell from bulk data."""

    def __repr__(self) -> str:
        return f"Status({str.__repr__(self)})"


class ReplyError(Exception):
    """An error reply (``-ERR ...``); ``str(e)`` is the message without '-'."""

    @property
    def message(self) -> str:
        return str(self)

    @property
    def kind(self) -> str:
        """The first word of the message, e.g. 'ERR' or 'WRONGTYPE'."""
        return str(self).split(" ", 1)[0]


class ProtocolError(Exception):
    """The server sent bytes that are not a valid RESP2 reply."""


class ConnectionClosed(ConnectionError):
    """The server closed the connection while we were waiting for a reply."""

    def __init__(self, message: str = "server closed the connection") -> None:
        super().__init__(message)


# --------------------------------------------------------------------------
# Encoding requests
# --------------------------------------------------------------------------

def to_bytes(arg) -> bytes:
    """One command argument as bytes: str is UTF-8 encoded, int is decimal."""
    if isinstance(arg, (bytes, bytearray, memoryview)):
        return bytes(arg)
    if isinstance(arg, str):
        return arg.encode("utf-8")
    if isinstance(arg, int) and not isinstance(arg, bool):
        return b"%d" % arg
    raise TypeError(f"command arguments must be str, bytes or int, not {type(arg).__name__}")


def encode_command(args) -> bytes:
    """A command as a RESP multibulk: ``*N\\r\\n`` then ``$LEN\\r\\nDATA\\r\\n`` per arg.

    >>> encode_command(['SET', 'k', b'v'])
    b'*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$1\\r\\nv\\r\\n'
    """
    if len(args) == 0:
        raise ValueError("a command needs at least one word")
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = to_bytes(arg)
        parts += [b"$%d\r\n" % len(data), data, b"\r\n"]
    return b"".join(parts)


# --------------------------------------------------------------------------
# Decoding replies
# --------------------------------------------------------------------------

def _text(data: bytes) -> str:
    """Bytes to str so that encoding back gives exactly the same bytes."""
    return data.decode("utf-8", "surrogateescape")


def _parse_int(data: bytes, what: str) -> int:
    """Parse a decimal integer header, or raise ProtocolError."""
    if not re.fullmatch(rb"-?[0-9]+", data):
        raise ProtocolError(f"bad {what}: {data!r}")
    return int(data)


class RespReader:
    """Reads RESP2 replies from a socket, through a buffer.

    A reply may arrive in many pieces (one ``recv()`` can return any number
    of bytes), and one ``recv()`` may hold several replies: everything goes
    into ``self._buf`` and we only take out complete lines or bulk payloads.
    """

    RECV_SIZE = 64 * 1024

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = bytearray()

    def _fill(self) -> None:
        """Append what the next recv() returns; EOF means the server left."""
        chunk = self._sock.recv(self.RECV_SIZE)
        if not chunk:
            raise ConnectionClosed()
        self._buf += chunk

    def _take(self, n: int) -> bytes:
        """Remove and return the first n buffered bytes."""
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def read_line(self) -> bytes:
        """One line, without its ``\\r\\n``."""
        start = 0
        while True:
            end = self._buf.find(b"\r\n", start)
            if end >= 0:
                line = self._take(end + 2)
                return line[:-2]
            start = max(len(self._buf) - 1, 0)   # '\r' may be the last byte
            self._fill()

    def read_exact(self, n: int) -> bytes:
        """Exactly n bytes (waiting for as many recv() calls as needed)."""
        while len(self._buf) < n:
            self._fill()
        return self._take(n)

    def read_reply(self):
        """One reply, decoded (see Client.command). Error replies are
        *returned* as ReplyError instances, not raised."""
        line = self.read_line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return Status(_text(rest))
        if kind == b"-":
            return ReplyError(_text(rest))
        if kind == b":":
            return _parse_int(rest, "integer reply")
        if kind == b"$":
            return self._read_bulk(_parse_int(rest, "bulk length"))
        if kind == b"*":
            return self._read_array(_parse_int(rest, "array length"))
        raise ProtocolError(f"unknown reply type {kind!r} in line {line[:60]!r}")

    def _read_bulk(self, length: int):
        """The payload of ``$LEN``: bytes, or None for ``$-1``."""
        if length == -1:
            return None
        if length < -1:
            raise ProtocolError(f"bad bulk length {length}")
        data = self.read_exact(length + 2)
        if data[-2:] != b"\r\n":
            raise ProtocolError("bulk payload not followed by \\r\\n")
        return data[:-2]

    def _read_array(self, count: int):
        """The elements of ``*COUNT``: a list, or None for ``*-1``."""
        if count == -1:
            return None
        if count < -1:
            raise ProtocolError(f"bad array length {count}")
        return [self.read_reply() for _ in range(count)]


# --------------------------------------------------------------------------
# The client object
# --------------------------------------------------------------------------

class Client:
    """A connection to the server.

    Replies are decoded as: simple string -> Status (a str), bulk -> bytes,
    nil -> None, integer -> int, array -> list (elements decoded the same
    way; an error inside an array is a ReplyError instance).
    """

    def __init__(self, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 timeout: float | None = 5.0) -> None:
        """Connect now; raises OSError (e.g. ConnectionRefusedError,
        socket.gaierror for an unknown host) if that fails."""
        self.host = host
        self.port = port
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._reader = RespReader(self._sock)

    def send(self, *commands) -> None:
        """Send commands (each a sequence of arguments) in one write."""
        self._sock.sendall(b"".join(encode_command(cmd) for cmd in commands))

    def read_reply(self):
        """Read the next reply; an error reply is returned, not raised."""
        return self._reader.read_reply()

    def command(self, *args):
        """Send one command, return its reply; raise ReplyError for ``-ERR``."""
        self.send(args)
        reply = self.read_reply()
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    def pipeline(self, commands) -> list:
        """Send every command at once, then read one reply per command.

        Error replies are returned in the list as ReplyError instances.
        """
        commands = list(commands)
        if not commands:
            return []
        self.send(*commands)
        return [self.read_reply() for _ in commands]

    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        self._sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


# --------------------------------------------------------------------------
# Printing replies like redis-cli
# --------------------------------------------------------------------------

# How redis-cli shows each byte of bulk data (sdscatrepr()): a few bytes
# get a backslash escape, other non-printable bytes (outside 0x20-0x7e)
# become \xHH, printable ASCII is shown as itself (so absent from the table).
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t",
            "\a": "\\a", "\b": "\\b"}
_REPR_TABLE = {code: _ESCAPES.get(chr(code), "\\x%02x" % code)
               for code in range(256)
               if chr(code) in _ESCAPES or not 0x20 <= code <= 0x7e}


def quote_bulk(data: bytes) -> bytes:
    r"""Bulk data the way redis-cli shows it: ``"a\x00b"``, ``"x\ny"``.

    (Latin-1 maps each byte to the character with the same code, so
    str.translate can rewrite every byte at C speed.)
    """
    shown = data.decode("latin-1").translate(_REPR_TABLE)
    return b'"' + shown.encode("latin-1") + b'"'


def format_reply(reply, prefix: bytes = b"") -> bytes:
    """A reply as redis-cli prints it on a terminal, ending with a newline.

    ``prefix`` is the indentation of nested array lines (the caller has
    already printed the index of the first line).
    """
    if isinstance(reply, ReplyError):
        return b"(error) " + str(reply).encode("utf-8", "surrogateescape") + b"\n"
    if isinstance(reply, Status):
        return reply.encode("utf-8", "surrogateescape") + b"\n"
    if isinstance(reply, int):
        return b"(integer) %d\n" % reply
    if isinstance(reply, bytes):
        return quote_bulk(reply) + b"\n"
    if reply is None:
        return b"(nil)\n"
    if not reply:
        return b"(empty array)\n"
    return _format_array(reply, prefix)


def _format_array(items: list, prefix: bytes) -> bytes:
    """Numbered items, right-aligned numbers, nested arrays indented."""
    width = len(str(len(items)))
    inner_prefix = prefix + b" " * (width + 2)
    out = []
    for number, item in enumerate(items, start=1):
        out.append((prefix if number > 1 else b"") + b"%*d) " % (width, number))
        out.append(format_reply(item, inner_prefix))
    return b"".join(out)


def format_raw(reply) -> bytes:
    """A reply as ``redis-cli --raw`` prints it (without the final newline):
    data as-is, integers bare, nil empty, array items one per line."""
    if isinstance(reply, ReplyError):
        return str(reply).encode("utf-8", "surrogateescape") + b"\n"
    if isinstance(reply, str):
        return reply.encode("utf-8", "surrogateescape")
    if isinstance(reply, int):
        return b"%d" % reply
    if isinstance(reply, bytes):
        return reply
    if reply is None:
        return b""
    return b"\n".join(format_raw(item) for item in reply)


class StdoutClosed(Exception):
    """Nobody reads our output any more (e.g. ``./client.py ... | head -1``)."""


def write_out(data: bytes) -> None:
    """Write bytes to stdout at once (so output and prompts interleave well)."""
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise StdoutClosed() from None


def print_reply(reply, raw: bool) -> None:
    """Write one reply to stdout in the chosen format."""
    write_out(format_raw(reply) + b"\n" if raw else format_reply(reply))


# --------------------------------------------------------------------------
# Splitting a typed line into arguments like redis-cli (sdssplitargs())
# --------------------------------------------------------------------------

class SplitError(ValueError):
    """Unbalanced quotes, or a closing quote followed by something else."""


_SPACES = b" \t\n\r\v\f"
_HEX_PAIR = re.compile(rb"[0-9a-fA-F]{2}")
_DQ_ESCAPES = {ord("n"): ord("\n"), ord("r"): ord("\r"), ord("t"): ord("\t"),
               ord("b"): ord("\b"), ord("a"): ord("\a")}


def split_args(line: bytes) -> list[bytes]:
    r"""Split a line into arguments, as redis-cli does.

    Words are separated by spaces; ``"..."`` understands ``\n \r \t \b \a
    \xHH`` and ``\<any>``; ``'...'`` only understands ``\'``.  A closing quote
    must end the word.

    >>> split_args(b'SET "a b" \'c d\' e\\x41 "\\x41\\n"')
    [b'SET', b'a b', b'c d', b'e\\x41', b'A\n']
    """
    args = []
    i = 0
    while True:
        while i < len(line) and line[i] in _SPACES:
            i += 1
        if i >= len(line):
            return args
        word, i = _read_word(line, i)
        args.append(word)


def _read_word(line: bytes, i: int) -> tuple[bytes, int]:
    """One argument starting at line[i]; returns it and the index after it."""
    word = bytearray()
    while i < len(line) and line[i] not in _SPACES:
        if line[i] == ord('"'):
            i = _read_double_quoted(line, i + 1, word)
            break
        if line[i] == ord("'"):
            i = _read_single_quoted(line, i + 1, word)
            break
        word.append(line[i])
        i += 1
    return bytes(word), i


def _read_double_quoted(line: bytes, i: int, word: bytearray) -> int:
    """Append the inside of "..." (from line[i]) to word; return the index
    after the closing quote."""
    while i < len(line):
        c = line[i]
        hex_digits = line[i + 2:i + 4]
        if line[i:i + 2] == b"\\x" and _HEX_PAIR.fullmatch(hex_digits):
            word.append(int(hex_digits, 16))
            i += 4
        elif c == ord("\\") and i + 1 < len(line):
            word.append(_DQ_ESCAPES.get(line[i + 1], line[i + 1]))
            i += 2
        elif c == ord('"'):
            return _after_closing_quote(line, i + 1)
        else:
            word.append(c)
            i += 1
    raise SplitError("unbalanced quotes")


def _read_single_quoted(line: bytes, i: int, word: bytearray) -> int:
    """Append the inside of '...' (from line[i]) to word; return the index
    after the closing quote."""
    while i < len(line):
        c = line[i]
        if c == ord("\\") and line[i + 1:i + 2] == b"'":
            word.append(ord("'"))
            i += 2
        elif c == ord("'"):
            return _after_closing_quote(line, i + 1)
        else:
            word.append(c)
            i += 1
    raise SplitError("unbalanced quotes")


def _after_closing_quote(line: bytes, i: int) -> int:
    """A closing quote must be followed by a space or the end of the line."""
    if i < len(line) and line[i] not in _SPACES:
        raise SplitError("closing quote must be followed by a space")
    return i


# --------------------------------------------------------------------------
# Command-line modes
# --------------------------------------------------------------------------

class Fatal(Exception):
    """A problem that ends the program with a one-line message and status 1."""


def connect(host: str, port: int, timeout: float | None) -> Client:
    """A Client, or Fatal with a clear message."""
    try:
        return Client(host, port, timeout=timeout)
    except OSError as e:
        raise Fatal(f"cannot connect to {host}:{port}: {describe(e)}") from None


def describe(error: BaseException) -> str:
    """A short human description of a socket error."""
    if isinstance(error, ConnectionClosed):
        return str(error)
    if isinstance(error, socket.timeout):
        return "timed out"
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def run_one(client: Client, args: list[bytes], raw: bool) -> None:
    """Send one command and print its reply."""
    client.send(args)
    print_reply(client.read_reply(), raw)


def run_pipe(client: Client, raw: bool) -> None:
    """--pipe: every stdin line is a command; send them all, then print
    every reply in order. A badly quoted line prints 'Invalid argument(s)'
    at its place and is not sent.

    (Everything is written before anything is read: with a huge input, a
    server that stops reading while its replies are not read could block
    both sides. Fine for the few thousand commands of a test.)"""
    commands = []
    for line in sys.stdin.buffer.read().split(b"\n"):
        try:
            args = split_args(line)
        except SplitError:
            args = None
        if args != []:                      # skip blank lines
            commands.append(args)
    valid = [args for args in commands if args is not None]
    if valid:
        client.send(*valid)
    for args in commands:
        if args is None:
            write_out(b"Invalid argument(s)\n")
        else:
            print_reply(client.read_reply(), raw)


def read_lines(prompt: str):
    """Yield the lines typed (bytes). On a terminal: a prompt, line editing
    and history when the readline module exists; otherwise plain stdin."""
    if not sys.stdin.isatty():
        for line in sys.stdin.buffer:
            yield line.rstrip(b"\r\n")
        return
    readline = _setup_readline()
    try:
        while True:
            try:
                line = input(prompt)
            except KeyboardInterrupt:       # Ctrl-C: forget the line
                print()
                continue
            except EOFError:                # Ctrl-D: leave
                print()
                return
            yield os.fsencode(line)
    finally:
        _save_history(readline)


def _setup_readline():
    """Import readline and load the history; None if not available."""
    try:
        import readline
    except ImportError:
        return None
    readline.set_history_length(1000)
    try:
        readline.read_history_file(HISTORY_FILE)
    except OSError:
        pass
    return readline


def _save_history(readline) -> None:
    """Write the history file; silently give up if it is not writable."""
    if readline is None:
        return
    try:
        readline.write_history_file(HISTORY_FILE)
    except OSError:
        pass


def run_interactive(client: Client, raw: bool) -> None:
    """The prompt loop: read a line, split it, send it, print the reply."""
    for line in read_lines(f"{client.host}:{client.port}> "):
        try:
            args = split_args(line)
        except SplitError:
            write_out(b"Invalid argument(s)\n")
            continue
        if not args:
            continue
        if args[0].lower() in (b"quit", b"exit"):
            return
        run_one(client, args, raw)


def parse_options(argv: list[str]) -> argparse.Namespace:
    """Options come first; the first other word starts the command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage="%(prog)s [-H HOST] [-p PORT] [-t SECONDS] [--raw] [-x | --pipe] "
              "[CMD [ARGS...]]",
        description="Client for the TP7 key-value server (RESP2, like redis-cli).",
        epilog="Without CMD: an interactive prompt (quit, exit or Ctrl-D to leave).")
    parser.add_argument("-H", dest="host", default=DEFAULT_HOST,
                        help=f"server host (default {DEFAULT_HOST})")
    parser.add_argument("-p", dest="port", type=int, default=DEFAULT_PORT,
                        help=f"server port (default {DEFAULT_PORT})")
    parser.add_argument("-t", dest="timeout", type=float, default=None,
                        metavar="SECONDS",
                        help="seconds to wait for the connection and each reply "
                             "(default: forever)")
    parser.add_argument("-x", dest="stdin_arg", action="store_true",
                        help="read the last argument of CMD from stdin")
    parser.add_argument("--raw", action="store_true",
                        help="print raw replies (like redis-cli --raw)")
    parser.add_argument("--pipe", action="store_true",
                        help="read commands from stdin, one per line, and send "
                             "them all at once (pipelined)")
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD [ARGS...]")
    opts = parser.parse_args(argv)
    if not 0 < opts.port < 65536:
        parser.error(f"invalid port {opts.port}")
    if opts.pipe and (opts.command or opts.stdin_arg):
        parser.error("--pipe reads the commands from stdin: give no CMD and no -x")
    return opts


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    opts = parse_options(sys.argv[1:] if argv is None else argv)
    args = [os.fsencode(word) for word in opts.command]
    if opts.stdin_arg:
        args.append(sys.stdin.buffer.read())
    try:
        with connect(opts.host, opts.port, opts.timeout) as client:
            if opts.pipe:
                run_pipe(client, opts.raw)
            elif args:
                run_one(client, args, opts.raw)
            else:
                run_interactive(client, opts.raw)
    except Fatal as e:
        return fail(str(e))
    except StdoutClosed:
        # Stop quietly; point stdout at /dev/null so the final flush works.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except ConnectionClosed:
        return fail("server closed the connection")
    except ProtocolError as e:
        return fail(f"protocol error: {e}")
    except OSError as e:
        return fail(f"connection to {opts.host}:{opts.port} failed: {describe(e)}")
    return 0


def fail(message: str) -> int:
    """Print 'client.py: message' on stderr; return the exit status 1."""
    print(f"{PROG}: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:           # Ctrl-C while waiting for a reply
        sys.exit(130)
