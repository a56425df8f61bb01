"""Record results: the gradebook (SQLite), each submission's results.json and
feedback, and grades.csv.

Every grading run of every submission is kept in the gradebook, one
transaction each, so that a run killed half-way loses nothing it finished,
and regrades can be compared. Files are written to a temporary name and
renamed, so that none is ever half-written.
"""

import hashlib
import json
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from autograder import assignment as assignments
from autograder import atomic, feedback, roster
from autograder.intake import file_stem
from autograder.results import ScoreRow, SubmissionResult
from autograder.sandbox import isolation_level
from autograder.tables import write_csv_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS gradings (
    id INTEGER PRIMARY KEY,
    submission TEXT NOT NULL,
    digest TEXT NOT NULL,
    salt_hash TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    isolation TEXT NOT NULL,
    seconds REAL NOT NULL,
    result TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'graded',
    assignment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS gradings_by_submission ON gradings (submission, id);
CREATE TABLE IF NOT EXISTS identities (
    submission TEXT PRIMARY KEY,
    student_id TEXT NOT NULL,
    email TEXT NOT NULL,
    login TEXT NOT NULL,
    origin TEXT NOT NULL,
    file_stem TEXT NOT NULL,
    partners TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assignments (
    name TEXT PRIMARY KEY,
    functions TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS roster (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    login TEXT NOT NULL,
    extra TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checks (
    grading_id INTEGER NOT NULL REFERENCES gradings (id),
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    "case" TEXT NOT NULL,
    output TEXT NOT NULL,
    passed INTEGER NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    error_vs_reference REAL,
    error_vs_numeric REAL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checks_by_grading ON checks (grading_id);
"""

def spec_hash(assignment, settings=""):
    """A fingerprint of how a result was graded: the grader's own code (every
    module of autograder/: the sandbox, the worker, the wire format, the
    checks...), the assignment's content (its manifest, the hidden tests, the
    reference, the release's helpers the worker loads), the Python and numpy
    running them, and the `settings` of the run that change a result (its
    time limits, whether self-checks ran). A change to any means regrading."""
    digest = hashlib.sha256(f"{sys.version}\x00{np.__version__}\x00{settings}".encode())
    here = Path(__file__).resolve().parent
    for path in sorted(here.rglob("*.py")):
        digest.update(str(path.relative_to(here)).encode() + b"\x00" + path.read_bytes())
    for path in assignment.content_files:
        digest.update(path.name.encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()[:16]


def salt_hash(salt):
    """The salt is a secret: only its hash is stored."""
    return hashlib.sha256(salt.encode()).hexdigest()[:16]


def files_folder(out_dir, assignment_name):
    """Where the results/, feedback/ and report of an assignment graded into
    `out_dir` go: `out_dir` itself for the default assignment, else out_dir/NAME/,
    so that two assignments graded into one folder never mix."""
    default = assignments.load().name
    return Path(out_dir) if assignment_name in ("", default) else Path(out_dir) / file_stem(assignment_name)


def result_files(out_dir, name, assignment_name=""):
    out, stem = files_folder(out_dir, assignment_name), file_stem(name)
    return out / "results" / f"{stem}.json", out / "feedback" / f"{stem}.md"


def write_result_files(out_dir, result, previous_score=None):
    """A submission's results.json and feedback. The grading processes write
    these themselves, in parallel; the gradebook is the record. (The HTML
    pages of the feedback are made by `autograder report`.)"""
    results_json, feedback_md = result_files(out_dir, result.submission, result.assignment)
    atomic.write_text(results_json, json.dumps(feedback.gradescope_results(result), indent=2))
    atomic.write_text(feedback_md, feedback.markdown(result, previous_score))


class Gradebook:
    def __init__(self, out_dir, salt, assignment, settings=""):
        """`settings`: how this run grades, as far as it changes a result (see spec_hash)."""
        self.assignment = assignment
        self.out = Path(out_dir)
        files = files_folder(self.out, assignment.name)
        for folder in (self.out, files, files / "results", files / "feedback"):
            folder.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.out / "gradebook.sqlite", timeout=30)
        # Write-ahead logging: a transaction is safe from a killed process
        # without an fsync each, which a class of 1,000 would wait for.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        if "status" not in [column[1] for column in self.db.execute("PRAGMA table_info(gradings)")]:
            self.db.execute("ALTER TABLE gradings ADD COLUMN status TEXT NOT NULL DEFAULT 'graded'")  # a gradebook of before
        if "assignment" not in [column[1] for column in self.db.execute("PRAGMA table_info(gradings)")]:
            self.db.execute("ALTER TABLE gradings ADD COLUMN assignment TEXT NOT NULL DEFAULT ''")  # a gradebook of before
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO assignments VALUES (?, ?, ?)",
                            (assignment.name, json.dumps(assignment.functions), assignment.title))
        self.salt_hash = salt_hash(salt)
        self.spec_hash = spec_hash(assignment, settings)

    def unchanged(self, name, digest):
        """The latest result for `name` if it was graded from the same file and
        salt, by the same grader code, at the isolation level in force now (a
        result graded where the code could read the reference is not kept at a stronger level)."""
        row = self.db.execute(
            "SELECT digest, salt_hash, spec_hash, isolation, result FROM gradings WHERE submission = ? AND assignment = ?"
            " ORDER BY id DESC LIMIT 1",
            (name, self.assignment.name),
        ).fetchone()
        if row and row[:4] == (digest, self.salt_hash, self.spec_hash, isolation_level()):
            result = SubmissionResult.from_dict(json.loads(row[4]))
            if not result.grader_failed:
                return result
        return None

    def latest_score(self, name):
        """The score of the latest grading of `name`, or None: to tell a student what a regrade changed."""
        row = self.db.execute("SELECT score FROM gradings WHERE submission = ? AND assignment = ? ORDER BY id DESC LIMIT 1",
                              (name, self.assignment.name)).fetchone()
        return row[0] if row else None

    def score_before_latest(self, name):
        rows = self.db.execute("SELECT score FROM gradings WHERE submission = ? AND assignment = ? ORDER BY id DESC LIMIT 2",
                               (name, self.assignment.name)).fetchall()
        return rows[1][0] if len(rows) == 2 else None

    def record(self, result):
        """Store one grading, in one transaction."""
        with self.db:
            cursor = self.db.execute(
                "INSERT INTO gradings (submission, digest, salt_hash, spec_hash, graded_at, score, max_score, isolation, seconds,"
                " result, status, assignment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.submission, result.digest, self.salt_hash, self.spec_hash,
                 time.strftime("%Y-%m-%dT%H:%M:%S%z"), result.score, result.max_score,
                 result.isolation, result.seconds, json.dumps(result.to_dict()), result.status, self.assignment.name),
            )
            self.db.executemany(
                'INSERT INTO checks (grading_id, question, status, "case", output, passed, points, max_points,'
                " error_vs_reference, error_vs_numeric, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (cursor.lastrowid, q.function, q.status, c.case, c.output, int(c.passed), c.points,
                     c.max_points, c.error_vs_reference, c.error_vs_numeric, c.message)
                    for q in result.questions for c in q.checks
                ],
            )

    def submission_names(self):
        """Every submission of this gradebook's assignment ever graded here (those of grades.csv)."""
        legacy = ("",) if self.assignment.name == assignments.load().name else ()  # recorded before assignments had names
        names = (self.assignment.name, *legacy)
        return {name for (name,) in self.db.execute(
            f"SELECT DISTINCT submission FROM gradings WHERE assignment IN ({', '.join('?' * len(names))})", names)}

    def files_missing(self, result):
        return not all(path.exists() for path in result_files(self.out, result.submission, result.assignment))

    def start_run(self, names):
        """Remember which submissions this run grades, for run_rows()."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS run_names (name TEXT PRIMARY KEY)")
        with self.db:
            self.db.execute("DELETE FROM run_names")
            self.db.executemany("INSERT OR IGNORE INTO run_names VALUES (?)", ((name,) for name in names))

    def remember(self, found):
        """Who this run's submissions (intake.Found) are, as the export said, and where their files are."""
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO identities VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((f.name, f.identity.student_id, f.identity.email, f.identity.login, f.where, file_stem(f.name),
                  json.dumps(f.identity.partners)) for f in found),
            )

    def set_roster(self, rows):
        """Replace the roster (roster.read's rows): it stays for later runs and exports."""
        with self.db:
            self.db.execute("DELETE FROM roster")
            self.db.executemany("INSERT INTO roster VALUES (?, ?, ?, ?, ?)",
                                ((r["id"], r["name"], r["email"], r["login"], json.dumps(r["extra"])) for r in rows))

    def roster(self):
        return [{"id": i, "name": n, "email": e, "login": l, "extra": json.loads(x)}
                for i, n, e, l, x in self.db.execute("SELECT id, name, email, login, extra FROM roster ORDER BY rowid")]

    def graded_assignments(self):
        """{name: its functions} of every assignment graded into this folder, in the order first graded."""
        return {name: tuple(json.loads(functions))
                for name, functions in self.db.execute("SELECT name, functions FROM assignments ORDER BY rowid")}

    def class_rows(self, assignment_name=None):
        """Every submission of an assignment (default: this gradebook's) ever graded here (its
        latest grading) and every roster student without one, as ClassRows: grades.csv and the LMS exports.
        Read from the gradebook one submission at a time (a class of thousands is written out
        without holding it in memory)."""
        assignment_name = assignment_name or self.assignment.name
        students = self.roster()
        matcher = roster.Matcher(students)
        matched = set()
        for row, status, identity in self._latest(False, assignment_name):
            student_id, email, login, origin, stem, partners = identity
            # A group's submission (Gradescope) is each submitter's: a row each.
            for student_id, email in [(student_id, email)] + [tuple(p) for p in json.loads(partners)]:
                student = matcher.match(row.submission, student_id, email, login)
                shown_status = status
                if student is not None:
                    matched.add(student["id"])
                elif students:
                    shown_status += ", not in roster"
                yield ClassRow(row, student["id"] if student else student_id, shown_status, student, email, origin, stem,
                               assignment_name, login)
        for student in students:
            if student["id"] not in matched:
                yield ClassRow(None, student["id"], "missing", student, student["email"], "", "", assignment_name)

    def run_rows(self):
        """The latest scores of this run's submissions, by name, as ScoreRows."""
        return (row for row, _, _ in self._latest(True, self.assignment.name))

    def _latest(self, this_run_only, assignment_name):
        """(ScoreRow, status, identity) of the latest grading of this run's submissions, or of
        all, of one assignment, by name; identity: (student_id, email, login, origin, file_stem,
        partners) as remember() stored it. The gradings are walked in the order of their index
        and each one's checks summed on their own: neither SQLite nor this process sorts or
        holds the class."""
        functions = self.graded_assignments().get(assignment_name, ())
        order = {function: number for number, function in enumerate(functions)}
        where = "AND g.submission IN (SELECT name FROM run_names)" if this_run_only else ""
        latest = (
            "SELECT g.id, g.submission, g.score, g.max_score, g.status,"
            " i.student_id, i.email, i.login, i.origin, i.file_stem, i.partners"
            " FROM gradings g LEFT JOIN identities i ON i.submission = g.submission"
            f" WHERE g.id = (SELECT max(id) FROM gradings WHERE submission = g.submission AND assignment = ?) {where}"
            " ORDER BY g.submission"
        )
        for grading_id, name, score, max_score, status, *identity in self.db.execute(latest, (assignment_name,)):
            questions = self.db.execute(
                "SELECT question, sum(points), sum(max_points) FROM checks WHERE grading_id = ? GROUP BY question",
                (grading_id,)).fetchall()
            if not questions:  # nothing was checked: no scores to show
                continue
            if identity[0] is None:  # graded before remember() kept who it was
                identity = ("", "", "", "", file_stem(name), "[]")
            questions = sorted(((q, round(points, 6), most) for q, points, most in questions), key=lambda q: order.get(q[0], 99))
            yield ScoreRow(name, score, max_score, tuple(questions)), status, tuple(identity)

    def write_csv(self):
        """grades.csv: for each assignment graded into this folder, every submission ever
        graded and every roster student without one; a column per function of any of them."""
        graded = self.graded_assignments()
        functions = tuple(dict.fromkeys(f for names in graded.values() for f in names))
        header = ["submission", "assignment", "student_id", "status", "total", "max_total", *functions]
        rows = (_grades_cells(row, functions, graded[name]) for name in graded for row in self.class_rows(name))
        write_csv_file(self.out / "grades.csv", header, rows)

    def close(self):
        self.db.close()


class Grading:
    """One row of `gradings`, its result parsed."""

    def __init__(self, id_, graded_at, result):
        self.id, self.graded_at, self.result = id_, graded_at, result

    @property
    def scores(self):
        return {q.function: q.score for q in self.result.questions}


def graded_assignment_names(database):
    """The names of the assignments graded into a gradebook file, in the order first graded."""
    with _read_only(database) as connection:
        names = [name for (name,) in connection.execute("SELECT DISTINCT assignment FROM gradings ORDER BY id")]
    return list(dict.fromkeys(name or assignments.load().name for name in names)) or [assignments.load().name]


def assignment_titles(database):
    """{name: title} of the assignments graded into a gradebook file."""
    with _read_only(database) as connection:
        try:
            return dict(connection.execute("SELECT name, title FROM assignments"))
        except sqlite3.OperationalError:  # a gradebook of before assignments had names
            return {}


def read_history(database, assignment_name):
    """{submission: [Grading, ... oldest first]} of one assignment, from a gradebook file opened read-only."""
    legacy = ("",) if assignment_name == assignments.load().name else ()  # gradings recorded before assignments had names
    names = (assignment_name, *legacy)
    with _read_only(database) as connection:
        rows = connection.execute(
            f"SELECT id, submission, graded_at, result FROM gradings WHERE assignment IN ({', '.join('?' * len(names))})"
            " ORDER BY id", names).fetchall()
    history = {}
    for id_, submission, graded_at, text in rows:
        history.setdefault(submission, []).append(Grading(id_, graded_at, SubmissionResult.from_dict(json.loads(text))))
    return history


class _read_only:
    def __init__(self, database):
        uri = Path(database).resolve().as_uri() + "?mode=ro"
        self.connection = sqlite3.connect(uri, uri=True, timeout=30)

    def __enter__(self):
        return self.connection

    def __exit__(self, *exception):
        self.connection.close()


@dataclass(frozen=True)
class ClassRow:
    """A line of the class: a submission's scores (None for a roster student without one)."""

    scores: ScoreRow | None
    student_id: str
    status: str  # "graded", "unreadable", "no notebook", ..., "missing"; ", not in roster" added when unmatched
    student: dict | None  # the roster row
    email: str
    origin: str  # where the graded file was (shown)
    file_stem: str  # of results/ and feedback/
    assignment: str = ""  # its name
    login: str = ""  # the export's username (Blackboard's)


def _grades_cells(row, functions, own):
    """A row of grades.csv: `functions` are the columns, `own` those of the row's assignment (the others stay empty)."""
    if row.scores is None:  # nothing was handed in: no score, not a 0
        return ["", row.assignment, row.student_id, row.status, "", "", *([""] * len(functions))]
    scores = {function: score for function, score, _ in row.scores.questions}
    return [row.scores.submission, row.assignment, row.student_id, row.status, row.scores.score, row.scores.max_score,
            *(scores.get(function, 0.0) if function in own else "" for function in functions)]
