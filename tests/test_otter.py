"""Otter-Grader and Gradescope (issue 4): the master notebook, otter's tests
calling the native question specs, `otter assign` and `otter run`, the
student folder otter makes, and the Gradescope autograder zip run in a
temporary stand-in for /autograder.

The tests that run `otter assign`, `otter run` or the native grader are
marked slow (and otter); each `otter run` is wrapped in `timeout -s INT`,
since otter has no time limit of its own.
"""

import contextlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

import test_release
from autograder import checks, gradescope, otter, release
from autograder.grade import grade_submission
from assignments.backprop.questions import QUESTIONS
from solutions import layers
from backprop import BACKPROP

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignment"
EXAMPLES = ROOT / "examples" / "submissions"
POINTS = {question.function: question.points for question in QUESTIONS}
SALT = "otter-test-salt"
OTTER_SECONDS = 300
BY_FUNCTION = {question.function: question for question in QUESTIONS}


# --- the master notebook and otter's test files ----------------------------------------------


@pytest.fixture(scope="module")
def master():
    return release.render_master(BACKPROP)


@pytest.fixture(scope="module")
def test_files(master):
    from otter.test_files import ExceptionTestFile

    return {name: ExceptionTestFile.from_string(text, path=f"tests/{name}.py")
            for name, text in otter.autograder_tests(master).items()}


def test_master_holds_one_otter_question_per_function_in_order(master):
    nbformat.validate(master)
    config = master.cells[0]
    assert config.cell_type == "raw" and config.source.startswith("# ASSIGNMENT CONFIG")
    questions = [c.source.split("name:")[1].strip() for c in master.cells
                 if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")]
    assert questions == list(BACKPROP.functions)
    for name in BACKPROP.functions:
        (cell,) = [c for c in master.cells if c.metadata.get(release.CELL_TAG) == name]
        assert "# BEGIN SOLUTION NO PROMPT" in cell.source and '""" # END PROMPT' in cell.source
        compile(cell.source, name, "exec")


def test_master_is_reproducible():
    assert release.serialize(release.render_master(BACKPROP)) == release.serialize(release.render_master(BACKPROP))


def test_otter_tests_are_exception_based_with_the_native_points(test_files):
    """One public test case (0 points) per question, then one hidden test case
    per case and output of the native spec, with the points the native
    grader gives that check: the totals are the questions' points."""
    assert sorted(test_files) == sorted(BACKPROP.functions)
    source = otter.autograder_tests(release.render_master(BACKPROP))
    for name, test_file in test_files.items():
        question = BY_FUNCTION[name]
        assert "OK_FORMAT = False" in source[name]
        public, *hidden = test_file.test_cases
        assert not public.hidden and public.points == 0
        assert all(case.hidden for case in hidden)
        expected = [(case, output) for case in question.cases for output in question.outputs]
        assert len(hidden) == len(expected)
        for test_case, (case, output) in zip(hidden, expected):
            assert test_case.points == pytest.approx(checks._points(case, question, output))
            assert f"hidden_check(env, 'assignments/backprop', {name!r}, {case.name!r}, {output.name!r})" in source[name]
        assert test_file.possible == pytest.approx(question.points) == pytest.approx(POINTS[name])


def _notebook_env(path):
    """The globals of a notebook run cell by cell, as a kernel would: a cell
    that raises is skipped (its output is dropped)."""
    env = {"__name__": "__main__"}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compile(cell.source, f"<{path.name}>", "exec"), env)
            except Exception:  # noqa: BLE001  (a stub's NotImplementedError, as in a student's kernel)
                pass
    return env


def _otter_scores(test_files, env):
    scores = {}
    for name, test_file in test_files.items():
        with contextlib.redirect_stdout(io.StringIO()):
            test_file.run(env)
        scores[name] = test_file.score
    return scores


# A softmax_backward by finite differences, which the checks refuse.
FINITE_DIFFERENCES = """
def softmax_backward(da, cache):
    z = np.log(cache["a"])
    return numerical_vjp(lambda: softmax(z), z, da)
"""


