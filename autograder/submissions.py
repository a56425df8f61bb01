"""Find submissions on disk and load their code, without running any of it.

A submission is a notebook (.ipynb) or a Python file (.py). A folder given on
the command line holds one submission per notebook or .py file directly in
it (named after the file) and one per sub-folder holding a single notebook or
.py file, or a single notebook beside .py files (named after the sub-folder:
the shape of an LMS export). Hidden files and folders are not submissions.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

SUFFIXES = (".ipynb", ".py")
MAX_BYTES = 20 * 1024 * 1024


@dataclass
class Submission:
    name: str
    path: Path
    digest: str = ""
    cells: list = field(default_factory=list)  # [(code cell number, source)]
    notes: list = field(default_factory=list)
    load_error: str = ""


def safe_name(text):
    """A name usable as a file name: letters, digits, dot, dash and underscore."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "submission"


def _visible(folder):
    """A folder's entries without hidden ones (.ipynb_checkpoints, macOS's ._ files) and __MACOSX."""
    return [entry for entry in sorted(folder.iterdir()) if not entry.name.startswith(".") and entry.name != "__MACOSX"]


def discover(paths):
    """[(name, path string)] for every submission under `paths`; raises ValueError for a path that holds none."""
    found = []
    for given in map(Path, paths):
        if given.is_file():
            if given.suffix not in SUFFIXES:
                raise ValueError(f"{given} is not a notebook (.ipynb) or a Python file (.py)")
            found.append((given.stem, given))
        elif given.is_dir():
            inside = []
            for entry in _visible(given):
                if entry.is_file() and entry.suffix in SUFFIXES:
                    inside.append((entry.stem, entry))
                elif entry.is_dir():
                    files = [f for f in _visible(entry) if f.is_file() and f.suffix in SUFFIXES]
                    notebooks = [f for f in files if f.suffix == ".ipynb"]
                    chosen = files if len(files) == 1 else notebooks if len(notebooks) == 1 else []
                    if chosen:
                        inside.append((entry.name, chosen[0]))
                    elif files:
                        # Graded all the same, so that the student gets a row and a reason.
                        inside.append((entry.name, entry))
            if not inside:
                raise ValueError(f"{given} holds no .ipynb or .py submission")
            found += inside
        else:
            raise ValueError(f"{given} does not exist")
    named, seen = [], {}
    for name, path in found:
        name = safe_name(name)
        seen[name] = seen.get(name, 0) + 1
        # Paths as strings: a class of thousands is held for the whole run.
        named.append((name if seen[name] == 1 else f"{name}-{seen[name]}", str(path)))
    return named


def _strip_magics(source, number, notes):
    """The cell without IPython magics and shell escapes, which plain Python cannot run."""
    if source.lstrip().startswith("%%"):
        notes.append(f"code cell {number}: skipped the whole cell (a cell magic, {source.strip().splitlines()[0][:60]!r})")
        return ""
    kept = []
    for line in source.splitlines():
        if line.lstrip().startswith(("%", "!")):
            notes.append(f"code cell {number}: skipped {line.strip()[:60]!r} (IPython magics and shell commands are not run)")
            kept.append("")  # keep line numbers of the cell's tracebacks right
        else:
            kept.append(line)
    return "\n".join(kept)


def digest(path):
    """The SHA-256 of a submission's file ("" for what is not a readable file)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _code_cells(text):
    """The code cells' sources of a notebook's JSON text (nbformat for anything but plain version 4)."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("nbformat") != 4 or not isinstance(data.get("cells"), list):
        data = nbformat.reads(text, as_version=4)
    sources = []
    for cell in data["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(map(str, source)) if isinstance(source, list) else str(source))
    return sources


def load(name, path, skip=frozenset()):
    """Read a submission's code cells, leaving out those whose source is in
    `skip`. Never raises: a problem becomes load_error."""
    submission = Submission(name, Path(path))
    if submission.path.is_dir():
        files = ", ".join(f.name for f in _visible(submission.path) if f.suffix in SUFFIXES)
        submission.load_error = f"the folder holds several submissions ({files}): it must hold one notebook"
        return submission
    try:
        data = submission.path.read_bytes()
    except OSError as error:
        submission.load_error = f"could not read the file: {error.strerror}"
        return submission
    submission.digest = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_BYTES:
        submission.load_error = f"the file is {len(data) // 1024**2} MB, over the {MAX_BYTES // 1024**2} MB limit"
        return submission
    text = data.decode("utf-8", errors="replace")
    if submission.path.suffix == ".py":
        submission.cells = [(1, text)]
        return submission
    try:
        sources = _code_cells(text)
    except Exception as error:  # noqa: BLE001  (json and nbformat raise many kinds for a broken file)
        submission.load_error = f"not a readable notebook ({type(error).__name__}); was the file saved from Jupyter?"
        return submission
    for number, source in enumerate(sources, 1):
        if source in skip:
            continue
        source = _strip_magics(source, number, submission.notes)
        if source.strip():
            submission.cells.append((number, source))
    return submission
