"""The class roster (`grade --roster roster.csv`), and which roster row a submission is.

A CSV with a header: `id` required, `name`, `email` and `login` optional
(Canvas's gradebook export works as it is: `ID`, `Student`, `SIS Login ID`;
so does Moodle's grading worksheet: `Identifier`, `Full name`, `Email address`,
Brightspace's grades export: `OrgDefinedId`, `Username`, `First Name`, `Last Name`),
and Blackboard's Grade Center download: `Username`, `Student ID`, UTF-16 and
tab-separated as its "Work Offline" file is, or CSV), every other column kept
for the exports. A row without an id has its login as its id (Blackboard's
Student ID is often empty); rows with neither (Canvas's "Points Possible") are
left out.
"""

import codecs
import collections
import csv
import io
import re
import unicodedata

from autograder.intake import Unreadable, read_submission_file

MAX_BYTES = 32 * 1024 ** 2
# Moodle's grading worksheet names a student "Participant 4242", the id of its download's folder names.
_PARTICIPANT = re.compile(r"^Participant\s+(?=\d+$)")
ALIASES = {"id": "id", "student id": "id", "identifier": "id", "orgdefinedid": "id",
           "name": "name", "student": "name", "full name": "name",
           "email": "email", "email address": "email", "login": "login", "sis login id": "login", "username": "login"}


def read(path):
    """[{"id", "name", "email", "login", "extra": {column: value}}]; raises ValueError with a reason."""
    try:
        data = read_submission_file(path, MAX_BYTES)
        text = data.decode("utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig")
    except (Unreadable, UnicodeError) as error:
        raise ValueError(f"cannot read the roster {path}: {error}") from None
    first_line = text.partition("\n")[0]
    reader = csv.reader(io.StringIO(text), delimiter="\t" if "\t" in first_line and "," not in first_line else ",")
    header = next(reader, [])
    fields = [ALIASES.get(column.strip().lower()) for column in header]
    if "id" not in fields and "login" not in fields:
        raise ValueError(f"the roster {path} has no `id` or `login` column (its header: {', '.join(header)[:200]})")
    rows, seen = [], set()
    for cells in reader:
        row = {"id": "", "name": "", "email": "", "login": "", "extra": {}}
        for column, field, value in zip(header, fields, cells):
            if field and not row[field]:
                row[field] = value.strip()
            elif not field:
                row["extra"][column] = value
        row["id"] = _PARTICIPANT.sub("", row["id"]) or row["login"]
        row["name"] = row["name"] or " ".join(filter(None, (_extra(row, "first name"), _extra(row, "last name"))))
        if row["id"] and row["id"] not in seen:
            seen.add(row["id"])
            rows.append(row)
    return rows


def _extra(row, column):
    return next((value.strip() for key, value in row["extra"].items() if key.strip().lower() == column), "")


def _same(text):
    """A name or id as compared: Unicode NFC, case and runs of spaces not told apart."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


class Matcher:
    """Which roster row a submission is: by the export's id or sid, its email, its login, and
    for a name that carries none (a plain file or folder name, Brightspace's), by that name as an
    id or login, else as the full name of exactly one roster row (two rows of one name match neither)."""

    def __init__(self, rows):
        self.rows = rows
        self.by = {"id": {}, "email": {}, "login": {}, "name": {}}
        names = collections.Counter(_same(row["name"]) for row in rows if row["name"])
        for row in rows:
            for field in self.by:
                if row[field] and (field != "name" or names[_same(row[field])] == 1):
                    self.by[field].setdefault(_same(row[field]), row)

    def match(self, submission, student_id="", email="", login=""):
        tries = [("id", student_id), ("email", email), ("login", login)]
        if not (student_id or email or login):
            tries += [("id", submission), ("login", submission), ("name", submission)]
        for field, value in tries:
            if value and _same(value) in self.by[field]:
                return self.by[field][_same(value)]
        return None
