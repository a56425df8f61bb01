"""The file and folder names of LMS downloads, and who they say handed a file in.

Assumed layouts (from the LMS's documentation and nbgrader's `zip_collect`
conventions; see README, "Where submissions come from"):

- Canvas, "Download Submissions": one zip of files named
  `lastfirst_[LATE_]USERID_SUBMISSIONID_FILENAME`, where a resubmitted file of
  the same name gets `-1`, `-2`... before its suffix.
- Moodle, "Download all submissions": `Full Name_ID_assignsubmission_file_`
  (a folder per student, or that prefix on each file), ID the participant id.
- Blackboard Learn, "Assignment File Download": files named
  `ASSIGNMENT_USERNAME_attempt_YYYY-MM-DD-HH-MM-SS_FILENAME`, each attempt's
  beside a `..._attempt_YYYY-MM-DD-HH-MM-SS.txt` record (not read).
- Brightspace (D2L), "Download" of a folder's submissions: files named
  `NUMBER-NUMBER - First Last - Mon D, YYYY HMM AM - FILENAME` beside an
  `index.html` (older versions: a folder per attempt, `NUMBER-NUMBER - First
  Last - Mon D, YYYY H:MM AM`). Which of the two numbers is the student's is
  documented nowhere (one is the attempt's): files of one name are one
  student when one of the numbers is common to all of them (see one_student).
- Gradescope, "Export Submissions": `submission_metadata.yml` beside one
  `submission_ID/` folder per submission, naming its submitters (name, sid,
  email) and its time.
"""

import datetime
import os
import re
from dataclasses import dataclass

import yaml

