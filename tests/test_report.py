"""The class report (report.html) and the feedback pages (markdown -> HTML).

A real gradebook is made once for the module by grading examples/submissions
with the command line; the tests that need odd content (hostile names, a
regrade, a result from an older schema) add rows to a copy of it.
"""

import base64
import csv
import json
import os
import re
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import feedback, gradebook, report
from autograder.results import Check, QuestionResult, SubmissionResult
from backprop import BACKPROP
from autograder.intake import file_stem

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("summary", "distribution", "questions", "mistakes", "problems", "regrades", "submissions")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
IMAGE = re.compile(r'<img\b[^>]*\bsrc="data:image/png;base64,([A-Za-z0-9+/=]+)"')

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_MESSAGE = "<img src=x onerror=alert(2)>"
HOSTILE_MISTAKE = "<b>forgets</b> & </td></tr></table>"
HOSTILE_NOTE = 'code cell 3 did not finish within the time limit <iframe src="javascript:alert(3)">'


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """An output folder graded from examples/submissions by the real command."""
    out = tmp_path_factory.mktemp("report") / "grades"
    completed = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "examples/submissions", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert (out / "gradebook.sqlite").is_file()
    return out


@pytest.fixture(scope="module")
def page(graded):
    (path,) = report.write_report(graded)
    assert path == graded / "report.html"
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def grades(graded):
    with open(graded / "grades.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def section(html_text, name):
    found = re.search(rf'<section id="{name}">(.*?)</section>', html_text, re.S)
    assert found, f"no section {name}"
    return found.group(1)


def text_of(html_fragment):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_fragment))


# ---------------------------------------------------------------- the report of a real grading run


def test_report_has_every_section_in_order(page):
    positions = [page.find(f'<section id="{name}">') for name in SECTIONS]
    assert all(p >= 0 for p in positions), dict(zip(SECTIONS, positions))
    assert positions == sorted(positions)


def test_plots_are_embedded_png_images(page):
    images = IMAGE.findall(page)
    assert len(images) >= 3
    for data in images:
        assert base64.b64decode(data, validate=True).startswith(PNG_MAGIC)
    for name in ("distribution", "questions", "mistakes"):
        assert IMAGE.search(section(page, name)), f"no plot in {name}"


