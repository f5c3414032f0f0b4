#!/usr/bin/env python3
"""bench/report.py RAW_CSV MACHINE_TXT OUTDIR [--keep OLD_RAW_CSV]

Turns the raw runs written by bench/run into:
    OUTDIR/results.csv       the median of every figure over its runs
    OUTDIR/raw-runs.csv      every run, as measured
    OUTDIR/results.md        tables: ours / Redis ratios, raw figures, machine
    OUTDIR/throughput.png    requests/s against clients (gnuplot)
    OUTDIR/latency.png       p50 and p99 latency against clients (gnuplot)
    OUTDIR/idleconns.png     throughput and CPU against idle connections held
With --keep, the runs of OLD_RAW_CSV whose test this run did not measure are
kept (bench/run --only re-runs some phases and keeps the others' figures).
Python 3 standard library only; gnuplot draws the plots.
"""
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict

OURS = "kvserver"
REDIS = "redis"
REDIS_AOF = "redis-aof"
PLOT_SERVERS = [  # name in the CSV, label in the plots, gnuplot style
    (OURS, "kvserver (select)", "linespoints lc rgb '#d62728' lw 2 pt 7"),
    (REDIS, "Redis in memory", "linespoints lc rgb '#1f77b4' lw 2 pt 5"),
    (REDIS_AOF, "Redis appendonly everysec", "linespoints lc rgb '#2ca02c' lw 2 pt 9"),
    ("kvserver-blocking", "kvserver-blocking", "points lc rgb '#7f7f7f' lw 2 pt 13 ps 2"),
]
NAMES = {
    OURS: "kvserver",
    REDIS: "Redis",
    REDIS_AOF: "Redis AOF",
    "kvserver-blocking": "kvserver-blocking",
    "kvserver-always": "kvserver --fsync always",
    "redis-aof-always": "Redis appendfsync always",
    "kvserver-epoll": "kvserver-epoll",
    "redis-10k": "Redis",
}

# The idle-connections phase: tests named idle<N>_SET, idle<N>_cpu_user...
IDLE_SERVERS = [  # name in the CSV, label, gnuplot style
    (OURS, "kvserver (select)", "linespoints lc rgb '#d62728' lw 2 pt 7"),
    ("kvserver-epoll", "kvserver-epoll", "linespoints lc rgb '#9467bd' lw 2 pt 11"),
    ("redis-10k", "Redis (epoll)", "linespoints lc rgb '#1f77b4' lw 2 pt 5"),
]
IDLE_REDIS = "redis-10k"


def num(text):
    return float(text) if text not in ("", None) else None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def load(raw_path):
    """{(server, test, clients, pipeline): [row, ...]} in run order."""
    groups = defaultdict(list)
    with open(raw_path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["server"], row["test"], row["clients"], row["pipeline"])
            groups[key].append(row)
    return groups


def summarize(groups):
    """One row per figure: the median of its runs."""
    out = {}
    for key, rows in groups.items():
        notes = sorted({r["note"] for r in rows if r["note"]})
        out[key] = {
            "server": key[0], "test": key[1], "clients": key[2], "pipeline": key[3],
            "runs": len(rows),
            "rps": median(num(r["rps"]) for r in rows),
            "p50_ms": median(num(r["p50_ms"]) for r in rows),
            "p99_ms": median(num(r["p99_ms"]) for r in rows),
            "value": median(num(r["value"]) for r in rows),
            "unit": rows[0]["unit"],
            # Notes that differ run by run (RSS figures) are kept in raw-runs.csv.
            "note": notes[0] if len(notes) == 1 else ("" if notes else ""),
            "failed": sum(1 for r in rows if r["rps"] == "" and r["value"] == ""),
        }
    return out


def write_results_csv(summary, path):
    cols = ["server", "test", "clients", "pipeline", "runs", "rps", "p50_ms",
            "p99_ms", "value", "unit", "note"]
    def fmt(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.3f}".rstrip("0").rstrip(".")
        return str(v)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for key in sorted(summary, key=sort_key):
            w.writerow([fmt(summary[key][c]) for c in cols])


def sort_key(key):
    server, test, clients, pipeline = key
    return (test, int(pipeline or 0), int(clients or 0), server)


# ---- Markdown --------------------------------------------------------------------

def rps(v):
    return "—" if v is None else f"{v:,.0f}"


def ms(v):
    return "—" if v is None else f"{v:.3f}".rstrip("0").rstrip(".")


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    return "—" if r is None else f"**{r:.2f}**"


