"""Intake: every file found, named after its student, read safely and accounted for; roster and LMS exports.

Discovery tests build class folders of tiny files (discovery never parses them); a few CLI runs grade
two or three real notebooks end to end.
"""

import csv
import io
import json
import os
import sqlite3
import unicodedata
import zipfile
from contextlib import closing
from pathlib import Path

import pytest

import submission_factory as sf
from autograder import feedback, intake, roster
from autograder.intake import file_stem
from test_grader import ROOT, SALT, run_cli

NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def touch(path, data=NB):
    path = Path(path) if not isinstance(path, bytes) else path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as out:
        out.write(data)
    return path


def discover(tmp_path, *paths):
    return intake.discover(paths, tmp_path / "staging")


def decisions(found, base):
    """{path relative to base: (submission, decision)} of every intake row."""
    prefix = intake.shown(str(base)) + "/"
    return {row.path.replace(prefix, ""): (row.submission, row.decision) for row in found.rows}


def by_name(found):
    return {f.name: f for f in found.submissions}


def otter_zip(path, notebook=NB, stamp="2026_11_30T10_00_00_000000", extra=()):
    """A zip as otter's export cell makes it: the notebook, its log, and the zip's own name."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("backprop.ipynb", notebook)
        archive.writestr(".OTTER_LOG", b"log")
        archive.writestr("__zip_filename__", f"backprop_{stamp}.zip")
        for name, data in extra:
            archive.writestr(name, data)
    return path


# ---------------------------------------------------------------- 1. discovery accounts for everything

def test_every_file_of_a_plain_folder_is_graded_or_skipped_with_a_reason(tmp_path):
    base = tmp_path / "class"
    touch(base / "DORA.IPYNB")
    touch(base / "eve.Py", b"x = 1\n")
    touch(base / "fred" / "hw" / "backprop.ipynb")
    (base / "gina").mkdir()
    touch(base / "notes.txt", b"not a submission")
    touch(base / ".ipynb_checkpoints" / "a-checkpoint.ipynb")
    touch(base / "hal" / "backprop.ipynb")
    touch(base / "hal" / "gradcheck.py", b"x = 1\n")
    found = discover(tmp_path, base)
    assert decisions(found, base) == {
        ".ipynb_checkpoints": ("", "skipped"),
        "DORA.IPYNB": ("DORA", "graded"),
        "eve.Py": ("eve", "graded"),
        "fred/hw/backprop.ipynb": ("fred", "graded"),
        "gina": ("gina", "skipped"),
        "hal/backprop.ipynb": ("hal", "graded"),
        "hal/gradcheck.py": ("hal", "superseded"),
        "notes.txt": ("", "skipped"),
    }
    names = by_name(found)
    assert sorted(names) == ["DORA", "eve", "fred", "gina", "hal"]
    assert names["gina"].status == "no notebook" and not names["gina"].path
    assert names["fred"].path == str(base / "fred" / "hw" / "backprop.ipynb")
    assert all(row.reason for row in found.rows if row.decision != "graded")


def test_a_folder_of_student_folders_one_level_down_is_a_class(tmp_path):
    base = tmp_path / "download"
    touch(base / "hw3" / "ann" / "backprop.ipynb")
    touch(base / "hw3" / "ben" / "sub" / "backprop.ipynb")
    assert sorted(by_name(discover(tmp_path, base))) == ["ann", "ben"]


def test_a_folder_with_two_notebooks_in_one_attempt_is_reported_not_guessed(tmp_path):
    base = tmp_path / "class"
    touch(base / "ivy" / "backprop.ipynb")
    touch(base / "ivy" / "backprop-Copy1.ipynb")
    found = discover(tmp_path, base)
    ivy = by_name(found)["ivy"]
    assert ivy.status == "several notebooks" and "backprop-Copy1.ipynb" in ivy.reason
    assert {d for _, d in decisions(found, base).values()} == {"skipped"}


# ---------------------------------------------------------------- zips

def test_the_notebooks_own_export_zip_is_graded_and_the_latest_export_wins(tmp_path):
    base = tmp_path / "class"
    otter_zip(touch(base / "kim" / "backprop_2026_11_29T09_00_00_000000.zip", b""), stamp="2026_11_29T09_00_00_000000")
    # Renamed by the student: the time comes from otter's record inside the zip.
    otter_zip(touch(base / "kim" / "final.zip", b""), notebook=NB + b" ", stamp="2026_11_30T09_00_00_000000")
    found = discover(tmp_path, base)
    kim = by_name(found)["kim"]
    assert kim.where.endswith("kim/final.zip!backprop.ipynb")
    assert Path(kim.path).read_bytes() == NB + b" "
    assert Path(kim.path).parent == tmp_path / "staging"
    rows = decisions(found, base)
    assert rows["kim/final.zip!backprop.ipynb"] == ("kim", "graded")
    assert rows["kim/backprop_2026_11_29T09_00_00_000000.zip!backprop.ipynb"] == ("kim", "superseded")
    assert rows["kim/final.zip!.OTTER_LOG"][1] == "skipped"


def test_a_class_zip_is_opened_and_its_students_found(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("hw/leo/backprop.ipynb", NB)
        zipped.writestr("hw/mia/backprop.ipynb", NB)
        zipped.writestr("hw/mia/README.md", b"hello")
    found = discover(tmp_path, archive)
    assert sorted(by_name(found)) == ["leo", "mia"]
    assert decisions(found, tmp_path)["class.zip!hw/mia/README.md"] == ("mia", "skipped")


def test_a_zip_bomb_a_traversal_and_a_link_in_a_zip_are_refused(tmp_path):
    archive = tmp_path / "class" / "nia.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("backprop.ipynb", NB)
        zipped.writestr("bomb.ipynb", b"\0" * (40 * 1024 ** 2))
        zipped.writestr("../../evil.py", b"x = 1\n")
        link = zipfile.ZipInfo("link.ipynb")
        link.external_attr = (0o120777 << 16)
        zipped.writestr(link, "/etc/passwd")
    found = discover(tmp_path, archive.parent)
    rows = {row.path.rsplit("!", 1)[-1]: row for row in found.rows}
    assert "zip bomb" in rows["bomb.ipynb"].reason
    assert "traversal" in rows["../../evil.py"].reason
    assert rows["link.ipynb"].reason == intake.SYMLINK
    assert rows["backprop.ipynb"].decision == "graded"
    assert os.listdir(tmp_path / "staging") == ["000001.ipynb"]
    assert not (tmp_path / "evil.py").exists()


def encrypted(path):
    """`path`, a zip written by zipfile, with its first member marked encrypted (zipfile writes no encrypted zip)."""
    data = bytearray(path.read_bytes())
    data[data.find(b"PK\x01\x02") + 8] |= 1  # the central directory's flag, which infolist reads
    data[data.find(b"PK\x03\x04") + 6] |= 1
    path.write_bytes(bytes(data))
    return path


def test_an_encrypted_or_oversized_member_is_its_students_unreadable_file_not_a_lost_grade(tmp_path):
    archive = tmp_path / "class" / "submissions.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("leeann_41_900_backprop.ipynb", NB)
        zipped.writestr("doejane_12345_901_backprop.ipynb", NB)
        zipped.writestr("kimbo_77_902_backprop.ipynb", b"\0" * (40 * 1024 ** 2))
    found = discover(tmp_path, encrypted(archive).parent)
    names = by_name(found)
    # Before, an encrypted or refused member was a skipped row alone: leeann_41 and kimbo_77 had no grade at all.
    assert sorted(names) == ["doejane_12345", "kimbo_77", "leeann_41"]
    assert names["leeann_41"].status == names["kimbo_77"].status == "unreadable"
    assert "encrypted" in names["leeann_41"].reason and "zip bomb" in names["kimbo_77"].reason
    assert names["doejane_12345"].status == "" and names["doejane_12345"].path


def test_a_class_of_one_in_a_zip_or_folder_under_a_path_is_that_student_not_the_zip(tmp_path):
    base = tmp_path / "downloads"
    with zipfile.ZipFile(touch(base / "canvas" / "submissions.zip", b""), "w") as zipped:
        zipped.writestr("doejane_12345_678_backprop.ipynb", NB)
    touch(base / "moodle" / "Bo Chen_4242_assignsubmission_file_" / "backprop.ipynb")
    touch(base / "gradescope" / "submission_101" / "backprop.ipynb")
    touch(base / "gradescope" / "submission_metadata.yml", b"submission_101:\n  :submitters:\n  - :name: Ana Lima\n    :sid: '9001'\n")
    touch(base / "kim" / "backprop_2026_11_29T09_00_00_000000.zip", b"")
    otter_zip(base / "kim" / "backprop_2026_11_29T09_00_00_000000.zip")
    found = discover(tmp_path, base)
    # Before: students "submissions", "moodle" and "gradescope", named after what held them.
    assert sorted(by_name(found)) == ["Ana Lima_9001", "Bo Chen_4242", "doejane_12345", "kim"]


def test_a_file_named_like_a_canvas_download_in_a_students_folder_is_that_students(tmp_path):
    """Read as Canvas's names (user 1, submission 2), alice's and bob's `hw_1_2_final.ipynb`
    made one student `hw_1` with several notebooks: neither was graded."""
    base = tmp_path / "class"
    touch(base / "alice" / "hw_1_2_final.ipynb")
    touch(base / "bob" / "hw_1_2_final.ipynb")
    touch(base / "cy" / "backprop_2026_12_03.ipynb")
    found = discover(tmp_path, base)
    assert sorted(by_name(found)) == ["alice", "bob", "cy"]
    assert all(submission.path for submission in by_name(found).values())


def test_two_members_of_one_name_in_a_zip_are_reported_as_two_places(tmp_path):
    archive = tmp_path / "class" / "submissions.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("doejane_12345_678_backprop.ipynb", NB)
        with pytest.warns(UserWarning, match="Duplicate name"):
            zipped.writestr("doejane_12345_678_backprop.ipynb", NB + b" ")
    found = discover(tmp_path, archive.parent)
    jane = by_name(found)["doejane_12345"]
    assert jane.status == "several notebooks"  # which member counts is the zip's ambiguity, never guessed
    assert len({row.path for row in found.rows}) == 2 and "another entry shown alike" in jane.reason


def test_a_zip_member_deeper_than_a_folder_may_be_is_skipped_not_a_lost_class(tmp_path):
    """A member 20,000 folders deep (a 40 KB name, one student's zip) made the tree's walk raise
    RecursionError: the whole `grade` command died, no grades.csv for anyone."""
    archive = tmp_path / "class" / "mallory.zip"
    archive.parent.mkdir()
    deep = "d/" * 20000 + "backprop.ipynb"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(deep, NB)
        zipped.writestr("d/" * (intake.MAX_DEPTH - 1) + "backprop.ipynb", NB)
    touch(tmp_path / "class" / "ann.ipynb")
    found = discover(tmp_path, archive.parent)
    rows = {row.path.rsplit("!", 1)[-1]: row for row in found.rows}
    assert rows[deep].decision == "skipped" and f"deeper than {intake.MAX_DEPTH}" in rows[deep].reason
    assert by_name(found)["mallory"].path and by_name(found)["ann"].path
    with zipfile.ZipFile(archive, "w") as zipped:  # the notebook too deep is mallory's only one
        zipped.writestr(deep, NB)
    mallory = by_name(discover(tmp_path, archive.parent))["mallory"]
    assert mallory.status == "unreadable" and mallory.reason.endswith(
        f"/d was not looked into: a path deeper than {intake.MAX_DEPTH} levels"), mallory.reason


def test_a_corrupt_otter_record_in_a_zip_is_noted_not_a_lost_class(tmp_path):
    """A `__zip_filename__` whose bytes fail their CRC raised BadZipFile out of the intake: the
    whole `grade` command died."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zipped:
        zipped.writestr(intake.OTTER_ZIP_NAME, "backprop_2026_11_30T10_00_00_000000.zip")
        zipped.writestr("backprop.ipynb", NB)
    data = bytearray(buffer.getvalue())
    data[data.find(b"backprop_2026")] ^= 0x20
    touch(tmp_path / "class" / "eve.zip", bytes(data))
    touch(tmp_path / "class" / "ann.ipynb")
    found = discover(tmp_path, tmp_path / "class")
    rows = {row.path.rsplit("!", 1)[-1]: row for row in found.rows}
    assert "unreadable (BadZipFile)" in rows[intake.OTTER_ZIP_NAME].reason
    assert by_name(found)["eve"].path and by_name(found)["ann"].path


def test_a_name_with_thousands_of_digits_is_a_plain_name_not_a_lost_class(tmp_path):
    """int() of a 5,000-digit submission id or resubmission number (a zip member's name) raised
    ValueError out of the intake: the whole `grade` command stopped."""
    with zipfile.ZipFile(touch(tmp_path / "class" / "zed.zip", b""), "w") as zipped:
        zipped.writestr("backprop-" + "9" * 5000 + ".ipynb", NB)
        zipped.writestr("doe_1_" + "9" * 5000 + "_backprop.ipynb", NB)
    touch(tmp_path / "class" / "ann.ipynb")
    found = discover(tmp_path, tmp_path / "class")
    assert by_name(found)["ann"].path
    assert len(found.submissions) == 3


def test_a_zip_of_a_version_zipfile_does_not_know_is_unreadable_not_a_lost_class(tmp_path):
    """A central directory claiming "version 6.7" (one byte flipped in a download does it) raised
    NotImplementedError out of the intake: the whole `grade` command died."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr("backprop.ipynb", NB)
    data = bytearray(buffer.getvalue())
    directory = data.rfind(b"PK\x01\x02")
    data[directory + 6] = 67  # "version needed to extract": 6.7
    touch(tmp_path / "class" / "eve.zip", bytes(data))
    touch(tmp_path / "class" / "ann.ipynb")
    found = discover(tmp_path, tmp_path / "class")
    assert by_name(found)["ann"].path
    assert "not a readable zip (NotImplementedError)" in by_name(found)["eve"].reason


# ---------------------------------------------------------------- 2. known export layouts

def test_canvas_names_late_and_resubmissions_give_one_student_by_user_id(tmp_path):
    base = tmp_path / "canvas"
    touch(base / "doejane_12345_678_backprop.ipynb")
    touch(base / "doejane_12345_678_backprop-1.ipynb")
    touch(base / "smithjo_LATE_222_333_backprop.ipynb")
    otter_zip(touch(base / "leelei_444_555_backprop_2026_11_30T10_00_00_000000.zip", b""))
    found = discover(tmp_path, base)
    names = by_name(found)
    assert sorted(names) == ["doejane_12345", "leelei_444", "smithjo_222"]
    assert names["doejane_12345"].where.endswith("doejane_12345_678_backprop-1.ipynb")
    assert names["smithjo_222"].identity.student_id == "222"
    rows = decisions(found, base)
    assert rows["doejane_12345_678_backprop.ipynb"] == ("doejane_12345", "superseded")
    assert rows["leelei_444_555_backprop_2026_11_30T10_00_00_000000.zip!backprop.ipynb"] == ("leelei_444", "graded")


def test_moodle_folders_and_files_are_named_after_the_participant(tmp_path):
    base = tmp_path / "moodle"
    touch(base / "Jane Doe_4242_assignsubmission_file_" / "backprop.ipynb")
    touch(base / "李雷_77_assignsubmission_file_backprop.ipynb")
    touch(base / "Ann Bo_99_assignsubmission_onlinetext_" / "onlinetext.html", b"<p>hi</p>")
    names = by_name(discover(tmp_path, base))
    assert sorted(names) == ["Ann Bo_99", "Jane Doe_4242", "李雷_77"]
    assert names["Jane Doe_4242"].identity.student_id == "4242"
    assert names["Ann Bo_99"].status == "no notebook"


def test_a_blackboard_file_name_holding_another_attempt_prefix_stays_its_students(tmp_path):
    """Blackboard names a file ASSIGNMENT_USERNAME_attempt_TIME_FILENAME, FILENAME the student's own: alice
    handing in "bob_attempt_2099-01-01-00-00-00_nb.ipynb" was read as bob's (the username taken before
    the last `_attempt_TIME_`), and bob's own file became a name collision, graded for nobody (B43)."""
    base = tmp_path / "blackboard"
    touch(base / "HW1_bob_attempt_2026-12-01-10-00-00_backprop.ipynb")
    touch(base / "HW1_alice_attempt_2026-12-01-11-00-00_bob_attempt_2099-01-01-00-00-00_backprop.ipynb")
    names = by_name(discover(tmp_path, base))
    assert sorted(names) == ["alice", "bob"]
    assert names["bob"].status == "" and names["bob"].where.endswith("HW1_bob_attempt_2026-12-01-10-00-00_backprop.ipynb")
    assert names["alice"].status == "" and names["alice"].identity.original == "bob_attempt_2099-01-01-00-00-00_backprop.ipynb"
    # A 64 KB name of attempt-like parts is still read at once.
    long_name = "HW1_" + "x_attempt_2026-12-01-10-00-00_" * 2000 + "nb.ipynb"
    assert intake.layouts.from_name(long_name).name == "x"


