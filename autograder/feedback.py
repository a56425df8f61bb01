"""What people read: a student's feedback, Gradescope's results.json, the summary table.

Only what a result holds reaches these texts: scores, pass/fail, relative
errors, messages and hints. Hidden inputs and expected values are never in a
result, so they cannot leak from here.
"""

import heapq
import re

from autograder import specs
from autograder.bounds import FEEDBACK_LIMIT
from autograder.results import SubmissionResult

# What Markdown reads anywhere in a line (code spans, emphasis, links, HTML,
# entities, table cells); an underscore inside a word is only a character.
_MARKDOWN_ANYWHERE = re.compile(r"[\\`*\[\]<>&|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def plain(text):
    """One line of Markdown that shows `text` as it is: the characters
    Markdown would read escaped, and the first one too when it is
    punctuation (a heading, a quote, a list), so that a student's text cannot
    add a heading, a link or HTML."""
    line = _MARKDOWN_ANYWHERE.sub(lambda match: "\\" + match.group(), " ".join(str(text).splitlines()))
    return "\\" + line if line and line[0] in _PUNCTUATION and not line.startswith("\\") else line


def code_block(text, indent=""):
    """`text` in a fenced block it cannot close: the fence is longer than any run of backticks in it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = "\n".join(indent + line for line in text.splitlines())
    return f"{indent}{fence}text\n{body}\n{indent}{fence}"


def message_text(text, indent=""):
    """A message or note (which may hold text the student's code wrote): its
    first line as plain text, the rest in a fenced block."""
    first, _, rest = str(text).partition("\n")
    return plain(first) + (f"\n\n{code_block(rest, indent)}" if rest.strip() else "")


# What went wrong with a question, as the predicate of "it ...", by status.
STATUS_PHRASES = {
    "not implemented": "it is not implemented yet",
    "missing": "no function of that name was defined",
    "timeout": "it did not finish within the time limit",
    "crashed": "it ended the worker process",
    "error": "it could not be called",
    "not graded": "it could not be graded",
    "failed": "every check failed",
    "partial": "some checks failed",
}


def headline(result: SubmissionResult):
    """One line: the score, and the question that cost the most points (the first of those tied)."""
    score = f"{result.score:g}/{result.max_score:g}"
    costly = [q for q in result.questions if q.score < q.max_score]
    if not costly:
        return f"{score} — full marks"
    reasons = {q.message for q in result.questions}
    if result.score == 0 and len(reasons) == 1 and all(q.status in ("error", "not graded") for q in result.questions):
        return f"{score} — {reasons.pop().splitlines()[0]}"  # one reason for the whole submission: say it
    worst = max(costly, key=lambda q: q.max_score - q.score)
    if worst.diagnoses:
        return f"{score} — {worst.function} {worst.diagnoses[0]['mistake']}"
    lost = worst.max_score - worst.score
    phrase = STATUS_PHRASES.get(worst.status, "some checks failed")
    return f"{score} — most points lost on {worst.function} ({lost:g} of {worst.max_score:g}): {phrase}"


def meaning(error):
    """What a relative error says, in words a student understands."""
    if error <= specs.RTOL:
        return "agrees up to rounding"
    if error <= 1e-4:
        return "close, but more than rounding: a small term is off (an eps, a constant, a step in float32)"
    if error < 0.5:
        return "a real mistake, not rounding"
    return "a real mistake: far from the gradient"


def _measured(check):
    if check.error_vs_reference is None:
        return ""
    if check.absolute:
        return f"absolute difference {check.error_vs_reference:.1e} (a gradient that is zero by construction)"
    if not check.passed and check.message and not check.message.startswith("relative error"):
        return f"relative error {check.error_vs_reference:.1e}: {check.message}"  # e.g. float32 numbers
    return f"relative error {check.error_vs_reference:.1e}: {meaning(check.error_vs_reference)}"


NEXT_STEPS = {
    "not implemented": "write {function} in its cell (part {part}), then run the self-check cell after it.",
    "missing": "keep the function's name exactly {function}, as in the notebook: the grader calls it by name.",
    "timeout": "look for a loop that never ends or work that grows too fast: each call has a time limit.",
    "crashed": "your code ended the worker process (exit(), os._exit(), a crash): a graded function must return.",
    "error": "read the message above; the notes at the end say what happened to each cell.",
}
DEFAULT_NEXT_STEP = ("run the self-check of part {part}; if it passes, try non-square shapes whose sizes all differ "
                     "and the cases above that fail.")


def shows_message(question):
    """Whether the question's one message says it all (it was not checked case by case)."""
    return bool(question.message) and question.status not in ("passed", "partial", "failed")


def check_rows(question):
    """(case, output, verdict, measured) of each check, as the feedback's table shows them."""
    return [(check.case, check.output, "pass" if check.passed else "FAIL",
             _measured(check)) for check in question.checks]


def failure_messages(question):
    """What went wrong in the checks that measured no error (at most five)."""
    return sorted({c.message for c in question.checks if not c.passed and c.message and c.error_vs_reference is None})[:5]


def next_step(question, part):
    """What to do next, when points were lost and no diagnosis says it; else None."""
    if question.score >= question.max_score or question.diagnoses:
        return None
    return NEXT_STEPS.get(question.status, DEFAULT_NEXT_STEP).format(function=question.function, part=part)


def question_text(question, part):
    lines = [f"**{question.score:g}/{question.max_score:g}** ({question.status})", ""]
    if shows_message(question):
        lines += [message_text(question.message), ""]
    else:
        lines += ["| case | output | result | measured |", "|---|---|---|---|"]
        lines += [f"| {case} | `{output}` | {verdict} | {measured} |" for case, output, verdict, measured in check_rows(question)]
        failures = failure_messages(question)
        if failures:
            lines += ["", "What went wrong:", ""] + [f"- {message_text(text, '  ')}" for text in failures]
    for found in question.diagnoses:
        lines += ["", f"**Diagnosis: {question.function} {found['mistake']}.** {found['hint']}"]
    step = next_step(question, part)
    if step:
        lines += ["", "Next: " + step]
    return "\n".join(lines)


def markdown(result: SubmissionResult, previous_score: float | None = None):
    """The student's feedback file; `previous_score` is the score of the grading before, if any."""
    lines = [f"# {plain(result.submission)}: {plain(headline(result))}", ""]
    if previous_score is not None and previous_score != result.score:
        lines += [f"Regraded: the score changed from {previous_score:g} to {result.score:g}.", ""]
    for number, question in enumerate(result.questions, 1):
        lines += [f"## {number}. {question.title} (`{question.function}`)", "", question_text(question, number), ""]
    if result.notes:
        lines += ["## Running your notebook", ""] + [f"- {message_text(note, '  ')}" for note in result.notes] + [""]
    lines += [f"_Graded in {result.seconds:.2f} s; isolation: {result.isolation}._", ""]
    text = "\n".join(lines)
    if len(text) > FEEDBACK_LIMIT:  # bounds.bound_result keeps a result well under this: a last resort
        text = text[:FEEDBACK_LIMIT].rsplit("\n", 1)[0] + "\n\n[... the rest of this feedback was cut: it was too long]\n"
    return text


def gradescope_results(result: SubmissionResult):
    """The result in Gradescope's results.json schema: Markdown outputs say so,
    every test has a status, and a test's own visibility overrides the
    top-level one (the self-checks are visible at once, the hidden tests'
    results after publication)."""
    return {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": result.seconds,
        "output": headline(result) + ("\n\n" + "\n".join(result.notes) if result.notes else ""),
        "output_format": "md",
        "tests": [
            {
                "name": f"{number}. {q.title} ({q.function})",
                "score": q.score,
                "max_score": q.max_score,
                "status": "passed" if q.score >= q.max_score else "failed",
                "output": question_text(q, number),
                "output_format": "md",
                "visibility": "after_published",
            }
            for number, q in enumerate(result.questions, 1)
        ] + [
            {
                "name": f"Self-check: {function}",
                "score": 0,
                "max_score": 0,
                "status": "passed" if text.endswith("PASS") else "failed",
                "output": text,
                "output_format": "text",  # what the student's code printed: never read as Markdown
                "visibility": "visible",
            }
            for function, text in result.self_checks.items()
        ],
        "extra_data": {"isolation": result.isolation, "digest": result.digest},
    }


SUMMARY_ROWS = 40


def summary_table(rows, count, labels=None):
    """What a grading run prints at the end (rows: `count` ScoreRows, by
    name): every submission for a small class; for a larger one, each
    question's mean and full marks, and the lowest totals (read as a stream).
    `labels`: {function: its column header} (the specs' Question.label)."""
    labels = labels or {}
    if count <= SUMMARY_ROWS:
        return _full_table(list(rows), labels)
    sums, full, total, seen, maximum, names = None, None, 0.0, 0, 0, []
    lowest = []
    for row in rows:
        if sums is None:
            names = [function for function, _, _ in row.questions]
            sums, full, maximum = [0.0] * len(names), [0] * len(names), row.max_score
        for number, (_, score, most) in enumerate(row.questions[:len(names)]):
            sums[number] += score
            full[number] += score >= most - 1e-9  # a sum of per-check points: 24.999999999999996 of 25
        total += row.score
        seen += 1
        lowest = heapq.nsmallest(10, lowest + [(row.score, row.submission)])
    if not seen:
        return "no submissions"
    lines = [f"{seen} submissions, mean total {total / seen:.1f}/{maximum:g}", "",
             f"{'question':<12}  {'mean':>7}  {'full marks':>10}"]
    for name, summed, fulls in zip(_short(names, labels), sums, full):
        lines.append(f"{name:<12}  {summed / seen:>7.2f}  {fulls:>10}")
    lines += ["", "lowest totals: " + ", ".join(f"{name} {score:g}" for score, name in lowest)]
    return "\n".join(lines)


def _short(functions, labels):
    return [labels.get(f) or f for f in functions]


def _full_table(rows, labels):
    if not rows:
        return "no submissions"
    short = _short([f for f, _, _ in rows[0].questions], labels)
    width = max(len("submission"), *(len(r.submission) for r in rows))
    header = f"{'submission':<{width}}  {'total':>7}  " + "  ".join(f"{s:>10}" for s in short)
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = "  ".join(f"{score:>10g}" for _, score, _ in row.questions)
        lines.append(f"{row.submission:<{width}}  {row.score:>7g}  {cells}")
    return "\n".join(lines)
