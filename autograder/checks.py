"""Check one question of one submission: call the student's function in the
worker on each case's hidden problem, and compare what comes back.

Each output of each case is checked for its type, shape and finiteness, then
against the reference gradient and against centred differences of the
reference forward pass along random directions. A failing answer is diagnosed
from all its cases at once (diagnosis.py). The hidden inputs and the expected
values never leave this module: only errors, pass/fail and hints do. Nothing
the worker writes reaches the result once it has seen hidden inputs
(vocabulary.py): not what the student's code prints, nor its exception
messages; for those, the function is run again on public inputs in a fresh
worker of a sandbox no hidden input ever reached (PublicRuns), once all the
submission's hidden calls are made, and that run's message is shown.
"""

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np

from autograder import diagnosis, specs, standins, vocabulary
from autograder.gradcheck import rel_error
from autograder.results import Check, QuestionResult
from autograder.sandbox import WorkerFailure

# The public inputs an exception is reproduced on: every student can draw them (and so may see them).
PUBLIC_SEED = 0
PUBLIC_MESSAGE_LIMIT = 3000

# A dict unpacked into as many names as it has keys (x, x_hat, mu = cache) raises nothing there: each name
# holds a key, a string, and the first arithmetic on one raises (numpy's UFuncTypeError names the string's
# dtype '<U...'; Python's own errors name 'str'; a ufunc given a string made of two says its input types).
_STRINGS = ("A name holds a string (str) where it should not: unpacking a dict (a, b = cache) or looping over "
            "it gives its keys, not its values. Read each value by its key (cache['a']; a cache's keys are in the "
            "docstring of the forward pass that made it).")
_NOT_NUMBERS = ("A numpy function was given something that is not numbers (a string, a dict, None, or a list of "
                "such): check what each name holds. Unpacking a dict (a, b = cache) or looping over it gives its keys, "
                "not its values.")

# What an exception's message suggests in any assignment (each adds its own: its specs' ERROR_HINTS, and a
# question's own error_hints, which come first).
ERROR_HINTS = {
    # (before "could not be broadcast", which np.einsum's message holds too)
    "with remapped shapes": "An np.einsum's operands did not fit its subscripts: check the axes of each operand against "
                            "its letters (the hidden tests use shapes whose sizes all differ).",
    "NoneType": "Something is None where an array belongs: look for a function (a helper of yours) that returns nothing, a missing return.",
    "could not be broadcast": "Two shapes did not broadcast: check the axis of every sum and use keepdims=True where you subtract a per-row sum. The hidden tests use shapes whose sizes all differ.",
    "shapes": "A matrix product had mismatched shapes: check which factor is transposed (the hidden tests use non-square shapes).",
    "mismatch in its core dimension": "A matrix product had mismatched shapes: check which factor is transposed (the hidden "
                                      "tests use non-square shapes).",
    "KeyError": "A dict was read at a key it does not have: check the keys of each dict you read (a cache's keys are "
                "in the docstring of the forward pass that made it).",
    "values to unpack": "An unpacking had more or fewer names than values: check what each function returns (its "
                        "docstring) against the names you unpack it into.",
    "out of bounds for axis": "An index was out of bounds for an axis of an array: check which axis each index runs over "
                              "(the hidden tests use shapes whose sizes all differ).",
    "'dict' object has no attribute": "A dict's values are read by key (cache['a']), not as attributes (cache.a): a "
                                      "cache's keys are in the docstring of the forward pass that made it.",
    "'tuple' object has no attribute": "A tuple's items are read by position or unpacked (a, b = cache), not as "
                                       "attributes (cache.a): the docstring of the forward pass that made it says what it holds.",
    "dtype('<U": _STRINGS,
    "'str'": _STRINGS,
    "concatenate str": _STRINGS,
    "not supported for the input types": _NOT_NUMBERS,
}


def case_rng(salt, submission, question, case, digest=""):
    """The generator of one student's inputs for one case: the same on every
    regrade of the same file, different across students and for a changed
    file (`digest`, the file's content hash), so that nothing learnt from one
    attempt holds for the next."""
    # Without a digest (otter, whose students all get the same inputs) the key is the one used before digests.
    key = "\x00".join([salt, submission, question.function, case.name] + ([digest] if digest else [])).encode()
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key).digest()[:16], "little"))