@pytest.mark.slow
@pytest.mark.parametrize("example", [*sorted(p.stem for p in EXAMPLES.glob("*.ipynb")), "finite_differences"])
def test_otters_tests_and_the_native_grader_agree_check_by_check(test_files, example, monkeypatch, tmp_path):
    """One definition, two runners: otter's test cases, run on the notebook's
    functions in-process, give each question the score the native grader
    gives in its sandbox (same salt, same submission name)."""
    monkeypatch.setenv(otter.SALT_VARIABLE, SALT)
    path = EXAMPLES / f"{example}.ipynb"
    if example == "finite_differences":
        path = tmp_path / "finite_differences.ipynb"
        path.write_text(release.serialize(release.render(BACKPROP, {"softmax_backward": FINITE_DIFFERENCES}, reference=True)))
    scores = _otter_scores(test_files, _notebook_env(path))
    native = grade_submission(BACKPROP, otter.SUBMISSION, path, SALT)
    assert scores == pytest.approx({q.function: q.score for q in native.questions}, abs=1e-9)
    if example == "reference":
        assert sum(scores.values()) == pytest.approx(100)
    if example == "stub":
        assert sum(scores.values()) == 0


def test_a_hidden_failure_says_what_is_wrong_with_the_diagnosis(test_files, monkeypatch):
    monkeypatch.setenv(otter.SALT_VARIABLE, SALT)
    env = dict(vars(layers))
    exec("def dropout_backward(dout, cache):\n"
         "    return dout * cache['keep'] if cache['train'] else dout.copy()\n", env)
    test_file = test_files["dropout_backward"]
    with contextlib.redirect_stdout(io.StringIO()):
        test_file.run(env)
    failed = [r for r in test_file.test_case_results if not r.passed]
    assert {r.test_case.name for r in failed} >= {"dropout_backward - 1"}  # the public self-check
    hidden = [r for r in failed if r.test_case.hidden]
    assert len(hidden) == 2 and test_file.score == 6
    assert all("forgets the 1/(1-p) scale" in r.message and "relative error" in r.message for r in hidden)


# --- the in-process session ------------------------------------------------------------------


def test_in_process_calls_get_copies_and_their_output_is_dropped():
    x = np.ones(3)

    def mutate(a):
        print("the hidden input is", a)
        a *= 2
        return a

    session = otter.InProcessSession({"mutate": mutate}, BACKPROP)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        reply = session.call("mutate", [x])
    assert reply["error"] is None and np.all(reply["value"] == 2)
    assert np.all(x == 1) and printed.getvalue() == ""


def test_in_process_oracles_stand_in_during_the_call_only():
    def mine(v):
        return "mine"

    def caller(v):
        return env["dropout_backward"](v)

    env = {"dropout_backward": mine, "caller": caller}
    session = otter.InProcessSession(env, BACKPROP)
    v = np.ones(2)
    asked = []

    def reference(name, args):
        asked.append((name, args))
        return {"value": "reference"}

    reply = session.call("caller", [v], ("dropout_backward",), reference)
    assert reply["value"] == "reference" and env["dropout_backward"] is mine
    ((name, (argument,)),) = asked
    assert name == "dropout_backward" and np.array_equal(argument, v)
    failing = session.call("caller", [v], ("dropout_backward",), lambda name, args: {"error": "arguments too large"})
    assert "arguments too large" in failing["error"] and env["dropout_backward"] is mine
    own = session.call("caller", [v], ("dropout_backward",), lambda name, args: {"own": True})
    assert own["value"] == "mine" and env["dropout_backward"] is mine
    # As in the worker (the same harness): the reference passes arrays and caches only, so nothing else is asked about.
    assert session.call("caller", [1], ("dropout_backward",), reference)["value"] == "mine" and len(asked) == 1


def test_in_process_watched_functions_are_counted_by_their_code_during_the_call_only():
    def helper():
        return 1

    alias = helper

    def twice():
        return env["helper"]() + alias()

    env = {"helper": helper, "twice": twice}
    watch = (("helper", "def helper():\n    return 1\n"), ("absent", ""))
    reply = otter.InProcessSession(env, BACKPROP).call("twice", [], (), None, watch)
    assert reply["value"] == 2 and reply["calls"] == {"helper": 2}
    assert env["helper"] is helper and "absent" not in env


