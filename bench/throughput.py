"""Throughput of `autograder grade` on a generated class, and otter's time on a sample.

    python bench/throughput.py --n 1000            (or: make bench)

First it measures the floor: the grader's checks of every case of every
question for a correct notebook, in-process (no worker, no wire), and the cost
of a fork, exit and wait of a process holding numpy. Then it grades a class of
only correct notebooks (`--correct`), and prints its throughput as a share of
that floor. Then it generates N notebook submissions from the student notebook
(a realistic mix: correct ones, each example mistake, the untouched stub, a
half-done one, broken, slow and hostile ones, and one endless loop per 500),
grades them with `autograder grade --jobs J`, and prints: submissions per
second, median and p95 milliseconds per submission, the peak memory of the
grader's processes and of a worker, and where the time went. It then grades a
sample one at a time (`--jobs 1`) and checks that the scores are the same,
checks each kind's expected score, and, when otter's autograder zip has been
built (`autograder build`), times `otter run` on a sample of the same
notebooks. With `--memory-n M`, it also grades a realistic class of M and
compares the peak memory with that of N.

Exits non-zero when a score is not what its kind should get: the numbers are
printed, never asserted.
"""

import argparse
import csv
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder import release  # noqa: E402
from autograder.assignment import load

BACKPROP = load()  # the default assignment: the mixes below are written in its functions

OTTER_ZIP = ROOT / "dist" / "otter" / "backprop-otter-autograder.zip"

SYNTAX_ERROR = {"softmax_backward": "def softmax_backward(da, cache)\n    return da\n"}
SLOW = {"softmax_backward": (
    "def softmax_backward(da, cache):\n"
    "    import time\n"
    "    time.sleep(0.05)\n"
    "    a = cache['a']\n"
    "    return (da - (da * a).sum(axis=1, keepdims=True)) * a\n"
)}
HOSTILE = [
    {"dropout_backward": "def dropout_backward(dout, cache):\n    import sys\n    sys.exit(1)\n"},
    {"dropout_backward": "def dropout_backward(dout, cache):\n    import numpy\n    numpy.allclose = lambda *a, **k: True\n    return dout\n"},
    {"softmax_backward": "def softmax_backward(da, cache):\n    import os\n    os.fork()\n    return da\n"},
    {"batchnorm_backward": f"def batchnorm_backward(dout, cache):\n    return open({str(BACKPROP.reference_path)!r}).read()\n"},
    {"dropout_backward": "def dropout_backward(dout, cache):\n    x = bytearray(10**10)\n    return dout\n"},
]
ENDLESS = {"softmax_backward": "def softmax_backward(da, cache):\n    while True:\n        pass\n"}

# kind -> how many in 20 (make_class gives each its expected total: a number, or "<full" for less than full marks)
MIX = {"correct": 9, "example": 6, "stub": 1, "broken": 1, "slow": 1, "hostile": 2}


