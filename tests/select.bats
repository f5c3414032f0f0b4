#!/usr/bin/env bats
# Stage 2: the select() server ($KV_SELECT): many clients at once, with
# non-blocking sockets, and a clean shutdown on SIGINT.
#
# First everything from stage 1 that applies (the same protocol cases, from
# tests/protocol_cases.txt, and the same test bodies, from
# tests/helpers/server.bash), then what only a non-blocking server can pass:
# idle and half-sent clients, 500 concurrent clients, 100,000 pipelined
# requests, 16 MiB values, --max-clients, descriptors past FD_SETSIZE, a
# client that never reads, SIGINT under load, valgrind after a busy session,
# redis-cli and redis-benchmark.
#
# Failures show what was sent, what was expected and what came back, with
# escapes visible, and a hint.  Random keys and values come from SEED, printed
# in every failure; rerun one with:  SEED=1234 bats -f 'NAME' tests/select.bats
#
# Every test is tagged with its stage and its weight for tests/grade:
#     # bats test_tags=stage2,points:N
# bats file_tags=select

bats_require_minimum_version 1.5.0
load helpers/common
load helpers/server

SERVER_BIN=$KV_SELECT
: "${BATS_TEST_TIMEOUT:=150}"     # a backstop only: every call has its own timeout

teardown() { kill_started; }

# ------------------------------------------------------------- start-up

# bats test_tags=stage2,points:1,milestone:2a
@test "select: prints 'listening on 127.0.0.1:PORT' with the real port and answers PING" {
  check_ready_line
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: start-up failures as in stage 1: usage errors (exit 2, -h 0), bad values, port in use, unusable store (exit 1)" {
  each_with_its_own_server "check_usage_errors" \
    "check_bad_values \"--max-clients lots\" \"--max-clients 0\"" \
    "check_port_in_use" \
    "check_unusable_store"
}

# ------------------------------------------------------------- protocol (as in stage 1)

# Stage 1's protocol tests, through the select loop: the shared code answers,
# so one test (the first failing case is reported) rather than ten.
# bats test_tags=stage2,points:2,milestone:2a
@test "select: stage 1's protocol cases through the select loop: commands, errors, QUIT, pipelining, one byte per write, binary values" {
  each_with_its_own_server "check_cases ping-echo" \
    "check_cases strings" \
    "check_cases keyspace" \
    "check_cases counters" \
    "check_cases errors" \
    "check_cases protocol-errors" \
    "check_cases quit-config" \
    "check_cases pipeline" \
    "check_one_byte_writes" \
    "check_binary_client"
}

# ------------------------------------------------------------- many clients

# bats test_tags=stage2,points:1,milestone:2a
@test "select: an idle connected client does not delay another" {
  start_kv
  start_client idle --hold                                     # connected, sends nothing
  start_client served --send 'PING\r\n' --expect '+PONG\r\n' --hold   # served, then idle
  resp --timeout 2 --label "a third client while two others are connected and idle" \
    --send "SET idle$SEED x\r\nGET idle$SEED\r\n" --expect '+OK\r\n$1\r\nx\r\n'
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: a client that sent half a request does not delay another, and is served when it completes it" {
  start_kv
  local t=$BATS_TEST_TMPDIR k="half$SEED"
  start_client half --timeout 10 --label "the client that sends its SET in two halves" \
    --send "*3\r\n\$3\r\nSET\r\n\$${#k}\r\n$k\r\n\$5\r\nhel" --touch "$t/half-sent" \
    --wait-file "$t/release" --send 'lo\r\n' --expect '+OK\r\n'
  local half=$CLIENT_PID
  start_client inline-half --timeout 10 --label "a client with half an inline request" \
    --send "ECHO inl" --touch "$t/inline-sent" --wait-file "$t/release" --send 'ine\r\n' \
    --expect '$6\r\ninline\r\n'
  local inline=$CLIENT_PID
  wait_until 10 eval "[[ -e $t/half-sent && -e $t/inline-sent ]]" ||
    fail "the half-sending clients did not start: $(cat "$t"/*.err)"
  resp --timeout 2 --label "another client while two have sent half a request" \
    --send "PING\r\nGET $k\r\n" --expect '+PONG\r\n$-1\r\n'
  touch "$t/release"
  client_result half "$half" 10
  client_result inline-half "$inline" 10
  exchange "GET $k\r\n" '$5\r\nhello\r\n' --label "GET of the key set in two halves"
}

