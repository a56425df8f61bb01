"""Assignments are content and the grader is an engine: the engine names
nothing of any assignment; `autograder new` makes one that builds and
grades; a second assignment is graded by the same engine; two assignments
graded into one folder never mix; the build validates an assignment; and the
README's authoring walk-through holds."""

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import assignment as assignments
from autograder import release, validation

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "autograder"
FOLDERS = sorted(path.parent for path in (ROOT / "assignments").glob("*/assignment.toml"))
NORMS = assignments.load(ROOT / "assignments" / "norms")


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _names_of(assignment):
    """What the engine must never name: the assignment's functions (graded and given) and its paths."""
    names = set(release.function_sources(assignment.reference_path)) | set(assignment.functions)
    paths = {assignment.folder.relative_to(ROOT).as_posix(), assignment.reference_path.relative_to(ROOT).as_posix(),
             assignment.reference_path.stem + ".py", assignment.notebook, assignment.specs_path.relative_to(ROOT).as_posix()}
    return names | paths


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_the_engine_names_nothing_of_the_assignment(folder):
    assignment = assignments.load(folder)
    named = []
    for path in sorted(ENGINE.rglob("*.py")):
        text = path.read_text()
        named += [f"{path.relative_to(ROOT)}: {name}" for name in sorted(_names_of(assignment))
                  if re.search(rf"(?<![\w/]){re.escape(name)}(?!\w)", text)]
        named += [f"{path.relative_to(ROOT)}: imports {module}" for module in ("solutions", "assignments")
                  if re.search(rf"^\s*(from|import) {module}\b", text, re.M)]
    assert len(FOLDERS) >= 2 and not named, named


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_every_assignment_validates_and_its_release_is_current(folder):
    assignment = assignments.load(folder)
    assert validation.failures(assignment) == []
    assert release.stale_files(assignment) == []


def test_the_notebook_tables_points_and_headings_come_from_the_specs():
    notebook = release.render(NORMS)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    for number, question in enumerate(NORMS.questions, 1):
        assert f"| {number} | `{question.function}` | {question.points:g} |" in text
        assert f"## {number}. {question.title} ({question.points:g} points)" in text
    assert "{{" not in text


def test_a_broken_known_mistake_stops_the_build_and_says_which(tmp_path):
    folder = tmp_path / "broken"
    assert run_cli("new", folder).returncode == 0
    specs = folder / "questions.py"
    # A "mistake" that is the right answer: the hidden tests cannot tell it from the reference.
    specs.write_text(specs.read_text().replace("lambda dout, cache: dout * cache", "lambda dout, cache: 2 * cache * dout"))
    built = run_cli("build", folder, "--release-only")
    assert built.returncode == 2
    assert "square_backward: the known mistake 'forgets the factor 2' gets full marks" in built.stderr
    assert not (folder / "release").exists()


def test_a_self_check_that_passes_on_the_stub_stops_the_build(tmp_path):
    folder = tmp_path / "lenient"
    assert run_cli("new", folder).returncode == 0
    checks = folder / "self_checks.py"
    checks.write_text(checks.read_text() + "\n\ndef check_square_backward(square_forward, square_backward, seed=0):\n"
                      "    return True\n")
    built = run_cli("build", folder, "--release-only")
    assert built.returncode == 2 and "square_backward: the public self-check passes on the stub" in built.stderr


def _graded(out):
    return {(row["assignment"], row["submission"]): row for row in read_csv(out / "grades.csv")}


