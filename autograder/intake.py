"""Intake: find every file handed in, read it safely, and name its student.

Under each PATH, every entry is accounted for: a file is graded (as its
student's submission), superseded (an earlier attempt, or a helper beside the
notebook) or skipped with a reason; `intake.csv` lists them all. Nothing is
followed through a symbolic link, only regular files are read, a file's size
is checked with fstat before it is read, and no read can block. Zips (the
notebook's own export zip, a class download) are opened with bounds and their
candidate members extracted to a private folder.

A student's identity comes from the export when its layout is known (Canvas,
Moodle, Blackboard, Brightspace, Gradescope, see `layouts.py`), else from the file or folder name,
Unicode kept (NFC): it depends on nothing but that file's own place, so it
never changes when other files come or go. Two files claiming one identity are
a collision, reported with both paths and graded by neither.
"""

import errno
import hashlib
import io
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder import layouts
from autograder.bounds import unseen

NOTEBOOK, PYTHON, ZIP = ".ipynb", ".py", ".zip"
# The raw file; the code's own limit applies after the notebook's outputs are dropped.
RAW_LIMIT = 256 * 1024 ** 2
MAX_ENTRIES = 100_000  # entries looked at under all PATHs, zips included
MAX_DEPTH = 32
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_BYTES = 1024 ** 3  # uncompressed, all zips of a run together
MAX_ZIP_RATIO = 200  # a member that inflates more than this is a zip bomb
MAX_ZIP_NESTING = 2  # a class zip of export zips
HIDDEN = "__MACOSX"
OTTER_ZIP_NAME = "__zip_filename__"  # in otter's export zip: the zip's own name, with its time

SYMLINK = "a symbolic link (never followed)"
NOT_REGULAR = "not a regular file (a FIFO, socket or device is never read)"


class Unreadable(Exception):
    """A file that is not read, and why (a sentence for people)."""


# ---------------------------------------------------------------- safe reading

def _open_regular(path):
    """A file descriptor of the regular file at `path` and its stat, never through a link, never blocking."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise Unreadable(SYMLINK if error.errno == errno.ELOOP else f"could not open the file: {error.strerror}") from None
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        raise Unreadable(NOT_REGULAR)
    return descriptor, status


def _too_large(size, limit):
    return f"the file is {size / 1024 ** 2:.0f} MB, over the {limit // 1024 ** 2} MB limit"


def _chunks(path, limit):
    descriptor, status = _open_regular(path)
    try:
        if status.st_size > limit:  # a sparse 64 GB file is refused here, before any read
            raise Unreadable(_too_large(status.st_size, limit))
        left = limit + 1
        while left > 0:
            try:
                chunk = os.read(descriptor, min(left, 1024 ** 2))
            except OSError as error:  # EAGAIN from a file that would block
                raise Unreadable(f"could not read the file: {error.strerror}") from None
            if not chunk:
                return
            left -= len(chunk)
            if left <= 0:
                raise Unreadable(f"the file grew past the {limit // 1024 ** 2} MB limit while it was read")
            yield chunk
    finally:
        os.close(descriptor)


def read_submission_file(path, limit=RAW_LIMIT):
    """The bytes of the regular file at `path`; raises Unreadable (a symlink, not a
    regular file, over `limit` by its stat or while read, a read that would block)."""
    return b"".join(_chunks(path, limit))


def file_digest(path):
    """The SHA-256 of a submission's file, read as read_submission_file reads it ("" if unreadable)."""
    digest = hashlib.sha256()
    try:
        for chunk in _chunks(path, RAW_LIMIT):
            digest.update(chunk)
    except Unreadable:
        return ""
    return digest.hexdigest()


# ---------------------------------------------------------------- names

def shown(text):
    """A name or path for people and for text files: non-UTF-8 bytes and control
    characters as escapes, Unicode kept (NFC)."""
    text = os.fsdecode(text) if isinstance(text, bytes) else str(text)
    out = []
    for char in text:
        if 0xDC80 <= ord(char) <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif unseen(char) or char == "\\":
            out.append(char.encode("unicode_escape").decode("ascii") if char != "\\" else "\\\\")
        else:
            out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


