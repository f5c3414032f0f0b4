"""The class report of a batch: one HTML page, the class at a glance.

    tests/grade --batch DIR --csv gradebook.csv --report class.html
    tests/grade --report class.html --from gradebook.csv     (later)

Reads a gradebook written by grade_batch.py (the CSV, and beside it
gradebook.d/: each graded submission's results.json, and .runs.json, the
wall-clock time of each batch run) and draws what an instructor looks for
after a batch:
  - the spread of the required total (a histogram), the bonus stage apart;
  - per milestone, in the handout's order, the share of submissions that
    passed it fully, partly or not at all: the milestone where the class
    stalls is the one where the share passed fully drops the most;
  - the tests failed most often, with the first line of their message;
  - the submissions that did not build, timed out or were bad archives,
    and why;
  - how long grading took, per submission and in all;
  - every submission, one row each, one coloured cell per milestone.

The charts are SVG written here, inline in the page: no plotting library to
install (matplotlib and numpy would add some fifty Debian packages to every
grading machine and to the autograder image, for a few bars), the same
bytes on every machine, and text a browser renders sharply at any zoom.

Everything on the page that comes from a submission (its name, its tests'
messages, make's output) is escaped, and the page's Content-Security-Policy
allows no script and nothing loaded (but its inline style): a submission named
"<script>..." shows as text, and the page needs no network and no other
file (it works from a copy, e-mailed or on another machine).  Paths of the
grader's scratch trees and of this tree are cut from the messages.
"""
import csv
import html
import json
import os
import re
import statistics
import time

# Okabe & Ito's palette: told apart with any colour vision.
FULL, PARTLY, NONE, UNGRADED = "#009E73", "#E69F00", "#D55E00", "#BBBBBB"
BAR = "#0072B2"
TOP_FAILED = 10
RUNS_FILE = ".runs.json"        # grade_batch.RUNS_FILE


class Layout:
    """What tests/grade knows about the lab: its stages (key, title), which
    are bonus, its milestones (id, stage, title) in the handout's order, a
    function that takes bats's trace lines out of a test's output, and
    this tree's root (cut from messages)."""

    def __init__(self, stages, bonus, milestones, without_trace, root):
        self.stages, self.bonus, self.milestones = stages, set(bonus), milestones
        self.without_trace, self.root = without_trace, root
        self.stage_title = dict(stages)
        self.milestone_stage = {m[0]: m[1] for m in milestones}


class Submission:
    """One row of the gradebook, with its results.json when it was graded."""

    def __init__(self, row, report):
        self.name = row["name"]
        self.status = row.get("status", "")
        self.seconds = number(row.get("seconds"))
        self.total, self.max = number(row.get("total")), number(row.get("max"))
        self.bonus = number(row.get("bonus"))
        self.report = report
        extra = (report or {}).get("extra_data", {})
        self.bonus_max = number(extra.get("bonus_max_score"))
        self.kind = kind_of(self.status, report)

    def tests(self):
        return (self.report or {}).get("tests", [])


def number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def fmt(x):
    return f"{x:g}"


def kind_of(status, report):
    if status.startswith("graded") and report is None:
        return "not graded"             # its results.json is gone
    if status == "graded":
        return "graded"
    if status.startswith("graded"):
        return "did not build"
    if status.startswith("timed out"):
        return "timed out"
    if status.startswith("bad archive"):
        return "bad archive"
    return "not graded"


def load(csv_path):
    """The gradebook's submissions, and its batch runs."""
    out_dir = os.path.splitext(csv_path)[0] + ".d"
    subs = []
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            report = None
            if row.get("status", "").startswith("graded"):
                try:
                    with open(os.path.join(out_dir, row["name"] + ".json"),
                              encoding="utf-8") as j:
                        report = json.load(j)
                except (OSError, ValueError):
                    pass
            subs.append(Submission(row, report))
    try:
        with open(os.path.join(out_dir, RUNS_FILE), encoding="utf-8") as f:
            runs = json.load(f)
    except (OSError, ValueError):
        runs = []
    return subs, runs


def read_log_line(csv_path, name, pattern):
    """The last line of gradebook.d/NAME.txt matching pattern, or ''."""
    path = os.path.join(os.path.splitext(csv_path)[0] + ".d", name + ".txt")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = [l.strip() for l in f if re.search(pattern, l)]
    except OSError:
        return ""
    return lines[-1] if lines else ""


# --- what the page says ---------------------------------------------------------

