#!/usr/bin/env bats
# The grading sandbox itself (tests/sandbox/*), not graded: no stage tag.
# Needs root and the sandbox users (tests/sandbox/setup-users); skipped
# otherwise.  Run: bats tests/sandbox.bats
#
# Each test starts its programs through tests/sandbox/exec as kvgrade0 and
# checks one promise the grader relies on: same PID, other uid, limits,
# no way back to root, every process killable by uid, a private network.

bats_require_minimum_version 1.5.0
load helpers/common

SANDBOX=$ROOT/tests/sandbox
SBX_USER=kvgrade0
PYTHON=${PYTHON:-python3}

setup() {
  ((EUID == 0)) || skip "the sandbox needs root"
  id -u "$SBX_USER" >/dev/null 2>&1 || skip "no user $SBX_USER: run tests/sandbox/setup-users"
  SBX_UID=$(id -u "$SBX_USER")
  export KV_SANDBOX_UID=$SBX_UID
  chmod 1777 "$BATS_TEST_TMPDIR"
  chmod o+x "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test"
}

teardown() {
  kill_started
  [[ -n ${SBX_UID:-} ]] && "$SANDBOX/kill-user" "$SBX_UID"
  return 0
}

# reachable_server: a copy of the select server the sandbox user can run
# (this tree may sit under a directory it cannot enter, a clone in /root;
# a student's tree never does when graded: tests/grade copies it).
reachable_server() {
  local server=$BATS_TEST_TMPDIR/kvserver
  cp "$KV_SELECT" "$server" && chmod 0755 "$server" && echo "$server"
}

# uid_of PID: the real uid of PID.
uid_of() { awk '/^Uid:/ {print $2}' "/proc/$1/status"; }

@test "sandbox: exec keeps the PID and runs the server as the sandbox user" {
  SERVER_STORE=$BATS_TEST_TMPDIR/store.aof
  local server
  server=$(reachable_server)
  start_bg "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/err" "$SANDBOX/exec" "$server" -p 0 -d "$SERVER_STORE"
  SERVER_PID=$BG_PID
  wait_for_line "$BATS_TEST_TMPDIR/out" '^listening on .*:[0-9]+$' 5 "$SERVER_PID"
  SERVER_PORT=$(sed -nE 's/^listening on .*:([0-9]+)$/\1/p' "$BATS_TEST_TMPDIR/out")
  [[ $(readlink "/proc/$SERVER_PID/exe") == "$(readlink -f "$server")" ]] ||
    fail "the recorded pid $SERVER_PID is $(readlink "/proc/$SERVER_PID/exe"), not the server"
  [[ $(uid_of "$SERVER_PID") == "$SBX_UID" ]] || fail "the server runs as uid $(uid_of "$SERVER_PID"), not $SBX_UID"
  run timeout 5 "$PYTHON" "$RESP" "$SERVER_PORT" --send 'PING\r\n' --expect '+PONG\r\n'
  assert_success
  [[ $(stat -c %u "$SERVER_STORE") == "$SBX_UID" ]] || fail "the store file is not the sandbox user's"
}

@test "sandbox: limits, no capabilities, no_new_privs, no supplementary group" {
  run --separate-stderr timeout 5 "$SANDBOX/exec" bash -c \
    'echo "$(id -u) $(id -G) $(ulimit -u) $(ulimit -t) $(ulimit -f) $(ulimit -v) $(ulimit -n)";
     grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status | tr -s "\t\n" "  "'
  assert_success
  local gid
  gid=$(id -g "$SBX_USER")
  assert_line --index 0 "$SBX_UID $gid 256 300 1048576 4194304 16384"
  assert_line --index 1 --partial "CapEff: 0000000000000000 CapBnd: 0000000000000000 NoNewPrivs: 1"
  # The hard limits too: the program cannot raise them back.
  run timeout 5 "$SANDBOX/exec" bash -c 'ulimit -n 32768'
  assert_failure
  # KV_SANDBOX_LIMITS overrides; valgrind gets no address-space limit.
  run timeout 5 env KV_SANDBOX_LIMITS="nproc=10 as=0" "$SANDBOX/exec" bash -c 'echo $(ulimit -u) $(ulimit -v)'
  assert_output "10 unlimited"
}

@test "sandbox: without KV_SANDBOX_UID, exec runs the command unchanged" {
  unset KV_SANDBOX_UID
  run timeout 5 "$SANDBOX/exec" bash -c 'echo "$(id -u) $(ulimit -u)"'
  assert_output "0 $(ulimit -u)"
}

@test "sandbox: a 0700 root file and directory are out of reach, and setuid cannot help" {
  local secret=$BATS_TEST_TMPDIR/secret
  mkdir -m 0700 "$secret"
  echo hidden-test-text >"$secret/hidden.bats"
  run timeout 5 "$SANDBOX/exec" cat "$secret/hidden.bats"
  assert_failure
  refute_output --partial hidden-test-text
  run timeout 5 "$SANDBOX/exec" bash -c "echo x > $secret/results.json"
  assert_failure
  # su / a setuid binary gives nothing back under no_new_privs.
  run timeout 5 "$SANDBOX/exec" su -c id root </dev/null
  assert_failure
}

