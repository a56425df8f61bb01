"""The student notebook: fresh, with the five question cells and their
self-check cells, and it runs, with otter-grader and without.

The execution tests start a real Jupyter kernel (nbclient) on a copy of the
notebook and of assignment/*.py in a temporary directory, as a student would
run it. The notebook's `grader` is public_checks.Grader: its self-checks say
the same with or without otter-grader (which only makes the export's zip).
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import release
from solutions import layers
from backprop import BACKPROP

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignment"
STUDENT_NOTEBOOK = ASSIGNMENT / "backprop.ipynb"
REFERENCE_NOTEBOOK = ROOT / "examples" / "submissions" / "reference.ipynb"

# PASS lines printed by the self-checks: 2 dropout + 1 softmax + 1 CE + 3 BN + 7 net, and one verdict per question.
SELF_CHECK_LINES = 14 + 5


def test_committed_notebooks_are_fresh():
    stale = [str(Path(p).relative_to(ROOT)) for p in release.stale_files(BACKPROP)]
    assert not stale, f"generated files out of date: {stale}; run `make build` and commit the result"


def _question_cells(notebook):
    return [cell for cell in notebook.cells if release.CELL_TAG in cell.metadata]


def test_student_notebook_has_the_five_question_cells_in_order():
    notebook = nbformat.read(STUDENT_NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    cells = _question_cells(notebook)
    assert [cell.metadata[release.CELL_TAG] for cell in cells] == list(BACKPROP.functions)
    assert list(BACKPROP.functions) == [
        "dropout_backward",
        "softmax_backward",
        "softmax_cross_entropy",
        "batchnorm_backward",
        "bn_net_backward",
    ]
    for cell in cells:
        name = cell.metadata[release.CELL_TAG]
        assert cell.cell_type == "code", name
        assert "YOUR CODE HERE" in cell.source, name
        assert f'raise NotImplementedError("{name}: your code here")' in cell.source, name
        assert f"def {name}(" in cell.source, name
        assert not cell.get("outputs"), name


@pytest.mark.parametrize("name", BACKPROP.functions)
def test_each_stub_raises_not_implemented_error(name):
    """Run the stub cell's function on real inputs: it raises NotImplementedError."""
    notebook = nbformat.read(STUDENT_NOTEBOOK, as_version=4)
    (cell,) = [c for c in _question_cells(notebook) if c.metadata[release.CELL_TAG] == name]
    namespace = {k: v for k, v in vars(layers).items() if k not in BACKPROP.functions}
    exec(cell.source, namespace)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    if name == "dropout_backward":
        args = (x, layers.dropout_forward(x, 0.3, rng=rng)[1])
    elif name == "softmax_backward":
        args = (x, layers.softmax_forward(x)[1])
    elif name == "softmax_cross_entropy":
        args = (x, np.array([0, 2, 1, 1]))
    elif name == "batchnorm_backward":
        args = (x, layers.batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})[1])
    else:
        params = layers.init_bn_net(3, 5, 2, rng)
        args = (rng.standard_normal((4, 2)), layers.bn_net_forward(x, params, rng=rng)[1])
    with pytest.raises(NotImplementedError, match=f"{name}: your code here"):
        namespace[name](*args)


def test_reference_notebook_has_the_solutions_in_the_question_cells():
    notebook = nbformat.read(REFERENCE_NOTEBOOK, as_version=4)
    cells = _question_cells(notebook)
    assert [cell.metadata[release.CELL_TAG] for cell in cells] == list(BACKPROP.functions)
    for cell in cells:
        assert "NotImplementedError" not in cell.source
        assert "BEGIN SOLUTION" not in cell.source and "END SOLUTION" not in cell.source


# --- running the notebooks in a kernel ---------------------------------------------


