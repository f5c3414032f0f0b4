# Shared helpers for every bats file: where the programs are, starting a
# program in the background, waiting for its ready line, stopping it by pid.
#
# Usage, at the top of a .bats file:
#     load helpers/common
#     teardown() { kill_started; }
#
# Rules these helpers enforce (see ../shared/testing-notes.md):
#   - background processes close bats' fd 3 (3>&-), or bats would hang;
#   - every process is remembered by pid and killed in teardown, never by name;
#   - waiting is polling with a bound, never a bare sleep;
#   - servers listen on port 0 and the test reads the real port from the
#     ready line "listening on <addr>:<port>".

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
# Where the binaries are: the tree itself, or build/sanitize for SANITIZE=1,
# or a student's tree when the grader sets it.
BIN_ROOT="${BIN_ROOT:-$ROOT}"
BUILD_ROOT="${BUILD_ROOT:-$ROOT/build/release}"
SIGNAL_DEMO="${SIGNAL_DEMO:-$BIN_ROOT/signal_demo/signal_demo}"
KV_BLOCKING="${KV_BLOCKING:-$BIN_ROOT/stages/blocking/kvserver-blocking}"
KV_SELECT="${KV_SELECT:-$BIN_ROOT/stages/select/kvserver}"
KV_EPOLL="${KV_EPOLL:-$BIN_ROOT/stages/epoll/kvserver-epoll}"
CLIENT_PY="$ROOT/client.py"
RESP="$ROOT/tests/helpers/resp.py"

# Every student program a test starts goes through "$SANDBOX" (put it first,
# before valgrind or strace, after timeout).  With KV_SANDBOX_UID set (the
# grader, as root, with --sandbox), it runs as that unprivileged user, under
# limits (tests/sandbox/exec), in the process group of the `timeout` in
# front of it, if any; every process of that user is killed after each test
# (kill_started).  Unset, it runs the command unchanged.
SANDBOX="$ROOT/tests/sandbox/exec"
if [[ -n ${KV_SANDBOX_UID:-} ]]; then
  # bats runs under umask 077 (the grader's choice: its preprocessed test
  # sources, hidden ones included, are then 0600 in BATS_RUN_TMPDIR).  The
  # student's programs must still reach this test's directory: traverse the
  # run directory (0711, no listing), create files in the test's (1777,
  # sticky), read what the test prepares for them (umask 022).
  chmod 0711 "$BATS_RUN_TMPDIR" "$BATS_RUN_TMPDIR/test" 2>/dev/null
  # A student's process that keeps a test's pipe open (a fork bomb's
  # survivors, a child holding stdout) would keep `run` waiting for ever:
  # bats 1.8.2's BATS_TEST_TIMEOUT does not stop it.  Once this test has
  # run that long, every process of the sandbox user is killed; the test
  # then fails on its own.  The watchdog ends with the test.
  sandbox_watchdog() {
    local test_pid=$1 secs=$2 i
    for ((i = 0; i < secs * 5; i++)); do
      sleep 0.2
      kill -0 "$test_pid" 2>/dev/null || return 0
    done
    "$ROOT/tests/sandbox/kill-user" "$KV_SANDBOX_UID"
  }
  # In a test only (bats also reads this file to list the tests).
  if [[ -n ${BATS_TEST_TMPDIR:-} && -d $BATS_TEST_TMPDIR ]]; then
    chmod 1777 "$BATS_TEST_TMPDIR"
    umask 022
    test_pid=$BASHPID                  # expanded after the fork, it would be the watchdog's
    sandbox_watchdog "$test_pid" "${BATS_TEST_TIMEOUT:-120}" </dev/null >/dev/null 2>&1 3>&- &
    disown
  fi
fi

STARTED_PIDS=()

# start_bg OUT ERR CMD [ARGS...]: start CMD in the background with stdout in
# OUT and stderr in ERR; sets BG_PID and remembers it for kill_started.
start_bg() {
  local out=$1 err=$2
  shift 2
  "$@" >"$out" 2>"$err" </dev/null 3>&- &
  BG_PID=$!
  STARTED_PIDS+=("$BG_PID")
}