def test_blackboard_attempts_give_one_student_by_username_and_the_latest_counts(tmp_path):
    base = tmp_path / "blackboard"
    touch(base / "Homework 1_jdoe_attempt_2026-11-30-09-15-02_backprop.ipynb")
    touch(base / "Homework 1_jdoe_attempt_2026-11-30-09-15-02.txt", b"Name: Jane Doe (jdoe)\n")
    touch(base / "Homework 1_jdoe_attempt_2026-12-01-21-40-59_backprop (2).ipynb")
    touch(base / "Homework 1_jdoe_attempt_2026-12-01-21-40-59.txt", b"Name: Jane Doe (jdoe)\n")
    touch(base / "Homework 1_b.chen_attempt_2026-11-29-23-59-59_my_backprop.ipynb")
    # A username holding `_` is named by its last part; two such are one name, reported, never merged.
    touch(base / "Homework 1_x_lee_attempt_2026-11-29-10-00-00_backprop.ipynb")
    touch(base / "Homework 1_y_lee_attempt_2026-11-29-10-00-00_backprop.ipynb")
    found = discover(tmp_path, base)
    names = by_name(found)
    assert sorted(names) == ["b.chen", "jdoe", "lee"]
    assert names["jdoe"].where.endswith("2026-12-01-21-40-59_backprop (2).ipynb")
    assert names["jdoe"].identity.login == "jdoe"
    assert names["b.chen"].identity.original == "my_backprop.ipynb"
    assert names["lee"].status == "name collision"
    rows = decisions(found, base)
    assert rows["Homework 1_jdoe_attempt_2026-11-30-09-15-02_backprop.ipynb"] == ("jdoe", "superseded")
    assert rows["Homework 1_jdoe_attempt_2026-11-30-09-15-02.txt"][1] == "skipped"


