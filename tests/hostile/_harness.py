"""The hostile-submission corpus (issue 5): read the case files, build the
submissions, run the grader on them, and check what it wrote.

Each case is tests/hostile/<name>.py. Its first lines are a header of
comments, then the code:

    # hostile: what the submission does (one line)
    # expect: softmax = 0                 one line per expectation (see below)
    # message: did not finish within the time limit
    # absent: FAKE-GRADE-MARKER
    # bug: B4
    # include: base
    def softmax_backward(da, cache):
        while True:
            pass

- `# include: base` is replaced by the reference code: every function of the
  reference notebook (the given forward passes and the five graded functions,
  exactly as `release.render(assignment, reference=True)` holds them), after
  `import numpy as np`. A case overrides a function by defining it again
  after the include, or removes one with `del`. `# include: NAME` is replaced
  by the file `_NAME.py` here (`_channel.py`: the worker's protocol socket
  and `_forge(message)`, for the cases that forge frames; `_self_check.py`:
  `_in_self_check()`, for the cases that act otherwise in a public self-check;
  `_hidden_phase.py`: `_graded`, non-empty once a graded call of
  dropout_backward reached the worker, for the cases that act otherwise on
  hidden inputs than in the public re-run;
  `_centred_softmax.py`: `_centred(da, cache)`, the centred differences of the
  given softmax; `_request_stash.py`: `_fill_stash(frame)`, which walks up to
  the worker's request and stashes every case's `_centred`).
- `# expect: QUESTION OP VALUE`: QUESTION is dropout, softmax, cross_entropy,
  batchnorm, net, `all` (every question) or `total`; OP is =, >= or <=; VALUE
  a number or `full` (the question's points). A question no line names must
  get full marks: it is graded normally, whatever the hostile code did.
- `# status: QUESTION = STATUS`: the question's status in the result
  (passed, partial, failed, missing, error, timeout, crashed, ...).
- `# message: TEXT`: TEXT must appear in feedback/<name>.md.
- `# absent: TEXT`: TEXT must appear in no file the grader wrote.
- `# max-seconds: N`: grading the submission takes at most N seconds
  (results/<name>.json execution_time): it cannot stall the grader.
- `# max-bytes: N`: feedback/<name>.md, results/<name>.json and the
  gradebook's stored result are each at most N bytes.
- `# absent-line: TEXT`: no line of feedback/<name>.md starts with TEXT
  (a heading the student's text would add, say).
- `# bug: ID`: the case fails until the grader bug or isolation hole ID
  (listed in tests/hostile/README.md) is fixed; informational only.
- A line `# %%` splits the code into notebook cells: the submission is then
  written as a notebook instead of a .py file (the grader cuts a .py into
  cells at blank lines followed by top-level code).
- @REPO@, @OUT@, @CANARY@ and @SUBMISSIONS@ in the code are replaced by the
  absolute paths of the repository, the grader's --out folder, a folder of
  the test's own that nothing may touch, and the folder of submissions: a
  hostile submission knows exactly where to aim.
"""

import ast
import csv
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder import release
from autograder.assignment import load

BACKPROP = load()  # the default assignment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
QUESTION_NAMES = {
    "dropout": "dropout_backward",
    "softmax": "softmax_backward",
    "cross_entropy": "softmax_cross_entropy",
    "batchnorm": "batchnorm_backward",
    "net": "bn_net_backward",
}
FUNCTIONS = tuple(QUESTION_NAMES.values())
POINTS = {function: BACKPROP.question(function).points for function in FUNCTIONS}
TOTAL = BACKPROP.points
_HEADER = re.compile(r"^#\s*(hostile|expect|status|message|absent|absent-line|max-seconds|max-bytes|bug|include)\s*:\s*(.*?)\s*$")
# A grades.csv cell starting with one of these is neutralised with a leading ' (gradebook.csv_cell).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_EXPECT = re.compile(r"^(\w+)\s*(>=|<=|=)\s*(full|[-+0-9.eE]+)$")


def reference_base():
    """`import numpy as np` and every function cell of the reference notebook."""
    notebook = release.render(BACKPROP, reference=True)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        body = ast.parse(cell.source).body
        if body and all(isinstance(node, ast.FunctionDef) for node in body):
            cells.append(cell.source.strip())
    return "import numpy as np\n\n\n" + "\n\n\n".join(cells) + "\n"


@dataclass
class Expectation:
    target: str  # a function name, or "total"
    op: str
    value: float

    def holds(self, got):
        if self.op == "=":
            return abs(got - self.value) <= 1e-6
        if self.op == ">=":
            return got >= self.value - 1e-6
        return got <= self.value + 1e-6

    def __str__(self):
        name = "total" if self.target == "total" else self.target.replace("_backward", "")
        return f"{name} {self.op} {self.value:g}"


