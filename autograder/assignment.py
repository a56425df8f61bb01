"""An assignment as a value: a folder whose manifest, assignment.toml, names
its content. The engine (every other module of autograder/) knows an
assignment only through the `Assignment` loaded here and passed to it.

    name = "NAME"              the assignment's name: records and exports are keyed by it
    title = "TITLE"            shown in the notebook, the feedback and the report
    specs = "questions.py"     QUESTIONS (autograder/specs.py's vocabulary), FORWARD_PASSES,
                               ROW_SHIFT_INVARIANT, ERROR_HINTS
    reference = "PATH.py"      the reference: its solution regions become the student's stubs
    template = "template.md"   the notebook's text (release.py's fences)
    self_checks = "PATH.py"    the public self-checks: check_FUNCTION(...) for each question
    release = "PATH"           the folder of the student release
    notebook = "NAME.ipynb"    the student notebook's file name
    examples = "PATH"          optional: answers/*.py, built into submissions/*.ipynb
    notes = "notes.md"         optional: the mathematics the assignment teaches

Paths are relative to the folder. The default assignment is the one
pyproject.toml names (`[tool.autograder] default-assignment`).
"""

import functools
import hashlib
import importlib
import importlib.util
import inspect
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder import gradcheck, specs

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "assignment.toml"
REQUIRED = ("name", "title", "specs", "reference", "template", "self_checks", "release", "notebook")


# Every file of a release beside its notebook: the engine's (gradcheck.py, grading_cells.py, public_checks.py)
# and the assignment's (given.py, its given functions; self_checks.py, its self-checks).
RELEASE_FILES = ("gradcheck.py", "grading_cells.py", "given.py", "self_checks.py", "public_checks.py")


class AssignmentError(ValueError):
    """A folder that is not a valid assignment, with what is wrong."""


@functools.cache  # read once a run: the grader asks for it for every submission it records
def default_folder():
    """The assignment graded when none is named: pyproject.toml's default-assignment."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return ROOT / config["tool"]["autograder"]["default-assignment"]


def import_file(path):
    """The module of the Python file `path`: imported by its dotted name when
    it lies in a package on sys.path (so that it is the same module object as
    `import` gives), else loaded from its location under a name of its own."""
    path = Path(path).resolve()
    for entry in map(Path, sys.path):
        try:
            relative = path.relative_to(entry.resolve())
        except (ValueError, OSError):
            continue
        parts = relative.with_suffix("").parts
        if all((entry.joinpath(*parts[:n]) / "__init__.py").is_file() for n in range(1, len(parts))):
            return importlib.import_module(".".join(parts))
    name = f"_assignment_{hashlib.sha256(str(path).encode()).hexdigest()[:12]}_{path.stem}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return sys.modules[name]


@dataclass(frozen=True)
class Assignment:
    folder: Path
    name: str
    title: str
    specs_path: Path
    reference_path: Path
    template: Path
    self_checks_path: Path
    release: Path
    notebook: str
    examples: Path | None
    notes: Path | None

    # Cached: the grader asks for them for every case, and finding a module by its path costs a file system walk.
    @functools.cached_property
    def specs(self):
        return import_file(self.specs_path)

    @functools.cached_property
    def reference(self):
        return import_file(self.reference_path)

    @functools.cached_property
    def questions(self):
        return tuple(self.specs.QUESTIONS)

    @functools.cached_property
    def functions(self):
        """The functions students write, in the notebook's order."""
        return tuple(question.function for question in self.questions)

    @property
    def points(self):
        return sum(question.points for question in self.questions)

    def question(self, function):
        return next(question for question in self.questions if question.function == function)

    @property
    def error_hints(self):
        """{text in an exception's message: what to fix}, the assignment's own."""
        return dict(getattr(self.specs, "ERROR_HINTS", {}))

    @property
    def student_notebook(self):
        return self.release / self.notebook

    @property
    def content_files(self):
        """The files of the assignment's content the grading depends on (for the kept-result key): the
        release's notebook among them, whose given cells the grader runs in place of a submission's."""
        files = {self.folder / MANIFEST, self.specs_path, self.reference_path, self.self_checks_path, self.template,
                 *self.folder.glob("*.py"), *self.release.glob("*.py")}
        if self.student_notebook.is_file():  # not yet, before the first build
            files.add(self.student_notebook)
        return sorted(files)

    def staged_path(self, path):
        """Where `path` (a file or folder of the content) lies in a distribution (otter's
        autograder folder, Gradescope's zip): as in the repository, or, for an
        assignment outside it, as under the assignment folder's parent."""
        path = Path(path).resolve()
        for base in (ROOT, self.folder.parent):
            if path.is_relative_to(base):
                return path.relative_to(base)
        raise AssignmentError(f"{path} lies outside {self.folder.parent}: a distribution cannot hold it")

    @functools.cached_property
    def watched_sources(self):
        """(name, source) of each function a backward pass must not call more than
        allowed, for the worker to recognise by its code however it is reached:
        the given forward passes (specs.FORWARD_PASSES) and the numerical-gradient helpers."""
        sources = []
        named = [(name, self.reference) for name in getattr(self.specs, "FORWARD_PASSES", ())]
        for name, module in named + [(name, gradcheck) for name in specs.NUMERICAL_HELPERS]:
            source = inspect.getsource(getattr(module, name))
            if "BEGIN SOLUTION" in source:
                raise AssignmentError(f"{name} holds a solution region: it cannot be sent to the worker")
            sources.append((name, source))
        return tuple(sources)

    @functools.cached_property
    def row_shift_invariant(self):
        """The watched forward passes that a constant subtracted from each row of
        an input does not change (its specs' ROW_SHIFT_INVARIANT): called so at
        the case's own numbers, they are at its own point (harness.at_own_point)."""
        names = tuple(str(name) for name in getattr(self.specs, "ROW_SHIFT_INVARIANT", ()))
        unknown = set(names) - set(getattr(self.specs, "FORWARD_PASSES", ()))
        if unknown:
            raise AssignmentError(f"ROW_SHIFT_INVARIANT names functions that are not FORWARD_PASSES: {sorted(unknown)}")
        return names


@functools.lru_cache(maxsize=None)
def _load(folder):
    manifest_path = folder / MANIFEST
    try:
        manifest = tomllib.loads(manifest_path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise AssignmentError(f"{folder} is not an assignment: cannot read {MANIFEST} ({error})") from None
    missing = [key for key in REQUIRED if not isinstance(manifest.get(key), str)]
    if missing:
        raise AssignmentError(f"{manifest_path} does not name {', '.join(missing)}")

    def path(key, required=True):
        if key not in manifest and not required:
            return None
        return (folder / manifest[key]).resolve()

    found = Assignment(
        folder=folder, name=manifest["name"], title=manifest["title"], specs_path=path("specs"),
        reference_path=path("reference"), template=path("template"), self_checks_path=path("self_checks"),
        release=path("release"), notebook=manifest["notebook"], examples=path("examples", False),
        notes=path("notes", False),
    )
    absent = [p for p in (found.specs_path, found.reference_path, found.template, found.self_checks_path) if not p.is_file()]
    if absent:
        raise AssignmentError(f"{manifest_path} names files that do not exist: {', '.join(map(str, absent))}")
    return found


def load(folder=None):
    """The assignment in `folder` (default: the default assignment); raises AssignmentError."""
    return _load(Path(folder or default_folder()).resolve())