def test_brightspace_attempts_give_one_student_per_name_when_a_number_is_shared(tmp_path):
    base = tmp_path / "Backprop Download Dec 1, 2026 1030 AM"
    touch(base / "12345-67890 - Jane Doe - Nov 30, 2026 1015 AM - backprop.ipynb")
    touch(base / "12399-67890 - Jane Doe - Dec 1, 2026 915 AM - backprop - final.ipynb")
    touch(base / "12399-67890 - Jane Doe - Dec 1, 2026 915 AM - helper.py")
    touch(base / "12346-67891 - Bo Chen - Nov 30, 2026 1201 PM - backprop.ipynb")
    touch(base / "12347-67892 - Wei Zhang - Nov 30, 2026 1015 AM - backprop.ipynb")
    touch(base / "12348-67893 - Wei Zhang - Nov 30, 2026 1201 PM - backprop.ipynb")
    touch(base / "55-66 - Lee Ann Oh - Sep 29, 2015 4:17 PM" / "backprop.ipynb")  # an older version's folder per attempt
    touch(base / "index.html", b"<html></html>")
    found = discover(tmp_path, base)
    names = by_name(found)
    # Before: every file its own student ("12345-67890 - Jane Doe - Nov 30, 2026 1015 AM - backprop"), Jane Doe twice.
    assert sorted(names) == ["Bo Chen", "Jane Doe", "Lee Ann Oh", "Wei Zhang"]
    rows = decisions(found, base)
    assert rows["12399-67890 - Jane Doe - Dec 1, 2026 915 AM - backprop - final.ipynb"] == ("Jane Doe", "graded")
    assert rows["12345-67890 - Jane Doe - Nov 30, 2026 1015 AM - backprop.ipynb"] == ("Jane Doe", "superseded")
    assert rows["12399-67890 - Jane Doe - Dec 1, 2026 915 AM - helper.py"] == ("Jane Doe", "superseded")
    assert rows["index.html"][1] == "skipped"
    # Two numbers that share nothing: two students of one name, or nobody can tell. Never merged.
    assert names["Wei Zhang"].status == "name collision" and "Brightspace" in names["Wei Zhang"].reason
    assert names["Lee Ann Oh"].status == "" and names["Bo Chen"].path


