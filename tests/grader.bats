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

@test "grader: the handout's milestone table gives each milestone the points the tests carry" {
  run --separate-stderr timeout 30 "$ROOT/tests/grade" --list-milestones
  ((status == 0)) || fail "tests/grade --list-milestones: status $status"
  local id pts title row got
  while read -r id pts title; do
    [[ $id == 3* ]] && continue                  # stage 3 lives in docs/going-further.md
    row=$(grep -E "^\| ☐ \| $id \|" "$ROOT/handout.md") || fail "no row for milestone $id in handout.md's table"
    got=$(awk -F'|' '{gsub(/ /, "", $5); print $5}' <<<"$row")
    [[ $got == "$pts" ]] || fail "handout.md says milestone $id is worth $got points; its tests carry $pts"
  done <<<"$output"
}

@test "grader: every milestone has its section, 'Milestone ID — title', where failures send students" {
  run --separate-stderr timeout 30 "$ROOT/tests/grade" --list-milestones
  ((status == 0)) || fail "tests/grade --list-milestones: status $status"
  local id pts title doc
  while read -r id pts title; do
    doc=$ROOT/handout.md
    [[ $id == 3* ]] && doc=$ROOT/docs/going-further.md
    grep -qxF "### Milestone $id — $title" "$doc" ||
      fail "no section '### Milestone $id — $title' in ${doc#"$ROOT"/}"
  done <<<"$output"
}
