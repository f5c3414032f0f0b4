#!/usr/bin/env bats
# The class report (tests/grade --batch ... --report, tests/grade_report.py):
# a small class graded in one batch — the reference, the starter, two
# mutants of stage 0, a tree that does not build and a bad archive whose
# name is HTML — then the page checked: its numbers against the gradebook,
# nothing in it that loads or runs anything or names a path of this
# machine, and rendered by a real browser (Debian's chromium, headless)
# without a console error, to a screenshot that shows the charts.  The
# screenshot and the page are kept in build/ (class-report.png, .html).
# Instructors' material: not in the students' starter.
#
# To stay short (about a minute), only milestones 0b and 0c are graded, and
# without the sandbox (--no-sandbox: these trees are ours, not students'),
# so this file never uses the sandbox users and needs no lock against
# hostile.bats or sandbox.bats.
# bats file_tags=grader

bats_require_minimum_version 1.5.0
load helpers/common

: "${BATS_TEST_TIMEOUT:=300}"
BATCH_BOUND=400          # seconds for the whole batch (measured: about 45)
CHECK="$ROOT/tests/helpers/report_check.py"
# The bad archive's name: HTML that would load an image and run a script
# if the page did not escape it.
EVIL='x<img src=x onerror=alert(1)>'
SHOT_W=1280 SHOT_H=1800

setup_file() {
  local w=$BATS_FILE_TMPDIR
  export W=$w
  mkdir "$w/batch"
  # the reference: this tree as it is (tracked and new files, not build/)
  git -C "$ROOT" ls-files -z -co --exclude-standard |
    while IFS= read -r -d '' f; do [[ -e $ROOT/$f ]] && printf '%s\0' "$f"; done |
    tar -C "$ROOT" --null -T - -cf - | { mkdir "$w/batch/reference" && tar -C "$w/batch/reference" -xf -; }
  timeout 120 "$ROOT/tests/make-starter" --out "$w/batch/starter" >"$w/starter.log" 2>&1 ||
    { echo "tests/make-starter failed: $(tail -5 "$w/starter.log")"; return 1; }
  rm -f "$w/batch/starter.tar.gz"
  local m
  for m in selfpipe-blocking restart-always; do
    cp -a "$w/batch/reference" "$w/batch/mutant-$m"
    patch -s -p1 -d "$w/batch/mutant-$m" <"$ROOT/tests/mutants/$m.patch" ||
      { echo "mutant $m does not apply"; return 1; }
  done
  cp -a "$w/batch/reference" "$w/batch/no-build"
  printf 'int broken(void) { return 0 }\n' >>"$w/batch/no-build/signal_demo/main.c"
  # a member outside the tree (-P keeps its ../): a bad archive
  mkdir -p "$w/evil/tree"
  echo x >"$w/evil/outside"
  tar -C "$w/evil/tree" -P -czf "$w/batch/$EVIL.tar.gz" ../outside
  mkdir "$w/out"
  local start=$SECONDS
  BATCH_STATUS=0
  timeout -k 10 "$BATCH_BOUND" nice "$ROOT/tests/grade" --batch "$w/batch" --jobs 2 \
    --no-sandbox --milestone 0b --milestone 0c --csv "$w/out/gradebook.csv" \
    --report "$w/out/class.html" >"$w/batch.log" 2>&1 3>&- </dev/null || BATCH_STATUS=$?
  export BATCH_STATUS BATCH_SECONDS=$((SECONDS - start))
}

show_batch() {
  echo "--- the batch's output ($W/batch.log):"
  tail -30 "$W/batch.log"
}

# status_of NAME: the gradebook's status of NAME.
status_of() {
  python3 - "$W/out/gradebook.csv" "$1" <<'PY'
import csv, sys
rows = {r["name"]: r for r in csv.DictReader(open(sys.argv[1], newline=""))}
print(rows.get(sys.argv[2], {}).get("status", "(no row)").splitlines()[0])
PY
}

@test "class report: a batch of 6 with --report writes the gradebook and the page" {
  ((BATCH_STATUS == 0)) || fail "tests/grade --batch ... --report: status $BATCH_STATUS after $BATCH_SECONDS s
$(show_batch)"
  [[ -s $W/out/class.html ]] || fail "no report at $W/out/class.html
$(show_batch)"
  [[ $(status_of reference) == graded && $(status_of mutant-restart-always) == graded ]] ||
    fail "reference: $(status_of reference); mutant-restart-always: $(status_of mutant-restart-always)"
  [[ $(status_of no-build) == "graded, but make failed"* ]] ||
    fail "no-build: '$(status_of no-build)', expected a failed make"
  [[ $(status_of "$EVIL") == "bad archive"* ]] || fail "the bad archive: '$(status_of "$EVIL")'"
  [[ -s $W/out/gradebook.d/.runs.json ]] || fail "no gradebook.d/.runs.json (the batch's wall-clock time)"
  echo "# batch of 6 (milestones 0b, 0c) with its report: $BATCH_SECONDS s" >&3
}