def test_a_name_without_an_id_matches_the_one_roster_row_of_that_name(tmp_path):
    rows = roster.read(touch(tmp_path / "d2l.csv", (
        "OrgDefinedId,Username,Last Name,First Name,Email,End-of-Line Indicator\n"
        "1001,#jdoe,Doe,Jane,jdoe@example.edu,#\n"
        "1002,#wzhang1,Zhang,Wei,wz1@example.edu,#\n"
        "1003,#wzhang2,Zhang,Wei,wz2@example.edu,#\n"
    ).encode()))
    matcher = roster.Matcher(rows)
    assert matcher.match(unicodedata.normalize("NFD", "jane  DOE"))["email"] == "jdoe@example.edu"
    assert matcher.match("Wei Zhang") is None  # two rows of that name: neither
    assert matcher.match("Jane Doe", student_id="77") is None  # an export's id is never overridden by a name


def test_gradescope_metadata_names_the_submitters(tmp_path):
    base = tmp_path / "gradescope"
    touch(base / "submission_101" / "backprop.ipynb")
    touch(base / "submission_102" / "backprop.ipynb")
    touch(base / "submission_metadata.yml", """\
submission_101:
  :submitters:
  - :name: Ana Lima
    :sid: '9001'
    :email: ana@example.edu
  :created_at: 2026-11-30 10:00:00.000000000 -08:00
  :score: 0.0
submission_102:
  :submitters:
  - :name: Bo Chen
    :sid:
    :email: bo@example.edu
  :created_at: 2026-11-30 11:00:00.000000000 -08:00
""".encode())
    found = discover(tmp_path, base)
    names = by_name(found)
    assert sorted(names) == ["Ana Lima_9001", "Bo Chen_bo@example.edu"]
    assert names["Ana Lima_9001"].identity.student_id == "9001"
    assert names["Bo Chen_bo@example.edu"].identity.email == "bo@example.edu"
    assert decisions(found, base)["submission_metadata.yml"][1] == "skipped"


def test_gradescope_metadata_that_is_not_yaml_is_reported(tmp_path):
    base = tmp_path / "gradescope"
    touch(base / "submission_101" / "backprop.ipynb")
    touch(base / "submission_metadata.yml", b"!!python/object:os.system ['true']\n")
    found = discover(tmp_path, base)
    assert sorted(by_name(found)) == ["submission_101"]
    assert "not used" in next(r.reason for r in found.rows if r.path.endswith(".yml"))


# ---------------------------------------------------------------- 3. identity

def test_names_are_faithful_unique_and_never_depend_on_other_files(tmp_path):
    files = ["李雷.ipynb", "José.ipynb", "Josè.ipynb", "bob .ipynb", "bob.ipynb", "dup-2.ipynb", "dup.ipynb", "dup_.ipynb"]
    base = tmp_path / "class"
    for name in files:
        touch(base / name)
    names = by_name(discover(tmp_path, base))
    assert sorted(names) == sorted(os.path.splitext(n)[0] for n in files)
    stems = {file_stem(name) for name in names}
    assert len(stems) == len(files) and all(len(s.encode()) <= 100 for s in stems)
    assert file_stem("bob") == "bob" and file_stem("dup-2") == "dup-2" and file_stem("bob ") != "bob"
    # Alone, or with a third file added, every file keeps its name.
    for name in files:
        alone = tmp_path / f"alone-{files.index(name)}"
        touch(alone / name)
        touch(alone / "zed.ipynb")
        assert os.path.splitext(name)[0] in by_name(discover(tmp_path, alone))