def test_in_process_errors_are_text_the_checks_understand():
    def leave():
        raise SystemExit(3)

    session = otter.InProcessSession({"leave": leave}, BACKPROP)
    assert session.call("absent", [])["error"] == "NameError: name 'absent' is not defined"
    assert "SystemExit" in session.call("leave", [])["error"]
    stub = {}
    exec('def f():\n    raise NotImplementedError("f: your code here")\n', stub)
    error = otter.InProcessSession(stub, BACKPROP).call("f", [])["error"]
    assert error.endswith("NotImplementedError: f: your code here") and "call" not in error.splitlines()[0]


# --- otter assign and otter run (slow) -------------------------------------------------------


@pytest.fixture(scope="module")
def otter_build(tmp_path_factory):
    """release.build_otter into a temporary dist/otter (it runs otter assign,
    which grades the reference with the tests and fails unless it gets full marks)."""
    folder = tmp_path_factory.mktemp("dist") / "otter"
    paths = release.build_otter(BACKPROP, folder)
    return folder, paths


def _otter_run(zip_path, submission, out):
    out.mkdir(parents=True, exist_ok=True)
    command = ["timeout", "-s", "INT", str(OTTER_SECONDS), sys.executable, "-m", "otter", "run",
               "-a", str(zip_path), "-o", str(out), str(submission)]
    env = {key: value for key, value in os.environ.items() if key != otter.SALT_VARIABLE}  # otter's salt: empty
    run = subprocess.run(command, capture_output=True, text=True, timeout=OTTER_SECONDS + 30, env=env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: t["score"] for t in results["tests"] if "score" in t}, results


@pytest.mark.slow
@pytest.mark.otter
def test_otter_assign_succeeds_and_its_student_notebook_is_the_assignment(otter_build):
    folder, paths = otter_build
    master, student, zip_path = paths
    assert master == folder / "master" / "backprop.ipynb" and zip_path.is_file()
    assert student.read_bytes() == (ASSIGNMENT / "backprop.ipynb").read_bytes()
    given = sorted(p.name for p in ASSIGNMENT.iterdir() if p.is_file())
    assert sorted(p.name for p in (folder / "student").iterdir()) == given
    for name in given:
        assert (folder / "student" / name).read_bytes() == (ASSIGNMENT / name).read_bytes(), name


@pytest.mark.slow
@pytest.mark.otter
def test_otters_student_folder_holds_no_hidden_test_or_reference_code(otter_build):
    student = otter_build[0] / "student"
    assert not test_release.hidden_test_problems(student)
    texts = test_release.released_texts(student)
    for name, lines in test_release.solution_lines().items():
        for line in lines:
            leaks = [label for label, text in texts if line in {l.strip() for l in text.splitlines()}]
            assert not leaks, (name, line, leaks)
    for label, text in texts:
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, label


@pytest.mark.slow
@pytest.mark.otter
def test_otters_zip_holds_the_hidden_tests_and_the_grader(otter_build):
    zip_path = otter_build[1][2]
    names = zipfile.ZipFile(zip_path).namelist()
    assert sorted(n for n in names if n.startswith("tests/")) == sorted(f"tests/{q}.py" for q in BACKPROP.functions)
    for module in ("files/autograder/otter.py", "files/autograder/checks.py", "files/assignments/backprop/questions.py",
                   "files/solutions/layers.py", "files/public_checks.py", "files/gradcheck.py"):
        assert module in names
    config = json.loads(zipfile.ZipFile(zip_path).read("otter_config.json"))
    assert config["show_hidden"] is True and config["assignment_name"] == "backprop"