def test_milestone(test):
    for tag in test.get("tags", []):
        if tag.startswith("milestone:"):
            return tag.split(":", 1)[1]
    return None


def test_stage(test):
    tags = test.get("tags", [])
    return tags[0] if tags else ""


def short_name(test, layout):
    """The test's own name, without the "[2d] stage 2: ... — " before it."""
    name = test["name"]
    prefix = layout.stage_title.get(test_stage(test), "") + " — "
    i = name.find(prefix)
    return name[i + len(prefix):] if i >= 0 else name


class Cleaner:
    """Messages without the paths of the machine that graded them."""

    def __init__(self, layout):
        self.layout = layout
        self.paths = re.compile(
            r"(?:/[^\s/'\"`]+)*/(?:kvgrade-\w+/(?:tree|tmp)|kvbatch-\w+/unpacked(?:/[^\s/'\"`]+)?)/"
            + (r"|" + re.escape(layout.root.rstrip("/") + "/") if layout.root else ""))

    def line(self, text):
        return self.paths.sub("", text).strip()

    def first_line(self, output):
        for line in self.layout.without_trace(output or "").splitlines():
            if line.strip():
                return self.line(line)
        return "(no message)"


def milestone_points(sub):
    """{milestone: (points got, points)} of a graded submission."""
    out = {}
    for t in sub.tests():
        mid = test_milestone(t)
        if mid:
            got, maxp = out.get(mid, (0.0, 0.0))
            out[mid] = (got + t["score"], maxp + t["max_score"])
    return out


def milestone_state(got, maxp):
    if got >= maxp:
        return "full"
    return "partly" if got > 0 else "none"


def milestone_table(subs, layout):
    """[(id, stage, title, points, {full, partly, none, ungraded})] for each
    milestone graded in this batch, in the handout's order."""
    per_sub = [(s, milestone_points(s)) for s in subs]
    graded = set()
    points = {}
    for _s, mp in per_sub:
        for mid, (_got, maxp) in mp.items():
            graded.add(mid)
            points[mid] = max(points.get(mid, 0), maxp)
    rows = []
    for mid, stage, title in layout.milestones:
        if mid not in graded:
            continue
        counts = {"full": 0, "partly": 0, "none": 0, "ungraded": 0}
        for s, mp in per_sub:
            if s.report is None or mid not in mp:
                counts["ungraded"] += 1
            else:
                counts[milestone_state(*mp[mid])] += 1
        rows.append((mid, stage, title, points[mid], counts))
    return rows


def stall_point(rows, layout):
    """The required milestone where the share of graded submissions that
    pass it fully keeps the smallest part of the one before (the first's
    is compared with 100%): where the most of those still going stop.
    Relative, not absolute: 60% falling to 30% is a worse stall than 90%
    to 70%.  (milestone row, share, previous row or None, previous share)."""
    best, prev, prev_share = None, None, 1.0
    for row in rows:
        if row[1] in layout.bonus:
            continue
        c = row[4]
        n = c["full"] + c["partly"] + c["none"]
        if not n:
            continue
        share = c["full"] / n
        drop = 1 - share / prev_share if prev_share else 0
        if drop > 0 and (best is None or drop > best[0]):
            best = (drop, row, share, prev, prev_share)
        prev, prev_share = row, share
    return best[1:] if best else None


def failed_tests(subs, layout, cleaner):
    """The tests failed most often by submissions whose program built:
    [(milestone, name, hidden, count, first line, how many share it)]."""
    found = {}
    order = []
    for s in subs:
        if s.report is None:
            continue
        for t in s.tests():
            if t.get("status") != "failed" or (t.get("output") or "").startswith("not built:"):
                continue
            key = t["name"]
            if key not in found:
                found[key] = {"test": t, "count": 0, "lines": {}}
                order.append(key)
            entry = found[key]
            entry["count"] += 1
            line = cleaner.first_line(t.get("output"))
            group = entry["lines"].setdefault(re.sub(r"\d+", "#", line), [line, 0])
            group[1] += 1
    rank = {m[0]: i for i, m in enumerate(layout.milestones)}
    seen = {k: i for i, k in enumerate(order)}
    keys = sorted(order, key=lambda k: (-found[k]["count"],
                                        rank.get(test_milestone(found[k]["test"]), len(rank)),
                                        seen[k]))
    out = []
    for k in keys[:TOP_FAILED]:
        e = found[k]
        line, same = max(e["lines"].values(), key=lambda g: g[1])
        out.append((test_milestone(e["test"]) or "", short_name(e["test"], layout),
                    e["test"].get("visibility") == "hidden", e["count"], line, same))
    return out