SHOWN_LIMIT = 300  # characters of a name or path in intake.csv and the terminal's summary


def cut(text, limit=SHOWN_LIMIT):
    """A text shown to people (a path, a name, a reason naming one), at most about `limit`
    characters: a longer one keeps its head and its tail (the zip and the file's suffix) around a
    visible mark saying how much was left out. A 20 KB zip member name made a 20 KB cell of
    intake.csv and line of the summary."""
    text = str(text)
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]}[... {len(text) - 2 * keep} characters left out ...]{text[-keep:]}"


_PLAIN_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_HASHED_TAIL = re.compile(r".*-[0-9a-f]{10}")
_UNSAFE = re.compile(r"[^\w.-]+")


def file_stem(name):
    """The file name (without suffix) of a submission's results/ and feedback/ files.
    A plain lower-case ASCII name is kept as it is; any other gets a readable part and a hash of
    the whole name, so that two names never share a file and no name is too long, even on a
    file system that does not tell case apart (macOS's, Windows', a zip of the output opened
    there): "Alice" and "alice", two students, made feedback/Alice.md and feedback/alice.md."""
    if _PLAIN_STEM.fullmatch(name) and not _HASHED_TAIL.fullmatch(name) and name == name.lower():
        return name
    readable = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip("._")[:48] or "submission"
    return f"{readable}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}"


# ---------------------------------------------------------------- what is found

@dataclass(slots=True)
class Row:
    """One line of intake.csv."""

    path: str
    submission: str
    decision: str  # "graded", "superseded" or "skipped"
    reason: str


@dataclass(slots=True)
class Node:
    """A file or folder seen (on disk or in a zip)."""

    name: str  # shown(): safe to print
    where: str  # its place, shown()
    children: list | None = None  # a folder's or a zip's entries; None for a file
    path: str = ""  # a file to grade: where it is on disk (a zip member once extracted)
    stamp: str = ""  # the export time of the zip it came in (otter's export zip name)
    note: str = ""  # a file that is not read, or a folder not looked into, and why

    @property
    def is_folder(self):
        return self.children is not None

    def unread(self):
        """The files and folders under this one, itself included, that were not read (each has its `note`)."""
        if self.note:
            yield self
        for child in self.children or ():
            yield from child.unread()

    def files(self):
        if not self.is_folder:
            yield self
            return
        for child in self.children:
            yield from child.files()


def kind(name):
    suffix = os.path.splitext(name)[1].lower()
    return suffix if suffix in (NOTEBOOK, PYTHON, ZIP) else ""


class _Budget:
    """What one run may look at: entries, and bytes taken out of zips."""

    def __init__(self, staging, exclude):
        self.exclude = exclude  # (st_dev, st_ino) of the grader's own output folder, if under a PATH
        self.entries = 0
        self.zip_bytes = 0
        self.staging = Path(staging)
        self.extracted = 0

    def take_entry(self):
        self.entries += 1
        return self.entries <= MAX_ENTRIES


def _walk(path, where, depth, budget, rows):
    """The Node of folder `path`, its entries in name order, links never followed."""
    node = Node(shown(os.path.basename(path) or path), where, children=[])
    try:
        # Names alone, not the DirEntries (each holds two stat buffers): a folder of a class of thousands.
        with os.scandir(path) as entries:
            listed = sorted((entry.name for entry in entries), key=os.fsencode)
    except OSError as error:
        node.note = f"could not list the folder: {error.strerror}"
        rows.append(Row(where, "", "skipped", node.note))
        return node
    places = set()
    for entry_name in listed:
        name = shown(entry_name)
        child_where = _distinct(f"{where}/{name}", places, entry_name)
        if not budget.take_entry():
            rows.append(Row(child_where, "", "skipped", f"over the {MAX_ENTRIES} entries looked at in one run"))
            continue
        try:
            _add_entry(os.path.join(path, entry_name), entry_name, name, child_where, node, depth, budget, rows)
        except OSError as error:  # gone or changed while listed
            rows.append(Row(child_where, "", "skipped", f"could not be looked at: {error.strerror}"))
    return node


