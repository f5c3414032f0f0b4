#!/usr/bin/env python3
"""Check that a server started on a truncated store file holds exactly the
records that were whole before the cut.

    store_prefix.py PORT ORIGINAL CUT

ORIGINAL is the store file as the server left it (a log of RESP arrays: SET,
DEL, FLUSHDB), CUT the offset the copy the server opened was cut at.  The
records that end at or before CUT are replayed in a model; every key named
anywhere in ORIGINAL is then read back with GET: keys the model holds must
have its value, the others must be missing.  A store that loses a whole
record before the cut, or makes up one from a half record after it, fails.
Exit status 0 if the server agrees with the model, 1 otherwise.
"""
import socket
import sys


def parse_records(data):
    """[(end_offset, [arg, ...])] for every whole RESP array in data."""
    records, pos = [], 0
    while pos < len(data):
        if data[pos:pos + 1] != b"*":
            break
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            break
        argc, pos, args = int(data[pos + 1:eol]), eol + 2, []
        for _ in range(argc):
            eol = data.find(b"\r\n", pos)
            if eol < 0 or data[pos:pos + 1] != b"$":
                return records
            n = int(data[pos + 1:eol])
            start = eol + 2
            if start + n + 2 > len(data):
                return records
            args.append(data[start:start + n])
            pos = start + n + 2
        records.append((pos, args))
    return records


def model_at(records, cut):
    state = {}
    for end, args in records:
        if end > cut:
            break
        name = args[0].upper()
        if name == b"SET":
            state[args[1]] = args[2]
        elif name == b"DEL":
            for k in args[1:]:
                state.pop(k, None)
        elif name == b"FLUSHDB":
            state.clear()
    return state


def enc_cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def read_bulk(f):
    line = f.readline()
    if line.startswith(b"$-1"):
        return None
    if not line.startswith(b"$"):
        raise RuntimeError(f"unexpected reply to GET: {line!r}")
    n = int(line[1:])
    data = f.read(n + 2)
    return data[:n]


def main():
    port, original, cut = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    with open(original, "rb") as fh:
        records = parse_records(fh.read())
    expected = model_at(records, cut)
    keys = sorted({a[1] for _, a in records if len(a) > 1})
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"".join(enc_cmd(b"GET", k) for k in keys))
        f = s.makefile("rb")
        wrong = []
        for k in keys:
            got = read_bulk(f)
            if got != expected.get(k):
                wrong.append((k, expected.get(k), got))
    whole = sum(1 for end, _ in records if end <= cut)
    if wrong:
        print(f"FAILED: store file cut at byte {cut} of {original} ({whole} whole "
              f"records of {len(records)} before the cut): {len(wrong)} keys wrong",
              file=sys.stderr)
        for k, want, got in wrong[:5]:
            print(f"  sent:     GET {k!r}\n  expected: {want!r} (None = missing)\n"
                  f"  received: {got!r}", file=sys.stderr)
        print("  hint: on open, every whole record must be replayed, and a half "
              "record at the end dropped (and cut off the file)", file=sys.stderr)
        return 1
    print(f"cut at {cut}: {whole} whole records, {len(expected)} keys, all as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