@test "class report: its numbers are the gradebook's (scores, milestones, tests failed, problems, time)" {
  [[ -s $W/out/class.html ]] || skip "no report (see the first test)"
  run python3 "$CHECK" numbers "$W/out/class.html" "$W/out/gradebook.csv"
  ((status == 0)) || fail "$output"
  # what this batch must show: the reference passes 0b and 0c, the starter
  # neither, each mutant loses the milestone it breaks
  run python3 - "$W/out/class.html" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
rows = dict(re.findall(r'<tr><td>(0[bc])</td>.*?((?:<td class="num">\d+</td>){5})</tr>', text))
cells = {m: [int(x) for x in re.findall(r">(\d+)<", v)][1:] for m, v in rows.items()}
# full, partly, none, not graded: 0b passed by the reference and
# restart-always, not by selfpipe-blocking, the starter, no-build; 0c passed
# by the reference and selfpipe-blocking, partly by restart-always; the bad
# archive not graded
want = {"0b": [2, 0, 3, 1], "0c": [2, 1, 2, 1]}
bad = [f"{m}: full, partly, none, not graded: {cells.get(m)}, expected {w}"
       for m, w in want.items() if cells.get(m) != w]
print("\n".join(bad) or f"milestones: {cells}")
sys.exit(1 if bad else 0)
PY
  ((status == 0)) || fail "$output"
}

@test "class report: self-contained: no script, nothing loaded, no path of this machine, names escaped" {
  [[ -s $W/out/class.html ]] || skip "no report (see the first test)"
  run python3 "$CHECK" standalone "$W/out/class.html" "$ROOT/" "$W/" "$BATS_RUN_TMPDIR" "$HOME/"
  ((status == 0)) || fail "$output"
  grep -qF 'x&lt;img src=x onerror=alert(1)&gt;' "$W/out/class.html" ||
    fail "the bad archive's name is not on the page, escaped"
}

@test "class report: chromium renders it: a screenshot of the charts, no console error" {
  [[ -s $W/out/class.html ]] || skip "no report (see the first test)"
  local chromium
  chromium=$(command -v chromium || command -v chromium-browser) ||
    fail "chromium is not installed (tests/helpers/ensure-deps installs it: apt-get install chromium)"
  # A copy elsewhere, alone: the page must need nothing beside it.
  local dir=$BATS_TEST_TMPDIR/copy
  mkdir -p "$dir/home"
  cp "$W/out/class.html" "$dir/class.html"
  local sandbox=()
  ((EUID == 0)) && sandbox=(--no-sandbox)       # chromium refuses root otherwise
  run --separate-stderr env HOME="$dir/home" XDG_CONFIG_HOME="$dir/home" XDG_CACHE_HOME="$dir/home" \
    timeout -k 5 120 "$chromium" --headless "${sandbox[@]}" --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-quic \
    --user-data-dir="$dir/profile" --enable-logging=stderr --v=0 \
    --window-size="$SHOT_W,$SHOT_H" --screenshot="$dir/class.png" "file://$dir/class.html" 3>&-
  ((status == 0)) && [[ -s $dir/class.png ]] ||
    fail "chromium: status $status, no screenshot; its stderr:
$(tail -20 <<<"$stderr")"
  ! grep -F ':CONSOLE' <<<"$stderr" || fail "console messages (above) while rendering the page"
  mkdir -p "$ROOT/build"
  cp "$dir/class.png" "$ROOT/build/class-report.png"
  cp "$dir/class.html" "$ROOT/build/class-report.html"
  # the milestone bars (passed fully, not at all) and the histograms' bars
  run python3 "$CHECK" png "$dir/class.png" "$SHOT_W" "$SHOT_H" '#009E73' '#D55E00' '#0072B2'
  ((status == 0)) || fail "$output (kept as build/class-report.png)"
}

@test "class report: --from an earlier gradebook, with a timed-out submission and the bonus stage" {
  [[ -s $W/out/gradebook.csv ]] || skip "no gradebook (see the first test)"
  local g=$BATS_TEST_TMPDIR/later
  mkdir -p "$g"
  cp -a "$W/out/gradebook.csv" "$W/out/gradebook.d" "$g/"
  # a submission stopped at its time limit, and the reference with stage 3
  python3 - "$g/gradebook.csv" "$g/gradebook.d/reference.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
fields = list(rows[0].keys())
rows.append(dict({k: "" for k in fields}, name="slowpoke", status="timed out after 400 s",
                 total="0", max="0", seconds="400.0"))
for r in rows:
    if r["name"] == "reference":
        r["bonus"] = "12.0"
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), fieldnames=fields)
w.writeheader()
w.writerows(rows)
rep = json.load(open(sys.argv[2]))
rep["extra_data"].update(bonus_score=12.0, bonus_max_score=20.0)
json.dump(rep, open(sys.argv[2], "w"))
PY
  run --separate-stderr timeout 60 "$ROOT/tests/grade" --report "$g/later.html" --from "$g/gradebook.csv"
  ((status == 0)) || fail "tests/grade --report --from: status $status
$stderr"
  run python3 "$CHECK" numbers "$g/later.html" "$g/gradebook.csv"
  ((status == 0)) || fail "$output"
  grep -q '<td>slowpoke</td><td>timed out</td>' "$g/later.html" ||
    fail "slowpoke is not listed as timed out"
  # the bonus histogram: the reference's 12/20 in the 60-70% bin
  grep -q '<table id="t-bonus">.*<tr><td>60–70%</td><td class="num">1</td>' "$g/later.html" ||
    fail "no bonus histogram with the reference at 60-70%"
  run --separate-stderr "$ROOT/tests/grade" --report "$g/x.html"
  ((status == 2)) || fail "--report alone: status $status, 2 expected (it needs --batch or --from)"
}
