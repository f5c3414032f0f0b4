#!/usr/bin/env bats
# Tests of client.py, the Python client (redis-cli's output formats, --raw,
# -x, --pipe, the interactive loop, connection errors, the module API).
#
# Most tests talk to OUR select server ($KV_SELECT) and are skipped until it
# is built.  The "fake server" tests use a few lines of Python that send
# canned bytes, to check what no real server would do on purpose: replies cut
# into tiny pieces, a 16 MiB bulk, a connection closed in the middle of a
# reply.
# bats file_tags=client

bats_require_minimum_version 1.5.0
load helpers/common

# Random names, so that a hard-coded answer cannot pass; the seed is printed
# on failure (bats shows a failing test's output) for reproducibility.
SEED=${SEED:-$RANDOM}
RANDOM=$SEED

# need_server: start our select server for this test, or skip.
need_server() {
  [[ -x $KV_SELECT ]] || skip "select server not built yet: $KV_SELECT (run make)"
  start_server "$KV_SELECT"
  K="key:$RANDOM:$RANDOM"          # a key no other test uses
}

teardown() { kill_started; }

# kv ARGS...: run client.py against the test's server (bounded by timeout),
# with stdout in $output and stderr in $stderr.
kv() {
  LAST_RUN="client.py -p $SERVER_PORT $*"
  run --separate-stderr timeout 10 "$CLIENT_PY" -p "$SERVER_PORT" "$@"
}

# expect_output EXPECTED: the last run printed EXPECTED (trailing newlines
# aside) and exited 0; otherwise fail showing expected and got, with escapes.
expect_output() {
  [[ $status -eq 0 && $output == "$1" ]] && return 0
  fail "ran: $LAST_RUN   (SEED=$SEED)
--- expected (exit status 0):
$1
--- got (exit status $status):
$output
--- stderr:
$stderr
--- the same with escapes visible:
expected: $(printf %q "$1")
got:      $(printf %q "$output")"
}

# expect_bytes FILE PRINTF_FORMAT: FILE holds exactly the bytes of
# `printf PRINTF_FORMAT` (compared with od, so newlines and NULs count).
expect_bytes() {
  local want got
  want=$(printf "$2" | od -An -c)
  got=$(od -An -c <"$1")
  [[ $want == "$got" ]] && return 0
  fail "ran: $LAST_RUN   (SEED=$SEED)
--- expected bytes (od -c):
$want
--- got bytes (od -c):
$got
--- stderr:
$(cat "$BATS_TEST_TMPDIR/stderr" 2>/dev/null)"
}

# kv_to_file FILE ARGS...: like kv, but stdout (bytes) goes to FILE.
kv_to_file() {
  local file=$1
  shift
  LAST_RUN="client.py -p $SERVER_PORT $*"
  timeout 10 "$CLIENT_PY" -p "$SERVER_PORT" "$@" >"$file" 2>"$BATS_TEST_TMPDIR/stderr"
}

# ---------------------------------------------------------------- formats

@test "client: SET prints OK" {
  need_server
  kv SET "$K" hello
  expect_output "OK"
}

@test "client: GET prints a bulk reply in double quotes" {
  need_server
  kv SET "$K" "hello world"
  kv GET "$K"
  expect_output '"hello world"'
}

@test "client: bulk bytes are escaped like redis-cli (NUL, CR, LF, tab, quote, backslash, 0x01, 0x7f, 0xff)" {
  need_server
  printf 'a\0b\n\r\t"\\\x01\x7f\xff' >"$BATS_TEST_TMPDIR/value"
  LAST_RUN="client.py -x SET $K < value"
  run --separate-stderr timeout 10 "$CLIENT_PY" -p "$SERVER_PORT" -x SET "$K" <"$BATS_TEST_TMPDIR/value"
  expect_output "OK"
  kv GET "$K"
  expect_output '"a\x00b\n\r\t\"\\\x01\x7f\xff"'
}

@test "client: GET of a missing key prints (nil)" {
  need_server
  kv GET "$K"
  expect_output "(nil)"
}

@test "client: INCR and EXISTS print (integer) N" {
  need_server
  kv INCR "$K"
  expect_output "(integer) 1"
  kv INCR "$K"
  expect_output "(integer) 2"
  kv EXISTS "$K" "$K:missing" "$K"
  expect_output "(integer) 2"
}