def _case_generators(salt, submission, question, case, digest):
    """The case's inputs' generator (case_rng), and the seed of its numerical
    check's directions: the first draw of a fresh case_rng, taken from this
    one and undone, to save building the generator twice."""
    rng = case_rng(salt, submission, question, case, digest)
    state = rng.bit_generator.state
    directions_seed = rng.integers(2**63)
    rng.bit_generator.state = state
    return rng, directions_seed


def _as_array(value, expected, zero_dim_ok, sizes):
    """The student's value as a float64 array, or a message saying what is
    wrong with it (in the grader's words: `sizes` are the sizes a shape may be shown with)."""
    if zero_dim_ok and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = np.asarray(value, dtype=np.float64)
    if zero_dim_ok and isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())  # a loss of shape (1,) or (1, 1) is still one number
    if not isinstance(value, np.ndarray):
        return None, f"is {vocabulary.describe(value)}, expected a numpy array of shape {expected.shape}"
    if value.dtype.kind not in "iuf":
        return None, f"has dtype {vocabulary.dtype_name(value.dtype)}, expected floating point"
    if value.shape != expected.shape:
        return None, f"has {vocabulary.shape_text(value.shape, sizes)}, expected {expected.shape}"
    value = value.astype(np.float64)
    if not np.all(np.isfinite(value)):
        return None, "contains NaN or infinity"
    return value, ""


def numeric_error(problem, name, value, directions, absolute):
    """How far `value` is from the numerical gradient, along `directions`
    (random arrays of its shape, specs.DIRECTIONS of them).

    Relative to the gradient's size (|<g, v> - d_v| / (|g| |v| + |d_v|)), so
    that a direction nearly orthogonal to the gradient cannot inflate it;
    absolute for a gradient that is zero by construction.
    """
    worst = 0.0
    for direction in directions:
        # A unit step: a longer one would move inputs by more than the margin
        # a spec keeps from a kink, and grow the difference's own error.
        direction /= max(np.linalg.norm(direction), 1e-300)
        numeric = problem.directional(name, direction)
        projected = float(np.sum(value * direction))
        scale = 1.0 if absolute else max(np.linalg.norm(value) * np.linalg.norm(direction) + abs(numeric), 1e-300)
        worst = max(worst, abs(projected - numeric) / scale)
    return float(worst)


def _compare(output, value, expected, numeric, returned):
    """(passed, error vs reference, error vs the numerical gradient, message)
    for one output. `numeric()` is the latter (None for an output that is no
    input's gradient), computed only for an answer that agrees with the
    reference: a wrong one fails either way, and the forward passes it costs are most of a check.

    Gradients are float64 (the notes): an output holding float32 numbers (its
    dtype, or float64 values that are all float32 numbers) never passes,
    whatever its error, so that its score does not depend on the inputs drawn,
    and a small real mistake cannot hide in float32 rounding."""
    if output.zero_by_construction:
        vs_reference = float(np.max(np.abs(value - expected), initial=0.0))
        vs_numeric = numeric() if vs_reference <= specs.ATOL else None
        passed = vs_reference <= specs.ATOL and (vs_numeric is None or vs_numeric <= specs.ATOL)
        message = "" if passed else f"should be zero (up to rounding): largest entry off by {vs_reference:.1e}"
        return passed, vs_reference, vs_numeric, message
    vs_reference = rel_error(value, expected)
    if diagnosis.is_float32(returned):
        close = vs_reference <= diagnosis.FLOAT32_AGREEMENT
        return (False, vs_reference, None,
                "float32 numbers" + (": right to float32 precision only (float64 required)" if close else " (float64 required)"))
    vs_numeric = numeric() if vs_reference <= specs.RTOL else None
    passed = vs_reference <= specs.RTOL and (vs_numeric is None or vs_numeric <= specs.NUMERIC_RTOL)
    message = "" if passed else f"relative error {vs_reference:.1e}"
    return passed, vs_reference, vs_numeric, message




FINITE_DIFFERENCES = (
    "computed by calling the forward pass again and again (finite differences): no points. "
    "A backward pass uses the chain rule on the cache; numerical gradients are for checking it."
)
FINITE_DIFFERENCES_DIAGNOSIS = {
    "mistake": "uses numerical differentiation instead of a backward pass",
    "hint": "Derive the gradient (the equations of the notebook) and compute it from the cache, without calling the forward pass.",
}


