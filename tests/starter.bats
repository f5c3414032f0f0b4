#!/usr/bin/env bats
# The students' starter tree (tests/make-starter, make starter): the solution
# markers are balanced, the starter builds warning-free with the same flags,
# no solution code is left in it, and the grader runs on it to the end and
# gives 0 points to every stage whose solution was removed.  (That the
# reference gets full marks is make check-grader's job.)
# bats file_tags=starter

bats_require_minimum_version 1.5.0
load helpers/common

: "${BATS_TEST_TIMEOUT:=300}"

setup_file() {
  export STARTER_DIR="$BATS_FILE_TMPDIR/starter"
}

# bats test_tags=starter
@test "starter: every BEGIN SOLUTION marker is well formed and has its END" {
  run timeout 30 "$ROOT/tests/make-starter" --check
  ((status == 0)) || fail "$output"
}

# bats test_tags=starter
@test "starter: make starter builds warning-free, with no solution code left in it" {
  run timeout 60 "$ROOT/tests/make-starter" --out "$STARTER_DIR"
  ((status == 0)) || fail "tests/make-starter: $output"
  [[ -f $STARTER_DIR.tar.gz ]] || fail "no $STARTER_DIR.tar.gz"
  [[ ! -e $STARTER_DIR/tests/mutants ]] || fail "the mutants (patches of the solution) are in the starter"
  run timeout 300 make -C "$STARTER_DIR" -j2
  ((status == 0)) || fail "the starter does not build:
$output"
  ! grep -q 'warning:' <<<"$output" || fail "the starter builds with warnings:
$output"
  run timeout 30 "$ROOT/tests/make-starter" --verify "$STARTER_DIR"
  ((status == 0)) || fail "$output"
  grep -q 'TODO (stage 2)' "$STARTER_DIR/stages/select/kvserver.c" ||
    fail "no TODO in the starter's stages/select/kvserver.c"
}

# bats test_tags=starter
@test "starter: the grader runs to the end on it and gives 0 to stages 0, 1 and 2" {
  [[ -d $STARTER_DIR ]] || run timeout 60 "$ROOT/tests/make-starter" --out "$STARTER_DIR"
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