def _distinct(place, places, raw_name):
    """`place`, told apart from a place shown alike before it (two names equal in Unicode NFC,
    José in NFC and in NFD, or one zip's two members of one name): its name as Python writes it.
    Two files shown as one path made a collision whose reason named one path twice."""
    if place in places:
        place = f"{place} (another entry shown alike: {ascii(raw_name)})"
    places.add(place)
    return place


def _add_entry(path, raw_name, name, where, folder, depth, budget, rows):
    """Add a folder's entry to its Node, or a row saying why it is skipped."""
    if raw_name.startswith(".") or raw_name == HIDDEN:
        rows.append(Row(where, "", "skipped", "hidden (checkpoints, macOS metadata): not a submission"))
        return
    status = os.lstat(path)
    if stat.S_ISLNK(status.st_mode):
        rows.append(Row(where, "", "skipped", SYMLINK))
    elif stat.S_ISDIR(status.st_mode):
        if (status.st_dev, status.st_ino) == budget.exclude:
            rows.append(Row(where, "", "skipped", "the grader's output folder (--out)"))
        elif depth >= MAX_DEPTH:
            # A Node all the same: its student's reason says why nothing was found, not "no notebook".
            folder.children.append(Node(name, where, children=[], note=f"a folder deeper than {MAX_DEPTH} levels"))
            rows.append(Row(where, "", "skipped", folder.children[-1].note))
        else:
            folder.children.append(_walk(path, where, depth + 1, budget, rows))
    elif not stat.S_ISREG(status.st_mode):
        rows.append(Row(where, "", "skipped", NOT_REGULAR))
    elif kind(raw_name) == ZIP:
        folder.children.append(_open_zip(path, name, where, budget, rows, 1))
    else:
        note = _too_large(status.st_size, RAW_LIMIT) if status.st_size > RAW_LIMIT else ""  # read_submission_file would refuse it
        # One string for both when the place shown is the path itself, as it usually is: a class of thousands.
        folder.children.append(Node(name, where, path=where if path == where else path, note=note))


# ---------------------------------------------------------------- zips

_OTTER_STAMP = re.compile(r"_(\d{4}_\d\d_\d\dT\d\d_\d\d_\d\d_\d{6})$")


def export_stamp(zip_name):
    """The time in the name of otter's export zip (NOTEBOOK_YYYY_MM_DDTHH_MM_SS_ffffff.zip), else ""."""
    found = _OTTER_STAMP.search(os.path.splitext(zip_name)[0])
    return found.group(1) if found else ""


# What opening a zip or reading a member raises for a corrupt, encrypted or exotic one.
UNEXTRACTABLE = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError)


def _open_zip(source, name, where, budget, rows, nesting):
    """A zip as a folder Node; `source` is a path or bytes (a zip in a zip)."""
    try:
        archive = _zip_file(source)
    except Unreadable as error:  # the student's row says why (see _choose)
        return Node(name, where, note=str(error))
    except UNEXTRACTABLE as error:  # a zip "version 6.7", as one flipped byte of a download makes it
        return Node(name, where, note=f"not a readable zip ({type(error).__name__})")
    node = Node(name, where, children=[])
    with archive:
        members = archive.infolist()
        folders = {"": node}
        places = set()
        stamp = export_stamp(name)
        for member in members:
            if member.filename == OTTER_ZIP_NAME and member.file_size <= 1024:
                try:
                    with archive.open(member) as stream:
                        stamp = export_stamp(stream.read(1024).decode("utf-8", "replace").strip()) or stamp
                    reason = "otter's record of the export zip's name"
                except UNEXTRACTABLE as error:
                    reason = f"otter's record of the export zip's name, unreadable ({type(error).__name__}): not used"
                rows.append(Row(f"{where}!{OTTER_ZIP_NAME}", "", "skipped", reason))
            else:
                _add_member(archive, member, node, folders, where, budget, rows, nesting, places)
    node.stamp = stamp
    _stamp(node, stamp)
    return node