ELSEWHERE = (
    "called a forward pass at other inputs than the case's own (changed, batched, complex or dual numbers), "
    "which is how a derivative is taken numerically: no points. A backward pass uses the chain rule on the cache."
)


UNWATCHED = (
    "replaced the interpreter's profiling hook during the call (sys.setprofile) or started a thread (or had one "
    "running when the call started or ended), which runs without it; the grader uses that hook to count calls of the forward passes: no points."
)
UNWATCHED_DIAGNOSIS = {
    "mistake": "switches off the grader's count of forward passes",
    "hint": "Leave sys.setprofile and threads alone: a backward pass has no use for them.",
}


def _finite_differences(calls, args, nested=None, repeats=None):
    """Whether the watched call counts show a numerical gradient rather than a backward pass.

    A few calls, plus one per example (a loop over the rows calling a forward pass on each: a
    backward pass all the same); a numerical gradient needs two per entry of an input,
    at least twice as many as it has examples. A forward pass that a watched function itself
    calls (`nested`: a layer's own call of the function it wraps) is part of that call, not another,
    and one called again at the case's own numbers with the same arguments (`repeats`: a loop for
    the loss and another for the gradient) is the same evaluation again; a numerical-gradient
    helper counts wherever it is called from."""
    if not isinstance(calls, dict):
        return False
    counts = {name: count for name, count in calls.items() if isinstance(count, int)}
    numerical = sum(count for name, count in counts.items() if name in specs.NUMERICAL_HELPERS)
    uncounted = {}
    for part in (nested, repeats):
        for name, count in (part.items() if isinstance(part, dict) else ()):
            if isinstance(count, int) and name not in specs.NUMERICAL_HELPERS:
                uncounted[name] = uncounted.get(name, 0) + count
    inner = sum(min(count, counts.get(name, 0)) for name, count in uncounted.items())
    examples = max((len(arg) for arg in args if isinstance(arg, np.ndarray) and arg.ndim), default=0)
    return numerical > 0 or sum(counts.values()) - inner > specs.FORWARD_CALLS_ALLOWED + examples


def _error_hint(error, *hints):
    """The hint of the first pattern found in `error`, looking in each of `hints` (dicts) in turn."""
    for table in hints:
        for pattern, hint in table.items():
            if pattern in error:
                return hint
    return ""


def _not_answered(reply):
    """Whether a result settles the question's later cases: the function is not
    defined, or still raises NotImplementedError; they are not called."""
    return bool(reply.get("error")) and (reply.get("missing") is True
                                         or vocabulary.exception_name(reply.get("exception")) == "NotImplementedError")


class PublicRuns:
    """The public re-runs of a submission's calls that raised, one per question, put off until all its
    hidden calls are made: then `run` switches the session to its public sandbox once (Session.go_public)
    and makes them all there, filling in what each run said."""

    def __init__(self):
        self.pending = []

    def ask(self, question, case, watch, error_hints, result, diagnoses):
        """A re-run of `question` on public inputs of `case`, for `result`: its checks listed in the
        returned run's `checks` get the run's words, and `diagnoses` (the result's, being built) its
        hint, in the place it has now."""
        run = _PendingRun(question, case, tuple(watch), error_hints or {}, result, diagnoses, len(diagnoses))
        self.pending.append(run)
        return run

    def asked_for(self, function):
        """Whether a re-run not yet made is one of question `function`'s."""
        return any(pending.question.function == function for pending in self.pending)

    def run(self, session):
        if not self.pending:
            return
        session.go_public()
        for pending in self.pending:
            words, text = _public_run(session, pending.question, pending.case, pending.watch)
            for index in pending.checks:
                check = pending.result.checks[index]
                pending.result.checks[index] = replace(check, message=f"{check.message} {words}")
            hint = _error_hint(text, pending.question.error_hints, pending.error_hints, ERROR_HINTS)
            if hint and not any(found["hint"] == hint for found in pending.diagnoses):
                pending.diagnoses.insert(pending.place, {"mistake": "raises an exception", "hint": hint})
        self.pending = []


@dataclass
class _PendingRun:
    question: object
    case: object
    watch: tuple
    error_hints: dict
    result: QuestionResult
    diagnoses: list
    place: int
    checks: list = field(default_factory=list)