@dataclass
class Case:
    name: str
    path: Path
    description: str = ""
    expectations: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)  # function -> status
    messages: list = field(default_factory=list)
    absent: list = field(default_factory=list)
    absent_lines: list = field(default_factory=list)
    bugs: list = field(default_factory=list)
    max_seconds: float = None
    max_bytes: int = None
    code: str = ""  # with the include expanded, placeholders not yet replaced

    def expected_score(self, function):
        """The expectations on one question: the named ones, else full marks."""
        named = [e for e in self.expectations if e.target == function]
        return named or [Expectation(function, "=", POINTS[function])]

    def expected_text(self):
        parts = [str(e) for e in self.expectations]
        parts += [f"{f.replace('_backward', '')} is {s}" for f, s in self.statuses.items()]
        parts += [f"graded within {self.max_seconds:g} s"] if self.max_seconds is not None else []
        return ", ".join(parts) if parts else "full marks"

    def cells(self, paths):
        code = self.code
        for key, value in paths.items():
            code = code.replace(f"@{key}@", str(value))
        parts = re.split(r"^# %%[^\n]*\n", code, flags=re.M)
        return [part.strip("\n") + "\n" for part in parts if part.strip()]

    def write(self, folder, paths):
        """Write the submission into `folder` (.py, or .ipynb when the code has cells); its path."""
        cells = self.cells(paths)
        if len(cells) == 1:
            target = Path(folder) / f"{self.name}.py"
            target.write_text(cells[0])
        else:
            notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
            for number, cell in enumerate(notebook.cells):
                cell.id = f"cell-{number:02d}"
            target = Path(folder) / f"{self.name}.ipynb"
            target.write_text(nbformat.writes(notebook))
        return target


def _targets(word):
    if word == "all":
        return list(FUNCTIONS)
    if word == "total":
        return ["total"]
    if word in QUESTION_NAMES:
        return [QUESTION_NAMES[word]]
    if word in FUNCTIONS:
        return [word]
    raise ValueError(f"unknown question {word!r}")


def parse_case(path, base=None):
    path = Path(path)
    case = Case(path.stem, path)
    lines = path.read_text().splitlines()
    code = []
    for line in lines:
        match = _HEADER.match(line)
        if not match:
            code.append(line)
            continue
        key, value = match.groups()
        if key == "hostile":
            case.description = value
        elif key == "expect":
            found = _EXPECT.match(value)
            if not found:
                raise ValueError(f"{path.name}: cannot read the expectation {value!r}")
            word, op, number = found.groups()
            for target in _targets(word):
                full = TOTAL if target == "total" else POINTS[target]
                amount = full if number == "full" else float(number)
                case.expectations = [e for e in case.expectations if not (e.target == target and op == "=")]
                case.expectations.append(Expectation(target, op, amount))
        elif key == "status":
            word, _, status = value.partition("=")
            for target in _targets(word.strip()):
                case.statuses[target] = status.strip()
        elif key == "message":
            case.messages.append(value)
        elif key == "absent":
            case.absent.append(value)
        elif key == "absent-line":
            case.absent_lines.append(value)
        elif key == "max-bytes":
            case.max_bytes = int(value)
        elif key == "bug":
            case.bugs.append(value)
        elif key == "max-seconds":
            case.max_seconds = float(value)
        elif key == "include":
            if value == "base":
                code.append(base if base is not None else reference_base())
            elif (HERE / f"_{value}.py").is_file():
                code.append((HERE / f"_{value}.py").read_text())
            else:
                raise ValueError(f"{path.name}: no `# include: {value}` (base, or a file _{value}.py here)")
    case.code = "\n".join(code) + "\n"
    if not case.description:
        raise ValueError(f"{path.name}: no `# hostile:` line")
    return case


def load_corpus(names=None):
    """Every case of tests/hostile/ (or only `names`), sorted by name."""
    base = reference_base()
    paths = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    cases = [parse_case(p, base) for p in paths]
    if names is not None:
        wanted = set(names)
        cases = [c for c in cases if c.name in wanted]
        missing = wanted - {c.name for c in cases}
        if missing:
            raise ValueError(f"no such case: {sorted(missing)}")
    return cases


# --- what the grader wrote ------------------------------------------------------------------


