#!/usr/bin/env bats
# The store (common/store.h), through its test program tests/store_test.c:
# the hash table, the append-only file, crash recovery, compaction, fsync
# policies, write errors, locking; and valgrind over the same scenarios.
#
# Scenarios that check themselves print "ok: ..." or their failed checks
# (expected vs got).  The others (script, dump) print what they see, and the
# test here compares it with what it expects.  Random data comes from SEED,
# printed in every failure; rerun one with:
#     SEED=1234 bats -f 'NAME' tests/store.bats
# bats file_tags=store

bats_require_minimum_version 1.5.0
load helpers/common

STORE_TEST="$BUILD_ROOT/tests/store_test"
: "${BATS_TEST_TIMEOUT:=120}"     # a backstop only: every call has its own timeout
: "${SEED:=$RANDOM}"

setup() {
  [[ -x $STORE_TEST ]] || fail "not built: $STORE_TEST (run make)"
  F=$BATS_TEST_TMPDIR/store.aof
}

# expect_success WHAT: the last `run` exited 0, else fail showing its output.
expect_success() {
  [[ $status -eq 0 ]] || fail "$1: expected exit status 0, got $status
--- output:
$output${stderr:+
--- stderr:
$stderr}"
}

# expect_same WHAT EXPECTED GOT: compare two texts, showing both.
expect_same() {
  [[ "$2" == "$3" ]] || fail "$1
--- expected:
$2
--- got:
$3"
}

# set_record KEY VALUE: the bytes of one SET record (plain ASCII arguments).
set_record() {
  printf '*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n' "${#1}" "$1" "${#2}" "$2"
}

size_of() { stat -c %s "$1"; }

# ------------------------------------------------------------------ memory

@test "store: SipHash-1-3 gives the published test vectors" {
  run timeout 10 "$SANDBOX" "$STORE_TEST" siphash
  expect_success "siphash"
}

@test "store: put, get, delete, overwrite, foreach, clear; over-limit keys and values refused, not truncated" {
  run timeout 20 "$SANDBOX" "$STORE_TEST" basic "$F"
  expect_success "basic operations"
}

@test "store: 1,000,000 keys: the table grows, then shrinks when they are deleted" {
  run timeout 60 "$SANDBOX" "$STORE_TEST" many "$F" 1000000
  expect_success "1M keys in and out"
  # e.g. "buckets: 0 at start, 1048576 after 1000000 puts (most 1179648), 4 after deleting all"
  assert_output --regexp 'after 1000000 puts .* [0-9]+ after deleting all'
}

# ------------------------------------------------------------------ disk

@test "store: binary keys and values (NUL, CR, LF) survive close and open" {
  run timeout 20 "$SANDBOX" "$STORE_TEST" binary "$F"
  expect_success "binary keys and values"
}

@test "store: binary keys and values survive a crash (the appended records are replayed)" {
  run timeout 10 "$SANDBOX" "$STORE_TEST" script "$F" set 'k\0ey' 'v\r\nal\0ue' set '\r\n' '\n' \
    set 'gone' 'x' del 'gone' set '*1\r\n$4\r\nPING' '$-1\r\n' sync crash
  [[ $status -eq 137 ]] || fail "the script should die by SIGKILL (status 137), got $status: $output"
  run --separate-stderr timeout 10 "$SANDBOX" "$STORE_TEST" dump "$F"
  expect_success "reopening after the crash"
  expect_same "keys after the crash (escaped: \\xNN)" \
'*1\x0d\x0a$4\x0d\x0aPING=$-1\x0d\x0a
\x0d\x0a=\x0a
k\x00ey=v\x0d\x0aal\x00ue
count=3' "$output"
}

@test "store: random mutations survive a crash and a close (compared with a model)" {
  run timeout 60 "$SANDBOX" "$STORE_TEST" persist "$F" 20000 "$SEED"
  expect_success "random mutations (SEED=$SEED)"
}