def _public_run(session, question, case, watch):
    """What the function does on public inputs of `case`: the words the feedback may show."""
    problem = question.draw(np.random.default_rng(PUBLIC_SEED), **case.params)
    (reply,) = session.call_cases(question.function, [problem.args], question.oracles,
                                  standins.answerer(question, [problem]), watch)
    where = f"Run again on public inputs of this case (numpy.random.default_rng({PUBLIC_SEED}), the same draw for everyone)"
    if not isinstance(reply, dict):
        return f"{where}, it did not finish.", ""
    error = reply.get("error")
    if not error:
        return f"{where}, it raised no exception.", ""
    text = str(error)
    if len(text) > PUBLIC_MESSAGE_LIMIT:
        text = "[...]" + text[-PUBLIC_MESSAGE_LIMIT:]
    return f"{where}, it raised:\n{text}", text


def not_graded(question, status, message):
    """A QuestionResult with every check failed for the same reason."""
    failed = [check for case in question.cases for check in _failed_case(case, question, message)]
    return QuestionResult(question.function, question.title, question.points, status, message, failed)


def _failed_case(case, question, message):
    return [
        Check(case.name, output.name, 0.0, _points(case, question, output), False, message)
        for output in question.outputs
    ]


def _diagnosed(diagnose, question, attempts):
    try:
        return diagnose(question, attempts)
    except Exception:  # noqa: BLE001  (a diagnosis adds to a grade; a fault in it must not cost one)
        return []


def _required_outputs_hold(question, case_checks):
    """A case's checks, none earning anything when an output of weight 0 (one
    that earns nothing itself, such as a given loss) is wrong or missing: a
    wrong answer never keeps full marks."""
    required = {output.name for output in question.outputs if output.weight == 0}
    wrong = sorted(check.output for check in case_checks if check.output in required and not check.passed)
    if not wrong:
        return case_checks
    because = f"right, but this case earns nothing: its {' and '.join(wrong)} is wrong"
    return [replace(check, points=0.0, passed=False, message=because) if check.passed else check
            for check in case_checks]


def _points(case, question, output):
    total = sum(o.weight for o in question.outputs)
    return case.points * output.weight / total