@pytest.mark.slow
def test_new_makes_an_assignment_that_builds_grades_reports_and_exports(tmp_path):
    folder = tmp_path / "square"
    made = run_cli("new", folder)
    assert made.returncode == 0, made.stderr
    built = run_cli("build", folder)  # the release, otter's zip and Gradescope's
    assert built.returncode == 0, built.stderr
    skeleton = assignments.load(folder)
    assert (folder / "release" / "square.ipynb").is_file()
    otter_zip = folder / "dist" / "otter" / "square-otter-autograder.zip"
    gradescope_zip = folder / "dist" / "gradescope" / "autograder.zip"
    assert otter_zip.is_file() and gradescope_zip.is_file()
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "reference.ipynb").write_text(release.serialize(release.render(skeleton, reference=True)))
    (submissions / "stub.ipynb").write_text(release.serialize(release.render(skeleton)))
    (submissions / "no_factor.ipynb").write_text(release.serialize(release.render(
        skeleton, {"square_backward": "def square_backward(dout, cache):\n    return dout * cache\n"})))
    out = tmp_path / "out"
    graded = run_cli("grade", submissions, "--assignment", folder, "--out", out, "--salt", "s", "--jobs", "1")
    assert graded.returncode == 0, graded.stderr
    rows = _graded(out)
    total = f"{skeleton.points:g}"
    assert (rows["square", "reference"]["total"], rows["square", "stub"]["total"]) == (total, "0")
    assert float(rows["square", "no_factor"]["total"]) < skeleton.points
    assert "forgets the factor 2" in (out / "square" / "feedback" / "no_factor.md").read_text()
    reported = run_cli("report", out)
    assert reported.returncode == 0, reported.stderr
    assert (out / "square" / "report.html").is_file() and (out / "square" / "feedback" / "no_factor.html").is_file()

    # Gradescope's zip grades the reference with the engine and the content it holds.
    root = tmp_path / "gradescope"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    zipfile.ZipFile(gradescope_zip).extractall(root / "source")
    shutil.copy(submissions / "reference.ipynb", root / "submission" / "square.ipynb")
    env = {**os.environ, "PYTHONPATH": str(root / "source" / "backprop-lab"), "BACKPROP_SANDBOX": "rlimits"}
    env.pop("BACKPROP_SALT", None)
    run = subprocess.run([sys.executable, "-P", "-m", "autograder.gradescope", str(root)], env=env, cwd=root,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads((root / "results" / "results.json").read_text())["score"] == skeleton.points


@pytest.mark.slow
def test_two_assignments_graded_into_one_folder_never_mix(tmp_path):
    backprop = assignments.load()
    submissions = {name: tmp_path / name for name in ("backprop", "norms")}
    for name, source in (("backprop", backprop), ("norms", NORMS)):
        submissions[name].mkdir()
        # The same student names in both: each assignment keeps its own grading of each.
        (submissions[name] / "alice.ipynb").write_text(release.serialize(release.render(source, reference=True)))
        (submissions[name] / "bob.ipynb").write_text(release.serialize(release.render(source)))
    out = tmp_path / "out"
    for name, folder in (("backprop", backprop.folder), ("norms", NORMS.folder)):
        graded = run_cli("grade", submissions[name], "--assignment", folder, "--out", out, "--salt", "s", "--jobs", "2")
        assert graded.returncode == 0, graded.stderr
    rows = _graded(out)
    assert sorted(rows) == [("backprop", "alice"), ("backprop", "bob"), ("norms", "alice"), ("norms", "bob")]
    assert rows["backprop", "alice"]["total"] == f"{backprop.points:g}"
    assert rows["norms", "alice"]["total"] == f"{NORMS.points:g}"
    assert rows["norms", "alice"][backprop.functions[0]] == "" and rows["backprop", "alice"][NORMS.functions[0]] == ""
    backprop_result = json.loads((out / "results" / "alice.json").read_text())
    norms_result = json.loads((out / "norms" / "results" / "alice.json").read_text())
    assert backprop_result["score"] == backprop.points and norms_result["score"] == NORMS.points
    # A second run of the same command keeps both gradings: neither assignment's replaced the other's.
    again = run_cli("grade", submissions["norms"], "--assignment", NORMS.folder, "--out", out, "--salt", "s")
    assert "2 unchanged since their last grading kept" in again.stderr
    assert _graded(out) == rows
    # Each assignment's export holds its own totals, under its own title.
    for source in (backprop, NORMS):
        exported = run_cli("export", out, "--format", "csv", "--assignment", source.folder, "--output", tmp_path / f"{source.name}.csv")
        assert exported.returncode == 0, exported.stderr
        lines = list(csv.DictReader((tmp_path / f"{source.name}.csv").open()))
        assert {line["submission"]: line["total"] for line in lines} == {"alice": f"{source.points:g}", "bob": "0"}
        assert {line["max_total"] for line in lines} == {f"{source.points:g}"}


def _edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name} no longer holds {old!r}: update the README's walk-through and this test"
    path.write_text(text.replace(old, new))