@test "store: store_close and store_compact rewrite the file as exactly one SET per live key" {
  local want=$BATS_TEST_TMPDIR/want
  set_record a 2 >"$want"
  run timeout 10 "$SANDBOX" "$STORE_TEST" script "$F" set a 1 set a 2 set b x del b set c 3 flush set a 2
  expect_success "the script"
  cmp -s "$want" "$F" || fail "the file after store_close:
--- expected:
$(od -c "$want")
--- got:
$(od -c "$F")"
  # Records still queued when store_compact runs are in the snapshot: the
  # queue must not be written after it.
  rm -f "$F"
  run timeout 10 "$SANDBOX" "$STORE_TEST" script "$F" set a 1 sync set a 2 set b x del b compact sync crash
  [[ $status -eq 137 ]] || fail "the script should die by SIGKILL (status 137), got $status: $output"
  cmp -s "$want" "$F" || fail "the file after store_compact (then a crash):
--- expected:
$(od -c "$want")
--- got:
$(od -c "$F")"
}

@test "store: a file cut at every byte inside its last record opens with the earlier records, and one warning naming the offset" {
  run timeout 10 "$SANDBOX" "$STORE_TEST" script "$F" set a 1 set b 2 sync crash
  [[ $status -eq 137 ]] || fail "first script: expected death by SIGKILL (137), got $status: $output"
  local start end n cut=$BATS_TEST_TMPDIR/cut.aof
  start=$(size_of "$F")
  run timeout 10 "$SANDBOX" "$STORE_TEST" script "$F" set 'c\r\n' 'x\r\ny\0z' sync crash
  [[ $status -eq 137 ]] || fail "second script: expected death by SIGKILL (137), got $status: $output"
  end=$(size_of "$F")
  ((end - start > 20)) || fail "the last record should be over 20 bytes, got $((end - start))"
  for ((n = start + 1; n < end; n++)); do
    head -c "$n" "$F" >"$cut"
    run --separate-stderr timeout 10 "$SANDBOX" "$STORE_TEST" dump "$cut"
    expect_success "file cut at byte $n of $end"
    expect_same "keys of the file cut at byte $n (its last record starts at $start)" \
      $'a=1\nb=2\ncount=2' "$output"
    expect_same "stderr for the file cut at byte $n: one warning" \
      "store: $cut: dropping incomplete record at byte $start (crash during a write?)" "$stderr"
    [[ $(size_of "$cut") -eq $start ]] ||
      fail "cut at byte $n: expected the file truncated back to $start bytes, got $(size_of "$cut")"
  done
}

# Each case: a name, then the bytes of a damaged record (printf format).
DAMAGE_CASES=(
  "unknown command|*3\r\n\$3\r\nSEX\r\n\$1\r\nb\r\n\$1\r\n2\r\n"
  "wrong number of arguments|*2\r\n\$3\r\nSET\r\n\$1\r\nb\r\n"
  "negative bulk length (protocol error)|*3\r\n\$3\r\nSET\r\n\$-5\r\nb\r\n\$1\r\n2\r\n"
  "bulk length one too long|*3\r\n\$3\r\nSET\r\n\$1\r\nb\r\n\$2\r\n2\r\n"
  "not a multibulk request|hello\r\n"
  "empty request|*0\r\n"
  "NUL inside a length|*3\r\n\$3\r\nSET\r\n\$\0001\r\nb\r\n\$1\r\n2\r\n"
)