def check_question(session, question, salt, submission, digest="", watch=(), error_hints=None, public_runs=None):
    """Grade `question` with the student's code running in `session` (`digest`:
    the submission's content hash, mixed into its inputs); a QuestionResult.
    `watch`: the (name, source) of the functions whose calls are counted (the
    assignment's watched_sources); `error_hints`: its own hints for exception messages.
    `public_runs`: the submission's PublicRuns, for a call that raised, which completes the
    result when it runs; without it, the question's own, run before returning."""
    own_public_runs = public_runs is None
    public_runs = PublicRuns() if own_public_runs else public_runs
    result = QuestionResult(question.function, question.title, question.points, "passed")
    diagnoses, attempts, present_attempts, missing_keys = [], [], [], []
    generators = [_case_generators(salt, submission, question, case, digest) for case in question.cases]
    problems = [question.draw(rng, **case.params) for case, (rng, _) in zip(question.cases, generators)]
    runs = [standins.reference_run(question, problem.args) for problem in problems]
    outcomes = session.call_cases(question.function, [problem.args for problem in problems],
                                  question.oracles, standins.answerer(question, problems, runs), watch, _not_answered)
    public = None
    for number, (case, problem, (_, directions_seed), (reference, _), reply) in enumerate(
            zip(question.cases, problems, generators, runs, outcomes)):
        expected = question.unpack(reference)
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
        if reply.get("error"):
            exception = vocabulary.exception_name(reply.get("exception"))
            not_implemented = exception == "NotImplementedError"
            missing = reply.get("missing") is True
            if not_implemented:
                message = "not implemented (it still raises NotImplementedError)"
            elif missing:
                message = f"no function named {question.function} was defined"
            elif reply.get("unsendable") is True:
                message = (f"{question.function} returned a value that cannot be sent back to the grader "
                           "(too large, or not made of arrays, numbers, tuples, lists and dicts)")
            else:
                if public is None:
                    public = public_runs.ask(question, case, watch, error_hints, result, diagnoses)
                message = f"raised an exception ({exception}) on the hidden inputs."
                public.checks += range(len(result.checks), len(result.checks) + len(question.outputs))
            result.checks += _failed_case(case, question, message)
            if _not_answered(reply):  # the later cases were not called
                result.status, result.message = ("not implemented" if not_implemented else "missing"), message
                for later in question.cases[number + 1:]:
                    result.checks += _failed_case(later, question, message)
                break
            continue
        if reply.get("unwatched") is True:
            result.checks += _failed_case(case, question, UNWATCHED)
            if UNWATCHED_DIAGNOSIS not in diagnoses:
                diagnoses.append(UNWATCHED_DIAGNOSIS)
            continue
        numerical = _finite_differences(reply.get("calls"), problem.args, reply.get("nested"), reply.get("repeats"))
        if numerical or reply.get("elsewhere") is True:
            result.checks += _failed_case(case, question, FINITE_DIFFERENCES if numerical else ELSEWHERE)
            if FINITE_DIFFERENCES_DIAGNOSIS not in diagnoses:
                diagnoses.append(FINITE_DIFFERENCES_DIAGNOSIS)
            continue
        missing = {}
        try:
            answer = question.unpack(reply.get("value"))
        except specs.MissingOutputs as partial:
            # The outputs the dict has are graded; each missing one fails with what was expected.
            answer, missing = partial.present, {name: f"{question.function} {partial}" for name in partial.missing}
            mistake = "returns a dict without the key" + ("s " if len(partial.missing) > 1 else " ") + \
                ", ".join(map(repr, partial.missing))
            if mistake not in missing_keys:
                missing_keys.append(mistake)
        except ValueError as wrong_type:
            result.checks += _failed_case(case, question, f"{question.function} {wrong_type}")
            attempts.append(diagnosis.Attempt(case, problem.args, expected, reply.get("value"), None, {}))
            continue
        directions = np.random.default_rng(directions_seed)
        sizes = vocabulary.sizes_of(problem.args)
        passed_outputs = {}
        first_check = len(result.checks)
        for output in question.outputs:
            if output.name in missing:
                result.checks.append(Check(case.name, output.name, 0.0, _points(case, question, output), False,
                                           missing[output.name]))
                continue
            value, problem_text = _as_array(answer[output.name], np.asarray(expected[output.name]), output.name == "loss", sizes)
            points = _points(case, question, output)
            if value is None:
                hint = question.shape_hints.get(output.name, "") if "shape" in problem_text else ""
                message = f"{output.name} {problem_text}" + (f". {hint}" if hint else "")
                result.checks.append(Check(case.name, output.name, 0.0, points, False, message))
                passed_outputs[output.name] = False
                continue
            # Drawn whether or not they are used, so that each output's directions never depend on another's result.
            drawn = [directions.standard_normal(value.shape) for _ in range(specs.DIRECTIONS)] if output.name in problem.inputs else None

            def numeric(output=output, value=value, drawn=drawn):
                return numeric_error(problem, output.name, value, drawn, output.zero_by_construction) if drawn else None

            passed, vs_reference, vs_numeric, message = _compare(output, value, expected[output.name], numeric, answer[output.name])
            result.checks.append(Check(case.name, output.name, points if passed else 0.0, points, passed, message,
                                       vs_reference, vs_numeric, output.zero_by_construction))
            passed_outputs[output.name] = passed
        result.checks[first_check:] = _required_outputs_hold(question, result.checks[first_check:])
        # With outputs missing, the diagnosis reads the dict as returned (a key spelled otherwise is found there);
        # failing that, what the dict holds is diagnosed on its own (present_attempts).
        attempts.append(diagnosis.Attempt(case, problem.args, expected, reply.get("value"),
                                          None if missing else answer, {} if missing else passed_outputs))
        present_attempts.append(diagnosis.Attempt(case, problem.args, expected, reply.get("value"), answer, passed_outputs))
    diagnosed = _diagnosed(diagnosis.diagnose, question, attempts)
    if not diagnosed and missing_keys:  # (a diagnosis of the container says more: the keys spelled otherwise)
        names = ", ".join(output.name for output in question.outputs)
        diagnosed = [{"mistake": mistake,
                      "hint": f"The outputs are read by key: return the dict with exactly the keys {names}, "
                              f"as the function's docstring says ({question.title!r} in the notebook); "
                              "the keys it has are graded as they are."} for mistake in missing_keys]
        diagnosed += _diagnosed(diagnosis.diagnose_present, question, present_attempts)
    for found in diagnosed:
        if found not in diagnoses:
            diagnoses.append(found)
    result.diagnoses = diagnoses
    if result.status == "passed":
        earned = result.score
        result.status = "passed" if earned >= question.points - 1e-9 else ("partial" if earned > 0 else "failed")
    if own_public_runs:
        public_runs.run(session)
    return result