def _kernel_manager(tmp_path):
    """A kernel manager whose kernel runs this interpreter (the venv's python).

    The "python3" kernelspec normally resolves to sys.executable (jupyter_client
    substitutes it for a bare "python"); a user-level kernelspec pointing
    elsewhere would run the notebook with another interpreter, so fall back
    to a private kernelspec that names sys.executable explicitly.
    """
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager

    km = KernelManager(kernel_name="python3")
    if km.format_kernel_cmd()[0] == sys.executable:
        return km
    spec_dir = tmp_path / "kernels" / "backprop-venv"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (backprop venv)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return KernelManager(kernel_name="backprop-venv", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")]))


def _run(notebook_path, tmp_path, extra_cells=(), name="backprop.ipynb", first_cells=(), export=False):
    """Execute a copy of the notebook, saved as work/`name` beside copies of
    assignment/*.py, as a student would, with `first_cells` run before its
    own and `extra_cells` after. The export cell (which zips the notebook and
    runs the tests again) is left out unless `export`."""
    from nbclient import NotebookClient

    work = tmp_path / "work"
    work.mkdir(parents=True, exist_ok=True)
    for helper in ASSIGNMENT.glob("*.py"):
        shutil.copy(helper, work)
    shutil.copy(notebook_path, work / name)
    notebook = nbformat.read(work / name, as_version=4)
    notebook.cells = [cell for cell in notebook.cells if export or "grader.export(" not in cell.source]
    notebook.cells[:0] = [nbformat.v4.new_code_cell(source) for source in first_cells]
    notebook.cells.extend(nbformat.v4.new_code_cell(source) for source in extra_cells)
    client = NotebookClient(
        notebook,
        km=_kernel_manager(tmp_path),
        timeout=120,
        resources={"metadata": {"path": str(work)}},
    )
    return notebook, client


def _stdout(cell):
    return "".join(o.text for o in cell.get("outputs", []) if o.output_type == "stream" and o.name == "stdout")


def _check_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.startswith("grader.check(")]


def test_a_self_check_cell_follows_each_question_cell():
    notebook = nbformat.read(STUDENT_NOTEBOOK, as_version=4)
    for index, cell in enumerate(notebook.cells):
        name = cell.metadata.get(release.CELL_TAG)
        if name:
            assert notebook.cells[index + 1].source == f'grader.check("{name}")', name
    assert len(_check_cells(notebook)) == len(BACKPROP.functions)


def test_grader_check_prints_the_errors_and_a_verdict_and_returns_nothing(capsys):
    """grader.check finds the functions in the caller's globals and prints,
    with no True/False left for the cell to show; public_checks.check (what
    otter's public test and the grader's --self-checks call) returns the verdict."""
    import public_checks

    notebook_globals = {"grader": public_checks.Grader(), "dropout_forward": layers.dropout_forward,
                        "dropout_backward": layers.dropout_backward}
    exec('shown = grader.check("dropout_backward")', notebook_globals)
    assert notebook_globals["shown"] is None
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "dropout_backward: PASS" and all(line.endswith("PASS") for line in lines), lines
    assert public_checks.check("bn_net_backward", {"bn_net_forward": layers.bn_net_forward}) is False
    assert capsys.readouterr().out == "bn_net_backward: FAIL (no function bn_net_backward yet: run the cells above first)\n"
    assert sorted(public_checks.SELF_CHECKS) == sorted(BACKPROP.functions)


def _assert_runs_and_trains(notebook):
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code)
    assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
    lines = [line for cell in code for line in _stdout(cell).splitlines()]
    # The final training loop prints a decreasing loss.
    losses = [float(line.split("loss")[1]) for line in lines if line.startswith("step")]
    assert len(losses) == 4 and losses[-1] < losses[0]
    return lines


