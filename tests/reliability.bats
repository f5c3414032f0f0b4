#!/usr/bin/env bats
# Reliability of the select server ($KV_SELECT), beyond the stage tests:
# acknowledged writes survive SIGKILL, a cut-short store file always opens,
# running out of disk is survived, load and slow clients,
# and a real redis-server as the oracle for every protocol case.
#
# Not graded (no points): these hold the reference to the bar of real
# software.  STRESS=1 runs the long variants (make stress).
# bats file_tags=reliability

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/server

SERVER_BIN=$KV_SELECT
: "${BATS_TEST_TIMEOUT:=300}"     # a backstop only: every call has its own timeout

teardown() { kill_started; }

# ------------------------------------------------------------- crash durability

# A writer does SETs with --fsync always; the server is killed with SIGKILL
# at a random moment, 20 times, and restarted on the same file each time.
# Every SET ever acknowledged with +OK must be there, with its value: with
# --fsync always, the +OK goes out only after the record is on disk.
# bats test_tags=reliability
@test "reliability: 20 SIGKILLs under a write load with --fsync always: the store always opens, no acknowledged SET lost" {
  local t=$BATS_TEST_TMPDIR store=$BATS_TEST_TMPDIR/crash.aof round want acked=0
  RANDOM=$((SEED % 32768))
  : >"$t/all-acked"
  for ((round = 1; round <= 20; round++)); do
    start_kv -d "$store" --fsync always ||
      fail "round $round: the server did not start on the store file left by SIGKILL (seed $SEED)"
    CLIENT_LIMIT=60 start_client "writer$round" --load 4 --ops 0 \
      --durable "$t/acked$round" --seed "$SEED-$round" --timeout 10
    local writer=$CLIENT_PID
    want=$((1 + RANDOM % 400))        # the random moment: after this many +OK
    wait_until 20 eval "[[ -s $t/acked$round && \$(wc -l <$t/acked$round) -ge $want ]]" ||
      fail "round $round: $want SETs were not acknowledged within 20 s
$(cat "$t/writer$round.err")"
    kill -KILL "$SERVER_PID"
    wait_exit "$SERVER_PID" 5 || fail "round $round: the server survived SIGKILL?"
    wait_exit "$writer" 15 || fail "round $round: the writer did not notice the server died"
    cat "$t/acked$round" >>"$t/all-acked"
  done
  acked=$(wc -l <"$t/all-acked")
  start_kv -d "$store" --fsync always
  RESP_LIMIT=60 resp --verify "$t/all-acked" --timeout 20 ||
    fail "after 20 SIGKILLs, acknowledged SETs are missing (seed $SEED, $acked acknowledged)"
}

# The store file, cut at 30 random offsets (as a crash in the middle of a
# write leaves it), always opens and holds exactly the whole records before
# the cut: none lost, no half record taken for a whole one.
# bats test_tags=reliability
@test "reliability: the store file cut at 30 random offsets always opens, with exactly the records before the cut" {
  local t=$BATS_TEST_TMPDIR orig=$BATS_TEST_TMPDIR/orig.aof cut size i
  start_kv -d "$orig" --fsync always
  RESP_LIMIT=60 resp --load 1 --ops 400 --seed "$SEED" --timeout 10 >/dev/null ||
    fail "the load that writes the store file failed"
  kill -KILL "$SERVER_PID"          # no compaction at exit: the log as written
  wait_exit "$SERVER_PID" 5
  size=$(stat -c %s "$orig")
  ((size > 1000)) || fail "the store file is only $size bytes after 400 operations"
  RANDOM=$((SEED % 32768))
  for ((i = 0; i < 30; i++)); do
    cut=$(( (RANDOM * 32768 + RANDOM) % (size + 1) ))
    head -c "$cut" "$orig" >"$t/cut.aof"
    start_kv -d "$t/cut.aof" ||
      fail "the server did not start on the store file cut at byte $cut of $size"
    run timeout 30 "$PYTHON" "$ROOT/tests/helpers/store_prefix.py" "$SERVER_PORT" "$orig" "$cut"
    ((status == 0)) || fail "$output"
    stop_kv_with INT 5
  done
}

# ------------------------------------------------------------- faults

