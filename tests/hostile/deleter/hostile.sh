#!/usr/bin/env bash
# Hostile: deletes everything it can reach: $HOME, the grader's tree and
# scratch directory through ../.., /autograder, the tests, /tmp (other
# submissions being graded), at build time and when run.
# Stopped by: the sandbox user owns only its copied tree (and may wreck
# that: its own score); everything else is root's, 0700 or not writable;
# /tmp is sticky, and the private tmpfs holds only this job's test dirs.
# A test fixture, not a weapon: it attacks only as a grading sandbox user
# (kvgrade*).  Run by anyone else (a developer, root: the sandbox is off),
# it fails at once and harms nothing.
case $(id -un 2>/dev/null) in
  kvgrade*) ;;
  *) echo "HOSTILE: not a sandbox user (uid $(id -u)): the sandbox is off, no attack" >&2; exit 1 ;;
esac
for victim in "$HOME" ../.. ../../.. /autograder /autograder/source /tmp /var/tmp \
    "${BATS_RUN_TMPDIR:-/nonexistent}" "${BATS_TEST_DIRNAME:-/nonexistent}"; do
  rm -rf --no-preserve-root "$victim"/* "$victim"/.[!.]* 2>/dev/null
  echo "HOSTILE: rm -rf $victim/*: $(ls -A "$victim" 2>/dev/null | wc -l) entries left" >&2
done
[[ ${1:-} == build ]] && exit 0
echo "listening on 127.0.0.1:1"
sleep 30
