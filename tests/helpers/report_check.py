#!/usr/bin/env python3
"""Checks of the class report (tests/class_report.bats), each printing what
it expected and what it found, exit status 1 on the first mismatch.

    report_check.py numbers PAGE GRADEBOOK.csv
        the page's numbers, recomputed here from the gradebook (the CSV and
        gradebook.d/NAME.json), not with the report's code
    report_check.py standalone PAGE [STRING...]
        no script, no external resource, no link but #anchors and data:
        URIs, a Content-Security-Policy that forbids the rest; none of the
        STRINGs (this machine's paths) on the page; no tag a submission's
        name or message could have brought in
    report_check.py png FILE WIDTH HEIGHT COLOUR...
        a PNG of that size, not blank, where each COLOUR (#rrggbb) covers
        some pixels
"""
import collections
import csv
import html.parser
import json
import os
import re
import struct
import sys
import zlib


def fail(message):
    print(message, file=sys.stderr)
    sys.exit(1)


class Page(html.parser.HTMLParser):
    """Tables by id (rows of cell texts), SVG rects, summary cards, and
    every tag and attribute seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.rects, self.cards, self.tags, self.attrs = {}, [], {}, [], []
        self.table = self.row = self.cell = self.card = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "table" and a.get("id"):
            self.table = self.tables.setdefault(a["id"], [])
        elif tag == "tr" and self.table is not None:
            self.row = []
            self.table.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "rect" and "data-count" in a:
            self.rects.append(a)
        elif tag == "div" and "data-key" in a:
            self.card = (a["data-key"], [])

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.table = self.row = None
        elif tag == "div" and self.card:
            key, text = self.card
            self.cards[key] = "".join(text).strip()
            self.card = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.card:
            self.card[1].append(data)


def parse(path):
    page = Page()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    page.feed(text)
    return page, text


def body(page, ident, head=True):
    if ident not in page.tables:
        fail(f"no table {ident} on the page")
    return page.tables[ident][1 if head else 0:]


def g(x):
    return f"{float(x):g}"


def load_gradebook(csv_path):
    out_dir = os.path.splitext(csv_path)[0] + ".d"
    rows = list(csv.DictReader(open(csv_path, newline="", encoding="utf-8")))
    reports = {}
    for r in rows:
        path = os.path.join(out_dir, r["name"] + ".json")
        if r["status"].startswith("graded") and os.path.exists(path):
            reports[r["name"]] = json.load(open(path, encoding="utf-8"))
    return rows, reports


def basenames(text):
    """text with each path reduced to its last component."""
    return re.sub(r"\S*/", "", text)


def milestone(test):
    return next((t.split(":", 1)[1] for t in test["tags"] if t.startswith("milestone:")), "")


def check_numbers(page_path, csv_path):
    page, _text = parse(page_path)
    rows, reports = load_gradebook(csv_path)
    n = len(rows)
    if page.cards.get("submissions", "").split()[:1] != [str(n)]:
        fail(f"summary: expected {n} submissions, the page says {page.cards.get('submissions')!r}")

    # scores: a tenth of the maximum per bin, full marks apart
    expected = [0] * 11
    for r in rows:
        if r["name"] in reports:
            total, maxp = float(r["total"]), float(r["max"])
            expected[10 if total >= maxp else int(10 * total / maxp)] += 1
    got = [int(row[1]) for row in body(page, "t-scores")]
    if got != expected:
        fail(f"score bins: expected {expected} (from the gradebook), the page has {got}")
    ungraded = sum(int(row[2]) for row in body(page, "t-scores"))
    if ungraded != n - len(reports):
        fail(f"score bins: {ungraded} not graded on the page, {n - len(reports)} in the gradebook")

    # milestones: full, partly, none, not graded
    per = {}
    for name, rep in reports.items():
        sums = {}
        for t in rep["tests"]:
            m = milestone(t)
            if m:
                got_p, max_p = sums.get(m, (0, 0))
                sums[m] = (got_p + t["score"], max_p + t["max_score"])
        for m, (got_p, max_p) in sums.items():
            c = per.setdefault(m, [0, 0, 0])
            c[0 if got_p == max_p else 1 if got_p > 0 else 2] += 1
    table = body(page, "t-milestones")
    if sorted(r[0] for r in table) != sorted(per):
        fail(f"milestones: the gradebook has {sorted(per)}, the page {[r[0] for r in table]}")
    for row in table:
        want = per[row[0]] + [n - len(reports)]
        have = [int(x) for x in row[3:7]]
        if have != want:
            fail(f"milestone {row[0]}: expected full/partly/none/not graded {want}, "
                 f"the page has {have}")
        bars = {r["data-part"]: r for r in page.rects if r.get("data-milestone") == row[0]}
        width = sum(float(r["width"]) for r in bars.values())
        for part, count in zip(("full", "partly", "none", "ungraded"), want):
            drawn = float(bars[part]["width"]) if part in bars else 0.0
            if abs(drawn / width - count / n) > 0.01 or (part in bars) != (count > 0):
                fail(f"milestone {row[0]}: the '{part}' bar is {drawn:.1f} of {width:.1f} px "
                     f"wide, for {count} of {n} submissions")

    # the tests failed most often (by submissions whose program built)
    fails = {}
    for name, rep in reports.items():
        for t in rep["tests"]:
            if t["status"] == "failed" and not (t["output"] or "").startswith("not built:"):
                fails.setdefault(t["name"], []).append(t["output"] or "")
    table = body(page, "t-failed") if fails else []
    if len(table) != min(10, len(fails)):
        fail(f"tests failed: {len(fails)} tests failed, the page lists {len(table)}")
    counts = []
    for row in table:
        mid, short, count, message = row[1], row[2], int(row[3]), row[5]
        short = re.sub(r" \(hidden\)$", "", short)
        match = [k for k in fails if k.endswith(" — " + short) and
                 (k.startswith(f"[{mid}] ") if mid else not k.startswith("["))]
        if len(match) != 1:
            fail(f"tests failed: no single test [{mid}] ... {short} in the gradebook ({match})")
        if len(fails[match[0]]) != count:
            fail(f"tests failed: {short}: {count} on the page, {len(fails[match[0]])} in the "
                 "gradebook")
        line = re.sub(r" \(\d+ of \d+\)$", "", message)
        # (the page cuts the grading machine's paths: compare basenames too)
        if not any(line in out or basenames(line) in basenames(out)
                   for out in fails[match[0]]):
            fail(f"tests failed: {short}: the message {line!r} is in none of its failures")
        counts.append(count)
    if counts != sorted(counts, reverse=True) or (counts and counts[0] !=
                                                  max(len(v) for v in fails.values())):
        fail(f"tests failed: not the most frequent first: {counts}")

    # did not build, timed out, bad archives
    bad = {r["name"]: r for r in rows if r["status"] != "graded"}
    table = body(page, "t-problems") if bad else []
    if sorted(r[0] for r in table) != sorted(bad):
        fail(f"problems: the gradebook has {sorted(bad)}, the page {[r[0] for r in table]}")
    for row in table:
        status = bad[row[0]]["status"]
        if status.startswith("bad archive") and status.splitlines()[0] not in row[3]:
            fail(f"problems: {row[0]}: the reason {row[3]!r} does not say {status!r}")
        errors = reports.get(row[0], {}).get("extra_data", {}).get("build_errors", [""])
        if "make failed" in status and ("not built:" not in row[3] or errors[0] not in row[3]):
            fail(f"problems: {row[0]}: the reason {row[3]!r} does not say what was not built "
                 f"and make's first error, {errors[0]!r}")
        if status.startswith("timed out") and status not in row[3]:
            fail(f"problems: {row[0]}: the reason {row[3]!r} does not say {status!r}")

    # time, and every submission's total
    times = dict((r[0], r[1]) for r in body(page, "t-time", head=False))
    total = g(round(sum(float(r["seconds"]) for r in rows), 1))
    if not times.get("sum of their times", "").startswith(total + " s"):
        fail(f"time: expected a sum of {total} s, the page says {times.get('sum of their times')!r}")
    grid = {r[0]: r for r in body(page, "t-submissions")}
    for r in rows:
        want = f"{g(r['total'])}/{g(r['max'])}"
        if grid.get(r["name"], [None] * 3)[2] != want:
            fail(f"submissions: {r['name']}: expected {want}, the page has "
                 f"{grid.get(r['name'], [None] * 3)[2]!r}")
    print(f"numbers: {n} submissions, {len(per)} milestones, {len(table)} problems, "
          f"{len(counts)} tests failed: as in the gradebook")


FOREIGN_TAGS = {"script", "link", "iframe", "object", "embed", "base", "img", "frame",
                "form", "audio", "video", "source", "meta"}


def check_standalone(page_path, forbidden):
    page, text = parse(page_path)
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)"', text)
    if not csp or "default-src 'none'" not in csp.group(1) or "script" in csp.group(1):
        fail("no Content-Security-Policy forbidding scripts and external resources")
    metas = text.count("<meta ")
    tags = sorted({t for t in page.tags if t in FOREIGN_TAGS and t != "meta"})
    if tags:
        fail(f"tags that run or load something: {tags}")
    if metas != 3:
        fail(f"{metas} <meta> tags, 3 expected (charset, CSP, viewport)")
    for name, value in page.attrs:
        if name in ("src", "href", "xlink:href", "action", "srcset", "poster") and \
                not (value or "").startswith(("#", "data:")):
            fail(f"a link out of the page: {name}={value!r}")
        if name.startswith("on"):
            fail(f"an event handler attribute: {name}={value!r}")
    for pattern in (r"url\s*\(", r"@import", r"javascript:"):
        if re.search(pattern, text, re.I):
            fail(f"{pattern} in the page")
    for s in forbidden:
        if s and s in text:
            fail(f"the page holds {s!r} (a path of this machine)")
    print(f"standalone: {len(text)} bytes, no script, nothing loaded, no path of this machine")


def add_bytes(x, y, n):
    """x + y byte by byte, modulo 256 (n bytes): the PNG "Up" filter, on
    whole rows at once (a Python loop per byte takes seconds)."""
    a, b = int.from_bytes(x, "big"), int.from_bytes(y, "big")
    low, high = int.from_bytes(b"\x7f" * n, "big"), int.from_bytes(b"\x80" * n, "big")
    return bytearray((((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(n, "big"))


def png_colours(path):
    """(width, height, {(r, g, b): pixels}) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path}: not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            if depth != 8 or colour not in (2, 6):
                fail(f"{path}: depth {depth}, colour type {colour}: not 8-bit RGB(A)")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    counts, prev = collections.Counter(), bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 2:
            line = add_bytes(line, prev, stride)
        elif f in (1, 3, 4):
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                if f == 1:
                    line[i] = (line[i] + a) & 255
                elif f == 3:
                    line[i] = (line[i] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else
                                          b if pb <= pc else c)) & 255
        pixels = iter(line if bpp == 3 else bytes(v for i, v in enumerate(line) if i % 4 != 3))
        counts.update(zip(pixels, pixels, pixels))
        prev = line
    return width, height, counts


def check_png(path, width, height, colours):
    w, h, seen = png_colours(path)
    if (w, h) != (width, height):
        fail(f"{path}: {w}x{h}, expected {width}x{height}")
    background = max(seen, key=seen.get)
    other = w * h - seen[background]
    if other < w * h // 50:
        fail(f"{path}: blank: {other} of {w * h} pixels differ from the background {background}")
    for colour in colours:
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        if seen.get(rgb, 0) < 100:
            fail(f"{path}: the colour {colour} covers {seen.get(rgb, 0)} pixels: "
                 "a chart is not drawn")
    print(f"png: {w}x{h}, {other} pixels not background, {len(seen)} colours, "
          f"{', '.join(colours)} drawn")


def main():
    what = sys.argv[1]
    if what == "numbers":
        check_numbers(sys.argv[2], sys.argv[3])
    elif what == "standalone":
        check_standalone(sys.argv[2], sys.argv[3:])
    elif what == "png":
        check_png(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    else:
        fail(__doc__)


if __name__ == "__main__":
    main()
