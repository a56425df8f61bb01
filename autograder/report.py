"""The class report (report.html) of an assignment graded into a folder,
and its students' feedback pages, rendered from the result records the
gradebook holds (gradebook.read_history: the one reader of stored results).

`write_report(out_dir)` writes, for each assignment graded into out_dir, one
self-contained report.html (inline CSS, plots embedded as base64 PNG data
URIs, no scripts, nothing fetched from anywhere) and feedback/NAME.html for
each submission (pages.feedback_page, from its latest result). The class
statistics use the latest grading of each submission; the regrade section
uses every grading. The figures are plots.py's, the HTML pages.py's.

Submission names, messages, notes and printed output come from student code:
every string goes through pages.e (html.escape) on its way into a page.
"""

import re
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

from autograder import atomic, feedback, gradebook
from autograder.intake import file_stem
from autograder.pages import REPORT_CSS, e, feedback_page, page
from autograder.plots import histogram_plot, mistakes_plot, questions_plot

# Question statuses that mean the grader could not grade the question normally.
PROBLEM_STATUSES = ("crashed", "timeout", "error", "missing")
# Notes (about running the notebook) that mean a cell hung or the worker died.
PROBLEM_NOTE = re.compile(
    r"time limit|timed out|time budget|timeout|stopped the worker|worker stopped|stopped answering"
    r"|could not be loaded|process failed|grader failed",
    re.IGNORECASE,
)
MISTAKES_PER_QUESTION = 5

