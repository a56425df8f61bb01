"""Root causes first: a question whose function was never defined because
its cell failed to load says why (the missing module, the syntax error, the
time limit), rather than only that the function is missing; and one whose
function raised NameError for a name that a failed cell would have defined
after its failing line (`import matplotlib.pyplot as plt` above `import
numpy as np`) says so, rather than only that np is not defined.

Only what the grader learnt while loading the cells is used: loading comes
before any hidden input is drawn, so the student's own error text is safe
to show (bounded here, escaped where feedback is rendered).
"""

import ast
import re

from autograder import cells, checks

ONLY_NUMPY = "Only numpy and Python's standard library are available when grading."
_LINE = re.compile(r'line (\d{1,7})')
_MODULE_LINE = re.compile(r'line (\d{1,7}), in <module>')


def _summary(error):
    """The error's last line (its type and message), bounded, and the line it points at."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else "an error"
    last = last if len(last) <= 200 else last[:197] + "..."
    where = _LINE.findall(error)
    return last, (f" (line {where[-1]})" if where else "")


def failing_line(error):
    """The line of its cell at which a cell's load error stopped it: the cell's own frame (a frame
    inside a function it called is not where the cell stopped), else the line a syntax error names; 1 if unknown."""
    found = _MODULE_LINE.findall(error) or _LINE.findall(error)
    return int(found[-1]) if found else 1


def defined_before_failing(source, error):
    """The names a cell that failed to load bound all the same, in the statements ending before its failing line."""
    return cells.bound_names(source, 1, until=failing_line(error))


def explain(result, question, submission, load_errors):
    """`result`, or, when `question`'s function is missing because the cell
    defining it failed to load, a result that says so; a NameError whose
    name a failed cell never reached gets that cause as its first diagnosis."""
    if result.status != "missing":
        return _never_bound(result, question, submission, load_errors)
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


def _never_bound(result, question, submission, load_errors):
    if not any("raised an exception (NameError)" in check.message for check in result.checks):
        return result
    sources = dict(submission.cells)
    read = _names_read(question.function, submission, sources)
    bound_elsewhere = set()
    for number, source in sources.items():
        if number not in load_errors:
            bound_elsewhere |= cells.bound_names(source, from_line=1)
    for number, (kind, error) in sorted(load_errors.items()):
        if kind != "raised" or number not in sources:
            continue
        last, where = _summary(error)
        failed_at = failing_line(error)
        before = defined_before_failing(sources[number], error)
        unbound = sorted(read & (cells.bound_names(sources[number], failed_at) - before - bound_elsewhere))
        if not unbound:
            continue
        names = ", ".join(unbound)
        label = submission.labels.get(number, "a cell")
        hint = f"{label[:1].upper()}{label[1:]} failed to load{where}: {last}. The code after that line never ran, so {names} never existed."
        if last.startswith(("ModuleNotFoundError", "ImportError")):
            hint += f" {ONLY_NUMPY} Remove that import (the rest of the cell then runs)."
        result.diagnoses.insert(0, {"mistake": f"uses {names}, never defined because the cell defining {'it' if len(unbound) == 1 else 'them'} failed to load first",
                                     "hint": hint})
        return result
    return result


def _names_read(function, submission, sources):
    """The global names `function`'s own code reads, from the last cell that defines it."""
    numbers = [number for number, names in submission.defines.items() if function in names]
    body = cells._parsed(sources.get(numbers[-1], "")) if numbers else None
    definitions = [node for node in body or () if isinstance(node, ast.FunctionDef) and node.name == function]
    if not definitions:
        return set()
    return {node.id for node in ast.walk(definitions[-1]) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}

