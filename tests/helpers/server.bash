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
  kill -"$1" "$SERVER_PID"
  check_stopped "$@"
}

# check_stopped SIGNAL SECONDS: the server, sent SIGNAL (named in messages),
# must exit within SECONDS with status 0.  Under valgrind (VG_LOG set), a
# failure shows valgrind's report, not only its exit status 99.
# HINT_STOP, if set, replaces the hint given when it does not stop.
check_stopped() {
  local sig=$1 secs=$2
  local hint=${HINT_STOP:-"the handler must only set a flag (volatile sig_atomic_t); the blocked call
  (accept/read/select) must be interrupted (no SA_RESTART) or use pselect, and the
  loop must test the flag"}
  if ! wait_exit "$SERVER_PID" "$secs"; then
    fail "the server was still running ${secs} s after SIG$sig
  hint: $hint
--- its stdout:
$(cat "$SERVER_OUT")
--- its stderr:
$(tail -20 "$SERVER_ERR")"
  fi
  ((EXIT_STATUS == 0)) && return 0
  if [[ -n ${VG_LOG:-} && -s $VG_LOG ]] && ((EXIT_STATUS == 99)); then
    echo "after SIG$sig the server under valgrind exited with status 99: valgrind found errors" >&2
    check_valgrind_log
  fi
  local why
  why=$(exit_status_text "$EXIT_STATUS")
  local more=""
  ((EXIT_STATUS == 130 || EXIT_STATUS == 143)) && more="
  hint: killed by the signal itself: its handler was not installed, or was reset to the
  default after the first signal (signal() gives one-shot SA_RESETHAND semantics under
  -std=c11: install the handler with sigaction, without SA_RESETHAND)"
  fail "after SIG$sig the server must exit with status 0; got $why$more
--- its stdout:
$(cat "$SERVER_OUT")
--- its stderr:
$(tail -20 "$SERVER_ERR")"
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
  fail "the server is no longer running ($(exit_status_text "$st"))
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
    exec "$@"' valgrind "$SANDBOX" valgrind "${VALGRIND_OPTS[@]}" --log-file="$VG_LOG" \
    "$SERVER_BIN" -p 0 -d "$SERVER_STORE" "$@"
  SERVER_PID=$BG_PID
  wait_for_line "$SERVER_OUT" '^listening on .*:[0-9]+$' 30 "$SERVER_PID" "$SERVER_ERR" || {
    fail "the server under valgrind did not print its ready line (see above)
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
  # A SET only: this tests what a vanished client does to the server, not
  # whether a 4 MiB reply is written whole (the partial-write tests do).
  RESP_LIMIT=60 resp --send-file "$(big_set_request "$key")" --expect '+OK\r\n' --timeout 20
  local i
  for i in 1 2 3; do
    # Close at once, before the reply comes (FIN: the server's write meets a
    # closed peer, EPIPE + SIGPIPE).
    resp --send "GET $key\r\n"
    # Read the first bytes, then reset the connection in the middle.
    resp --send "GET $key\r\n" --read 1 --reset
  done
  resp --send "GET $key\r\n" --read 1     # closes with the reply unread
  # The case that raises SIGPIPE for sure: the client says it sends no more
  # (FIN: the server's socket is in CLOSE_WAIT), leaves 32 MiB of replies
  # unread so that the server is blocked in (or between) writes, then resets.
  # A reset in CLOSE_WAIT makes the next write fail with EPIPE, and SIGPIPE.
  for i in 1 2; do
    resp --send-repeat 8 "GET $key\r\n" --half-close --read 1 --pause 0.3 --reset
    server_alive
  done
  exchange 'PING\r\n' '+PONG\r\n' --timeout 10 --label "PING from a new client after 9 clients left in the middle of a 4 MiB reply"
  server_alive
}

# Connections opened and closed one after another: a server that leaks a
# descriptor (or its FDState) per connection runs out.
check_connect_loop() {
  start_kv
  RESP_LIMIT=60 resp --connect-loop "$1"
  server_alive
}

# each_with_its_own_server CHECK...: runs each CHECK (a command line, in a
# string) with servers of its own: the ones the previous check started are
# stopped first, and each gets a store file of its own.  Several of stage 1's
# checks in one test.
each_with_its_own_server() {
  local check n=0
  for check in "$@"; do
    kill_started
    SERVER_STORE=$BATS_TEST_TMPDIR/store-$((n++)).aof
    eval "$check"
  done
}

check_usage_errors() {
  local bin=$SERVER_BIN tmp=$BATS_TEST_TMPDIR
  [[ -x $bin ]] || fail "server binary not built: $bin (run make)"
  run --separate-stderr capped timeout -k 2 5 "$SANDBOX" "$bin" -p 0 -d "$tmp/s.aof" --no-such-option
  [[ $status -eq 2 ]] || fail "an unknown option must exit with status 2 (usage); got $status
  ran: $bin -p 0 -d FILE --no-such-option
  stdout: $output
  stderr: $stderr"
  [[ -n $stderr ]] || fail "an unknown option must print a usage message on stderr; stderr was empty"
  run --separate-stderr capped timeout -k 2 5 "$SANDBOX" "$bin" -d "$tmp/s.aof" -p
  [[ $status -eq 2 ]] || fail "an option without its value (-p at the end) must exit with status 2; got $status
  stderr: $stderr"
  run --separate-stderr capped timeout -k 2 5 "$SANDBOX" "$bin" -h
  [[ $status -eq 0 && $output == *-p* && $output == *--fsync* ]] ||
    fail "-h must print the usage (naming -p and --fsync) on stdout and exit 0; got status $status
  stdout: $output"
}

check_bad_values() {
  local bin=$SERVER_BIN tmp=$BATS_TEST_TMPDIR args
  [[ -x $bin ]] || fail "server binary not built: $bin (run make)"
  for args in "--fsync sometimes" "-p notaport" "-p 70000" "$@"; do
    # shellcheck disable=SC2086
    run --separate-stderr capped timeout -k 2 5 "$SANDBOX" "$bin" -d "$tmp/s.aof" -p 0 $args
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
  run --separate-stderr capped timeout -k 2 5 "$SANDBOX" "$SERVER_BIN" -p "$SERVER_PORT" -d "$BATS_TEST_TMPDIR/other.aof"
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
    run --separate-stderr capped timeout -k 2 5 "$SANDBOX" "$bin" -p 0 -d "$store"
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

# check_emfile_no_spin: with 32 descriptors, most of 60 clients cannot be
# given one.  They must be refused (or wait), the server must not spin on
# accept() failing with EMFILE, and it must serve again once descriptors are
# free.
check_emfile_no_spin() {
  limited_server "-n 32"
  start_kv
  # --allow-waiting: a server may also leave the extra clients waiting in
  # the listen queue, as long as it does not spin.
  CLIENT_LIMIT=60 start_client many --many 60 --min-served 10 --max-served 30 --timeout 3 \
    --allow-waiting --hold
  local before after hz
  hz=$(getconf CLK_TCK)
  before=$(cpu_ticks "$SERVER_PID")
  # A measurement window, not a wait for a condition: how much CPU does the
  # server use in one second while its descriptor table is full?
  sleep 1
  after=$(cpu_ticks "$SERVER_PID")
  ((after - before <= hz / 5)) ||
    fail "with every descriptor in use and nothing to do, the server used $(((after - before) * 1000 / hz)) ms of CPU in 1 s
  hint: accept() failing with EMFILE leaves the client in the listen queue, so
  select() says the socket is readable again at once: keep a spare descriptor
  (close it, accept, refuse, reopen), or stop watching the listening socket
  until a connection closes"
  stop_pid "$CLIENT_PID"
  eventually 5 exchange 'PING\r\n' '+PONG\r\n' --label "a new client once the 60 have left"
  server_alive
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
    --send "PING\r\nSET other$SEED x\r\nGET other$SEED\r\n" --expect '+PONG\r\n+OK\r\n$1\r\nx\r\n' ||
    fail "a second client was not served while one client never reads its replies
  hint (this one, rather than resp.py's above): the server is most likely stuck in
  write() to the client that does not read: its socket is full and the accepted
  socket is blocking.  Set O_NONBLOCK on every accepted socket (accept() does not
  pass it on from the listening socket), keep what write() could not send, and
  stop reading that client's requests until its replies drain
  $(is_in_write "$SERVER_PID" && echo "(right now the server IS blocked in a write system call)")"
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
# (of the tree under test; of this tree only when BIN_ROOT is one of its
# build directories, as in a sanitized build: a graded tree without sources
# must not be credited with the reference's) call only async-signal-safe
# functions.  A printf in a
# handler works a thousand times, then deadlocks: no run shows it, the source
# does (tests/helpers/handler_check.py).
check_handlers_safe() {
  local dirs=() d
  for d in "$@"; do
    if ! compgen -G "$BIN_ROOT/$d/*.c" >/dev/null && [[ $BIN_ROOT == "$ROOT"/build/* ]]; then
      dirs+=("$ROOT/$d")
    else
      dirs+=("$BIN_ROOT/$d")
    fi
  done
  # As the sandbox user: the sources are the student's, and may be links to
  # files only root can read.  The script comes on stdin: the grader's tree
  # may be out of that user's reach.
  run timeout 30 "$SANDBOX" "$PYTHON" - "${dirs[@]}" <"$ROOT/tests/helpers/handler_check.py"
  ((status == 0)) || fail "tests/helpers/handler_check.py ${dirs[*]}: exit status $status
$output
hint: a handler may only set a volatile sig_atomic_t flag (or write() to a
self-pipe); do the work in the main loop (handout.md, section "Async-signal safety")."
}

# limited_server ULIMIT_OPTIONS: from now on, SERVER_BIN runs the server
# under these ulimit options (e.g. "-n 32"), through a small wrapper script.
# start_server runs the wrapper through "$SANDBOX": the ulimit comes after
# the sandbox's own limits (which would replace it), and it can only lower
# them.
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

# ==================================================================
# Slow readers, back-pressure, durability order, signal dispositions.
# Shared by blocking.bats and select.bats.
# ==================================================================

PACED_CLIENT="$ROOT/tests/helpers/paced_client.py"
TRACE_CHECK="$ROOT/tests/helpers/trace_check.py"

# paced MODE COUNT [ARGS...]: tests/helpers/paced_client.py against the
# test's server, bounded in time (PACED_LIMIT seconds, default 60).
paced() {
  local rc=0 limit=${PACED_LIMIT:-60}
  timeout -k 2 "$limit" "$PYTHON" "$PACED_CLIENT" "$SERVER_PORT" "$@" --seed "$SEED" || rc=$?
  ((rc == 124 || rc == 137)) &&
    echo "paced_client.py $* : did not finish within $limit s, killed (the server stopped answering?)" >&2
  return "$rc"
}

# check_slow_reader [--busy]: a 16 MiB reply read 16 KiB at a time, with
# pauses, arrives whole and byte-exact (with --busy, while another client
# keeps the loop turning: a write() meeting a full socket gets EAGAIN, which
# is no error).  16 MiB, because Linux takes up to 4 MiB (tcp_wmem) into a
# loopback socket at once: a smaller reply may never meet a full socket.
check_slow_reader() {
  start_kv
  paced big-reply 16777216 --chunk 16384 "$@"
  server_alive
}

# check_backpressure_resumes COUNT FSYNC: COUNT GETs of a 1000-byte value in
# one write, replies read slowly, nothing sent afterwards: all answered.  No
# write is pending and no fsync timer is armed (--fsync no or always), so
# nothing but the leftover requests can wake the server up.
check_backpressure_resumes() {
  start_kv --fsync "$2"
  paced pipelined-gets "$1" --size 1000
  server_alive
}

# ------------------------------------------------------------------ strace

# need_strace: strace must work here (installed, ptrace allowed).
need_strace() {
  command -v strace >/dev/null ||
    fail "strace is not installed: the grader needs it (Debian package strace)"
  strace -qq -o /dev/null true 2>/dev/null ||
    fail "strace cannot trace here (ptrace not permitted?): the grader needs it"
}

# traced_server TRACE FILTER [SERVER_ARGS...]: start $SERVER_BIN under
# strace -f -e FILTER, trace in TRACE.  SERVER_PID is strace's pid (it
# exits with the server's status); TRACED_PID the server's own.
traced_server() {
  local trace=$1 filter=$2 script=$BATS_TEST_TMPDIR/traced-server
  shift 2
  need_strace
  printf '#!/usr/bin/env bash\nexec strace -f -qq -s 100 -o %q -e %q %q "$@"\n' \
    "$trace" "$filter" "$SERVER_BIN" >"$script"
  chmod +x "$script"
  local bin=$SERVER_BIN
  SERVER_BIN=$script
  start_kv "$@"
  SERVER_BIN=$bin
  TRACED_PID=""
  wait_until 5 eval 'TRACED_PID=$(cat /proc/$SERVER_PID/task/*/children 2>/dev/null | awk "{print \$1}"); [[ -n $TRACED_PID ]]' ||
    fail "could not find the server process under strace (pid $SERVER_PID)"
  STARTED_PIDS+=("$TRACED_PID")
}

# stop_traced SECONDS: SIGINT the traced server; strace must exit with 0.
stop_traced() {
  kill -INT "$TRACED_PID"
  wait_exit "$SERVER_PID" "$1" || fail "the server under strace was still running $1 s after SIGINT"
  ((EXIT_STATUS == 0)) || fail "after SIGINT the server under strace exited with status $EXIT_STATUS
--- its stderr:
$(tail -20 "$SERVER_ERR")"
}

# end_traced: the trace is all a durability test needs, not a clean
# shutdown (tested on its own): SIGKILL the traced server, wait for strace.
end_traced() {
  kill -KILL "$TRACED_PID" 2>/dev/null || true
  wait_exit "$SERVER_PID" 10 || fail "strace was still running 10 s after its server was killed"
}

# With --fsync always, the reply to a SET goes out only after the record was
# written to the store file AND fdatasync/fsync'ed: strace shows the order.
check_durability_order() {
  local trace=$BATS_TEST_TMPDIR/strace.out k="o$SEED" i keys=()
  traced_server "$trace" 'trace=open,openat,creat,close,write,writev,pwrite64,pwritev,sendto,sendmsg,fsync,fdatasync,sync_file_range' --fsync always
  for i in 1 2 3; do
    exchange "SET $k$i value$i\r\n" '+OK\r\n' --label "SET number $i under strace"
    keys+=("$k$i")
  done
  end_traced
  run timeout 30 "$PYTHON" "$TRACE_CHECK" order "$trace" "$SERVER_STORE" "${keys[@]}"
  ((status == 0)) || fail "$output"
}

# fsyncs_in TRACE: how many fsync/fdatasync calls the strace output shows.
fsyncs_in() {
  grep -cE '^[0-9]+ +(fsync|fdatasync)\(' "$1" 2>/dev/null || true
}

# --fsync everysec: an acknowledged SET is fsync'ed within about a second
# even when nothing else happens.  The loop must wake up for the store's
# timer (stage 2: pselect's timeout from store_timeout_ms(); stage 1: the
# one-second SO_RCVTIMEO on every blocking accept/read), not sleep until the
# next request comes.  The second SET comes right after an fsync, so only the
# timer can sync it.
check_everysec_idle() {
  local trace=$BATS_TEST_TMPDIR/strace.out k="e$SEED"
  traced_server "$trace" 'trace=fsync,fdatasync' --fsync everysec
  exchange "SET ${k}1 first\r\n" '+OK\r\n' --label "SET before an idle time (--fsync everysec)"
  wait_until 4 eval '(( $(fsyncs_in "$trace") >= 1 ))' ||
    fail "--fsync everysec: no fsync/fdatasync within 4 s of an acknowledged SET, with nothing else happening
  hint: the loop must not sleep past the store's next fsync: with select, give pselect
  the timeout store_timeout_ms() returns (then call store_sync); a blocking server must
  wake up at least once a second (SO_RCVTIMEO on the listening and client sockets)
  (handout.md, sections \"Milestone 1c — durability: the store before the reply\" and
  \"Timers in an event loop\")"
  local before
  before=$(fsyncs_in "$trace")
  exchange "SET ${k}2 second\r\n" '+OK\r\n' --label "SET right after an fsync (--fsync everysec)"
  wait_until 4 eval '(( $(fsyncs_in "$trace") > before ))' ||
    fail "--fsync everysec: a SET made right after an fsync was still not fsync'ed 4 s later,
  with no other request coming (fsync/fdatasync calls: $before before it, $(fsyncs_in "$trace") after)
  hint: only a timer can sync it: the loop must wake up when store_timeout_ms() says,
  not when the next request arrives (handout.md, section \"Timers in an event loop\")"
  end_traced
}

# The select loop cannot miss a shutdown signal: SIGINT/SIGTERM blocked
# outside pselect (or a self-pipe in the read set).  A timing test would
# need luck to hit the window; the system calls show it every time.
check_signal_race() {
  local trace=$BATS_TEST_TMPDIR/strace.out
  traced_server "$trace" 'trace=pselect6,select,rt_sigprocmask,pipe,pipe2'
  exchange 'PING\r\n' '+PONG\r\n'
  exchange "SET r$SEED v\r\nGET r$SEED\r\n" '+OK\r\n$1\r\nv\r\n'
  stop_traced 10
  run timeout 30 "$PYTHON" "$TRACE_CHECK" race "$trace"
  ((status == 0)) || fail "$output"
}

# The shutdown handlers are installed by sigaction() without SA_RESTART (a
# blocked accept/read/select must fail with EINTR) and without SA_RESETHAND
# (signal() under -std=c11: the second Ctrl-C would kill the server with no
# clean-up); SIGPIPE and SIGXFSZ are ignored.
check_signal_dispositions() {
  local trace=$BATS_TEST_TMPDIR/strace.out
  traced_server "$trace" 'trace=rt_sigaction,signal,sigaction'
  exchange 'PING\r\n' '+PONG\r\n'
  local status_file=$BATS_TEST_TMPDIR/proc-status
  cat "/proc/$TRACED_PID/status" >"$status_file"
  stop_traced 10
  run timeout 30 "$PYTHON" "$TRACE_CHECK" dispositions "$trace" "$status_file"
  ((status == 0)) || fail "$output"
}

# send_double_sigint PID: two SIGINTs 1 ms apart (from one process: a
# forked `sleep 0.001` between two kills takes several ms).
send_double_sigint() {
  timeout 5 "$PYTHON" -c '
import os, signal, sys, time
pid = int(sys.argv[1])
os.kill(pid, signal.SIGINT)
time.sleep(0.001)
try:
    os.kill(pid, signal.SIGINT)
except ProcessLookupError:
    pass                                # gone already: fine' "$1"
}

# big_set_request KEY: a file holding one SET of KEY to a 4 MiB random value
# (RESP); prints its path.
big_set_request() {
  local file=$BATS_TEST_TMPDIR/set-$1.resp
  { printf '*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$4194304\r\n' "${#1}" "$1"
    head -c 4194304 /dev/urandom
    printf '\r\n'; } >"$file"
  echo "$file"
}

# check_double_sigint ROUNDS: Ctrl-C pressed twice quickly, ROUNDS times:
# each time a clean shutdown (status 0, "shutting down"), data on disk.
check_double_sigint() {
  local round k="dd$SEED"
  start_kv
  for ((round = 1; round <= $1; round++)); do
    exchange "SET $k$round v$round\r\n" '+OK\r\n'
    # A store with 4 MiB in it: writing it back at shutdown takes a while,
    # so the second SIGINT comes while the server is shutting down.  (A SET
    # only: its reply is small, so this tests shutdown, not partial writes.)
    RESP_LIMIT=60 resp --send-file "$(big_set_request "big$k")" --expect '+OK\r\n' --timeout 20
    send_double_sigint "$SERVER_PID"
    check_stopped "INT (twice, 1 ms apart)" 5
    grep -q '^shutting down' "$SERVER_OUT" ||
      fail "round $round: after two SIGINTs the server must still print 'shutting down'; stdout was:
$(cat "$SERVER_OUT")"
    start_kv -d "$SERVER_STORE"
    exchange "GET $k$round\r\n" "\$$((${#round} + 1))\r\nv$round\r\n" \
      --label "round $round: GET after two SIGINTs and a restart" ||
      fail "round $round: a SET acknowledged before the two SIGINTs is missing after the restart"
  done
}

# The same under valgrind: the second SIGINT must not cut the clean-up short.
check_double_sigint_valgrind() {
  run_under_valgrind
  RESP_LIMIT=60 resp --send "SET vg$SEED 1\r\nGET vg$SEED\r\n" --expect '+OK\r\n$1\r\n1\r\n' --timeout 20
  CLIENT_LIMIT=60 start_client held --timeout 20 --send 'PING\r\n' --expect '+PONG\r\n' --hold
  send_double_sigint "$SERVER_PID"
  check_stopped "INT (twice, 1 ms apart)" 20
  check_valgrind_log
}

# ------------------------------------------------------------------ store failures

# check_store_write_failure: the store file cannot grow (ulimit -f 16 KiB:
# write() fails with EFBIG, as with a full disk it fails with ENOSPC), with
# --fsync always.  A SET that could not be stored gets no +OK; the server
# (SIGXFSZ ignored) keeps serving reads; after a restart with room again,
# every acknowledged SET is there and no refused one.
check_store_write_failure() {
  local t=$BATS_TEST_TMPDIR bin=$SERVER_BIN
  limited_server "-f 16"
  start_kv --fsync always
  run timeout 60 "$PYTHON" "$ROOT/tests/helpers/store_full.py" "$SERVER_PORT" "$t/acked" "$t/refused"
  ((status == 0)) || fail "$output"
  server_alive
  local first
  first=$(head -1 "$t/acked" | cut -d' ' -f1)
  exchange "GET $first\r\n" "\$3000\r\n$(printf 'x%.0s' {1..3000})\r\n" \
    --label "GET of an acknowledged key while the store file is full" ||
    fail "reads must go on while writes fail (the store file is full)"
  kill -KILL "$SERVER_PID"
  wait_exit "$SERVER_PID" 5 || true
  SERVER_BIN=$bin
  start_kv -d "$SERVER_STORE" --fsync always
  RESP_LIMIT=60 resp --verify "$t/acked" --timeout 20 ||
    fail "after a restart with room again, a SET acknowledged with +OK is missing"
  local key
  while read -r key _; do
    exchange "GET $key\r\n" '$-1\r\n' --label "GET of a key whose SET was NOT acknowledged (store file full), after a restart" ||
      fail "a SET that was refused (no +OK: the store file was full) is there after a restart:
  what the server did not acknowledge must not have happened"
  done <"$t/refused"
}

# ------------------------------------------------------------------ blocked in write()

# is_in_write PID: PID is blocked inside a write-like system call
# (/proc/PID/syscall: write, writev, sendto, sendmsg on x86_64 and arm64).
is_in_write() {
  local nr
  nr=$(awk '{print $1}' "/proc/$1/syscall" 2>/dev/null) || return 1
  case $(uname -m) in
    x86_64) [[ $nr == 1 || $nr == 20 || $nr == 44 || $nr == 46 ]] ;;
    aarch64) [[ $nr == 64 || $nr == 66 || $nr == 206 || $nr == 211 ]] ;;
    *) [[ $(cat "/proc/$1/wchan" 2>/dev/null) =~ wait_woken|sk_stream_wait_memory ]] ;;
  esac
}

# One SIGINT stops a server blocked in write() to a client that never reads
# (GET of a 4 MiB value, over and over), within 2 s, with status 0.
check_sigint_blocked_in_write() {
  start_kv
  CLIENT_LIMIT=60 start_client flood --flood "w$SEED" --flood-size 4194304 --hold-max 50
  wait_until 10 is_in_write "$SERVER_PID" ||
    fail "the server did not get blocked in write() within 10 s while a client sent GETs of a 4 MiB value without reading
$(tail -2 "$BATS_TEST_TMPDIR/flood.out")"
  HINT_STOP="a signal that interrupts write() part-way makes it return a short count, not -1/EINTR:
  look at the flag after every write(), not only after EINTR" stop_kv_with INT 2
}

# ------------------------------------------------------------------ descriptors

# Every socket the select server holds (listening and accepted) is
# O_NONBLOCK: a blocking one leaves the whole server stuck in read() or
# write() on one client.
check_sockets_nonblocking() {
  start_kv
  start_client idle --hold
  start_client served --send 'PING\r\n' --expect '+PONG\r\n' --hold
  local fd link flags blocking="" n=0
  for fd in /proc/"$SERVER_PID"/fd/*; do
    link=$(readlink "$fd" 2>/dev/null) || continue
    [[ $link == socket:* ]] || continue
    n=$((n + 1))
    flags=$(awk '/^flags:/ {print $2}' "/proc/$SERVER_PID/fdinfo/${fd##*/}")
    (((8#$flags & 8#4000) != 0)) || blocking+=" ${fd##*/}"
  done
  ((n >= 3)) || fail "expected at least 3 sockets in the server (listening + 2 clients), found $n"
  [[ -z $blocking ]] || fail "socket descriptor(s)$blocking of the server are blocking (no O_NONBLOCK in /proc/PID/fdinfo)
  hint: set O_NONBLOCK (fcntl F_SETFL) on the listening socket AND on every
  accepted socket: accept() does not pass it on; a blocking socket leaves the
  whole server stuck in write() to a client that does not read, or in read()"
}

# check_benchmark_default_tests [REDIS_BENCHMARK_ARGS...]: redis-benchmark's
# tests of the commands we have (PING inline and multibulk, SET, GET, INCR,
# MSET) against the test's server, pipelined: no error, all six rates, and
# the server still up.
check_benchmark_default_tests() {
  command -v redis-benchmark >/dev/null || skip "redis-benchmark is not installed"
  start_kv
  run timeout 120 redis-benchmark -p "$SERVER_PORT" -t ping,set,get,incr,mset -n 20000 -P 16 -q "$@"
  ((status == 0)) || fail "redis-benchmark $*: exit status $status
$output"
  ! grep -qiE 'error|refused|reset' <<<"$output" || fail "redis-benchmark $* reported errors:
$output"
  [[ $(grep -o 'requests per second' <<<"$output" | wc -l) -eq 6 ]] ||
    fail "expected a rate for each of the 6 tests (PING is two), got:
$output"
  server_alive
}

# -v: a client's life is logged on stderr (connection, state changes,
# closing); stdout keeps only the ready line.
# The state machine drives the loop: with -v, fdstate_set_status logs each
# transition, and a request takes its connection READ -> RESULT -> WRITE ->
# READ.  A loop that reads, serves and writes without the statuses shows
# none, and has nowhere to remember that requests still wait (back-pressure).
check_state_transitions() {
  start_kv -v
  exchange 'PING\r\n' '+PONG\r\n'
  local t missing=()
  for t in "READ -> RESULT" "RESULT -> WRITE" "WRITE -> READ"; do
    wait_until 3 grep -qF -- ": $t" "$SERVER_ERR" || missing+=("$t")
  done
  ((${#missing[@]} == 0)) || fail "with -v, a PING must take its connection READ -> RESULT -> WRITE -> READ,
each change logged by fdstate_set_status ('fd N (peer): READ -> RESULT'); missing: ${missing[*]}
  hint: keep the connection's status in its FDState and switch on it: each step sets
  the next status with fdstate_set_status (handout.md, section \"The FDState and its state machine\")
--- its stderr:
$(head -c 4000 "$SERVER_ERR")"
}

check_verbose_log() {
  start_kv -v
  local before
  before=$(wc -l <"$SERVER_ERR")
  exchange 'PING\r\n' '+PONG\r\n'
  # One line at least when the client connects, one more when it leaves.
  wait_until 3 eval "(( \$(wc -l <$SERVER_ERR) >= before + 2 ))" ||
    fail "with -v, a client that connects, sends PING and leaves must produce log lines on stderr
  (its connection, its state changes, its closing); stderr had $before line(s) before and now:
$(cat "$SERVER_ERR")"
  [[ ! -s $SERVER_OUT || $(grep -vcE '^listening on ' "$SERVER_OUT") -eq 0 ]] ||
    fail "-v logs go to stderr; stdout must hold only the ready line, but it has:
$(cat "$SERVER_OUT")"
}
