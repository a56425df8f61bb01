"""Check one question of one submission: call the student's function in the
worker on each case's hidden problem, and compare what comes back.

Each output of each case is checked for its type, shape and finiteness, then
against the reference gradient and against centred differences of the
reference forward pass along random directions. A failing answer is compared with the question's known
mistakes. The hidden inputs and the expected values never leave this module:
only errors, pass/fail and hints do. What the student's code prints during a
graded call is dropped, since it could print the hidden inputs.
"""

import hashlib
import re

import numpy as np

from autograder import questions as specs
from autograder.gradcheck import rel_error
from autograder.results import Check, QuestionResult
from autograder.sandbox import WorkerFailure
from autograder.wire import Unsupported
from solutions import layers

MISTAKE_MATCH = 1e-6
ORACLE_ELEMENTS = 10**6

ERROR_HINTS = {
    "could not be broadcast": "Two shapes did not broadcast: check the axis of every sum and use keepdims=True where you subtract a per-row sum. The hidden tests use shapes where N, D, H and C all differ.",
    "shapes": "A matrix product had mismatched shapes: check which factor is transposed (the hidden tests use non-square shapes).",
    "NoneType": "Something is None: in eval mode the dropout cache holds no mask (dropout is the identity there).",
}


def case_rng(salt, submission, question, case):
    """The generator of one student's inputs for one case: the same on every regrade, different across students."""
    key = "\x00".join([salt, submission, question.function, case.name]).encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:16], "little"))


def _as_array(value, expected, zero_dim_ok):
    """The student's value as a float64 array, or a message saying what is wrong with it."""
    if isinstance(value, Unsupported):
        return None, f"is an object of type {value.kind}, expected a numpy array"
    if zero_dim_ok and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = np.asarray(value, dtype=np.float64)
    if not isinstance(value, np.ndarray):
        return None, f"is {specs.describe(value)}, expected a numpy array of shape {expected.shape}"
    if value.dtype.kind not in "iuf":
        return None, f"has dtype {value.dtype}, expected floating point"
    if value.shape != expected.shape:
        return None, f"has shape {value.shape}, expected {expected.shape}"
    value = value.astype(np.float64)
    if not np.all(np.isfinite(value)):
        return None, "contains NaN or infinity"
    return value, ""


def numeric_error(problem, name, value, rng, absolute):
    """How far `value` is from the numerical gradient, along random directions.

    Relative to the gradient's size (|<g, v> - d_v| / (|g| |v| + |d_v|)), so
    that a direction nearly orthogonal to the gradient cannot inflate it;
    absolute for a gradient that is zero by construction.
    """
    worst = 0.0
    for _ in range(specs.DIRECTIONS):
        direction = rng.standard_normal(value.shape)
        # A unit step: a longer one would move the ReLU inputs by more than
        # the margin kept from the kink, and grow the difference's own error.
        direction /= max(np.linalg.norm(direction), 1e-300)
        numeric = problem.directional(name, direction)
        projected = float(np.sum(value * direction))
        scale = 1.0 if absolute else max(np.linalg.norm(value) * np.linalg.norm(direction) + abs(numeric), 1e-300)
        worst = max(worst, abs(projected - numeric) / scale)
    return float(worst)


def _compare(output, value, expected, vs_numeric):
    """(passed, error vs reference, message) for one output."""
    if output.zero_by_construction:
        vs_reference = float(np.max(np.abs(value - expected), initial=0.0))
        passed = vs_reference <= specs.ATOL and (vs_numeric is None or vs_numeric <= specs.ATOL)
        message = "" if passed else f"should be zero (up to rounding): largest entry off by {vs_reference:.1e}"
        return passed, vs_reference, message
    vs_reference = rel_error(value, expected)
    passed = vs_reference <= specs.RTOL and (vs_numeric is None or vs_numeric <= specs.NUMERIC_RTOL)
    message = "" if passed else f"relative error {vs_reference:.1e}"
    return passed, vs_reference, message


def _diagnose(question, args, answer, failing):
    """The known mistakes whose output matches the student's on every failing output."""
    found = []
    for mistake in question.mistakes:
        try:
            wrong = question.unpack(mistake.variant(*args))
        except Exception:  # noqa: BLE001  (a variant that does not apply to this case)
            continue
        if all(
            np.shape(wrong[name]) == np.shape(answer[name])
            and rel_error(answer[name], wrong[name]) <= MISTAKE_MATCH
            for name in failing
        ):
            found.append({"mistake": mistake.name, "hint": mistake.hint})
    return found


_DECIMAL = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+")


def redact_numbers(text):
    """The text with every decimal number replaced: an exception message the
    student wrote could otherwise carry the hidden inputs into the feedback."""
    return _DECIMAL.sub("…", text)


FINITE_DIFFERENCES = (
    "computed by calling the forward pass again and again (finite differences): no points. "
    "A backward pass uses the chain rule on the cache; numerical gradients are for checking it."
)
FINITE_DIFFERENCES_DIAGNOSIS = {
    "mistake": "uses numerical differentiation instead of a backward pass",
    "hint": "Derive the gradient (the equations of the notebook) and compute it from the cache, without calling the forward pass.",
}


def _finite_differences(calls):
    """Whether the watched call counts show a numerical gradient rather than a backward pass."""
    if not isinstance(calls, dict):
        return False
    counts = {name: count for name, count in calls.items() if isinstance(count, int)}
    numerical = sum(count for name, count in counts.items() if name in specs.NUMERICAL_HELPERS)
    return numerical > 0 or sum(counts.values()) > specs.FORWARD_CALLS_ALLOWED


