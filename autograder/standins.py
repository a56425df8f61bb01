"""The reference stand-ins of a question (specs.Question.oracles): which
calls they answer, and with what.

While a question is graded, the reference versions of the earlier questions
it names as oracles stand in for the student's, so that a mistake in an
earlier part costs points once. A stand-in must not become a reference on
demand: it answers only the call the reference chain itself makes for the
case (or that a correct chain the spec lists as an alternative makes), with
arguments equal (within STANDIN_MATCH) to the reference's intermediates, of
the same types, shapes and dtypes. Its answer is the
reference's own result for that call, an array the grader made; any other
call is "not a reference call", and the worker runs the student's own
function instead.

The grader sends every case of a question in one request, so a call is
matched against the reference calls of all the question's cases: an answer
for another case is one that case's own call gets anyway.
"""

import types

import numpy as np

from autograder import wire
from autograder.gradcheck import rel_error

STANDIN_MATCH = 1e-6  # relative: the student's chain up to the call rounds differently from the reference's
NOT_A_REFERENCE_CALL = {"own": True}


def reference_run(question, args):
    """The reference's result on `args`, and [(function name, arguments,
    result)] of the calls it makes to `question.oracles`: the reference
    chain, run once, instrumented (its result is the expected answer too)."""
    if not question.oracles:
        return question.reference(*args), []
    recorded = []
    result = _instrumented(question.reference, question.oracles, recorded)(*args)
    return result, recorded


def alternative_calls(question, args):
    """[(function name, arguments, result)] of the calls to `question.oracles`
    that the spec's alternative correct forms (Question.alternatives) make on
    `args`: a correct chain in another order (the network's ReLU mask before
    its dropout backward) gets the stand-ins too, so that a mistake of an
    earlier part still costs points once."""
    recorded = []
    for alternative in question.alternatives:
        _instrumented(alternative, question.oracles, recorded)(*args)
    return recorded


def _instrumented(function, oracles, recorded):
    """`function` with each oracle it calls by its global name recording (name, arguments, result) in `recorded`."""
    def recorder(name, real):
        def record(*call_args):
            result = real(*call_args)
            # The arguments as the worker would send them back (a numpy scalar becomes a 0-d array).
            recorded.append((name, wire.decode_packet(wire.encode(list(call_args))), result))
            return result
        return record

    names = {**function.__globals__}
    names.update({name: recorder(name, names[name]) for name in oracles if name in names})
    return types.FunctionType(function.__code__, names, function.__name__, function.__defaults__)


def _equal(got, expected):
    """Whether `got` (from the worker) is `expected` (the reference's argument), within STANDIN_MATCH."""
    if isinstance(expected, np.ndarray):
        if not (isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype == expected.dtype):
            return False
        if expected.dtype.kind == "f":
            return bool(np.all(np.isfinite(got))) and rel_error(got, expected) <= STANDIN_MATCH
        return bool(np.array_equal(got, expected))
    if isinstance(expected, dict):
        return (isinstance(got, dict) and got.keys() == expected.keys()
                and all(_equal(got[key], value) for key, value in expected.items()))
    if isinstance(expected, (tuple, list)):
        return (type(got) is type(expected) and len(got) == len(expected)
                and all(_equal(g, e) for g, e in zip(got, expected)))
    if isinstance(expected, float) and type(got) is float:
        return got == expected or abs(got - expected) <= STANDIN_MATCH * abs(expected)
    return type(got) is type(expected) and got == expected


def answerer(question, problems, runs=None):
    """on_oracle(function, args) for the worker's stand-in requests while
    `question` is called on `problems`: the reference's result, or
    NOT_A_REFERENCE_CALL. `runs`: the problems' reference_run, when the caller has them."""
    if runs is None:
        runs = [reference_run(question, problem.args) for problem in problems] if question.oracles else []
    calls = [call for _, recorded in runs for call in recorded]
    alternatives = []  # the alternative chains' calls, made at the first call the reference's do not match (most never)

    def matching(function, args, candidates):
        for name, expected, result in candidates:
            if name == function and len(args) == len(expected) and all(map(_equal, args, expected)):
                return {"value": result}
        return None

    def answer(function, args):
        if not isinstance(args, list):
            return NOT_A_REFERENCE_CALL
        found = matching(function, args, calls)
        if found is None and question.alternatives and question.oracles:
            if not alternatives:
                alternatives.append([call for problem in problems for call in alternative_calls(question, problem.args)])
            found = matching(function, args, alternatives[0])
        return found or NOT_A_REFERENCE_CALL

    return answer