# is_running PID: true while PID exists and is not a zombie waiting for wait.
is_running() {
  local state
  [[ -r /proc/$1/stat ]] || return 1
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

# exit_status_text STATUS: "exit status N", or "killed by signal N (SIGNAME)"
# for a shell status above 128.
exit_status_text() {
  local st=$1
  if ((st > 128 && st < 160)); then
    echo "killed by signal $((st - 128)) (SIG$(kill -l $((st - 128)) 2>/dev/null))"
  else
    echo "exit status $st"
  fi
}

# show_output HEADING FILE: FILE under its own heading, "(empty)" if empty.
show_output() {
  echo "--- $1 ($2):"
  if [[ -s $2 ]]; then tail -40 "$2"; else echo "(empty)"; fi
}

# wait_for_line FILE REGEX SECONDS PID [ERRFILE]: poll FILE until a line
# matches REGEX.  Fails early if PID exits first.  On failure, says why
# (with PID's exit status or signal), then shows FILE as its stdout and
# ERRFILE as its stderr, each under its own heading.
wait_for_line() {
  local file=$1 regex=$2 secs=$3 pid=$4 errfile=${5:-} i
  for ((i = 0; i < secs * 50; i++)); do
    grep -Eq -- "$regex" "$file" 2>/dev/null && return 0
    if ! is_running "$pid"; then
      grep -Eq -- "$regex" "$file" 2>/dev/null && return 0
      local st=0
      wait "$pid" 2>/dev/null || st=$?
      {
        echo "the process (pid $pid) ended, $(exit_status_text "$st"), before printing a line matching /$regex/"
        show_output "its stdout" "$file"
        [[ -n $errfile ]] && show_output "its stderr" "$errfile"
      } >&2
      return 1
    fi
    sleep 0.02
  done
  {
    echo "no line matching /$regex/ within ${secs} s (the process, pid $pid, is still running)"
    show_output "its stdout" "$file"
    [[ -n $errfile ]] && show_output "its stderr" "$errfile"
  } >&2
  return 1
}

# wait_until SECONDS CMD [ARGS...]: poll CMD until it succeeds, at most SECONDS.
wait_until() {
  local secs=$1 i
  shift
  for ((i = 0; i < secs * 50; i++)); do
    "$@" && return 0
    sleep 0.02
  done
  return 1
}

# wait_exit PID SECONDS: wait for PID to exit (bounded); sets EXIT_STATUS.
# Returns 1 if it is still running after SECONDS.
wait_exit() {
  local pid=$1 secs=$2
  wait_until "$secs" eval "! is_running $pid" || return 1
  EXIT_STATUS=0
  wait "$pid" 2>/dev/null || EXIT_STATUS=$?
  return 0
}

# stop_pid PID: SIGTERM, up to 2 s to exit, then SIGKILL.
stop_pid() {
  local pid=$1
  is_running "$pid" || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  wait_exit "$pid" 2 && return 0
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

# kill_started: teardown — stop everything this test started.  In the
# sandbox, then every process of the sandbox user, wherever it went (a
# double-forked daemon, a fork bomb's children): the next test starts clean.
kill_started() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do stop_pid "$pid"; done
  STARTED_PIDS=()
  if [[ -n ${KV_SANDBOX_UID:-} ]]; then
    "$ROOT/tests/sandbox/kill-user" "$KV_SANDBOX_UID" >&2 || true
  fi
}

# start_server BIN [ARGS...]: start a kvserver on port 0 with a store file in
# the test's temporary directory (unless ARGS give -d) and wait for its ready
# line.  Sets SERVER_PID, SERVER_PORT, SERVER_OUT, SERVER_ERR, SERVER_STORE.
start_server() {
  local bin=$1
  shift
  [[ -x $bin ]] || { echo "server binary not built: $bin (run make)" >&2; return 1; }
  SERVER_STORE=${SERVER_STORE:-$BATS_TEST_TMPDIR/store.aof}
  SERVER_OUT=$BATS_TEST_TMPDIR/server.out
  SERVER_ERR=$BATS_TEST_TMPDIR/server.err
  local args=(-p 0) given=("$@") i
  for ((i = 0; i < ${#given[@]}; i++)); do
    [[ ${given[i]} == -d ]] && SERVER_STORE=${given[i + 1]:-}
  done
  [[ " $* " == *" -d "* ]] || args+=(-d "$SERVER_STORE")
  # Empty now, not in the background child: on a restart, the previous
  # server's ready line must not be taken for the new one's.
  : >"$SERVER_OUT"
  : >"$SERVER_ERR"
  start_bg "$SERVER_OUT" "$SERVER_ERR" "$SANDBOX" "$bin" "${args[@]}" "$@"
  SERVER_PID=$BG_PID
  if ! wait_for_line "$SERVER_OUT" '^listening on .*:[0-9]+$' 5 "$SERVER_PID" "$SERVER_ERR"; then
    echo "hint: the server must print its ready line 'listening on ADDR:PORT' on stdout (then fflush)" >&2
    echo "ran: $bin ${args[*]} $*" >&2
    return 1
  fi
  SERVER_PORT=$(sed -nE 's/^listening on .*:([0-9]+)$/\1/p' "$SERVER_OUT" | head -1)
}

# skip_if_asan PROGRAM: skip the test when PROGRAM was built with
# AddressSanitizer (make SANITIZE=1): valgrind cannot run it, and ASan
# already checks what the valgrind test would.
skip_if_asan() {
  if grep -qa __asan_init "$1" 2>/dev/null; then
    skip "$1 is built with AddressSanitizer, which valgrind cannot run"
  fi
}

# capped CMD...: runs CMD with its stdout and its stderr each cut at 64 KiB,
# and returns CMD's exit status.  For `run` on a student's program: bats
# keeps all that `run` captures in memory (a program that floods its output
# would make a test hold gigabytes), and waits for the end of a pipe that a
# program's daemonized child may hold open for ever.  So the output goes to
# files (at most 2 MiB each: past it a write fails, or SIGXFSZ ends the
# program), and only their first 64 KiB is passed on.
capped() {
  local dir st=0
  dir=$(mktemp -d "${BATS_TEST_TMPDIR:-/tmp}/capped.XXXXXX")
  (ulimit -f 2048 && exec "$@") >"$dir/out" 2>"$dir/err" || st=$?
  head -c 65536 "$dir/out"
  head -c 65536 "$dir/err" >&2
  rm -rf "$dir"
  return "$st"
}