def _zip_file(source):
    """A ZipFile of a path or bytes, refused before its central directory is read when
    that would list too many entries (each becomes an object in memory)."""
    if isinstance(source, bytes):
        stream, size = io.BytesIO(source), len(source)
    else:
        descriptor, status = _open_regular(source)
        stream, size = os.fdopen(descriptor, "rb"), status.st_size
    try:
        if size > RAW_LIMIT:
            raise Unreadable(_too_large(size, RAW_LIMIT))
        end = zipfile._EndRecData(stream)  # noqa: SLF001  (the end record alone: zipfile has no public way)
        # The count can lie; the directory's size bounds what zipfile would list all the same.
        if end and (end[zipfile._ECD_ENTRIES_TOTAL] > MAX_ZIP_MEMBERS  # noqa: SLF001
                    or end[zipfile._ECD_SIZE] > MAX_ZIP_MEMBERS * 400):  # noqa: SLF001
            raise Unreadable(f"a zip of over {MAX_ZIP_MEMBERS} entries: refused")
        return zipfile.ZipFile(stream)
    except BaseException:
        stream.close()
        raise


def _stamp(node, stamp):
    """Every file of a zip takes the zip's export time (a zip inside has its own)."""
    for child in node.children or ():
        if not child.stamp:
            child.stamp = stamp
            _stamp(child, stamp)


def _member_path_problem(member, parts):
    """Why a member's place is not taken as it is: such a member is nobody's file."""
    if any(part in ("", ".", "..") for part in parts) or member.filename.startswith(("/", "\\")) or ":" in parts[0]:
        return "a path that leaves the zip (traversal): never extracted"
    if len(parts) > MAX_DEPTH:  # as for folders: the grader walks a zip's tree too
        return f"a path deeper than {MAX_DEPTH} levels"
    if stat.S_ISLNK(member.external_attr >> 16):
        return SYMLINK
    if any(part.startswith(".") or part == HIDDEN for part in parts):
        return "hidden (checkpoints, macOS metadata): not a submission"
    return ""


def _member_file_problem(member, budget):
    """Why a member in its place is not read: its student's file, unreadable."""
    if member.flag_bits & 0x1:
        return "encrypted: cannot be read"
    if member.file_size > RAW_LIMIT:
        return _too_large(member.file_size, RAW_LIMIT)
    if member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1) and member.file_size > 1024 ** 2:
        return f"inflates {member.file_size // max(member.compress_size, 1)} times: a zip bomb, refused"
    if budget.zip_bytes + member.file_size > MAX_ZIP_BYTES:
        return f"over the {MAX_ZIP_BYTES // 1024 ** 3} GB taken out of zips in one run"
    return ""


def _add_member(archive, member, root, folders, zip_where, budget, rows, nesting, places):
    raw = member.filename.replace("\\", "/")
    parts = raw.rstrip("/").split("/")
    where = f"{zip_where}!{shown(raw)}"
    if not member.is_dir():
        where = _distinct(where, places, member.filename)
    if not budget.take_entry():
        rows.append(Row(where, "", "skipped", f"over the {MAX_ENTRIES} entries looked at in one run"))
        return
    problem = _member_path_problem(member, parts)
    if problem:
        rows.append(Row(where, "", "skipped", problem))
        if len(parts) > MAX_DEPTH and not member.is_dir() and kind(parts[-1]):
            # As a folder too deep on disk: its student's reason says why nothing was found, not "no notebook".
            _zip_folder(parts[:MAX_DEPTH], root, folders, zip_where).note = problem
        return
    parent = _zip_folder(parts if member.is_dir() else parts[:-1], root, folders, zip_where)
    if member.is_dir():
        return
    name = shown(parts[-1])
    wanted = kind(parts[-1])
    if not wanted:  # accounted for, never extracted
        parent.children.append(Node(name, where))
        return
    if wanted == ZIP and nesting >= MAX_ZIP_NESTING:
        rows.append(Row(where, "", "skipped", f"a zip nested more than {MAX_ZIP_NESTING} deep"))
        return
    # An encrypted or oversized notebook is its student's, unreadable (as a file on disk over
    # the limit is): such a member was a skipped row alone, and its student had no grade at all.
    problem = _member_file_problem(member, budget)
    if problem:
        parent.children.append(Node(name, where, note=problem))
        return
    budget.zip_bytes += member.file_size
    try:
        with archive.open(member) as stream:
            data = stream.read(member.file_size + 1)
    except UNEXTRACTABLE as error:
        parent.children.append(Node(name, where, note=f"could not be extracted ({type(error).__name__})"))
        return
    if len(data) != member.file_size:
        parent.children.append(Node(name, where, note="its size differs from what the zip declares: refused"))
        return
    if wanted == ZIP:
        parent.children.append(_open_zip(data, parts[-1], where, budget, rows, nesting + 1))
        return
    parent.children.append(Node(name, where, path=_extract(data, name, budget)))


