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
The installed expression is followed to the function it stands for: a
function's name, a parameter of the installing function (through each call
of it), or a variable or table (through its assignments and initializer).
An installation it cannot follow is named, with the forms it can, but is
not counted as a fault: it reads code, it does not run it.
Exit status 0 if every handler found is clean, 1 otherwise, 2 if nothing
installs a handler at all.
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

# Where a handler is installed: the expression after `sa_handler =` or
# `sa_sigaction =` (an assignment or a designated initializer), and the
# second argument of signal().
INSTALL = re.compile(r"(?:\.|->)\s*sa_(?:handler|sigaction)\s*=\s*([^;,}]+)")
SIGNAL_CALL = re.compile(r"\bsignal\s*\(")

# Identifiers of an expression that never name a handler.
NOT_NAMES = KEYWORDS | {"SIG_IGN", "SIG_DFL", "NULL", "void", "int", "char",
                        "short", "long", "unsigned", "signed", "const",
                        "volatile", "struct", "union", "siginfo_t"}

NEEDED_FORM = """\
handler_check.py follows a handler installed as
    sa.sa_handler = on_signal;          (or sa.sa_sigaction, or signal(SIG, on_signal))
    sa.sa_handler = handler;            handler a parameter: it reads the calls,
                                        install(SIGINT, on_signal)
    sa.sa_handler = h;                  h a variable, or a table's field
                                        (table[i].h): it reads its assignments
                                        and initializer, h = on_signal
Write one of these forms, with the handler's own name, for it to be checked."""

def strip_comments_and_strings(text):
    """Blank out comments and string/char literals, keeping line numbers."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    pattern = r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    return re.sub(pattern, blank, text, flags=re.S)


class Function:
    """A function defined in the sources: where, its parameters, its body."""

    def __init__(self, path, name_at, line, params, body, start):
        self.path, self.name_at, self.line, self.params = path, name_at, line, params
        self.body, self.start = body, start         # start: offset of body

    def contains(self, path, offset):
        return path == self.path and self.start <= offset < self.start + len(self.body)


def split_top_level(text):
    """Split a parameter or argument list at its top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def param_name(decl):
    """The name a parameter declaration declares: `void (*h)(int)` -> h."""
    m = re.search(r"\(\s*\*\s*(\w+)\s*\)", decl)
    if m:
        return m.group(1)
    names = re.findall(r"[A-Za-z_]\w*", re.sub(r"\[[^\]]*\]", "", decl))
    return names[-1] if names else None


def matching(text, i, open_ch, close_ch):
    """Offset of the bracket closing the one at text[i]."""
    depth = 0
    while i < len(text):
        if text[i] == open_ch:
            depth += 1
        elif text[i] == close_ch:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return len(text) - 1


def find_functions(path, text):
    """name -> Function for each function defined in text."""
    funcs = {}
    for m in re.finditer(r"\b(\w+)\s*\((([^;{}()]|\([^()]*\))*)\)\s*\{", text):
        name = m.group(1)
        if name in KEYWORDS:
            continue
        start = m.end() - 1
        end = matching(text, start, "{", "}")
        params = [param_name(d) for d in split_top_level(m.group(2))]
        line = text.count("\n", 0, m.start()) + 1
        funcs.setdefault(name, Function(path, m.start(), line, params,
                                       text[start:end + 1], start))
    return funcs


def calls_in(body):
    """(name, offset) of each call in a function body."""
    for m in re.finditer(r"\b([A-Za-z_]\w*)\s*\(", body):
        name = m.group(1)
        if name in KEYWORDS or name.isupper():
            continue                    # keywords, and macros such as FD_SET
        yield name, m.start()