# A store that cannot grow (the file-size limit, ulimit -f, stands in for a
# full disk: write() fails with EFBIG as it would with ENOSPC): a SET is never
# acknowledged unless written, the server says why, reads keep working, and
# writes work again once there is room.
# bats test_tags=reliability
@test "reliability: full disk (ulimit -f): SET refused with the reason, GET still served, nothing acknowledged lost, recovery" {
  command -v prlimit >/dev/null || skip "prlimit (util-linux) is not installed"
  limited_server "-S -f 16"           # 16 KiB, soft: prlimit can lift it later
  start_kv --fsync always
  local t=$BATS_TEST_TMPDIR
  run timeout 60 "$PYTHON" - "$SERVER_PORT" "$t/acked" <<'EOF'
import socket, sys
port, acked_file = int(sys.argv[1]), sys.argv[2]
value = b"x" * 3000
outcomes = []
with open(acked_file, "w") as acked:
    for i in range(12):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = b"full:%d" % i
        s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
        got = b""
        try:
            while not got.endswith(b"\r\n"):
                d = s.recv(4096)
                if not d:
                    break
                got += d
        except OSError:
            pass
        s.close()
        outcomes.append(got)
        print(f"SET {key.decode()} <3000 bytes> -> {got!r}")
        if got == b"+OK\r\n":
            acked.write(f"{key.decode()} {value.decode()}\n")
oks = [o == b"+OK\r\n" for o in outcomes]
first_fail = oks.index(False) if False in oks else None
if first_fail is None or first_fail == 0:
    sys.exit("FAILED: expected some SETs acknowledged, then refused once the file is full")
if any(oks[first_fail:]):
    sys.exit("FAILED: a SET was acknowledged after one failed, while the file is still full")
errors = [o for o in outcomes[first_fail:] if o.startswith(b"-ERR")]
if not errors or not all(b"File too large" in e for e in errors):
    sys.exit("FAILED: the refused SETs must get an -ERR reply that gives the reason "
             "(strerror: File too large); got " + repr(outcomes[first_fail:]))
EOF
  ((status == 0)) || fail "$output"
  exchange "GET full:0\r\n" "\$3000\r\n$(printf 'x%.0s' {1..3000})\r\n" --label "GET while the disk is full"
  prlimit --pid "$SERVER_PID" --fsize=unlimited ||
    fail "prlimit could not lift the file-size limit of pid $SERVER_PID"
  eventually 5 exchange 'SET after-full 1\r\n' '+OK\r\n' --label "SET once there is room again"
  stop_kv_with INT 5
  SERVER_BIN=$KV_SELECT
  start_kv -d "$SERVER_STORE"
  RESP_LIMIT=60 resp --verify "$t/acked" --timeout 20
  exchange 'GET after-full\r\n' '$1\r\n1\r\n' --label "the SET made after the recovery, after a restart"
}

# ------------------------------------------------------------- load

# bats test_tags=reliability
@test "reliability: 1000 concurrent clients, mixed operations, every reply checked (1000 each with STRESS=1)" {
  local hard ops=30
  [[ ${STRESS:-0} == 1 ]] && ops=1000
  hard=$(ulimit -Hn)
  [[ $hard == unlimited || $hard -ge 2200 ]] || skip "needs ulimit -Hn >= 2200 (it is $hard)"
  ulimit -n 2200
  start_kv
  RESP_LIMIT=$((ops > 100 ? 1200 : 120)) resp --load 1000 --ops "$ops" --seed "$SEED" --timeout 60
  server_alive
}

# bats test_tags=reliability
@test "reliability: 200 clients trickling one byte at a time do not slow down a fast one" {
  local t=$BATS_TEST_TMPDIR
  start_kv
  start_bg "$t/slow.out" "$t/slow.err" timeout -k 2 120 \
    "$PYTHON" "$ROOT/tests/helpers/slow_clients.py" "$SERVER_PORT" 200 "$t/slow-ready" "$t/fast-done"
  local slow=$BG_PID
  wait_until 30 eval "[[ -e $t/slow-ready ]] || ! is_running $slow" || true
  [[ -e $t/slow-ready ]] || fail "the 200 slow clients did not all connect: $(cat "$t/slow.err")"
  # 10,000 requests, round trip by round trip, while all 200 are half sent.
  RESP_LIMIT=60 resp --load 5 --ops 2000 --seed "$SEED" --timeout 10 ||
    fail "the fast client failed while 200 clients trickled their requests"
  touch "$t/fast-done"
  wait_exit "$slow" 60 || fail "the slow clients did not finish within 60 s"
  ((EXIT_STATUS == 0)) || fail "$(cat "$t/slow.err")"
}