def _first_line(text, limit=300):
    line = (str(text).strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---------------------------------------------------------------- reading


# ---------------------------------------------------------------- sections


def _table(header, rows, classes="", numeric=()):
    """header: [html], rows: [[html]]; every cell is already escaped by the caller.
    Columns whose index is in `numeric` are right-aligned."""

    def cell(tag, index, content):
        return f'<{tag} class="num">{content}</{tag}>' if index in numeric else f"<{tag}>{content}</{tag}>"

    head = "".join(cell("th", i, c) for i, c in enumerate(header))
    body = "\n".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def _score_cell(score, max_score):
    fraction = score / max_score if max_score else 0.0
    kind = "full" if fraction >= 1 - 1e-9 else ("zero" if score <= 0 else "part")
    return f'<span class="score {kind}">{e(f"{score:g}")}</span>'


def _functions(latest):
    """Question functions in the order they were graded, with title and max points."""
    found = {}
    for grading in latest:
        for q in grading.result.questions:
            found.setdefault(q.function, (q.title, q.max_score))
    return found


def summary_section(latest, history):
    totals = [g.result.score for g in latest]
    max_total = max((g.result.max_score for g in latest), default=0)
    items = [("submissions", str(len(latest)))]
    if totals:
        items += [
            ("mean", f"{statistics.fmean(totals):.3g}"),
            ("median", f"{statistics.median(totals):.3g}"),
            ("min", f"{min(totals):g}"),
            ("max", f"{max(totals):g}"),
            ("full marks", str(sum(1 for t in totals if t >= max_total - 1e-9))),
        ]
    cards = "".join(f'<div class="stat"><div class="value">{e(v)}</div><div class="label">{e(k)}</div></div>'
                    for k, v in items)
    gradings = sum(len(g) for g in history.values())
    isolation = Counter(g.result.isolation for g in latest)
    when = sorted(g.graded_at for g in latest)
    details = (
        f"Totals out of {e(f'{max_total:g}')}; the latest grading of each submission. "
        f"{e(gradings)} grading(s) in the gradebook"
        + (f", from {e(when[0])} to {e(when[-1])}" if when else "")
        + ". Isolation: " + (", ".join(f"{e(k)} ({e(v)})" for k, v in sorted(isolation.items())) or "—") + "."
    )
    return f'<div class="stats">{cards}</div>\n<p class="muted">{details}</p>'


def distribution_section(latest):
    if not latest:
        return "<p>No submissions.</p>"
    totals = [g.result.score for g in latest]
    max_total = max(g.result.max_score for g in latest)
    return histogram_plot(totals, max_total)


def question_stats(latest):
    stats = []
    for function, (title, max_score) in _functions(latest).items():
        scores = [g.scores[function] for g in latest if function in g.scores]
        stats.append({
            "function": function, "title": title, "max": max_score,
            "mean": statistics.fmean(scores), "std": statistics.pstdev(scores),
            "median": statistics.median(scores),
            "full": sum(1 for s in scores if s >= max_score - 1e-9), "zero": sum(1 for s in scores if s <= 0),
            "n": len(scores),
        })
    return stats


def questions_section(latest):
    stats = question_stats(latest)
    if not stats:
        return "<p>No questions graded.</p>"
    rows = [
        [f"<code>{e(s['function'])}</code>", e(s["title"]), e(f"{s['max']:g}"), e(f"{s['mean']:.3g}"),
         e(f"{s['std']:.3g}"), e(f"{s['median']:g}"), e(f"{100 * s['mean'] / s['max']:.0f}%" if s["max"] else "—"),
         e(f"{s['full']}/{s['n']}"), e(f"{s['zero']}/{s['n']}")]
        for s in stats
    ]
    table = _table(["question", "title", "points", "mean", "std. dev.", "median", "mean %", "full marks", "zero"],
                   rows, numeric=range(2, 9))
    return (questions_plot(stats) + "\n" + table
            + '\n<p class="muted">Standard deviation over submissions (population); error bars show ±1 s.d.</p>')


def mistake_counts(latest):
    """[((function, mistake), [submission, ...]), ...], most frequent first."""
    who = defaultdict(set)
    for grading in latest:
        for q in grading.result.questions:
            for found in q.diagnoses:
                who[(q.function, str(found.get("mistake", "")))].add(grading.result.submission)
    return sorted(((key, sorted(names)) for key, names in who.items()), key=lambda item: (-len(item[1]), item[0]))


def mistakes_section(latest):
    counts = mistake_counts(latest)
    if not counts:
        return "<p>No diagnosed mistakes.</p>"
    order = list(_functions(latest))
    by_question = defaultdict(list)
    for key, names in counts:
        by_question[key[0]].append((key[1], names))
    rows = []
    n = len(latest)
    for function in sorted(by_question, key=lambda f: order.index(f) if f in order else len(order)):
        for mistake, names in by_question[function][:MISTAKES_PER_QUESTION]:
            rows.append([f"<code>{e(function)}</code>", e(mistake), e(len(names)), e(f"{100 * len(names) / n:.0f}%"),
                         ", ".join(e(name) for name in names)])
    plot = mistakes_plot([(key, len(names)) for key, names in counts])
    table = _table(["question", "mistake", "submissions", "share", "who"], rows, numeric=(2, 3))
    return plot + "\n" + table


def problems(latest):
    """[(submission, question, status, first line of the message)] for what could not be graded normally."""
    found = []
    for grading in latest:
        result = grading.result
        for q in result.questions:
            if q.status in PROBLEM_STATUSES:
                found.append((result.submission, q.function, q.status, _first_line(q.message)))
        for note in result.notes:
            if PROBLEM_NOTE.search(str(note)):
                found.append((result.submission, "(notebook)", "note", _first_line(note)))
    return found


def problems_section(latest):
    found = problems(latest)
    if not found:
        return "<p>None: every submission ran to the end without a crash, time-out or load error.</p>"
    rows = [[f'<a href="#sub-{e(_anchor(name))}">{e(name)}</a>',
             f"<code>{e(question)}</code>" if question != "(notebook)" else e(question),
             f'<span class="status bad">{e(status)}</span>', e(message)]
            for name, question, status, message in found]
    return _table(["submission", "question", "status", "message"], rows, "problems")


def regrades(history):
    """[(name, previous Grading, latest Grading, number of gradings)] for submissions whose score changed.

    `previous` is the most recent earlier grading whose scores differ from the latest."""
    changed = []
    for name, gradings in history.items():
        latest = gradings[-1]
        key = (latest.result.score, latest.scores)
        previous = next((g for g in reversed(gradings[:-1]) if (g.result.score, g.scores) != key), None)
        if previous is not None:
            changed.append((name, previous, latest, len(gradings)))
    return sorted(changed, key=lambda item: item[0])


def _change(before, after):
    if before is None and after is None:
        return "—"
    if before == after:
        return e(f"{after:g}")
    before_text = "—" if before is None else f"{before:g}"
    after_text = "—" if after is None else f"{after:g}"
    kind = "up" if (after or 0) > (before or 0) else "down"
    return f'<span class="change {kind}">{e(before_text)} → {e(after_text)}</span>'


def regrades_section(history, functions):
    changed = regrades(history)
    if not changed:
        return "<p>No submission's score changed between gradings.</p>"
    rows = []
    for name, previous, latest, count in changed:
        rows.append([e(name), e(count), f"{e(previous.graded_at)}<br>{e(latest.graded_at)}",
                     _change(previous.result.score, latest.result.score)]
                    + [_change(previous.scores.get(f), latest.scores.get(f)) for f in functions])
    header = ["submission", "gradings", "graded (previous / latest)", "total"] + [e(f) for f in functions]
    return (_table(header, rows, numeric=range(1, len(header)))
            + '\n<p class="muted">Previous: the most recent earlier grading with different scores.</p>')


def _anchor(name):
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(name))


