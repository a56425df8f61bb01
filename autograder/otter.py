"""Otter-Grader: the otter parts of the master notebook, the student notebook
otter makes from it, `otter assign`, and the runner of the hidden tests
inside otter.

One definition of each check, two runners. The native grader runs the
question specs of an assignment through checks.check_question, calling the
student's functions in a sandboxed worker. Otter's hidden tests (one
exception-based test case per case and output, with the points the native
grader gives it) call the same check_question, with a session that calls
the functions in the student's own kernel: `hidden_check` below. Otter's
public test of each question calls public_checks.check, the notebook's
self-check.

The master notebook is generated (release.render_master); `otter assign`
turns it into otter's autograder and student folders under dist/otter/, and
the student notebook of assignment/ is the one otter makes from it
(`student_notebook`, otter's own transformation run in-process, with stable
cell ids).

This module is imported inside otter's grading kernel by the hidden tests:
keep its imports light (otter and nbformat only inside the build functions).
"""

import contextlib
import copy
import functools
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder import checks, harness
from autograder.assignment import RELEASE_FILES, ROOT, load

# The name otter's hidden inputs are drawn for (the native grader uses each
# submission's own name). Under otter, the tests run in the student's
# kernel: nothing there is secret from the student's code anyway.
SUBMISSION = "otter"
SALT_VARIABLE = "BACKPROP_SALT"
ASSIGN_SECONDS = 900


def given_names(assignment):
    """The given functions (the reference's, apart from the questions): the release's, whatever the notebook's copies hold."""
    reference = assignment.reference
    return tuple(name for name, value in vars(reference).items()
                 if callable(value) and getattr(value, "__module__", None) == reference.__name__
                 and name not in assignment.functions)


_REGION = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION\n(?P<body>.*?)^[ \t]*# END SOLUTION\n", re.S | re.M)


# --- the master notebook's otter cells ----------------------------------------------------


def _autograder_files(assignment):
    """What only otter's autograder gets (the hidden tests import them): the engine and the assignment's content."""
    content = {assignment.staged_path(assignment.folder), assignment.staged_path(assignment.reference_path)}
    return ("autograder", *sorted({path.parts[0] for path in content}))  # otter copies top-level folders


def assignment_config(assignment, numpy_requirement):
    """The master's ASSIGNMENT CONFIG cell (YAML, read by otter assign)."""
    files = "".join(f"  - {name}\n" for name in RELEASE_FILES)
    packages = "".join(f"  - {name}\n" for name in _autograder_files(assignment))
    return (
        "# ASSIGNMENT CONFIG\n"
        f"name: {assignment.name}\n"
        "init_cell: false  # the notebook's first code cell sets up `grader` (with or without otter)\n"
        "check_all_cell: false\n"
        "export_cell: false  # the template's own export cell zips the notebook being run, whatever its name\n"
        "tests:\n"
        "  files: false  # the public tests live in the student notebook's metadata\n"
        "  ok_format: false  # exception-based test files\n"
        "files:\n" + files +
        "autograder_files:\n" + packages +
        "requirements:\n"
        f"  - {numpy_requirement}\n"
        "generate:\n"
        "  show_hidden: true  # hidden results: after the grades are published\n"
        "  force_public_test_summary: true\n"
    )


def _raw(text):
    import nbformat

    return nbformat.v4.new_raw_cell(text)


def _code(text, **metadata):
    import nbformat

    return nbformat.v4.new_code_cell(text, metadata=metadata)


def solution_cell_source(function, source, prompt):
    """The reference `source` of `function` in otter's solution syntax: its
    solution region becomes BEGIN SOLUTION NO PROMPT, followed by `prompt`
    (the stub students see, already indented) as a BEGIN PROMPT string."""
    def replace(match):
        indent = match["indent"]
        return (
            f"{indent}# BEGIN SOLUTION NO PROMPT\n{match['body']}{indent}# END SOLUTION\n"
            f'{indent}""" # BEGIN PROMPT\n{prompt}{indent}""" # END PROMPT\n'
        )

    result, count = _REGION.subn(replace, source + "\n")
    if count != 1:
        raise ValueError(f"{function}: expected one BEGIN/END SOLUTION region, found {count}")
    if '"""' in prompt:
        raise ValueError(f"{function}: the stub may not contain triple quotes")
    return result.rstrip("\n")


def _test_cell(config, body):
    return _code(f'""" # BEGIN TEST CONFIG\n{config}""" # END TEST CONFIG\n{body}')