@pytest.mark.slow
@pytest.mark.otter
def test_otter_run_gives_full_marks_to_the_reference_and_zero_to_the_stub(otter_build, tmp_path):
    zip_path = otter_build[1][2]
    reference, results = _otter_run(zip_path, EXAMPLES / "reference.ipynb", tmp_path / "reference")
    assert reference == pytest.approx(POINTS)
    visibility = {t["name"]: t["visibility"] for t in results["tests"]}
    assert visibility.pop("Public Tests") == "visible"
    assert set(visibility.values()) == {"after_published"}
    stub, _ = _otter_run(zip_path, EXAMPLES / "stub.ipynb", tmp_path / "stub")
    assert stub == {name: 0 for name in POINTS}


@pytest.mark.slow
@pytest.mark.otter
def test_otter_run_and_autograder_grade_agree_on_a_partial_answer(otter_build, tmp_path):
    path = EXAMPLES / "net_no_relu_mask.ipynb"
    scores, _ = _otter_run(otter_build[1][2], path, tmp_path / "otter")
    native = grade_submission(BACKPROP, otter.SUBMISSION, path, "")
    assert scores == pytest.approx({q.function: q.score for q in native.questions}, abs=1e-9)
    assert 0 < sum(scores.values()) < 100


@pytest.mark.slow
@pytest.mark.otter
def test_otter_assign_fails_when_the_reference_fails_its_tests(tmp_path):
    master = release.render_master(BACKPROP)
    (cell,) = [c for c in master.cells if c.metadata.get(release.CELL_TAG) == "softmax_backward"]
    broken = "return (da - np.sum(da * a, axis=1, keepdims=True)) * a"
    assert broken in cell.source
    cell.source = cell.source.replace(broken, "return da * a * (1 - a)")
    staged = otter.stage_master(BACKPROP, release.serialize(master), tmp_path / "master", ROOT)
    with pytest.raises(otter.AssignError, match="keeps only the diagonal of the Jacobian"):
        otter.assign(staged, tmp_path)


# --- the Gradescope zip ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def gradescope_zip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gradescope")
    zip_path, salt_path = gradescope.build(BACKPROP, folder, salt=SALT)
    return zip_path, salt_path


def test_the_gradescope_zip_holds_the_scripts_the_salt_and_the_package(gradescope_zip):
    zip_path, salt_path = gradescope_zip
    archive = zipfile.ZipFile(zip_path)
    names = archive.namelist()
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(archive.getinfo(script).external_attr >> 16) == 0o755
    assert archive.read("salt.txt").decode().strip() == SALT == salt_path.read_text().strip()
    for name in ("backprop-lab/pyproject.toml", "backprop-lab/README.md", "backprop-lab/autograder/gradescope.py",
                 "backprop-lab/autograder/templates/public_checks.py", "backprop-lab/assignments/backprop/template.md", "backprop-lab/solutions/layers.py",
                 "backprop-lab/assignment/public_checks.py", "backprop-lab/assignment/gradcheck.py"):
        assert name in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "/tests/" in n]
    run_autograder = archive.read("run_autograder").decode()
    assert "python3 -P -m autograder.gradescope" in run_autograder and "AUTOGRADER_ROOT" in run_autograder
    setup = archive.read("setup.sh").decode()
    assert "bubblewrap" in setup and "libseccomp2" in setup and "pip install" in setup
    for script in ("setup.sh", "run_autograder"):
        (zip_path.parent / script).write_bytes(archive.read(script))
        assert subprocess.run(["bash", "-n", str(zip_path.parent / script)]).returncode == 0
    # The same files make the same zip.
    assert gradescope.zip_bytes(BACKPROP, SALT) == zip_path.read_bytes()


def test_gradescope_picks_the_notebook_and_the_student(tmp_path):
    (tmp_path / "sub" / "nested").mkdir(parents=True)
    (tmp_path / "sub" / "public_checks.py").write_text("")
    with pytest.raises(LookupError):
        gradescope.find_submission(tmp_path / "sub" / "nested", BACKPROP)
    (tmp_path / "sub" / "nested" / "backprop.ipynb").write_text("{}")
    (tmp_path / "sub" / "other.ipynb").write_text("{}")
    (tmp_path / "sub" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "sub" / ".ipynb_checkpoints" / "backprop-checkpoint.ipynb").write_text("{}")
    path, note = gradescope.find_submission(tmp_path / "sub", BACKPROP)
    assert path == tmp_path / "sub" / "nested" / "backprop.ipynb" and "2 .ipynb files" in note
    metadata = tmp_path / "submission_metadata.json"
    assert gradescope.submission_name(metadata) == "submission"
    metadata.write_text(json.dumps({"id": 5, "users": [{"id": 4242, "email": "s@example.edu"}]}))
    assert gradescope.submission_name(metadata) == "student-4242"