def make_class(n, folder, mix=MIX):
    """Write n submissions to folder (the kinds of `mix`, and an endless loop
    per 500 in a realistic mix); return {name: (kind, expected total)}."""
    examples = dict(release.example_answers(BACKPROP))
    # halfway answers its functions correctly and leaves the rest as stubs; every other example has one mistake.
    expected_example = {name: ("<full" if name != "halfway" else _points(answers)) for name, answers in examples.items()}
    without_softmax = BACKPROP.points - _points(["softmax_backward"])  # the broken and endless kinds lose it
    plan = []
    for kind, count in mix.items():
        plan += [kind] * count
    kinds = {}
    rendered = {}

    def notebook(key, answers=None, reference=False):
        if key not in rendered:
            rendered[key] = release.serialize(release.render(BACKPROP, answers, reference=reference))
        return rendered[key]

    for i in range(n):
        kind = plan[i % len(plan)]
        name = f"student{i:05d}"
        if mix is MIX and n >= 200 and i % 500 == 499:
            text, kind, expect = notebook("endless", {**_reference_answers(), **ENDLESS}), "endless", without_softmax
        elif kind == "correct":
            text, expect = notebook("reference", reference=True), BACKPROP.points
        elif kind == "example":
            example = sorted(examples)[(i // len(plan)) % len(examples)]
            text, kind, expect = notebook(example, examples[example]), f"example:{example}", expected_example[example]
        elif kind == "stub":
            text, expect = notebook("stub"), 0
        elif kind == "broken":
            text, expect = notebook("broken", {**_reference_answers(), **SYNTAX_ERROR}), without_softmax
        elif kind == "slow":
            text, expect = notebook("slow", {**_reference_answers(), **SLOW}), BACKPROP.points
        else:
            which = (i // len(plan)) % len(HOSTILE)
            text, kind, expect = notebook(f"hostile{which}", {**_reference_answers(), **HOSTILE[which]}), f"hostile:{which}", "<full"
        (folder / f"{name}.ipynb").write_text(text)
        kinds[name] = (kind, expect)
    return kinds


def _points(functions):
    return sum(BACKPROP.question(function).points for function in functions)


def _reference_answers():
    sources = release.function_sources(BACKPROP.reference_path)
    return {name: release.without_markers(sources[name]) for name in BACKPROP.functions}


class MemoryWatch(threading.Thread):
    """Samples the resident memory of a process tree: the grader's processes and the workers."""

    def __init__(self, root_pid):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.peak = {"grader (main process)": 0, "grader (largest grading process)": 0, "worker (largest)": 0}
        self.running = True

    def run(self):
        while self.running:
            for pid, rss, command in _tree(self.root_pid):
                if pid == self.root_pid:
                    key = "grader (main process)"
                elif "worker.py" in command:
                    key = "worker (largest)"
                elif "bwrap" in command or "setpriv" in command:
                    continue
                else:
                    key = "grader (largest grading process)"
                self.peak[key] = max(self.peak[key], rss)
            time.sleep(0.05)


def _tree(root):
    parents, info = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
            status = Path(f"/proc/{entry}/status").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(b")", 1)[1].split()[1])
        rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        info[int(entry)] = (rss, command)
    below, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in below:
                below.add(pid)
                frontier.append(pid)
    return [(pid, *info[pid]) for pid in below if pid in info]


def grade(folder, out, jobs, timeout, salt):
    command = [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
               "--jobs", str(jobs), "--timeout", str(timeout), "--salt", salt, "--regrade"]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watch = MemoryWatch(process.pid)
    watch.start()
    _, errors = process.communicate()
    watch.running = False
    watch.join()
    if process.returncode != 0:
        raise SystemExit(f"autograder grade failed ({process.returncode}): {errors[-2000:]}")
    return time.perf_counter() - started, watch.peak


def read_results(out):
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute(
            "SELECT submission, result FROM gradings WHERE id IN (SELECT max(id) FROM gradings GROUP BY submission)"
        ).fetchall()
    return {name: json.loads(result) for name, result in rows}


def steady_rate(out):
    """Submissions per second from the first results file written to the last (their modification times)."""
    times = sorted(path.stat().st_mtime for path in (out / "results").glob("*.json"))
    return (len(times) - 1) / max(times[-1] - times[0], 1e-9)


def read_scores(out):
    with open(out / "grades.csv") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def time_otter(notebooks, work):
    """Seconds of `otter run` per notebook, one at a time, each under a time limit."""
    otter = Path(sys.executable).parent / "otter"
    seconds = []
    for notebook in notebooks:
        target = work / notebook.stem
        target.mkdir()
        started = time.perf_counter()
        subprocess.run(["timeout", "-s", "INT", "300", str(otter), "run", "-a", str(OTTER_ZIP), "-o", str(target), str(notebook)],
                       cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        seconds.append(time.perf_counter() - started)
    return seconds


def floor_of_checks(repeats=30):
    """Median seconds of the grader's checks of every case of every question
    for the reference, in this process (otter's in-process session: no worker,
    no wire), each time for another student's inputs."""
    from autograder import checks, otter

    QUESTIONS = BACKPROP.questions
    env = {name: value for name, value in vars(BACKPROP.reference).items() if callable(value)}
    seconds = []
    for repeat in range(repeats + 1):
        started = time.perf_counter()
        for question in QUESTIONS:
            result = checks.check_question(otter.InProcessSession(dict(env), BACKPROP), question, "floor",
                                           f"student{repeat}", watch=BACKPROP.watched_sources)
            if result.score != question.points:
                raise SystemExit(f"the reference scored {result.score} on {question.function} in-process")
        if repeat:  # the first one warms the caches
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), sum(len(question.cases) for question in QUESTIONS), len(QUESTIONS)


FORK_PROBE = """
import os, statistics, sys, time
import numpy
times = []
for _ in range(int(sys.argv[1])):
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    times.append(time.perf_counter() - started)
print(statistics.median(times))
"""


def floor_of_fork(repeats=200):
    """Median seconds of a fork, exit and wait of a Python process that has imported numpy (as the fork server has)."""
    run = subprocess.run([sys.executable, "-c", FORK_PROBE, str(repeats)], capture_output=True, text=True, check=True)
    return float(run.stdout)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="submissions to generate (default %(default)s)")
    parser.add_argument("--jobs", type=int, default=2, help="autograder grade --jobs (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=3.0, help="autograder grade --timeout (default %(default)s)")
    parser.add_argument("--serial-sample", type=int, default=40, help="submissions graded again one at a time (default %(default)s)")
    parser.add_argument("--otter-sample", type=int, default=3, help="notebooks timed with otter run, 0 for none (default %(default)s)")
    parser.add_argument("--correct", type=int, default=300, help="correct notebooks graded as a class of their own, 0 for none (default %(default)s)")
    parser.add_argument("--memory-n", type=int, default=0, help="also grade a realistic class of this size and compare memory (e.g. 5000)")
    parser.add_argument("--keep", type=Path, help="keep the generated class and grades in this folder")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="backprop-bench-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def _fresh(folder):
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def run(args, work):
    salt = "bench-salt"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}; "
          f"{args.n} submissions, --jobs {args.jobs}, --timeout {args.timeout:g}")

    checks_floor, cases, questions = floor_of_checks()
    fork_floor = floor_of_fork()
    floor = checks_floor + fork_floor
    floor_rate = min(args.jobs, os.cpu_count() or 1) / floor
    print(f"floor: the checks of all {cases} cases of the {questions} questions for a correct notebook, in-process: "
          f"{checks_floor * 1000:.1f} ms; a fork, exit and wait: {fork_floor * 1000:.1f} ms; "
          f"so {floor * 1000:.1f} ms per submission per core, {floor_rate:.0f} correct notebooks/s with {args.jobs} jobs")

    failures = 0
    if args.correct:
        correct = make_class(args.correct, _fresh(work / "correct"), {"correct": 1})
        wall, _ = grade(work / "correct", work / "correct-out", args.jobs, args.timeout, salt)
        scores = read_scores(work / "correct-out")
        full = sum(float(scores[name]["total"]) == BACKPROP.points for name in correct)
        rate = len(correct) / wall
        print(f"correct notebooks only: {len(correct)} in {wall:.1f} s: {rate:.1f} submissions/s, "
              f"{100 * rate / floor_rate:.0f}% of the floor; full marks: {full} of {len(correct)}")
        steady = steady_rate(work / "correct-out")
        print(f"  from the first result written to the last (the command's start-up left out): {steady:.1f} submissions/s, "
              f"{100 * steady / floor_rate:.0f}% of the floor")
        failures += len(correct) - full

    folder = _fresh(work / "class")
    kinds = make_class(args.n, folder)
    wall, peak = grade(folder, work / "out", args.jobs, args.timeout, salt)
    results = read_results(work / "out")
    per_submission = [r["seconds"] * 1000 for r in results.values()]
    print(f"graded {len(results)} in {wall:.1f} s: {len(results) / wall:.1f} submissions/s "
          f"(start-up of the command included)")
    waiting = [name for name, (kind, _) in kinds.items() if kind in ("slow", "endless")]
    waited = sum(results[name]["seconds"] for name in waiting if name in results)
    rest_wall = max(wall - waited / args.jobs, 1e-9)
    print(f"  of which the {len(waiting)} slow and endless ones (sleeps, and loops until the time limit) kept a job "
          f"waiting {waited:.1f} s in all; the other {len(results) - len(waiting)} in the remaining {rest_wall:.1f} s "
          f"of the {args.jobs} jobs: {(len(results) - len(waiting)) / rest_wall:.1f} submissions/s")
    print(f"per submission: median {statistics.median(per_submission):.0f} ms, p95 {percentile(per_submission, 0.95):.0f} ms, "
          f"max {max(per_submission):.0f} ms")
    for key, kilobytes in peak.items():
        print(f"peak memory, {key}: {kilobytes / 1024:.0f} MB")
    stages = {}
    for result in results.values():
        for stage, seconds in result.get("timings", {}).items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    total = sum(stages.values()) or 1.0
    print("time split (summed over submissions, in the grading processes): " + ", ".join(
        f"{stage} {seconds:.1f} s ({100 * seconds / total:.0f}%)" for stage, seconds in stages.items()))

    batch = read_scores(work / "out")
    sample = sorted(kinds)[: args.serial_sample]
    if sample:
        serial_folder = work / "serial"
        shutil.rmtree(serial_folder, ignore_errors=True)
        serial_folder.mkdir()
        for name in sample:
            shutil.copy(folder / f"{name}.ipynb", serial_folder)
        grade(serial_folder, work / "serial-out", 1, args.timeout, salt)
        serial = read_scores(work / "serial-out")
        same = sum(serial[name] == batch[name] for name in sample)
        print(f"scores identical to one-at-a-time grading: {same} of {len(sample)}")
        failures += len(sample) - same

    wrong = []
    for name, (kind, expect) in kinds.items():
        total_score = float(batch[name]["total"])
        ok = (total_score < BACKPROP.points if expect == "<full" else total_score == expect)
        if not ok:
            wrong.append(f"{name} ({kind}): {total_score:g}, expected {expect}")
    print(f"scores as expected for their kind: {len(kinds) - len(wrong)} of {len(kinds)}")
    for line in wrong[:10]:
        print(f"  unexpected: {line}")
    failures += len(wrong)

    if args.otter_sample:
        if not OTTER_ZIP.exists():
            print(f"otter: not timed ({OTTER_ZIP.relative_to(ROOT)} is missing: run `autograder build`)")
        else:
            notebooks = [folder / f"{name}.ipynb" for name in sorted(kinds)[: args.otter_sample]]
            otter_work = work / "otter"
            shutil.rmtree(otter_work, ignore_errors=True)
            otter_work.mkdir()
            seconds = time_otter(notebooks, otter_work)
            otter_each = statistics.median(seconds)
            ours_each = wall / len(results)
            print(f"otter run: median {otter_each:.2f} s per submission over {len(seconds)} "
                  f"(one at a time); autograder grade: {ours_each * 1000:.0f} ms per submission in the batch, "
                  f"{otter_each / ours_each:.0f} times faster")
    if args.memory_n:
        large = make_class(args.memory_n, _fresh(work / "large"))
        large_wall, large_peak = grade(work / "large", work / "large-out", args.jobs, args.timeout, salt)
        print(f"memory with {args.memory_n} submissions ({args.memory_n / large_wall:.1f} submissions/s), against {args.n}: " + ", ".join(
            f"{key} {large_peak[key] / 1024:.0f} MB ({100 * (large_peak[key] / max(peak[key], 1) - 1):+.0f}%)" for key in peak))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
