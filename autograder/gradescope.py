"""Gradescope: the autograder zip, and what it runs for each submission.

dist/gradescope/autograder.zip holds Gradescope's two scripts, the salt, and
this package's source:

    setup.sh         run once by Gradescope, as root, when it builds the image:
                     installs bubblewrap and this package (in a virtual
                     environment whose python3 it puts first on PATH)
    run_autograder   run for each submission: `python3 -m autograder.gradescope`,
                     nothing else (it installs nothing)
    salt.txt         the secret mixed into every student's hidden inputs
    assignment.txt   the assignment graded: its folder, inside the package folder
    backprop-lab/    pyproject.toml, autograder/, and the assignment's content
                     (its folder, its reference, its release's *.py and notebook)

`run` grades the one notebook (or .py file) in $AUTOGRADER_ROOT/submission
(Gradescope's /autograder by default) with the native grader, exactly as
`autograder grade` does, each submission in its sandbox, and writes the
Gradescope results.json it produces to $AUTOGRADER_ROOT/results/. The
submission is graded under the name student-<Gradescope user id> (from
submission_metadata.json), so that each student gets inputs of their own and
an instructor can regrade one locally with the same results.
"""

import io
import json
import os
import secrets
import sys
import traceback
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SALT_FILE = "salt.txt"
SALT_VARIABLE = "BACKPROP_SALT"
ASSIGNMENT_FILE = "assignment.txt"
PACKAGE_FOLDER = "backprop-lab"
# What the package folder holds: enough for `pip install -e` and for the
# sandbox, which binds the public modules of the release for the worker.
PACKAGE_FILES = ("pyproject.toml", "README.md")
PACKAGE_TREES = {"autograder": ("*.py", "templates/*.py")}
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same files make the same zip

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# It installs bubblewrap and libseccomp2 (the grader's sandbox) and this package, in a virtual
# environment of Python 3.11 or newer whose python3 it puts first on PATH;
# run_autograder then only grades.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV=/opt/backprop-lab
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bubblewrap libseccomp2 python3 python3-venv python3-pip
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    apt-get install -y -qq python3.11 python3.11-venv  # Ubuntu 22.04's python3 is 3.10
    PYTHON=python3.11
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python3" -m pip install --quiet --upgrade pip
# Editable, so that the grader finds assignment/*.py beside its own folder.
"$VENV/bin/python3" -m pip install --quiet -e "$SOURCE/@PACKAGE@"
printf '#!/bin/sh\\nexec %s/bin/python3 "$@"\\n' "$VENV" > /usr/local/bin/python3
chmod 755 /usr/local/bin/python3
hash -r  # bash found python3 above, before the wrapper existed: look again
# -P: never from the current folder (a folder named autograder there, such as
# Gradescope's /autograder seen from /, would shadow the package).
python3 -P -c 'import autograder.gradescope'
""".replace("@PACKAGE@", PACKAGE_FOLDER)

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. It grades the notebook in
# $AUTOGRADER_ROOT/submission with the native grader (each submission in its
# own sandbox) and writes $AUTOGRADER_ROOT/results/results.json. The root is
# /autograder unless AUTOGRADER_ROOT says otherwise (a test runs this script
# in a temporary folder). setup.sh installed the grader: this script only
# grades, with the python3 on PATH.
export AUTOGRADER_ROOT="${AUTOGRADER_ROOT:-/autograder}"
exec python3 -P -m autograder.gradescope "$AUTOGRADER_ROOT"  # -P: see setup.sh
"""


# --- the zip ---------------------------------------------------------------------------------


def _content_files(assignment):
    """(path inside the package folder, file) for the assignment's content."""
    paths = [*assignment.folder.rglob("*.py"), *assignment.folder.glob("*.toml"), *assignment.folder.glob("*.md"),
             assignment.reference_path, *assignment.reference_path.parent.glob("__init__.py"),
             *assignment.release.glob("*.py"), assignment.student_notebook]
    for path in list(paths):  # the packages the content lies in, for its imports
        for parent in assignment.staged_path(path).parents:
            init = (ROOT if (ROOT / parent).exists() else assignment.folder.parent) / parent / "__init__.py"
            if str(parent) != "." and init.is_file():
                paths.append(init)
    return {(assignment.staged_path(path).as_posix(), path.resolve()) for path in paths
            if "__pycache__" not in path.parts and path.is_file()}


def _package_files(assignment, root=ROOT):
    """(path in the zip, file) for the package's source."""
    files = [(f"{PACKAGE_FOLDER}/{name}", root / name) for name in PACKAGE_FILES]
    for tree, patterns in PACKAGE_TREES.items():
        for pattern in patterns:
            for path in sorted((root / tree).glob(pattern)):
                files.append((f"{PACKAGE_FOLDER}/{path.relative_to(root).as_posix()}", path))
    files += [(f"{PACKAGE_FOLDER}/{name}", path) for name, path in _content_files(assignment)]
    return sorted(set(files))


