#!/usr/bin/env bash
# Hostile: floods stdout (a file in the test's directory) with gigabytes, and
# stderr too; the Makefile floods make's output with 3 GB as well.
# Stopped by: RLIMIT_FSIZE (SIGXFSZ at 1 GiB a file), the private tmpfs's
# size, and the grader keeping only the tail of the build output.
# A test fixture, not a weapon: it attacks only as a grading sandbox user
# (kvgrade*).  Run by anyone else (a developer, root: the sandbox is off),
# it fails at once and harms nothing.
case $(id -un 2>/dev/null) in
  kvgrade*) ;;
  *) echo "HOSTILE: not a sandbox user (uid $(id -u)): the sandbox is off, no attack" >&2; exit 1 ;;
esac
if [[ ${1:-} == build ]]; then
  head -c 3000000000 /dev/zero | tr '\0' A
  exit 0
fi
echo "listening on 127.0.0.1:1"
yes 'HOSTILE-FLOOD AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' |
  tee /dev/stderr
