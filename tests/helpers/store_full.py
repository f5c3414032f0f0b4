#!/usr/bin/env python3
"""SETs against a server whose store file cannot grow (ulimit -f), one per
connection, recording which were acknowledged.

    store_full.py PORT ACKED_FILE REFUSED_FILE [COUNT]

Sends COUNT (default 12) SETs of a 3000-byte value ("x" * 3000) to keys
full:<n>:<i>, each on a new connection, and waits for each reply.
"key value" of every SET answered +OK goes to ACKED_FILE; the key of every
SET answered otherwise (an -ERR, or the connection closed without a reply)
goes to REFUSED_FILE.  With a 16 KiB limit the first few fit, the rest
cannot be stored.  Exit status 0 when some SETs were acknowledged and every
one after the first refused was refused too; 1 otherwise, with what each
SET got on stderr.
"""
import os
import socket
import sys


def one_set(port, key, value):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
              % (len(key), key, len(value), value))
    got = b""
    try:
        while not got.endswith(b"\r\n"):
            d = s.recv(4096)
            if not d:
                break
            got += d
    except OSError as e:
        got += f" <{e}>".encode()
    s.close()
    return got


def main():
    port, acked_file, refused_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 12
    value = b"x" * 3000
    tag = os.getpid()
    outcomes = []
    with open(acked_file, "w") as acked, open(refused_file, "w") as refused:
        for i in range(count):
            key = b"full:%d:%d" % (tag, i)
            got = one_set(port, key, value)
            outcomes.append((key.decode(), got))
            if got == b"+OK\r\n":
                acked.write(f"{key.decode()} {value.decode()}\n")
            else:
                refused.write(f"{key.decode()}\n")
    log = "\n".join(f"  SET {k} <3000 bytes> -> {g!r}" for k, g in outcomes)
    oks = [g == b"+OK\r\n" for _, g in outcomes]
    context = (f"{count} SETs of 3000 bytes, each on a new connection, the store file "
               f"limited to 16 KiB (ulimit -f 16: write() fails with EFBIG, as a full "
               f"disk fails with ENOSPC), --fsync always:\n{log}\n")
    if not any(oks):
        sys.exit("FAILED: " + context + "  expected the first SETs to be acknowledged (+OK)")
    if all(oks):
        sys.exit("FAILED: " + context +
                 "  expected the SETs that no longer fit in the store file NOT to get +OK\n"
                 "  hint: with --fsync always, write the record to the store file and fsync it\n"
                 "  BEFORE replying; if the write fails, the client must not be told +OK\n"
                 "  (send an -ERR with the reason, or close the connection without a reply)")
    first_fail = oks.index(False)
    if any(oks[first_fail:]):
        sys.exit("FAILED: " + context +
                 "  a SET was acknowledged after an earlier one could not be stored, while the\n"
                 "  file was still full: was its record really written?")
    print(f"store-full: {first_fail} SETs acknowledged, {count - first_fail} refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
