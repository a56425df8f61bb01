"""The hostile-submission corpus (issue 5), graded in ONE batch.

Every case of tests/hostile/ (see tests/hostile/_harness.py for the format)
is written to a folder, and the whole folder goes through one

    python -m autograder grade SUBMISSIONS --out OUT --jobs 2 --timeout 3

with an overall time limit, so that no case can hang the test. Then, per
case: a row in grades.csv, the intended score on each question (full marks
where the case does not say otherwise: the other questions are graded
normally), the expected message in feedback/<name>.md. For the batch: exit
status 0, nothing outside OUT changed (the repository's `git status` and
tracked files, a canary folder, the places a submission aims at), and no
line of the reference solutions in anything the grader wrote.

The corpus runs again at the container level and at the rlimits level
(BACKPROP_SANDBOX=rlimits), but for each level's listed exceptions (where the
kernel has no Landlock, the rlimits level runs the cases its limits and
seccomp filters hold alone).

Run with `pytest -s tests/test_hostile.py` to see the figures.
"""

import hashlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder import landlock

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("hostile_harness", ROOT / "tests" / "hostile" / "_harness.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

pytestmark = pytest.mark.slow

SALT = "hostile-corpus-salt-5e1d"
JOBS = 2
CALL_TIMEOUT = 3
BATCH_TIMEOUT = 240  # seconds for the whole corpus; it takes about a minute on 2 cores
CASES = corpus.load_corpus()
# At the container and rlimits levels (no namespaces) these cannot hold as written; tests/hostile/README.md gives
# each reason. /tmp is the machine's, not the scratch (where Landlock holds, it cannot even be listed).
MACHINE_TMP = {"scratch_leftovers", "fork_server_kill_leftovers"}
# Without Landlock the container level's user also sees the machine's files and /proc.
CONTAINER_WITHOUT_LANDLOCK = {"env_probe", "read_reference_file", "import_reference", "glob_for_reference",
                              "tmpfs_fill", "inode_flood"}
CONTAINER_EXCEPTIONS = MACHINE_TMP | (set() if landlock.abi() else CONTAINER_WITHOUT_LANDLOCK)
# At the rlimits level a module found where Landlock lets a folder be listed (beside the standard library)
# fails to import with PermissionError, not ModuleNotFoundError; and the scratch is a folder of the machine's
# temporary one, whose file system goes on numbering inodes from where the last child left it.
RLIMITS_EXCEPTIONS = MACHINE_TMP | {"site_packages_escape", "inode_counter_carry"}
# Where the kernel has no Landlock, the rlimits level holds its limits, the seccomp filters and the grader's
# own checks only: these cases.
RLIMITS_WITHOUT_LANDLOCK = [
    "control_reference", "toplevel_loop_cell", "loop_in_function", "sleep_in_function", "memory_bomb",
    "sys_exit_in_function", "sys_exit_toplevel", "os_exit_in_function", "os_exit_toplevel", "segfault",
    "segfault_toplevel_cell", "standin_stashed_arguments", "gradcheck_module_attribute", "integer_exception_message",
    "thread_escapes_count", "thread_started_at_load", "symmetric_jacobian_differences", "fork_bomb",
    "clone_new_namespaces", "keyring_stash", "sysv_ipc_left_behind", "memfd_pin", "kernel_interfaces",
    "unshare_mount_tmpfs", "prlimit_fork_server", "kill_parent", "stop_parent", "signal_games", "realtime_signal",
    "sigio_owner_signal", "renice_process_group", "unix_socket_reach", "wipe_follows_link",
    "scratch_metadata_carry", "page_cache_carry", "cpu_affinity_escape"]


@dataclass
class Batch:
    cases: list
    folder: Path
    out: Path
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    before: dict
    after: dict

    def grades(self):
        return corpus.read_grades(self.out)

    def results(self):
        return corpus.latest_results(self.out)

    def problems(self):
        """{case name: [what differs from the intended outcome]}."""
        try:
            grades, results = self.grades(), self.results()
        except (OSError, AssertionError, ValueError) as error:
            return {case.name: [f"no usable grades.csv/gradebook: {error}"] for case in self.cases}
        return {case.name: corpus.check_case(case, self.out, grades, results) for case in self.cases}

    def timings(self):
        """{case name: its grading time, from results/<name>.json execution_time}."""
        found = {}
        for case in self.cases:
            path = self.out / "results" / f"{case.name}.json"
            if path.exists():
                found[case.name] = json.loads(path.read_text())["execution_time"]
        return found


def _git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True).stdout


