#!/usr/bin/env bats
# Unit tests of the grader's own handler-safety checker,
# tests/helpers/handler_check.py, on tiny C files: it must follow the
# function really installed (by name, through a helper's parameter, through
# a variable or a table), accept correct code, and flag an unsafe call made
# by a handler or by a function it calls.
#
# Not graded: no stage tag, and tests/grade runs only the files its STAGES
# table lists.
# bats file_tags=grader

bats_require_minimum_version 1.5.0
load helpers/common

CHECK=$ROOT/tests/helpers/handler_check.py

# check_c CODE: write CODE as a .c file in a fresh directory, run the
# checker on that directory; sets status and output.
check_c() {
  local dir=$BATS_TEST_TMPDIR/src
  mkdir -p "$dir"
  printf '%s\n' "$1" >"$dir/demo.c"
  run timeout 10 python3 "$CHECK" "$dir"
}

# expect STATUS PATTERN: the checker's status and a glob its output matches.
expect() {
  [[ $status -eq $1 && $output == $2 ]] || fail "handler_check.py: expected status $1 and output matching '$2'
got status $status:
$output"
}

@test "handler_check: a handler installed by name, safe: passes" {
  check_c '#include <signal.h>
#include <string.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_int(int signo) { (void)signo; stop = 1; write(2, "!", 1); }
int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_int;
    sigaction(SIGINT, &sa, NULL);
    while (!stop) pause();
    return 0;
}'
  expect 0 "*handlers checked: on_int*"
}

@test "handler_check: a handler passed to an installing helper, safe: passes" {
  check_c '#include <signal.h>
#include <string.h>
static volatile sig_atomic_t stop;
static void on_int(int signo) { (void)signo; stop = 1; }
static int install(int signo, void (*handler_param)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler_param;
    return sigaction(signo, &sa, NULL);
}
int main(void) { install(SIGINT, on_int); while (!stop) pause(); return 0; }'
  expect 0 "*handlers checked: on_int*"
}

@test "handler_check: a handler passed to a helper that calls printf: flagged" {
  check_c '#include <signal.h>
#include <stdio.h>
#include <string.h>
static void on_int(int signo) { printf("got %d\n", signo); }
static int install(int signo, void (*h)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    return sigaction(signo, &sa, NULL);
}
int main(void) { install(SIGINT, on_int); pause(); return 0; }'
  expect 1 "*handler on_int calls printf, which is not async-signal-safe*"
}

@test "handler_check: a handler held in a variable, and in a table: followed" {
  check_c '#include <signal.h>
#include <stdlib.h>
#include <string.h>
typedef void (*handler_fn)(int);
static void on_int(int signo) { (void)signo; }
static void on_hup(int signo) { (void)signo; free(NULL); }
static const struct { int signo; handler_fn fn; } table[] = {
    { SIGHUP, on_hup },
};
int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    handler_fn chosen = on_int;
    sa.sa_handler = chosen;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = table[0].fn;
    sigaction(table[0].signo, &sa, NULL);
    return 0;
}'
  expect 1 "*handler on_hup calls free*"
  [[ $output != *"on_int calls"* ]] || fail "on_int is safe, yet flagged:
$output"
}

@test "handler_check: an unsafe call in a function the handler calls: flagged" {
  check_c '#include <signal.h>
#include <stdlib.h>
static void log_it(int signo) { char *p = malloc(16); (void)signo; free(p); }
static void on_usr1(int signo) { log_it(signo); }
int main(void) { signal(SIGUSR1, on_usr1); pause(); return 0; }'
  expect 1 "*handler on_usr1 (through log_it) calls malloc*"
}

@test "handler_check: sa_sigaction in a designated initializer: followed" {
  check_c '#include <signal.h>
#include <stdio.h>
static void on_sig(int signo, siginfo_t *info, void *ctx)
{ (void)info; (void)ctx; fprintf(stderr, "%d\n", signo); }
int main(void)
{
    struct sigaction sa = { .sa_sigaction = on_sig, .sa_flags = SA_SIGINFO };
    sigaction(SIGUSR1, &sa, NULL);
    return 0;
}'
  expect 1 "*handler on_sig calls fprintf*"
}

@test "handler_check: an installation it cannot follow is named, with the forms it needs, not failed" {
  check_c '#include <signal.h>
#include <string.h>
typedef void (*handler_fn)(int);
handler_fn pick(int signo);
int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = pick(SIGINT);
    return sigaction(SIGINT, &sa, NULL);
}'
  expect 0 "*could not tell which function is installed at:*demo.c:9: pick(SIGINT)*sa.sa_handler = on_signal;*"
}

@test "handler_check: no handler installed at all: status 2" {
  check_c 'int main(void) { return 0; }'
  expect 2 "no signal handler installed*"
}

@test "handler_check: SIG_IGN and SIG_DFL are not handlers" {
  check_c '#include <signal.h>
int main(void) { signal(SIGPIPE, SIG_IGN); signal(SIGINT, SIG_DFL); return 0; }'
  expect 2 "no signal handler installed*"
}
