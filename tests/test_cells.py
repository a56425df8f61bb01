"""How the grader reads a submission's bytes into cells (autograder/cells.py),
and the student-side helpers of public_checks.py: finding the running
notebook, the export's messages, the release's given functions."""

import json
import subprocess
import sys

import nbformat
import pytest

from autograder import cells, release
from solutions import layers
from backprop import BACKPROP

GIVEN = release.given_cells(BACKPROP)


def _notebook(*sources, outputs=()):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    for cell in notebook.cells:
        cell.outputs = list(outputs)
    return nbformat.writes(notebook).encode()


def _given_source(name):
    (source,) = [source for names, source in GIVEN if name in names]
    return source


def test_outputs_do_not_count_against_the_code_limit():
    image = nbformat.v4.new_output("display_data", data={"image/png": "A" * (cells.MAX_CODE_BYTES + 1)})
    parsed = cells.parse(_notebook("x = 1", outputs=[image]), ".ipynb")
    assert not parsed.error and parsed.code_bytes == len("x = 1")
    too_much = cells.parse(_notebook("x = 1\n" + "#" * cells.MAX_CODE_BYTES), ".ipynb")
    assert too_much.error.startswith("the code is 20 MB, over the 20 MB limit for code (outputs do not count)")


def test_py_cells_at_markers_with_magics_and_shell_lines_skipped_with_a_note():
    text = "# %%\n%matplotlib inline\nimport numpy as np\n# %%\n!pip install torch\ndef f():\n    return 1\n# In[3]:\nx = f()\n"
    parsed = cells.parse(text.encode(), ".py")
    assert [source.strip() for _, source in parsed.cells[-3:]] == ["import numpy as np", "def f():\n    return 1", "x = f()"]
    assert "the cell starting `import numpy as np`: skipped '%matplotlib inline' (IPython magics and shell commands are not run)" in parsed.notes
    assert any("skipped '!pip install torch'" in note and "(defining f)" in note for note in parsed.notes)


def test_a_line_that_only_starts_like_a_magic_inside_python_code_is_kept():
    """Inside brackets, a string or after a backslash a line starting with !, % or get_ipython() is Python
    (Jupyter runs it so): such a line was left out as a magic, and the function lost to a SyntaxError
    (magic_like_continuation_lines). A magic at the start of a logical line is still left out, even after
    a magic with an unclosed bracket, and inside a function's body."""
    python = 'def f(a, b):\n    s = """\n%d\n"""\n    t = (a\n         != b)\n    u = 1 \\\n        % 2\n    return s, t, u\n'
    notes = []
    assert cells.strip_magics(python, lambda: "the cell", notes) == python and notes == []
    magics = "%time x = (1,\n!ls\ndef g():\n    %time y = 1\n    return (1,\n!= 2)\n"
    assert cells.magic_lines(magics.splitlines(keepends=True)) == [True, True, False, True, False, False]
    assert cells.magic_lines(["if x:\n", "  y\n", " %bad\n", "!ls\n"]) == [False, False, True, True]  # unreadable: by starts
    text = "import numpy as np\n\n\ndef f(a, b):\n    return (a\n            != b)\n\n\nx = f(1, 2)\n"
    assert cells.script_sources(text) == ["import numpy as np\n\n\n", "def f(a, b):\n    return (a\n            != b)\n\n\n",
                                          "x = f(1, 2)\n"]


def test_py_without_markers_is_cut_at_paragraphs_even_when_it_does_not_parse():
    text = "import torch\n\n\ndef f(x):\n    y = (\n\n        x)\n    return y\n\n@staticmethod\ndef g():\n    pass\n\nbroken(:\n"
    sources = cells.script_sources(text)
    assert [source.split("\n")[0] for source in sources] == ["import torch", "def f(x):", "@staticmethod", "broken(:"]
    nbconverted = "get_ipython().run_line_magic('matplotlib', 'inline')\nimport numpy as np\n\nx = 1\n"
    assert cells.script_sources(nbconverted) == ["get_ipython().run_line_magic('matplotlib', 'inline')\nimport numpy as np\n\n", "x = 1\n"]


