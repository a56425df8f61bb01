"""The vocabulary of question specs: what an assignment's questions.py
declares, and the tolerances every check uses.

A question names the student's function, how to read what it returns
(`outputs`), how to draw one problem for a case (`draw`), the reference that
answers it, its cases with their points, and the known mistakes with a hint
each. checks.py runs any question the same way; a spec asserts nothing.
"""

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autograder.gradcheck import directional_derivative, numerical_gradient
from autograder.vocabulary import describe


@dataclass(frozen=True)
class Output:
    """One array the student's function returns, and how it is compared."""

    name: str
    # Its share of a case's points. 0: it earns nothing itself (a given loss, returned beside the gradient),
    # but a case where it is wrong or missing earns nothing at all.
    weight: float = 1.0
    zero_by_construction: bool = False  # compared by absolute tolerance (notes.md section 4)
    axes: tuple = ()  # the symbols of its shape, e.g. ("N", "D"): the sizes a diagnosed factor may be made of
    hint: str = ""  # where in the notebook this output is derived, for a diagnosis that names only the output
    # The reference's terms, each with coefficient 1: (args) -> [(label, array), ...], so
    # that a diagnosis can say which term is missing, doubled or has its sign flipped.
    terms: Callable | None = None
    # A mistake the numbers of this output alone can prove: (args, value) -> (mistake, hint), or None.
    explain: Callable | None = None


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: a wrong variant of the reference, and what to tell the student."""

    name: str
    hint: str
    variant: Callable


@dataclass(frozen=True)
class Case:
    """One hidden problem, its points and the parameters `draw` gets."""

    name: str
    points: float
    params: dict = field(default_factory=dict)
    stress: str = ""  # what is large in this case ("logits of order 1e3"), when its inputs test numerical stability
    stress_hint: str = ""  # what to fix when only this case fails
    # What to say when only this case fails with finite values, where the stress_hint speaks of NaN or
    # infinity (an overflow); empty: the stress_hint fits both.
    stress_values_hint: str = ""


@dataclass
class Problem:
    """Drawn inputs: the arguments of the student's function, and what the
    numerical check differentiates: `loss()`, a scalar computed by the
    reference forward pass from the arrays in `inputs` (output name -> the
    array that output is the gradient of, changed in place and restored)."""

    args: tuple
    inputs: dict
    loss: Callable[[], float]

    def numeric(self):
        """Every output's full centred-difference gradient (2 forward passes per entry)."""
        return {name: numerical_gradient(self.loss, x, H) for name, x in self.inputs.items()}

    def directional(self, name, direction):
        """The centred difference of the loss along `direction` in output `name`'s input (2 forward passes)."""
        return directional_derivative(self.loss, self.inputs[name], direction, H)


@dataclass(frozen=True)
class Question:
    function: str
    title: str
    outputs: tuple
    unpack: Callable  # the function's return value -> {output name: value}; raises ValueError
    draw: Callable  # (rng, **case.params) -> Problem
    reference: Callable
    cases: tuple
    mistakes: tuple = ()
    # The student's own versions of these are replaced during the call by
    # the reference (the worker asks the grader), so that a mistake in an
    # earlier question costs points only once.
    oracles: tuple = ()
    shape_hints: dict = field(default_factory=dict)  # output name -> hint when its shape is wrong
    # Where the gradient first goes wrong, when exactly these outputs are wrong
    # (those in `optional_in_locations` may be right or wrong): ((outputs, mistake, hint), ...).
    locations: tuple = ()
    optional_in_locations: tuple = ()
    label: str = ""  # a short name for the columns of tables (the function's name when empty)
    # Correct answers written differently (a loop, an explicit Jacobian...): the build checks that each gets full marks.
    alternatives: tuple = ()
    # What an exception's message suggests when this question's function raises: {text in the message: hint},
    # looked at before the assignment's ERROR_HINTS and the engine's.
    error_hints: dict = field(default_factory=dict)
    # The named numbers of a case a diagnosed factor may be made of, besides the sizes of the outputs' axes:
    # (case.params) -> {name: value}, e.g. a drop probability p and 1 - p.
    factors: Callable | None = None

    @property
    def points(self):
        return sum(case.points for case in self.cases)