@test "sandbox: a test's prepared store file is handed over, never through a symlink" {
  local store=$BATS_TEST_TMPDIR/prepared.aof link=$BATS_TEST_TMPDIR/link.aof
  printf '*1\r\n$4\r\nPING\r\n' >"$store"
  ln -s /etc/passwd "$link"
  run timeout 5 "$SANDBOX/exec" bash -c "echo >>$store && echo >>$link" "$store" "$link"
  # The store became the sandbox user's; the link's target did not.
  [[ $(stat -c %u "$store") == "$SBX_UID" ]] || fail "the prepared store file was not handed over"
  [[ $(stat -c %u /etc/passwd) == 0 ]] || fail "/etc/passwd changed owner!"
  run timeout 5 "$SANDBOX/exec" bash -c "echo >>$link" x "$link"
  assert_failure
}

@test "sandbox: kill-user kills a double-forked daemon that left the process group" {
  local pidfile=$BATS_TEST_TMPDIR/daemon.pid
  # setsid + a subshell that exits: the daemon is re-parented to init, in a
  # session and process group of its own, and eats CPU.
  timeout 5 "$SANDBOX/exec" bash -c \
    "( setsid bash -c 'echo \$\$ > $pidfile; while :; do :; done' </dev/null >/dev/null 2>&1 & ) ; exit 0"
  wait_until 5 test -s "$pidfile" || fail "the daemon never wrote its pid"
  local daemon
  daemon=$(cat "$pidfile")
  is_running "$daemon" || fail "the daemon is not running"
  [[ $(uid_of "$daemon") == "$SBX_UID" ]] || fail "the daemon runs as $(uid_of "$daemon")"
  run timeout 10 "$SANDBOX/kill-user" "$SBX_UID"
  assert_success
  ! is_running "$daemon" || fail "the daemon $daemon survived kill-user"
}

@test "sandbox: a fork bomb stops at the process limit and kill-user clears it within 5 s" {
  # Each bash forks two copies of itself, forever; RLIMIT_NPROC=64 stops it.
  start_bg "$BATS_TEST_TMPDIR/bomb.out" "$BATS_TEST_TMPDIR/bomb.err" env KV_SANDBOX_LIMITS="nproc=64" \
    "$SANDBOX/exec" bash -c 'b() { b & b & wait; }; b'
  local i n=0
  for ((i = 0; i < 100; i++)); do
    n=$(ps -u "$SBX_UID" --no-headers | wc -l)
    ((n >= 64)) && break
    sleep 0.05
  done
  ((n <= 64)) || fail "$n processes of uid $SBX_UID: more than the limit 64"
  local start=$SECONDS
  run timeout 10 "$SANDBOX/kill-user" "$SBX_UID"
  assert_success
  ((SECONDS - start <= 5)) || fail "kill-user took $((SECONDS - start)) s"
  n=$(ps -u "$SBX_UID" --no-headers | wc -l)
  ((n == 0)) || fail "$n processes of uid $SBX_UID left"
}

@test "sandbox: run-isolated gives a network namespace with loopback only, up" {
  unshare --net true 2>/dev/null || skip "the kernel refuses unshare --net here"
  run --separate-stderr timeout 10 "$SANDBOX/run-isolated" bash -c \
    'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; ip -o link show lo | grep -o "state [A-Z]*\|UP"'
  assert_success
  assert_line --index 0 lo
  [[ ${#lines[@]} -ge 2 && ${lines[1]} == UP ]] || fail "lo is not up: $output"
  [[ -z $stderr ]] || fail "run-isolated said: $stderr"
  # A server in there is reachable on 127.0.0.1, and not from outside.
  local server
  server=$(reachable_server)
  run timeout 20 "$SANDBOX/run-isolated" bash -c "
    $SANDBOX/exec $server -p 0 -d $BATS_TEST_TMPDIR/ns.aof >$BATS_TEST_TMPDIR/ns.out 3>&- &
    for i in \$(seq 100); do grep -q listening $BATS_TEST_TMPDIR/ns.out && break; sleep 0.05; done
    port=\$(sed -nE 's/.*:([0-9]+)\$/\1/p' $BATS_TEST_TMPDIR/ns.out)
    echo \$port > $BATS_TEST_TMPDIR/ns.port
    timeout 5 $PYTHON $RESP \$port --send 'PING\r\n' --expect '+PONG\r\n' && echo reached
    kill -INT %1; wait"
  assert_success
  assert_output --partial reached
  run timeout 5 "$PYTHON" "$RESP" "$(cat "$BATS_TEST_TMPDIR/ns.port")" --send 'PING\r\n' --expect '+PONG\r\n'
  assert_failure
}

@test "sandbox: run-isolated --tmp: a private tmpfs where no planted symlink is followed" {
  unshare --net --mount true 2>/dev/null || skip "the kernel refuses unshare --mount here"
  local dir=$BATS_TEST_TMPDIR/private
  mkdir "$dir"
  run --separate-stderr timeout 10 "$SANDBOX/run-isolated" --tmp "$dir" bash -c "
    mkdir -m 1777 $dir/t
    $SANDBOX/exec ln -s /etc/hostname $dir/t/expect
    echo overwritten > $dir/t/expect || echo refused
    touch $dir/inside"
  assert_output --partial refused
  [[ $(cat /etc/hostname) != overwritten ]] || fail "root wrote through the planted symlink"
  [[ ! -e $dir/inside ]] || fail "the private tmpfs leaked to the outside"
}
