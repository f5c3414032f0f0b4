# Helpers for the server suites (blocking.bats, select.bats), on top of
# common.bash.  Usage, at the top of a .bats file:
#     load helpers/common
#     load helpers/server
#     SERVER_BIN=$KV_BLOCKING          # or $KV_SELECT
#     teardown() { kill_started; }
#
# Every client call is bounded by `timeout`; bats' BATS_TEST_TIMEOUT does not
# stop a command started with `run` in bats 1.8.2.  Failure messages come
# from resp.py (sent / expected / received, escapes visible, a hint).

CASES_FILE="$BATS_TEST_DIRNAME/protocol_cases.txt"
PYTHON=${PYTHON:-python3}

# One seed per test file run, printed in every failure, for reproducibility:
#   SEED=1234 bats tests/select.bats
SEED=${SEED:-$RANDOM$RANDOM}

# resp [ARGS...]: resp.py against the test's server, bounded in time.
# RESP_LIMIT (seconds) bounds the whole call, default 30.
resp() {
  local rc=0 limit=${RESP_LIMIT:-30}
  timeout -k 2 "$limit" "$PYTHON" "$RESP" "$SERVER_PORT" "$@" || rc=$?
  if ((rc == 124 || rc == 137)); then
    echo "resp.py $* : did not finish within $limit s, killed (the server stopped answering?)" >&2
  fi
  return "$rc"
}

# exchange SEND EXPECT [RESP_ARGS...]: one request (C escapes), its exact reply.
exchange() {
  local send=$1 expect=$2
  shift 2
  resp --send "$send" --expect "$expect" "$@"
}

# run_cases GROUP [RESP_ARGS...]: every case of GROUP in protocol_cases.txt.
run_cases() {
  local group=$1
  shift
  resp --cases "$CASES_FILE" --group "$group" --seed "$SEED" "$@"
}

# start_kv [ARGS...]: start_server "$SERVER_BIN" ARGS, and say so if it fails.
start_kv() {
  start_server "$SERVER_BIN" "$@"
}

# stop_kv_with SIGNAL SECONDS: send SIGNAL to the server, require it to exit
# within SECONDS with status 0.  Sets EXIT_STATUS.
stop_kv_with() {
  local sig=$1 secs=$2
  kill -"$sig" "$SERVER_PID"
  if ! wait_exit "$SERVER_PID" "$secs"; then
    fail "the server was still running ${secs} s after SIG$sig
  hint: the handler must only set a flag (volatile sig_atomic_t); the blocked call
  (accept/read/select) must be interrupted (no SA_RESTART) or use pselect, and the
  loop must test the flag
--- its stdout:
$(cat "$SERVER_OUT")
--- its stderr:
$(tail -20 "$SERVER_ERR")"
  fi
  if ((EXIT_STATUS != 0)); then
    local why="exit status $EXIT_STATUS"
    ((EXIT_STATUS > 128)) && why+=" (killed by signal $((EXIT_STATUS - 128)): $(kill -l $((EXIT_STATUS - 128)) 2>/dev/null))"
    fail "after SIG$sig the server must exit with status 0; got $why
--- its stdout:
$(cat "$SERVER_OUT")
--- its stderr:
$(tail -20 "$SERVER_ERR")"
  fi
}

# restart_server [ARGS...]: SIGINT the running server (it must exit 0), then
# start it again with the same store file and ARGS.
restart_server() {
  stop_kv_with INT 5
  start_kv -d "$SERVER_STORE" "$@"
}

# server_alive: fail with the server's stderr if it is no longer running.
server_alive() {
  is_running "$SERVER_PID" && return 0
  local st=0
  wait "$SERVER_PID" 2>/dev/null || st=$?
  local why="exit status $st"
  ((st > 128)) && why="killed by signal $((st - 128)) ($(kill -l $((st - 128)) 2>/dev/null))"
  fail "the server is no longer running ($why)
  hint: SIGPIPE must be ignored (a write to a closed connection then fails with EPIPE
  instead of killing the process); a failed read/write ends that client, not the server
--- its stderr:
$(tail -20 "$SERVER_ERR")"
}

