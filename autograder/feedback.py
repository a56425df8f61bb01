"""What people read: a student's feedback, Gradescope's results.json, the summary table.

Only what a result holds reaches these texts: scores, pass/fail, relative
errors, messages and hints. Hidden inputs and expected values are never in a
result, so they cannot leak from here.
"""

import heapq

from autograder.results import SubmissionResult


def headline(result: SubmissionResult):
    """One line: the score, and the first thing to fix."""
    first = next((q for q in result.questions if q.score < q.max_score), None)
    score = f"{result.score:g}/{result.max_score:g}"
    if first is None:
        return f"{score} — full marks"
    if first.diagnoses:
        return f"{score} — {first.function} {first.diagnoses[0]['mistake']}"
    return f"{score} — {first.function}: {first.status}"


def meaning(error):
    """What a relative error says, in words a student understands."""
    if error <= 1e-7:
        return "agrees up to rounding"
    if error <= 1e-4:
        return "close, but more than rounding: a small term is off (an eps, a constant)"
    if error < 0.5:
        return "a real mistake, not rounding"
    return "a real mistake: far from the gradient"


def _measured(check):
    if check.error_vs_reference is None:
        return ""
    if check.absolute:
        return f"absolute difference {check.error_vs_reference:.1e} (a gradient that is zero by construction)"
    return f"relative error {check.error_vs_reference:.1e}: {meaning(check.error_vs_reference)}"


NEXT_STEPS = {
    "not implemented": "write {function} in its cell (part {part}), then run the self-check cell after it.",
    "missing": "keep the function's name exactly {function}, as in the notebook: the grader calls it by name.",
    "timeout": "look for a loop that never ends or work that grows too fast: each call has a time limit.",
    "crashed": "your code ended the worker process (exit(), os._exit(), a crash): a graded function must return.",
    "error": "read the message above; the notes at the end say what happened to each cell.",
}
DEFAULT_NEXT_STEP = ("run the self-check of part {part}; if it passes, try shapes where N, D, H and C all differ "
                     "and the cases above that fail (the mode, p, large values).")


def question_text(question, part):
    lines = [f"**{question.score:g}/{question.max_score:g}** ({question.status})", ""]
    if question.message and question.status not in ("passed", "partial", "failed"):
        lines += [f"{question.message}", ""]
    else:
        lines += ["| case | output | result | measured |", "|---|---|---|---|"]
        for check in question.checks:
            verdict = "pass" if check.passed else "FAIL"
            lines.append(f"| {check.case} | `{check.output}` | {verdict} | {_measured(check)} |")
        failures = sorted({c.message for c in question.checks if not c.passed and c.message and c.error_vs_reference is None})
        if failures:
            lines += ["", "What went wrong:", ""] + [f"- {text}" for text in failures[:5]]
    for found in question.diagnoses:
        lines += ["", f"**Diagnosis: {question.function} {found['mistake']}.** {found['hint']}"]
    if question.score < question.max_score and not question.diagnoses:
        step = NEXT_STEPS.get(question.status, DEFAULT_NEXT_STEP)
        lines += ["", "Next: " + step.format(function=question.function, part=part)]
    return "\n".join(lines)


def markdown(result: SubmissionResult, previous_score: float | None = None):
    """The student's feedback file; `previous_score` is the score of the grading before, if any."""
    lines = [f"# {result.submission}: {headline(result)}", ""]
    if previous_score is not None and previous_score != result.score:
        lines += [f"Regraded: the score changed from {previous_score:g} to {result.score:g}.", ""]
    for number, question in enumerate(result.questions, 1):
        lines += [f"## {number}. {question.title} (`{question.function}`)", "", question_text(question, number), ""]
    if result.notes:
        lines += ["## Running your notebook", ""] + [f"- {note}" for note in result.notes] + [""]
    lines += [f"_Graded in {result.seconds:.2f} s; isolation: {result.isolation}._", ""]
    return "\n".join(lines)


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


def summary_table(rows, count):
    """What a grading run prints at the end (rows: `count` ScoreRows, by
    name): every submission for a small class; for a larger one, each
    question's mean and full marks, and the lowest totals (read as a stream)."""
    if count <= SUMMARY_ROWS:
        return _full_table(list(rows))
    sums, full, total, seen, maximum, names = None, None, 0.0, 0, 0, []
    lowest = []
    for row in rows:
        if sums is None:
            names = [function for function, _, _ in row.questions]
            sums, full, maximum = [0.0] * len(names), [0] * len(names), row.max_score
        for number, (_, score, most) in enumerate(row.questions[:len(names)]):
            sums[number] += score
            full[number] += score >= most
        total += row.score
        seen += 1
        lowest = heapq.nsmallest(10, lowest + [(row.score, row.submission)])
    if not seen:
        return "no submissions"
    lines = [f"{seen} submissions, mean total {total / seen:.1f}/{maximum:g}", "",
             f"{'question':<12}  {'mean':>7}  {'full marks':>10}"]
    for name, summed, fulls in zip(_short(names), sums, full):
        lines.append(f"{name:<12}  {summed / seen:>7.2f}  {fulls:>10}")
    lines += ["", "lowest totals: " + ", ".join(f"{name} {score:g}" for score, name in lowest)]
    return "\n".join(lines)


def _short(functions):
    return [f.replace("_backward", "").replace("softmax_cross_entropy", "cross_ent") for f in functions]


def _full_table(rows):
    if not rows:
        return "no submissions"
    short = _short([f for f, _, _ in rows[0].questions])
    width = max(len("submission"), *(len(r.submission) for r in rows))
    header = f"{'submission':<{width}}  {'total':>7}  " + "  ".join(f"{s:>10}" for s in short)
    lines = [header, "-" * len(header)]
    for row in rows:
        cells = "  ".join(f"{score:>10g}" for _, score, _ in row.questions)
        lines.append(f"{row.submission:<{width}}  {row.score:>7g}  {cells}")
    return "\n".join(lines)
