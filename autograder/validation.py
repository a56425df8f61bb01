"""The build's validation of an assignment, as a test suite validates code:
the hidden tests are checked against the reference and its mutants before
any student sees them.

- the reference gets full marks on every question, the stub 0;
- every known mistake loses points on its own question, and is named;
- every alternative correct form the spec lists gets full marks;
- every public self-check passes on the reference and fails on the stub.

Everything runs in this process with the grader's own check_question (the
session of otter's in-kernel runner): only the assignment's own code runs,
never a student's.
"""

import contextlib
import inspect
import io
import sys

import numpy as np

from autograder import checks, gradcheck, release
from autograder.assignment import import_file
from autograder.otter import InProcessSession

SALT = "validation"


class ValidationError(ValueError):
    """An assignment whose hidden tests do not hold: every failed check, one a line."""


def _stubs(assignment):
    """{function: the student's stub of it, compiled}: what a notebook holds before any answer."""
    sources = release.function_sources(assignment.reference_path)
    namespace = {"np": np, **vars(assignment.reference)}
    stubs = {}
    for function in assignment.functions:
        local = dict(namespace)
        exec(compile(release.stubbed(function, sources[function]), f"<stub of {function}>", "exec"), local)  # noqa: S102  (our own reference's stub)
        stubs[function] = local[function]
    return stubs


def _reference_env(assignment):
    reference = assignment.reference
    return {name: value for name, value in vars(reference).items() if callable(value)}


def _graded(assignment, question, env):
    session = InProcessSession(env, assignment)
    return checks.check_question(session, question, SALT, "validation", watch=assignment.watched_sources,
                                 error_hints=assignment.error_hints)


def _self_check(assignment, function, env):
    """Whether the public self-check of `function` passes on the functions of `env` (what it prints is dropped)."""
    sys.modules.setdefault("gradcheck", gradcheck)  # what the self-checks import, as in the release
    module = import_file(assignment.self_checks_path)
    check = getattr(module, f"check_{function}", None)
    if check is None:
        return None
    names = [name for name, parameter in inspect.signature(check).parameters.items()
             if parameter.default is parameter.empty]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return bool(check(*(env[name] for name in names)))
    except Exception:  # noqa: BLE001  (a stub raises NotImplementedError: the check fails)
        return False


def failures(assignment):
    """What does not hold, one message per failed check ([] when the assignment is valid)."""
    found = []
    reference_env = _reference_env(assignment)
    stubs = _stubs(assignment)
    for question in assignment.questions:
        name = question.function
        score = _graded(assignment, question, reference_env).score
        if abs(score - question.points) > 1e-9:
            found.append(f"{name}: the reference gets {score:g} of {question.points:g}")
        score = _graded(assignment, question, {**reference_env, name: stubs[name]}).score
        if score != 0:
            found.append(f"{name}: the stub gets {score:g}, not 0")
        for mistake in question.mistakes:
            result = _graded(assignment, question, {**reference_env, name: mistake.variant})
            if result.score >= question.points - 1e-9:
                found.append(f"{name}: the known mistake {mistake.name!r} gets full marks")
            elif not any(d["mistake"] == mistake.name for d in result.diagnoses):
                named = "; ".join(d["mistake"] for d in result.diagnoses) or "nothing"
                found.append(f"{name}: the known mistake {mistake.name!r} is not named (the diagnosis says {named})")
        for number, alternative in enumerate(question.alternatives, 1):
            score = _graded(assignment, question, {**reference_env, name: alternative}).score
            if abs(score - question.points) > 1e-9:
                found.append(f"{name}: the alternative correct form {number} "
                             f"({getattr(alternative, '__name__', '?')}) gets {score:g} of {question.points:g}")
        passed = _self_check(assignment, name, reference_env)
        if passed is None:
            found.append(f"{name}: {assignment.self_checks_path.name} has no check_{name}")
            continue
        if not passed:
            found.append(f"{name}: the public self-check fails on the reference")
        if _self_check(assignment, name, {**reference_env, name: stubs[name]}):
            found.append(f"{name}: the public self-check passes on the stub")
    return found


def validate(assignment):
    """Raise ValidationError naming every failed check of `assignment`."""
    found = failures(assignment)
    if found:
        raise ValidationError(f"the assignment {assignment.name} does not validate:\n" + "\n".join(f"- {f}" for f in found))