def get(summary, server, test, clients="", pipeline=""):
    return summary.get((server, test, str(clients), str(pipeline)))


def field(row, name):
    return None if row is None else row[name]


def machine(path):
    info = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            info[k] = v
    return info


def markdown(summary, info, clients_list, pipelines):
    L = []
    w = L.append
    reps = int(info.get("reps", "1"))
    w("# Benchmark: kvserver against Redis")
    w("")
    w(f"Measured {info.get('date', '?')} by `bench/run`"
      f"{' --quick' if info.get('mode') == 'quick' else ''} on {info.get('nproc', '?')} "
      f"cores ({info.get('cpu', '?')}), Linux {info.get('kernel', '?')}, "
      f"Redis {info.get('redis', '?')}, {info.get('benchmark', 'redis-benchmark')}. "
      f"Every figure is the median of {reps} run{'s' if reps != 1 else ''}; "
      "the servers took turns run by run. redis-benchmark and the server share "
      "the machine's cores, so these are figures for comparing servers on one "
      "machine, not absolute capacities. Load average (1, 5, 15 min) at the "
      f"start: {info.get('load_start', '?')}, at the end: {info.get('load_end', '?')}; "
      f"the whole run took {info.get('seconds', '?')} s.")
    w("")
    w(f"Servers: **kvserver** is `stages/select/kvserver` (its store file fsynced "
      f"every second, the default); **Redis** is `redis-server --save '' "
      f"--appendonly no` (memory only); **Redis AOF** is `redis-server "
      f"--appendonly yes --appendfsync everysec`, the same durability as ours. "
      f"Ratios are ours / Redis: above 1 we are faster (or smaller).")
    w("")
    w(f"Load: `redis-benchmark -t set,get -r {info.get('keyspace')} "
      f"-d {info.get('value_size')}` (random keys among {int(info.get('keyspace', 0)):,}, "
      f"{info.get('value_size')}-byte values), `-c` clients, `-P` requests "
      "pipelined per client. Latencies are redis-benchmark's, in ms.")
    w("")

    # Targets -------------------------------------------------------------------
    w("## Targets")
    w("")
    w("| target | measured | met |")
    w("| --- | --- | --- |")
    for test in ("SET", "GET"):
        for c, p in ((50, 1), (50, 16), (1000, 1), (1000, 16)):
            ours = field(get(summary, OURS, test, c, p), "rps")
            for ref, name in ((REDIS, "Redis"), (REDIS_AOF, "Redis AOF")):
                theirs = field(get(summary, ref, test, c, p), "rps")
                r = ratio(ours, theirs)
                w(f"| {test} throughput, {c} clients, P{p}: ours / {name} ≥ 1.0 | "
                  f"{fmt_ratio(r)} ({rps(ours)} / {rps(theirs)} req/s) | "
                  f"{met(r is not None and r >= 1.0, r)} |")
    ok = field(get(summary, OURS, "key_bytes"), "value")
    rk = field(get(summary, REDIS_AOF, "key_bytes"), "value")
    w(f"| memory per key ≤ Redis's | {bytes_(ok)} vs {bytes_(rk)} | "
      f"{met(ok is not None and rk is not None and ok <= rk, ok)} |")
    for test, what in (("idle_conn", "accepted, never used"),
                       ("idle_conn_after_ping", "after one PING")):
        v = field(get(summary, OURS, test, info.get("idle_connections")), "value")
        w(f"| idle connection ≤ 8 KiB ({what}) | {bytes_(v)} | "
          f"{met(v is not None and v <= 8192, v)} |")
    w("")

    # Throughput tables ------------------------------------------------------------
    w("## Throughput and latency")
    w("")
    w("![requests per second against clients](throughput.png)")
    w("")
    w("![p50 and p99 latency against clients](latency.png)")
    w("")
    for test in ("SET", "GET"):
        for p in pipelines:
            w(f"### {test}, pipeline {p}")
            w("")
            w("| clients | kvserver req/s | Redis req/s | ours / Redis | Redis AOF req/s "
              "| ours / Redis AOF | p50 / p99 kvserver | p50 / p99 Redis | p50 / p99 Redis AOF |")
            w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
            for c in clients_list:
                o = get(summary, OURS, test, c, p)
                r = get(summary, REDIS, test, c, p)
                a = get(summary, REDIS_AOF, test, c, p)
                w(f"| {c} | {rps(field(o, 'rps'))} | {rps(field(r, 'rps'))} | "
                  f"{fmt_ratio(ratio(field(o, 'rps'), field(r, 'rps')))} | "
                  f"{rps(field(a, 'rps'))} | "
                  f"{fmt_ratio(ratio(field(o, 'rps'), field(a, 'rps')))} | "
                  f"{lat(o)} | {lat(r)} | {lat(a)} |")
            w("")
    failed = [k for k, v in summary.items() if v["failed"]]
    if failed:
        w("Runs that failed (see raw-runs.csv): " + ", ".join(
            f"{NAMES.get(k[0], k[0])} {k[1]} c={k[2]} P{k[3]} ({summary[k]['failed']}×)"
            for k in sorted(failed, key=sort_key)) + ".")
        w("")

    # Blocking server -----------------------------------------------------------------
    w("### The blocking server (stage 1)")
    w("")
    w("It serves one connection at a time, to the end. redis-benchmark opens all "
      "its connections first and keeps them open until every request is "
      "answered, so with several clients the first connection is served and "
      "the others wait forever: the run stalls and is killed by `timeout`. "
      "The rate shown then is that of what completed before the stall.")
    w("")
    w("| clients | pipeline | test | kvserver-blocking req/s | kvserver req/s | outcome |")
    w("| ---: | ---: | --- | ---: | ---: | --- |")
    for c in (1, 10):
        for p in pipelines:
            for test in ("SET", "GET"):
                b = get(summary, "kvserver-blocking", test, c, p)
                if b is None:
                    continue
                o = get(summary, OURS, test, c, p)
                outcome = b["note"] or ("completed" if b["rps"] else "failed")
                w(f"| {c} | {p} | {test} | {rps(b['rps'])} | {rps(field(o, 'rps'))} | {outcome} |")
    w("")

    # fsync always -----------------------------------------------------------------------
    w("### fsync at every write: `--fsync always` against `appendfsync always`, 50 clients")
    w("")
    w("| test | pipeline | kvserver req/s | Redis req/s | ours / Redis | p50 / p99 kvserver | p50 / p99 Redis |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for test in ("SET", "GET"):
        for p in pipelines:
            o = get(summary, "kvserver-always", test, 50, p)
            r = get(summary, "redis-aof-always", test, 50, p)
            if o is None and r is None:
                continue
            w(f"| {test} | {p} | {rps(field(o, 'rps'))} | {rps(field(r, 'rps'))} | "
              f"{fmt_ratio(ratio(field(o, 'rps'), field(r, 'rps')))} | {lat(o)} | {lat(r)} |")
    w("")

    # Memory -------------------------------------------------------------------------------
    w("## Memory (resident set size, VmRSS)")
    w("")
    n_idle = info.get("idle_connections")
    keys = int(info.get("keys", "0"))
    w(f"Each figure is (RSS with the load − RSS of the same server empty) / count. "
      f"Idle connections: {n_idle} connections opened and held by a Python script, "
      f"on a fresh server. Keys: {keys:,} keys of 16 bytes with 32-byte values, "
      f"loaded with `redis-cli --pipe` (Redis with appendonly everysec, like ours).")
    w("")
    w("| what | kvserver | Redis | ours / Redis |")
    w("| --- | ---: | ---: | ---: |")
    for test, what, redis_name in (
            ("idle_conn", f"per idle connection, accepted, never used ({n_idle})", REDIS),
            ("idle_conn_after_ping", f"per idle connection, after one PING ({n_idle})", REDIS),
            ("key_bytes", f"per key ({keys:,} keys)", REDIS_AOF)):
        clients = n_idle if test.startswith("idle") else ""
        o = field(get(summary, OURS, test, clients), "value")
        r = field(get(summary, redis_name, test, clients), "value")
        w(f"| {what} | {bytes_(o)} | {bytes_(r)} | {fmt_ratio(ratio(o, r))} |")
    w("")

    # Start-up ------------------------------------------------------------------------------
    w(f"## Start-up on {keys:,} keys")
    w("")
    w("kvserver restarted on the store file it wrote (one SET per key after its "
      "compaction at shutdown), timed from exec until its `listening on` line; "
      "Redis restarted on the AOF it wrote itself while the same keys were "
      "loaded (automatic rewrite off, so it replays a log of SET commands as "
      "we do), timed until it answers PING (it answers -LOADING before). For "
      "reference, Redis again after `BGREWRITEAOF`, when its AOF base is an "
      "RDB snapshot, which is what a long-running Redis usually loads.")
    w("")
    w("| server | seconds | ours / Redis |")
    w("| --- | ---: | ---: |")
    ours = field(get(summary, OURS, "startup"), "value")
    w(f"| kvserver, store file | {secs(ours)} | |")
    for test, what in (("startup", "Redis, AOF of SET commands"),
                       ("startup_rdb_preamble", "Redis, AOF after BGREWRITEAOF (RDB preamble)")):
        r = field(get(summary, REDIS_AOF, test), "value")
        w(f"| {what} | {secs(r)} | {fmt_ratio(ratio(ours, r))} |")
    w("")
    w("For start-up, a ratio below 1 means we start faster.")
    w("")
    idle_markdown(summary, w)
    w("Every figure, with its number of runs, is in `results.csv`; every single "
      "run in `raw-runs.csv`.")
    return "\n".join(L) + "\n"


IDLE_TEST = re.compile(r"^idle(\d+)_")


def idle_counts(summary):
    return sorted({int(m.group(1)) for k in summary if (m := IDLE_TEST.match(k[1]))})


def idle_markdown(summary, w):
    """The idle-connections section: ratios by idle connections, then the
    figures (throughput, p99, CPU per 100k requests)."""
    counts = idle_counts(summary)
    if not counts:
        return
    clients = sorted({int(k[2]) for k in summary if IDLE_TEST.match(k[1]) and k[2]})
    w("## Idle connections: what select() costs")
    w("")
    w("redis-benchmark `-P 1` with `-c` active clients while N more connections "
      "are held open and idle (each answered one PING). The select server holds "
      "at most 1016 clients (FD_SETSIZE), so its N stops at 1000. CPU is the "
      "server's own (`/proc/PID/stat`, user and system), per 100,000 requests.")
    w("")
    w("![throughput and CPU against idle connections](idleconns.png)")
    w("")
    w("Ratios to Redis with the same idle connections (above 1: faster):")
    w("")
    head = "| idle | " + " | ".join(f"{NAMES.get(srv, srv)} {t} c={c}"
                                       for srv in (OURS, "kvserver-epoll")
                                       for c in clients for t in ("SET", "GET")) + " |"
    w(head)
    w("|" + " --- |" * (head.count("|") - 1))
    for n in counts:
        cells = []
        for srv in (OURS, "kvserver-epoll"):
            for c in clients:
                for t in ("SET", "GET"):
                    ours = field(get(summary, srv, f"idle{n}_{t}", c, 1), "rps")
                    theirs = field(get(summary, IDLE_REDIS, f"idle{n}_{t}", c, 1), "rps")
                    cells.append(fmt_ratio(ratio(ours, theirs)))
        w(f"| {n:,} | " + " | ".join(cells) + " |")
    w("")
    w("Each server against itself with no idle connection (throughput with N idle "
      "/ throughput with none):")
    w("")
    head = "| idle | " + " | ".join(f"{NAMES.get(srv, srv)} {t} c={c}"
                                       for srv, _, _ in IDLE_SERVERS
                                       for c in clients for t in ("SET", "GET")) + " |"
    w(head)
    w("|" + " --- |" * (head.count("|") - 1))
    for n in counts:
        cells = []
        for srv, _, _ in IDLE_SERVERS:
            for c in clients:
                for t in ("SET", "GET"):
                    now = field(get(summary, srv, f"idle{n}_{t}", c, 1), "rps")
                    base = field(get(summary, srv, f"idle0_{t}", c, 1), "rps")
                    cells.append(fmt_ratio(ratio(now, base)))
        w(f"| {n:,} | " + " | ".join(cells) + " |")
    w("")
    w("| server | idle | clients | SET req/s | GET req/s | SET p99 ms | GET p99 ms "
      "| CPU user s/100k | CPU system s/100k |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for srv, _, _ in IDLE_SERVERS:
        for n in counts:
            for c in clients:
                st = get(summary, srv, f"idle{n}_SET", c, 1)
                gt = get(summary, srv, f"idle{n}_GET", c, 1)
                if st is None and gt is None:
                    continue
                cu = field(get(summary, srv, f"idle{n}_cpu_user", c, 1), "value")
                cs = field(get(summary, srv, f"idle{n}_cpu_sys", c, 1), "value")
                note = (st or {}).get("note") or ""
                w(f"| {NAMES.get(srv, srv)} | {n:,} | {c} | {rps(field(st, 'rps'))} | "
                  f"{rps(field(gt, 'rps'))} | {ms(field(st, 'p99_ms'))} | "
                  f"{ms(field(gt, 'p99_ms'))} | {secs3(cu)} | {secs3(cs)} |"
                  + (f" {note}" if note and field(st, "rps") is None else ""))
    w("")


def secs3(v):
    return "—" if v is None else f"{v:.3f}"


def idle_plot(summary, outdir):
    """idleconns.png: throughput (SET, GET) and CPU per 100k requests against
    the idle connections held, one line per server, for each -c."""
    counts = idle_counts(summary)
    clients = sorted({int(k[2]) for k in summary if IDLE_TEST.match(k[1]) and k[2]})
    if not counts or shutil.which("gnuplot") is None:
        return
    with tempfile.TemporaryDirectory() as tmp:
        def data(srv, test, c, col):
            path = os.path.join(tmp, f"{srv}-{test}-{c}-{col}.dat")
            with open(path, "w") as f:
                for i, n in enumerate(counts):
                    if col == "cpu":
                        u = field(get(summary, srv, f"idle{n}_cpu_user", c, 1), "value")
                        sy = field(get(summary, srv, f"idle{n}_cpu_sys", c, 1), "value")
                        if u is not None and sy is not None:
                            f.write(f"{i} {u + sy:.4f}\n")
                    else:
                        v = field(get(summary, srv, f"idle{n}_{test}", c, 1), "rps")
                        if v is not None:
                            f.write(f"{i} {v / 1000:.3f}\n")
            return path if os.path.getsize(path) > 0 else None
        xt = ", ".join(f"'{n:,}' {i}" for i, n in enumerate(counts))
        gp = ["set terminal pngcairo size 1500,900 font 'sans,11'",
              f"set output '{os.path.join(outdir, 'idleconns.png')}'",
              f"set xtics ({xt})", f"set xrange [-0.2:{len(counts) - 0.8}]",
              "set xlabel 'idle connections held open'", "set grid",
              "set key below horizontal", "set yrange [0:*]",
              f"set multiplot layout 2,{len(clients) + 1} title "
              "'Active load (redis-benchmark -P 1) with idle connections open'"]
        for test in ("SET", "GET"):
            for c in clients:
                lines = [f"'{d}' using 1:2 with {style} title '{label}'"
                         for srv, label, style in IDLE_SERVERS
                         if (d := data(srv, test, c, "rps"))]
                gp += [f"set title '{test} throughput, {c} clients'",
                       "set ylabel 'thousands of requests/s'",
                       "plot " + ", ".join(lines) if lines else "plot NaN notitle"]
            if test == "SET":
                c = clients[0]
                lines = [f"'{d}' using 1:2 with {style} title '{label}'"
                         for srv, label, style in IDLE_SERVERS
                         if (d := data(srv, "cpu", c, "cpu"))]
                gp += [f"set title 'server CPU (user + system), {c} clients'",
                       "set ylabel 's per 100,000 requests'",
                       "plot " + ", ".join(lines) if lines else "plot NaN notitle"]
            else:
                c = clients[-1]
                lines = [f"'{d}' using 1:2 with {style} title '{label}'"
                         for srv, label, style in IDLE_SERVERS
                         if (d := data(srv, "cpu", c, "cpu"))]
                gp += [f"set title 'server CPU (user + system), {c} clients'",
                       "set ylabel 's per 100,000 requests'",
                       "plot " + ", ".join(lines) if lines else "plot NaN notitle"]
        gp.append("unset multiplot")
        script = os.path.join(tmp, "idle.gp")
        with open(script, "w") as f:
            f.write("\n".join(gp) + "\n")
        subprocess.run(["gnuplot", script], check=True)


def met(ok, value):
    if value is None:
        return "not measured"
    return "yes" if ok else "**no**"


def bytes_(v):
    return "—" if v is None else f"{v:,.0f} B"


def secs(v):
    return "—" if v is None else f"{v:.2f}"


def lat(row):
    if row is None or row["p50_ms"] is None:
        return "—"
    return f"{ms(row['p50_ms'])} / {ms(row['p99_ms'])}"


# ---- plots -------------------------------------------------------------------------

def plots(summary, clients_list, pipelines, outdir):
    if shutil.which("gnuplot") is None:
        print("report.py: gnuplot not found, no plots", file=sys.stderr)
        return
    panels = [(t, p) for t in ("SET", "GET") for p in pipelines]
    with tempfile.TemporaryDirectory() as tmp:
        # One data file per server and panel: clients rps p50 p99.
        for server, _, _ in PLOT_SERVERS:
            for test, p in panels:
                with open(os.path.join(tmp, f"{server}-{test}-{p}.dat"), "w") as f:
                    for c in clients_list:
                        row = get(summary, server, test, c, p)
                        if row is None or row["rps"] is None or row["note"]:
                            continue        # a stalled run is no point on a curve
                        f.write(f"{c} {row['rps'] / 1000:.3f} "
                                f"{row['p50_ms'] or 'NaN'} {row['p99_ms'] or 'NaN'}\n")

        def datafile(server, test, p):
            path = os.path.join(tmp, f"{server}-{test}-{p}.dat")
            return path if os.path.getsize(path) > 0 else None

        common = [
            "set terminal pngcairo size 1400,1100 font 'sans,11'",
            "set logscale x",
            f"set xtics ({', '.join(str(c) for c in clients_list)})",
            "set xlabel 'clients (redis-benchmark -c)'",
            "set grid",
            "set key below horizontal",
        ]
        # Throughput.
        gp = common + [f"set output '{os.path.join(outdir, 'throughput.png')}'",
                       "set multiplot layout 2,2 title 'Throughput (higher is better)'",
                       "set ylabel 'thousands of requests/s'",
                       "set yrange [0:*]"]
        for test, p in panels:
            lines = []
            for server, label, style in PLOT_SERVERS:
                d = datafile(server, test, p)
                if d:
                    lines.append(f"'{d}' using 1:2 with {style} title '{label}'")
            gp += [f"set title '{test}, pipeline {p}'",
                   "plot " + ", ".join(lines) if lines else "plot NaN notitle"]
        gp.append("unset multiplot")
        # Latency: p50 solid, p99 dashed, log y.
        gp += [f"set output '{os.path.join(outdir, 'latency.png')}'",
               "set multiplot layout 2,2 title 'Latency: p50 (solid) and p99 (dashed), lower is better'",
               "set ylabel 'ms'",
               "set logscale y",
               "set yrange [*:*]"]
        for test, p in panels:
            lines = []
            for server, label, style in PLOT_SERVERS:
                d = datafile(server, test, p)
                if d:
                    lines.append(f"'{d}' using 1:3 with {style} dt 1 title '{label}'")
                    lines.append(f"'{d}' using 1:4 with {style} dt 2 notitle")
            gp += [f"set title '{test}, pipeline {p}'",
                   "plot " + ", ".join(lines) if lines else "plot NaN notitle"]
        gp.append("unset multiplot")
        script = os.path.join(tmp, "plots.gp")
        with open(script, "w") as f:
            f.write("\n".join(gp) + "\n")
        subprocess.run(["gnuplot", script], check=True)


def keep_old_runs(raw, old_raw, merged):
    """Writes to merged the runs of raw, then those of old_raw whose test
    raw does not have (the phases this run left out)."""
    with open(raw, newline="") as f:
        rows = list(csv.DictReader(f))
    tests = {r["test"] for r in rows}
    with open(old_raw, newline="") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames
        rows += [r for r in reader if r["test"] not in tests]
    with open(merged, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(argv):
    if len(argv) == 6 and argv[4] == "--keep":
        merged = argv[1] + ".merged"
        keep_old_runs(argv[1], argv[5], merged)
        argv = [argv[0], merged, argv[2], argv[3]]
    if len(argv) != 4:
        raise SystemExit(__doc__)
    raw, machine_txt, outdir = argv[1:]
    os.makedirs(outdir, exist_ok=True)
    groups = load(raw)
    summary = summarize(groups)
    info = machine(machine_txt)
    clients_list = sorted({int(k[2]) for k in summary
                           if k[2] and k[1] in ("SET", "GET") and k[0] == OURS})
    pipelines = sorted({int(k[3]) for k in summary if k[3]})
    write_results_csv(summary, os.path.join(outdir, "results.csv"))
    shutil.copyfile(raw, os.path.join(outdir, "raw-runs.csv"))
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(markdown(summary, info, clients_list, pipelines))
    plots(summary, clients_list, pipelines, outdir)
    idle_plot(summary, outdir)


if __name__ == "__main__":
    main(sys.argv)