@pytest.mark.slow
def test_reference_notebook_runs_and_every_self_check_passes_without_otter(tmp_path):
    """Away from its own name, the notebook's grader is public_checks: the
    self-checks print PASS lines and each check cell returns True."""
    notebook, client = _run(REFERENCE_NOTEBOOK, tmp_path, extra_cells=["import sys\nprint(sys.prefix)\nprint(type(grader).__module__)"],
                            name="my-copy.ipynb")
    client.execute()

    # The kernel ran the interpreter of this test run (the venv).
    assert _stdout(notebook.cells[-1]).split() == [sys.prefix, "public_checks"]

    _assert_runs_and_trains(notebook)
    lines = [line for cell in _check_cells(notebook) for line in _stdout(cell).splitlines()]
    passed = [line for line in lines if line.endswith("PASS")]
    assert len(passed) == len(lines) == SELF_CHECK_LINES, lines
    for cell in _check_cells(notebook):
        assert not [o for o in cell.outputs if o.output_type == "execute_result"], cell.source
    (check_all,) = [cell for cell in notebook.cells if cell.source == "grader.check_all()"]
    summary = _stdout(check_all)
    assert "self-checks: 5 of 5 PASS" in summary, summary
    assert not [word for word in ("NOT FOUND", "differs", "not in the submission", "skipped") if word in summary], summary


def _check_texts(notebook):
    return [_stdout(cell) for cell in _check_cells(notebook)]


@pytest.mark.slow
def test_stub_notebook_runs_to_the_end_and_says_the_same_with_and_without_otter(tmp_path):
    """Run All on the fresh notebook never stops: each self-check says FAIL
    and why, with no traceback, in the same words whether otter-grader can
    be imported or not."""
    without_otter, client = _run(STUDENT_NOTEBOOK, tmp_path / "without", first_cells=["import sys\nsys.modules['otter'] = None"],
                                 extra_cells=["print('reached the end')"])
    client.execute()
    with_otter, client = _run(STUDENT_NOTEBOOK, tmp_path / "with", extra_cells=["print('reached the end')"])
    client.execute()
    for notebook in (without_otter, with_otter):
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert all(cell.execution_count is not None for cell in code)
        assert not [o for cell in code for o in cell.outputs if o.output_type == "error"]
        assert _stdout(notebook.cells[-1]).strip() == "reached the end"
    texts = _check_texts(without_otter)
    assert texts == _check_texts(with_otter)
    assert texts == [f"{name}: FAIL (not written yet: it still raises NotImplementedError)\n" for name in BACKPROP.functions]


# --- what a student meets: the export, edited given code, outputs, .py files, root causes -----

SALT = "student-side"


def _reference_with(tmp_path, edit, name="edited.ipynb"):
    """The reference notebook with `edit(cells)` applied, written to tmp_path/name."""
    notebook = nbformat.read(REFERENCE_NOTEBOOK, as_version=4)
    edit(notebook.cells)
    path = tmp_path / name
    nbformat.write(notebook, path)
    return path


def _cell_defining(cells, name):
    (cell,) = [cell for cell in cells if cell.cell_type == "code" and f"def {name}(" in cell.source]
    return cell


def _question(result, function):
    (question,) = [q for q in result.questions if q.function == function]
    return question


@pytest.mark.slow
def test_export_zips_the_renamed_copy_it_runs_in_beside_the_release(tmp_path):
    """Jupyter names the notebook it runs (JPY_SESSION_NAME): the export zips
    that one, not the untouched backprop.ipynb beside it."""
    import os
    import zipfile

    from autograder.grade import grade_submission

    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(STUDENT_NOTEBOOK, work / "backprop.ipynb")
    notebook, client = _run(REFERENCE_NOTEBOOK, tmp_path, name="backprop-Copy1.ipynb", export=True)
    client.execute(env={**os.environ, "JPY_SESSION_NAME": str(work / "backprop-Copy1.ipynb")})
    (made,) = work.glob("*.zip")
    assert made.name.startswith("backprop-Copy1_")
    with zipfile.ZipFile(made) as archive:
        archive.extract("backprop-Copy1.ipynb", tmp_path / "unzipped")
    submitted = tmp_path / "unzipped" / "backprop-Copy1.ipynb"
    assert "your code here" not in submitted.read_text()
    assert grade_submission(BACKPROP, "copy", submitted, SALT).score == 100


