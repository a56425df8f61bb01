"""After a run, results/ and feedback/ hold the files of the gradebook's submissions and
nothing else the grader wrote: a file of the grader's there that is no submission's (written
under a name an older version gave, "feedback/Alice.md" before names with capitals were hashed)
is removed, so that the folder the students' feedback is sent from matches the gradebook.

Only the grader's own files are removed: a regular file (never a link) of the suffix the grader
writes in that folder, whose content is what the grader writes there. Anything else is left as it is.
"""

import json
import os

from autograder.gradebook import files_folder
from autograder.intake import Unreadable, file_stem, read_submission_file

MAX_BYTES = 16 * 1024 ** 2  # a file larger than the grader ever writes there is not the grader's


def _results_json(data):
    try:
        record = json.loads(data)
    except ValueError:
        return False
    return isinstance(record, dict) and {"score", "tests"} <= record.keys()


# The folder, the suffix, and what a file the grader wrote there (in any version) looks like:
# Gradescope's results.json, the Markdown feedback (its last line says how long grading took),
# the feedback page of `autograder report`.
_WRITTEN = (
    ("results", ".json", _results_json),
    ("feedback", ".md", lambda data: data.startswith(b"# ") and b"\n_Graded in " in data),
    ("feedback", ".html", lambda data: data.startswith(b"<!DOCTYPE html>") and b": feedback</title>" in data),
)


def _graders(path, looks_written):
    try:
        return looks_written(read_submission_file(path, MAX_BYTES))  # no link followed, never blocking, bounded
    except Unreadable:
        return False


def remove_stale_files(out_dir, assignment_name, names):
    """Remove the grader's files in the results/ and feedback/ of `assignment_name` under `out_dir`
    that belong to none of `names` (every submission of the gradebook); returns how many."""
    stems = {file_stem(name) for name in names}
    folder = files_folder(out_dir, assignment_name)
    removed = 0
    for subfolder, suffix, looks_written in _WRITTEN:
        try:
            with os.scandir(folder / subfolder) as entries:
                stale = [entry.path for entry in entries if entry.name.endswith(suffix) and entry.name[:-len(suffix)] not in stems
                         and not entry.name.startswith(".") and entry.is_file(follow_symlinks=False)]
        except OSError:
            continue
        for path in stale:
            if _graders(path, looks_written):
                try:
                    os.unlink(path)
                    removed += 1
                except OSError:
                    pass
    return removed
