#!/usr/bin/env python3
"""Many clients that send their request one byte at a time.

    slow_clients.py PORT N READY_FILE DONE_FILE [DELAY] [LIMIT]

Opens N connections; each sends "ECHO " and then one "a" every DELAY seconds
(default 0.05): a request the server cannot complete yet.  Once every
connection has sent "ECHO a", touches READY_FILE.  The clients keep
trickling until DONE_FILE exists (the test creates it when its fast client
has finished), then each ends its line and must get its "a...a" back.  So
the fast client was served while all N requests were half sent.
Exit status 0 if every client got its exact reply, 1 otherwise (or if
DONE_FILE did not appear within LIMIT seconds, default 60).
"""
import asyncio
import os
import sys


async def slow_client(i, port, delay, started, done_file, limit):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"ECHO a")
        await writer.drain()
        started.append(i)
        sent = 1
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not os.path.exists(done_file):
            if loop.time() > deadline:
                return f"client {i}: {done_file} did not appear within {limit} s"
            await asyncio.sleep(delay)
            writer.write(b"a")
            await writer.drain()
            sent += 1
        writer.write(b"\r\n")
        await writer.drain()
        want = b"$%d\r\n%s\r\n" % (sent, b"a" * sent)
        try:
            got = await asyncio.wait_for(reader.readexactly(len(want)), 10)
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, OSError) as e:
            got = getattr(e, "partial", b"") or repr(e).encode()
        if got != want:
            return (f"client {i}: sent \"ECHO {'a' * min(sent, 20)}...\\r\\n\" "
                    f"({sent} a's, one byte per write)\n  expected: {want[:40]!r}...\n"
                    f"  received: {got[:80]!r}")
        return None
    finally:
        writer.close()


async def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    ready_file, done_file = sys.argv[3], sys.argv[4]
    delay = float(sys.argv[5]) if len(sys.argv) > 5 else 0.05
    limit = float(sys.argv[6]) if len(sys.argv) > 6 else 60
    started = []
    tasks = [asyncio.create_task(slow_client(i, port, delay, started, done_file, limit))
             for i in range(n)]
    while len(started) < n and not all(t.done() for t in tasks):
        await asyncio.sleep(0.01)
    if len(started) == n:
        open(ready_file, "w").close()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [r if isinstance(r, str) else f"client: {r!r}" for r in results if r is not None]
    for e in errors[:5]:
        print("FAILED: " + e, file=sys.stderr)
    if errors:
        print(f"{len(errors)} of {n} slow clients failed", file=sys.stderr)
        return 1
    print(f"{n} slow clients served, each after the fast client was done")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
