#!/usr/bin/env bash
# Hostile (or just broken): never prints its ready line, never exits.
# Stopped by: start_server's 5 s bound for the ready line, stop_pid, the
# stage's time limit; costs 5 s a test, not more.
# A test fixture, not a weapon: it attacks only as a grading sandbox user
# (kvgrade*).  Run by anyone else (a developer, root: the sandbox is off),
# it fails at once and harms nothing.
case $(id -un 2>/dev/null) in
  kvgrade*) ;;
  *) echo "HOSTILE: not a sandbox user (uid $(id -u)): the sandbox is off, no attack" >&2; exit 1 ;;
esac
exec sleep 3600