@test "client: an error reply prints (error) ERR ... and exits 0" {
  need_server
  kv SET "$K" notanumber
  kv INCR "$K"
  expect_output "(error) ERR value is not an integer or out of range"
  kv NOSUCHCOMMAND "$K"
  [[ $status -eq 0 && $output == "(error) ERR "* ]] ||
    fail "unknown command: expected '(error) ERR ...' and exit status 0, got status $status: $output"
}

@test "client: an array prints numbered items, nil items as (nil)" {
  need_server
  kv MSET "$K:a" 1 "$K:b" two
  kv MGET "$K:a" "$K:missing" "$K:b"
  expect_output '1) "1"
2) (nil)
3) "two"'
}

@test "client: array numbers are right-aligned from 10 items on" {
  need_server
  local keys=() i
  for i in {1..10}; do keys+=("$K:$i"); done
  kv SET "$K:10" ten
  kv MGET "${keys[@]}"
  expect_output ' 1) (nil)
 2) (nil)
 3) (nil)
 4) (nil)
 5) (nil)
 6) (nil)
 7) (nil)
 8) (nil)
 9) (nil)
10) "ten"'
}

@test "client: an empty array prints (empty array)" {
  need_server
  kv KEYS "$K:nothing:*"
  expect_output "(empty array)"
}

@test "client: command-line arguments are sent as they are (spaces, UTF-8, dashes)" {
  need_server
  kv ECHO "two  words"
  expect_output '"two  words"'
  kv ECHO "é"
  expect_output '"\xc3\xa9"'
  kv ECHO -p
  expect_output '"-p"'
  kv ECHO ""
  expect_output '""'
}

# ------------------------------------------------------------------ --raw

@test "client --raw: values as-is, integers bare, nil as an empty line" {
  need_server
  local out=$BATS_TEST_TMPDIR/out
  kv_to_file "$out" --raw SET "$K" 'a "b"'
  expect_bytes "$out" 'OK\n'
  kv_to_file "$out" --raw GET "$K"
  expect_bytes "$out" 'a "b"\n'
  kv_to_file "$out" --raw EXISTS "$K"
  expect_bytes "$out" '1\n'
  kv_to_file "$out" --raw GET "$K:missing"
  expect_bytes "$out" '\n'
}

@test "client --raw: arrays one item per line, errors like redis-cli --raw" {
  need_server
  local out=$BATS_TEST_TMPDIR/out
  kv MSET "$K:a" x "$K:b" y
  kv_to_file "$out" --raw MGET "$K:a" "$K:missing" "$K:b"
  expect_bytes "$out" 'x\n\ny\n'
  kv_to_file "$out" --raw KEYS "$K:nothing:*"
  expect_bytes "$out" '\n'
  kv_to_file "$out" --raw INCR "$K:a"
  expect_bytes "$out" 'ERR value is not an integer or out of range\n\n'
}

# ----------------------------------------------------------- binary values

@test "client -x: a binary value (all 256 bytes, NUL included) round-trips" {
  need_server
  local value=$BATS_TEST_TMPDIR/value got=$BATS_TEST_TMPDIR/got
  python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)' >"$value"
  LAST_RUN="client.py -x SET $K < value"
  run --separate-stderr timeout 10 "$CLIENT_PY" -p "$SERVER_PORT" -x SET "$K" <"$value"
  expect_output "OK"
  kv_to_file "$got" --raw GET "$K"
  # --raw adds one newline after the value: drop it, then compare bytes.
  run python3 -c 'import sys
want = open(sys.argv[1], "rb").read(); got = open(sys.argv[2], "rb").read()
if got != want + b"\n":
    i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
    print(f"sent {len(want)} bytes, GET --raw gave {len(got)} (expected {len(want) + 1});"
          f" first difference at byte {i}: expected {want[i:i+8]!r}, got {got[i:i+8]!r}")
    sys.exit(1)' "$value" "$got"
  [[ $status -eq 0 ]] || fail "binary value did not round-trip: $output"
}

@test "client -x: a short value with NUL, CR and LF round-trips (checked with od)" {
  need_server
  local out=$BATS_TEST_TMPDIR/out
  LAST_RUN="printf 'a\\0b\\r\\n' | client.py -x SET $K"
  printf 'a\0b\r\n' | timeout 10 "$CLIENT_PY" -p "$SERVER_PORT" -x SET "$K" >"$out"
  expect_bytes "$out" 'OK\n'
  kv_to_file "$out" --raw GET "$K"
  expect_bytes "$out" 'a\0b\r\n\n'
  kv GET "$K"
  expect_output '"a\x00b\r\n"'
}

