#!/usr/bin/env bats
# The client matrix: the clients people actually use, against the select
# server (and the scripts against a real redis-server, to show the scripts
# themselves are right).  Each client connects as it does by default, sends
# a pipeline of 1000, SCANs 10,000 keys and uses expiry:
#
#   redis-cli        commands, --scan, --pipe, --bigkeys
#   redis-benchmark  its default tests that use supported commands
#   python3-redis    Debian's (/usr/bin/python3)
#   ioredis          from the npm registry (IOREDIS_VERSION), ready check = INFO
#   node-redis       package "redis" (NODE_REDIS_VERSION), HELLO 3 = RESP3
#
# Plus what only a running server shows about expiry: active expiry (keys
# nobody reads go away), and absolute times in the store file (a restart
# neither revives nor extends), and the store's own SCAN and expiry
# scenarios (store_test).
#
# The npm packages are installed into build/node_modules by setup_file
# (never into the repository); without node, npm or the registry, those
# tests are skipped and say why.  Not graded (no points): make test runs it.
# bats file_tags=clients

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/server

SERVER_BIN=$KV_SELECT
IOREDIS_VERSION=${IOREDIS_VERSION:-6.0.0}
NODE_REDIS_VERSION=${NODE_REDIS_VERSION:-6.3.1}
NPM_PREFIX="$ROOT/build"
NODE_MODULES="$NPM_PREFIX/node_modules"
CLIENTS="$BATS_TEST_DIRNAME/helpers/clients"
STORE_TEST="$BUILD_ROOT/tests/store_test"
: "${BATS_TEST_TIMEOUT:=120}"   # a backstop only: every call has its own timeout

# installed_version PACKAGE: the version under build/node_modules, or "".
installed_version() {
  node -e "try { console.log(require('$NODE_MODULES/$1/package.json').version) } catch (e) {}" 2>/dev/null
}

# The npm packages, once per run of this file.  Why they are missing, if
# they are, goes to $BATS_FILE_TMPDIR/npm-missing for the tests to skip with.
setup_file() {
  local why="$BATS_FILE_TMPDIR/npm-missing"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node or npm is not installed (Debian 12: apt-get install nodejs npm)" >"$why"
    return 0
  fi
  if [[ $(installed_version ioredis) == "$IOREDIS_VERSION" &&
        $(installed_version redis) == "$NODE_REDIS_VERSION" ]]; then
    return 0
  fi
  mkdir -p "$NPM_PREFIX"
  if ! timeout 300 npm install --prefix "$NPM_PREFIX" --no-save --no-audit --no-fund \
       "ioredis@$IOREDIS_VERSION" "redis@$NODE_REDIS_VERSION" \
       >"$BATS_FILE_TMPDIR/npm.log" 2>&1 3>&-; then
    echo "npm install ioredis@$IOREDIS_VERSION redis@$NODE_REDIS_VERSION failed (no registry?): $(tail -3 "$BATS_FILE_TMPDIR/npm.log")" >"$why"
  fi
}

teardown() { kill_started; }

skip_without_npm_packages() {
  [[ ! -s $BATS_FILE_TMPDIR/npm-missing ]] || skip "$(cat "$BATS_FILE_TMPDIR/npm-missing")"
}

# start_redis: a real redis-server on a free port (REDIS_PORT), for the
# sanity checks of the scripts.
start_redis() {
  command -v redis-server >/dev/null || skip "redis-server is not installed"
  local try out=$BATS_TEST_TMPDIR/redis.out
  for try in 1 2 3; do
    REDIS_PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    start_bg "$out" "$BATS_TEST_TMPDIR/redis.err" redis-server --port "$REDIS_PORT" \
      --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir "$BATS_TEST_TMPDIR"
    wait_for_line "$out" 'Ready to accept connections' 10 "$BG_PID" 2>/dev/null && return 0
    stop_pid "$BG_PID"
  done
  fail "redis-server did not start: $(tail -5 "$out")"
}

# run_client NAME PORT: one of the client scripts; fails with its message.
run_client() {
  local name=$1 port=$2 prefix="t$SEED:"
  case $name in
    ioredis)    run timeout 90 env NODE_PATH="$NODE_MODULES" node "$CLIENTS/ioredis_check.js" "$port" "$prefix" ;;
    node-redis) run timeout 90 env NODE_PATH="$NODE_MODULES" node "$CLIENTS/node_redis_check.js" "$port" "$prefix" ;;
    redis-py)   run timeout 90 /usr/bin/python3 "$CLIENTS/redis_py_check.py" "$port" "$prefix" ;;
  esac
  ((status == 0)) || fail "$name against port $port (seed $SEED): exit status $status