def test_a_cell_is_named_by_its_first_line_and_what_it_defines():
    source = "# my helpers\n%time\nimport numpy as np\ndef f():\n    pass\ndef g():\n    pass\n"
    assert cells.label(source, cells.defined_functions(source)) == "the cell starting `import numpy as np` (defining f, g)"
    assert cells.defined_functions("def f(:\n    pass\ndef g():\n") == ("f", "g")  # a syntax error still names them
    text = 'Traceback\n  File "<cell 3>", line 2, in <module>\n  File "<cell 99999999999999>", line 1'
    assert cells.relabel(text, {3: "the cell starting `x`"}) == \
        'Traceback\n  File "<the cell starting `x`>", line 2, in <module>\n  File "<cell 99999999999999>", line 1'


def test_the_release_given_cells_run_in_place_of_the_students_copies():
    edited = _given_source("dropout_forward").replace('"keep": keep, "p": p', '"mask": keep, "p": p')
    redefining = "def softmax_backward(da, cache):\n    return da\n\n\ndef relu_forward(x):\n    return x, x"
    sources = [_given_source("affine_forward"), edited, redefining]  # the other given cells deleted
    parsed = cells.parse(_notebook(*sources), ".ipynb", given=GIVEN)
    run = [source for _, source in parsed.cells]
    assert edited not in run and _given_source("dropout_forward") in run
    assert sorted(run) == sorted([source for _, source in GIVEN] + [redefining, _given_source("relu_forward")])
    assert run.index(redefining) < len(run) - 1 and run[-1] == _given_source("relu_forward")  # defined again after it
    assert parsed.edited_given == ["the cell starting `def dropout_forward(x, p, train=True, rng=None):` (defining dropout_forward)",
                                   "the cell starting `def softmax_backward(da, cache):` (defining softmax_backward, relu_forward)"]
    assert any(note.startswith("the given code of softmax, softmax_forward") for note in parsed.notes), parsed.notes
    untouched = cells.parse(_notebook(*[source for _, source in GIVEN]), ".ipynb", given=GIVEN)
    assert not untouched.notes and not untouched.edited_given


def test_given_py_holds_the_given_functions_of_the_reference():
    import given

    for names, _ in GIVEN:
        for name in names:
            assert getattr(given, name).__code__.co_code == getattr(layers, name).__code__.co_code, name
    assert not hasattr(given, "dropout_backward")


def test_the_self_check_uses_the_given_functions_and_says_an_edited_one_differs(capsys):
    import public_checks

    def dropout_forward(x, p, train=True, rng=None):  # the edit: the cache holds a "mask"
        out, cache = layers.dropout_forward(x, p, train, rng)
        return out, {"mask": cache["keep"], "p": p, "train": train}

    def dropout_backward(dout, cache):
        return dout if not cache["train"] else dout * cache["mask"] / (1 - cache["p"])

    env = {"dropout_forward": dropout_forward, "dropout_backward": dropout_backward}
    assert public_checks.check("dropout_backward", env) is False
    line = dropout_backward.__code__.co_firstlineno + 1
    assert capsys.readouterr().out == (
        "note: your dropout_forward differs from the given one; this check, like the grader, uses the given one\n"
        f"dropout_backward: FAIL (your code raised KeyError: 'mask', in dropout_backward at line {line} of its cell)\n")
    assert env["dropout_forward"] is dropout_forward  # the notebook's own copy is left as it was


def test_the_running_notebook_is_found_or_the_export_says_what_to_do(tmp_path, monkeypatch, capsys):
    import public_checks

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    (tmp_path / "backprop.ipynb").write_text("{}")
    assert public_checks.running_notebook({}) == "backprop.ipynb"  # the only one
    (tmp_path / "my copy.ipynb").write_text("{}")
    assert public_checks.running_notebook({}) is None
    assert public_checks.running_notebook({"__vsc_ipynb_file__": str(tmp_path / "my copy.ipynb")}) == "my copy.ipynb"
    monkeypatch.setenv("JPY_SESSION_NAME", "course/week3/my copy.ipynb")  # relative to Jupyter's root
    assert public_checks.running_notebook({}) == "my copy.ipynb"
    monkeypatch.delenv("JPY_SESSION_NAME")

    public_checks.Grader().export()
    assert capsys.readouterr().out == ('Cannot tell which notebook this is (this folder holds backprop.ipynb, my copy.ipynb): '
                                       'run grader.export("NAME.ipynb") with your notebook\'s file name.\n')
    monkeypatch.setitem(sys.modules, "otter", None)
    public_checks.Grader().export("my copy.ipynb")
    assert capsys.readouterr().out == ("otter-grader is not installed, so there is no zip to make: "
                                       "save my copy.ipynb and submit that file itself.\n")