def problem_reason(sub, csv_path, cleaner):
    """Why a submission was not graded in full, in one line."""
    if sub.kind == "bad archive":
        return " ".join(l.strip() for l in sub.status.split("\n") if l.strip())
    if sub.kind == "did not build":
        errors = sub.report.get("extra_data", {}).get("build_errors") or []
        why = ": " + cleaner.line(errors[0]) if errors else ""
        for t in sub.tests():
            out = t.get("output") or ""
            if out.startswith("not built:"):
                return out.splitlines()[0] + why
        return f"{sub.status}, but every program graded was built{why}"
    if sub.kind == "timed out":
        return f"{sub.status} (stopped; its report so far: gradebook.d/{sub.name}.txt)"
    line = read_log_line(csv_path, sub.name, r"COULD NOT GRADE|Error|error")
    return sub.status + (": " + cleaner.line(line) if line else "")


def score_bins(pairs):
    """pairs: (points, maximum).  Counts per tenth of the maximum, full
    marks apart: 11 bins."""
    counts = [0] * 11
    for got, maxp in pairs:
        if maxp <= 0:
            continue
        counts[10 if got >= maxp else min(int(got * 10 / maxp), 9)] += 1
    return counts


SCORE_LABELS = [f"{10 * i}–{10 * i + 10}%" for i in range(10)] + ["full"]


def nice_step(span, most=10):
    """The smallest step of 1, 2 or 5 times a power of ten that cuts span
    into at most `most` steps."""
    scale = 1
    while True:
        for m in (1, 2, 5):
            if span / (m * scale) <= most:
                return m * scale
        scale *= 10


def time_bins(seconds):
    """(width, counts) of the grading times, bins of a round width."""
    top = max(seconds, default=0)
    width = nice_step(max(top, 1), 10)
    n = int(top // width) + 1
    counts = [0] * n
    for s in seconds:
        counts[int(s // width)] += 1
    return width, counts


def duration(seconds):
    """Seconds, and beyond a minute in minutes (and hours)."""
    text = f"{fmt(round(seconds, 1))} s"
    seconds = int(round(seconds))
    if seconds < 60:
        return text
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return text + (f" ({h} h {m:02d} min)" if h else f" ({m} min {s:02d} s)")


# --- SVG ---------------------------------------------------------------------------

def esc(text):
    return html.escape(str(text), quote=True)


def columns_svg(labels, series, caption, unit="submissions"):
    """Vertical bars, one per label, stacked from series: [(name, colour,
    counts)]."""
    n = len(labels)
    totals = [sum(s[2][i] for s in series) for i in range(n)]
    top = max(totals + [1])
    step = nice_step(top, 5)
    top = -(-top // step) * step
    slot, left, pad, height, bottom = 54, 34, 26, 170, 30
    width = left + n * slot + 8
    full_h = pad + height + bottom
    scale = height / top
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{full_h}" '
           f'viewBox="0 0 {width} {full_h}" role="img" aria-label="{esc(caption)}">']
    for v in range(0, int(top) + 1, int(step)):
        y = pad + height - v * scale
        out.append(f'<line x1="{left - 4}" x2="{width - 4}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#ddd"/><text x="{left - 7}" y="{y + 4:.1f}" '
                   f'text-anchor="end" class="tick">{v}</text>')
    for i, label in enumerate(labels):
        x = left + i * slot + 5
        y = pad + height
        for name, colour, counts in series:
            c = counts[i]
            if not c:
                continue
            h = c * scale
            y -= h
            out.append(f'<rect x="{x}" y="{y:.1f}" width="{slot - 10}" height="{h:.1f}" '
                       f'fill="{colour}" data-count="{c}"><title>{esc(label)}: {c} {esc(name)}'
                       f'</title></rect>')
        if totals[i]:
            out.append(f'<text x="{x + (slot - 10) / 2}" y="{y - 4:.1f}" text-anchor="middle" '
                       f'class="count">{totals[i]}</text>')
        out.append(f'<text x="{x + (slot - 10) / 2}" y="{pad + height + 16}" '
                   f'text-anchor="middle" class="tick">{esc(label)}</text>')
    out.append(f'<text x="4" y="11" class="tick">{esc(unit)}</text></svg>')
    return "".join(out)


def milestones_svg(rows, stall_mid):
    """One stacked bar per milestone: full, partly, none, not graded."""
    label_w, bar_w, row_h, gap = 420, 440, 26, 12
    parts = [("full", FULL, "#fff", "passed fully"), ("partly", PARTLY, "#000", "partly"),
             ("none", NONE, "#fff", "not at all"), ("ungraded", UNGRADED, "#000", "not graded")]
    y, out, last_stage = 4, [], None
    for mid, stage, title, points, counts in rows:
        if last_stage is not None and stage != last_stage:
            y += gap
        last_stage = stage
        n = sum(counts.values()) or 1
        weight = "bold" if mid == stall_mid else "normal"
        out.append(f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" '
                   f'font-weight="{weight}">{esc(mid)}  {esc(title)} ({fmt(points)} pt)</text>')
        x = label_w
        for key, colour, ink, what in parts:
            c = counts[key]
            if not c:
                continue
            w = bar_w * c / n
            out.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" height="{row_h - 6}" '
                       f'fill="{colour}" data-milestone="{esc(mid)}" data-part="{key}" '
                       f'data-count="{c}"><title>{esc(mid)}: {c} of {n} submissions '
                       f'{what}</title></rect>')
            if w >= 34:
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + 17}" text-anchor="middle" '
                           f'fill="{ink}" class="count">{round(100 * c / n)}%</text>')
            x += w
        if mid == stall_mid:
            out.append(f'<text x="{label_w + bar_w + 6}" y="{y + 17}" font-weight="bold">'
                       '◀ stalls here</text>')
        y += row_h
    legend = []
    lx = label_w
    for _key, colour, _ink, what in parts:
        legend.append(f'<rect x="{lx}" y="{y + 8}" width="12" height="12" fill="{colour}"/>'
                      f'<text x="{lx + 16}" y="{y + 18}" class="tick">{what}</text>')
        lx += 110
    height = y + 28
    width = label_w + bar_w + 100
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="milestones passed">'
            + "".join(out + legend) + "</svg>")


