"""Build the student release, the example submissions and the otter and
Gradescope distributions, all from one source.

Everything comes from an assignment (autograder/assignment.py): the
notebook's text is its template, its code is its reference. In the template, fenced blocks become code cells:

    ```python           the block's code, as it is
    ```given f g        the full source of the reference functions f and g,
                        tagged GIVEN_TAG: the grader runs the release's copy of
                        this cell in place of a submission's (cells.py)
    ```student f        a question: the reference function f, whose code
                        between "# BEGIN SOLUTION" and "# END SOLUTION" the
                        student notebook replaces by a stub, followed by
                        otter's self-check cell grader.check("f")

and the text between them becomes markdown cells, where the spec's facts
are filled in (one place per fact: the template never repeats a point):

    {{questions}}           the table of the functions students write, with their points
    {{heading FUNCTION}}    "N. TITLE (P points)": the question's number, title and points
    {{points FUNCTION}}     the question's points
    {{total}}               the assignment's points

From these, `render_master` makes otter-assign's master notebook (each
question in otter's question, solution and tests blocks; the tests call the
native question specs, see autograder/otter.py), and the student notebook
is the one otter makes from the master (`render`): there is one student
notebook, the release's, for `otter run` and `autograder grade`
alike, and the example submissions are made from it. Nothing generated is
edited by hand: `autograder build` rewrites it, and a test fails when a
committed copy is stale. `autograder build` also runs `otter assign` and
writes the zips under dist/ (git-ignored).
"""

import ast
import functools
import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import otter
from autograder.cells import GIVEN_TAG

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# The engine's files every release holds (file name in the release -> source):
# the public gradient-check helpers, and how the grader reads a notebook (for
# the notebook's check before submitting).
ENGINE_FILES = {"gradcheck.py": HERE / "gradcheck.py", "grading_cells.py": HERE / "cells.py"}
# The self-checks' harness; the release's public_checks.py is it with the assignment's questions.
PUBLIC_CHECKS = HERE / "templates" / "public_checks.py"
# The given functions as a module, for the self-checks to run the release's
# given code as the grader does, whatever the student's notebook holds.
GIVEN_MODULE = "given.py"
SELF_CHECKS_MODULE = "self_checks.py"
CELL_TAG = "autograder_question"


def dist_folder(assignment):
    """Where the otter and Gradescope distributions go: dist/ for the default assignment, else the assignment's dist/."""
    from autograder.assignment import default_folder

    return ROOT / "dist" if assignment.folder == default_folder().resolve() else assignment.folder / "dist"


def otter_zip_name(assignment):
    return f"{assignment.name}-otter-autograder.zip"  # otter's zip, under a stable name

_PLACEHOLDER = re.compile(r"\{\{(?P<what>questions|total|heading|points)(?: (?P<function>\w+))?\}\}")
_SOLUTION = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION\n.*?^[ \t]*# END SOLUTION\n", re.S | re.M)
_FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)


def stub_for(name, indent):
    """The code students see in place of the reference solution of `name`."""
    bar = "#" * 72
    lines = [
        bar,
        f"# YOUR CODE HERE ({name}): replace the raise below with your",
        "# code, computing the values the function returns.",
        bar,
        f'raise NotImplementedError("{name}: your code here")',
        bar,
        "# END OF YOUR CODE",
        bar,
    ]
    return "".join(f"{indent}{line}\n" for line in lines)


def function_sources(path):
    """Map each top-level function name in `path` to its source code."""
    text = Path(path).read_text()
    lines = text.splitlines()
    nodes = ast.parse(text).body
    # A function runs up to the next top-level statement: its trailing
    # comments (the "# END SOLUTION" marker) are not part of its AST node.
    ends = [node.lineno - 1 for node in nodes[1:]] + [len(lines)]
    return {
        node.name: "\n".join(lines[node.lineno - 1:end]).rstrip()
        for node, end in zip(nodes, ends)
        if isinstance(node, ast.FunctionDef)
    }


def stubbed(name, source):
    """`source` with its solution region replaced by the stub."""
    result, count = _SOLUTION.subn(lambda m: stub_for(name, m["indent"]), source + "\n")
    if count != 1:
        raise ValueError(f"{name}: expected one BEGIN/END SOLUTION region, found {count}")
    return result.rstrip("\n")


def without_markers(source):
    """`source` with the BEGIN/END SOLUTION marker lines removed."""
    return re.sub(r"^[ \t]*# (BEGIN|END) SOLUTION\n", "", source + "\n", flags=re.M).rstrip("\n")


