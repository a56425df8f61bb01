"""The student release (assignment/) leaks nothing of the reference solutions,
and holds everything that is given to students."""

import re
from pathlib import Path

import nbformat
import pytest

from autograder import release
from backprop import BACKPROP

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignment"
SOLUTIONS = ROOT / "solutions" / "layers.py"
STUDENT_NOTEBOOK = ASSIGNMENT / "backprop.ipynb"

# Solution lines too generic to count as a leak.
TRIVIAL = {"", "return grads", "grads = {}"}

# The forward passes (and the given backward passes) students receive verbatim.
GIVEN = [
    "affine_forward",
    "affine_backward",
    "relu_forward",
    "relu_backward",
    "dropout_forward",
    "softmax",
    "softmax_forward",
    "batchnorm_forward",
    "init_bn_net",
    "bn_net_forward",
]


def solution_lines():
    """{question: [stripped, non-trivial lines between BEGIN and END SOLUTION]},
    read from solutions/layers.py directly."""
    text = SOLUTIONS.read_text()
    regions = re.findall(r"^[ \t]*# BEGIN SOLUTION\n(.*?)^[ \t]*# END SOLUTION$", text, re.S | re.M)
    assert len(regions) == len(BACKPROP.functions)
    found = {}
    for region in regions:
        # Which function is this region in? The last `def` before it.
        start = text.index(region)
        name = re.findall(r"^def (\w+)\(", text[:start], re.M)[-1]
        lines = [line.strip() for line in region.splitlines()]
        found[name] = [line for line in lines if line not in TRIVIAL and not line.startswith("#")]
    assert sorted(found) == sorted(BACKPROP.functions)
    return found


def released_texts(folder=ASSIGNMENT):
    """Every file under `folder` (by default assignment/) as [(label, text)];
    a notebook as the source and text outputs of each cell (its JSON escapes
    quotes), the otter tests in its metadata, plus its raw JSON."""
    texts = []
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    assert folder / "backprop.ipynb" in files and (folder / "gradcheck.py") in files
    for path in files:
        label = str(path.relative_to(folder.parent))
        raw = path.read_bytes().decode("utf-8", errors="replace")
        texts.append((label, raw))
        if path.suffix == ".ipynb":
            notebook = nbformat.reads(raw, as_version=4)
            for number, cell in enumerate(notebook.cells):
                texts.append((f"{label} cell {number}", cell.source))
                for output in cell.get("outputs", []):
                    texts.append((f"{label} cell {number} output", str(output.get("text", output.get("data", "")))))
            for name, test in notebook.metadata.get("otter", {}).get("tests", {}).items():
                texts.append((f"{label} otter test {name}", test))
    return texts


def hidden_test_problems(folder=ASSIGNMENT):
    """What in `folder` is, or calls, a hidden test: every otter test case in
    a notebook's metadata or in a test file must be public, and nothing may
    call the grader's hidden checks."""
    from otter.test_files import ExceptionTestFile

    problems = []
    for label, text in released_texts(folder):
        if "hidden_check" in text or "autograder.otter" in text:
            problems.append(f"{label} calls the hidden checks")
    tests = [(f"{p.name} test {name}", test) for p in sorted(folder.rglob("*.ipynb"))
             for name, test in nbformat.read(p, as_version=4).metadata.get("otter", {}).get("tests", {}).items()]
    tests += [(str(p), p.read_text()) for p in sorted(folder.rglob("tests/*.py"))]
    for label, test in tests:
        cases = ExceptionTestFile.from_string(test).test_cases
        problems += [f"{label}: hidden test case {case.name}" for case in cases if case.hidden]
    return problems


@pytest.fixture(scope="module")
def texts():
    return released_texts()


def test_solution_lines_are_what_we_think(texts):
    lines = solution_lines()
    assert all(lines[name] for name in BACKPROP.functions)
    assert 'return (da - np.sum(da * a, axis=1, keepdims=True)) * a' in lines["softmax_backward"]
    assert "return grads" not in lines["bn_net_backward"]


@pytest.mark.parametrize("name", BACKPROP.functions)
def test_no_reference_solution_line_reaches_assignment(texts, name):
    leaks = []
    for line in solution_lines()[name]:
        for label, text in texts:
            stripped = {l.strip() for l in text.splitlines()}
            # A copied line is a line of its own; a long one is caught anywhere.
            if line in stripped or (len(line) >= 25 and line in text):
                leaks.append(f"{line!r} in {label}")
    assert not leaks, leaks


def test_assignment_never_mentions_the_solution_markers(texts):
    for label, text in texts:
        assert "BEGIN SOLUTION" not in text, label
        assert "END SOLUTION" not in text, label


