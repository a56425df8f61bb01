"""What the instructor reads: the class report (report.html), and the
students' feedback as HTML.

`write_report(out_dir)` reads out_dir/gradebook.sqlite and writes
out_dir/report.html: one self-contained file (inline CSS, plots embedded as
base64 PNG data URIs, no scripts, nothing fetched from anywhere). The class
statistics use the latest grading of each submission; the regrade section
uses every grading.

`feedback_html(markdown_text, title)` turns the markdown that
feedback.markdown() writes into a standalone HTML page. It knows only what
that markdown uses (headings, paragraphs, bold, italics, inline code, fenced
code, bullet lists, pipe tables) and escapes every piece of text before
formatting it, so nothing a student wrote can become markup.

Submission names, messages, notes and printed output come from student code:
every string goes through html.escape on its way into a page. matplotlib is
imported only when a report is written (and uses its Agg canvas directly, not
pyplot), so importing this module stays cheap.
"""

import base64
import html
import io
import json
import os
import re
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

from autograder import feedback, gradebook
from autograder.intake import file_stem
from autograder.results import Check, QuestionResult, SubmissionResult

# Question statuses that mean the grader could not grade the question normally.
PROBLEM_STATUSES = ("crashed", "timeout", "error", "missing")
# Notes (about running the notebook) that mean a cell hung or the worker died.
PROBLEM_NOTE = re.compile(
    r"time limit|timed out|time budget|timeout|stopped the worker|worker stopped|stopped answering"
    r"|could not be loaded|process failed|grader failed",
    re.IGNORECASE,
)
MISTAKES_PER_QUESTION = 5
MISTAKES_IN_CHART = 15
PLOT_WIDTH = 10.3  # inches at 100 px each: the width of the page's column

# Colours shared by the page and the plots.
BLUE, GREY, ORANGE, RED, GREEN = "#3b6ea5", "#d5dbe3", "#d98c2b", "#b8433a", "#3f8f4f"