@dataclass(frozen=True)
class Block:
    """One cell of the template: markdown text, or code of one of the fence kinds."""

    kind: str  # "markdown", "python", "given" or "student"
    text: str = ""
    names: tuple = ()


def parse_template(text):
    """Split the template into its markdown and code blocks, in order."""
    blocks = []
    position = 0
    for fence in _FENCE.finditer(text):
        markdown = text[position:fence.start()].strip()
        if markdown:
            blocks.append(Block("markdown", markdown))
        kind, *names = fence["info"].split()
        if kind not in ("python", "given", "student"):
            raise ValueError(f"unknown code fence {fence['info']!r} in the template")
        blocks.append(Block(kind, fence["body"].strip(), tuple(names)))
        position = fence.end()
    tail = text[position:].strip()
    if tail:
        blocks.append(Block("markdown", tail))
    return blocks


def _points_text(points):
    return f"{points:g}"


def filled_in(text, assignment):
    """Markdown `text` with the placeholders of the spec's facts replaced (see the module's docstring)."""
    numbers = {question.function: number for number, question in enumerate(assignment.questions, 1)}

    def question(match):
        if match["function"] not in numbers:
            raise ValueError(f"the template's {match[0]} names no question of {assignment.specs_path.name}")
        return assignment.question(match["function"])

    def replace(match):
        what = match["what"]
        if what == "questions":
            rows = [f"| {numbers[q.function]} | `{q.function}` | {_points_text(q.points)} |" for q in assignment.questions]
            return "\n".join(["| # | function you write | points |", "|---|---|---|", *rows])
        if what == "total":
            return _points_text(assignment.points)
        found = question(match)
        if what == "points":
            return _points_text(found.points)
        return f"{numbers[found.function]}. {found.title} ({_points_text(found.points)} points)"

    return _PLACEHOLDER.sub(replace, text)


def numpy_requirement():
    """The numpy pin of pyproject.toml, for otter's grading image."""
    try:
        dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    except (OSError, KeyError):
        return "numpy"
    return next((d for d in dependencies if re.match(r"numpy\b", d)), "numpy")


def _prompt(name, source):
    """The stub of `name`, indented like its solution region in `source`."""
    match = _SOLUTION.search(source + "\n")
    if match is None:
        raise ValueError(f"{name}: no BEGIN/END SOLUTION region")
    return stub_for(name, match["indent"])


def _finish(cells):
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number:02d}"  # stable ids keep the output byte-for-byte reproducible
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    # nbconvert --to script names the file after file_extension: .py, which the grader reads.
    notebook.metadata["language_info"] = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"}
    return notebook


def render_master(assignment):
    """Otter assign's master notebook: the template's text and code, each
    question in otter's blocks with its public and hidden tests."""
    sources = function_sources(assignment.reference_path)
    cells = [nbformat.v4.new_raw_cell(otter.assignment_config(assignment, numpy_requirement()))]
    questions = {question.function: question for question in assignment.questions}
    for block in parse_template(assignment.template.read_text()):
        if block.kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(filled_in(block.text, assignment)))
        elif block.kind == "python":
            cells.append(nbformat.v4.new_code_cell(block.text))
        elif block.kind == "given":
            source = "\n\n\n".join(sources[n] for n in block.names)
            cells.append(nbformat.v4.new_code_cell(source, metadata={GIVEN_TAG: list(block.names)}))
        else:
            (name,) = block.names
            if name not in questions:
                raise ValueError(f"the template's question {name} has no spec in {assignment.specs_path.name}")
            cells += otter.question_cells(assignment, questions[name], sources[name], _prompt(name, sources[name]), {CELL_TAG: name})
    return _finish(cells)


@functools.lru_cache(maxsize=4)
def _student_text(master_text, notebook_name):
    notebook = otter.student_notebook(nbformat.reads(master_text, as_version=4), notebook_name)
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number:02d}"
    return nbformat.writes(notebook)


def render(assignment, answers=None, reference=False):
    """The student notebook otter makes from the master, with each question
    cell holding the stub, the reference (reference=True), or the code given
    for it in `answers` (name -> source)."""
    answers = answers or {}
    sources = function_sources(assignment.reference_path)
    notebook = nbformat.reads(_student_text(serialize(render_master(assignment)), assignment.notebook), as_version=4)
    for cell in notebook.cells:
        name = cell.metadata.get(CELL_TAG)
        if name in answers:
            cell.source = answers[name].strip()
        elif name is not None and reference:
            cell.source = without_markers(sources[name])
    return notebook


