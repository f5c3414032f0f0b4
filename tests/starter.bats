#!/usr/bin/env bats
# The students' starter tree (tests/make-starter, make starter): the solution
# markers are balanced; the starter builds warning-free with the same flags;
# it holds no solution code and none of the instructors' material; it has
# the students' README, every make target that README names, and the
# reference's programs in ref/, which run; make submission packs what a
# student hands in; and the grader runs on it to the end and gives 0 points
# to every stage whose solution was removed.  (That the reference gets full
# marks is make check-grader's job.)
# bats file_tags=starter

bats_require_minimum_version 1.5.0
load helpers/common

: "${BATS_TEST_TIMEOUT:=300}"

# Instructors' files: they say how the grader is checked, hold patches of
# the solution, or describe the reference; none belongs in the starter.
INSTRUCTORS_ONLY=(
  INSTRUCTORS.md .ci tests/mutants tests/check-grader tests/starter-stubs
  tests/make-starter tests/starter.bats tests/starter-readme.md bench/results
)

setup_file() {
  export STARTER_DIR="$BATS_FILE_TMPDIR/starter"
}

# ensure_starter: the starter made by an earlier test of this file, or made
# now (when a --filter runs a test alone).
ensure_starter() {
  [[ -d $STARTER_DIR ]] && return 0
  run timeout 120 "$ROOT/tests/make-starter" --out "$STARTER_DIR"
  ((status == 0)) || fail "tests/make-starter --out $STARTER_DIR: $output"
}

# bats test_tags=starter
@test "starter: every BEGIN SOLUTION marker is well formed and has its END" {
  run timeout 30 "$ROOT/tests/make-starter" --check
  ((status == 0)) || fail "$output"
}

# bats test_tags=starter
@test "starter: make starter builds warning-free, with no solution code left in it" {
  run timeout 120 "$ROOT/tests/make-starter" --out "$STARTER_DIR"
  ((status == 0)) || fail "tests/make-starter: $output"
  [[ -f $STARTER_DIR.tar.gz ]] || fail "no $STARTER_DIR.tar.gz"
  run timeout 300 make -C "$STARTER_DIR" -j2
  ((status == 0)) || fail "the starter does not build:
$output"
  ! grep -q 'warning:' <<<"$output" || fail "the starter builds with warnings:
$output"
  run timeout 30 "$ROOT/tests/make-starter" --verify "$STARTER_DIR"
  ((status == 0)) || fail "$output"
  grep -q 'TODO (stage 2' "$STARTER_DIR/stages/select/kvserver.c" ||
    fail "no TODO in the starter's stages/select/kvserver.c"
}

# bats test_tags=starter
@test "starter: no instructors' material, the students' README, no instructors' make targets" {
  ensure_starter
  local path found=()
  for path in "${INSTRUCTORS_ONLY[@]}"; do
    [[ ! -e $STARTER_DIR/$path ]] || found+=("$path")
  done
  ((${#found[@]} == 0)) || fail "instructors' material in the starter: ${found[*]}
hint: tests/make-starter's INSTRUCTORS_PREFIXES / INSTRUCTORS_FILES leave these out"
  cmp -s "$ROOT/tests/starter-readme.md" "$STARTER_DIR/README.md" ||
    fail "the starter's README.md is not tests/starter-readme.md (the instructors' README leaked?)"
  local target
  for target in starter check-grader; do
    run timeout 30 make -C "$STARTER_DIR" -n "$target"
    ((status != 0)) || fail "the starter's Makefile offers 'make $target', whose script is not there:
$output"
  done
}

# bats test_tags=starter
@test "starter: the reference programs in ref/ are stripped and run" {
  ensure_starter
  local program
  for program in signal_demo kvserver-blocking kvserver; do
    [[ -x $STARTER_DIR/ref/$program ]] || fail "no executable ref/$program in the starter"
    [[ -z $(nm "$STARTER_DIR/ref/$program" 2>/dev/null) ]] ||
      fail "ref/$program has a symbol table: it names the reference's functions (strip it)"
  done
  run timeout 10 "$STARTER_DIR/ref/kvserver" -h
  ((status == 0)) && [[ $output == usage:* ]] ||
    fail "ref/kvserver -h: exit status $status, expected 0 and the usage; output:
$output"
  run timeout 10 "$STARTER_DIR/ref/kvserver-blocking" -h
  ((status == 0)) || fail "ref/kvserver-blocking -h: exit status $status, expected 0:
$output"
  run timeout 10 "$STARTER_DIR/ref/signal_demo" --help
  ((status == 0)) || fail "ref/signal_demo --help: exit status $status, expected 0:
$output"
}

# bats test_tags=starter
@test "starter: every make target the students' README names exists in the starter" {
  ensure_starter
  # `make [VAR=value...] TARGET` at the start of a line or of inline code
  # in the README; plain `make` is `all`.
  local targets
  targets=$(grep -oE '(^|`)make( +[A-Z_]+=[^ `]+)*( +[a-z][a-z-]*)?' "$STARTER_DIR/README.md" |
    awk '{ t = "all"; for (i = 2; i <= NF; i++) if ($i !~ /=/) t = $i; print t }' | sort -u)
  [[ $targets == *grade* && $targets == *submission* ]] ||
    fail "found no 'make grade' / 'make submission' in the README; targets found: $targets"
  local target missing=()
  for target in $targets; do
    timeout 60 make -C "$STARTER_DIR" -n "$target" >/dev/null 2>&1 || missing+=("$target")
  done
  ((${#missing[@]} == 0)) || fail "the README names 'make ${missing[*]}', which the starter's Makefile does not have (make -n fails)"
}

# bats test_tags=starter
@test "starter: make submission packs the sources, without builds or ref/" {
  ensure_starter
  local copy=$BATS_TEST_TMPDIR/student
  cp -a "$STARTER_DIR" "$copy"
  run timeout 120 make -C "$copy" submission
  ((status == 0)) || fail "make submission: exit status $status:
$output"
  run tar -tzf "$copy/submission.tar.gz"
  ((status == 0)) || fail "tar -tzf submission.tar.gz: $output"
  [[ $output == *./stages/select/kvserver.c* && $output == *./Makefile* ]] ||
    fail "submission.tar.gz lacks the sources; it holds:
$output"
  ! grep -qE '^\./(ref|build)/|^\./stages/select/kvserver$|\.aof$' <<<"$output" ||
    fail "submission.tar.gz holds builds, stores or ref/:
$(grep -E '^\./(ref|build)/|^\./stages/select/kvserver$|\.aof$' <<<"$output" | head)"
}

# bats test_tags=starter
@test "starter: the grader runs to the end on it and gives 0 to stages 0, 1 and 2" {
  ensure_starter
  local json=$BATS_TEST_TMPDIR/results.json
  run timeout 600 "$ROOT/tests/grade" --student "$STARTER_DIR" --stage stage0 \
    --stage stage1 --stage stage2 --json "$json" --quiet
  ((status == 0)) || fail "tests/grade exited with status $status:
$output"
  run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
scored = [t["name"] for t in d["tests"] if t["score"] > 0]
print("%g of %g points; tests scoring: %s" % (d["score"], d["max_score"], scored))
sys.exit(1 if d["score"] > 0 or d["max_score"] == 0 else 0)' "$json"
  ((status == 0)) || fail "the starter must score 0 on the stages students write: $output"
}