def _zip_folder(parts, root, folders, zip_where):
    """The folder Node of a zip's path `parts` (its `folders` by path), made with those above it as needed."""
    parent = root
    for depth, part in enumerate(parts, 1):
        key = "/".join(parts[:depth])
        if key not in folders:
            folders[key] = Node(shown(part), f"{zip_where}!{shown(key)}", children=[])
            parent.children.append(folders[key])
        parent = folders[key]
    return parent


def _extract(data, name, budget):
    """Write a zip member to the private staging folder, under a name of the grader's own."""
    budget.staging.mkdir(mode=0o700, parents=True, exist_ok=True)
    budget.extracted += 1
    path = budget.staging / f"{budget.extracted:06d}{kind(name)}"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    return str(path)


# ---------------------------------------------------------------- students

@dataclass(slots=True)
class Found:
    """One student's submission: the file to grade, or why none is graded."""

    identity: layouts.Identity
    where: str  # the graded file's place (shown), else the student's folder or files
    path: str = ""  # the file to grade; "" when `status` says why none is
    status: str = ""  # "", "unreadable", "no notebook", "several notebooks" or "name collision"
    reason: str = ""

    @property
    def name(self):
        return self.identity.name


@dataclass(slots=True)
class Intake:
    submissions: list  # [Found], by name
    rows: list  # [Row]: every file seen


def _plain_identity(node):
    base = node.name
    if node.is_folder and kind(base) == ZIP:
        base = _OTTER_STAMP.sub("", os.path.splitext(base)[0])
    elif not node.is_folder:
        base = os.path.splitext(base)[0]
    name = unicodedata.normalize("NFC", base)
    return layouts.Identity(name, ("name", name))


def _gradable(node):
    return bool(node.path) and not node.note and kind(node.name) in (NOTEBOOK, PYTHON)


def _candidates(node):
    return [f for f in node.files() if _gradable(f)]


def _is_student_folder(node):
    """A zip or folder holding at most one notebook (else one .py), however deep; a folder
    with a notebook, .py or a one-notebook zip right in it (attempts). Anything else holds
    several students."""
    found = _candidates(node)
    notebooks = [f for f in found if kind(f.name) == NOTEBOOK]
    if len(notebooks or found) <= 1:
        return True
    if kind(node.name) == ZIP:
        return False
    inside = {id(f) for f in found}
    return any(id(child) in inside or (kind(child.name) == ZIP and child.is_folder and _is_student_folder(child))
               for child in node.children)


def _lms_identity(node):
    """The Identity an LMS's name of `node` carries, else None. Otter's export time is not part
    of it: `backprop_2026_11_29T09_00_00_000000.zip` read as Canvas's user 2026, submission 11."""
    name = node.name
    if kind(name) == ZIP and export_stamp(name):
        name = _OTTER_STAMP.sub("", os.path.splitext(name)[0]) + os.path.splitext(name)[1]
    return layouts.from_name(name, node.stamp)


def _holds_students(node):
    """A zip whose entries are named as an LMS names its students', or a folder or zip holding
    Gradescope's metadata or folders an LMS names (Moodle's, Gradescope's), itself or in a folder
    or zip inside, holds those students, however few: a Canvas zip of one submission inside a
    folder was graded as a student named after it. A file's name counts only in a zip, as the
    LMSs give them: in a folder, `alice/hw_1_2_final.ipynb` is alice's (read as Canvas's, it
    made alice and bob one student `hw_1`, and neither was graded)."""
    in_zip = kind(node.name) == ZIP
    return any(child.name == layouts.METADATA
               or ((in_zip or (child.is_folder and kind(child.name) != ZIP)) and _lms_identity(child))
               or (child.is_folder and _holds_students(child))
               for child in node.children or ())


