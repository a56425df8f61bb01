"""`autograder export DIR --format canvas|moodle|blackboard|csv`: the class's totals as a file an LMS imports as it is.

- canvas: Canvas's gradebook import CSV (Grades > Import): the columns
  `Student, ID, SIS User ID, SIS Login ID, Section` then one column per
  assignment; Canvas matches students by ID (or the SIS ids) and an
  assignment by its header, `NAME (ASSIGNMENT ID)` for an existing one, a new
  header creating a new assignment. The student columns come from the roster
  (Canvas's own gradebook export works as the roster), else from the export's
  Canvas user id.
- moodle: a CSV for Moodle's gradebook import (Grades > Import > CSV file):
  `Email address, ID number, Full name` and the grade column; map "Email
  address" to the user's email (or "ID number" to the idnumber) when importing.
- blackboard: a CSV for Blackboard's Grade Center upload (Work Offline >
  Upload): `Last Name, First Name, Username, Student ID` and the grade column,
  every cell quoted; Blackboard matches students by Username (the roster's, a
  Grade Center download, else the export's), and a header without a Column ID
  (`|123`) creates a new column.
- csv: one row per student: id, name, email, submission, status, total, max_total.

A student without a submission gets an empty grade (the LMS leaves the cell
as it is), never a 0 that looks earned. Each roster student is one row: one
matched by several submissions (graded under two names: two layouts, a
renamed file) gets an empty grade too, and the command names them (the
grader never picks which one counts).
"""

import dataclasses
from pathlib import Path

from autograder import assignment as assignments
from autograder.gradebook import Gradebook
from autograder.tables import write_csv_file

FORMATS = ("canvas", "moodle", "blackboard", "csv")


def _total(row):
    return "" if row.scores is None else row.scores.score


def _name(row):
    return (row.student or {}).get("name") or (row.scores.submission if row.scores else "")


def _extra(row, *columns):
    extra = {key.strip().lower(): value for key, value in ((row.student or {}).get("extra") or {}).items()}
    return next((extra[c] for c in columns if extra.get(c)), "")


def one_per_student(rows):
    """The rows with each roster student once, and the lines naming those matched by several
    submissions (each then one row without a grade): two rows of one ID made Canvas take either."""
    rows = list(rows)
    submissions = {}
    for row in rows:
        if row.student is not None and row.scores is not None:
            submissions.setdefault(row.student["id"], []).append(row.scores.submission)
    several = {student: names for student, names in submissions.items() if len(names) > 1}
    kept, seen = [], set()
    for row in rows:
        student = row.student["id"] if row.student is not None else None
        if student in several:
            if student in seen:
                continue
            seen.add(student)
            row = dataclasses.replace(row, scores=None, status="several submissions: " + ", ".join(several[student]))
        kept.append(row)
    return kept, [f"{student} ({', '.join(names)})" for student, names in several.items()]


def canvas(rows, assignment):
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment]
    lines = [[_name(r), r.student_id, _extra(r, "sis user id"), (r.student or {}).get("login", ""),
              _extra(r, "section"), _total(r)] for r in rows if r.student_id]
    return header, lines


def moodle(rows, assignment):
    header = ["Email address", "ID number", "Full name", assignment]
    lines = [[(r.student or {}).get("email") or r.email, r.student["id"] if r.student else "", _name(r), _total(r)]
             for r in rows if r.student or r.email]
    return header, lines


def blackboard(rows, assignment):
    header = ["Last Name", "First Name", "Username", "Student ID", assignment]
    lines = []
    for r in rows:
        username = (r.student or {}).get("login") or r.login
        if username:
            student_id = r.student_id if r.student_id != username else ""
            lines.append([_extra(r, "last name"), _extra(r, "first name"), username, student_id, _total(r)])
    return header, lines


def plain(rows, assignment):
    header = ["id", "name", "email", "submission", "status", "total", "max_total"]
    lines = [[r.student_id, _name(r), (r.student or {}).get("email") or r.email, r.scores.submission if r.scores else "",
              r.status, _total(r), "" if r.scores is None else r.scores.max_score] for r in rows]
    return header, lines


def export(out_dir, kind, column=None, path=None, assignment=None):
    """Write the export of `assignment`'s grades (default: the default assignment's), under the
    header `column` (default: its title); returns (its path, rows written, rows left out for want of an
    id, the roster students matched by several submissions, left without a grade)."""
    out = Path(out_dir)
    if not (out / "gradebook.sqlite").is_file():
        raise FileNotFoundError(f"no gradebook.sqlite in {out}: grade into it first")
    assignment = assignment or assignments.load()
    column = column or assignment.title
    book = Gradebook(out, "", assignment)
    try:
        rows = list(book.class_rows())
    finally:
        book.close()
    rows, several = one_per_student(rows)
    header, lines = {"canvas": canvas, "moodle": moodle, "blackboard": blackboard, "csv": plain}[kind](rows, column)
    path = Path(path) if path else out / f"export-{kind}.csv"
    write_csv_file(path, header, lines, quote_all=kind == "blackboard")
    return path, len(lines), len(rows) - len(lines), several