# bats test_tags=stage2,stage2,points:1,milestone:2a
@test "select: 500 concurrent clients, 200 mixed operations each, every reply checked" {
  start_kv
  RESP_LIMIT=150 resp --load 500 --ops 200 --seed "$SEED" --timeout 30
  server_alive
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: 100,000 pipelined requests in one write: all replies correct and in order" {
  start_kv
  RESP_LIMIT=90 resp --pipeline 100000 --seed "$SEED" --timeout 30
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: a 1 MiB value round-trips intact" {
  start_kv
  RESP_LIMIT=60 resp --bigvalue 1048576 --seed "$SEED" --timeout 20
}

# bats test_tags=stage2,stage2,points:3,milestone:2b
@test "select: a 16 MiB value round-trips intact" {
  start_kv
  RESP_LIMIT=90 resp --bigvalue 16777216 --seed "$SEED" --timeout 30
}

# bats test_tags=stage2,stage2,points:4,milestone:2d
@test "select: over --max-clients, a client gets '-ERR max number of clients reached' and is closed; the others are served" {
  check_max_clients 5
}

# bats test_tags=stage2,stage2,points:3,milestone:2d
@test "select: connections past FD_SETSIZE are refused with the max-clients error, and the server keeps working" {
  # 1100 connections at once with --max-clients 2000: the descriptors reach
  # 1024 = FD_SETSIZE, which select() cannot watch (FD_SET past the end of
  # the fd_set).  Those must be refused, like the ones over --max-clients.
  local hard
  hard=$(ulimit -Hn)
  [[ $hard == unlimited || $hard -ge 2400 ]] || skip "needs ulimit -Hn >= 2400 (it is $hard)"
  ulimit -n 2400      # for this test's processes only (the server and the client)
  start_kv --max-clients 2000
  RESP_LIMIT=90 resp --many 1100 --max-served 1020 --min-served 900 --timeout 20
  server_alive
  eventually 5 exchange 'PING\r\n' '+PONG\r\n' --label "a new client once the 1100 have left"
}

# With 32 descriptors, most of 60 clients cannot be given one.  They must be
# refused (or wait), the server must not spin on accept() failing with
# EMFILE, and it must serve again once descriptors are free.
# bats test_tags=stage2,stage2,points:3,milestone:2d
@test "select: out of descriptors (ulimit -n 32): clients refused, no CPU burnt, served again afterwards" {
  check_emfile_no_spin
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: a client that never reads its replies neither grows the server's memory nor blocks others" {
  check_never_reading_client
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: 3000 connections opened and closed one after another are all served" {
  check_connect_loop 3000
}

# ------------------------------------------------------------- signals, shutdown

# bats test_tags=stage2,points:1,milestone:2a
@test "select: SIGINT with no client: exits 0 within 1 s and prints the summary line" {
  check_sigint_idle 1
  grep -qE '^shutting down: [0-9]+ connections, [0-9]+ requests, [0-9]+ keys$' "$SERVER_OUT" ||
    fail "the select server's last line must be 'shutting down: N connections, M requests, K keys'; stdout was:
$(cat "$SERVER_OUT")"
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: the shutdown summary counts connections, requests and keys" {
  check_shutdown_summary
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: SIGTERM: exits 0 within 1 s" {
  check_sigterm 1
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: SIGINT with idle and half-sent clients connected: exits 0 within 1 s" {
  start_kv
  start_client idle --hold
  start_client served --send 'PING\r\n' --expect '+PONG\r\n' --hold
  start_client half --send '*2\r\n$4\r\nECHO\r\n$10\r\nabc' --hold
  stop_kv_with INT 1
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: SIGINT under load with --fsync always: exits 0 within 1 s; every acknowledged SET is there after a restart" {
  start_kv --fsync always
  local acked=$BATS_TEST_TMPDIR/acked
  CLIENT_LIMIT=60 start_client load --load 20 --ops 0 --durable "$acked" --seed "$SEED" --timeout 10
  local load=$CLIENT_PID
  wait_until 15 eval "[[ -s $acked && \$(wc -l <$acked) -ge 500 ]]" ||
    fail "the load did not get 500 SETs acknowledged within 15 s
$(cat "$BATS_TEST_TMPDIR/load.err" "$BATS_TEST_TMPDIR/load.out")"
  stop_kv_with INT 1
  client_result load "$load" 15
  start_kv -d "$SERVER_STORE" --fsync always
  RESP_LIMIT=60 resp --verify "$acked" --timeout 20
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: the signal handlers call only async-signal-safe functions" {
  start_kv          # the handlers of a select server that runs: not stage 1's alone
  check_handlers_safe stages/select common
}