# ------------------------------------------------------------------ --pipe

@test "client --pipe: several commands, replies in order" {
  need_server
  local input=$BATS_TEST_TMPDIR/input
  printf '%s\n' "SET $K:a 1" "GET $K:a" "" "INCR $K:a" "INCR $K:a" \
    "SET $K:b \"x y\"" "MGET $K:a $K:b $K:missing" "GET $K:missing" \
    "INCR $K:b" "EXISTS $K:a $K:b" >"$input"
  LAST_RUN="client.py --pipe < input"
  run --separate-stderr timeout 10 "$CLIENT_PY" -p "$SERVER_PORT" --pipe <"$input"
  expect_output 'OK
"1"
(integer) 2
(integer) 3
OK
1) "3"
2) "x y"
3) (nil)
(nil)
(error) ERR value is not an integer or out of range
(integer) 2'
}

@test "client --pipe: 1000 commands sent at once, 1000 replies" {
  need_server
  local input=$BATS_TEST_TMPDIR/input i
  for ((i = 0; i < 1000; i++)); do echo "INCR $K"; done >"$input"
  LAST_RUN="client.py --pipe < input (1000 x INCR $K)"
  run --separate-stderr timeout 10 "$CLIENT_PY" -p "$SERVER_PORT" --pipe <"$input"
  [[ $status -eq 0 && ${#lines[@]} -eq 1000 && ${lines[999]} == "(integer) 1000" ]] ||
    fail "expected 1000 replies ending with '(integer) 1000' and exit status 0;
got exit status $status, ${#lines[@]} lines, the last: '${lines[${#lines[@]}-1]:-}'
stderr: $stderr"
}

@test "client --pipe --raw, with quotes and escapes in the commands" {
  need_server
  local input=$BATS_TEST_TMPDIR/input
  printf '%s\n' "SET $K \"a\\x41\\tb\"" "GET $K" "ECHO 'it\\'s'" >"$input"
  LAST_RUN="client.py --pipe --raw < input:
$(cat "$input")
"
  run --separate-stderr timeout 10 "$CLIENT_PY" -p "$SERVER_PORT" --pipe --raw <"$input"
  expect_output "OK
aA	b
it's"
}

# ------------------------------------------------------- interactive loop

@test "client without a command: reads lines, 'Invalid argument(s)', stops at quit" {
  need_server
  local input=$BATS_TEST_TMPDIR/input
  printf '%s\n' "SET $K v" "GET \"$K" "GET $K" "quit" "GET $K" >"$input"
  LAST_RUN="client.py < input:
$(cat "$input")
"
  run --separate-stderr timeout 10 "$CLIENT_PY" -p "$SERVER_PORT" <"$input"
  expect_output 'OK
Invalid argument(s)
"v"'
}

# ------------------------------------------------------ connection errors

@test "client: connection refused -> exit 1 and one line on stderr" {
  need_server
  local port=$SERVER_PORT
  kill_started                  # now nothing listens on $port
  LAST_RUN="client.py -p $port PING"
  run --separate-stderr timeout 10 "$CLIENT_PY" -p "$port" PING
  [[ $status -eq 1 && -z $output && $stderr == "client.py: cannot connect to 127.0.0.1:$port: Connection refused" ]] ||
    fail "expected exit status 1, nothing on stdout and on stderr:
client.py: cannot connect to 127.0.0.1:$port: Connection refused
got exit status $status, stdout: '$output', stderr:
$stderr"
}

@test "client: unknown host -> exit 1 and one line on stderr, no traceback" {
  run --separate-stderr timeout 10 "$CLIENT_PY" -H no-such-host.invalid -p 6380 PING
  [[ $status -eq 1 && -z $output && ${#stderr_lines[@]} -eq 1 &&
     $stderr == "client.py: cannot connect to no-such-host.invalid:6380: "* ]] ||
    fail "expected exit status 1 and one line 'client.py: cannot connect to no-such-host.invalid:6380: ...';
got exit status $status, stdout: '$output', stderr:
$stderr"
}

# --------------------------------------------- fake server (canned bytes)

# fake_server CHUNK HEX: a Python server that accepts one connection, reads
# a request, sends the bytes (given in hex) CHUNK bytes at a time with a
# short pause between pieces, then closes.  Sets SERVER_PORT.
fake_server() {
  cat >"$BATS_TEST_TMPDIR/fake.py" <<'EOF'
import socket, sys, time
chunk, data = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
if data.startswith(b"BIG"):             # BIG: a 16 MiB bulk reply
    data = b"$16777216\r\n" + bytes(range(256)) * 65536 + b"\r\n"
server = socket.create_server(("127.0.0.1", 0))
print(f"listening on 127.0.0.1:{server.getsockname()[1]}", flush=True)
conn, _ = server.accept()
conn.recv(65536)
for i in range(0, len(data), chunk):
    conn.sendall(data[i:i + chunk])
    if chunk < 100:
        time.sleep(0.002)
conn.close()
EOF
  start_bg "$BATS_TEST_TMPDIR/fake.out" "$BATS_TEST_TMPDIR/fake.err" \
    python3 "$BATS_TEST_TMPDIR/fake.py" "$1" "$(printf '%s' "$2" | od -An -tx1 | tr -d ' \n')"
  wait_for_line "$BATS_TEST_TMPDIR/fake.out" '^listening on .*:[0-9]+$' 5 "$BG_PID" ||
    fail "the fake server did not start: $(cat "$BATS_TEST_TMPDIR/fake.err")"
  SERVER_PORT=$(sed -nE 's/^listening on .*:([0-9]+)$/\1/p' "$BATS_TEST_TMPDIR/fake.out")
}

@test "client: a reply sent one byte at a time, nested arrays and *-1" {
  fake_server 1 $'*4\r\n$3\r\nabc\r\n*2\r\n:5\r\n*2\r\n+OK\r\n*0\r\n*-1\r\n-ERR oops\r\n'
  kv GET x
  expect_output '1) "abc"
2) 1) (integer) 5
   2) 1) OK
      2) (empty array)
3) (nil)
4) (error) ERR oops'
}