def test_report_is_self_contained(page):
    assert not re.search(r"""\b(src|href|srcset|action|poster|data)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"<(script|link|iframe|object|embed)\b", page, re.I)
    assert "@import" not in page and "url(" not in page
    for source in re.findall(r'\bsrc="([^"]*)"', page):
        assert source.startswith("data:image/png;base64,")
    for target in re.findall(r'\bhref="([^"]*)"', page):
        assert target.startswith("#") or re.fullmatch(r"feedback/[^/]+\.html", target), target


def test_every_submission_links_to_its_feedback_page(page, grades):
    names = {path.stem for path in (ROOT / "examples" / "submissions").glob("*.ipynb")}
    assert {row["submission"] for row in grades} == names
    table = section(page, "submissions")
    for name in names:
        assert f'href="feedback/{name}.html"' in table, name


def test_summary_numbers_match_grades_csv(page, grades):
    totals = [float(row["total"]) for row in grades]
    summary = text_of(section(page, "summary"))
    assert f"{len(totals)} submissions" in summary
    for label, value in [("mean", statistics.fmean(totals)), ("median", statistics.median(totals)),
                         ("min", min(totals)), ("max", max(totals))]:
        assert f"{value:.3g} {label}" in summary, (label, value, summary)


def test_question_means_and_deviations_match_grades_csv(page, grades):
    table = section(page, "questions")
    functions = [key for key in grades[0] if key not in ("submission", "assignment", "student_id", "status", "total", "max_total")]
    assert functions
    for function in functions:
        scores = [float(row[function]) for row in grades]
        row = re.search(rf"<tr><td><code>{function}</code></td>(.*?)</tr>", table)
        assert row, function
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
        assert cells[2] == f"{statistics.fmean(scores):.3g}", (function, cells)
        assert cells[3] == f"{statistics.pstdev(scores):.3g}", (function, cells)


def test_mistakes_name_the_diagnosed_mistakes_and_who_made_them(page, graded):
    expected = set()
    connection = sqlite3.connect(graded / "gradebook.sqlite")
    for (text,) in connection.execute("SELECT result FROM gradings"):
        result = json.loads(text)
        for question in result["questions"]:
            for found in question["diagnoses"]:
                expected.add((question["function"], found["mistake"], result["submission"]))
    connection.close()
    assert expected, "the example submissions should have diagnosed mistakes"
    mistakes = section(page, "mistakes")
    for function, mistake, name in expected:
        row = re.search(rf"<tr><td><code>{function}</code></td><td>{re.escape(report.e(mistake))}</td>(.*?)</tr>", mistakes)
        assert row and name in row.group(1), (function, mistake, name)


def test_no_problems_or_regrades_in_a_clean_run(page):
    assert "<table" not in section(page, "problems")
    assert "<table" not in section(page, "regrades")


def test_missing_gradebook_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="gradebook.sqlite"):
        report.write_report(tmp_path)


# ---------------------------------------------------------------- odd content: a doctored copy of the gradebook


def _insert(connection, result, graded_at):
    score = sum(c["points"] for q in result["questions"] for c in q["checks"])
    max_score = sum(q["max_score"] for q in result["questions"])
    connection.execute(
        "INSERT INTO gradings (submission, digest, salt_hash, spec_hash, graded_at, score, max_score, isolation, seconds, result)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (result["submission"], result["digest"], "salt", "spec", graded_at, score, max_score,
         result["isolation"], result.get("seconds", 0.0), json.dumps(result)),
    )


@pytest.fixture(scope="module")
def doctored(graded, tmp_path_factory):
    """A copy of the gradebook with a hostile submission (graded twice), a regrade of
    dropout_no_rescale to full marks, and a result stored by an older schema."""
    out = tmp_path_factory.mktemp("doctored")
    shutil.copy(graded / "gradebook.sqlite", out / "gradebook.sqlite")
    connection = sqlite3.connect(out / "gradebook.sqlite")
    results = {name: json.loads(text) for name, text in
               connection.execute("SELECT submission, result FROM gradings ORDER BY id")}

    hostile = json.loads(json.dumps(results["reference"]))
    hostile["submission"] = HOSTILE_NAME
    _insert(connection, hostile, "2026-01-01T00:00:00+0000")  # first grading: full marks
    first = hostile["questions"][0]
    first["status"], first["message"] = "crashed", HOSTILE_MESSAGE + "\nthe second line"
    for check in first["checks"]:
        check["points"], check["passed"], check["message"] = 0.0, False, HOSTILE_MESSAGE
    hostile["questions"][1]["diagnoses"] = [{"mistake": HOSTILE_MISTAKE, "hint": "<script>alert(4)</script>"}]
    hostile["notes"] = [HOSTILE_NOTE]
    _insert(connection, hostile, "2026-01-02T00:00:00+0000")  # latest: dropout crashed

    regraded = json.loads(json.dumps(results["dropout_no_rescale"]))
    for check in regraded["questions"][0]["checks"]:
        check["points"], check["passed"] = check["max_points"], True
    regraded["questions"][0]["diagnoses"] = []
    _insert(connection, regraded, "2026-01-03T00:00:00+0000")

    older = json.loads(json.dumps(results["halfway"]))
    older["submission"] = "older_schema"
    for question in older["questions"]:
        question["output"] = "a field that no longer exists"
    del older["seconds"]
    _insert(connection, older, "2025-12-31T00:00:00+0000")
    connection.commit()
    connection.close()
    (path,) = report.write_report(out)
    return path.read_text(encoding="utf-8")


def test_student_strings_are_escaped(doctored):
    assert not re.search(r"<(script|iframe)\b", doctored, re.I)
    assert "<img src=x" not in doctored and "<b>forgets" not in doctored
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section(doctored, "submissions")
    assert f'href="feedback/{file_stem("<script>alert(1)</script>")}.html"' in doctored
    assert report.e(HOSTILE_MISTAKE) in section(doctored, "mistakes")
    # the tables are intact: the closing tags in the mistake did not end them
    for name in SECTIONS:
        part = section(doctored, name)
        assert part.count("<table") == part.count("</table>") <= 2, name


def test_problems_list_crashes_and_time_out_notes(doctored):
    problems = section(doctored, "problems")
    rows = re.findall(r"<tr>(.*?)</tr>", problems, re.S)[1:]
    hostile_rows = [row for row in rows if "&lt;script&gt;alert(1)" in row]
    assert len(hostile_rows) == 2
    crashed = next(row for row in hostile_rows if "crashed" in row)
    assert "<code>dropout_backward</code>" in crashed
    assert report.e(HOSTILE_MESSAGE) in crashed and "the second line" not in crashed
    noted = next(row for row in hostile_rows if "(notebook)" in row)
    assert "did not finish within the time limit" in noted and "&lt;iframe" in noted


def _points():
    """(the total, dropout_backward's points), from the specs."""
    return BACKPROP.points, BACKPROP.question("dropout_backward").points


def test_regrades_show_previous_and_latest_scores(doctored, graded):
    rows = {text_of(row).split(" ")[1]: row for row in re.findall(r"<tr>(.*?)</tr>", section(doctored, "regrades"), re.S)[1:]}
    assert set(rows) == {"&lt;script&gt;alert(1)&lt;/script&gt;", "dropout_no_rescale"}
    total, dropout = _points()
    (graded_before,) = gradebook.read_history(graded / "gradebook.sqlite", BACKPROP.name)["dropout_no_rescale"]
    before = graded_before.result
    assert f"{before.score:g} → {total:g}" in rows["dropout_no_rescale"]
    assert f"{before.questions[0].score:g} → {dropout:g}" in rows["dropout_no_rescale"]
    assert f"{total:g} → {total - dropout:g}" in rows["&lt;script&gt;alert(1)&lt;/script&gt;"]
    assert f"{dropout:g} → 0" in rows["&lt;script&gt;alert(1)&lt;/script&gt;"]


def test_latest_grading_is_the_one_counted(doctored):
    submissions = section(doctored, "submissions")
    row = re.search(r'id="sub-dropout_no_rescale".*?</tr>', submissions, re.S).group(0)
    total, dropout = _points()
    assert re.findall(r'class="score [a-z]+">([\d.]+)<', row)[:2] == [f"{total:g}", f"{dropout:g}"]
    assert "10 submissions" in text_of(section(doctored, "summary"))


def test_results_from_an_older_schema_are_read(doctored):
    assert "older_schema" in section(doctored, "submissions")


# ---------------------------------------------------------------- the page renders in a browser


def _png_size(data):
    assert data.startswith(PNG_MAGIC) and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
def test_report_renders_in_headless_chromium(graded, page, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (.ci/system-deps installs it where it can)")
    screenshot = tmp_path / "report.png"
    completed = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={screenshot}", "--window-size=1280,2400", (graded / "report.html").resolve().as_uri()],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    data = screenshot.read_bytes()
    assert len(data) > 10_000
    assert _png_size(data) == (1280, 2400)


# ---------------------------------------------------------------- feedback pages, from the results


def _feedback_result(name="alice", case="p = 0.75", message="code cell 10 raised an exception:\n  File \"<cell 10>\"",
                     mistake="keeps the diagonal", note="cell 3 printed:\nfor i in range(3): print(i < 2)"):
    checks = [Check("p = 0.3", "dx", 7.5, 7.5, True, "", 5.5e-17, 1e-10),
              Check(case, "dx", 0.0, 7.5, False, "relative error 6.0e-01", 0.6, 0.6),
              Check("eval mode", "dx", 0.0, 5.0, False, message)]
    question = QuestionResult("dropout_backward", "Dropout", 20.0, "partial", "", checks,
                              [{"mistake": mistake, "hint": "Use the mask."}])
    return SubmissionResult(name, f"{name}.ipynb", "d", "bubblewrap", seconds=0.46, notes=[note], questions=[question])


def test_the_feedback_page_shows_the_result():
    page = report.feedback_page(_feedback_result())
    assert page.startswith("<!DOCTYPE html>") and "<title>alice: feedback</title>" in page
    assert "<h1>alice: 7.5/20 — dropout_backward keeps the diagonal</h1>" in page
    assert "<h2>1. Dropout (<code>dropout_backward</code>)</h2>" in page
    assert "<p><strong>7.5/20</strong> (partial)</p>" in page
    table = re.search(r"<table>(.*?)</table>", page, re.S).group(1)
    assert re.findall(r"<th>(.*?)</th>", table) == ["case", "output", "result", "measured"]
    assert len(re.findall(r"<tr>", table)) == 4
    assert "<td>p = 0.75</td><td><code>dx</code></td><td>FAIL</td>" in table
    assert "<strong>Diagnosis: dropout_backward keeps the diagonal.</strong> Use the mask." in page
    items = re.findall(r"<li>(.*?)</li>", page, re.S)
    assert len(items) == 2  # what went wrong, and the note
    assert "<pre><code>  File &quot;&lt;cell 10&gt;&quot;</code></pre>" in items[0]
    assert "<pre><code>for i in range(3): print(i &lt; 2)</code></pre>" in items[1]
    assert "<em>Graded in 0.46 s; isolation: bubblewrap.</em>" in page
    assert "|---" not in page and "```" not in page and "**" not in page


def test_the_feedback_page_escapes_everything():
    hostile = "<script>alert(1)</script>"
    page = report.feedback_page(_feedback_result(name="<img src=x onerror=alert(2)>", case=hostile,
                                                 message="<iframe src=javascript:alert(4)>\n</code></pre><script>",
                                                 mistake="<b>bold</b>", note="<i>x</i> & more"))
    assert not re.search(r"<(script|iframe|img|b|i)\b", page, re.I)
    assert "<title>&lt;img src=x onerror=alert(2)&gt;: feedback</title>" in page
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in page
    assert "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;" in page and "&lt;i&gt;x&lt;/i&gt; &amp; more" in page


def test_a_feedback_page_for_every_graded_submission(graded):
    history = gradebook.read_history(graded / "gradebook.sqlite", BACKPROP.name)
    assert history
    for name, gradings in history.items():
        result = gradings[-1].result
        page = (graded / "feedback" / f"{file_stem(name)}.html").read_text(encoding="utf-8")
        assert page == report.feedback_page(result, gradings[-2].result.score if len(gradings) > 1 else None)
        assert page.count("<h2>") == len(result.questions) + bool(result.notes), name
        assert page.count("<table>") == sum(not feedback.shows_message(q) for q in result.questions), name
        assert not re.search(r"https?://|<script", page), name


def test_an_empty_gradebook_gives_a_report_without_plots(tmp_path):
    from autograder.gradebook import SCHEMA

    connection = sqlite3.connect(tmp_path / "gradebook.sqlite")
    connection.executescript(SCHEMA)
    connection.close()
    (path,) = report.write_report(tmp_path)
    page = path.read_text(encoding="utf-8")
    assert all(f'<section id="{name}">' in page for name in SECTIONS)
    assert not IMAGE.search(page)
    assert "0 submissions" in text_of(section(page, "summary"))


def test_the_summary_counts_full_marks_summed_from_fractional_points():
    """batchnorm's 25 points are summed from checks of 9 * 3/5 and so on: the gradebook rounds the points
    earned to 25.0 but not the points possible, 25.000000000000004, and the printed summary of a class
    larger than its table counted no full marks for it (0 of 52, all but one full)."""
    from autograder import feedback
    from autograder.results import ScoreRow
    most = sum([9 * 3 / 5, 9 / 5, 9 / 5, 8 * 3 / 5, 8 / 5, 8 / 5, 8 * 3 / 5, 8 / 5, 8 / 5])
    rows = [ScoreRow(f"s{i}", 25.0, 25.0, (("batchnorm_backward", round(most, 6), most),)) for i in range(feedback.SUMMARY_ROWS + 1)]
    line = next(line for line in feedback.summary_table(rows, len(rows)).splitlines() if line.startswith("batchnorm"))
    assert line.split()[-1] == str(len(rows)), line
