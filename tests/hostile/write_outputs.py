# hostile: at import time and in dropout_backward, tries to write into the output folder, the gradebook, grades.csv, another student's results, the repository, the submissions and the cwd's parents
# message: full marks
# absent: PWNED-BY-A-STUDENT
# include: base

import os
import sqlite3

# The grader's places: a write to any of them is an escape.
_GRADER_PLACES = [
    "@OUT@/grades.csv", "@OUT@/PWNED", "@OUT@/results/control_reference.json",
    "@OUT@/results/write_outputs.json", "@OUT@/feedback/write_outputs.md",
    "@REPO@/PWNED", "@REPO@/solutions/layers.py", "@REPO@/assignments/backprop/questions.py",
    "@CANARY@/PWNED", "@CANARY@/canary.txt", "@SUBMISSIONS@/write_outputs.py", "@SUBMISSIONS@/zzz_planted.py",
]
# Relative to the worker's folder, its home, the root: inside a sandbox these land in its own scratch
# space (harmless); the test checks that none of them reached the host (/PWNED, /tmp/PWNED, ~/PWNED).
_ELSEWHERE = ["../PWNED", "../../PWNED", "../../../PWNED", "/PWNED", "/tmp/PWNED", os.path.expanduser("~/PWNED")]


def _attack():
    """The grader's places that could be written."""
    written = []
    for path in _GRADER_PLACES + _ELSEWHERE:
        try:
            with open(path, "a") as handle:
                handle.write("\nPWNED-BY-A-STUDENT,100,100\n")
            if path in _GRADER_PLACES:
                written.append(path)
        except OSError:
            pass
    try:
        db = sqlite3.connect("@OUT@/gradebook.sqlite")
        db.execute("UPDATE gradings SET score = 100, result = 'PWNED-BY-A-STUDENT'")
        db.commit()
        written.append("gradebook.sqlite")
    except Exception:  # noqa: BLE001  (sqlite3.OperationalError, or no sqlite3 at all)
        pass
    return written


_written_at_import = _attack()
_reference_dropout_backward = dropout_backward


def dropout_backward(dout, cache):
    written = _written_at_import + _attack()
    if written:
        raise RuntimeError(f"wrote outside the sandbox: {written}")
    return _reference_dropout_backward(dout, cache)