def _gradescope_metadata(node, rows):
    for child in node.children:
        if not child.is_folder and child.name == layouts.METADATA and child.path:
            try:
                found = layouts.gradescope(lambda limit: read_submission_file(child.path, limit))
            except (Unreadable, ValueError) as error:
                rows.append(Row(child.where, "", "skipped", f"Gradescope's metadata, not used: {error}"))
                return {}
            rows.append(Row(child.where, "", "skipped", "Gradescope's metadata: read for the submitters and times"))
            return found
    return {}


def _add_unit(by_key, identity, node):
    by_key.setdefault(identity.key, []).append((identity, node))


def _units(node, by_key, rows):
    """Add to `by_key` the (Identity, Node) of the students in a folder that holds several."""
    metadata = _gradescope_metadata(node, rows)
    for child in node.children:
        if child.is_folder:
            identity = metadata.get(child.name) or _lms_identity(child)
            if identity or (_is_student_folder(child) and not _holds_students(child)):
                _add_unit(by_key, identity or _plain_identity(child), child)
            else:
                _units(child, by_key, rows)
        elif kind(child.name) in (NOTEBOOK, PYTHON, ZIP) and (child.path or child.note):  # unreadable: a row all the same
            _add_unit(by_key, _lms_identity(child) or _plain_identity(child), child)
        elif child.name != layouts.METADATA:
            rows.append(Row(child.where, "", "skipped", "not a notebook (.ipynb), Python file (.py) or zip"))


def _order(identity, node):
    return (node.stamp, *identity.order)


def _choose(units, rows):
    """The Found of one student's units (same Identity key), and a row for each of its files."""
    identity = min((identity for identity, _ in units), key=lambda i: i.name)
    ranked = []  # (order, Node)
    for unit_identity, node in units:
        for file in node.files():
            if _gradable(file):
                ranked.append((_order(unit_identity, file), file))
            else:
                rows.append(Row(file.where, identity.name, "skipped", file.note or "not a notebook (.ipynb) or Python file (.py)"))
    where = ", ".join(node.where for _, node in units)
    notebooks = [(order, f) for order, f in ranked if kind(f.name) == NOTEBOOK]
    chosen = notebooks or ranked
    if not chosen:
        # A folder that could not be listed or was too deep may hold the notebook: "no notebook" would be false.
        refused = [f for _, node in units for f in node.unread() if f.is_folder or kind(f.name) in (NOTEBOOK, PYTHON, ZIP)]
        if refused:
            what = "was not looked into" if refused[0].is_folder else "was not read"
            return Found(identity, where, status="unreadable", reason=f"{refused[0].where} {what}: {refused[0].note}")
        rows.append(Row(where, identity.name, "skipped", "no notebook (.ipynb) or Python file (.py) in it"))
        return Found(identity, where, status="no notebook",
                     reason=f"no notebook (.ipynb) or Python file (.py) was found in {where}")
    latest = max(order for order, _ in chosen)
    top = [f for order, f in chosen if order == latest]
    if len(top) > 1:
        names = ", ".join(f.where for f in top)
        for _, file in ranked:
            rows.append(Row(file.where, identity.name, "skipped", f"several notebooks in one attempt: {names}"))
        return Found(identity, where, status="several notebooks",
                     reason=f"several notebooks were handed in at once ({names}): hand in one")
    graded = top[0]
    for order, file in ranked:
        if file is graded:
            rows.append(Row(file.where, identity.name, "graded", "the latest attempt" if len(ranked) > 1 else ""))
        elif kind(file.name) == PYTHON and kind(graded.name) == NOTEBOOK and order >= latest:
            rows.append(Row(file.where, identity.name, "superseded", f"a Python file beside the notebook {graded.where}"))
        else:
            rows.append(Row(file.where, identity.name, "superseded", f"an earlier attempt than {graded.where}"))
    return Found(identity, graded.where, path=graded.path)