@test "client: a 16 MiB bulk reply in pieces, printed exactly with --raw" {
  fake_server 100000 BIG
  local out=$BATS_TEST_TMPDIR/out
  kv_to_file "$out" --raw GET big || fail "client.py failed: $(cat "$BATS_TEST_TMPDIR/stderr")"
  run python3 -c 'import sys
got = open(sys.argv[1], "rb").read()
want = bytes(range(256)) * 65536 + b"\n"
sys.exit(0 if got == want else f"got {len(got)} bytes, expected {len(want)}; equal: {got == want}")' "$out"
  [[ $status -eq 0 ]] || fail "$output"
}

@test "client: server closes the connection mid-reply -> exit 1, one line, no traceback" {
  fake_server 1000 $'$10\r\nabc'
  kv GET x
  [[ $status -eq 1 && -z $output && $stderr == "client.py: server closed the connection" ]] ||
    fail "expected exit status 1, nothing on stdout, and on stderr:
client.py: server closed the connection
got exit status $status, stdout: '$output', stderr:
$stderr"
}

# -------------------------------------------------------------- module API

@test "client module: Client.command, pipeline, ReplyError, context manager" {
  need_server
  LAST_RUN="python3 snippet using: from client import Client, ReplyError"
  run --separate-stderr timeout 10 env PYTHONPATH="$ROOT" PYTHONDONTWRITEBYTECODE=1 python3 -c '
import sys
from client import Client, ReplyError
port, k = int(sys.argv[1]), sys.argv[2]
with Client(host="127.0.0.1", port=port, timeout=5.0) as c:
    ok = c.command("SET", k, b"v\x00")
    print(ok, isinstance(ok, str))
    print(repr(c.command("GET", k)))
    print(repr(c.command("GET", k + ":missing")))
    print(repr(c.command("INCR", k + ":n")))
    print(repr(c.command("MGET", k, k + ":missing")))
    try:
        c.command("INCR", k)
        print("no ReplyError raised")
    except ReplyError as e:
        print("ReplyError:", e)
    replies = c.pipeline([("SET", k + ":a", 7), ("INCR", k + ":a"), ("INCR", k), ("GET", k + ":a")])
    print([type(r).__name__ for r in replies], replies[1], str(replies[2]), replies[3])
' "$SERVER_PORT" "$K"
  expect_output "OK True
b'v\\x00'
None
1
[b'v\\x00', None]
ReplyError: ERR value is not an integer or out of range
['Status', 'int', 'ReplyError', 'bytes'] 8 ERR value is not an integer or out of range b'8'"
}