def test_a_time_cell_magic_runs_its_body_and_a_bash_one_is_skipped():
    """`%%time` above a function: IPython runs the body in the notebook's namespace, so the
    function exists; the grader skipped the whole cell (0 for that question)."""
    notes = []
    timed = cells.strip_magics("%%time\ndef f():\n    return 1\n", lambda: "the cell", notes)
    assert timed.splitlines() == ["", "def f():", "    return 1"]  # line numbers kept
    assert notes == ["the cell: ran the cell without its first line '%%time' (a cell magic)"]
    assert cells.strip_magics("%%bash\nls\n", lambda: "the cell", notes) == ""
    assert cells.strip_magics("%%timeit\nf()\n", lambda: "the cell", notes) == ""  # its body runs in a function of its own


def test_a_byte_order_mark_is_no_part_of_a_notebook_or_a_py_file():
    """Notepad's "UTF-8 with BOM": a .py whose first cell failed to compile (every function then
    lacked np: 45/100), a notebook that was "not a readable notebook" (0/100); and UTF-16."""
    bom = b"\xef\xbb\xbf"
    script = cells.parse(bom + b"import numpy as np\n\n\ndef f():\n    return np.pi\n", ".py")
    assert script.cells[0][1].startswith("import numpy") and not script.error
    notebook = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                           "cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": []}]})
    parsed = cells.parse(bom + notebook.encode(), ".ipynb")
    assert not parsed.error and parsed.cells == [(1, "x = 1")]
    # PowerShell 5's `jupyter nbconvert --to script --stdout > hw.py` writes UTF-16 with its mark.
    assert cells.parse("x = 1\n".encode("utf-16"), ".py").cells == [(1, "x = 1\n")]


def test_a_release_cell_left_as_it_is_is_not_run_however_a_py_export_spaces_it():
    skip = release.cells_not_run_when_grading(BACKPROP)
    check = 'grader.check("dropout_backward")'
    assert check in skip
    exported = f"# In[3]:\n\n\n{check}\n\n\n# ## 2. Softmax (20 points)\n# \n# Softmax turns...\n\n"
    parsed = cells.parse(exported.encode(), ".py", skip)
    assert parsed.not_run == 1 and parsed.cells == []
    # Changed code is run: only blank lines, comment lines and trailing spaces are ignored.
    assert cells.parse(f"{check}  # it passes".encode(), ".py", skip).not_run == 0


def test_the_release_notebook_converts_to_a_py_script():
    metadata = json.loads(BACKPROP.student_notebook.read_text())["metadata"]["language_info"]
    assert metadata["file_extension"] == ".py" and metadata["name"] == "python"


@pytest.mark.parametrize("argv, code", [(["--version"], 0), (["check", "/nonexistent.ipynb"], 2)])
def test_version_and_check_of_a_missing_file(argv, code):
    run = subprocess.run([sys.executable, "-m", "autograder", *argv], capture_output=True, text=True, timeout=60)
    assert run.returncode == code, run.stderr
    if argv == ["--version"]:
        assert run.stdout.strip() == "autograder 0.1.0"


def test_given_code_left_as_it_is_is_never_called_edited():
    """Compared function by function: a .py holding one given function per
    paragraph, one merged cell, or a given cell with a comment added is no edit."""
    import submission_factory as sf

    module = sf.reference_module_source()
    for parsed in (cells.parse(module.encode(), ".py", given=GIVEN), cells.parse(_notebook(module), ".ipynb", given=GIVEN)):
        assert not parsed.notes and not parsed.edited_given, parsed.notes
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"# my notes\n{source}", metadata={cells.GIVEN_TAG: list(names)})
                                               for names, source in GIVEN])
    parsed = cells.parse(nbformat.writes(notebook).encode(), ".ipynb", given=GIVEN)
    assert not parsed.notes and not parsed.edited_given, parsed.notes