# bats test_tags=stage2,stage2,stage2,points:1,milestone:2a
@test "select: clients that vanish in the middle of a 4 MiB reply do not kill the server (SIGPIPE)" {
  check_disconnect_mid_reply
}

# ------------------------------------------------------------- persistence

# bats test_tags=stage2,points:1,milestone:2a
@test "select: data written before SIGINT is there after a restart with the same -d file" {
  check_persistence
}

# bats test_tags=stage2,stage2,points:2,milestone:2e
@test "select: --fsync always: an acknowledged SET is in the store file at once and survives kill -9" {
  check_fsync_always_durable
}

# ------------------------------------------------------------- -v

# bats test_tags=stage2,points:1,milestone:2a
@test "select: -v logs connection events on stderr" {
  check_verbose_log
}

# ------------------------------------------------------------- valgrind

# bats test_tags=stage2,stage2,points:5,milestone:2f
@test "select: valgrind after a busy session and SIGINT: no errors, no leaks, only stdio open" {
  run_under_valgrind --max-clients 40
  RESP_LIMIT=90 run_cases strings --timeout 20
  RESP_LIMIT=90 run_cases protocol-errors --timeout 20
  RESP_LIMIT=90 resp --load 30 --ops 40 --seed "$SEED" --timeout 30
  RESP_LIMIT=90 resp --pipeline 2000 --seed "$SEED" --timeout 30
  RESP_LIMIT=90 resp --bigvalue 1048576 --seed "$SEED" --timeout 30
  RESP_LIMIT=90 resp --many 45 --expect-served 40 --timeout 30
  resp --send 'GET nothing\r\n' --timeout 20          # leaves without reading
  # Still connected when SIGINT comes: an idle client, a served one, a half-sent one.
  CLIENT_LIMIT=90 start_client idle --timeout 20 --hold
  CLIENT_LIMIT=90 start_client served --timeout 20 --send 'SET held 1\r\n' --expect '+OK\r\n' --hold
  CLIENT_LIMIT=90 start_client half --timeout 20 --send '*2\r\n$4\r\nECHO\r\n$10\r\nabc' --hold
  stop_kv_with INT 20
  check_valgrind_log
}

# ------------------------------------------------------------- Redis's own tools