# Against the reference analytic gradient. Equivalent float64 formulas (loops, einsum, a centred form,
# E[x^2] - mu^2 for a variance, a log-sum-exp at large inputs) agree with it to 3e-14; one float32 step
# inside an answer converted back to float64 (an input cast to float32 in one product) is off by 1e-9 to
# 4e-7, which 1e-7 let pass in most draws and fail in some: a gradient computed in float32 earns no
# points, whatever the inputs.
RTOL = 1e-10
NUMERIC_RTOL = 1e-6  # against the centred difference (its own error is ~1e-9)
ATOL = 1e-8         # for gradients that are zero by construction
H = 1e-5
# The numerical check compares the student's gradient with a centred
# difference along this many random directions, as PyTorch's fast gradcheck
# does: two forward passes per direction instead of two per entry. One is
# enough: a wrong gradient agrees with a random projection of the right one
# with probability zero, and the comparison with the reference gradient is
# entry by entry anyway.
DIRECTIONS = 1

# A graded function that calls a numerical-gradient helper, or the
# assignment's forward passes (its specs' FORWARD_PASSES) more often than
# this plus once per example (the largest first axis of its array
# arguments: a loop over the examples may call one on each), is
# differentiating numerically: the assignment asks for the derivation, so
# such an answer earns no points.
NUMERICAL_HELPERS = ("numerical_gradient", "numerical_vjp", "directional_derivative")
FORWARD_CALLS_ALLOWED = 3


def distinct_sizes(rng, count, low=3, high=13):
    """`count` different sizes, so that no two of N, D, H, C are equal."""
    return [int(n) for n in rng.choice(np.arange(low, high), size=count, replace=False)]


def one(name):
    def unpack(value):
        return {name: value}
    return unpack


def fields(*names):
    # A list of the outputs in order is read as the tuple: a caller unpacks both alike (the
    # self-checks do: `first, second = f(...)`), so it is right too.
    def unpack(value):
        if not isinstance(value, (tuple, list)) or len(value) != len(names):
            raise ValueError(f"should return a tuple ({', '.join(names)}), got {describe(value)}")
        return dict(zip(names, value))
    return unpack


class MissingOutputs(ValueError):
    """A dict returned without some of the outputs' keys: `present` holds those it has, each graded
    on its own; the `missing` ones fail (a gradient left out is no reason to fail the others)."""

    def __init__(self, message, present, missing):
        super().__init__(message)
        self.present, self.missing = present, missing


def keys(*names):
    def unpack(value):
        if not isinstance(value, dict):
            raise ValueError(f"should return a dict with keys {', '.join(names)}, got {describe(value)}")
        missing = [name for name in names if name not in value]
        if missing:
            # The expected keys are named, never the student's own (their text is not echoed).
            raise MissingOutputs(f"returned a dict without the key{'s' if len(missing) > 1 else ''} "
                                 f"{', '.join(map(repr, missing))} (the keys expected: {', '.join(names)})",
                                 {name: value[name] for name in names if name in value}, missing)
        return {name: value[name] for name in names}
    return unpack




def without_upstream(reference):
    """The variant that takes the upstream gradient (the first argument) as ones: the chain rule's
    product with it left out, which returns the local derivative alone."""
    def variant(upstream, *rest):
        return reference(np.ones_like(upstream), *rest)
    return variant


def negated(reference):
    """The variant with every sign flipped, a mistake any question can have."""
    def variant(*args):
        result = reference(*args)
        if isinstance(result, tuple):
            return tuple(-r for r in result)
        if isinstance(result, dict):
            return {key: -value for key, value in result.items()}
        return -result
    return variant