# rss_kb PID: resident set size in KiB (VmRSS).
rss_kb() {
  awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null
}

# open_fds PID: how many descriptors PID has open.
open_fds() {
  ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# start_client NAME RESP_ARGS...: resp.py in the background (stdout in
# $BATS_TEST_TMPDIR/NAME.out, stderr in NAME.err); sets CLIENT_PID.
# With --hold among the args, waits until it prints "holding".
start_client() {
  local name=$1
  shift
  start_bg "$BATS_TEST_TMPDIR/$name.out" "$BATS_TEST_TMPDIR/$name.err" \
    timeout -k 2 "${CLIENT_LIMIT:-120}" "$PYTHON" "$RESP" "$SERVER_PORT" "$@"
  CLIENT_PID=$BG_PID
  if [[ " $* " == *" --hold "* ]]; then
    wait_for_line "$BATS_TEST_TMPDIR/$name.out" '^holding$' 10 "$CLIENT_PID" || {
      fail "client '$name' ($*) did not get to its holding point
--- its stderr:
$(cat "$BATS_TEST_TMPDIR/$name.err")"
    }
  fi
}

# client_result NAME PID SECONDS: wait for a background client; fail with its
# output unless it exits 0.
client_result() {
  local name=$1 pid=$2 secs=$3
  if ! wait_exit "$pid" "$secs"; then
    fail "client '$name' did not finish within $secs s
--- its stdout:
$(cat "$BATS_TEST_TMPDIR/$name.out")
--- its stderr:
$(cat "$BATS_TEST_TMPDIR/$name.err")"
  fi
  if ((EXIT_STATUS != 0)); then
    fail "client '$name' failed (exit status $EXIT_STATUS):
$(cat "$BATS_TEST_TMPDIR/$name.err")
$(cat "$BATS_TEST_TMPDIR/$name.out")"
  fi
}

# ------------------------------------------------------------------ valgrind

VALGRIND_OPTS=(--leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all
  --track-fds=yes --error-exitcode=99)

# run_under_valgrind [ARGS...]: start $SERVER_BIN under valgrind (memcheck),
# port 0, store in the test's directory; 30 s for the ready line (valgrind
# is slow to start).  Sets SERVER_PID, SERVER_PORT, SERVER_OUT, SERVER_ERR,
# SERVER_STORE and VG_LOG.  Descriptors other than 0, 1, 2 are closed first,
# so only the server's own show up in valgrind's list.
run_under_valgrind() {
  command -v valgrind >/dev/null || skip "valgrind is not installed"
  [[ -x $SERVER_BIN ]] || fail "server binary not built: $SERVER_BIN (run make)"
  skip_if_asan "$SERVER_BIN"
  SERVER_STORE=${SERVER_STORE:-$BATS_TEST_TMPDIR/store.aof}
  SERVER_OUT=$BATS_TEST_TMPDIR/server.out
  SERVER_ERR=$BATS_TEST_TMPDIR/server.err
  VG_LOG=$BATS_TEST_TMPDIR/valgrind.log
  start_bg "$SERVER_OUT" "$SERVER_ERR" bash -c '
    for fd in /proc/self/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
    exec "$@"' valgrind valgrind "${VALGRIND_OPTS[@]}" --log-file="$VG_LOG" \
    "$SERVER_BIN" -p 0 -d "$SERVER_STORE" "$@"
  SERVER_PID=$BG_PID
  wait_for_line "$SERVER_OUT" '^listening on .*:[0-9]+$' 30 "$SERVER_PID" || {
    fail "the server under valgrind never printed its ready line within 30 s
--- its stderr:
$(tail -20 "$SERVER_ERR")
--- valgrind's log:
$(tail -40 "$VG_LOG" 2>/dev/null)"
  }
  SERVER_PORT=$(sed -nE 's/^listening on .*:([0-9]+)$/\1/p' "$SERVER_OUT" | head -1)
}

# check_valgrind_log [LOG]: no memory errors, no leak of any kind (still
# reachable included), no descriptor open at exit but 0, 1, 2 (descriptors
# inherited from the parent are not the server's fault and are ignored).
check_valgrind_log() {
  local log=${1:-$VG_LOG} problems=""
  [[ -s $log ]] || fail "valgrind's log $log is missing or empty"
  local errors
  errors=$(sed -nE 's/.*ERROR SUMMARY: ([0-9]+) errors.*/\1/p' "$log" | tail -1)
  [[ -n $errors ]] || problems+="- valgrind's log has no ERROR SUMMARY (did the server exit normally, or was it killed?)"$'\n'
  [[ -n $errors && $errors != 0 ]] && problems+="- $errors error(s) (invalid reads/writes, uninitialised values, leaks: see below)"$'\n'
  if ! grep -q 'All heap blocks were freed -- no leaks are possible' "$log"; then
    local kind n
    for kind in "definitely lost" "indirectly lost" "possibly lost" "still reachable"; do
      n=$(sed -nE "s/.*$kind: ([0-9,]+) bytes.*/\1/p" "$log" | tail -1)
      [[ -n $n && $n != 0 ]] && problems+="- $kind: $n bytes (every malloc'ed block must be freed before exit: FDStates, buffers, the store)"$'\n'
    done
  fi
  # Descriptor blocks: "Open file descriptor N: ..." / "Open AF_INET socket N: ...",
  # followed by a stack (the server opened it) or "<inherited from parent>".
  local leaked
  leaked=$(awk '
    function flush() { if (desc != "" && !inherited) print desc }
    /Open (file descriptor|AF_[A-Z0-9]+ socket) [0-9]+/ {
      flush(); desc = substr($0, index($0, "Open ")); inherited = 0; next
    }
    /<inherited from parent>/ { inherited = 1 }
    END { flush() }' "$log" | grep -vE '^Open file descriptor [012]:' || true)
  [[ -n $leaked ]] && problems+="- descriptors still open at exit (close every client, the listening socket and the store file):"$'\n'"$(sed 's/^/    /' <<<"$leaked")"$'\n'
  [[ -z $problems ]] && return 0
  fail "valgrind found problems:
$problems--- valgrind's log (${log}):
$(grep -vE '^==[0-9]+== *$' "$log" | sed -E 's/^==[0-9]+== //' | head -120)"
}

# eventually SECONDS CMD [ARGS...]: retry CMD silently until it succeeds
# (bounded); if it never does, run it once more with its messages shown.
eventually() {
  local secs=$1
  shift
  wait_until "$secs" "$@" >/dev/null 2>&1 && return 0
  "$@"
}

# ==================================================================
# Test bodies shared by blocking.bats and select.bats.  Each @test in those
# files is a one-line call to one of these, so both stages are graded on
# exactly the same checks.
# ==================================================================

check_ready_line() {
  start_kv
  local line
  line=$(head -1 "$SERVER_OUT")
  [[ $line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] ||
    fail "the first line on stdout must be exactly 'listening on 127.0.0.1:PORT'
  got: $(printf %q "$line")"
  ((BASH_REMATCH[1] > 0)) ||
    fail "with -p 0 the ready line must give the port the kernel chose (getsockname), not 0"
  exchange 'PING\r\n' '+PONG\r\n' --label "first PING after the ready line"
}

# check_cases GROUP [RESP_ARGS...]
check_cases() {
  start_kv
  run_cases "$@"
}

# Requests in pieces: every group, one byte per write() (TCP_NODELAY, a
# pause between bytes), so the server gets them over many read() calls.
check_one_byte_writes() {
  start_kv
  local g
  for g in ping-echo strings pipeline protocol-errors; do
    run_cases "$g" --chunk 1 --chunk-delay 0.0005
  done
  # And a long argument cut at every length: 3000 bytes, 7 bytes a write.
  local v k="split$SEED"
  v=$(head -c 3000 /dev/zero | tr '\0' 'v')
  resp --chunk 7 --chunk-delay 0.0005 --send "*3\r\n\$3\r\nSET\r\n\$${#k}\r\n$k\r\n\$3000\r\n$v\r\nGET $k\r\n" \
    --expect "+OK\r\n\$3000\r\n$v\r\n" --label "a 3000-byte SET in 7-byte pieces"
}

check_binary_client() {
  [[ -x $CLIENT_PY ]] || skip "client.py is not there yet: $CLIENT_PY"
  start_kv
  local value=$BATS_TEST_TMPDIR/value expect=$BATS_TEST_TMPDIR/expect got=$BATS_TEST_TMPDIR/got
  local key="bin:$SEED"
  # All 256 byte values, NUL, CR and LF included, twice.
  "$PYTHON" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 2)' >"$value"
  run --separate-stderr timeout -k 2 10 "$CLIENT_PY" -p "$SERVER_PORT" -x SET "$key" <"$value"
  [[ $status -eq 0 && $output == OK ]] ||
    fail "client.py -p PORT -x SET $key < (512 binary bytes): expected OK, got status $status, output $(printf %q "$output"), stderr $stderr"
  { printf '$512\r\n'; cat "$value"; printf '\r\n'; } >"$expect"
  resp --send "GET $key\r\n" --expect-file "$expect" --label "GET of a 512-byte binary value set with client.py -x"
  timeout -k 2 10 "$CLIENT_PY" -p "$SERVER_PORT" --raw GET "$key" >"$got" ||
    fail "client.py --raw GET $key failed"
  { cat "$value"; printf '\n'; } >"$expect"
  cmp -s "$got" "$expect" ||
    fail "client.py --raw GET $key: the 512 bytes did not come back intact (cmp: $(cmp "$got" "$expect" 2>&1))"
}

# check_persistence [SERVER_ARGS...]: what was written is there after SIGINT
# and a restart with the same -d file (a DEL too; binary values too).
check_persistence() {
  start_kv "$@"
  local k="p$SEED" v="value-$RANDOM-$RANDOM"
  resp --send "SET ${k}a $v\r\nSET ${k}b gone\r\nDEL ${k}b\r\nINCR ${k}c\r\nINCR ${k}c\r\n*3\r\n\$3\r\nSET\r\n\$${#k}\r\n${k}\r\n\$5\r\na\r\n\0b\r\nSET ${k}a2 first\r\nSET ${k}a2 second\r\n" \
    --expect '+OK\r\n+OK\r\n:1\r\n:1\r\n:2\r\n+OK\r\n+OK\r\n+OK\r\n' --label "writes before the restart"
  restart_server "$@"
  resp --send "GET ${k}a\r\nGET ${k}b\r\nGET ${k}c\r\nGET ${k}\r\nGET ${k}a2\r\nDBSIZE\r\n" \
    --expect "\$${#v}\r\n$v\r\n\$-1\r\n\$1\r\n2\r\n\$5\r\na\r\n\0b\r\n\$6\r\nsecond\r\n:4\r\n" \
    --label "reads after SIGINT and a restart with the same store file (-d)"
  # And once more: a store that was loaded, appended to, and loaded again.
  resp --send "SET ${k}d after\r\n" --expect '+OK\r\n'
  restart_server "$@"
  resp --send "GET ${k}a\r\nGET ${k}d\r\nDBSIZE\r\n" --expect "\$${#v}\r\n$v\r\n\$5\r\nafter\r\n:5\r\n" \
    --label "reads after a second restart"
}

# With --fsync always, a SET is in the store file as soon as +OK is sent (no
# shutdown needed), and survives SIGKILL.
check_fsync_always_durable() {
  start_kv --fsync always
  local k="d$SEED" v="durable-$RANDOM-$RANDOM-$RANDOM"
  exchange "SET $k $v\r\n" '+OK\r\n'
  [[ -s $SERVER_STORE ]] || fail "the store file $SERVER_STORE is missing or empty right after +OK (--fsync always)"
  grep -qF -- "$v" "$SERVER_STORE" ||
    fail "the value of an acknowledged SET is not in the store file $SERVER_STORE right after +OK (--fsync always)
  hint: with --fsync always, write the change to the file and fsync() it before sending +OK"
  kill -KILL "$SERVER_PID"
  wait_exit "$SERVER_PID" 5 || true
  start_kv -d "$SERVER_STORE" --fsync always
  exchange "GET $k\r\n" "\$${#v}\r\n$v\r\n" --label "GET after kill -9 and a restart"
}

# check_sigint_idle SECONDS: SIGINT with no client: exit 0 within SECONDS,
# "shutting down" on stdout.
check_sigint_idle() {
  start_kv
  exchange 'PING\r\n' '+PONG\r\n'
  stop_kv_with INT "$1"
  grep -q '^shutting down' "$SERVER_OUT" ||
    fail "after SIGINT the server must print a line starting with 'shutting down' on stdout; stdout was:
$(cat "$SERVER_OUT")"
}

check_sigterm() {
  start_kv
  exchange 'PING\r\n' '+PONG\r\n'
  stop_kv_with TERM "$1"
  grep -q '^shutting down' "$SERVER_OUT" ||
    fail "after SIGTERM the server must print a line starting with 'shutting down'; stdout was:
$(cat "$SERVER_OUT")"
}

# check_sigint_client SECONDS: SIGINT while a client is connected (served,
# then idle): exit 0 within SECONDS.
check_sigint_client() {
  start_kv
  start_client c1 --send 'PING\r\n' --expect '+PONG\r\n' --hold
  stop_kv_with INT "$1"
  grep -q '^shutting down' "$SERVER_OUT" ||
    fail "after SIGINT the server must print 'shutting down'; stdout was:
$(cat "$SERVER_OUT")"
}

# A client that goes away in the middle of a 4 MiB reply must not take the
# server with it (SIGPIPE ignored, EPIPE/ECONNRESET end that client only).
check_disconnect_mid_reply() {
  start_kv
  local key="big$SEED"
  RESP_LIMIT=60 resp --bigvalue 4194304 --key "$key" --timeout 20 >/dev/null
  local i
  for i in 1 2 3; do
    # Close at once, before the reply comes (FIN: the server's write meets a
    # closed peer, EPIPE + SIGPIPE).
    resp --send "GET $key\r\n"
    # Read the first bytes, then reset the connection in the middle.
    resp --send "GET $key\r\n" --read 1 --reset
  done
  resp --send "GET $key\r\n" --read 1     # closes with the reply unread
  exchange 'PING\r\n' '+PONG\r\n' --timeout 10 --label "PING from a new client after 7 clients left in the middle of a 4 MiB reply"
  server_alive
}

# Connections opened and closed one after another: a server that leaks a
# descriptor (or its FDState) per connection runs out.
check_connect_loop() {
  start_kv
  RESP_LIMIT=60 resp --connect-loop "$1"
  server_alive
}

check_usage_errors() {
  local bin=$SERVER_BIN tmp=$BATS_TEST_TMPDIR
  [[ -x $bin ]] || fail "server binary not built: $bin (run make)"
  run --separate-stderr timeout -k 2 5 "$bin" -p 0 -d "$tmp/s.aof" --no-such-option
  [[ $status -eq 2 ]] || fail "an unknown option must exit with status 2 (usage); got $status
  ran: $bin -p 0 -d FILE --no-such-option
  stdout: $output
  stderr: $stderr"
  [[ -n $stderr ]] || fail "an unknown option must print a usage message on stderr; stderr was empty"
  run --separate-stderr timeout -k 2 5 "$bin" -d "$tmp/s.aof" -p
  [[ $status -eq 2 ]] || fail "an option without its value (-p at the end) must exit with status 2; got $status
  stderr: $stderr"
  run --separate-stderr timeout -k 2 5 "$bin" -h
  [[ $status -eq 0 && $output == *-p* && $output == *--fsync* ]] ||
    fail "-h must print the usage (naming -p and --fsync) on stdout and exit 0; got status $status
  stdout: $output"
}

check_bad_values() {
  local bin=$SERVER_BIN tmp=$BATS_TEST_TMPDIR args
  [[ -x $bin ]] || fail "server binary not built: $bin (run make)"
  for args in "--fsync sometimes" "-p notaport" "-p 70000" "$@"; do
    # shellcheck disable=SC2086
    run --separate-stderr timeout -k 2 5 "$bin" -d "$tmp/s.aof" -p 0 $args
    [[ $status -eq 1 ]] || fail "a bad option value ($args) must exit with status 1; got $status
  stdout: $output
  stderr: $stderr"
    local n
    n=$(printf '%s\n' "$stderr" | grep -c . || true)
    [[ $n -eq 1 ]] || fail "a bad option value ($args) must print exactly one line on stderr; got $n:
$stderr"
  done
}

check_port_in_use() {
  start_kv
  run --separate-stderr timeout -k 2 5 "$SERVER_BIN" -p "$SERVER_PORT" -d "$BATS_TEST_TMPDIR/other.aof"
  [[ $status -eq 1 ]] || fail "a second server on the same port must exit with status 1; got $status
  stdout: $output
  stderr: $stderr"
  [[ $(printf '%s\n' "$stderr" | grep -c .) -eq 1 && ${stderr,,} == *"in use"* ]] ||
    fail "expected one line on stderr saying the address is in use (strerror(EADDRINUSE)); got:
$stderr"
  exchange 'PING\r\n' '+PONG\r\n' --label "the first server still works"
}

check_unusable_store() {
  local bin=$SERVER_BIN tmp=$BATS_TEST_TMPDIR
  [[ -x $bin ]] || fail "server binary not built: $bin (run make)"
  local store
  for store in "$tmp" "$tmp/no/such/dir/store.aof"; do
    run --separate-stderr timeout -k 2 5 "$bin" -p 0 -d "$store"
    [[ $status -eq 1 ]] || fail "a store file that cannot be opened (-d $store) must make the server exit with status 1; got $status
  stdout: $output
  stderr: $stderr"
    [[ $(printf '%s\n' "$stderr" | grep -c .) -eq 1 ]] ||
      fail "-d $store: expected one line on stderr, got:
$stderr"
    [[ $output != *listening* ]] || fail "-d $store: the server must not start listening with a store it cannot use"
  done
}

# ------------------------------------------------------------------ stage 2 only

# check_max_clients N: with --max-clients N, N+3 clients at once: exactly N
# served, the others get the error and are closed; the N still served; once
# they leave, a new client is served again.
check_max_clients() {
  local n=$1
  start_kv --max-clients "$n"
  resp --many $((n + 3)) --expect-served "$n"
  # The slots are free again once the server has seen them close.
  eventually 5 exchange 'PING\r\n' '+PONG\r\n' --label "a new client once the others have left"
}

# A client that never reads its replies (a pipeline of GETs of a 1 MiB value)
# must neither make the server's memory grow without bound nor stall others.
check_never_reading_client() {
  start_kv
  local key="flood$SEED" out=$BATS_TEST_TMPDIR/flood.out
  CLIENT_LIMIT=60 start_client flood --flood "$key" --flood-size 1048576 --hold-max 50
  local flood=$CLIENT_PID
  # It sends until the kernel buffers are full (that is the server's back-pressure).
  wait_until 10 eval "[[ \$(sed -nE 's/^sent ([0-9]+) requests/\1/p' $out | tail -1) -ge 5000 ]]" ||
    fail "the flooding client could not send 5000 requests within 10 s
$(tail -3 "$out"; cat "$BATS_TEST_TMPDIR/flood.err")"
  # Another client is served while the flood goes on, promptly.
  resp --timeout 3 --label "a second client while another one never reads its replies" \
    --send "PING\r\nSET other$SEED x\r\nGET other$SEED\r\n" --expect '+PONG\r\n+OK\r\n$1\r\nx\r\n'
  # Sample the server's resident memory for 2 s (a bounded polling loop).
  local i rss max=0
  for ((i = 0; i < 10; i++)); do
    rss=$(rss_kb "$SERVER_PID")
    [[ -n $rss ]] || server_alive
    ((rss > max)) && max=$rss
    ((max < 200 * 1024)) || break
    sleep 0.2
  done
  local sent
  sent=$(sed -nE 's/^sent ([0-9]+) requests/\1/p' "$out" | tail -1)
  ((max < 200 * 1024)) || fail "the server's resident memory reached $((max / 1024)) MiB (limit 200 MiB)
  while one client, which never reads, had sent $sent requests for a 1 MiB value
  (that is $sent MiB of replies).
  hint: stop reading a client's requests while its output buffer is large
  (do not FD_SET it for reading); read again once the replies have drained"
  stop_pid "$flood"
  server_alive
  exchange 'PING\r\n' '+PONG\r\n' --label "PING after the flooding client left"
}

# The shutdown summary: 'shutting down: N connections, M requests, K keys'.
check_shutdown_summary() {
  start_kv
  local k="s$SEED"
  resp --send "SET ${k}1 a\r\nSET ${k}2 b\r\n" --expect '+OK\r\n+OK\r\n'
  resp --send "GET ${k}1\r\nDEL ${k}2\r\n" --expect '$1\r\na\r\n:1\r\n'
  start_client idle --send 'PING\r\n' --expect '+PONG\r\n' --hold
  stop_kv_with INT 1
  local line
  line=$(grep '^shutting down' "$SERVER_OUT" | head -1)
  [[ $line == "shutting down: 3 connections, 5 requests, 1 keys" ]] ||
    fail "after 3 connections, 5 requests (SET SET GET DEL PING) leaving 1 key, SIGINT must print
  expected: 'shutting down: 3 connections, 5 requests, 1 keys'
  got:      $(printf %q "$line")
--- whole stdout:
$(cat "$SERVER_OUT")"
}

# check_handlers_safe DIR...: the signal handlers in these source directories
# (of the tree under test, or of this tree when BIN_ROOT holds no sources, as
# in a sanitized build) call only async-signal-safe functions.  A printf in a
# handler works a thousand times, then deadlocks: no run shows it, the source
# does (tests/helpers/handler_check.py).
check_handlers_safe() {
  local dirs=() d
  for d in "$@"; do
    if compgen -G "$BIN_ROOT/$d/*.c" >/dev/null; then
      dirs+=("$BIN_ROOT/$d")
    else
      dirs+=("$ROOT/$d")
    fi
  done
  run timeout 30 "$PYTHON" "$ROOT/tests/helpers/handler_check.py" "${dirs[@]}"
  ((status == 0)) || fail "tests/helpers/handler_check.py ${dirs[*]}: exit status $status
$output
hint: a handler may only set a volatile sig_atomic_t flag (or write() to a
self-pipe); do the work in the main loop (handout: Signals, async-signal safety)."
}

# limited_server ULIMIT_OPTIONS: from now on, SERVER_BIN runs the server
# under these ulimit options (e.g. "-n 32"), through a small wrapper script.
limited_server() {
  local script=$BATS_TEST_TMPDIR/limited-server
  printf '#!/usr/bin/env bash\nulimit %s || exit 99\nexec %q "$@"\n' "$1" "$SERVER_BIN" >"$script"
  chmod +x "$script"
  SERVER_BIN=$script
}

# cpu_ticks PID: user + system CPU time of PID, in clock ticks.
cpu_ticks() {
  awk '{print $14 + $15}' "/proc/$1/stat"
}