def e(value):
    """Escape anything for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def _first_line(text, limit=300):
    line = (str(text).strip().splitlines() or [""])[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _write_atomically(path, text):
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# ---------------------------------------------------------------- reading


# ---------------------------------------------------------------- plots


def _figure(width, height):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _style(axes):
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_axisbelow(True)


def _png(figure, alt):
    """The figure as an <img> with a base64 PNG data URI (drawn at 2x for sharp text)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=200, metadata={"Software": None})
    width = int(figure.get_figwidth() * 100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="plot" width="{width}" alt="{e(alt)}" src="data:image/png;base64,{data}">'


def _plain(text):
    """Text for a matplotlib label: no mathtext."""
    return str(text).replace("$", r"\$")


def histogram_plot(totals, max_total):
    figure = _figure(PLOT_WIDTH, 3.4)
    axes = figure.add_subplot()
    top = max_total if max_total > 0 else max(totals + [1.0])
    step = 10 if top >= 50 else max(top / 10, 1)
    edges = [0.0]
    while edges[-1] < top - 1e-9:
        edges.append(min(edges[-1] + step, top))
    axes.hist(totals, bins=edges, color=BLUE, edgecolor="white", linewidth=1.5)
    mean, median = statistics.fmean(totals), statistics.median(totals)
    axes.axvline(mean, color=ORANGE, linewidth=2, label=f"mean {mean:.3g}")
    axes.axvline(median, color=RED, linewidth=2, linestyle="--", label=f"median {median:.3g}")
    axes.set_xlim(0, top)
    axes.set_xticks(edges)
    axes.set_xlabel(f"total score (out of {top:g})")
    axes.set_ylabel("submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="y", color="#e6e6e6")
    axes.legend(frameon=False, loc="upper left")
    _style(axes)
    return _png(figure, "Histogram of total scores")


def questions_plot(stats):
    figure = _figure(PLOT_WIDTH, 3.6)
    axes = figure.add_subplot()
    positions = range(len(stats))
    axes.bar(positions, [s["max"] for s in stats], color=GREY, width=0.65, label="points available")
    axes.bar(positions, [s["mean"] for s in stats], color=BLUE, width=0.65, label="mean score",
             yerr=[s["std"] for s in stats], capsize=6, error_kw={"ecolor": "#333333", "elinewidth": 1.3})
    axes.set_xticks(list(positions), [_plain(f"{s['function']}\nmean {s['mean']:.3g} / {s['max']:g}")
                                      for s in stats])
    axes.set_ylabel("points")
    axes.set_ylim(0, max([s["max"] for s in stats] + [s["mean"] + s["std"] for s in stats] + [1]) * 1.15)
    axes.grid(axis="y", color="#e6e6e6")
    axes.legend(frameon=False, loc="upper left", ncols=2)
    _style(axes)
    return _png(figure, "Mean score per question, with standard deviations")


def mistakes_plot(counts):
    """counts: [((function, mistake), n), ...] most frequent first."""
    shown = counts[:MISTAKES_IN_CHART]
    figure = _figure(PLOT_WIDTH, 0.9 + 0.4 * len(shown))
    axes = figure.add_subplot()
    labels = [_plain(f"{function}: {mistake}") for (function, mistake), _ in shown]
    values = [n for _, n in shown]
    positions = range(len(shown))
    axes.barh(positions, values, color=ORANGE, height=0.6)
    for y, n in zip(positions, values):
        axes.annotate(str(n), (n, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xlabel("submissions")
    axes.set_xlim(0, max(values) * 1.12)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.grid(axis="x", color="#e6e6e6")
    _style(axes)
    return _png(figure, "Most frequent diagnosed mistakes")


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

CSS = """
:root { --blue: %(blue)s; --grey: #f4f6f9; --line: #dfe3e8; --text: #222; --muted: #666; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Helvetica, Arial, sans-serif;
       color: var(--text); background: #fff; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; }
header { border-bottom: 3px solid var(--blue); margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 8px; }
nav { margin: 8px 0 4px; font-size: 14px; }
nav a { margin-right: 14px; }
a { color: var(--blue); text-decoration: none; }
a:hover { text-decoration: underline; }
.muted { color: var(--muted); font-size: 13px; }
.stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.stat { background: var(--grey); border: 1px solid var(--line); border-radius: 6px; padding: 10px 18px; min-width: 120px; }
.stat .value { font-size: 24px; font-weight: 600; }
.stat .label { color: var(--muted); font-size: 13px; }
img.plot { display: block; max-width: 100%%; height: auto; margin: 8px 0 12px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 5px 10px; text-align: left; vertical-align: top; }
th { background: var(--grey); font-weight: 600; }
tbody tr:nth-child(even) { background: #fafbfc; }
th.num, td.num { text-align: right; white-space: nowrap; }
td { overflow-wrap: break-word; }
table.submissions td:first-child, table.submissions td:last-child { white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em;
       background: var(--grey); padding: 0 3px; border-radius: 3px; }
.score { display: inline-block; min-width: 2.6em; padding: 0 6px; border-radius: 4px; text-align: right; }
.score.full { background: #e3f2e6; color: %(green)s; }
.score.part { background: #fbeedb; color: #8a5a12; }
.score.zero { background: #f8e1df; color: %(red)s; }
.status.bad { color: %(red)s; font-weight: 600; }
.change.up { color: %(green)s; font-weight: 600; }
.change.down { color: %(red)s; font-weight: 600; }
""" % {"blue": BLUE, "green": GREEN, "red": RED}

SECTIONS = (
    ("summary", "Summary"),
    ("distribution", "Distribution of totals"),
    ("questions", "Questions"),
    ("mistakes", "Diagnosed mistakes"),
    ("problems", "Problems: crashes, time-outs, load errors"),
    ("regrades", "Regrades"),
    ("submissions", "Submissions"),
)


def _page(title, body, css):
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{css}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def render_report(history, source="gradebook.sqlite"):
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
        f"<header><h1>Backprop Lab: class report</h1>"
        f'<p class="muted">From {e(source)}, written {e(time.strftime("%Y-%m-%d %H:%M"))}.</p>'
        f"<nav>{nav}</nav></header>"
    )
    sections = "\n".join(f'<section id="{key}">\n<h2>{e(title)}</h2>\n{contents[key]}\n</section>'
                         for key, title in SECTIONS)
    return _page("Backprop Lab: class report", header + "\n" + sections, CSS)


def write_report(out_dir):
    """Write the report.html of each assignment graded into out_dir, from
    out_dir/gradebook.sqlite, beside its results/ and feedback/; returns their paths."""
    out = Path(out_dir)
    database = out / "gradebook.sqlite"
    if not database.is_file():
        raise FileNotFoundError(f"no gradebook.sqlite in {out}")
    paths = []
    for name in gradebook.graded_assignment_names(database):
        folder = gradebook.files_folder(out, name)
        write_feedback_pages(folder)
        path = folder / "report.html"
        _write_atomically(path, render_report(gradebook.read_history(database, name), str(database)))
        paths.append(path)
    return paths


def write_feedback_pages(out):
    """feedback/NAME.html beside each feedback/NAME.md that is newer than its page."""
    for markdown_path in sorted((out / "feedback").glob("*.md")):
        page = markdown_path.with_suffix(".html")
        if not page.exists() or page.stat().st_mtime < markdown_path.stat().st_mtime:
            _write_atomically(page, feedback_html(markdown_path.read_text(), f"{markdown_path.stem}: feedback"))


# ---------------------------------------------------------------- feedback markdown -> HTML

FEEDBACK_CSS = """
body { font: 15px/1.55 -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Helvetica, Arial, sans-serif;
       color: #222; margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 24px; border-bottom: 3px solid %(blue)s; padding-bottom: 6px; }
h2 { font-size: 19px; margin-top: 30px; border-bottom: 1px solid #dfe3e8; padding-bottom: 3px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 14px; }
th, td { border: 1px solid #dfe3e8; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f4f6f9; }
tbody tr:nth-child(even) { background: #fafbfc; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; background: #f4f6f9;
       padding: 0 3px; border-radius: 3px; }
pre { background: #f4f6f9; border: 1px solid #dfe3e8; border-radius: 4px; padding: 10px 12px; overflow-x: auto;
      font-size: 13px; line-height: 1.4; }
pre code { background: none; padding: 0; }
li { margin: 4px 0; }
""" % {"blue": BLUE}

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])([_*])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_FENCE = re.compile(r"^\s{0,3}(```+|~~~+)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def inline(text):
    """Escape `text`, then apply inline code, bold and italics (never inside
    code); a backslash-escaped punctuation mark (feedback.plain) is itself."""
    pieces = _ESCAPED.split(text)
    # re.split with one group: [text, escaped mark, text, ...]
    return "".join(_inline(piece) if index % 2 == 0 else html.escape(piece, quote=True)
                   for index, piece in enumerate(pieces))


def _inline(text):
    parts = re.split(r"(`+)(.+?)\1", text)
    # re.split with two groups: [plain, ticks, code, plain, ticks, code, ..., plain]
    out = []
    for index in range(0, len(parts), 3):
        plain = html.escape(parts[index], quote=True)
        plain = _BOLD.sub(r"<strong>\1</strong>", plain)
        plain = _ITALIC.sub(r"<em>\2</em>", plain)
        out.append(plain)
        if index + 2 < len(parts):
            out.append(f"<code>{html.escape(parts[index + 2].strip(), quote=True)}</code>")
    return "".join(out)


def _cells(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)]


def _starts_block(line, next_line):
    return bool(
        _HEADING.match(line) or _FENCE.match(line) or _BULLET.match(line)
        or (line.lstrip().startswith("|") and next_line is not None and _TABLE_RULE.match(next_line))
    )


def markdown_body(text):
    """The HTML for the markdown subset feedback.markdown() writes."""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out, i = [], 0

    def next_of(j):
        return lines[j + 1] if j + 1 < len(lines) else None

    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            marker, code = fence.group(1), []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                code.append(lines[i])
                i += 1
            i += 1  # the closing fence (or the end)
            out.append("<pre><code>" + html.escape("\n".join(code), quote=True) + "</code></pre>")
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
            i += 1
            continue
        if line.lstrip().startswith("|") and next_of(i) is not None and _TABLE_RULE.match(next_of(i)):
            header = _cells(line)
            i += 2
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            head = "".join(f"<th>{inline(cell)}</th>" for cell in header)
            body = "\n".join(
                "<tr>" + "".join(f"<td>{inline(cell)}</td>" for cell in (row + [""] * len(header))[: max(len(header), len(row))]) + "</tr>"
                for row in rows
            )
            out.append(f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>")
            continue
        if _BULLET.match(line):
            items = []
            while i < len(lines) and lines[i].strip():
                bullet = _BULLET.match(lines[i])
                if bullet:
                    items.append([bullet.group(1)])
                elif _starts_block(lines[i], next_of(i)):
                    break
                else:  # a continuation line of the item (kept as its own line)
                    items[-1].append(lines[i].strip())
                i += 1
            out.append("<ul>\n" + "\n".join("<li>" + "<br>\n".join(inline(part) for part in item) + "</li>"
                                             for item in items) + "\n</ul>")
            continue
        paragraph = []
        while i < len(lines) and lines[i].strip() and not (paragraph and _starts_block(lines[i], next_of(i))):
            paragraph.append(lines[i].strip())
            i += 1
        out.append("<p>" + "\n".join(inline(part) for part in paragraph) + "</p>")
    return "\n".join(out)


def feedback_html(markdown_text, title):
    """A standalone, safe HTML page for a student's feedback markdown."""
    return _page(title, markdown_body(markdown_text), FEEDBACK_CSS)
