"""Find submissions on disk and load their code, without running any of it.

A submission is a notebook (.ipynb) or a Python file (.py). A folder given on
the command line holds one submission per notebook or .py file directly in
it (named after the file) and one per sub-folder holding a single notebook or
.py file, or a single notebook beside .py files (named after the sub-folder:
the shape of an LMS export). Hidden files and folders are not submissions.
"""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells

SUFFIXES = (".ipynb", ".py")
# Outputs (images) make a notebook large without adding code: the code
# limit is cells.MAX_CODE_BYTES, checked once the outputs are dropped.
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass
class Submission:
    name: str
    path: Path
    digest: str = ""
    cells: list = field(default_factory=list)  # [(number, source)], as cells.parse gives them
    labels: dict = field(default_factory=dict)  # number -> how the student recognises the cell
    defines: dict = field(default_factory=dict)  # number -> the functions the cell defines
    notes: list = field(default_factory=list)
    edited_given: list = field(default_factory=list)
    code_bytes: int = 0
    not_run: int = 0  # cells left as the release has them that are not run
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


def digest(path):
    """The SHA-256 of a submission's file ("" for what is not a readable file)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def load(name, path, skip=frozenset(), given=()):
    """Read a submission's code cells (autograder/cells.py), leaving out those
    whose source is in `skip` and running the release's `given` cells in
    place of the student's copies. Never raises: a problem becomes load_error."""
    submission = Submission(name, Path(path))
    if submission.path.is_dir():
        files = ", ".join(f.name for f in _visible(submission.path) if f.suffix in SUFFIXES)
        submission.load_error = f"the folder holds several submissions ({files}): it must hold one notebook"
        return submission
    try:
        size = submission.path.stat().st_size
        if size > MAX_FILE_BYTES:
            submission.load_error = f"the file is {size // 1024**2} MB, over the {MAX_FILE_BYTES // 1024**2} MB limit for a file"
            return submission
        data = submission.path.read_bytes()
    except OSError as error:
        submission.load_error = f"could not read the file: {error.strerror}"
        return submission
    submission.digest = hashlib.sha256(data).hexdigest()
    parsed = cells.parse(data, submission.path.suffix, skip, given)
    submission.load_error = parsed.error
    submission.cells, submission.labels, submission.defines = parsed.cells, parsed.labels, parsed.defines
    submission.notes += parsed.notes
    submission.edited_given, submission.code_bytes, submission.not_run = parsed.edited_given, parsed.code_bytes, parsed.not_run
    return submission
