"""Root causes first: a question whose function was never defined because
its cell failed to load says why (the missing module, the syntax error, the
time limit), rather than only that the function is missing.

Only what the grader learnt while loading the cells is used: loading comes
before any hidden input is drawn, so the student's own error text is safe
to show (bounded here, escaped where feedback is rendered).
"""

import re

from autograder import checks

ONLY_NUMPY = "Only numpy and Python's standard library are available when grading."
_LINE = re.compile(r'line (\d{1,7})')


def _summary(error):
    """The error's last line (its type and message), bounded, and the line it points at."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "an error"
    last = last if len(last) <= 200 else last[:197] + "..."
    where = _LINE.findall(error)
    return last, (f" (line {where[-1]})" if where else "")


def explain(result, question, submission, load_errors):
    """`result`, or, when `question`'s function is missing because the cell
    defining it failed to load, a result that says so."""
    if result.status != "missing":
        return result
    failed = [number for number, names in submission.defines.items()
              if question.function in names and number in load_errors]
    if not failed:
        return result
    number = failed[-1]
    kind, error = load_errors[number]
    name = submission.labels.get(number, "its cell")
    if kind == "stopped":  # a time limit or a crash, in the grader's words
        message = f"{question.function} was never defined: {name} {error}."
    else:
        last, where = _summary(error)
        message = f"{question.function} was never defined: {name} failed to load{where}: {last}."
        if last.startswith(("ModuleNotFoundError", "ImportError")):
            message += f" {ONLY_NUMPY} Remove that import."
        elif last.startswith(("SyntaxError", "IndentationError", "TabError")):
            message += " Fix the syntax error: the grader could not run the cell at all."
    return checks.not_graded(question, "error", message)
