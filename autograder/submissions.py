"""Load a submission's code, without running any of it.

A submission is a notebook (.ipynb) or a Python file (.py), found by
intake.py and read by its safe reader; cells.py turns its bytes into cells.
"""

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from autograder import cells
from autograder.intake import Unreadable, read_submission_file


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


def load(name, path, skip=frozenset(), given=()):
    """Read a submission's code cells (autograder/cells.py), leaving out those
    whose source is in `skip` and running the release's `given` cells in
    place of the student's copies. Never raises: a problem becomes load_error."""
    submission = Submission(name, Path(path))
    try:
        # Outputs (images) make a notebook large without adding code: the
        # reader's limit is for the whole file, cells.MAX_CODE_BYTES for the code.
        data = read_submission_file(path)
    except Unreadable as error:
        submission.load_error = f"the file was not read: {error}"
        return submission
    submission.digest = hashlib.sha256(data).hexdigest()
    parsed = cells.parse(data, submission.path.suffix.lower(), skip, given)
    submission.load_error = parsed.error
    submission.cells, submission.labels, submission.defines = parsed.cells, parsed.labels, parsed.defines
    submission.notes += parsed.notes
    submission.edited_given, submission.code_bytes, submission.not_run = parsed.edited_given, parsed.code_bytes, parsed.not_run
    return submission