def test_two_files_with_one_name_are_a_collision_with_both_paths(tmp_path):
    base = tmp_path / "class"
    touch(base / unicodedata.normalize("NFC", "José.ipynb"))
    touch(base / unicodedata.normalize("NFD", "José.ipynb"))
    touch(base / "ola.ipynb")
    touch(base / "ola" / "backprop.ipynb")
    found = discover(tmp_path, base)
    names = by_name(found)
    assert names["José"].status == names["ola"].status == "name collision"
    # Both places, told apart: before, the reason named "class/José.ipynb" twice.
    first, second = names["José"].where.split(" and ")
    assert first != second and "another entry shown alike: 'Jos\\xe9.ipynb'" in second
    assert str(base / "ola.ipynb") in names["ola"].reason and str(base / "ola") in names["ola"].reason
    assert not names["ola"].path
    assert {d for s, d in decisions(found, base).values() if s in ("José", "ola")} == {"skipped"}


def test_a_hashed_looking_name_cannot_take_another_students_files():
    assert file_stem("bob ") != file_stem(file_stem("bob "))


def test_names_differing_in_case_only_never_share_a_file_where_case_is_not_told_apart():
    """Two students "Alice" and "alice" wrote feedback/Alice.md and feedback/alice.md: one file on
    macOS or Windows (or a zip of the output opened there), one student's feedback lost."""
    names = ["Alice", "alice", "ALICE", "Bob-0123456789", "bob-0123456789"]
    stems = [file_stem(name) for name in names]
    assert len({stem.casefold() for stem in stems}) == len(names) and file_stem("alice") == "alice"


# ---------------------------------------------------------------- 4. safe reading

def test_links_fifos_and_devices_are_never_followed_or_read(tmp_path):
    base = tmp_path / "class"
    touch(base / "real.ipynb")
    os.symlink(ROOT / "solutions" / "layers.py", base / "cheat.py")
    os.symlink("/proc/kmsg", base / "kmsg.ipynb")
    (tmp_path / "elsewhere").mkdir()
    touch(tmp_path / "elsewhere" / "backprop.ipynb")
    os.symlink(tmp_path / "elsewhere", base / "linked")
    os.mkfifo(base / "pipe.ipynb")
    found = discover(tmp_path, base)
    rows = {row.path.rsplit("/", 1)[-1]: row for row in found.rows}
    for name in ("cheat.py", "kmsg.ipynb", "linked"):
        assert (rows[name].decision, rows[name].reason) == ("skipped", intake.SYMLINK)
    assert (rows["pipe.ipynb"].decision, rows["pipe.ipynb"].reason) == ("skipped", intake.NOT_REGULAR)
    assert sorted(by_name(found)) == ["real"]
    with pytest.raises(intake.Unreadable, match="symbolic link"):
        intake.read_submission_file(base / "cheat.py")
    with pytest.raises(intake.Unreadable, match="not a regular file"):
        intake.read_submission_file(base / "pipe.ipynb")


def test_a_sparse_64_gb_file_is_refused_by_its_size_before_any_read(tmp_path):
    huge = tmp_path / "huge.ipynb"
    with open(huge, "wb") as out:
        out.truncate(64 * 1024 ** 3)
    with pytest.raises(intake.Unreadable, match="65536 MB, over the 256 MB limit"):
        intake.read_submission_file(huge)
    assert intake.file_digest(huge) == ""


def test_a_file_that_grows_while_it_is_read_is_refused_at_the_limit_and_says_so(tmp_path, monkeypatch):
    """Its stat said it was within the limit when opened (a writer appending to it): the reason was
    "the file is 256 MB, over the 256 MB limit"."""
    growing = touch(tmp_path / "growing.ipynb", b" " * (3 * 1024 ** 2))
    stat_of = intake.os.fstat
    monkeypatch.setattr(intake.os, "fstat", lambda descriptor: os.stat_result((*stat_of(descriptor)[:6], 10, *stat_of(descriptor)[7:])))
    with pytest.raises(intake.Unreadable, match="^the file grew past the 2 MB limit while it was read$"):
        intake.read_submission_file(growing, 2 * 1024 ** 2)


def test_long_control_and_non_utf8_names_are_shown_escaped(tmp_path):
    base = tmp_path / "class"
    long_name = "a" * 243 + ".ipynb"
    touch(base / long_name)
    touch(os.fsencode(base) + b"/caf\xe9.ipynb")
    touch(base / "tab\there.ipynb")
    names = by_name(discover(tmp_path, base))
    assert sorted(names) == ["a" * 243, "caf\\xe9", "tab\\there"]
    assert intake.read_submission_file(names["caf\\xe9"].path) == NB
    assert all(len(file_stem(name).encode()) < 100 for name in names)


# ---------------------------------------------------------------- 5. roster

def test_roster_reads_canvas_gradebook_export_and_matches_by_id_email_or_login(tmp_path):
    path = touch(tmp_path / "roster.csv", (
        "Student,ID,SIS User ID,SIS Login ID,Section,Backprop Lab (7)\n"
        "    Points Possible,,,,,100\n"
        "\"Doe, Jane\",12345,S1,jdoe,A,\n"
        "Bo Chen,999,S2,bchen,B,\n"
    ).encode("utf-8-sig"))
    rows = roster.read(path)
    assert [(r["id"], r["name"], r["login"]) for r in rows] == [("12345", "Doe, Jane", "jdoe"), ("999", "Bo Chen", "bchen")]
    assert rows[0]["extra"]["Section"] == "A"
    matcher = roster.Matcher(rows)
    assert matcher.match("doejane_12345", student_id="12345")["id"] == "12345"
    assert matcher.match("bchen")["id"] == "999"
    assert matcher.match("someone", email="nobody@example.edu") is None
    worksheet = roster.read(touch(tmp_path / "worksheet.csv", (
        "Identifier,Full name,Email address,Status,Grade\n"
        "Participant 4242,Jane Doe,jane@example.edu,Submitted,\n"
    ).encode()))
    assert [(r["id"], r["name"], r["email"]) for r in worksheet] == [("4242", "Jane Doe", "jane@example.edu")]
    assert roster.Matcher(worksheet).match("Jane Doe_4242", student_id="4242")["email"] == "jane@example.edu"
    with pytest.raises(ValueError, match="no `id` or `login` column"):
        roster.read(touch(tmp_path / "bad.csv", b"name,email\nx,y\n"))