# ------------------------------------------------------------- Redis as the oracle

# start_redis: a real redis-server on a free port (REDIS_PORT, REDIS_PID).
start_redis() {
  command -v redis-server >/dev/null || skip "redis-server is not installed"
  local try out=$BATS_TEST_TMPDIR/redis.out
  for try in 1 2 3; do
    REDIS_PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    start_bg "$out" "$BATS_TEST_TMPDIR/redis.err" redis-server --port "$REDIS_PORT" \
      --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$BATS_TEST_TMPDIR"
    REDIS_PID=$BG_PID
    wait_for_line "$out" 'Ready to accept connections' 10 "$REDIS_PID" 2>/dev/null && return 0
    stop_pid "$REDIS_PID"           # the port was taken meanwhile: another one
  done
  fail "redis-server did not start: $(tail -5 "$out")"
}

# bats test_tags=reliability
@test "reliability: every protocol case gives byte-identical replies from redis-server, the blocking server and the select server" {
  start_redis
  local groups group failed=""
  groups=$(sed -nE 's/^== group ([A-Za-z0-9_-]+).*/\1/p' "$CASES_FILE")
  [[ -n $groups ]] || fail "no groups in $CASES_FILE"
  for group in $groups; do
    SERVER_PORT=$REDIS_PORT run_cases "$group" --label "redis-server, group $group" --timeout 5 ||
      failed+=" redis-server:$group"
  done
  local bin
  for bin in "$KV_BLOCKING" "$KV_SELECT"; do
    SERVER_BIN=$bin
    start_kv
    for group in $groups; do
      run_cases "$group" --label "$(basename "$bin"), group $group" --timeout 5 ||
        failed+=" $(basename "$bin"):$group"
    done
    stop_kv_with INT 5
  done
  [[ -z $failed ]] || fail "cases whose replies differ from the recorded ones (which are Redis's):$failed
  a failure on redis-server means the case file no longer matches Redis $(redis-server --version | grep -o 'v=[0-9.]*')"
}

# bats test_tags=reliability
@test "reliability: redis-benchmark with pipelining and 200 clients: no errors, every request answered" {
  check_benchmark_default_tests -c 200 -r 1000
}

# Debian's python3-redis is installed for Debian's python3.
# bats test_tags=reliability
@test "reliability: Python's redis library (python3-redis): commands, binary values, a pipeline of 1000" {
  /usr/bin/python3 -c 'import redis' 2>/dev/null || skip "python3-redis is not installed"
  start_kv
  run timeout 60 /usr/bin/python3 - "$SERVER_PORT" "$SEED" <<'EOF'
import sys, redis
port, seed = int(sys.argv[1]), sys.argv[2]
r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
def check(what, got, want):
    if got != want:
        sys.exit(f"FAILED: {what}\n  expected: {want!r}\n  received: {got!r}")
check("PING", r.ping(), True)
check("SET", r.set(f"py:{seed}", "v"), True)
check("GET", r.get(f"py:{seed}"), b"v")
blob = bytes(range(256)) * 4
check("SET binary", r.set(b"py:bin\x00\r\n", blob), True)
check("GET binary", r.get(b"py:bin\x00\r\n"), blob)
check("EXISTS", r.exists(f"py:{seed}", "py:nope"), 1)
check("DEL", r.delete(f"py:{seed}", "py:nope"), 1)
check("GET deleted", r.get(f"py:{seed}"), None)
p = r.pipeline(transaction=False)
for i in range(1000):
    p.set(f"pl:{seed}:{i}", i)
for i in range(1000):
    p.get(f"pl:{seed}:{i}")
res = p.execute()
check("pipeline SET replies", res[:1000], [True] * 1000)
check("pipeline GET replies", res[1000:], [str(i).encode() for i in range(1000)])
check("KEYS", sorted(r.keys(f"pl:{seed}:99*")), sorted(f"pl:{seed}:{k}".encode() for k in [99] + list(range(990, 1000))))
check("DBSIZE", r.dbsize(), 1001)
try:
    r.execute_command("GET")
    sys.exit("FAILED: GET without a key must be an error")
except redis.ResponseError as e:
    check("error text", str(e), "wrong number of arguments for 'get' command")
print("python3-redis: all checks passed")
EOF
  ((status == 0)) || fail "$output"
}