# bats test_tags=stage2,points:1,milestone:2a
@test "select: redis-cli works against it (commands, --raw, --pipe)" {
  command -v redis-cli >/dev/null || skip "redis-cli is not installed"
  start_kv
  local k="cli$SEED"
  run timeout -k 2 10 redis-cli -p "$SERVER_PORT" SET "$k" "hello world"
  [[ $status -eq 0 && $output == OK ]] || fail "redis-cli SET $k 'hello world': expected OK, got ($status) $output"
  run timeout -k 2 10 redis-cli -p "$SERVER_PORT" GET "$k"
  [[ $status -eq 0 && $output == "hello world" ]] || fail "redis-cli GET $k: expected 'hello world', got ($status) $output"
  run timeout -k 2 10 redis-cli -p "$SERVER_PORT" --raw INCRBY "${k}n" 5
  [[ $status -eq 0 && $output == 5 ]] || fail "redis-cli --raw INCRBY ${k}n 5: expected 5, got ($status) $output"
  run timeout -k 2 10 redis-cli -p "$SERVER_PORT" KEYS "${k}*"
  [[ $status -eq 0 && $(sort <<<"$output") == "$(printf '%s\n%s' "$k" "${k}n")" ]] ||
    fail "redis-cli KEYS '${k}*': expected $k and ${k}n, got ($status) $output"
  # --pipe: raw protocol on stdin, then an ECHO of a random marker to know it is done.
  run timeout -k 2 20 bash -c "printf 'SET ${k}p 1\r\nINCR ${k}p\r\nINCR ${k}p\r\n' | redis-cli -p $SERVER_PORT --pipe"
  [[ $status -eq 0 && $output == *"errors: 0, replies: 3"* ]] ||
    fail "redis-cli --pipe with 3 requests: expected 'errors: 0, replies: 3', got ($status):
$output"
  exchange "GET ${k}p\r\n" '$1\r\n3\r\n'
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: redis-benchmark -t set,get -n 20000 -c 50 completes without errors" {
  command -v redis-benchmark >/dev/null || skip "redis-benchmark is not installed"
  start_kv
  run timeout -k 2 120 redis-benchmark -p "$SERVER_PORT" -t set,get -n 20000 -c 50 -q
  local out
  out=$(tr '\r' '\n' <<<"$output")
  [[ $status -eq 0 ]] || fail "redis-benchmark exited with status $status (124: it did not finish within 120 s):
$out"
  grep -qE '^SET: [0-9.]+ requests per second' <<<"$out" &&
    grep -qE '^GET: [0-9.]+ requests per second' <<<"$out" ||
    fail "redis-benchmark did not report both SET and GET:
$out"
  ! grep -qiE 'err|error' <<<"$out" || fail "redis-benchmark reported errors:
$out"
  server_alive
}

# ------------------------------------------------------------- command line

# ------------------------------------------------------------- slow readers, back-pressure

# bats test_tags=stage2,stage2,points:4,milestone:2b
@test "select: a 16 MiB reply read slowly (16 KiB at a time, with pauses) while another client is busy arrives whole" {
  check_slow_reader --busy
}

# bats test_tags=stage2,stage2,points:4,milestone:2c
@test "select: 200 pipelined GETs of a 1000-byte value, read slowly, nothing sent after: all answered" {
  check_backpressure_resumes 200 always
}

# bats test_tags=stage2,stage2,points:2,milestone:2c
@test "select: 2000 pipelined GETs of a 1000-byte value, read slowly, --fsync no: all answered" {
  check_backpressure_resumes 2000 no
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: the listening socket and every accepted socket are O_NONBLOCK" {
  check_sockets_nonblocking
}

# ------------------------------------------------------------- durability, signals (strict)

# bats test_tags=stage2,stage2,points:3,milestone:2e
@test "select: --fsync always: strace shows each SET written to the store and fsync'ed before its +OK" {
  check_durability_order
}

# bats test_tags=stage2,stage2,points:3,milestone:2e
@test "select: store file full (ulimit -f): SET not acknowledged, reads go on, after a restart acknowledged SETs there and refused ones absent" {
  check_store_write_failure
}

# bats test_tags=stage2,points:1,milestone:2a
@test "select: signal dispositions: SIGINT/SIGTERM caught by sigaction without SA_RESTART or SA_RESETHAND, SIGPIPE and SIGXFSZ ignored" {
  check_signal_dispositions
}

# bats test_tags=stage2,stage2,stage2,points:1,milestone:2a
@test "select: two SIGINTs 1 ms apart (3 times): each a clean shutdown, exit 0, data there after a restart" {
  check_double_sigint 3
}

# bats test_tags=stage2,stage2,points:2,milestone:2f
@test "select: valgrind after two SIGINTs 1 ms apart: no errors, no leaks, only stdio open" {
  check_double_sigint_valgrind
}

# bats test_tags=stage2,stage2,points:2,milestone:2e
@test "select: --fsync everysec: a SET is fsync'ed within about a second while nothing else happens" {
  check_everysec_idle
}

# bats test_tags=stage2,stage2,points:4,milestone:2f
@test "select: no window for a lost Ctrl-C: SIGINT/SIGTERM blocked outside pselect (or a self-pipe), shown by strace" {
  check_signal_race
}