def test_roster_reads_blackboard_grade_center_download_utf16_tab_separated(tmp_path):
    path = touch(tmp_path / "gc_download.xls", (
        '"Last Name"\t"First Name"\t"Username"\t"Student ID"\t"Last Access"\t"Availability"\t"HW1 [Total Pts: 100 Score] |77"\n'
        '"Doe"\t"Jane"\t"jdoe"\t""\t"2026-11-30"\t"Yes"\t""\n'
        '"Chen"\t"Bo"\t"bchen"\t"S42"\t"2026-11-30"\t"Yes"\t""\n'
    ).encode("utf-16"))
    rows = roster.read(path)
    assert [(r["id"], r["name"], r["login"]) for r in rows] == [("jdoe", "Jane Doe", "jdoe"), ("S42", "Bo Chen", "bchen")]
    assert roster.Matcher(rows).match("bchen", login="bchen")["id"] == "S42"
    usernames_only = roster.read(touch(tmp_path / "usernames.csv", b"Username,Section\njdoe,A\n"))
    assert [(r["id"], r["login"]) for r in usernames_only] == [("jdoe", "jdoe")]


# ---------------------------------------------------------------- end to end: grades.csv, intake.csv, exports

def read_csv(path):
    return list(csv.DictReader(io.StringIO(Path(path).read_text())))


def test_a_canvas_class_from_download_to_export(tmp_path):
    download = tmp_path / "submissions"
    sf.write(download, "doejane_12345_678_backprop", sf.notebook())
    sf.write(download, "doejane_12345_678_backprop-1", sf.notebook())
    sf.write(download, "chenbo_LATE_999_679_backprop", sf.notebook({"dropout_backward": sf.source(sf.MISTAKES["dropout_no_rescale"][1])}))
    sf.write(download, "=cmd_31_680_backprop", sf.notebook())
    sf.write(download, "a" * 243, sf.notebook())  # 249 characters with .ipynb
    with open(os.fsencode(download) + b"/x\xff.ipynb", "wb") as out:
        out.write(b"not json")
    with open(download / "huge.ipynb", "wb") as out:
        out.truncate(64 * 1024 ** 3)
    os.symlink(ROOT / "solutions" / "layers.py", download / "layers.py")
    (download / "pipe.ipynb").parent.mkdir(exist_ok=True)
    os.mkfifo(download / "pipe.ipynb")
    roster_csv = touch(tmp_path / "roster.csv", (
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        "\"Doe, Jane\",12345,S1,jdoe,A\n"
        "Bo Chen,999,S2,bchen,B\n"
        "Cy Dee,555,S3,cdee,B\n"
    ).encode())
    out = tmp_path / "out"
    process = run_cli("grade", download, "--out", out, "--salt", SALT, "--jobs", "1", "--roster", roster_csv)
    assert process.returncode == 0, process.stderr
    assert "skipped" in process.stdout and "layers.py: a symbolic link" in process.stdout
    grades = {row["student_id"] or row["submission"]: row for row in read_csv(out / "grades.csv")}
    assert grades["12345"]["submission"] == "doejane_12345" and grades["12345"]["total"] == "100"
    assert grades["12345"]["status"] == "graded"
    assert grades["555"]["status"] == "missing" and grades["555"]["total"] == ""
    assert (grades["31"]["submission"], grades["31"]["status"]) == ("'=cmd_31", "graded, not in roster")
    assert grades["999"]["status"] == "graded" and grades["999"]["total"] == "91"
    assert grades["huge"]["status"] == "unreadable, not in roster" and grades["huge"]["total"] == "0"
    assert grades["x\\xff"]["status"] == "unreadable, not in roster"
    intake_rows = read_csv(out / "intake.csv")
    assert len(intake_rows) == 9
    assert grades["a" * 243]["total"] == "100"
    decision = {row["path"].rsplit("/", 1)[-1]: row["decision"] for row in intake_rows}
    assert decision["doejane_12345_678_backprop.ipynb"] == "superseded"
    assert decision["doejane_12345_678_backprop-1.ipynb"] == "graded"
    assert decision["layers.py"] == decision["pipe.ipynb"] == "skipped"
    with closing(sqlite3.connect(out / "gradebook.sqlite")) as db:
        path = json.loads(db.execute("SELECT result FROM gradings WHERE submission = 'doejane_12345'").fetchone()[0])["path"]
    assert path == str(download / "doejane_12345_678_backprop-1.ipynb")
    unreadable = "x\\xff"
    assert feedback.plain(unreadable) in (out / "feedback" / f"{file_stem(unreadable)}.md").read_text()

    # A second folder into the same --out: grades.csv keeps the first.
    late = tmp_path / "late"
    sf.write(late, "cydee_555_700_backprop", sf.notebook())
    assert run_cli("grade", late, "--out", out, "--salt", SALT, "--jobs", "1").returncode == 0
    grades = {row["student_id"] or row["submission"]: row for row in read_csv(out / "grades.csv")}
    assert grades["555"]["status"] == "graded" and grades["12345"]["total"] == "100"

    assert run_cli("export", out, "--format", "canvas", "--column", "Backprop Lab (77)").returncode == 0
    canvas = read_csv(out / "export-canvas.csv")
    assert list(canvas[0]) == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Backprop Lab (77)"]
    jane = next(row for row in canvas if row["ID"] == "12345")
    assert (jane["Student"], jane["SIS User ID"], jane["SIS Login ID"], jane["Section"], jane["Backprop Lab (77)"]) == \
        ("Doe, Jane", "S1", "jdoe", "A", "100")
    assert run_cli("export", out, "--format", "moodle").returncode == 0
    assert list(read_csv(out / "export-moodle.csv")[0]) == ["Email address", "ID number", "Full name", "Backprop Lab"]
    assert run_cli("export", out, "--format", "csv").returncode == 0
    plain = {row["id"] or row["submission"]: row for row in read_csv(out / "export-csv.csv")}
    assert (plain["12345"]["name"], plain["12345"]["total"], plain["12345"]["max_total"]) == ("Doe, Jane", "100", "100")
    assert plain["huge"]["status"] == "unreadable, not in roster"