def _add(archive, name, data, mode=0o644):
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def zip_bytes(assignment, salt, root=ROOT):
    """The autograder zip, as bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH, 0o755)
        _add(archive, "run_autograder", RUN_AUTOGRADER, 0o755)
        _add(archive, SALT_FILE, salt + "\n", 0o600)
        _add(archive, ASSIGNMENT_FILE, assignment.staged_path(assignment.folder).as_posix() + "\n")
        for name, path in _package_files(assignment, root):
            _add(archive, name, path.read_bytes())
    return buffer.getvalue()


def build(assignment, folder, salt=None):
    """Write folder/autograder.zip and folder/salt.txt (the salt it holds: from
    `salt`, else $BACKPROP_SALT, else a new random one); the paths written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    salt = salt or os.environ.get(SALT_VARIABLE) or secrets.token_hex(16)
    salt_path = folder / SALT_FILE
    salt_path.write_text(salt + "\n")
    salt_path.chmod(0o600)
    zip_path = folder / "autograder.zip"
    zip_path.write_bytes(zip_bytes(assignment, salt))
    return [zip_path, salt_path]


# --- grading one submission ------------------------------------------------------------------


def find_submission(folder, assignment):
    """The file to grade in `folder`: its notebook (the release's name if there are
    several), else its Python file; and a note when there was a choice."""
    from autograder.assignment import RELEASE_FILES

    folder = Path(folder)

    def visible(path):
        return not any(part.startswith(".") or part == "__MACOSX" for part in path.relative_to(folder).parts)

    for suffix in (".ipynb", ".py"):
        found = [p for p in sorted(folder.rglob(f"*{suffix}")) if p.is_file() and visible(p)]
        if suffix == ".py":
            found = [p for p in found if p.name not in RELEASE_FILES] or found
        if not found:
            continue
        preferred = [p for p in found if p.name == assignment.notebook] or found
        note = ""
        if len(found) > 1:
            note = f"{len(found)} {suffix} files were submitted; graded {preferred[0].relative_to(folder)}"
        return preferred[0], note
    raise LookupError(f"the submission holds no notebook (.ipynb) or Python file (.py): submit {assignment.notebook}")


def submission_name(metadata_path):
    """student-<id> of the submission's first user (Gradescope's
    submission_metadata.json), else "submission"."""
    try:
        users = json.loads(Path(metadata_path).read_text()).get("users") or []
        user_id = users[0]["id"]
    except (OSError, ValueError, AttributeError, LookupError, TypeError):
        return "submission"
    from autograder.submissions import safe_name

    return safe_name(f"student-{user_id}")


def _salt(root):
    if os.environ.get(SALT_VARIABLE):
        return os.environ[SALT_VARIABLE]
    try:
        return (Path(root) / "source" / SALT_FILE).read_text().strip()
    except OSError:
        return ""


def _failure(message):
    """A result that says why nothing was graded, shown to the student at once."""
    return {"score": 0.0, "output": message, "tests": [], "visibility": "visible", "stdout_visibility": "hidden"}


def _assignment(root):
    """The assignment the zip was built for (assignment.txt), else the default."""
    from autograder import assignment

    try:
        folder = (Path(root) / "source" / ASSIGNMENT_FILE).read_text().strip()
    except OSError:
        return assignment.load()
    return assignment.load(ROOT / folder)


def grade(root):
    """The Gradescope results of the submission under `root`, as a dict: the
    grader called directly, as `autograder grade --self-checks` grades."""
    from autograder import container, feedback, grade as grader, sandbox

    root = Path(root)
    assignment = _assignment(root)
    try:
        submission, note = find_submission(root / "submission", assignment)
    except LookupError as error:
        return _failure(f"Not graded: {error}.")
    notes = [note] if note else []
    level = sandbox.isolation_level()
    if level == "container":
        # The submission, the results, the salt and the grader's source all
        # live below the root: none of it is for the sandbox's user.
        container.protect([root])
    notes.append(f"Isolation level: {level}.")
    name = submission_name(root / "submission_metadata.json")
    graded = []
    grader.grade_all(assignment, [(name, submission)], _salt(root), graded.append, self_checks=True)
    result = feedback.gradescope_results(graded[0])
    if notes:
        result["output"] = "\n\n".join([result.get("output", ""), *notes]).strip()
    # Like each question's test, the score and the headline wait for the
    # grades to be published; the grader's log (it prints every score) never shows.
    result["visibility"] = "after_published"
    result["stdout_visibility"] = "hidden"
    return result


def run(root):
    """Grade the submission under `root` and write root/results/results.json."""
    root = Path(root)
    try:
        result = grade(root)
    except Exception:  # noqa: BLE001  (the student must still get a results.json)
        traceback.print_exc()
        result = _failure("The autograder failed; please tell your instructor.")
    (root / "results").mkdir(parents=True, exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python3 -m autograder.gradescope AUTOGRADER_ROOT", file=sys.stderr)
        return 2
    return run(argv[0])


if __name__ == "__main__":
    raise SystemExit(main())