def snapshot(places):
    """What a submission must not change: the repository (git status and every tracked file's
    hash) and each of `places` (a file's hash, a folder's listing of hashes, or absence)."""
    tracked = {}
    for name in _git("ls-files", "-z").decode().split("\0"):
        path = ROOT / name
        if name and path.is_file():
            tracked[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    state = {"git status": _git("status", "--porcelain", "--untracked-files=all").decode(), "tracked": tracked}
    for place in places:
        place = Path(place)
        if place.is_dir():
            state[str(place)] = {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
                                 for p in sorted(place.rglob("*")) if p.is_file()}
        elif place.exists():
            state[str(place)] = hashlib.sha256(place.read_bytes()).hexdigest()
        else:
            state[str(place)] = None
    return state


def run_grader(folder, out, *, timeout=BATCH_TIMEOUT, env=None, jobs=JOBS, extra=(), grader=ROOT):
    """Run the grade command of the grader in `grader` on `folder`; (returncode, stdout, stderr,
    seconds). Never hangs. The salt goes in $BACKPROP_SALT where `env` forces the container level
    (which refuses a salt on the command line, readable by every user)."""
    env = {**os.environ, **(env or {})}
    salt = ["--salt", SALT]
    if env.get("BACKPROP_SANDBOX") == "container":
        env["BACKPROP_SALT"], salt = SALT, []
    command = [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out),
               "--jobs", str(jobs), "--timeout", str(CALL_TIMEOUT), *salt, *extra]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=grader, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, env=env)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\n[the grader did not finish within {timeout} s and was killed]"
        return -9, stdout, stderr, time.monotonic() - started
    return process.returncode, stdout, stderr, time.monotonic() - started


def grade_batch(tmp, cases, env=None, grader=ROOT):
    folder, out, canary = tmp / "submissions", tmp / "out", tmp / "canary"
    for path in (folder, canary):
        path.mkdir()
    (canary / "canary.txt").write_text("a file no submission may touch\n")
    paths = {"REPO": grader, "OUT": out, "CANARY": canary, "SUBMISSIONS": folder}
    for case in cases:
        case.write(folder, paths)
    # Where a worker's relative and home paths would land outside a sandbox.
    places = [canary, folder, tmp / "PWNED", Path("/PWNED"), Path("/tmp/PWNED"), Path.home() / "PWNED"]
    before = snapshot(places)
    returncode, stdout, stderr, seconds = run_grader(folder, out, env=env, grader=grader)
    after = snapshot(places)
    return Batch(cases, folder, out, returncode, stdout, stderr, seconds, before, after)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    return grade_batch(tmp_path_factory.mktemp("hostile"), CASES)