@test "store: damage before the end refuses to open, naming the offset, and leaves the file untouched" {
  local c name bytes start copy=$BATS_TEST_TMPDIR/copy
  for c in "${DAMAGE_CASES[@]}"; do
    name=${c%%|*} bytes=${c#*|}
    { set_record a 1; printf "$bytes"; set_record z 26; } >"$F"
    start=$(set_record a 1 | wc -c)
    cp "$F" "$copy"
    run --separate-stderr timeout 10 "$SANDBOX" "$STORE_TEST" dump "$F"
    [[ $status -eq 1 ]] || fail "$name: expected the open refused (status 1), got $status: $output"
    [[ $stderr == *"bad record at byte $start:"* ]] ||
      fail "$name: expected an error naming \"bad record at byte $start:\", got: $stderr"
    cmp -s "$F" "$copy" || fail "$name: the refused file was modified"
  done
}

@test "store: a damaged last record (not a cut-short write) refuses to open" {
  local tail start
  for tail in '*3\r\n$x' '*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\rX' '*3\r\n$3\r\nSET\r\n$1\r\nbX'; do
    { set_record a 1; printf "$tail"; } >"$F"
    start=$(set_record a 1 | wc -c)
    run --separate-stderr timeout 10 "$SANDBOX" "$STORE_TEST" dump "$F"
    [[ $status -eq 1 && $stderr == *"bad record at byte $start:"* ]] ||
      fail "tail '$tail': expected refused (1) naming byte $start, got $status: $stderr"
  done
}

@test "store: opening rewrites a file over 64 KiB with more than twice as many records as keys" {
  local i args=()
  for ((i = 0; i < 2000; i++)); do args+=(set k "value $i, long enough to make a 60-byte record"); done
  run timeout 20 "$SANDBOX" "$STORE_TEST" script "$F" "${args[@]}" sync crash
  [[ $status -eq 137 ]] || fail "the script should die by SIGKILL (137), got $status: $output"
  (($(size_of "$F") > 65536)) || fail "setup: expected a file over 64 KiB, got $(size_of "$F") bytes"
  run timeout 10 "$SANDBOX" "$STORE_TEST" script "$F" crash        # open, then die without closing
  local want
  want=$(set_record k "value 1999, long enough to make a 60-byte record" | wc -c)
  [[ $(size_of "$F") -eq $want ]] ||
    fail "after opening: expected the file rewritten to one record ($want bytes), got $(size_of "$F")"
}

@test "store: opening leaves alone a small file, and a big one whose records are live" {
  local i args=() before
  for ((i = 0; i < 800; i++)); do args+=(set k "value $i, long enough to make a 60-byte record"); done
  run timeout 20 "$SANDBOX" "$STORE_TEST" script "$F" "${args[@]}" sync crash
  before=$(size_of "$F")
  ((before < 65536)) || fail "setup: expected a file under 64 KiB, got $before bytes"
  run timeout 10 "$SANDBOX" "$STORE_TEST" script "$F" crash
  [[ $(size_of "$F") -eq $before ]] || fail "a file of $before bytes (under 64 KiB) was rewritten at open"

  args=()
  for ((i = 0; i < 1500; i++)); do args+=(set "k$i" "value $i, long enough to make a 60-byte record"); done
  rm -f "$F"
  run timeout 20 "$SANDBOX" "$STORE_TEST" script "$F" "${args[@]}" sync crash
  before=$(size_of "$F")
  ((before > 65536)) || fail "setup: expected a file over 64 KiB, got $before bytes"
  run timeout 10 "$SANDBOX" "$STORE_TEST" script "$F" crash
  [[ $(size_of "$F") -eq $before ]] || fail "a file whose records are all live was rewritten at open"
}

@test "store: a rewrite killed before its rename leaves the old file intact; the next open removes its temporary file" {
  run timeout 10 "$SANDBOX" "$STORE_TEST" script "$F" set a 1 set a 2 set b 3 del b sync crash
  local orig=$BATS_TEST_TMPDIR/orig
  cp "$F" "$orig"
  run timeout 10 "$SANDBOX" "$STORE_TEST" crash-compact "$F"
  [[ $status -eq 137 ]] || fail "crash-compact: expected death by SIGKILL (137), got $status: $output"
  assert_output --partial "killed before renaming $F.tmp."
  cmp -s "$F" "$orig" || fail "the store file changed although the rewrite died before its rename"
  local leftovers=("$F".tmp.*)
  [[ -e ${leftovers[0]} ]] || fail "expected the dead rewrite's temporary file $F.tmp.<pid>"
  run --separate-stderr timeout 10 "$SANDBOX" "$STORE_TEST" dump "$F"
  expect_success "reopening"
  expect_same "keys after the interrupted rewrite" $'a=2\ncount=1' "$output"
  [[ $stderr == *"removing ${leftovers[0]}"* ]] || fail "expected a note removing ${leftovers[0]}, got: $stderr"
  [[ ! -e ${leftovers[0]} ]] || fail "the temporary file ${leftovers[0]} was not removed"
}

# ------------------------------------------------------------------ durability

@test "store: fsync always: one fsync per store_sync that wrote something" {
  run timeout 10 "$SANDBOX" "$STORE_TEST" fsync always "$F"
  expect_success "fsync always"
  expect_same "fsync always" "put, sync: fsyncs=1 waiting=no
sync with nothing queued: fsyncs=1 waiting=no
put, sync: fsyncs=2 waiting=no" "$output"
}

@test "store: fsync everysec: at most one fsync a second, and store_sync_timeout_ms says when" {
  run timeout 10 "$SANDBOX" "$STORE_TEST" fsync everysec "$F"
  expect_success "fsync everysec"
  expect_same "fsync everysec" "put, sync: fsyncs=0 waiting=yes
sync with nothing queued: fsyncs=0 waiting=yes
sync once the timeout expired: fsyncs=1 waiting=no
put, sync: fsyncs=1 waiting=yes" "$output"
}

@test "store: fsync no: never an fsync while open" {
  run timeout 10 "$SANDBOX" "$STORE_TEST" fsync no "$F"
  expect_success "fsync no"
  expect_same "fsync no" "put, sync: fsyncs=0 waiting=no
sync with nothing queued: fsyncs=0 waiting=no
put, sync: fsyncs=0 waiting=no" "$output"
}

@test "store: an unknown fsync policy is refused" {
  run timeout 10 "$SANDBOX" "$STORE_TEST" fsync sometimes "$F"
  [[ $status -eq 2 ]] || fail "policy 'sometimes': expected refused (status 2), got $status: $output"
  assert_output --partial "unknown fsync policy 'sometimes'"
}

@test "store: write errors: file cut back to its last record, writes refused until the disk accepts them, reads go on" {
  run timeout 20 "$SANDBOX" "$STORE_TEST" write-error "$F"
  expect_success "write errors (RLIMIT_FSIZE, writes fail with EFBIG)"
  assert_output --partial "put refused: store not writable"
}

@test "store: a second open of the same file is refused (by another process, by this one)" {
  run timeout 10 "$SANDBOX" "$STORE_TEST" lock "$F"
  expect_success "locking"
  assert_output --partial "refused (another process)"
  assert_output --partial "refused (this process)"
}

@test "store: bench runs (20000 keys)" {
  run timeout 20 "$SANDBOX" "$STORE_TEST" bench "$F" 20000
  expect_success "bench"
  assert_output --regexp 'bytes per key|resident'
}

# ------------------------------------------------------------------ valgrind

# under_valgrind WHAT ARGS...: run store_test under valgrind; no error, no leak.
under_valgrind() {
  local what=$1
  shift
  run timeout 120 "$SANDBOX" valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=all --errors-for-leak-kinds=all "$STORE_TEST" "$@"
  [[ $status -eq 0 ]] || fail "$what under valgrind: exit status $status (99: valgrind found errors)
$output"
}

skip_if_sanitized() {
  [[ $(timeout 10 "$SANDBOX" "$STORE_TEST" sanitized) == no ]] ||
    skip "store_test is built with AddressSanitizer, which valgrind cannot run"
}

# bats test_tags=valgrind
@test "store: valgrind: no memory errors, no leaks (operations, growth and shrinking, crash, write errors, locking)" {
  skip_if_sanitized
  under_valgrind "basic" basic "$F"
  rm -f "$F"; under_valgrind "binary" binary "$F"
  rm -f "$F"; under_valgrind "many (20000 keys)" many "$F" 20000
  rm -f "$F"; under_valgrind "persist (SEED=$SEED)" persist "$F" 2000 "$SEED"
  rm -f "$F"; under_valgrind "write errors" write-error "$F"
  rm -f "$F"; under_valgrind "locking" lock "$F"
  rm -f "$F"; under_valgrind "fsync always" fsync always "$F"
}

# bats test_tags=valgrind
@test "store: valgrind: no memory errors, no leaks opening cut-short, damaged, and compactable files" {
  skip_if_sanitized
  { set_record a 1; set_record b 2 | head -c 20; } >"$F"
  under_valgrind "dump of a cut-short file" dump "$F"
  { set_record a 1; printf 'hello\r\n'; set_record b 2; } >"$F"
  run timeout 120 "$SANDBOX" valgrind -q --error-exitcode=99 --leak-check=full \
    --show-leak-kinds=all --errors-for-leak-kinds=all "$STORE_TEST" dump "$F"
  [[ $status -eq 1 ]] || fail "dump of a damaged file under valgrind: expected status 1 (refused), got $status
$output"
  local i args=()
  for ((i = 0; i < 1200; i++)); do args+=(set k "value $i, long enough to make a 60-byte record"); done
  rm -f "$F"
  under_valgrind "a script" script "$F" "${args[@]}" sync compact
  for ((i = 0; i < 1200; i++)); do set_record k "value $i, long enough to make a 60-byte record"; done >"$F"
  under_valgrind "compaction at open" dump "$F"
}
