#!/usr/bin/env bash
# Hostile: ignores SIGINT, SIGTERM, SIGHUP (and its children inherit that),
# prints a ready line, never answers, never exits.
# Stopped by: the helpers' SIGKILL after SIGTERM (stop_pid), kill-user.
# A test fixture, not a weapon: it attacks only as a grading sandbox user
# (kvgrade*).  Run by anyone else (a developer, root: the sandbox is off),
# it fails at once and harms nothing.
case $(id -un 2>/dev/null) in
  kvgrade*) ;;
  *) echo "HOSTILE: not a sandbox user (uid $(id -u)): the sandbox is off, no attack" >&2; exit 1 ;;
esac
trap '' INT TERM HUP QUIT
echo "listening on 127.0.0.1:1"
while :; do sleep 1; done
