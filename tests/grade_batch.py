"""Batch grading for tests/grade: a whole class into one gradebook.

    tests/grade --batch DIR --jobs N --csv gradebook.csv

Each entry of DIR is one submission: a directory (the student's tree), or a
.tar.gz / .tgz / .tar / .zip of one (a single top directory inside is taken
as the tree).  Each is graded by its own `tests/grade --student` process, so
a submission that fails to build, hangs or crashes costs only itself: the
process is killed (its whole process group) after SUBMISSION_TIMEOUT.
Several run at once with --jobs; they cannot clash (port 0, own temporary
directories).  Each submission's results.json (Gradescope's format, with its
score per stage and milestone in extra_data) and its report go to
gradebook.d/NAME.json and NAME.txt beside the CSV; a rerun skips the
submissions already graded there (--regrade to grade them again).

Run as root, each job grades in the sandbox (tests/grade --sandbox) as its
own user: job slot i is kvgrade{i} (created by tests/sandbox/setup-users),
since process limits and kill-user work per uid; every process of that user
is killed when its submission is done.  --no-sandbox turns this off.

The CSV has one row per submission: name, status (graded, build failed,
timed out, could not grade, bad archive), make's exit status, points per
stage and per milestone, total, maximum and the seconds it took.
gradebook.d/.runs.json keeps each run's wall-clock time.  The class report
(tests/grade_report.py, --report) is drawn from these files.
"""
import concurrent.futures
import csv
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

ARCHIVES = (".tar.gz", ".tgz", ".tar", ".zip")
SUBMISSION_TIMEOUT = 3600       # seconds for one whole submission


class BadArchive(Exception):
    pass


def submission_name(entry):
    for ext in ARCHIVES:
        if entry.endswith(ext):
            return entry[:-len(ext)]
    return entry


def list_submissions(batch_dir):
    found = []
    for entry in sorted(os.listdir(batch_dir)):
        path = os.path.join(batch_dir, entry)
        if entry.startswith("."):
            continue
        if os.path.isdir(path) and not os.path.islink(path):
            found.append((entry, path))
        elif os.path.isfile(path) and entry.endswith(ARCHIVES):
            found.append((submission_name(entry), path))
    return found


def safe_member(name, dest):
    """A member path that stays inside dest once joined."""
    target = os.path.realpath(os.path.join(dest, name))
    return target == dest or target.startswith(dest + os.sep)


def unpack(archive, dest):
    """Unpacks archive into dest, refusing absolute paths, '..', links that
    leave the tree and device files; returns the tree (dest, or its only
    top directory)."""
    dest = os.path.realpath(dest)
    os.makedirs(dest)
    if archive.endswith(".zip"):
        with zipfile.ZipFile(archive) as z:
            for info in z.infolist():
                if not safe_member(info.filename, dest):
                    raise BadArchive(f"member outside the tree: {info.filename}")
                z.extract(info, dest)
    else:
        try:
            with tarfile.open(archive) as t:
                for m in t.getmembers():
                    if not safe_member(m.name, dest):
                        raise BadArchive(f"member outside the tree: {m.name}")
                    if m.isdev():
                        raise BadArchive(f"device file in the archive: {m.name}")
                    if m.issym() or m.islnk():
                        link = os.path.join(os.path.dirname(m.name), m.linkname)
                        if os.path.isabs(m.linkname) or not safe_member(link, dest):
                            raise BadArchive(f"link leaving the tree: {m.name} -> {m.linkname}")
                    t.extract(m, dest, set_attrs=False)
        except tarfile.TarError as e:
            raise BadArchive(str(e)) from e
    entries = [e for e in os.listdir(dest) if not e.startswith("._")]
    if len(entries) == 1 and os.path.isdir(os.path.join(dest, entries[0])):
        return os.path.join(dest, entries[0])
    return dest


def sums(tests, key):
    """Points got per stage tag or milestone, from results.json's tests."""
    out = {}
    for t in tests:
        for tag in t.get("tags", []):
            if key == "milestone" and tag.startswith("milestone:"):
                name = tag.split(":", 1)[1]
            elif key == "stage" and not tag.startswith("milestone:") and tag != "bonus":
                name = tag
            else:
                continue
            out[name] = out.get(name, 0) + t["score"]
    return out


def grade_one(grade_cmd, name, source, out_dir, extra_args, timeout, users=None):
    """Grades one submission in a child process, as a free sandbox user
    taken from users (a queue) if given; returns its CSV row."""
    if users is None:
        return grade_as(grade_cmd, name, source, out_dir, extra_args, timeout)
    user = users.get()
    try:
        return grade_as(grade_cmd, name, source, out_dir,
                        extra_args + ["--sandbox", "--sandbox-user", user], timeout, user)
    finally:
        kill_user(user)
        users.put(user)


def kill_user(user):
    subprocess.run([os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "sandbox", "kill-user"), user],
                   stdin=subprocess.DEVNULL, check=False)