def read_grades(out):
    """grades.csv as {submission: {column: value}}; raises AssertionError on a torn or repeated row."""
    with open(Path(out) / "grades.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header[:6] == ["submission", "assignment", "student_id", "status", "total", "max_total"], header
    grades = {}
    for row in body:
        assert len(row) == len(header), f"torn row in grades.csv: {row}"
        name = row[0]
        if name[:1] == "'" and name[1:].startswith(FORMULA_STARTS):
            name = name[1:]
        else:
            assert not name.startswith(FORMULA_STARTS), f"a spreadsheet would evaluate the cell {name!r}"
        assert name not in grades, f"{name} appears twice in grades.csv"
        grades[name] = {key: (value if key in ("submission", "assignment", "student_id", "status") else float(value))
                        for key, value in zip(header, row)}
    return grades


def latest_results(out):
    """{submission: its latest result (the dict the gradebook stores)}."""
    db = sqlite3.connect(Path(out) / "gradebook.sqlite")
    try:
        rows = db.execute(
            "SELECT submission, result FROM gradings WHERE id IN (SELECT max(id) FROM gradings GROUP BY submission)"
        ).fetchall()
    finally:
        db.close()
    return {name: json.loads(result) for name, result in rows}


def check_case(case, out, grades, results):
    """The list of ways the grader's output for `case` differs from what the case expects."""
    problems = []
    row = grades.get(case.name)
    if row is None:
        return ["no row in grades.csv"]
    for function in FUNCTIONS:
        for expectation in case.expected_score(function):
            if not expectation.holds(row[function]):
                problems.append(f"{function}: expected {expectation.op} {expectation.value:g}, got {row[function]:g}")
    for expectation in case.expectations:
        if expectation.target == "total" and not expectation.holds(row["total"]):
            problems.append(f"total: expected {expectation.op} {expectation.value:g}, got {row['total']:g}")
    result = results.get(case.name)
    if result is None:
        problems.append("no gradings row in the gradebook")
    else:
        statuses = {q["function"]: q["status"] for q in result["questions"]}
        for function, status in case.statuses.items():
            if statuses.get(function) != status:
                problems.append(f"{function}: expected status {status}, got {statuses.get(function)}")
    feedback_path = Path(out) / "feedback" / f"{case.name}.md"
    results_path = Path(out) / "results" / f"{case.name}.json"
    for path in (feedback_path, results_path):
        if not path.exists():
            problems.append(f"{path.relative_to(out)} was not written")
    if feedback_path.exists():
        text = feedback_path.read_text(errors="replace")
        shown = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)  # as Markdown shows it: escapes undone
        for message in case.messages:
            if message not in shown:
                problems.append(f"feedback does not say {message!r}")
        for start in case.absent_lines:
            if any(line.startswith(start) for line in text.splitlines()):
                problems.append(f"a line of the feedback starts with {start!r}")
    if case.max_bytes is not None:
        sizes = {path.name: path.stat().st_size for path in (feedback_path, results_path) if path.exists()}
        if result is not None:
            sizes["the gradebook's result"] = len(json.dumps(result).encode())
        problems += [f"{what} has {size:,} bytes, over {case.max_bytes:,}" for what, size in sizes.items()
                     if size > case.max_bytes]
    if results_path.exists():
        try:
            data = json.loads(results_path.read_text())
            if abs(data["score"] - row["total"]) > 1e-6:
                problems.append(f"results json says {data['score']}, grades.csv {row['total']}")
            if case.max_seconds is not None and data["execution_time"] > case.max_seconds:
                problems.append(f"graded in {data['execution_time']:.1f} s, over {case.max_seconds:g} s")
        except (ValueError, KeyError) as error:
            problems.append(f"results json is not the grader's: {error!r}")
    for text in case.absent:
        for path in sorted(Path(out).rglob("*")):
            if path.is_file() and text.encode() in path.read_bytes():
                problems.append(f"{text!r} appears in {path.relative_to(out)}")
    return problems


def solution_lines(min_length=12):
    """The lines of the reference's solution regions, long enough not to be found by chance."""
    text = (ROOT / "solutions" / "layers.py").read_text()
    lines = set()
    for region in re.findall(r"# BEGIN SOLUTION\n(.*?)# END SOLUTION", text, flags=re.S):
        for line in region.splitlines():
            line = line.strip()
            if len(line) >= min_length and not line.startswith("#"):
                lines.add(line)
    return sorted(lines)


def leaked_lines(out, extra_texts=()):
    """[(file, line)] for every reference solution line found in a file under `out` or in `extra_texts`."""
    lines = solution_lines()
    found = []
    sources = [(str(p.relative_to(out)), p.read_bytes()) for p in sorted(Path(out).rglob("*")) if p.is_file()]
    sources += [(f"output {i}", t.encode() if isinstance(t, str) else t) for i, t in enumerate(extra_texts)]
    for where, data in sources:
        for line in lines:
            if line.encode() in data:
                found.append((where, line))
    return found