def test_a_huge_py_file_is_cut_without_parsing_it_in_the_grader():
    """Past AST_LIMIT the grader goes by blank lines and `def` lines: the
    file is not parsed in its own process, and at most MAX_CELLS cells run."""
    text = "x = 1\n\n" * (cells.AST_LIMIT // 3) + "def dropout_backward(dout, cache):\n    return dout\n"
    parsed = cells.parse(text.encode(), ".py")
    assert len(parsed.cells) == cells.MAX_CELLS
    assert parsed.defines[cells.MAX_CELLS] == ("dropout_backward",)
    assert parsed.notes == [f"from its {cells.MAX_CELLS}th cell on, the code runs as one cell"]


def test_otters_hidden_tests_run_the_release_given_functions_too():
    from autograder import checks, otter
    from assignments.backprop.questions import QUESTIONS

    def edited_affine_backward(dout, cache):
        return 0 * dout, 0, 0

    env = {name: value for name, value in vars(layers).items() if callable(value)}
    env["affine_backward"] = edited_affine_backward
    (question,) = [q for q in QUESTIONS if q.function == "bn_net_backward"]
    result = checks.check_question(otter.InProcessSession(env, BACKPROP), question, "salt", otter.SUBMISSION)
    assert result.score == result.max_score
    assert env["affine_backward"] is edited_affine_backward  # the notebook's copy is left as it was


def test_lone_surrogates_of_a_notebooks_json_become_replacement_characters():
    """JSON's "\\ud800" is a valid escape that no UTF-8 file, database or frame can hold: a failing
    cell's first line carrying one made the grading process fail when it wrote the feedback (a
    correct notebook got 0/100, "the grader failed")."""
    data = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1/0  # \ud800 and \udfff\n"}]}).encode()
    parsed = cells.parse(data, ".ipynb")
    assert not parsed.error
    (number, source), = parsed.cells
    assert source == "x = 1/0  # \ufffd and \ufffd\n"
    assert "\ufffd" in parsed.labels[number]
    parsed.labels[number].encode("utf-8")


@pytest.mark.parametrize("tag", [[{}], [["dropout_forward"]], {"a": 1}, "dropout_forward", [1, None], None])
def test_a_given_tag_that_is_not_a_list_of_names_is_ignored(tag):
    """The tag is the student's JSON: ["affine_forward", {}] raised TypeError (unhashable) out of
    the parse, and with --jobs 1 the whole grade command died (no grades.csv)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    notebook.cells[0].metadata[cells.GIVEN_TAG] = tag
    parsed = cells.parse(nbformat.writes(notebook).encode(), ".ipynb", given=GIVEN)
    assert not parsed.error and "x = 1" in [source for _, source in parsed.cells]


def _light_script(notebook):
    """The notebook as jupytext's "light" .py writes it: markdown as comments, a code cell with
    metadata or blank lines between `# + key=value` and `# -`, the others as bare paragraphs."""
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append("\n".join(f"# {line}".rstrip() for line in cell.source.splitlines()))
        elif cell.cell_type == "code":
            given = cell.metadata.get(cells.GIVEN_TAG)
            if given or "\n\n" in cell.source:
                options = f" {cells.GIVEN_TAG}={json.dumps(given)}" if given else ""
                parts.append(f"# +{options}\n{cell.source}\n# -")
            else:
                parts.append(cell.source)
    return "\n\n".join(parts) + "\n"


def _reading(data, suffix):
    parsed = cells.parse(data, suffix, release.cells_not_run_when_grading(BACKPROP), GIVEN)
    return parsed.notes, parsed.edited_given, parsed.not_run


def test_a_jupytext_light_py_and_a_windows_py_read_as_their_notebook():
    """A jupytext "light" .py put `# + autograder_given=[...]` right above each given cell: the
    function joined the paragraph before it (the imports and `grader = ...`, then the self-checks),
    those were replaced by the release's, and a correct notebook got 65/100. A .py saved with
    Windows line ends (\\r\\n) had every given cell "differ from the release's given code"."""
    import submission_factory as sf

    notebook = sf.notebook()
    as_notebook = _reading(nbformat.writes(notebook).encode(), ".ipynb")
    assert as_notebook[:2] == ([], []) and as_notebook[2] > 0
    light = _light_script(notebook)
    assert "# + autograder_given=" in light
    assert _reading(light.encode(), ".py") == as_notebook
    exported = "".join(f"# %%\n{cell.source}\n\n" for cell in notebook.cells if cell.cell_type == "code")
    assert _reading(exported.replace("\n", "\r\n").encode(), ".py") == as_notebook
    for cell in notebook.cells:  # a notebook whose source lines end in \r\n
        cell.source = cell.source.replace("\n", "\r\n")
    assert _reading(nbformat.writes(notebook).encode(), ".ipynb") == as_notebook


def test_a_comment_above_a_statement_starts_its_cell_but_never_reaches_into_a_string():
    text = 'x = 1\n\n# about f\ndef f():\n    return 1\n\ns = """\n\n# inside\n"""\ndef g():\n    pass\n'
    assert cells.script_sources(text) == ["x = 1\n\n", "# about f\ndef f():\n    return 1\n\n",
                                          's = """\n\n# inside\n"""\ndef g():\n    pass\n']


_NOTEBOOK_TEXT = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                             "cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": []}]})


