"""Load a submission's code, without running any of it.

A submission is a notebook (.ipynb) or a Python file (.py), found by
intake.py and read by its safe reader.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.intake import Unreadable, read_submission_file

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
    try:
        data = read_submission_file(path)
    except Unreadable as error:
        submission.load_error = f"the file was not read: {error}"
        return submission
    submission.digest = hashlib.sha256(data).hexdigest()
    if len(data) > MAX_BYTES:
        submission.load_error = f"the file is {len(data) // 1024**2} MB, over the {MAX_BYTES // 1024**2} MB limit"
        return submission
    text = data.decode("utf-8", errors="replace")
    if submission.path.suffix.lower() == ".py":
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