def _points(value):
    return int(value) if float(value).is_integer() else value


def test_cells(question, folder):
    """The test cells of one question: the public self-check, then one hidden
    test case per case and output of the native spec, with its points
    (`folder`: the assignment's, in otter's autograder folder)."""
    function = question.function
    cells = [_test_cell(  # the self-check's lines (PASS/FAIL, relative errors) are its failure message
        "points: 0\n",
        "def test_self_check(env):\n"
        "    import contextlib, io, public_checks\n"
        "    printed = io.StringIO()\n"
        "    with contextlib.redirect_stdout(printed):\n"
        f"        passed = public_checks.check({function!r}, env)\n"
        "    assert passed, printed.getvalue()\n",
    )]
    for number, case in enumerate(question.cases, 1):
        for output in question.outputs:
            points = _points(checks._points(case, question, output))
            cells.append(_test_cell(  # each test function needs a name of its own in the test file
                f"hidden: true\npoints: {points!r}\n",
                f"def test_case_{number}_{output.name}(env):\n"
                "    from autograder.otter import hidden_check\n"
                f"    hidden_check(env, {folder!r}, {function!r}, {case.name!r}, {output.name!r})\n",
            ))
    return cells


def question_cells(assignment, question, source, prompt, metadata):
    """The master's cells for one question: otter's question, solution and
    tests blocks around the solution cell (whose metadata is `metadata`)."""
    function = question.function
    return [
        _raw(f"# BEGIN QUESTION\nname: {function}\n"),
        _raw("# BEGIN SOLUTION"),
        _code(solution_cell_source(function, source, prompt), **metadata),
        _raw("# END SOLUTION"),
        _raw("# BEGIN TESTS"),
        *test_cells(question, str(assignment.staged_path(assignment.folder))),
        _raw("# END TESTS"),
        _raw("# END QUESTION"),
    ]


# --- otter's student notebook, and otter assign -----------------------------------------------