class Sources:
    """The C files read, their functions, and how to resolve what an
    expression installed as a handler stands for."""

    def __init__(self, files):
        self.files = files
        self.functions = {}
        for path, text in files.items():
            for name, fn in find_functions(path, text).items():
                self.functions.setdefault(name, fn)

    def enclosing(self, path, offset):
        for name, fn in self.functions.items():
            if fn.contains(path, offset):
                return name
        return None

    def line_of(self, path, offset):
        return self.files[path].count("\n", 0, offset) + 1

    def install_sites(self):
        """(path, offset, expression) of each handler installation."""
        for path, text in self.files.items():
            for m in INSTALL.finditer(text):
                yield path, m.start(1), m.group(1).strip()
            for m in SIGNAL_CALL.finditer(text):
                close = matching(text, m.end() - 1, "(", ")")
                args = split_top_level(text[m.end():close])
                if len(args) == 2 and self.enclosing(path, m.start()) != "signal":
                    yield path, m.end(), args[1].strip()

    def call_arguments(self, fname):
        """(path, offset, [argument expressions]) of each call of fname."""
        for path, text in self.files.items():
            for m in re.finditer(r"\b%s\s*\(" % re.escape(fname), text):
                fn = self.functions[fname]
                if path == fn.path and m.start() == fn.name_at:
                    continue            # the definition itself
                close = matching(text, m.end() - 1, "(", ")")
                yield path, m.start(), split_top_level(text[m.end():close])

    def assignments(self, var):
        """(path, offset, right-hand side) of each `var = ...` or
        `var[...] = ...`, initializers included."""
        rx = re.compile(r"\b%s\s*(?:\[[^\]]*\]\s*)*=(?!=)\s*([^;]+)" % re.escape(var))
        for path, text in self.files.items():
            for m in rx.finditer(text):
                yield path, m.start(1), m.group(1)

    def resolve(self, expr, path, offset, depth=0):
        """The set of defined functions expr (at path:offset) may stand for."""
        found = set()
        if depth > 6:
            return found
        context = self.enclosing(path, offset)
        for m in re.finditer(r"(->|\.)?\s*\b([A-Za-z_]\w*)\b(\s*\()?", expr):
            name = m.group(2)
            if m.group(1) or m.group(3) or name in NOT_NAMES:
                continue                # a field, a call, a keyword or a type
            if name in self.functions:
                found.add(name)
            elif context and name in self.functions[context].params:
                k = self.functions[context].params.index(name)
                for cpath, coff, args in self.call_arguments(context):
                    if k < len(args):
                        found |= self.resolve(args[k], cpath, coff, depth + 1)
            else:
                for apath, aoff, rhs in self.assignments(name):
                    found |= self.resolve(rhs, apath, aoff, depth + 1)
        return found


def read_sources(dirs):
    files = {}
    for d in dirs:
        for root, _subdirs, names in os.walk(d):
            for n in names:
                if n.endswith(".c"):
                    p = os.path.join(root, n)
                    with open(p, encoding="utf-8", errors="replace") as f:
                        files[p] = strip_comments_and_strings(f.read())
    return files


def check_handler(src, handler):
    """Report each call, from handler or a function it calls, that is not
    async-signal-safe; return how many."""
    problems = 0
    seen, todo = set(), [handler]
    while todo:
        fn = todo.pop()
        if fn in seen:
            continue
        seen.add(fn)
        f = src.functions[fn]
        for name, off in calls_in(f.body):
            if name in src.functions and name != fn:
                todo.append(name)
            elif name not in SAFE and name not in src.functions:
                at = src.line_of(f.path, f.start + off)
                via = "" if fn == handler else f" (through {fn})"
                print(f"{f.path}:{at}: handler {handler}{via} calls {name}, "
                      "which is not async-signal-safe (see signal-safety(7))")
                problems += 1
    return problems


def main(dirs):
    src = Sources(read_sources(dirs))
    handlers, unresolved, sites = set(), [], 0
    for path, offset, expr in src.install_sites():
        if expr in ("SIG_IGN", "SIG_DFL"):
            continue
        sites += 1
        found = src.resolve(expr, path, offset)
        if found:
            handlers |= found
        else:
            unresolved.append(f"{path}:{src.line_of(path, offset)}: {expr}")

    if not sites:
        print("no signal handler installed: found no `sa_handler =`, "
              "`sa_sigaction =` or signal() giving a function")
        return 2
    problems = sum(check_handler(src, h) for h in sorted(handlers))
    if unresolved:
        # Not a failure: the code may well be right; say what we can read.
        print("note: could not tell which function is installed at:\n  "
              + "\n  ".join(unresolved) + "\n" + NEEDED_FORM)
    if handlers and problems == 0:
        print("handlers checked: " + ", ".join(sorted(handlers))
              + ": only async-signal-safe calls")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
