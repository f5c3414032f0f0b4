#!/usr/bin/env bats
# Stage 3 (optional, bonus points): the epoll server ($KV_EPOLL).
#
# First what the select server is graded on, through the same test bodies
# (tests/helpers/server.bash) and protocol cases (tests/protocol_cases.txt):
# readiness from epoll must change nothing a client sees.  Then what only
# epoll can do: 10,000 clients at once, past select()'s FD_SETSIZE wall, and
# idle connections that cost nothing (a count of the server's own CPU time
# for a fixed amount of work, with and without 5,000 idle connections).
#
# Failures show what was sent, what was expected and what came back, with a
# hint.  Random keys and values come from SEED, printed in every failure;
# rerun one with:  SEED=1234 bats -f 'NAME' tests/epoll.bats
#
# Every test is tagged for tests/grade, which reports stage 3 apart from
# the required stages (bonus points):
#     # bats test_tags=stage3,milestone:3a,points:N
# bats file_tags=stage3

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/server

SERVER_BIN=$KV_EPOLL
IDLE_CONNS="$ROOT/tests/helpers/idle_conns.py"
: "${BATS_TEST_TIMEOUT:=150}"     # a backstop only: every call has its own timeout

teardown() { kill_started; }

# ------------------------------------------------------------- the same server (3a)

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: prints 'listening on 127.0.0.1:PORT' with the real port and answers PING" {
  check_ready_line
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: PING, ECHO, inline syntax, multibulk; SET/GET/MSET/MGET; DEL/KEYS; counters" {
  start_kv
  local group
  for group in ping-echo strings keyspace counters errors quit-config; do
    run_cases "$group"
  done
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: protocol errors get Redis's exact error, then the connection is closed" {
  check_cases protocol-errors
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: pipelined requests in one write are all served, in order" {
  check_cases pipeline
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: requests sent one byte per write are assembled" {
  check_one_byte_writes
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: 500 concurrent clients, 200 mixed operations each, with idle and half-sent clients connected" {
  start_kv
  start_client idle --hold
  start_client half --send '*2\r\n$4\r\nECHO\r\n$10\r\nabc' --hold
  RESP_LIMIT=150 resp --load 500 --ops 200 --seed "$SEED" --timeout 30
  server_alive
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: 100,000 pipelined requests in one write, and a 16 MiB value, round-trip intact" {
  start_kv
  RESP_LIMIT=90 resp --pipeline 100000 --seed "$SEED" --timeout 30
  RESP_LIMIT=90 resp --bigvalue 16777216 --seed "$SEED" --timeout 30
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: a client that never reads its replies neither grows the server's memory nor blocks others" {
  check_never_reading_client
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: a 16 MiB reply read slowly while another client is busy arrives whole" {
  check_slow_reader --busy
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: 200 pipelined GETs of a 1000-byte value, read slowly, nothing sent after: all answered" {
  check_backpressure_resumes 200 always
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: over --max-clients, a client gets '-ERR max number of clients reached' and is closed; the others are served" {
  check_max_clients 5
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: out of descriptors (ulimit -n 32): clients refused, no CPU burnt, served again afterwards" {
  check_emfile_no_spin
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: the listening socket and every accepted socket are O_NONBLOCK" {
  check_sockets_nonblocking
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: --fsync always: strace shows each SET written to the store and fsync'ed before its +OK" {
  check_durability_order
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: store file full (ulimit -f): SET not acknowledged, reads go on, acknowledged SETs there after a restart" {
  check_store_write_failure
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: SIGINT and SIGTERM: exit 0 within 1 s with the summary line; data there after a restart" {
  check_sigint_idle 1
  check_sigterm 1
  check_persistence
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: signal handlers async-signal-safe; dispositions without SA_RESTART or SA_RESETHAND" {
  check_handlers_safe stages/epoll common
  check_signal_dispositions
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: two SIGINTs 1 ms apart (3 times): each a clean shutdown, data there after a restart" {
  check_double_sigint 3
}

# bats test_tags=stage3,milestone:3a,points:2
@test "epoll: valgrind after a busy session and SIGINT with clients connected: no errors, no leaks, only stdio open" {
  run_under_valgrind --max-clients 60
  RESP_LIMIT=90 run_cases strings --timeout 20
  RESP_LIMIT=90 resp --load 40 --ops 30 --seed "$SEED" --timeout 30
  RESP_LIMIT=90 resp --many 65 --expect-served 60 --timeout 30
  resp --send 'GET nothing\r\n' --timeout 20          # leaves without reading
  CLIENT_LIMIT=90 start_client idle --timeout 20 --hold
  CLIENT_LIMIT=90 start_client half --timeout 20 --send '*2\r\n$4\r\nECHO\r\n$10\r\nabc' --hold
  stop_kv_with INT 20
  check_valgrind_log
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: usage errors exit 2, bad values exit 1, -h exits 0" {
  check_usage_errors
  check_bad_values "--max-clients lots" "--max-clients 0"
}

# ------------------------------------------------------------- past select()'s wall (3b)

# bats test_tags=stage3,milestone:3b,points:1
@test "epoll: readiness comes from epoll: strace shows epoll_pwait or epoll_wait, and no select, pselect or poll" {
  local trace=$BATS_TEST_TMPDIR/strace.out
  traced_server "$trace" 'trace=select,pselect6,poll,ppoll,epoll_wait,epoll_pwait,epoll_pwait2'
  resp --load 5 --ops 20 --seed "$SEED" --timeout 20
  stop_traced 10
  grep -qE '^[0-9]+ +epoll_(p?wait2?)\(' "$trace" ||
    fail "the server never called epoll_wait/epoll_pwait while serving 5 clients
  hint: stage 3 waits in epoll_pwait (with the shutdown signals blocked outside it)"
  ! grep -qE '^[0-9]+ +(select|pselect6|poll|ppoll)\(' "$trace" ||
    fail "the server called select/pselect/poll: stage 3 learns readiness from epoll only
$(grep -E '^[0-9]+ +(select|pselect6|poll|ppoll)\(' "$trace" | head -3)"
}