def _transformed(master, folder, notebook):
    """Otter assign's transformation of `master`, run here without grading."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # traitlets, on importing otter's internals
        from otter.assign.assignment import Assignment
        from otter.assign.notebook_transformer import NotebookTransformer
        from otter.assign.tests_manager import AssignmentTestsManager

    assignment = Assignment(require_valid_keys=True)
    assignment.master, assignment.result = Path(folder) / notebook, Path(folder) / "dist"
    assignment.lang = "python"
    return NotebookTransformer(assignment, AssignmentTestsManager(assignment)).transform_notebook(copy.deepcopy(master))


def student_notebook(master, notebook="notebook.ipynb"):
    """The student notebook `otter assign` makes from `master` (an nbformat
    notebook): otter's own transformation, run here without grading, with
    the public tests in the notebook's metadata. Cell ids are otter's (some
    random): the caller numbers them."""
    import nbformat

    with tempfile.TemporaryDirectory(prefix="autograder-otter-") as folder:
        folder = Path(folder)
        transformed = _transformed(master, folder, notebook)
        transformed.write_tests(str(folder / "tests"), include_hidden=False, force_files=False)
        transformed.write_transformed_nb(folder / "student.ipynb", sanitize=True)
        return nbformat.read(folder / "student.ipynb", as_version=4)


def autograder_tests(master, notebook="notebook.ipynb"):
    """The test files otter assign puts in its autograder zip, public and
    hidden test cases: {question: test file text}."""
    with tempfile.TemporaryDirectory(prefix="autograder-otter-") as folder:
        tests = Path(folder) / "tests"
        tests.mkdir()
        _transformed(master, folder, notebook).write_tests(str(tests), include_hidden=True, force_files=True)
        return {path.stem: path.read_text() for path in sorted(tests.glob("*.py"))}


def stage_master(assignment, master_text, folder, root):
    """Write the master notebook and the files its config names into `folder`."""
    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / assignment.notebook).write_text(master_text)
    for name in RELEASE_FILES:
        shutil.copy(assignment.release / name, folder / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "dist")  # an assignment's own dist/ holds this stage
    shutil.copytree(Path(root) / "autograder", folder / "autograder", ignore=ignore)
    for package in _autograder_files(assignment)[1:]:
        base = ROOT if (ROOT / package).exists() else assignment.folder.parent
        shutil.copytree(base / package, folder / package, ignore=ignore)
    return folder / assignment.notebook


class AssignError(RuntimeError):
    """`otter assign` failed (for one, when the reference fails its own tests)."""


def assign(master, result, seconds=ASSIGN_SECONDS):
    """Run `otter assign master result` (it grades the reference with the
    tests, and fails when the reference does not get full marks); the
    autograder zip it wrote."""
    result = Path(result)
    command = [sys.executable, "-m", "otter", "assign", str(master), str(result)]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        raise AssignError(f"otter assign did not finish within {seconds} s") from None
    zips = sorted((result / "autograder").glob("*-autograder_*.zip"))
    if run.returncode != 0 or len(zips) != 1:
        raise AssignError(f"otter assign failed (exit code {run.returncode}):\n{(run.stdout + run.stderr)[-8000:]}")
    return zips[0]


# --- the hidden tests, inside otter ----------------------------------------------------------


class InProcessSession:
    """Calls the student's functions in `env` (the notebook's globals) with the
    grader's call harness (harness.call), as the sandboxed worker does for the
    native grader, on fresh copies of the arguments, with the release's given
    functions in place of the notebook's and the output dropped. Otter has no
    time limit: a function that never returns hangs the run (wrap `otter
    run` in `timeout`)."""

    def __init__(self, env, assignment):
        self.env = env
        self.reference = assignment.reference
        self.given = given_names(assignment)
        self.row_shift_invariant = assignment.row_shift_invariant

    def call(self, function, args, oracles=(), on_oracle=None, watch=()):
        replaced = {name: self.env[name] for name in self.given if name in self.env}
        self.env.update({name: getattr(self.reference, name) for name in self.given})
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                reply = harness.call(self.env, function, copy.deepcopy(list(args)), oracles, on_oracle,
                                     _watched_codes(tuple(watch)), [name for name, _ in watch],
                                     row_shift_invariant=self.row_shift_invariant)
        finally:
            for name in self.given:
                self.env.pop(name, None)
            self.env.update(replaced)
        reply["output"] = ""
        return reply

    def call_cases(self, function, calls, oracles=(), on_oracle=None, watch=(), last=None):
        """One result per argument tuple in `calls`, None after one for which last(result) is true
        (Session.call_cases' contract)."""
        outcomes = [None] * len(calls)
        for index, args in enumerate(calls):
            outcomes[index] = self.call(function, args, oracles, on_oracle, watch)
            if last is not None and last(outcomes[index]):
                break
        return outcomes

    def close(self):
        """Nothing to close: otter's kernel is the student's own (Session.close's contract)."""

    def go_public(self):
        """Nothing to switch: otter's kernel is the student's own (Session.go_public's contract)."""


@functools.lru_cache(maxsize=8)
def _watched_codes(watch):
    """harness.watched_codes of `watch` ((name, source) pairs), compiled once per run."""
    return harness.watched_codes(watch)


_graded = {}


def _question_result(env, assignment, question):
    """check_question's result for `question` on the functions now in `env`,
    computed once for all the question's test cases."""
    functions = {name: value for name, value in env.items() if callable(value)}
    cached = _graded.get(question.function)
    if cached is not None and cached[0] is env and cached[1].keys() == functions.keys() \
            and all(cached[1][name] is value for name, value in functions.items()):
        return cached[2]
    salt = os.environ.get(SALT_VARIABLE, "")
    result = checks.check_question(InProcessSession(env, assignment), question, salt, SUBMISSION,
                                   watch=assignment.watched_sources, error_hints=assignment.error_hints)
    _graded[question.function] = (env, functions, result)
    return result


def hidden_check(env, folder, function, case, output):
    """One hidden test case of otter: passes when the native check of
    (`case`, `output`) of question `function` of the assignment in `folder`
    passes on the notebook's functions; raises AssertionError with what went wrong otherwise."""
    assignment = load(folder)
    result = _question_result(env, assignment, assignment.question(function))
    found = [check for check in result.checks if check.case == case and check.output == output]
    if len(found) != 1:
        raise AssertionError(f"the grader has no check {case!r} / {output!r} for {function}; please report it")
    (check,) = found
    if check.passed:
        return
    lines = [f"{function}, case {case!r}, {output}: {check.message or 'failed'}"]
    if result.message and result.message not in lines[0]:
        lines.append(result.message)
    for diagnosis in result.diagnoses:
        lines.append(f"Diagnosis: {function} {diagnosis['mistake']}. {diagnosis['hint']}")
    raise AssertionError("\n".join(lines))
