"""Fault tolerance of the grade command (issue 5): SIGKILL half-way, then run it again.

200 small .py submissions (the reference, and three wrong ones, over and
over) are graded with --jobs 2; once the gradebook holds some gradings, the
whole process group of the command is killed with SIGKILL. The same command
then runs to completion, and must give: grades.csv with exactly 200 rows,
each submission once, no torn row, every score right; a gradebook that
passes `PRAGMA integrity_check`; at least one grading per submission, and
none graded twice (the second run keeps what the first recorded); the files
of every submission; and no sandbox left running by the killed command.

(A worker that dies, hangs or floods costs that submission's question only:
that is the hostile corpus, tests/test_hostile.py.)
"""

import importlib.util
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("hostile_harness", ROOT / "tests" / "hostile" / "_harness.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

pytestmark = pytest.mark.slow

SALT = "fault-test-salt-0b7c"
COUNT = 200
KILL_AFTER_ROWS = 20
FULL = dict(corpus.POINTS)

# kind -> (code appended to the reference, the scores it earns)
KINDS = {
    "reference": ("", FULL),
    "softmax_diagonal": (
        "\n\ndef softmax_backward(da, cache):\n    a = cache['a']\n    return da * a * (1 - a)\n",
        {**FULL, "softmax_backward": 0},
    ),
    "dropout_unscaled": (
        # right for p = 0 (3 points) and in eval mode (3 points); wrong for p = 0.3 and 0.75
        "\n\ndef dropout_backward(dout, cache):\n    if not cache['train']:\n        return dout.copy()\n"
        "    return dout * cache['keep']\n",
        {**FULL, "dropout_backward": 6},
    ),
    "no_network": ("\n\ndel bn_net_backward\n", {**FULL, "bn_net_backward": 0}),
}


def write_submissions(folder, count=COUNT):
    """{name: kind} for `count` submissions written as folder/NAME.py."""
    folder.mkdir(parents=True)
    base = corpus.reference_base()
    wrong = [kind for kind in KINDS if kind != "reference"]
    written = {}
    for number in range(count):
        kind = wrong[(number // 2) % len(wrong)] if number % 2 else "reference"  # half of them right
        name = f"s{number:03d}_{kind}"
        (folder / f"{name}.py").write_text(base + KINDS[kind][0])
        written[name] = kind
    return written


def command(folder, out):
    return [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
            "--jobs", "2", "--salt", SALT]


def gradings_count(out):
    """Rows in the gradebook's gradings table; 0 while it does not exist or is locked."""
    path = out / "gradebook.sqlite"
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)
        try:
            return db.execute("SELECT count(*) FROM gradings").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


def descendants(pid):
    """The pids of every process below `pid` (read from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def parent_of(pid):
    """The parent's pid, None once the process has gone (a sandbox's worker or fork server ends any time)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def command_line(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def per_submission_rows(out):
    db = sqlite3.connect(out / "gradebook.sqlite")
    try:
        return dict(db.execute("SELECT submission, count(*) FROM gradings GROUP BY submission").fetchall())
    finally:
        db.close()


def integrity(out):
    db = sqlite3.connect(out / "gradebook.sqlite")
    try:
        return db.execute("PRAGMA integrity_check").fetchall()
    finally:
        db.close()


def test_sigkill_half_way_then_rerun_gives_every_grade_once(tmp_path):
    folder, out = tmp_path / "submissions", tmp_path / "out"
    kinds = write_submissions(folder)

    # Run 1: SIGKILL the whole process group once the gradebook holds some gradings.
    first = subprocess.Popen(command(folder, out), cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    tree = []
    while gradings_count(out) <= KILL_AFTER_ROWS:
        assert first.poll() is None, "the first run finished before it could be killed: make it bigger"
        assert time.monotonic() < deadline, "the gradebook never reached the rows to kill at"
        tree = descendants(first.pid) or tree
        time.sleep(0.05)
    tree = descendants(first.pid) + tree
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=30)
    killed_at = gradings_count(out)
    assert killed_at < COUNT, "the first run had finished: nothing was interrupted"

    # Nothing of the killed run lives on: not the pool, not a sandbox (bwrap has its own session).
    stop = time.monotonic() + 10
    while any(alive(pid) for pid in tree) and time.monotonic() < stop:
        time.sleep(0.1)
    survivors = [pid for pid in tree if alive(pid)]
    assert not survivors, f"processes of the killed run still alive: {survivors}"
    assert integrity(out) == [("ok",)]
    recorded = per_submission_rows(out)
    assert all(count == 1 for count in recorded.values()), recorded

    # Run 2: the same command, to completion.
    second = subprocess.run(command(folder, out), cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"{len(recorded)} unchanged since their last grading kept" in second.stderr, second.stderr[-2000:]

    grades = corpus.read_grades(out)  # raises on a torn or repeated row
    assert len(grades) == COUNT and sorted(grades) == sorted(kinds)
    wrong = []
    for name, kind in kinds.items():
        expected = KINDS[kind][1]
        got = {function: grades[name][function] for function in corpus.FUNCTIONS}
        if got != {f: float(v) for f, v in expected.items()} or grades[name]["total"] != sum(expected.values()):
            wrong.append((name, got))
    assert not wrong, f"{len(wrong)} wrong scores, e.g. {wrong[:3]}"

    assert integrity(out) == [("ok",)]
    rows = per_submission_rows(out)
    assert sorted(rows) == sorted(kinds), "a submission has no grading in the gradebook"
    regraded = {name: count for name, count in rows.items() if count != 1}
    assert not regraded, f"graded more than once (the second run regraded what the first recorded): {regraded}"

    missing = [name for name in kinds
               if not (out / "results" / f"{name}.json").exists() or not (out / "feedback" / f"{name}.md").exists()]
    assert not missing, f"no results/feedback files for {missing} (bug B8: see tests/hostile/README.md)"
    stray = sorted(str(p.relative_to(out)) for p in out.rglob(".*") if p.is_file())
    print(f"\nkilled after {killed_at} gradings ({len(recorded)} recorded); the rerun graded {COUNT - len(recorded)}; "
          f"stray temporary files left by the kill: {stray or 'none'}")


def test_rerun_rewrites_result_files_of_a_grading_recorded_before_the_kill(tmp_path):
    """The gradebook commits a grading, then writes results/NAME.json and feedback/NAME.md. A kill
    between the two (simulated here by deleting the files) must not lose them for good: the rerun
    keeps the recorded grading and must write its files again. (Bug B8: today it does not.)"""
    folder, out = tmp_path / "submissions", tmp_path / "out"
    kinds = write_submissions(folder, count=3)
    first = subprocess.run(command(folder, out), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr[-2000:]
    victim = sorted(kinds)[1]
    (out / "results" / f"{victim}.json").unlink()
    (out / "feedback" / f"{victim}.md").unlink()
    second = subprocess.run(command(folder, out), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr[-2000:]
    assert per_submission_rows(out) == {name: 1 for name in kinds}
    assert (out / "results" / f"{victim}.json").exists(), "results json of a kept grading is lost for good"
    assert (out / "feedback" / f"{victim}.md").exists(), "feedback of a kept grading is lost for good"


def test_concurrent_grade_runs_do_not_cost_students_points(tmp_path):
    """Two `grade` runs busy in a slow cell (slot 0 each), and a third run grading the reference:
    the third must give full marks. (Bug B7, fixed in 1d6ad0f by a lock per sandbox user id: every
    run used uid 60000 + slot, and with RLIMIT_NPROC=1 the third worker of a uid could not start,
    exit 126, which was charged to the student as a crash.)"""
    base = corpus.reference_base()
    background = []
    for number in range(2):
        folder = tmp_path / f"slow{number}"
        folder.mkdir()
        (folder / "slow.py").write_text(base + "\nimport time\ntime.sleep(8)\n")
        background.append(subprocess.Popen(
            [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(tmp_path / f"out{number}"),
             "--jobs", "1", "--timeout", "10", "--salt", SALT],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
    try:
        time.sleep(3)  # both are inside their 8-second cell
        folder, out = tmp_path / "submissions", tmp_path / "out"
        folder.mkdir()
        (folder / "reference.py").write_text(base)
        run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
                              "--jobs", "1", "--salt", SALT], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        total = corpus.read_grades(out)["reference"]["total"]
        assert total == corpus.TOTAL, (out / "feedback" / "reference.md").read_text()
    finally:
        for process in background:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()


@pytest.mark.slow
def test_a_grading_process_killed_mid_batch_costs_nobody_a_grade(tmp_path):
    """One of the pool's grading processes dies (SIGKILL from outside): the pool
    is replaced, the submissions in flight are graded again, and every
    submission gets its real score in the same run."""
    folder, out = tmp_path / "submissions", tmp_path / "out"
    written = write_submissions(folder, count=60)
    grader = subprocess.Popen(command(folder, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while gradings_count(out) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        # The grading processes are the children of the pool's forkserver
        # (the sandboxes, bwrap and the workers, are below them).
        server = next(pid for pid in descendants(grader.pid)
                      if b"forkserver" in command_line(pid) and parent_of(pid) == grader.pid)
        pool = [pid for pid in descendants(server) if parent_of(pid) == server]
        assert len(pool) == 2, pool
        os.kill(pool[0], signal.SIGKILL)
        _, errors = grader.communicate(timeout=300)
    finally:
        if grader.poll() is None:
            os.killpg(grader.pid, signal.SIGKILL)
    assert grader.returncode == 0, errors
    rows = {row[0]: row for row in (line.split(",") for line in (out / "grades.csv").read_text().splitlines()[1:])}
    assert sorted(rows) == sorted(written)
    for name, kind in written.items():
        assert float(rows[name][4]) == sum(KINDS[kind][1].values()), (name, rows[name])


KILLED_GRADER = """
import sys, time
from autograder.sandbox import Limits, Sandbox
sandbox = Sandbox(Limits(call_seconds=60.0), sys.argv[1])
worker = sandbox.spawn()
from autograder import wire
worker.stream.sendall(wire.encode({"op": "exec", "cells": [[1, "while True: pass"]]}))
print(sandbox.process.pid, flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("level", ["rlimits", "container"])
def test_a_killed_grader_leaves_no_worker_running(level):
    """A child busy in an endless loop dies with its fork server, and the fork server with the grading
    process that started it (PR_SET_PDEATHSIG), instead of running on until its CPU limit."""
    grader = subprocess.Popen([sys.executable, "-c", KILLED_GRADER, level], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        server = int(grader.stdout.readline())
        time.sleep(0.5)
        workers = [server, *descendants(server)]
        assert len(workers) >= 2, workers  # the fork server and its child (and its spare)
    finally:
        grader.kill()
        grader.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{pid}") and _state(pid) != "Z" for pid in workers):
        time.sleep(0.1)
    assert [pid for pid in workers if os.path.exists(f"/proc/{pid}") and _state(pid) != "Z"] == []


def _state(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
