#!/usr/bin/env bats
# The hostile submissions of tests/hostile/ (fork bomb, results writer,
# hidden-test reader, signal ignorer, stdout flood, never ready, daemon,
# deleter, symlinks), graded as a class would be: one batch, two jobs at
# once, as root, so through the sandbox (tests/grade --sandbox, one user
# per job).  Not graded itself: no stage tag.  Needs root (the sandbox
# creates users and switches to them); skipped otherwise.
#
# To stay fast (about 2 minutes), only a few stage-1 tests are graded (those
# that start the "server" in different ways, the handler check on the
# sources, the usage errors) plus one hidden test; each tree attacks in
# every program it builds and in its Makefile, so these are enough to meet
# every attack.  tests/batch-check grades whole trees, beside the reference
# and mutants, and compares scores with and without the hostile trees.
#
# What is checked, one test each: every tree scores 0; the results files
# are the grader's; the hidden tests' text appears nowhere; no process of a
# sandbox user is left; the grader's tree is unchanged; all within a bound.
# bats file_tags=hostile

bats_require_minimum_version 1.5.0
load helpers/common

TREES=(fork-bomb results-writer hidden-reader ignore-signals stdout-flood
  never-ready daemon deleter symlinks)
FILTER="listening on 127|SIGINT with no client|async-signal-safe|usage errors|hidden:"
BATCH_BOUND=420          # seconds for the whole batch (measured: about 120)

setup_file() {
  ((EUID == 0)) || skip "grading hostile code needs the sandbox, which needs root"
  "$ROOT/tests/sandbox/setup-users" 2 >/dev/null 2>&1 ||
    skip "cannot create the sandbox users (tests/sandbox/setup-users 2)"
  command -v setpriv >/dev/null && command -v prlimit >/dev/null ||
    skip "setpriv and prlimit (util-linux) are needed by the sandbox"
  local w=$BATS_FILE_TMPDIR
  export W=$w
  # The gradebook directory is one the sandbox users can reach (as an
  # instructor's would be): what stops them must be the grader.
  local d=$w
  while [[ $d == "$BATS_RUN_TMPDIR"* && $d != / ]]; do chmod o+x "$d"; d=${d%/*}; done
  mkdir -m 0755 "$w/out"
  export MARKER="SECRET-MARKER-$RANDOM$RANDOM"
  export PLANTED="PLANTED-RESULTS-$RANDOM$RANDOM"
  echo "{\"score\": 1, \"output\": \"$PLANTED\"}" >"$w/out/planted.json"
  # The hidden tests, as an instructor keeps them: 0700.
  mkdir -m 0700 "$w/hidden"
  # (The @test line is printed, not written here: bats would take it for
  # a test of this file.)
  {
    printf '%s\n' 'load helpers/common' 'load helpers/server' 'SERVER_BIN=$KV_BLOCKING' \
      'teardown() { kill_started; }' '# bats test_tags=stage1,points:1'
    printf '%s "hidden: PING once more" {\n' '@test'
    printf '  local marker="%s"\n' "$MARKER"
    printf '%s\n' '  start_kv' "  exchange 'PING\r\n' '+PONG\r\n'" '}'
  } >"$w/hidden/hidden.bats"
  mkdir "$w/batch"
  local t
  for t in "${TREES[@]}"; do cp -a "$ROOT/tests/hostile/$t" "$w/batch/$t"; done
  git -C "$ROOT" status --porcelain >"$w/git-before" 2>&1 || true
  local start=$SECONDS
  BATCH_STATUS=0
  timeout -k 10 "$BATCH_BOUND" "$ROOT/tests/grade" --batch "$w/batch" --jobs 2 \
    --csv "$w/out/gradebook.csv" --extra "$w/hidden" --stage stage1 --filter "$FILTER" \
    >"$w/batch.log" 2>&1 3>&- </dev/null || BATCH_STATUS=$?
  export BATCH_STATUS BATCH_SECONDS=$((SECONDS - start))
}

# column NAME FIELD: one field of the gradebook row of NAME.
column() {
  python3 - "$W/out/gradebook.csv" "$1" "$2" <<'PY'
import csv, sys
path, name, field = sys.argv[1:4]
rows = {r["name"]: r for r in csv.DictReader(open(path, newline=""))}
print(rows.get(name, {}).get(field, "(no row)"))
PY
}

# sandbox_pids: the processes of the sandbox users kvgrade0 and kvgrade1.
sandbox_pids() {
  local uids=" $(id -u kvgrade0) $(id -u kvgrade1) " status uid
  for status in /proc/[0-9]*/status; do
    uid=$(awk '/^Uid:/ {print $2}' "$status" 2>/dev/null) || continue
    [[ -n $uid && $uids == *" $uid "* ]] && echo "${status//[^0-9]/}"
  done
  return 0
}

show_batch() {
  echo "--- the batch's output ($W/batch.log):"
  tail -30 "$W/batch.log"
}

@test "hostile: the batch of 9 hostile trees ends, within ${BATCH_BOUND} s, each graded" {
  ((BATCH_STATUS == 0)) || fail "tests/grade --batch exited with status $BATCH_STATUS after $BATCH_SECONDS s
$(show_batch)"
  local t status
  for t in "${TREES[@]}"; do
    status=$(column "$t" status)
    [[ $status == graded* ]] || fail "$t: status '$status' in the gradebook, expected graded
$(show_batch)"
  done
  echo "# batch of ${#TREES[@]} trees: $BATCH_SECONDS s" >&3
}

@test "hostile: every hostile tree scores 0" {
  local t got bad=""
  for t in "${TREES[@]}"; do
    got=$(column "$t" total)
    [[ $got == 0 || $got == 0.0 ]] || bad+=" $t=$got"
  done
  [[ -z $bad ]] || fail "hostile trees that scored points:$bad
$(show_batch)"
}

@test "hostile: the results are the grader's: no forged score, the planted results file intact" {
  run grep -rl HOSTILE-RESULTS-WRITER "$W/out"
  ((status == 1)) || fail "a forged results file: $output"
  local t
  for t in "${TREES[@]}"; do
    [[ -f $W/out/gradebook.d/$t.json && ! -L $W/out/gradebook.d/$t.json ]] ||
      fail "$t: no results file, or a link: $(ls -l "$W/out/gradebook.d/$t.json" 2>&1)"
    [[ $(stat -c %u "$W/out/gradebook.d/$t.json") == 0 ]] || fail "$t: results file not root's"
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); assert r["tests"] and r["score"] == 0' \
      "$W/out/gradebook.d/$t.json" || fail "$t: results.json is not the grader's"
  done
  [[ $(cat "$W/out/planted.json") == "{\"score\": 1, \"output\": \"$PLANTED\"}" ]] ||
    fail "the planted results file was changed: $(cat "$W/out/planted.json")"
  run grep -rl "$PLANTED" "$W/out/gradebook.d" "$W/batch.log"
  ((status == 1)) || fail "the planted results file was read: $output"
}

