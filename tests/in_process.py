"""Grading one function in the test process (for diagnosis tests): the
grader's own check_question, with a stand-in session that calls a Python
function directly and passes its result through the wire format, as a worker
would. Only for functions the test itself wrote: the grader never does this."""

import copy

from autograder import checks, wire
from assignments.backprop import questions as specs
from backprop import BACKPROP

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
                outcomes.append({"error": f"{type(error).__name__}: {error}", "exception": type(error).__name__})
                continue
            frame = wire.encode({"value": value})
            outcomes.append(wire.decode_packet(frame))
        return outcomes

    def close(self):
        """Nothing to close: there is no worker."""

    def renew(self):
        """Nothing to renew: there is no worker (checks.py renews one before a public re-run)."""


def question(function_name):
    (found,) = [q for q in specs.QUESTIONS if q.function == function_name]
    return found


def grade(function_name, function, submission="student"):
    """The QuestionResult of `function` answering the question `function_name`."""
    return checks.check_question(InProcessSession(function), question(function_name), SALT, submission,
                                 watch=BACKPROP.watched_sources, error_hints=BACKPROP.error_hints)


def names(result):
    return [d["mistake"] for d in result.diagnoses]

