"""Grading one function in the test process (for diagnosis tests): the
grader's own check_question, with a stand-in session that calls a Python
function directly and passes its result through the wire format, as a worker
would. Only for functions the test itself wrote: the grader never does this."""

import copy

from autograder import checks, harness, wire
from autograder.assignment import ROOT, load
from backprop import BACKPROP

NORMS = load(ROOT / "assignments" / "norms")

SALT = "diagnosis-tests"


class InProcessSession:
    def __init__(self, function):
        self.function = function

    def call_cases(self, name, calls, oracles, on_oracle, watch=(), last=None):
        outcomes = []
        for args in calls:
            try:
                value = self.function(*copy.deepcopy(args))
            except Exception as error:  # noqa: BLE001  (the answer under test may raise)
                outcomes.append({"error": f"{type(error).__name__}: {error}", "exception": harness.exception_name(error)})
                continue
            frame = wire.encode({"value": value})
            outcomes.append(wire.decode_packet(frame))
        return outcomes

    def close(self):
        """Nothing to close: there is no worker."""

    def go_public(self):
        """Nothing to switch: there is no worker (checks.PublicRuns switches before the public re-runs)."""


def _assignment(function_name):
    """The assignment (backprop or norms) one of whose questions `function_name` answers."""
    (found,) = [assignment for assignment in (BACKPROP, NORMS) if function_name in assignment.functions]
    return found


def question(function_name):
    return _assignment(function_name).question(function_name)


def grade(function_name, function, submission="student"):
    """The QuestionResult of `function` answering the question `function_name`."""
    assignment = _assignment(function_name)
    return checks.check_question(InProcessSession(function), question(function_name), SALT, submission,
                                 watch=assignment.watched_sources, error_hints=assignment.error_hints)


def names(result):
    return [d["mistake"] for d in result.diagnoses]

