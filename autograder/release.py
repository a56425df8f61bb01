"""Build the student release and the example submissions from one source.

The notebook's text is `templates/backprop.md`; its code is the reference
`solutions/layers.py`. In the template, fenced blocks become code cells:

    ```python           the block's code, as it is
    ```given f g        the full source of the reference functions f and g
    ```student f        the reference function f, with the code between
                        "# BEGIN SOLUTION" and "# END SOLUTION" replaced by
                        a stub (in the reference notebook: left as it is)

and the text between them becomes markdown cells. The student notebook is
never edited by hand: `autograder build` rewrites it, and a test fails when
the committed copy is stale.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from solutions import layers

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "templates" / "backprop.md"
SOLUTIONS = Path(layers.__file__)
STUDENT_NOTEBOOK = ROOT / "assignment" / "backprop.ipynb"
# The public gradient-check helpers: the grader's own, copied for students.
GRADCHECK = Path(__file__).resolve().parent / "gradcheck.py"
STUDENT_GRADCHECK = ROOT / "assignment" / "gradcheck.py"
EXAMPLE_ANSWERS = ROOT / "examples" / "answers"
EXAMPLE_SUBMISSIONS = ROOT / "examples" / "submissions"

# The five functions students write, in the notebook's order.
QUESTIONS = ("dropout_backward", "softmax_backward", "softmax_cross_entropy", "batchnorm_backward", "bn_net_backward")
CELL_TAG = "backprop_question"

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


def function_sources(path=SOLUTIONS):
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


def render(answers=None, reference=False):
    """The notebook, with each student cell holding the stub, the reference
    (reference=True), or the code given for it in `answers` (name -> source)."""
    answers = answers or {}
    sources = function_sources()
    cells = []
    for block in parse_template(TEMPLATE.read_text()):
        if block.kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(block.text))
        elif block.kind == "python":
            cells.append(nbformat.v4.new_code_cell(block.text))
        elif block.kind == "given":
            cells.append(nbformat.v4.new_code_cell("\n\n\n".join(sources[n] for n in block.names)))
        else:
            (name,) = block.names
            if name in answers:
                code = answers[name].strip()
            elif reference:
                code = without_markers(sources[name])
            else:
                code = stubbed(name, sources[name])
            cell = nbformat.v4.new_code_cell(code)
            cell.metadata[CELL_TAG] = name
            cells.append(cell)
    for number, cell in enumerate(cells):
        cell.id = f"cell-{number:02d}"  # stable ids keep the output byte-for-byte reproducible
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def serialize(notebook):
    return nbformat.writes(notebook) + "\n"


def example_answers():
    """Each file in examples/answers/ as (submission name, {function: source})."""
    for path in sorted(EXAMPLE_ANSWERS.glob("*.py")):
        sources = function_sources(path)
        unknown = set(sources) - set(QUESTIONS)
        if unknown:
            raise ValueError(f"{path.name} defines {sorted(unknown)}, which are not questions")
        yield path.stem, sources


def release_files():
    """Every generated file, as {path: text}."""
    files = {
        STUDENT_NOTEBOOK: serialize(render()),
        STUDENT_GRADCHECK: GRADCHECK.read_text(),
        EXAMPLE_SUBMISSIONS / "reference.ipynb": serialize(render(reference=True)),
        EXAMPLE_SUBMISSIONS / "stub.ipynb": serialize(render()),
    }
    for name, answers in example_answers():
        files[EXAMPLE_SUBMISSIONS / f"{name}.ipynb"] = serialize(render(answers))
    return files


def build():
    """Write every generated file; return the paths written."""
    files = release_files()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(files)


def stale_files():
    """The generated files whose committed copy differs from a fresh build,
    and example submissions that no answer file generates any more."""
    files = release_files()
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    return stale + [path for path in EXAMPLE_SUBMISSIONS.glob("*.ipynb") if path not in files]
