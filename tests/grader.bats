#!/usr/bin/env bats
# The grader's own promises (not graded): every test of a stage students
# write belongs to one milestone, the milestones are small, and a milestone
# can be graded on its own.
# bats file_tags=grader

bats_require_minimum_version 1.5.0
load helpers/common

@test "grader: every stage 0-2 test has a milestone; at least 12 milestones, 5 in stage 2, none over 25 points" {
  run --separate-stderr timeout 30 "$ROOT/tests/grade" --list-milestones
  ((status == 0)) || fail "tests/grade --list-milestones: status $status
$stderr"
  local n stage2 over
  n=$(grep -c . <<<"$output")
  stage2=$(grep -c '^2' <<<"$output")
  over=$(awk '$2 > 25' <<<"$output")
  ((n >= 12)) || fail "only $n milestones:
$output"
  ((stage2 >= 5)) || fail "only $stage2 milestones in stage 2:
$output"
  [[ -z $over ]] || fail "milestones over 25 points:
$over"
  ! awk '$2 == 0' <<<"$output" | grep -q . || fail "milestones with no test:
$(awk '$2 == 0' <<<"$output")"
}

@test "grader: --milestone grades that milestone alone and names the next one" {
  run --separate-stderr timeout 120 "$ROOT/tests/grade" --milestone 0c
  ((status == 0)) || fail "tests/grade --milestone 0c: status $status
$output
$stderr"
  [[ $output == *"0c  --no-restart"*"passed"* ]] ||
    fail "expected a progress line for 0c marked passed; got:
$output"
  ! grep -qE '^(0a|0b|0d|1|2)' <<<"$output" || fail "other milestones were graded:
$output"
}
