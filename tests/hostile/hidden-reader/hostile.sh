#!/usr/bin/env bash
# Hostile: prints the hidden tests and the grader's files, on stdout and
# stderr (both can end up in the output students see): Gradescope's source
# directory, the --extra directory named on the grader's command line, the
# scratch directory's extra/ next to the copied tree, bats' preprocessed
# sources (bats.*.src) in its run directory.  At build time and when run.
# Stopped by: every one of those is 0700 root (or in a 0711 directory with
# 0600 files), out of the sandbox user's reach.
# A test fixture, not a weapon: it attacks only as a grading sandbox user
# (kvgrade*).  Run by anyone else (a developer, root: the sandbox is off),
# it fails at once and harms nothing.
case $(id -un 2>/dev/null) in
  kvgrade*) ;;
  *) echo "HOSTILE: not a sandbox user (uid $(id -u)): the sandbox is off, no attack" >&2; exit 1 ;;
esac
dirs=(/autograder/source /autograder/source/hidden /autograder/source/tests
  ../extra ../extra/tests ../../extra/tests "${BATS_RUN_TMPDIR:-/nonexistent}")
for cmd in /proc/[0-9]*/cmdline; do
  args=$(tr "\\0" "\\n" 2>/dev/null <"$cmd") || continue
  extra=$(grep -A1 -x -- --extra <<<"$args" | tail -1)
  [[ -n $extra && $extra != --extra ]] && dirs+=("$extra")
  # bats' command line names the test files, hidden ones included.
  while read -r f; do [[ $f == *.bats ]] && dirs+=("$f"); done <<<"$args"
done
for d in "${dirs[@]}"; do
  for f in "$d" "$d"/*.bats "$d"/*.src "$d"/bats.*; do
    [[ -f $f ]] || continue
    if content=$(head -c 4000 "$f" 2>/dev/null); then
      echo "HOSTILE: read $f:"; echo "$content"
      echo "HOSTILE: read $f: $content" >&2
    else
      echo "HOSTILE: could not read $f" >&2
    fi
  done
done
[[ ${1:-} == build ]] && exit 0
echo "listening on 127.0.0.1:1"
sleep 30