def test_every_roster_student_is_one_row_of_every_export_even_when_handed_in_twice(tmp_path):
    download = tmp_path / "download"
    touch(download / "canvas" / "doejane_12345_678_backprop.ipynb", b"")  # unreadable: graded at once, no sandbox
    touch(download / "late" / "jdoe.ipynb", b"")  # the same student, emailed late and named by login
    touch(download / "late" / "cdee.ipynb", b"")
    roster_csv = touch(tmp_path / "roster.csv", (
        "Student,ID,SIS User ID,SIS Login ID,Section,Email\n"
        "\"Doe, Jane\",12345,S1,jdoe,A,jdoe@example.edu\n"
        "Cy Dee,555,S3,cdee,B,cdee@example.edu\n"
        "Al Bo,556,S4,abo,B,abo@example.edu\n"
    ).encode())
    out = tmp_path / "out"
    process = run_cli("grade", download / "canvas", download / "late", "--out", out, "--salt", SALT, "--jobs", "1",
                      "--roster", roster_csv)
    assert process.returncode == 0, process.stderr
    grades = read_csv(out / "grades.csv")
    assert sorted(row["submission"] for row in grades if row["student_id"] == "12345") == ["doejane_12345", "jdoe"]
    for kind, column in (("canvas", "ID"), ("moodle", "Email address"), ("blackboard", "Username"), ("csv", "id")):
        process = run_cli("export", out, "--format", kind)
        assert process.returncode == 0, process.stderr
        ids = [row[column] for row in read_csv(out / f"export-{kind}.csv")]
        assert len(ids) == len(set(ids)) == 3, (kind, ids)  # before: Jane Doe twice, each with her own 0
        assert "12345 (doejane_12345, jdoe)" in process.stdout
    plain = {row["id"]: row for row in read_csv(out / "export-csv.csv")}
    assert (plain["12345"]["total"], plain["12345"]["status"]) == ("", "several submissions: doejane_12345, jdoe")
    assert (plain["555"]["total"], plain["556"]["status"]) == ("0", "missing")


def test_a_regrade_leaves_results_and_feedback_matching_the_gradebook_and_nothing_else_touched(tmp_path):
    download = tmp_path / "download"
    touch(download / "Alice.ipynb", b"")  # unreadable: graded at once, no sandbox
    touch(download / "bob.ipynb", b"")
    out = tmp_path / "out"
    assert run_cli("grade", download, "--out", out, "--salt", SALT, "--jobs", "1").returncode == 0
    alice = file_stem("Alice")
    # What an older version wrote for Alice, under the name it gave (before names with capitals were hashed).
    (out / "feedback" / "Alice.md").write_bytes((out / "feedback" / f"{alice}.md").read_bytes())
    (out / "results" / "Alice.json").write_bytes((out / "results" / f"{alice}.json").read_bytes())
    touch(out / "feedback" / "Alice.html", b"<!DOCTYPE html>\n<html><head><title>Alice: feedback</title></head></html>\n")
    # The instructor's own files, and a link to a file like the grader's: never removed.
    touch(out / "feedback" / "notes.md", b"# Notes\nsend on Friday\n")
    touch(out / "feedback" / "Alice.txt", b"kept")
    touch(out / "results" / "summary.json", b'{"class": "CS101"}')
    touch(tmp_path / "elsewhere.md", (out / "feedback" / "bob.md").read_bytes())
    os.symlink(tmp_path / "elsewhere.md", out / "feedback" / "carol.md")
    (download / "bob.ipynb").unlink()  # bob left the class: his grading stays in the gradebook, and his files
    process = run_cli("grade", download, "--out", out, "--salt", SALT, "--jobs", "1")
    assert process.returncode == 0, process.stderr
    assert "removed 3 file(s)" in process.stdout
    graded = {row["submission"] for row in read_csv(out / "grades.csv")}
    assert graded == {"Alice", "bob"}
    assert sorted(os.listdir(out / "results")) == sorted([f"{alice}.json", "bob.json", "summary.json"])
    assert sorted(os.listdir(out / "feedback")) == sorted([f"{alice}.md", "bob.md", "notes.md", "Alice.txt", "carol.md"])
    assert (tmp_path / "elsewhere.md").exists()


def test_the_output_folder_inside_a_path_is_not_a_student(tmp_path):
    base = tmp_path / "class"
    touch(base / "amy.ipynb")
    touch(base / "out" / "feedback" / "amy.md", b"# amy")
    found = intake.discover([base], base / "out" / ".intake", base / "out")
    assert sorted(by_name(found)) == ["amy"]
    assert decisions(found, base)["out"] == ("", "skipped")


def test_a_path_named_on_the_command_line_may_be_a_link_but_nothing_under_it_is_followed(tmp_path):
    real = touch(tmp_path / "real" / "pam.ipynb")
    os.symlink(real, tmp_path / "given.ipynb")
    found = discover(tmp_path, tmp_path / "given.ipynb")
    assert [(f.name, f.path) for f in found.submissions] == [("given", str(real))]


def test_a_zip_that_cannot_be_read_makes_its_student_unreadable(tmp_path):
    base = tmp_path / "class"
    touch(base / "quinn.zip", b"PK\x03\x04 not really a zip")
    found = discover(tmp_path, base)
    quinn = by_name(found)["quinn"]
    assert quinn.status == "unreadable" and "not a readable zip" in quinn.reason
    assert decisions(found, base) == {"quinn.zip": ("quinn", "skipped")}


def test_a_gradescope_group_submission_is_every_submitters_grade(tmp_path):
    export = tmp_path / "assignment_123_export"
    sf.write(export / "submission_101", "backprop", sf.notebook())
    touch(export / "submission_metadata.yml", """\
submission_101:
  :submitters:
  - :name: Ana Lima
    :sid: '9001'
    :email: ana@example.edu
  - :name: Bo Chen
    :sid: '9002'
    :email: bo@example.edu
  :created_at: 2026-11-30 10:00:00.000000000 -08:00
""".encode())
    roster_csv = touch(tmp_path / "roster.csv", b"id,name,email\n9001,Ana Lima,ana@example.edu\n9002,Bo Chen,\n9003,Cy Dee,cy@example.edu\n")
    out = tmp_path / "out"
    process = run_cli("grade", export, "--out", out, "--salt", SALT, "--jobs", "1", "--roster", roster_csv)
    assert process.returncode == 0, process.stderr
    rows = [(r["submission"], r["student_id"], r["status"], r["total"]) for r in read_csv(out / "grades.csv")]
    assert rows == [("Ana Lima_9001", "9001", "graded", "100"), ("Ana Lima_9001", "9002", "graded", "100"),
                    ("", "9003", "missing", "")]
    assert run_cli("export", out, "--format", "moodle").returncode == 0
    moodle = [(r["Email address"], r["ID number"], r["Full name"], r["Backprop Lab"]) for r in read_csv(out / "export-moodle.csv")]
    assert moodle == [("ana@example.edu", "9001", "Ana Lima", "100"), ("bo@example.edu", "9002", "Bo Chen", "100"),
                      ("cy@example.edu", "9003", "Cy Dee", "")]


