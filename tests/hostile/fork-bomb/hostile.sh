#!/usr/bin/env bash
# Hostile: a fork bomb.  Each copy starts two more, forever.
# Stopped by: RLIMIT_NPROC of the sandbox user (tests/sandbox/exec), then
# tests/sandbox/kill-user after the test.
# A test fixture, not a weapon: it attacks only as a grading sandbox user
# (kvgrade*).  Run by anyone else (a developer, root: the sandbox is off),
# it fails at once and harms nothing.
case $(id -un 2>/dev/null) in
  kvgrade*) ;;
  *) echo "HOSTILE: not a sandbox user (uid $(id -u)): the sandbox is off, no attack" >&2; exit 1 ;;
esac
echo "listening on 127.0.0.1:1"
bomb() { bomb & bomb & wait; }
bomb