def _collision(name, founds, rows):
    places = " and ".join(found.where for found in founds)
    if founds[0].identity.key[0] == "brightspace":
        reason = (f"Brightspace gives the name {name!r} to files whose numbers share none: {places}; two students "
                  "of one name, or one student's attempts, nobody can tell: rename each student's file (a plain "
                  "name) and grade again")
    else:
        reason = f"several files or folders give the name {name!r}: {places}; rename all but one and grade again"
    for row in rows:
        if row.submission == name:
            row.decision, row.reason = "skipped", f"name collision: {places}"
    return Found(founds[0].identity, places, status="name collision", reason=reason)


def discover(paths, staging, out=None):
    """The Intake of `paths` (files or folders); zip members are extracted to `staging`,
    a private folder of the grader's, and the output folder `out` is not looked into.
    Raises ValueError for a PATH that does not exist, or that is a file but not a
    notebook, Python file or zip."""
    shutil.rmtree(staging, ignore_errors=True)  # the members a run before extracted
    exclude = None
    if out is not None and os.path.isdir(out):
        status = os.stat(out)
        exclude = (status.st_dev, status.st_ino)
    budget, rows = _Budget(staging, exclude), []
    # The tree of every file is let go once each unit has its student, and a student's
    # files once one of them is chosen: the records of a class of thousands are never held twice.
    by_key = _by_student(_tree(paths, budget, rows), rows)
    by_name = {}
    for key, group in by_key.items():
        if key[0] == "name" and len(group) > 1:
            # Two files of the same plain name are two students, or one student twice: nobody can tell.
            for identity, node in group:
                by_name.setdefault(identity.name, []).append(_choose([(identity, node)], rows))
        elif key[0] == "brightspace" and not layouts.one_student(identity for identity, _ in group):
            # One name under numbers that share nothing: two students of one name, or nobody can tell.
            attempts = {}
            for identity, node in group:
                attempts.setdefault(identity.numbers, []).append((identity, node))
            for attempt in attempts.values():
                by_name.setdefault(key[1], []).append(_choose(attempt, rows))
        else:
            found = _choose(group, rows)
            by_name.setdefault(found.name, []).append(found)
        group.clear()
    submissions = []
    for name, founds in sorted(by_name.items()):
        submissions.append(founds[0] if len(founds) == 1 else _collision(name, founds, rows))
    return Intake(submissions, rows)


def _tree(paths, budget, rows):
    """A folder Node of the PATHs named on the command line."""
    top = Node("", "", children=[])
    for given in paths:
        given = os.fspath(given)
        if not os.path.exists(given):
            raise ValueError(f"{shown(given)} does not exist")
        # The PATHs named on the command line are the instructor's: followed (as `find -H`), nothing under them.
        if os.path.isdir(given):
            folder = _walk(given, shown(os.path.normpath(given)), 0, budget, rows)
            top.children.append(folder)
        elif kind(given) == ZIP:
            top.children.append(_open_zip(os.path.realpath(given), shown(os.path.basename(given)), shown(given), budget, rows, 1))
        elif kind(given) in (NOTEBOOK, PYTHON):
            top.children.append(Node(shown(os.path.basename(given)), shown(given), path=os.path.realpath(given)))
        else:
            raise ValueError(f"{shown(given)} is not a notebook (.ipynb), a Python file (.py) or a zip")
    return top


def _by_student(top, rows):
    """{Identity.key: [(Identity, Node), ...]} of the units under `top`, in the tree's order."""
    by_key = {}
    for child in top.children:
        # A folder named on the command line holds the class; so does a zip, unless it is one student's.
        one_students_zip = kind(child.name) == ZIP and _is_student_folder(child) and not _holds_students(child)
        if child.is_folder and not one_students_zip:
            _units(child, by_key, rows)
        else:
            _add_unit(by_key, _lms_identity(child) or _plain_identity(child), child)
    return by_key


def write_intake_csv(path, rows):
    """DIR/intake.csv: every file seen, by path."""
    from autograder.tables import write_csv_file

    write_csv_file(path, ["path", "submission", "decision", "reason"],
                   ([cut(r.path), cut(r.submission), r.decision, cut(r.reason)] for r in sorted(rows, key=lambda r: r.path)))