def test_a_zip_of_too_many_entries_is_refused_before_they_are_listed(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_ZIP_MEMBERS", 3)
    archive = tmp_path / "class" / "rae.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zipped:
        for number in range(4):
            zipped.writestr(f"f{number}.txt", b"x")
    rae = by_name(discover(tmp_path, archive.parent))["rae"]
    assert rae.status == "unreadable" and "over 3 entries" in rae.reason


def test_gradescope_metadata_built_of_aliases_is_read_in_bounded_time(tmp_path):
    base = tmp_path / "gradescope"
    touch(base / "submission_101" / "backprop.ipynb")
    laughs = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    laughs += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)]
    touch(base / "submission_metadata.yml", ("\n".join(laughs) + """
submission_101:
  :submitters:
  - :name: *i
    :sid: '9001'
""").encode())
    assert sorted(by_name(discover(tmp_path, base))) == ["student_9001"]


def test_a_zip_named_on_the_command_line_is_a_class_or_one_students_export(tmp_path):
    canvas = tmp_path / "submissions.zip"
    with zipfile.ZipFile(canvas, "w") as zipped:
        zipped.writestr("doejane_12345_678_backprop.ipynb", NB)
    assert sorted(by_name(discover(tmp_path, canvas))) == ["doejane_12345"]
    export = otter_zip(tmp_path / "sam.zip")
    found = discover(tmp_path, export)
    assert sorted(by_name(found)) == ["sam"]
    assert decisions(found, tmp_path)["sam.zip!backprop.ipynb"] == ("sam", "graded")


def test_a_long_member_name_is_cut_with_a_mark_in_intake_csv_and_the_summary(tmp_path):
    """A 20 KB zip member name made a 20 KB cell of intake.csv and a 20 KB line of the
    terminal's summary: every name shown is bounded, its head and tail kept around a mark."""
    from autograder import cli

    archive = tmp_path / "class" / "mallory.zip"
    archive.parent.mkdir()
    long_name = "a" * 20000 + ".txt"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(long_name, "not a notebook")
        zipped.writestr("backprop.ipynb", NB)
    found = discover(tmp_path, archive.parent)
    intake.write_intake_csv(tmp_path / "intake.csv", found.rows)
    cells = [cell for row in csv.reader(open(tmp_path / "intake.csv", newline="")) for cell in row]
    assert max(map(len, cells)) <= intake.SHOWN_LIMIT + 60
    (cell,) = [cell for cell in cells if "characters left out" in cell]
    assert cell.endswith("aaa.txt") and "mallory.zip!" in cell
    lines = cli.intake_tally(found)[3]
    assert lines and max(map(len, lines)) <= 2 * intake.SHOWN_LIMIT + 200
    assert any("characters left out" in line for line in lines)


def test_a_blackboard_class_from_download_to_grade_center_upload(tmp_path):
    download = tmp_path / "gradebook_HW1"
    sf.write(download, "HW1_jdoe_attempt_2026-11-30-09-15-02_backprop", sf.notebook())
    sf.write(download, "HW1_bchen_attempt_2026-11-30-10-00-00_backprop", sf.notebook({"dropout_backward": sf.source(sf.MISTAKES["dropout_no_rescale"][1])}))
    sf.write(download, "HW1_zed_attempt_2026-11-30-11-00-00_backprop", sf.notebook())
    touch(download / "HW1_jdoe_attempt_2026-11-30-09-15-02.txt", b"Name: Jane Doe (jdoe)\n")
    roster_file = touch(tmp_path / "gc.xls", (
        '"Last Name"\t"First Name"\t"Username"\t"Student ID"\n'
        '"Doe"\t"Jane"\t"jdoe"\t""\n"Chen"\t"Bo"\t"bchen"\t"S42"\n"Dee"\t"Cy"\t"cdee"\t""\n'
    ).encode("utf-16"))
    out = tmp_path / "out"
    process = run_cli("grade", download, "--out", out, "--salt", SALT, "--jobs", "1", "--roster", roster_file)
    assert process.returncode == 0, process.stderr
    assert run_cli("export", out, "--format", "blackboard", "--column", "HW1").returncode == 0
    text = (out / "export-blackboard.csv").read_text()
    assert text.splitlines()[0] == '"Last Name","First Name","Username","Student ID","HW1"'
    upload = {row["Username"]: row for row in read_csv(out / "export-blackboard.csv")}
    assert (upload["jdoe"]["Last Name"], upload["jdoe"]["First Name"], upload["jdoe"]["Student ID"], upload["jdoe"]["HW1"]) == \
        ("Doe", "Jane", "", "100")
    assert (upload["bchen"]["Student ID"], upload["bchen"]["HW1"]) == ("S42", "91")
    assert upload["cdee"]["HW1"] == ""  # on the roster, nothing handed in: no grade, never a 0
    assert upload["zed"]["HW1"] == "100"  # not on the roster: the download's username


def test_a_folder_not_looked_into_is_its_students_reason_not_no_notebook(tmp_path, monkeypatch):
    """A student's notebook under a folder too deep, or in a folder that could not be listed (its
    permissions, as a grader not run as root meets them): the student was told "no notebook (.ipynb)
    or Python file (.py) was found", which was false."""
    base = tmp_path / "class"
    touch(base / "deep" / os.path.join(*["d"] * (intake.MAX_DEPTH + 2)) / "backprop.ipynb")
    touch(base / "locked" / "backprop.ipynb")
    touch(base / "empty" / "notes.txt", b"x")
    listing = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied")
        return listing(path)

    monkeypatch.setattr(intake.os, "scandir", scandir)
    found = by_name(discover(tmp_path, base))
    assert found["deep"].status == found["locked"].status == "unreadable"
    assert found["deep"].reason.endswith(f"/d was not looked into: a folder deeper than {intake.MAX_DEPTH} levels")
    assert found["locked"].reason == f"{intake.shown(base)}/locked was not looked into: could not list the folder: Permission denied"
    assert found["empty"].status == "no notebook"