@pytest.mark.slow
def test_an_edited_given_cell_and_big_outputs(tmp_path):
    """The issue's edit (dropout_forward caching a "mask" that dropout_backward
    reads): the self-check now fails like the grader, both say the given cell
    was edited; 25 MB of image output costs nothing."""
    from autograder.grade import grade_submission

    def edit(cells):
        given = _cell_defining(cells, "dropout_forward")
        given.source = given.source.replace('"keep": keep, "p": p', '"mask": keep, "p": p')
        answer = _cell_defining(cells, "dropout_backward")
        answer.source = answer.source.replace('cache["keep"]', 'cache["mask"]')
        cells.insert(2, nbformat.v4.new_code_cell(
            'from IPython.display import display\ndisplay({"image/png": "iVBORw0KGgo" + "A" * 25_000_000}, raw=True)'))

    notebook, client = _run(_reference_with(tmp_path, edit), tmp_path, name="edited.ipynb")
    client.execute()
    (dropout_check,) = [cell for cell in _check_cells(notebook) if "dropout_backward" in cell.source]
    assert _stdout(dropout_check) == (
        "note: your dropout_forward differs from the given one; this check, like the grader, uses the given one\n"
        "dropout_backward: FAIL (your code raised KeyError: 'mask', in dropout_backward at line 13 of its cell)\n")
    (check_all,) = [cell for cell in notebook.cells if cell.source == "grader.check_all()"]
    summary = _stdout(check_all)
    # The network's self-check runs the student's dropout_backward (the grader lets the reference stand in).
    assert "self-checks: 3 of 5 PASS" in summary and "note:" not in summary  # said once, in the first check
    assert ("- the cell starting `def dropout_forward(x, p, train=True, rng=None):` (defining dropout_forward) differs "
            "from the release's given code: the grader ran the release's version instead") in summary
    assert "of the 20 MB limit (outputs do not count)" in summary

    saved = tmp_path / "saved.ipynb"
    nbformat.write(notebook, saved)  # as the student saves it, outputs and all
    assert saved.stat().st_size > 20 * 1024**2  # over the old limit on the file
    result = grade_submission(BACKPROP, "edited", saved, SALT)
    dropout = _question(result, "dropout_backward")
    assert dropout.score < dropout.max_score  # only the eval-mode cases, which read no mask, pass
    assert result.score == BACKPROP.points - dropout.max_score + dropout.score
    assert any("(defining dropout_forward) differs from the release's given code" in note for note in result.notes)


@pytest.mark.slow
def test_a_missing_module_is_the_first_thing_said(tmp_path):
    from autograder import precheck
    from autograder.grade import grade_submission

    def edit(cells):
        answer = _cell_defining(cells, "dropout_backward")
        answer.source = "import torch\n\n" + answer.source

    path = _reference_with(tmp_path, edit, "torch.ipynb")
    notebook, client = _run(path, tmp_path, name="torch.ipynb")
    client.allow_errors = True  # Jupyter's Run All stops at the error; the test looks at every cell
    client.execute()
    failing = _cell_defining(notebook.cells, "dropout_backward")
    assert [(o.ename, o.evalue) for o in failing.outputs if o.output_type == "error"] == \
        [("ModuleNotFoundError", "No module named 'torch'")]
    (dropout_check,) = [cell for cell in _check_cells(notebook) if "dropout_backward" in cell.source]
    assert _stdout(dropout_check) == "dropout_backward: FAIL (no function dropout_backward yet: run the cells above first)\n"

    dropout = _question(grade_submission(BACKPROP, "torch", path, SALT), "dropout_backward")
    assert dropout.status == "error"
    assert dropout.message == (
        "dropout_backward was never defined: the cell starting `import torch` (defining dropout_backward) failed to load "
        "(line 1): ModuleNotFoundError: No module named 'torch'. Only numpy and Python's standard library are available "
        "when grading. Remove that import.")
    said = []
    assert precheck.check(BACKPROP, path, write=said.append) == 1
    assert "- dropout_backward: NOT FOUND: the cell starting `import torch` (defining dropout_backward) failed to load" in said
    assert said[-1] == "\ntorch.ipynb will not grade as it is: see the functions above."
    assert precheck.check(BACKPROP, REFERENCE_NOTEBOOK, write=said.append) == 0 and "self-checks: 5 of 5 PASS" in said
    # A link named on the command line is followed, as `grade` follows it: check said "a symbolic link (never followed)".
    (tmp_path / "link.ipynb").symlink_to(REFERENCE_NOTEBOOK)
    assert precheck.check(BACKPROP, tmp_path / "link.ipynb", write=said.append) == 0, said[-3:]