CUBE_REFERENCE = '''

def cube_forward(x):
    """out = x ** 3, element-wise; returns (out, cache)."""
    return x ** 3, x


def cube_backward(dout, cache):
    """The gradient dL/dx of cube_forward, given dL/dout and the cache."""
    x = cache
    # BEGIN SOLUTION
    dx = 3 * x ** 2 * dout
    # END SOLUTION
    return dx
'''

CUBE_SPEC = '''

def draw_cube(rng):
    N, D = distinct_sizes(rng, 2)
    x = rng.standard_normal((N, D))
    dout = rng.standard_normal((N, D))
    _, cache = reference.cube_forward(x)
    return Problem((dout, cache), {"dx": x}, lambda: float(np.sum(reference.cube_forward(x)[0] * dout)))


CUBE = Question(
    function="cube_backward",
    title="The cube",
    outputs=(Output("dx", axes=("N", "D"), hint="dx = 3 x ** 2 dout, element-wise."),),
    unpack=one("dx"),
    draw=draw_cube,
    reference=reference.cube_backward,
    cases=(Case("inputs of order 1", 8, {}),),
    mistakes=(Mistake("forgets the power's factor 3", "The derivative of x ** 3 is 3 x ** 2.",
                      lambda dout, cache: cache ** 2 * dout),),
)

QUESTIONS = (SQUARE, CUBE)
'''

CUBE_SELF_CHECK = '''

def check_cube_backward(cube_forward, cube_backward, seed=0):
    """Check cube_backward on a 3 x 4 batch."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 4))
    _, cache = cube_forward(x)
    return report("cube_backward dx", cube_backward(dout, cache), numerical_vjp(lambda: cube_forward(x)[0], x, dout))
'''

CUBE_TEMPLATE = '''
## Given: the cube

```given cube_forward
```

## {{heading cube_backward}}

The derivative of $x^3$ is $3x^2$.

```student cube_backward
```
'''


def test_the_readme_walk_through_in_a_scratch_copy(tmp_path):
    """The authoring guide's four changes, each in its one place, on `autograder new`'s
    skeleton: a question's points, a case, a known mistake, a new function. The build
    validates each (the mistake loses points and is named) and grading follows."""
    folder = tmp_path / "mine"
    assert run_cli("new", folder).returncode == 0
    specs = folder / "questions.py"
    # Change a question's points: its cases' points in the spec.
    _edit(specs, 'Case("inputs of order 1", 4,', 'Case("inputs of order 1", 5,')
    # Add a case.
    _edit(specs, 'Case("inputs of order 100", 6, {"scale": 100.0}),',
          'Case("inputs of order 100", 6, {"scale": 100.0}),\n        Case("inputs of order 0.01", 3, {"scale": 0.01}),')
    # Add a known mistake.
    _edit(specs, "lambda dout, cache: dout * cache),",
          'lambda dout, cache: dout * cache),\n        Mistake("forgets dout", "The chain rule multiplies by dout.", lambda dout, cache: 2 * cache),')
    # Add a new function: the reference, its spec, its self-check, and the template's fences.
    with (folder / "reference.py").open("a") as handle:
        handle.write(CUBE_REFERENCE)
    _edit(specs, "QUESTIONS = (SQUARE,)\n", CUBE_SPEC.lstrip("\n"))
    _edit(specs, 'FORWARD_PASSES = ("square_forward",)', 'FORWARD_PASSES = ("square_forward", "cube_forward")')
    with (folder / "self_checks.py").open("a") as handle:
        handle.write(CUBE_SELF_CHECK)
    with (folder / "template.md").open("a") as handle:
        handle.write(CUBE_TEMPLATE)

    built = run_cli("build", folder, "--release-only")
    assert built.returncode == 0, built.stdout + built.stderr
    mine = assignments.load(folder)
    assert [(q.function, q.points) for q in mine.questions] == [("square_backward", 14), ("cube_backward", 8)]
    notebook = (folder / "release" / "mine.ipynb").read_text()
    assert "| 1 | `square_backward` | 14 |" in notebook and "| 2 | `cube_backward` | 8 |" in notebook
    assert "The square (14 points)" in notebook and "The cube (8 points)" in notebook

    submissions = tmp_path / "submissions"
    submissions.mkdir()
    (submissions / "reference.ipynb").write_text(release.serialize(release.render(mine, reference=True)))
    (submissions / "stub.ipynb").write_text(release.serialize(release.render(mine)))
    (submissions / "no_dout.ipynb").write_text(release.serialize(release.render(mine, {
        "square_backward": "def square_backward(dout, cache):\n    return 2 * cache\n",
        "cube_backward": "def cube_backward(dout, cache):\n    return 3 * cache ** 2 * dout\n"})))
    out = tmp_path / "out"
    graded = run_cli("grade", submissions, "--assignment", folder, "--out", out, "--salt", "s", "--jobs", "1")
    assert graded.returncode == 0, graded.stderr
    rows = _graded(out)
    assert [rows["mine", name]["total"] for name in ("reference", "stub", "no_dout")] == ["22", "0", "8"]
    assert "forgets dout" in (out / "mine" / "feedback" / "no_dout.md").read_text()