@test "hostile: the hidden test ran and its text appears in no output; the hidden file is intact" {
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
assert [t for t in r["tests"] if t["name"].endswith("hidden: PING once more") and t["visibility"] == "hidden"]' \
    "$W/out/gradebook.d/never-ready.json" ||
    fail "the hidden test was not graded, or not as hidden (so this check proves nothing)"
  run grep -rl -- "$MARKER" "$W/out" "$W/batch.log"
  ((status == 1)) || fail "the hidden test's text leaked into: $output"
  grep -q -- "$MARKER" "$W/hidden/hidden.bats" || fail "the hidden test file was changed"
  [[ $(stat -c %a "$W/hidden") == 700 ]] || fail "the hidden directory's mode changed"
  run grep -rl -- 'root:[^:]*:[0-9]*:' "$W/out"
  ((status == 1)) || fail "/etc/shadow leaked into: $output"
}

@test "hostile: no process of a sandbox user is left" {
  local left
  left=$(sandbox_pids)
  [[ -z $left ]] || fail "processes of kvgrade0/kvgrade1 still running: $(for p in $left; do
    tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null; echo " (pid $p)"; done)"
}

@test "hostile: the grader's tree is unchanged (git status), the hostile trees too" {
  local after
  after=$(git -C "$ROOT" status --porcelain 2>&1 || true)
  [[ $after == "$(cat "$W/git-before")" ]] || fail "git status changed during the batch:
--- before:
$(cat "$W/git-before")
--- after:
$after"
  local t
  for t in "${TREES[@]}"; do
    diff -r --no-dereference "$ROOT/tests/hostile/$t" "$W/batch/$t" >/dev/null 2>&1 ||
      fail "the submitted tree $t was changed by its grading: $(diff -rq --no-dereference "$ROOT/tests/hostile/$t" "$W/batch/$t" 2>&1 | head -5)"
  done
}