def grader_copy(folder):
    """The grader's files, copied to `folder` (outside any git repository, whose history holds the
    reference: the container level refuses to run where the sandbox's user could read it)."""
    for name in ("autograder", "solutions", "assignments", "assignment"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", folder)
    return folder


@pytest.fixture(scope="module")
def container_batch(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-container")
    cases = [case for case in CASES if case.name not in CONTAINER_EXCEPTIONS]
    return grade_batch(tmp, cases, env={"BACKPROP_SANDBOX": "container"}, grader=grader_copy(tmp / "grader"))


@pytest.fixture(scope="module")
def rlimits_batch(tmp_path_factory):
    # In a copy of the grader, as the container level's: a case that got through would write to the copy.
    tmp = tmp_path_factory.mktemp("hostile-rlimits")
    if landlock.abi():
        cases = [case for case in CASES if case.name not in RLIMITS_EXCEPTIONS]
    else:
        cases = corpus.load_corpus(RLIMITS_WITHOUT_LANDLOCK)
    return grade_batch(tmp, cases, env={"BACKPROP_SANDBOX": "rlimits"}, grader=grader_copy(tmp / "grader"))


def describe_batch(batch):
    """The figures: how many were tried, how many contained as intended, the slowest."""
    problems = batch.problems()
    timings = batch.timings()
    contained = [name for name, found in problems.items() if not found]
    slowest = max(timings.items(), key=lambda item: item[1], default=("none", 0.0))
    lines = [
        f"hostile submissions tried: {len(batch.cases)}",
        f"contained with the intended score: {len(contained)} of {len(batch.cases)}",
        f"slowest grading: {slowest[0]} in {slowest[1]:.2f} s (whole batch {batch.seconds:.1f} s, exit status {batch.returncode})",
    ]
    by_name = {case.name: case for case in batch.cases}
    for name, found in sorted(problems.items()):
        if found:
            bugs = f" [known: {', '.join(by_name[name].bugs)}]" if by_name[name].bugs else ""
            lines.append(f"  NOT as intended: {name}{bugs} (expected {by_name[name].expected_text()}): " + "; ".join(found))
    return "\n".join(lines)


# --- the corpus, one batch ------------------------------------------------------------------


def test_corpus_has_at_least_30_cases_each_with_a_stated_outcome():
    assert len(CASES) >= 30
    for case in CASES:
        assert case.description, case.name
    names = {case.name for case in CASES}
    assert set(RLIMITS_WITHOUT_LANDLOCK) | RLIMITS_EXCEPTIONS | CONTAINER_WITHOUT_LANDLOCK | MACHINE_TMP <= names


def test_batch_finished_with_a_row_for_every_case(batch):
    assert batch.returncode == 0, f"exit status {batch.returncode}\n{batch.stderr[-3000:]}"
    grades = batch.grades()
    assert sorted(grades) == sorted(case.name for case in batch.cases)
    for case in batch.cases:
        assert (batch.out / "results" / f"{case.name}.json").exists(), case.name
        assert (batch.out / "feedback" / f"{case.name}.md").exists(), case.name


@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_case_is_contained_with_the_intended_score(batch, name):
    case = next(c for c in batch.cases if c.name == name)
    found = corpus.check_case(case, batch.out, batch.grades(), batch.results())
    bugs = f" (fails until {', '.join(case.bugs)} is fixed: see tests/hostile/README.md)" if case.bugs else ""
    assert not found, f"{name}: {case.description}\nexpected {case.expected_text()}{bugs}\n" + "\n".join(found)


def test_nothing_outside_the_out_folder_changed(batch):
    changed = [key for key in batch.before if batch.before[key] != batch.after[key]]
    details = []
    if "tracked" in changed:
        details += [name for name in batch.before["tracked"] if batch.before["tracked"][name] != batch.after["tracked"].get(name)]
    assert not changed, f"changed: {changed} {details}\nbefore: {batch.before['git status']!r}\nafter: {batch.after['git status']!r}"


def test_no_unexpected_file_in_the_out_folder(batch):
    """Every file in OUT is the grader's: the gradebook, grades.csv, or a submission's own results
    and feedback (in whatever formats the grader writes); no file a submission planted, no stray
    temporary file."""
    names = {case.name for case in batch.cases}
    top = {"grades.csv", "intake.csv", "gradebook.sqlite", "gradebook.sqlite-journal", "gradebook.sqlite-wal",
           "gradebook.sqlite-shm", "report.html"}
    unexpected = []
    for path in sorted(p for p in batch.out.rglob("*") if p.is_file()):
        relative = path.relative_to(batch.out)
        if len(relative.parts) == 1 and relative.name in top:
            continue
        if len(relative.parts) == 2 and relative.parts[0] in ("results", "feedback") and path.stem in names:
            continue
        unexpected.append(str(relative))
    assert not unexpected, f"files the grader did not write: {unexpected}"


def test_no_reference_code_in_any_output(batch):
    assert corpus.solution_lines(), "no solution lines found in solutions/layers.py"
    leaks = corpus.leaked_lines(batch.out, [batch.stdout, batch.stderr])
    assert not leaks, f"reference code in the grader's output: {leaks[:10]}"


def test_corpus_summary(batch):
    """The figures, printed (pytest -s) and in the assertion message."""
    summary = describe_batch(batch)
    print("\n" + summary)
    problems = batch.problems()
    assert batch.returncode == 0 and not any(problems.values()), summary
    assert batch.seconds < 180, summary


# --- the corpus at the rlimits level ---------------------------------------------------------------


def test_rlimits_level_contains_the_corpus_but_its_listed_exceptions(rlimits_batch):
    summary = describe_batch(rlimits_batch)
    print("\n[rlimits] " + summary)
    assert rlimits_batch.returncode == 0, rlimits_batch.stderr[-3000:]
    for result in rlimits_batch.results().values():
        assert result["isolation"] == "rlimits"
    assert not any(rlimits_batch.problems().values()), summary


def test_rlimits_level_leaves_the_repository_alone(rlimits_batch):
    changed = [key for key in rlimits_batch.before if rlimits_batch.before[key] != rlimits_batch.after[key]]
    assert not changed, changed


# --- the whole corpus at the container level -------------------------------------------------------


def test_container_level_contains_the_corpus_but_its_listed_exceptions(container_batch):
    summary = describe_batch(container_batch)
    print("\n[container] " + summary)
    assert container_batch.returncode == 0, container_batch.stderr[-3000:]
    for result in container_batch.results().values():
        assert result["isolation"] == "container"
    assert not any(container_batch.problems().values()), summary


def test_container_level_leaves_everything_outside_its_out_folder_alone(container_batch):
    changed = [key for key in container_batch.before if container_batch.before[key] != container_batch.after[key]]
    assert not changed, changed
    leaks = corpus.leaked_lines(container_batch.out, [container_batch.stdout, container_batch.stderr])
    assert not leaks, leaks[:10]


def test_container_level_exceptions_are_cases_of_the_corpus():
    assert set(CONTAINER_EXCEPTIONS) <= {case.name for case in CASES}


# --- a cell that worked once and fails when the worker is restarted ---------------------------------


def test_a_cell_that_fails_when_rerun_costs_that_cell_only(tmp_path):
    """After a hanging cell the session restarts the worker and runs the good cells again. If one
    of them now ends the worker (here: it exits when a marker it left the first time exists, which
    only the rlimits level lets it see; at the bubblewrap level the same happens with a cell that
    is slow or flaky), that cell must be dropped like any other failing cell: the functions are all
    defined and earn full marks. (Bug B5: at 69b6be3 every question says "the grader failed
    (ValueError: write to closed file)"; at 1d6ad0f every question crashes, the failing re-run
    being repeated before each question.)"""
    marker = tmp_path / "marker"
    base = corpus.reference_base()
    cells = [
        base,
        f"import os\nif os.path.exists({str(marker)!r}):\n    os._exit(3)\nopen({str(marker)!r}, 'w').close()\n",
        "while True:\n    pass\n",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:02d}"
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "rerun.ipynb").write_text(nbformat.writes(notebook))
    out = tmp_path / "out"
    returncode, _, stderr, _ = run_grader(folder, out, env={"BACKPROP_SANDBOX": "rlimits"}, timeout=60)
    assert returncode == 0, stderr[-2000:]
    row = corpus.read_grades(out)["rerun"]
    feedback = (out / "feedback" / "rerun.md").read_text()
    assert row["total"] == corpus.TOTAL, f"got {row['total']}:\n{feedback}"
    assert "grader failed" not in feedback, feedback
