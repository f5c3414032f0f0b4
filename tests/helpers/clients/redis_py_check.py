#!/usr/bin/python3
"""redis_py_check.py PORT PREFIX — the same steps with Debian's python3-redis:
connect (with a client name), a pipeline of 1000, SCAN over 10,000 keys
(scan_iter), expiry, and RESP3 if this redis-py has it (protocol=3)."""
import sys
import time

import redis

port, prefix = int(sys.argv[1]), sys.argv[2]


def check(what, got, want):
    if got != want:
        sys.exit(f"redis-py: {what}\n  expected: {want!r}\n  received: {got!r}")


r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10,
                client_name=f"{prefix}conn", decode_responses=True)
check("PING", r.ping(), True)
check("CLIENT GETNAME", r.client_getname(), f"{prefix}conn")
check("INFO loading", r.info("persistence").get("loading"), 0)
print("ok: connect (CLIENT SETNAME, INFO)")

p = r.pipeline(transaction=False)
for i in range(1000):
    p.set(f"{prefix}p{i}", f"v{i}")
for i in range(1000):
    p.get(f"{prefix}p{i}")
res = p.execute()
check("pipeline GET p999", res[1999], "v999")
print("ok: pipeline of 1000 SETs and 1000 GETs")

p = r.pipeline(transaction=False)
for i in range(10000):
    p.set(f"{prefix}s{i}", "x")
p.execute()
seen = set(r.scan_iter(match=f"{prefix}s*", count=100))
check("distinct keys returned by SCAN MATCH prefix*", len(seen), 10000)
print("ok: SCAN over 10,000 keys")

check("SET PX 300", r.set(f"{prefix}e", "v", px=300), True)
check("PTTL within (0, 300]", 0 < r.pttl(f"{prefix}e") <= 300, True)
r.set(f"{prefix}f", "v", ex=100)
check("TTL", r.ttl(f"{prefix}f"), 100)
check("PERSIST", r.persist(f"{prefix}f"), True)
check("GETDEL", r.getdel(f"{prefix}f"), "v")
time.sleep(0.4)
check("GET after the expiry", r.get(f"{prefix}e"), None)
print("ok: expiry (SET PX, PTTL, TTL, PERSIST, GETDEL)")

try:
    r3 = redis.Redis(host="127.0.0.1", port=port, protocol=3, decode_responses=True)
except TypeError:
    print("ok: RESP3 not tried (this redis-py has no protocol=3)")
else:
    check("RESP3 GET of a missing key", r3.get(f"{prefix}missing"), None)
    check("RESP3 SET/GET", (r3.set(f"{prefix}r3", "v"), r3.get(f"{prefix}r3")), (True, "v"))
    print("ok: RESP3 (HELLO 3)")