$output
  hint: run the script by hand against the server with -v to see each request"
}

# ------------------------------------------------------------------ redis-cli

# bats test_tags=clients
@test "clients: redis-cli: commands, TTL, --scan over 10,000 keys, --pipe of 10,000, --bigkeys" {
  command -v redis-cli >/dev/null || skip "redis-cli is not installed"
  start_kv
  run timeout 10 redis-cli -p "$SERVER_PORT" SET "k$SEED" v EX 100
  assert_output "OK"
  run timeout 10 redis-cli -p "$SERVER_PORT" TTL "k$SEED"
  assert_output "100"
  run timeout 10 redis-cli -p "$SERVER_PORT" TYPE "k$SEED"
  assert_output "string"
  run timeout 10 redis-cli -p "$SERVER_PORT" DEL "k$SEED"
  assert_output "1"
  # --pipe: 10,000 SETs as raw protocol; redis-cli ends with an ECHO marker.
  run bash -c "'$PYTHON' -c '
import sys
for i in range(10000):
    k = b\"s%d\" % i
    sys.stdout.buffer.write(b\"*3\\r\\n\$3\\r\\nSET\\r\\n\$%d\\r\\n%s\\r\\n\$%d\\r\\n%s\\r\\n\" % (len(k), k, len(k), k))
' | timeout 30 redis-cli -p $SERVER_PORT --pipe"
  ((status == 0)) || fail "redis-cli --pipe: exit status $status
$output"
  assert_output --partial "errors: 0, replies: 10000"
  run timeout 30 redis-cli -p "$SERVER_PORT" --scan --pattern 's*'
  ((status == 0)) || fail "redis-cli --scan: exit status $status: $output"
  local distinct
  distinct=$(sort -u <<<"$output" | grep -c .)
  ((distinct == 10000)) || fail "redis-cli --scan --pattern 's*' returned $distinct distinct keys, expected 10000
  hint: SCAN must return every key present for the whole scan at least once (the reverse-binary cursor)"
  run timeout 60 redis-cli -p "$SERVER_PORT" --bigkeys
  ((status == 0)) || fail "redis-cli --bigkeys: exit status $status
$output"
  assert_output --partial "Sampled 10000 keys in the keyspace"
  assert_output --partial "10000 strings with"
}

# bats test_tags=clients
@test "clients: redis-benchmark's default tests with supported commands (PING, SET, GET, INCR, MSET), pipelined" {
  check_benchmark_default_tests
}

# ------------------------------------------------------------------ libraries

# bats test_tags=clients
@test "clients: python3-redis (Debian): connect, pipeline of 1000, SCAN over 10,000 keys, expiry" {
  /usr/bin/python3 -c 'import redis' 2>/dev/null || skip "python3-redis is not installed (apt-get install python3-redis)"
  start_kv
  run_client redis-py "$SERVER_PORT"
}

# bats test_tags=clients
@test "clients: ioredis (npm): connect (INFO ready check), pipeline of 1000, SCAN over 10,000 keys, expiry" {
  skip_without_npm_packages
  start_kv
  run_client ioredis "$SERVER_PORT"
}

# bats test_tags=clients
@test "clients: node-redis (npm package redis): connect with HELLO 3 (RESP3), pipeline of 1000, SCAN over 10,000 keys, expiry" {
  skip_without_npm_packages
  start_kv
  run_client node-redis "$SERVER_PORT"
}

# bats test_tags=clients
@test "clients: the client scripts pass against a real redis-server (the scripts are right)" {
  start_redis
  /usr/bin/python3 -c 'import redis' 2>/dev/null && run_client redis-py "$REDIS_PORT"
  if [[ ! -s $BATS_FILE_TMPDIR/npm-missing ]]; then
    run_client ioredis "$REDIS_PORT"
    run_client node-redis "$REDIS_PORT"
  fi
}

# ------------------------------------------------------------------ expiry in a running server

# dbsize_is N: the server's DBSIZE (expired keys count until removed) is N.
dbsize_is() {
  [[ $(timeout 5 redis-cli -p "$SERVER_PORT" DBSIZE 2>/dev/null) == "$1" ]]
}

# bats test_tags=clients
@test "clients: active expiry: 10,000 keys with PX 300 that nobody reads are removed within 3 s, the others stay" {
  start_kv
  "$PYTHON" - "$SERVER_PORT" <<'PY' || fail "could not load the keys"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
req = b"".join(b"SET e%d v PX 300\r\nSET p%d v\r\n" % (i, i) for i in range(10000))
s.sendall(req)
got = b""
while got.count(b"\r\n") < 20000:
    got += s.recv(1 << 20)
assert got == b"+OK\r\n" * 20000, got[:200]
PY
  command -v redis-cli >/dev/null || skip "redis-cli is not installed"
  local n
  wait_until 3 dbsize_is 10000 ||
    fail "DBSIZE is $(timeout 5 redis-cli -p "$SERVER_PORT" DBSIZE) 3 s after 10,000 keys expired (expected 10000: only the keys without a TTL)
  hint: expired keys must also be removed without being read: the event loop's timer
  (select's timeout = time of the next due task) runs a bounded expiry cycle"
  n=$(timeout 5 redis-cli -p "$SERVER_PORT" GET p9999)
  [[ $n == v ]] || fail "a key without a TTL is gone (GET p9999 = '$n')"
}

# bats test_tags=clients
@test "clients: expiry survives a restart as absolute times: neither revived nor extended, compaction keeps them" {
  command -v redis-cli >/dev/null || skip "redis-cli is not installed"
  start_kv
  local store=$SERVER_STORE cli=(timeout 10 redis-cli -p)
  "${cli[@]}" "$SERVER_PORT" SET short v PX 500 >/dev/null
  "${cli[@]}" "$SERVER_PORT" SET long v EX 1000 >/dev/null
  "${cli[@]}" "$SERVER_PORT" SET plain v >/dev/null
  "${cli[@]}" "$SERVER_PORT" SET gone v >/dev/null
  "${cli[@]}" "$SERVER_PORT" PEXPIRE gone 400 >/dev/null
  stop_kv_with INT 5                  # closing compacts: SET ... PXAT <ms>
  grep -qa PXAT "$store" || fail "the compacted store file has no PXAT record:
$(cat -v "$store")"
  sleep 1                             # let short and gone expire while down
  start_kv -d "$store"
  local ttl
  run "${cli[@]}" "$SERVER_PORT" EXISTS short gone plain
  assert_output "1"
  ttl=$("${cli[@]}" "$SERVER_PORT" TTL long)
  ((ttl >= 995 && ttl <= 999)) || fail "TTL of 'long' after a restart 1 s later: $ttl, expected 995..999 (not extended)"
}

# key_gone KEY: GET KEY answers nil.
key_gone() {
  resp --send "GET $1\r\n" --expect '$-1\r\n' >/dev/null 2>&1
}

# The blocking server has no timer (its loop blocks in accept/read), so it
# only expires on access; DBSIZE still counts an expired key nobody read.
# bats test_tags=clients
@test "clients: the blocking server expires lazily: an expired key is never returned" {
  SERVER_BIN=$KV_BLOCKING
  start_kv
  exchange 'SET k v PX 100\r\nSET p v\r\n' '+OK\r\n+OK\r\n'
  wait_until 3 key_gone k ||
    fail "GET k still answers a value 3 s after SET k v PX 100
  hint: every read must check the key's expiry (lazy expiry) and treat it as missing"
  exchange 'EXISTS k\r\nTTL k\r\nDBSIZE\r\n' ':0\r\n:-2\r\n:1\r\n'
}

# ------------------------------------------------------------------ the store's own scenarios

# bats test_tags=clients
@test "clients: store SCAN returns every key at least once, also while the table grows, shrinks and rehashes" {
  run timeout 20 "$STORE_TEST" scan "$BATS_TEST_TMPDIR/s.aof"
  ((status == 0)) || fail "store_test scan: $output"
}

# bats test_tags=clients
@test "clients: store expiry: lazy, EXPIRE/PERSIST records, replay and rewrite keep absolute times, active expiry" {
  run timeout 20 "$STORE_TEST" ttl "$BATS_TEST_TMPDIR/t.aof"
  ((status == 0)) || fail "store_test ttl: $output"
}

# bats test_tags=clients,valgrind
@test "clients: store SCAN and expiry under valgrind: no errors, no leaks" {
  skip_if_asan "$STORE_TEST"
  local what
  for what in scan ttl; do
    run timeout 120 valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=all \
      --errors-for-leak-kinds=all "$STORE_TEST" "$what" "$BATS_TEST_TMPDIR/$what.aof"
    ((status == 0)) || fail "store_test $what under valgrind: exit status $status
$output"
  done
}