@pytest.mark.parametrize("data, reason", [
    (b"", "the file is empty (0 bytes)"),
    (b" \r\n\t", "the file holds only blank space, no notebook"),
    (b"PK\x03\x04\x14\x00\x00\x00", "the file is a zip archive named .ipynb, not a notebook"),
    (b"# %%\nimport numpy as np\n", "the file is not a notebook: a notebook's JSON starts with `{`"),
    (_NOTEBOOK_TEXT.encode() + b"\n\x00garbage{}", "the notebook's JSON ends at line 2, column 1 and more follows it"),
    (_NOTEBOOK_TEXT.encode()[:-20], "the file ends in the middle of the notebook's JSON: it was cut short"),
    (_NOTEBOOK_TEXT.replace('"metadata": {}', '"metadata": {,}', 1).encode(),
     "the notebook's JSON is broken at line 1, column 51 (Expecting property name enclosed in double quotes)"),
    (b"[" * 100_000 + b"]" * 100_000, "the notebook's JSON is nested too deeply to read"),
    (b"[1, 2]", "the file's JSON is a list, not a notebook"),
    (_NOTEBOOK_TEXT.replace('"nbformat": 4', '"nbformat": "4"').encode(), "its `nbformat` is '4', not a version Jupyter reads"),
])
def test_a_file_that_is_no_notebook_says_what_it_is_instead(data, reason):
    """Each was "not a readable notebook (JSONDecodeError); was the file saved from Jupyter?"."""
    assert cells.parse(data, ".ipynb").error.startswith(reason)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32", "utf-32-le"])
def test_a_notebook_in_any_of_jsons_encodings_is_read(encoding):
    """UTF-16 without a byte-order mark and UTF-32 were "not a readable notebook"."""
    assert cells.parse(_NOTEBOOK_TEXT.encode(encoding), ".ipynb").cells == [(1, "x = 1")]


def test_the_json_values_of_a_notebook_are_bounded_before_it_is_parsed():
    """Outputs do not count against the code limit, but each JSON value is an object in the grader's
    memory: 256 MB of `{},` outputs made about 7 GB. Strings' characters (an image, a printed
    array's commas) are not values."""
    outputs = [{"output_type": "stream", "name": "stdout", "text": "0.1, 0.2: [3] {4}\n" * 1000}] * 2000
    heavy = json.loads(_NOTEBOOK_TEXT)
    heavy["cells"][0]["outputs"] = outputs
    assert cells.parse(json.dumps(heavy).encode(), ".ipynb").cells == [(1, "x = 1")]
    heavy["cells"][0]["outputs"] = [{}] * (cells.MAX_JSON_VALUES + 1)
    assert cells.parse(json.dumps(heavy).encode(), ".ipynb").error.startswith(
        f"the notebook's JSON holds over {cells.MAX_JSON_VALUES:,} values (its outputs included)")


def test_a_py_files_coding_cookie_is_read_as_python_reads_it():
    """`# -*- coding: latin-1 -*-` was ignored: René's name and strings became U+FFFD."""
    text = '# -*- coding: latin-1 -*-\n# Auteur: Ren\u00e9\nname = "Ren\u00e9"\n'
    assert cells.parse(text.encode("latin-1"), ".py").cells == [(1, text)]
    assert cells.parse(b"# coding: no-such-codec\nx = 1\n", ".py").cells == [(1, "# coding: no-such-codec\nx = 1\n")]