def test_check_finds_a_function_bound_otherwise_than_by_a_def(tmp_path):
    """`softmax_backward = lambda ...`, a def under `if`, a def followed by a test call that
    raises: the grader calls them (full marks), and `autograder check` said "NOT FOUND" and
    "will not grade"."""
    from autograder import precheck

    def edit(cells):
        _cell_defining(cells, "softmax_backward").source = (
            "softmax_backward = lambda da, cache: (da - np.sum(da * cache['a'], axis=1, keepdims=True)) * cache['a']\n")
        dropout = _cell_defining(cells, "dropout_backward")
        dropout.source = "if True:\n" + "".join("    " + line for line in dropout.source.splitlines(keepends=True))
        # A test call after the def that raises (inside the function): the def ran, the grader finds it.
        _cell_defining(cells, "batchnorm_backward").source += "\n\nprint(batchnorm_backward(np.ones((2, 3)), {}))\n"

    said = []
    assert precheck.check(BACKPROP, _reference_with(tmp_path, edit), write=said.append) == 0, said
    assert {"- softmax_backward: found", "- dropout_backward: found", "- batchnorm_backward: found"} <= set(said)


@pytest.mark.slow
def test_py_files_with_magics_and_cell_markers(tmp_path):
    """A notebook with a magic and a Colab import, run in a kernel, then
    `nbconvert --to script`: a .py (the release's language_info), graded
    like the notebook; and a hand-written `# %%` file with magics."""
    from autograder.grade import grade_submission

    def edit(cells):
        cells.insert(1, nbformat.v4.new_code_cell("%matplotlib inline"))
        cells.insert(2, nbformat.v4.new_code_cell("from google.colab import drive"))

    notebook, client = _run(_reference_with(tmp_path, edit), tmp_path, name="colab.ipynb")
    client.allow_errors = True
    client.execute()
    executed = tmp_path / "work" / "colab.ipynb"
    nbformat.write(notebook, executed)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "script", str(executed)],
                   check=True, capture_output=True, timeout=120)
    script = executed.with_suffix(".py")
    assert script.is_file() and "get_ipython().run_line_magic('matplotlib', 'inline')" in script.read_text()
    result = grade_submission(BACKPROP, "colab", script, SALT)
    assert result.score == 100
    assert any("skipped \"get_ipython().run_line_magic('matplotlib', 'inline')\"" in note for note in result.notes), result.notes
    assert any("ModuleNotFoundError: No module named 'google'" in note for note in result.notes), result.notes

    code = [cell.source for cell in nbformat.read(REFERENCE_NOTEBOOK, as_version=4).cells if cell.cell_type == "code"]
    handwritten = tmp_path / "handwritten.py"
    handwritten.write_text("# %%\n%pip install torch\n!ls\nfrom google.colab import drive\n"
                           + "".join(f"# %%\n{source}\n" for source in code))
    result = grade_submission(BACKPROP, "handwritten", handwritten, SALT)
    assert result.score == 100
    assert any("skipped '%pip install torch'" in note for note in result.notes)
    assert any("skipped '%pip install torch', '!ls' (IPython magics" in note for note in result.notes), result.notes