def _error_hint(error):
    for pattern, hint in ERROR_HINTS.items():
        if pattern in error:
            return hint
    return ""


def _oracle(question):
    """Answers the worker's requests for the reference versions of `question.oracles`."""

    def answer(function, args):
        if function not in question.oracles or not isinstance(args, list):
            return {"error": "no such reference function"}
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        arrays += [v for a in args if isinstance(a, dict) for v in a.values() if isinstance(v, np.ndarray)]
        try:
            broadcast = int(np.prod(np.broadcast_shapes(*(a.shape for a in arrays)), dtype=np.float64))
        except ValueError:
            broadcast = 0  # shapes that do not broadcast: the reference raises, cheaply
        # The result can be as large as the arguments broadcast together.
        if sum(a.size for a in arrays) > ORACLE_ELEMENTS or broadcast > ORACLE_ELEMENTS:
            return {"error": "arguments too large"}
        try:
            return {"value": getattr(layers, function)(*args)}
        except Exception as error:  # noqa: BLE001  (arguments the student built)
            return {"error": f"{type(error).__name__}: {error}"}

    return answer


def not_graded(question, status, message):
    """A QuestionResult with every check failed for the same reason."""
    failed = [check for case in question.cases for check in _failed_case(case, question, message)]
    return QuestionResult(question.function, question.title, question.points, status, message, failed)


def _failed_case(case, question, message):
    return [
        Check(case.name, output.name, 0.0, _points(case, question, output), False, message)
        for output in question.outputs
    ]


def _points(case, question, output):
    total = sum(o.weight for o in question.outputs)
    return case.points * output.weight / total


def check_question(session, question, salt, submission):
    """Grade `question` with the student's code running in `session`; a QuestionResult."""
    result = QuestionResult(question.function, question.title, question.points, "passed")
    diagnoses = []
    problems = [question.draw(case_rng(salt, submission, question, case), **case.params) for case in question.cases]
    outcomes = session.call_cases(question.function, [problem.args for problem in problems],
                                  question.oracles, _oracle(question), specs.FORWARD_PASSES)
    for number, (case, problem, reply) in enumerate(zip(question.cases, problems, outcomes)):
        expected = question.unpack(question.reference(*problem.args))
        if not isinstance(reply, dict):
            failure = reply if isinstance(reply, WorkerFailure) else WorkerFailure("protocol", "the worker sent no result for this case")
            status = {"timeout": "timeout", "died": "crashed"}.get(failure.kind, "error")
            limit = getattr(getattr(session, "limits", None), "call_seconds", None)
            detail = (f"{question.function} {failure.detail}" + (f" ({limit:g} s per call)" if limit else "")
                      if failure.kind == "timeout" else f"the worker stopped: {failure.detail}")
            result.status, result.message = status, detail
            result.checks += _failed_case(case, question, detail)
            for later in question.cases[number + 1:]:
                result.checks += _failed_case(later, question, "not run: an earlier case " + ("timed out" if status == "timeout" else "crashed the worker"))
            break
        error = reply.get("error")
        if error:
            error = str(error)
            not_implemented = "NotImplementedError" in error
            missing = error.startswith("NameError") and repr(question.function) in error
            if not_implemented:
                message = "not implemented (it still raises NotImplementedError)"
            elif missing:
                message = f"no function named {question.function} was defined"
            else:
                message = f"raised an exception:\n{redact_numbers(error[-600:])}"
            result.checks += _failed_case(case, question, message)
            hint = _error_hint(error)
            if hint and not any(d["hint"] == hint for d in diagnoses):
                diagnoses.append({"mistake": "an error in the shapes", "hint": hint})
            if not_implemented or missing:
                result.status, result.message = ("not implemented" if not_implemented else "missing"), message
                for later in question.cases[number + 1:]:
                    result.checks += _failed_case(later, question, message)
                break
            continue
        if _finite_differences(reply.get("calls")):
            result.checks += _failed_case(case, question, FINITE_DIFFERENCES)
            if FINITE_DIFFERENCES_DIAGNOSIS not in diagnoses:
                diagnoses.append(FINITE_DIFFERENCES_DIAGNOSIS)
            continue
        try:
            answer = question.unpack(reply.get("value"))
        except ValueError as wrong_type:
            result.checks += _failed_case(case, question, f"{question.function} {wrong_type}")
            continue
        directions = np.random.default_rng(case_rng(salt, submission, question, case).integers(2**63))
        failing = {}
        for output in question.outputs:
            value, problem_text = _as_array(answer[output.name], np.asarray(expected[output.name]), output.name == "loss")
            points = _points(case, question, output)
            if value is None:
                hint = question.shape_hints.get(output.name, "") if "shape" in problem_text else ""
                message = f"{output.name} {problem_text}" + (f". {hint}" if hint else "")
                result.checks.append(Check(case.name, output.name, 0.0, points, False, message))
                continue
            vs_numeric = None
            if output.name in problem.inputs:
                vs_numeric = numeric_error(problem, output.name, value, directions, output.zero_by_construction)
            passed, vs_reference, message = _compare(output, value, expected[output.name], vs_numeric)
            result.checks.append(Check(case.name, output.name, points if passed else 0.0, points, passed, message,
                                       vs_reference, vs_numeric, output.zero_by_construction))
            if not passed:
                failing[output.name] = value
        if failing:
            for found in _diagnose(question, problem.args, {**answer, **failing}, failing):
                if found not in diagnoses:
                    diagnoses.append(found)
    result.diagnoses = diagnoses
    if result.status == "passed":
        earned = result.score
        result.status = "passed" if earned >= question.points - 1e-9 else ("partial" if earned > 0 else "failed")
    return result
