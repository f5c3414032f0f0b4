#!/usr/bin/env bash
# Hostile: symlinks out of the tree.  The Makefile replaces stages/select/
# kvserver by a link to /bin/sh and reads a source linked to /etc/shadow;
# the tree ships links to /etc/shadow, to Gradescope's hidden tests and to
# the scratch directory's extra/tests, as .c files (the grader's handler
# check reads the student's .c files: as root it would print them).
# Stopped by: the sandbox user cannot read the targets; the grader must read
# the student's files as the sandbox user too (or not follow links).
# A test fixture, not a weapon: it attacks only as a grading sandbox user
# (kvgrade*).  Run by anyone else (a developer, root: the sandbox is off),
# it fails at once and harms nothing.
case $(id -un 2>/dev/null) in
  kvgrade*) ;;
  *) echo "HOSTILE: not a sandbox user (uid $(id -u)): the sandbox is off, no attack" >&2; exit 1 ;;
esac
if [[ ${1:-} == build ]]; then
  ln -sfn /bin/sh stages/select/kvserver
  cat signal_demo/signal_demo.c hidden/* 2>&1 | head -c 2000
  exit 0
fi
echo "listening on 127.0.0.1:1"
cat signal_demo/*.c stages/*/*.c 2>&1 | head -c 2000 >&2
sleep 30