# --- the page -----------------------------------------------------------------------

STYLE = """
body { font: 14px/1.4 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #222;
       margin: 0; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 40px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ccc; padding-bottom: 3px; }
p.meta { color: #555; margin: 0 0 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 110px; }
.card b { display: block; font-size: 20px; }
.charts { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
figure { margin: 0; }
figcaption { font-size: 13px; color: #444; margin-bottom: 4px; }
svg { max-width: 100%; height: auto; }
svg text { font: 12px "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
svg text.tick { font-size: 11px; fill: #555; }
svg text.count { font-size: 11px; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.msg { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; max-width: 480px;
         overflow-wrap: anywhere; }
td.full { background: #009E73; color: #fff; }
td.partly { background: #E69F00; }
td.none { background: #D55E00; color: #fff; }
td.ungraded { background: #eee; color: #888; }
table.grid td { padding: 1px 4px; font-size: 12px; }
.stall { background: #fff4e0; border-left: 4px solid #E69F00; padding: 6px 10px; }
details { margin: 6px 0; }
summary { cursor: pointer; color: #0072B2; }
"""


def table(ident, head, rows, classes=None):
    out = [f'<table id="{ident}">']
    if head:
        out.append("<tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = classes[i] if classes else ""
            cells.append(f'<td class="{cls}">{esc(cell)}</td>' if cls else f"<td>{esc(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "".join(out) + "</table>"


def scores_section(subs, layout):
    graded = [s for s in subs if s.report is not None]
    ungraded = [s for s in subs if s.report is None]
    req = score_bins((s.total, s.max) for s in graded)
    counts_ungraded = [len(ungraded)] + [0] * 10
    html_out = ['<h2 id="scores">Scores</h2><div class="charts">']
    maxes = sorted({s.max for s in graded})
    what = "/".join(fmt(m) for m in maxes) or "0"
    html_out.append(f"<figure><figcaption>required stages: total out of {what} points, "
                    "per tenth of the maximum" + (f"; {len(ungraded)} not graded (0 in the "
                                                  "gradebook)" if ungraded else "")
                    + "</figcaption>" +
                    columns_svg(SCORE_LABELS, [("graded", BAR, req),
                                               ("not graded", UNGRADED, counts_ungraded)],
                                "required total") + "</figure>")
    bonus = [s for s in graded if s.bonus_max > 0]
    if bonus:
        b = score_bins((s.bonus, s.bonus_max) for s in bonus)
        html_out.append(f"<figure><figcaption>bonus stage: out of "
                        f"{'/'.join(fmt(m) for m in sorted({s.bonus_max for s in bonus}))} "
                        f"points ({len(bonus)} graded), not in the total</figcaption>" +
                        columns_svg(SCORE_LABELS, [("graded", BAR, b)], "bonus") + "</figure>")
    html_out.append("</div>")
    if not bonus:
        html_out.append("<p>The bonus stage was not graded in this batch.</p>")
    rows = [(SCORE_LABELS[i], req[i], counts_ungraded[i]) for i in range(11)]
    html_out.append("<details><summary>the numbers</summary>" +
                    table("t-scores", ["share of the maximum", "graded", "not graded"], rows,
                          ["", "num", "num"]))
    if bonus:
        b = score_bins((s.bonus, s.bonus_max) for s in bonus)
        html_out.append(table("t-bonus", ["share of the bonus maximum", "graded"],
                              [(SCORE_LABELS[i], b[i]) for i in range(11)], ["", "num"]))
    html_out.append("</details>")
    return "".join(html_out)


def milestones_section(subs, layout):
    rows = milestone_table(subs, layout)
    if not rows:
        return '<h2 id="milestones">Milestones</h2><p>No milestone was graded.</p>'
    stall = stall_point(rows, layout)
    out = ['<h2 id="milestones">Milestones, in the handout\'s order</h2>']
    if stall:
        row, share, prev, prev_share = stall
        c = row[4]
        n = c["full"] + c["partly"] + c["none"]
        before = (f", against {round(100 * prev_share)}% for {prev[0]} just before" if prev
                  else ": the first milestone graded")
        out.append(f'<p class="stall">Where the class stalls: <b>milestone {esc(row[0])} — '
                   f'{esc(row[2])}</b>: {c["full"]} of {n} graded submissions pass it fully '
                   f'({round(100 * share)}%){esc(before)}.</p>')
    out.append(milestones_svg(rows, stall[0][0] if stall else None))
    out.append("<details><summary>the numbers</summary>" + table(
        "t-milestones", ["milestone", "title", "points", "passed fully", "partly",
                         "not at all", "not graded"],
        [(mid, title, fmt(pts), c["full"], c["partly"], c["none"], c["ungraded"])
         for mid, _stage, title, pts, c in rows],
        ["", "", "num", "num", "num", "num", "num"]) + "</details>")
    return "".join(out)


def failures_section(subs, layout, cleaner):
    rows = failed_tests(subs, layout, cleaner)
    n = sum(1 for s in subs if s.report is not None)
    out = [f'<h2 id="failed">The {TOP_FAILED} tests failed most often</h2>']
    if not rows:
        return out[0] + "<p>No test failed (but for programs that did not build).</p>"
    body = []
    for i, (mid, name, hidden, count, line, same) in enumerate(rows, 1):
        note = "" if same == count else f" ({same} of {count})"
        body.append((i, mid, name + (" (hidden)" if hidden else ""), count,
                     f"{round(100 * count / n)}%", line + note))
    out.append(table("t-failed", ["#", "milestone", "test", "submissions", "of the graded",
                                  "first line of the message (the most frequent)"],
                     body, ["num", "", "", "num", "num", "msg"]))
    out.append("<p class=\"meta\">Counted among the graded submissions whose program built; "
               "a message's numbers (pids, ports) are ignored when grouping them.</p>")
    return "".join(out)


def problems_section(subs, csv_path, cleaner):
    bad = [s for s in subs if s.kind != "graded"]
    out = ['<h2 id="problems">Did not build, timed out, bad archives</h2>']
    if not bad:
        return out[0] + "<p>None: every submission built and was graded.</p>"
    out.append(table("t-problems", ["submission", "what", "points", "why"],
                     [(s.name, s.kind, fmt(s.total), problem_reason(s, csv_path, cleaner))
                      for s in sorted(bad, key=lambda s: (s.kind, s.name))],
                     ["", "", "num", "msg"]))
    return "".join(out)


def time_section(subs, runs):
    seconds = [s.seconds for s in subs]
    width, counts = time_bins(seconds)
    labels = [f"{fmt(i * width)}–{fmt((i + 1) * width)}" for i in range(len(counts))]
    total = sum(seconds)
    out = ['<h2 id="time">Grading time</h2><div class="charts"><figure><figcaption>'
           'seconds per submission</figcaption>',
           columns_svg(labels, [("submissions", BAR, counts)], "grading time"), "</figure>"]
    facts = [("submissions", len(subs)),
             ("sum of their times", duration(total))]
    if seconds:
        slowest = max(subs, key=lambda s: s.seconds)
        facts += [("median", f"{fmt(round(statistics.median(seconds), 1))} s"),
                  ("slowest", f"{fmt(slowest.seconds)} s ({slowest.name})")]
    if runs:
        wall = sum(number(r.get("seconds")) for r in runs)
        jobs = sorted({r.get("jobs") for r in runs if r.get("jobs")})
        facts.append(("wall-clock", f"{duration(wall)} in "
                      f"{len(runs)} run(s), --jobs {'/'.join(map(str, jobs))}; the first "
                      f"began {runs[0].get('started', '?')}"))
    out.append("<div>" + table("t-time", None, facts, ["", "num"]) + "</div></div>")
    out.append("<details><summary>the numbers</summary>" +
               table("t-time-bins", ["seconds", "submissions"],
                     list(zip(labels, counts)), ["", "num"]) + "</details>")
    return "".join(out)


def grid_section(subs, layout):
    mids = [r[0] for r in milestone_table(subs, layout)]
    head = ["submission", "what", "total", "bonus", "seconds"] + mids
    out = ['<h2 id="submissions">Every submission</h2><table id="t-submissions" class="grid"><tr>'
           + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"]
    for s in sorted(subs, key=lambda s: s.name):
        mp = milestone_points(s)
        cells = [f"<td>{esc(s.name)}</td><td>{esc(s.kind)}</td>",
                 f'<td class="num">{fmt(s.total)}/{fmt(s.max)}</td>',
                 f'<td class="num">{fmt(s.bonus) if s.bonus_max else ""}</td>',
                 f'<td class="num">{fmt(s.seconds)}</td>']
        for mid in mids:
            if mid not in mp:
                cells.append('<td class="ungraded">–</td>')
                continue
            got, maxp = mp[mid]
            cells.append(f'<td class="num {milestone_state(got, maxp)}" title="{esc(mid)}: '
                         f'{fmt(got)}/{fmt(maxp)}">{fmt(got)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def summary_cards(subs):
    kinds = {}
    for s in subs:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    graded = [s for s in subs if s.report is not None]
    cards = [("submissions", len(subs))]
    cards += [(k, kinds[k]) for k in ("graded", "did not build", "timed out", "bad archive",
                                      "not graded") if kinds.get(k)]
    if graded:
        maxes = {s.max for s in graded}
        cards.append(("median total", fmt(statistics.median(s.total for s in graded)) +
                      (f"/{fmt(maxes.pop())}" if len(maxes) == 1 else "")))
        cards.append(("full marks", sum(1 for s in graded if s.max and s.total >= s.max)))
    return ('<div class="cards" id="summary">' +
            "".join(f'<div class="card" data-key="{esc(k)}"><b>{esc(v)}</b> {esc(k)}</div>'
                    for k, v in cards) + "</div>")


def render(csv_path, layout):
    subs, runs = load(csv_path)
    cleaner = Cleaner(layout)
    stages = sorted({test_stage(t) for s in subs for t in s.tests()},
                    key=lambda k: [s[0] for s in layout.stages].index(k)
                    if k in layout.stage_title else 99)
    csp = "default-src 'none'; style-src 'unsafe-inline'"
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>TP7 — class report</title>",
        f"<style>{STYLE}</style></head><body><main>",
        "<h1>TP7 — class report</h1>",
        f'<p class="meta">From {esc(os.path.basename(csv_path))}, '
        f"{time.strftime('%Y-%m-%d %H:%M')}; stages graded: "
        f"{esc(', '.join(layout.stage_title.get(k, k) for k in stages) or 'none')}. "
        'Jump to: <a href="#scores">scores</a> · <a href="#milestones">milestones</a> · '
        '<a href="#failed">tests failed</a> · <a href="#problems">problems</a> · '
        '<a href="#time">time</a> · <a href="#submissions">every submission</a></p>',
        summary_cards(subs),
        scores_section(subs, layout),
        milestones_section(subs, layout),
        failures_section(subs, layout, cleaner),
        problems_section(subs, csv_path, cleaner),
        time_section(subs, runs),
        grid_section(subs, layout),
        "</main></body></html>\n",
    ]
    return "".join(parts)


def write_report(csv_path, html_path, layout):
    """Writes the class report of csv_path's gradebook to html_path."""
    page = render(os.path.abspath(csv_path), layout)
    tmp = html_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(tmp, html_path)