def test_the_engine_imports_without_a_circle():
    """Every import between autograder's modules, deferred ones too, goes one way (Gradescope's
    runner calls the grader itself, not the command line)."""
    import ast

    graph = {}
    for path in ENGINE.glob("*.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "autograder":
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder."):
                imported.add(node.module.split(".")[1])
        graph[path.stem] = imported & {p.stem for p in ENGINE.glob("*.py")}

    def circle_from(module, path):
        for imported in sorted(graph[module]):
            if imported in path:
                return path[path.index(imported):] + [imported]
            found = circle_from(imported, path + [imported])
            if found:
                return found
        return None

    circles = [circle for module in sorted(graph) if (circle := circle_from(module, [module]))]
    assert not circles, circles[0]


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_no_solution_line_reaches_the_release(folder):
    assignment = assignments.load(folder)
    text = assignment.reference_path.read_text()
    regions = re.findall(r"^[ \t]*# BEGIN SOLUTION\n(.*?)^[ \t]*# END SOLUTION$", text, re.S | re.M)
    assert len(regions) == len(assignment.functions)
    lines = {line.strip() for region in regions for line in region.splitlines()
             if len(line.strip()) > 8 and not line.strip().startswith("#")}
    released = [(path, path.read_text()) for path in sorted(assignment.release.iterdir()) if path.is_file()]
    assert released
    leaks = [f"{line!r} in {path.name}" for path, body in released for line in lines
             if line in {row.strip() for row in body.splitlines()} or (len(line) >= 25 and line in body)]
    assert not leaks and not any("BEGIN SOLUTION" in body for _, body in released), leaks


def test_the_kept_result_key_holds_the_assignments_content(tmp_path):
    from autograder.gradebook import spec_hash

    copy = tmp_path / "norms"
    shutil.copytree(NORMS.folder, copy, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = copy / "assignment.toml"
    manifest.write_text(manifest.read_text().replace('"../../solutions/norms.py"', f'"{NORMS.reference_path}"'))
    before = spec_hash(assignments.load(copy))
    assert before != spec_hash(assignments.load())  # another assignment, another key
    for name in ("questions.py", "template.md", "release/given.py"):
        path = copy / name
        text = path.read_text()
        path.write_text(text + "\n# changed\n")
        assert spec_hash(assignments.load(copy)) != before, name
        path.write_text(text)
    assert spec_hash(assignments.load(copy)) == before