# bats test_tags=stage3,milestone:3b,points:1
@test "epoll: --max-clients defaults to 10,000 (CONFIG GET maxclients)" {
  start_kv
  exchange 'CONFIG GET maxclients\r\n' '*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n' \
    --label "the default --max-clients of the epoll server"
}

# 10,000 clients at once, the server started with a soft descriptor limit
# of 1024 (the usual default) and a hard one of 10,100 or more: it must
# raise its own limit (setrlimit) and size its table past FD_SETSIZE.
# bats test_tags=stage3,milestone:3b,points:3
@test "epoll: 10,000 concurrent clients (soft ulimit -n 1024 at start): all served, then all closed cleanly" {
  local hard
  hard=$(ulimit -Hn)
  [[ $hard == unlimited || $hard -ge 10100 ]] ||
    skip "needs ulimit -Hn >= 10100 for 10,000 clients (it is $hard)"
  limited_server "-Sn 1024"
  start_kv
  local base
  base=$(open_fds "$SERVER_PID")
  RESP_LIMIT=120 resp --many 10000 --expect-served 10000 --timeout 60 ||
    fail "not all of 10,000 concurrent clients were served (above: how many, and the first failure)
  hint: raise the soft RLIMIT_NOFILE to the hard limit at start (setrlimit), size
  the state table to it (not FD_SETSIZE), and make --max-clients default to 10,000"
  server_alive
  # Closed cleanly: once the clients have gone, the server holds no more
  # descriptors than before they came.
  wait_until 20 eval "(( \$(open_fds $SERVER_PID) <= base ))" ||
    fail "after 10,000 clients left, the server still holds $(open_fds "$SERVER_PID") descriptors (it had $base before them)
  hint: every connection whose client closed must be closed (read() returning 0)"
  exchange 'PING\r\n' '+PONG\r\n' --label "a new client after the 10,000"
  stop_kv_with INT 5
  grep -qE '^shutting down: 1000[0-9] connections' "$SERVER_OUT" ||
    fail "the summary line should count the 10,000 connections; stdout was:
$(cat "$SERVER_OUT")"
}

# server_ticks_for_load RUN: the server's CPU ticks (user + system) spent
# on a fixed load: 10 clients x 4,000 mixed requests, each waiting for its
# reply (keys of their own for each RUN).
server_ticks_for_load() {
  local before after
  before=$(cpu_ticks "$SERVER_PID")
  RESP_LIMIT=120 resp --load 10 --ops 4000 --seed "$SEED$1" --timeout 60 >/dev/null || return 1
  after=$(cpu_ticks "$SERVER_PID")
  echo $((after - before))
}

# With 5,000 idle connections open, the server's own CPU time for the same
# load stays within 1.5 times what it is with none (the least of 2 runs
# each, alternated, plus 3 ticks of slack).  A count of work, not a timing:
# select() scans every descriptor each round, and so does a loop that walks
# the whole table or re-registers every connection each round.
# bats test_tags=stage3,milestone:3b,points:3
@test "epoll: 5,000 idle connections do not make the active ones cost more CPU (within 1.5x of none idle)" {
  local hard
  hard=$(ulimit -Hn)
  [[ $hard == unlimited || $hard -ge 5200 ]] || skip "needs ulimit -Hn >= 5200 (it is $hard)"
  start_kv
  local none=() idle=() t i
  for i in 1 2; do
    t=$(server_ticks_for_load "n$i") || fail "the load (10 clients x 4,000 requests) failed with no idle connection"
    none+=("$t")
    start_bg "$BATS_TEST_TMPDIR/idle.out" "$BATS_TEST_TMPDIR/idle.err" \
      timeout -k 2 120 "$PYTHON" "$IDLE_CONNS" "$SERVER_PORT" 5000
    local holder=$BG_PID
    wait_for_line "$BATS_TEST_TMPDIR/idle.out" '^holding 5000$' 60 "$holder" "$BATS_TEST_TMPDIR/idle.err" ||
      fail "could not open 5,000 idle connections, each answered PING once"
    t=$(server_ticks_for_load "i$i") || fail "the load (10 clients x 4,000 requests) failed with 5,000 idle connections open"
    idle+=("$t")
    stop_pid "$holder"
    wait_until 20 eval "(( \$(open_fds $SERVER_PID) < 100 ))" ||
      fail "the server did not close the 5,000 idle connections once their client had gone"
  done
  local min_none min_idle
  min_none=$(printf '%s\n' "${none[@]}" | sort -n | head -1)
  min_idle=$(printf '%s\n' "${idle[@]}" | sort -n | head -1)
  ((min_idle * 2 <= min_none * 3 + 6)) ||
    fail "the same load (10 clients x 4,000 requests) cost the server ${idle[*]} CPU ticks with 5,000 idle
  connections open, against ${none[*]} with none (least of each: $min_idle > 1.5 x $min_none + 3)
  hint: a round must cost what the ready connections cost, not what all of them do:
  keep the interest set in the kernel (epoll_ctl only when a status changes), and
  walk only the connections epoll_wait returned or that have work left (RESULT)"
}

# bats test_tags=stage3,milestone:3b,points:1
@test "epoll: -v logs connection events on stderr, stdout holds only the ready line" {
  check_verbose_log
}

# bats test_tags=stage3,milestone:3a,points:1
@test "epoll: --fsync everysec: a SET is fsync'ed within about a second while nothing else happens" {
  check_everysec_idle
}
