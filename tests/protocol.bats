#!/usr/bin/env bats
# Unit tests of the request parser and glob matching (tests/protocol_test.c),
# run as they are and under valgrind.
# bats file_tags=common

load helpers/common

PROTOCOL_TEST="$BUILD_ROOT/tests/protocol_test"

setup() {
  [[ -x $PROTOCOL_TEST ]] || fail "not built: $PROTOCOL_TEST (run make)"
}

@test "protocol: parser cases, whole / byte by byte / random pieces" {
  run timeout 30 "$SANDBOX" "$PROTOCOL_TEST"
  [[ $status -eq 0 ]] || fail "parser unit tests failed:
$output"
  assert_output --regexp '[0-9]+ passed, 0 failed$'
}

@test "protocol: parser cases under valgrind: no errors, no leaks" {
  skip_if_asan "$PROTOCOL_TEST"
  local log=$BATS_TEST_TMPDIR/valgrind.log
  run timeout 120 "$SANDBOX" valgrind --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=all --errors-for-leak-kinds=all --log-file="$log" "$PROTOCOL_TEST"
  [[ $status -eq 0 ]] || fail "exit status $status under valgrind; its report:
$(cat "$log")"
}