def _autograder_root(tmp_path, zip_path, submission=None, user_id=4242):
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    zipfile.ZipFile(zip_path).extractall(root / "source")
    if submission is not None:
        shutil.copy(submission, root / "submission" / "backprop.ipynb")
    (root / "submission_metadata.json").write_text(json.dumps({"id": 1, "users": [{"id": user_id}]}))
    return root


def _run_autograder(root):
    env = {key: value for key, value in os.environ.items() if key != otter.SALT_VARIABLE}
    env["AUTOGRADER_ROOT"] = str(root)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # python3: this venv's
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


def _assert_gradescope_schema(results):
    assert isinstance(results["score"], (int, float))
    assert results["tests"]
    for test in results["tests"]:
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        assert test["visibility"] in ("hidden", "after_due_date", "after_published", "visible")
        assert test["status"] in ("passed", "failed") and test["output_format"] in ("md", "text")
    assert sum(t["score"] for t in results["tests"]) == pytest.approx(results["score"])
    assert results["output_format"] == "md" and results["execution_time"] >= 0
    assert "Isolation level: " in results["output"]


@pytest.mark.slow
@pytest.mark.parametrize("example", ["reference", "stub", "dropout_no_rescale"])
def test_run_autograder_writes_results_json_with_the_scores_of_autograder_grade(gradescope_zip, tmp_path, example):
    submission = EXAMPLES / f"{example}.ipynb"
    results = _run_autograder(_autograder_root(tmp_path, gradescope_zip[0], submission))
    _assert_gradescope_schema(results)
    hidden = [t for t in results["tests"] if not t["name"].startswith("Self-check: ")]
    public = [t for t in results["tests"] if t["name"].startswith("Self-check: ")]
    assert {t["visibility"] for t in hidden} == {"after_published"}
    assert results["visibility"] == "after_published" and results["stdout_visibility"] == "hidden"
    # The student sees the public self-checks' output, worth no points.
    assert [t["name"] for t in public] == [f"Self-check: {name}" for name in BACKPROP.functions]
    assert all(t["visibility"] == "visible" and t["max_score"] == 0 for t in public)
    if example == "reference":
        assert all("relative error" in t["output"] and t["output"].endswith("PASS") for t in public)
    if example == "stub":
        assert all("NotImplementedError" in t["output"] and t["output"].endswith("FAIL") for t in public)

    # autograder grade, on the same file under the same name, with the salt of the zip.
    folder = tmp_path / "local" / "student-4242"
    folder.mkdir(parents=True)
    shutil.copy(submission, folder / "backprop.ipynb")
    command = [sys.executable, "-m", "autograder", "grade", str(folder.parent), "--out", str(tmp_path / "out"),
               "--jobs", "1", "--salt", SALT]
    assert subprocess.run(command, capture_output=True, timeout=300).returncode == 0
    local = json.loads((tmp_path / "out" / "results" / "student-4242.json").read_text())
    assert results["score"] == local["score"]
    assert [(t["name"], t["score"]) for t in hidden] == [(t["name"], t["score"]) for t in local["tests"]]
    expected = {"reference": 100, "stub": 0}.get(example)
    if expected is not None:
        assert results["score"] == pytest.approx(expected)


@pytest.mark.slow
def test_run_autograder_without_a_notebook_still_writes_results_json(gradescope_zip, tmp_path):
    results = _run_autograder(_autograder_root(tmp_path, gradescope_zip[0]))
    assert results["score"] == 0 and "no notebook" in results["output"]
    assert results["visibility"] == "visible"  # the student learns at once that the file was wrong