def feedback_link(name):
    return f"feedback/{quote(file_stem(str(name)), safe='')}.html"


def submissions_section(latest, functions):
    header = ["submission", "total"] + [f"{e(f)}<br><small>/{e(f'{m:g}')}</small>"
                                        for f, (_, m) in functions.items()] + ["first thing to fix", "feedback"]
    rows = []
    for grading in latest:
        result = grading.result
        name = result.submission
        by_function = {q.function: q for q in result.questions}
        cells = [f'<span id="sub-{e(_anchor(name))}">{e(name)}</span>',
                 _score_cell(result.score, result.max_score)]
        for function, (_, max_score) in functions.items():
            q = by_function.get(function)
            cells.append(_score_cell(q.score, q.max_score) if q else "—")
        headline = feedback.headline(result)
        cells.append(e(headline.split(": ", 1)[1] if ": " in headline else headline))
        cells.append(f'<a href="{e(feedback_link(name))}">feedback</a>')
        rows.append(cells)
    return _table(header, rows, "submissions", numeric=range(1, len(header) - 2))


# ---------------------------------------------------------------- pages

SECTIONS = (
    ("summary", "Summary"),
    ("distribution", "Distribution of totals"),
    ("questions", "Questions"),
    ("mistakes", "Diagnosed mistakes"),
    ("problems", "Problems: crashes, time-outs, load errors"),
    ("regrades", "Regrades"),
    ("submissions", "Submissions"),
)


def render_report(history, source="gradebook.sqlite", title="Class report"):
    """The report page for {submission: [Grading, ...]} (oldest first)."""
    latest = sorted((gradings[-1] for gradings in history.values() if gradings), key=lambda g: g.result.submission)
    functions = _functions(latest)
    contents = {
        "summary": summary_section(latest, history),
        "distribution": distribution_section(latest),
        "questions": questions_section(latest),
        "mistakes": mistakes_section(latest),
        "problems": problems_section(latest),
        "regrades": regrades_section(history, list(functions)),
        "submissions": submissions_section(latest, functions),
    }
    nav = "".join(f'<a href="#{key}">{e(title.split(":")[0])}</a>' for key, title in SECTIONS)
    header = (
        f"<header><h1>{e(title)}: class report</h1>"
        f'<p class="muted">From {e(source)}, written {e(time.strftime("%Y-%m-%d %H:%M"))}.</p>'
        f"<nav>{nav}</nav></header>"
    )
    sections = "\n".join(f'<section id="{key}">\n<h2>{e(title)}</h2>\n{contents[key]}\n</section>'
                         for key, title in SECTIONS)
    return page(f"{title}: class report", header + "\n" + sections, REPORT_CSS)


def write_report(out_dir):
    """Write the report.html of each assignment graded into out_dir, from
    out_dir/gradebook.sqlite, beside its results/ and feedback/ (where each
    submission's feedback page is written too); returns the reports' paths."""
    out = Path(out_dir)
    database = out / "gradebook.sqlite"
    if not database.is_file():
        raise FileNotFoundError(f"no gradebook.sqlite in {out}")
    titles = gradebook.assignment_titles(database)
    paths = []
    for name in gradebook.graded_assignment_names(database):
        folder = gradebook.files_folder(out, name)
        history = gradebook.read_history(database, name)
        write_feedback_pages(folder, history)
        path = folder / "report.html"
        atomic.write_text(path, render_report(history, str(database), titles.get(name) or name))
        paths.append(path)
    return paths


def write_feedback_pages(folder, history):
    """feedback/NAME.html of each submission in `history`, from its latest result."""
    (folder / "feedback").mkdir(parents=True, exist_ok=True)
    for submission, gradings in history.items():
        previous = gradings[-2].result.score if len(gradings) > 1 else None
        atomic.write_text(folder / "feedback" / f"{file_stem(submission)}.html", feedback_page(gradings[-1].result, previous))