def test_assignment_never_imports_solutions_or_the_autograder(texts):
    pattern = re.compile(r"^\s*(from|import)\s+(solutions|autograder)\b", re.M)
    for label, text in texts:
        assert not pattern.search(text), label
        assert "solutions.layers" not in text, label


def test_assignment_holds_exactly_what_students_get():
    files = sorted(str(p.relative_to(ASSIGNMENT)) for p in ASSIGNMENT.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert files == ["backprop.ipynb", "given.py", "gradcheck.py", "grading_cells.py", "public_checks.py", "self_checks.py"]


def test_assignment_holds_no_hidden_test():
    assert not hidden_test_problems()


def test_the_student_notebook_carries_otters_public_tests():
    """Each question's public otter test is in the notebook's metadata (so
    that grader.check works from assignment/ alone), and runs the self-check."""
    from otter.test_files import ExceptionTestFile

    notebook = nbformat.read(STUDENT_NOTEBOOK, as_version=4)
    otter_metadata = notebook.metadata["otter"]
    assert otter_metadata["assignment_name"] == "backprop" and otter_metadata["OK_FORMAT"] is False
    assert sorted(otter_metadata["tests"]) == sorted(BACKPROP.functions)
    for name, test in otter_metadata["tests"].items():
        assert "OK_FORMAT = False" in test
        (case,) = ExceptionTestFile.from_string(test).test_cases
        assert not case.hidden and case.points == 0
        assert f"public_checks.check({name!r}, env)" in test


def test_the_hidden_test_scan_would_catch_a_hidden_test(tmp_path):
    """The scan above is not vacuous: otter's autograder tests, as the master
    notebook holds them, are caught."""
    master = release.render_master(BACKPROP)
    folder = tmp_path / "release"
    folder.mkdir()
    for name in ("gradcheck.py", "public_checks.py"):
        (folder / name).write_text((ASSIGNMENT / name).read_text())
    (folder / "backprop.ipynb").write_text(release.serialize(master))
    test = "from otter.test_files import test_case\nOK_FORMAT = False\nname = 'q'\n@test_case(points=1, hidden=True)\ndef t(env):\n    pass\n"
    (folder / "tests").mkdir()
    (folder / "tests" / "q.py").write_text(test)
    problems = hidden_test_problems(folder)
    assert any("calls the hidden checks" in p for p in problems)
    assert any("q.py: hidden test case" in p for p in problems)


def test_the_leak_check_would_catch_a_leak():
    """The scan above is not vacuous: the reference notebook, which has the
    solutions, fails it."""
    reference = nbformat.read(ROOT / "examples" / "submissions" / "reference.ipynb", as_version=4)
    sources = "\n".join(cell.source for cell in reference.cells)
    stripped = {l.strip() for l in sources.splitlines()}
    for name, lines in solution_lines().items():
        assert all(line in stripped for line in lines), name


def test_stub_notebook_contains_every_given_function_verbatim():
    given_in_template = [n for b in release.parse_template(BACKPROP.template.read_text()) if b.kind == "given" for n in b.names]
    assert sorted(given_in_template) == sorted(GIVEN)
    sources = release.function_sources(BACKPROP.reference_path)
    notebook = nbformat.read(STUDENT_NOTEBOOK, as_version=4)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    for name in GIVEN:
        assert any(sources[name] in cell for cell in code), name
        assert sources[name] == _function_text(SOLUTIONS.read_text(), name)


def _function_text(text, name):
    """The source of top-level function `name`, read without autograder.release:
    from its `def` to the line before the next top-level statement."""
    match = re.search(rf"^def {name}\(.*?(?=^\S|\Z)", text, re.S | re.M)
    return match.group(0).rstrip()


@pytest.mark.parametrize("name", BACKPROP.functions)
def test_question_cells_keep_everything_outside_the_solution(name):
    """A stub cell is the reference function with only the solution region
    replaced: signature, docstring and given lines (e.g. the loss of
    softmax_cross_entropy) are all there, in order."""
    reference = _function_text(SOLUTIONS.read_text(), name)
    before, rest = reference.split("# BEGIN SOLUTION", 1)
    after = rest.split("# END SOLUTION", 1)[1]
    notebook = nbformat.read(STUDENT_NOTEBOOK, as_version=4)
    (cell,) = [c for c in notebook.cells if c.metadata.get(release.CELL_TAG) == name]
    source = cell.source
    assert source.startswith(before.rstrip(" "))
    assert source.rstrip().endswith(after.rstrip())
    middle = source[len(before.rstrip(" ")):len(source.rstrip()) - len(after.rstrip())]
    assert "YOUR CODE HERE" in middle and "raise NotImplementedError" in middle