MAX_METADATA_BYTES = 16 * 1024 ** 2
MAX_SUBMITTERS = 20  # of one group submission
METADATA = "submission_metadata.yml"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who handed a file in, as the export says."""

    name: str  # the submission's name (the gradebook's key)
    key: tuple  # files with the same key are one student's
    student_id: str = ""
    email: str = ""
    login: str = ""
    order: tuple = ()  # attempts: the largest is the latest
    original: str = ""  # the file's name as the student gave it (without the LMS prefix)
    partners: tuple = ()  # a group's other submitters: ((student id, email), ...), graded alike
    numbers: tuple = ()  # Brightspace's two numbers of the attempt, whose meaning is not documented


# The numbers compared as numbers have at most 18 digits (an LMS's ids fit 64 bits): a name with
# more is no export's, and int() of thousands of digits raises (a zip member's name may be 64 KB).
_CANVAS = re.compile(r"(?P<who>[^_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<submission>\d{1,18})_(?P<file>.+)", re.IGNORECASE)
_MOODLE = re.compile(r"(?P<who>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.*)")
# The username is the last `_`-separated part before the first `_attempt_TIME_`: an assignment's name may
# hold `_`, a username seldom does (one that does is named by its last part; the key keeps the whole prefix
# apart). The first: what follows is the student's own file name, which may hold `_attempt_TIME_` too (a file
# "bob_attempt_2099-..._nb.ipynb" handed in by alice made her file bob's, and bob's a name collision, ungraded).
# (`(?:.*?_)?` starts the username only after a `_`: a 64 KB name is matched in linear time.)
_BLACKBOARD = re.compile(r"(?P<prefix>(?:.*?_)?(?P<user>[^_]+))_attempt_(?P<time>\d{4}(?:-\d\d){5})_(?P<file>.+)")
# (`.+?` for the name: the first date-like field ends it; the student's file name may hold " - ".)
_BRIGHTSPACE = re.compile(r"(?P<first>\d{1,18})-(?P<second>\d{1,18}) - (?P<who>.+?) - (?P<month>[A-Z][a-z]{2})[a-z]* "
                          r"(?P<day>\d{1,2}), (?P<year>\d{4}) (?P<hour>\d{1,2}):?(?P<minute>\d\d) (?P<half>[AP]M)"
                          r"(?: - (?P<file>.+))?")
_MONTHS = {month: number for number, month in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_RESUBMITTED = re.compile(r"-(\d{1,18})$")
_GRADESCOPE_FOLDER = re.compile(r"submission_(\d+)")


def _resubmission(file_name):
    found = _RESUBMITTED.search(os.path.splitext(file_name)[0])
    return int(found.group(1)) if found else 0


def from_name(name, stamp=""):
    """The Identity a file's or folder's name carries (Canvas, Moodle, Blackboard), else None."""
    blackboard = _BLACKBOARD.fullmatch(name)
    if blackboard:
        user = blackboard["user"]
        return Identity(user, ("blackboard", blackboard["prefix"]), login=user, order=(stamp, blackboard["time"]),
                        original=blackboard["file"])
    canvas = _CANVAS.fullmatch(name)
    if canvas:
        user = canvas["user"]
        return Identity(f"{canvas['who']}_{user}", ("canvas", user), student_id=user,
                        order=(stamp, int(canvas["submission"]), _resubmission(canvas["file"])),
                        original=canvas["file"])
    brightspace = _BRIGHTSPACE.fullmatch(name)
    if brightspace and brightspace["month"] in _MONTHS and 1 <= int(brightspace["hour"]) <= 12:
        return _brightspace(brightspace, stamp)
    moodle = _MOODLE.fullmatch(name)
    if moodle:
        number = moodle["id"]
        return Identity(f"{moodle['who']}_{number}", ("moodle", number), student_id=number, order=(stamp,),
                        original=moodle["file"])
    return None


def _brightspace(found, stamp):
    hour = int(found["hour"]) % 12 + (12 if found["half"] == "PM" else 0)
    time = (int(found["year"]), _MONTHS[found["month"]], int(found["day"]), hour, int(found["minute"]))
    who = found["who"].strip()
    return Identity(who, ("brightspace", who), order=(stamp, time), original=found["file"] or "",
                    numbers=(found["first"], found["second"]))


def one_student(identities):
    """Whether Brightspace's files of one name are one student's: one of the two numbers is the
    same in all of them (the student's; the other is the attempt's, whichever it is). Two students
    of one name share neither; neither do two attempts if both numbers are the attempt's, and then
    nothing tells them from two students."""
    numbers = {identity.numbers for identity in identities}
    return any(len({pair[place] for pair in numbers}) == 1 for place in (0, 1))


def _plain(mapping):
    """Gradescope's YAML keys are Ruby symbols (`:name`): their names without the colon."""
    return {str(key).lstrip(":"): value for key, value in mapping.items()} if isinstance(mapping, dict) else {}


def _text(value):
    # Only scalars: str() of a structure built from YAML aliases can grow without bound.
    if not isinstance(value, (str, int, float, datetime.date)) or isinstance(value, bool):
        return ""
    return str(value).strip()[:200]


def gradescope(read_bytes):
    """{submission folder name: Identity} from the bytes of submission_metadata.yml
    (`read_bytes(limit)` reads them, bounded); raises ValueError for a file that is not that."""
    try:
        data = yaml.safe_load(read_bytes(MAX_METADATA_BYTES))
    except yaml.YAMLError as error:
        raise ValueError(f"not readable YAML ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise ValueError("not a mapping of submissions")
    found = {}
    for folder, record in data.items():
        record = _plain(record)
        listed = record.get("submitters")
        submitters = [_plain(s) for s in (listed[:MAX_SUBMITTERS] if isinstance(listed, list) else []) if isinstance(s, dict)]
        if not _GRADESCOPE_FOLDER.fullmatch(str(folder)) or not submitters:
            continue
        first = submitters[0]
        sid, email, who = _text(first.get("sid")), _text(first.get("email")), _text(first.get("name"))
        handle = sid or email or str(folder)
        partners = tuple((_text(s.get("sid")), _text(s.get("email"))) for s in submitters[1:])
        found[str(folder)] = Identity(f"{who or 'student'}_{handle}", ("gradescope", handle), student_id=sid,
                                      email=email, order=(_text(record.get("created_at")),), partners=partners)
    return found