def grade_as(grade_cmd, name, source, out_dir, extra_args, timeout, user=None):
    start = time.time()
    row = {"name": name, "status": "graded", "make": "", "total": 0, "max": 0}
    json_path = os.path.join(out_dir, name + ".json")
    log_path = os.path.join(out_dir, name + ".txt")
    scratch = tempfile.mkdtemp(prefix="kvbatch-")
    try:
        tree = source
        if os.path.isfile(source):
            try:
                tree = unpack(source, os.path.join(scratch, "unpacked"))
            except (BadArchive, OSError, zipfile.BadZipFile) as e:
                row["status"] = f"bad archive: {e}"
                return finish(row, start, log_path, f"bad archive: {e}\n")
        cmd = grade_cmd + ["--student", tree, "--json", json_path] + extra_args
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                if user:                # its student processes, before the next job
                    kill_user(user)
                rc = None
        if rc is None:
            row["status"] = f"timed out after {timeout} s"
        elif rc == 3:
            row["status"] = "could not grade (see the report)"
        elif rc != 0 or not os.path.exists(json_path):
            row["status"] = f"grader failed (exit status {rc})"
        else:
            with open(json_path, encoding="utf-8") as f:
                report = json.load(f)
            extra = report.get("extra_data", {})
            row["make"] = extra.get("build_status", "")
            if row["make"] not in ("", 0):
                row["status"] = f"graded, but make failed (exit status {row['make']})"
            row["total"], row["max"] = report["score"], report["max_score"]
            row["bonus"] = extra.get("bonus_score", "")
            row.update({f"stage {k}": v for k, v in sums(report["tests"], "stage").items()})
            row.update({f"m {k}": v for k, v in sums(report["tests"], "milestone").items()})
        return finish(row, start)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def finish(row, start, log_path=None, text=None):
    if log_path and text:
        with open(log_path, "w", encoding="utf-8") as f:
            f.write(text)
    row["seconds"] = round(time.time() - start, 1)
    return row


def read_done(csv_path):
    """Rows of an earlier run that finished grading."""
    if not os.path.exists(csv_path):
        return {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        return {r["name"]: r for r in csv.DictReader(f)
                if r.get("status", "").startswith("graded")}


def write_csv(csv_path, rows, stage_keys, milestone_ids):
    fields = (["name", "status", "make"] + [f"stage {s}" for s in stage_keys] +
              [f"m {m}" for m in milestone_ids] + ["total", "max", "bonus", "seconds"])
    tmp = csv_path + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in sorted(rows.values(), key=lambda r: r["name"]):
            w.writerow({k: r.get(k, "") for k in fields})
    os.replace(tmp, csv_path)


RUNS_FILE = ".runs.json"     # in gradebook.d/: a name no submission can have


def record_run(out_dir, started, jobs, graded, sandboxed, fresh):
    """Appends this run to gradebook.d/.runs.json (its wall-clock time, for
    the class report: with --jobs it is less than the sum of the rows'
    seconds).  A fresh gradebook (nothing graded before, or --regrade)
    starts the list again."""
    path = os.path.join(out_dir, RUNS_FILE)
    runs = []
    if not fresh:
        try:
            with open(path, encoding="utf-8") as f:
                runs = json.load(f)
        except (OSError, ValueError):
            runs = []
    runs.append({"started": time.strftime("%Y-%m-%d %H:%M", time.localtime(started)),
                 "seconds": round(time.time() - started, 1), "jobs": jobs,
                 "graded": graded, "sandboxed": sandboxed})
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(runs, f, indent=1)
    os.replace(path + ".tmp", path)


def run_batch(args, grade_path, stage_keys, milestone_ids):
    csv_path = os.path.abspath(args.csv or "gradebook.csv")
    out_dir = os.path.splitext(csv_path)[0] + ".d"
    os.makedirs(out_dir, exist_ok=True)
    submissions = list_submissions(args.batch)
    rows = {} if args.regrade else read_done(csv_path)
    rows = {n: r for n, r in rows.items() if n in dict(submissions)}
    todo = [(n, p) for n, p in submissions if n not in rows]
    print(f"batch: {len(submissions)} submissions, {len(rows)} already graded, "
          f"{len(todo)} to grade, {args.jobs} at a time", file=sys.stderr)
    extra_args = ["--quiet"]
    if args.extra:
        extra_args += ["--extra", os.path.abspath(args.extra)]
    for s in args.stage or []:
        extra_args += ["--stage", s]
    for m in args.milestone or []:
        extra_args += ["--milestone", m]
    if args.filter:
        extra_args += ["--filter", args.filter]
    grade_cmd = [sys.executable, grade_path]
    users = None
    if os.geteuid() == 0 and not args.no_sandbox:
        setup = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox", "setup-users")
        if subprocess.run([setup, str(args.jobs)], stdout=subprocess.DEVNULL,
                          check=False).returncode != 0:
            print("batch: could not create the sandbox users (tests/sandbox/setup-users)",
                  file=sys.stderr)
            return 3
        users = queue.Queue()
        for i in range(args.jobs):
            users.put(f"kvgrade{i}")
        print(f"batch: sandboxed, as kvgrade0..kvgrade{args.jobs - 1}", file=sys.stderr)
    elif os.geteuid() == 0:
        print("batch: warning: --no-sandbox as root: the students' code runs as root",
              file=sys.stderr)
    started, fresh = time.time(), not rows
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(grade_one, grade_cmd, n, p, out_dir, extra_args,
                               args.submission_timeout, users): n for n, p in todo}
        for fut in concurrent.futures.as_completed(futures):
            row = fut.result()
            rows[row["name"]] = row
            write_csv(csv_path, rows, stage_keys, milestone_ids)   # after each one
            print(f"  {row['name']}: {row['status']}, {row['total']}/{row['max']}, "
                  f"{row['seconds']} s", file=sys.stderr)
    write_csv(csv_path, rows, stage_keys, milestone_ids)
    if todo:
        record_run(out_dir, started, args.jobs, len(todo), users is not None, fresh)
    print(f"gradebook: {csv_path} (reports in {out_dir})", file=sys.stderr)
    return 0