@functools.lru_cache(maxsize=8)
def cells_not_run_when_grading(assignment):
    """The sources of the student notebook's code
    cells that the grader does not run when a submission leaves them unchanged: the self-checks, the
    export and the training demo. They define no function and import
    nothing, so the graded functions cannot depend on them."""
    skipped = set()
    for cell in nbformat.read(assignment.student_notebook, as_version=4).cells:
        if cell.cell_type != "code" or CELL_TAG in cell.metadata:
            continue
        statements = ast.parse(cell.source).body
        if not any(isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)) for node in statements):
            skipped.add(cell.source)
    return frozenset(skipped)


@functools.lru_cache(maxsize=8)
def given_cells(assignment):
    """The student notebook's given cells as ((function names), source): the
    grader runs these in place of a submission's copies."""
    return tuple((tuple(cell.metadata[GIVEN_TAG]), cell.source)
                 for cell in nbformat.read(assignment.student_notebook, as_version=4).cells if GIVEN_TAG in cell.metadata)


def given_module(assignment):
    """The release's given.py: the given functions, for the self-checks."""
    names = [name for block in parse_template(assignment.template.read_text()) if block.kind == "given" for name in block.names]
    sources = function_sources(assignment.reference_path)
    header = ('"""The given functions of the notebook (generated by `autograder build`: do not edit).\n\n'
              "The self-checks and the grader run these, not the notebook's copies: given cells\n"
              'must stay as they are."""\n\nimport numpy as np\n')
    return header + "".join(f"\n\n{sources[name]}\n" for name in names)


def serialize(notebook):
    return nbformat.writes(notebook) + "\n"


def public_checks_module(assignment):
    """The release's public_checks.py: the harness, with the assignment's questions."""
    return PUBLIC_CHECKS.read_text().replace("__QUESTIONS__", repr(assignment.functions), 1)


def example_answers(assignment):
    """Each file in the examples' answers/ as (submission name, {function: source})."""
    if assignment.examples is None:
        return
    for path in sorted((assignment.examples / "answers").glob("*.py")):
        sources = function_sources(path)
        unknown = set(sources) - set(assignment.functions)
        if unknown:
            raise ValueError(f"{path.name} defines {sorted(unknown)}, which are not questions")
        yield path.stem, sources


def release_files(assignment):
    """Every generated file, as {path: text}."""
    release = assignment.release
    files = {
        assignment.student_notebook: serialize(render(assignment)),
        **{release / name: source.read_text() for name, source in ENGINE_FILES.items()},
        release / GIVEN_MODULE: given_module(assignment),
        release / SELF_CHECKS_MODULE: assignment.self_checks_path.read_text(),
        release / "public_checks.py": public_checks_module(assignment),
    }
    if assignment.examples is not None:
        submissions = assignment.examples / "submissions"
        files[submissions / "reference.ipynb"] = serialize(render(assignment, reference=True))
        files[submissions / "stub.ipynb"] = serialize(render(assignment))
        for name, answers in example_answers(assignment):
            files[submissions / f"{name}.ipynb"] = serialize(render(assignment, answers))
    return files


def build(assignment, dist=True):
    """Write every generated file and, with `dist`, run otter assign and
    write otter's zip under dist/; return the paths written. (`autograder
    build` validates the assignment first, validation.py, and writes
    Gradescope's zip too, gradescope.py.)"""
    files = release_files(assignment)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    written = list(files)
    if dist:
        written += build_otter(assignment)
    return written


def build_otter(assignment, folder=None):
    """Write the master notebook under folder/master/, run otter assign on it
    (folder/autograder/, folder/student/), check that otter's student
    notebook is the release's, and copy otter's zip to a stable
    name. Raises otter.AssignError when otter assign fails."""
    folder = Path(folder or dist_folder(assignment) / "otter")
    master = otter.stage_master(assignment, serialize(render_master(assignment)), folder / "master", ROOT)
    made = otter.assign(master, folder)
    student = folder / "student" / assignment.notebook
    theirs = nbformat.read(student, as_version=4)
    for number, cell in enumerate(theirs.cells):
        cell.id = f"cell-{number:02d}"
    ours = serialize(render(assignment))
    if serialize(theirs) != ours:
        raise otter.AssignError(f"otter's student notebook {student} differs from {assignment.student_notebook}")
    student.write_text(ours)  # the same bytes as the release's notebook
    shutil.copy(made, folder / otter_zip_name(assignment))
    return [master, student, folder / otter_zip_name(assignment)]


def stale_files(assignment):
    """The generated files whose committed copy differs from a fresh build,
    and example submissions that no answer file generates any more."""
    files = release_files(assignment)
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    submissions = assignment.examples / "submissions" if assignment.examples else None
    return stale + ([path for path in submissions.glob("*.ipynb") if path not in files] if submissions else [])
