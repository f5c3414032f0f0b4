#!/usr/bin/env python3
"""Check that signal handlers call only async-signal-safe functions.

    handler_check.py DIR [DIR ...]

Finds every function installed as a signal handler in the C files under the
given directories (`.sa_handler = f`, `.sa_sigaction = f`, `signal(SIG, f)`),
then every function it calls, following calls into functions defined in
those files.  A call to anything that is neither defined there nor on the
POSIX list of async-signal-safe functions (signal-safety(7)) is reported:

    common/signals.c:14: handler on_shutdown_signal calls printf, which is
    not async-signal-safe (see signal-safety(7))

A student's handler that calls printf or free may work a thousand times and
deadlock or corrupt the heap the next: no test run can show it reliably, so
this reads the source instead.  It is a plain-text reader, not a compiler:
it understands ordinary C as students write it, not every macro trick.
Exit status 0 if every handler is clean, 1 otherwise, 2 if no handler found.
"""

import os
import re
import sys

# POSIX.1-2008 (with TC2) async-signal-safe functions, signal-safety(7).
SAFE = set("""
_Exit _exit abort accept access aio_error aio_return aio_suspend alarm bind
cfgetispeed cfgetospeed cfsetispeed cfsetospeed chdir chmod chown
clock_gettime close connect creat dup dup2 execl execle execv execve
faccessat fchdir fchmod fchmodat fchown fchownat fcntl fdatasync fexecve ffs
fork fstat fstatat fsync ftruncate futimens getegid geteuid getgid getgroups
getpeername getpgrp getpid getppid getsockname getsockopt getuid htonl htons
kill link linkat listen longjmp lseek lstat memccpy memchr memcmp memcpy
memmove memset mkdir mkdirat mkfifo mkfifoat mknod mknodat ntohl ntohs open
openat pause pipe poll posix_trace_event pselect pthread_kill pthread_self
pthread_sigmask raise read readlink readlinkat recv recvfrom recvmsg rename
renameat rmdir select sem_post send sendmsg sendto setgid setpgid setsid
setsockopt setuid shutdown sigaction sigaddset sigdelset sigemptyset
sigfillset sigismember siglongjmp signal sigpause sigpending sigprocmask
sigqueue sigset sigsuspend sleep sockatmark socket socketpair stat stpcpy
stpncpy strcat strchr strcmp strcpy strcspn strlen strncat strncmp strncpy
strnlen strpbrk strrchr strspn strstr strtok_r symlink symlinkat tcdrain
tcflow tcflush tcgetattr tcgetpgrp tcsendbreak tcsetattr tcsetpgrp time
timer_getoverrun timer_gettime timer_settime times umask uname unlink
unlinkat utime utimensat utimes wait waitpid write
""".split())

# Words followed by '(' that are not calls.
KEYWORDS = {"if", "while", "for", "switch", "return", "sizeof", "_Alignof",
            "alignof", "defined", "__attribute__", "case"}

INSTALL = [
    re.compile(r"\.\s*sa_handler\s*=\s*&?\s*(\w+)"),
    re.compile(r"\.\s*sa_sigaction\s*=\s*&?\s*(\w+)"),
    re.compile(r"->\s*sa_handler\s*=\s*&?\s*(\w+)"),
    re.compile(r"->\s*sa_sigaction\s*=\s*&?\s*(\w+)"),
    re.compile(r"\bsignal\s*\(\s*\w+\s*,\s*&?\s*(\w+)\s*\)"),
]


def strip_comments_and_strings(text):
    """Blank out comments and string/char literals, keeping line numbers."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    pattern = r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    return re.sub(pattern, blank, text, flags=re.S)


def find_functions(path, text):
    """name -> (path, line, body) for each function defined in text."""
    funcs = {}
    for m in re.finditer(r"\b(\w+)\s*\(([^;{}()]|\([^()]*\))*\)\s*\{", text):
        name = m.group(1)
        if name in KEYWORDS:
            continue
        start = m.end() - 1
        depth, i = 0, start
        while i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        line = text.count("\n", 0, m.start()) + 1
        funcs.setdefault(name, (path, line, text[start:i + 1], start))
    return funcs


def calls_in(body):
    """(name, offset) of each call in a function body."""
    for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(", body):
        name = m.group(1)
        if name in KEYWORDS or name.isupper():
            continue                    # keywords, and macros such as FD_SET
        yield name, m.start()


def main(dirs):
    files = {}
    for d in dirs:
        for root, _subdirs, names in os.walk(d):
            for n in names:
                if n.endswith(".c"):
                    p = os.path.join(root, n)
                    with open(p, encoding="utf-8", errors="replace") as f:
                        files[p] = strip_comments_and_strings(f.read())

    functions = {}
    handlers = set()
    for path, text in files.items():
        functions.update(find_functions(path, text))
        for rx in INSTALL:
            for m in rx.finditer(text):
                if m.group(1) not in ("SIG_IGN", "SIG_DFL"):
                    handlers.add(m.group(1))

    handlers = sorted(h for h in handlers if h in functions)
    if not handlers:
        print("no signal handler found (looked for sa_handler, sa_sigaction, signal())")
        return 2

    problems = 0
    for handler in handlers:
        seen, todo = set(), [handler]
        while todo:
            fn = todo.pop()
            if fn in seen:
                continue
            seen.add(fn)
            path, line, body, start = functions[fn]
            for name, off in calls_in(body):
                if name in functions and name != fn:
                    todo.append(name)
                elif name not in SAFE and name not in functions:
                    text = files[path]
                    at = text.count("\n", 0, start + off) + 1
                    via = "" if fn == handler else f" (through {fn})"
                    print(f"{path}:{at}: handler {handler}{via} calls {name}, "
                          "which is not async-signal-safe (see signal-safety(7))")
                    problems += 1
    if problems == 0:
        print("handlers checked: " + ", ".join(handlers) + ": only async-signal-safe calls")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
