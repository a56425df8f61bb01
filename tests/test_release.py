"""The student release (assignment/) leaks nothing of the reference solutions,
and holds everything that is given to students."""

import re
from pathlib import Path

import nbformat
import pytest

from autograder import release

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
    assert len(regions) == len(release.QUESTIONS)
    found = {}
    for region in regions:
        # Which function is this region in? The last `def` before it.
        start = text.index(region)
        name = re.findall(r"^def (\w+)\(", text[:start], re.M)[-1]
        lines = [line.strip() for line in region.splitlines()]
        found[name] = [line for line in lines if line not in TRIVIAL and not line.startswith("#")]
    assert sorted(found) == sorted(release.QUESTIONS)
    return found


def released_texts():
    """Every file under assignment/ as [(label, text)]; a notebook as the
    source and text outputs of each cell (its JSON escapes quotes), plus its
    raw JSON."""
    texts = []
    files = [p for p in sorted(ASSIGNMENT.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]
    assert STUDENT_NOTEBOOK in files and (ASSIGNMENT / "gradcheck.py") in files
    for path in files:
        label = str(path.relative_to(ASSIGNMENT.parent))
        raw = path.read_bytes().decode("utf-8", errors="replace")
        texts.append((label, raw))
        if path.suffix == ".ipynb":
            notebook = nbformat.reads(raw, as_version=4)
            for number, cell in enumerate(notebook.cells):
                texts.append((f"{label} cell {number}", cell.source))
                for output in cell.get("outputs", []):
                    texts.append((f"{label} cell {number} output", str(output.get("text", output.get("data", "")))))
    return texts


@pytest.fixture(scope="module")
def texts():
    return released_texts()


def test_solution_lines_are_what_we_think(texts):
    lines = solution_lines()
    assert all(lines[name] for name in release.QUESTIONS)
    assert 'return (da - np.sum(da * a, axis=1, keepdims=True)) * a' in lines["softmax_backward"]
    assert "return grads" not in lines["bn_net_backward"]


@pytest.mark.parametrize("name", release.QUESTIONS)
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


def test_the_leak_check_would_catch_a_leak():
    """The scan above is not vacuous: the reference notebook, which has the
    solutions, fails it."""
    reference = nbformat.read(ROOT / "examples" / "submissions" / "reference.ipynb", as_version=4)
    sources = "\n".join(cell.source for cell in reference.cells)
    stripped = {l.strip() for l in sources.splitlines()}
    for name, lines in solution_lines().items():
        assert all(line in stripped for line in lines), name


def test_stub_notebook_contains_every_given_function_verbatim():
    given_in_template = [n for b in release.parse_template(release.TEMPLATE.read_text()) if b.kind == "given" for n in b.names]
    assert sorted(given_in_template) == sorted(GIVEN)
    sources = release.function_sources()
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


@pytest.mark.parametrize("name", release.QUESTIONS)
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
