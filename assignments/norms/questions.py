"""The norms assignment's hidden tests: one declarative spec per question
(the vocabulary is autograder/specs.py), following notes.md."""

import numpy as np

from autograder.gradcheck import rel_error
from autograder.specs import (RTOL, Case, Mistake, Output, Problem, Question, distinct_sizes, fields, negated, one,
                               without_upstream)
from solutions import norms

# The given forward passes: a backward pass never needs them.
FORWARD_PASSES = ("leaky_relu_forward", "layernorm_forward")


def away_from_zero(rng, shape, margin=0.1):
    """Normal numbers at least `margin` from 0, where leaky ReLU has its kink."""
    x = rng.standard_normal(shape)
    return np.where(x >= 0, x + margin, x - margin)


# 1. Leaky ReLU ---------------------------------------------------------------

def draw_leaky_relu(rng, alpha):
    N, D = distinct_sizes(rng, 2)
    x = away_from_zero(rng, (N, D))
    dout = rng.standard_normal((N, D))
    _, cache = norms.leaky_relu_forward(x, alpha)
    return Problem((dout, cache), {"dx": x}, lambda: float(np.sum(norms.leaky_relu_forward(x, alpha)[0] * dout)))


def _slope(dout, dx):
    """The one number c with dx = c * dout on these entries, or None when there is none."""
    norm = float(np.sum(dout * dout))
    c = float(np.sum(dx * dout)) / norm if norm else 0.0
    return c if rel_error(dx, c * dout) <= RTOL else None


def _leaky_relu_slopes(dout, cache, dx):
    """What a wrong dx multiplies dout by on each side of the kink, when that is one number on each side;
    or a dx that is the layer's output. Numbers are named only as the case's own (1, alpha, ...), never shown."""
    x, alpha = cache
    if rel_error(dx, norms.leaky_relu_forward(x, alpha)[0]) <= RTOL:
        return ("returns the forward pass's output, not its gradient",
                "The backward pass returns dL/dx = dout * slope, not the layer's output.")
    # (Few names: each is a claim about the code, and a constant written into it may equal one by chance.)
    named = {"1": 1.0, "alpha": alpha, "0": 0.0, "-1": -1.0, "-alpha": -alpha, "1 - alpha": 1 - alpha}
    sides = (("x > 0", x > 0, 1.0), ("x < 0", x <= 0, alpha))
    if not all(np.any(where) for _, where, _ in sides):
        return None  # a side without entries has no slope to speak of
    slopes = [_slope(dout[where], dx[where]) for _, where, _ in sides]
    if None in slopes:
        return None
    words = [next((name for name, value in named.items() if abs(c - value) <= 1e-9 * max(abs(value), 1.0)), None)
             for c in slopes]
    if words == ["alpha", "1"]:
        return ("swaps the two slopes: alpha where x > 0, 1 where x < 0",
                "The condition selects the wrong side: the slope 1 belongs where x > 0.")
    wrong = [f"multiplies dout by {word or 'a wrong number'} where {side}"
             for (side, _, right), c, word in zip(sides, slopes, words) if abs(c - right) > 1e-9 * max(right, 1.0)]
    right = [side for (side, _, expected), c in zip(sides, slopes) if abs(c - expected) <= 1e-9 * max(expected, 1.0)]
    if not wrong:
        return None  # both slopes right to 1e-9, the answer not within rounding: merely close
    return (" and ".join(wrong) + (f" (right where {right[0]})" if right else ""),
            "Each side of the kink has its own slope: check the condition and the factor on each side.")


LEAKY_RELU = Question(
    function="leaky_relu_backward",
    title="Leaky ReLU",
    label="leaky_relu",
    outputs=(Output("dx", axes=("N", "D"), hint="dx = dout where x > 0, alpha * dout elsewhere (part 1).",
                    explain=_leaky_relu_slopes),),
    unpack=one("dx"),
    draw=draw_leaky_relu,
    reference=norms.leaky_relu_backward,
    cases=(
        Case("alpha = 0.01", 4, {"alpha": 0.01}),
        Case("alpha = 0.2", 6, {"alpha": 0.2}),
    ),
    mistakes=(
        Mistake("drops the gradient of negative inputs", "For x < 0 the slope is alpha, not 0 (part 1).",
                lambda dout, cache: np.where(cache[0] > 0, dout, 0.0)),
        Mistake("has the sign flipped", "Check the sign.", negated(norms.leaky_relu_backward)),
        Mistake("leaves out the upstream gradient dout", "dx = dout * slope: the chain rule multiplies the local "
                "derivative (1 or alpha) by the gradient that reaches the layer, dout (part 1).",
                without_upstream(norms.leaky_relu_backward)),
    ),
)


# 2. Layer normalization ------------------------------------------------------

def draw_layernorm(rng, loc, scale):
    N, D = distinct_sizes(rng, 2)
    x = loc + scale * rng.standard_normal((N, D))
    gamma = rng.uniform(0.5, 1.5, size=D)
    beta = rng.standard_normal(D)
    dout = rng.standard_normal((N, D))
    _, cache = norms.layernorm_forward(x, gamma, beta)
    return Problem((dout, cache), {"dx": x, "dgamma": gamma, "dbeta": beta},
                   lambda: float(np.sum(norms.layernorm_forward(x, gamma, beta)[0] * dout)))


def _layernorm_constant_statistics(dout, cache):
    x_hat, gamma, std = cache
    _, dgamma, dbeta = norms.layernorm_backward(dout, cache)
    return dout * gamma / std, dgamma, dbeta


def _layernorm_over_the_batch(dout, cache):
    """Batch normalization's dx with layer normalization's cache: the means over the examples, axis 0."""
    x_hat, gamma, std = cache
    _, dgamma, dbeta = norms.layernorm_backward(dout, cache)
    g = dout * gamma
    return (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / std, dgamma, dbeta


def _layernorm_terms(dout, cache):
    x_hat, gamma, std = cache
    g = dout * gamma
    return [
        ("the term gamma dout / sigma", g / std),
        ("the term through the mean", -g.mean(axis=1, keepdims=True) / std),
        ("the term through the variance", -x_hat * (g * x_hat).mean(axis=1, keepdims=True) / std),
    ]


LAYERNORM = Question(
    function="layernorm_backward",
    title="Layer normalization",
    label="layernorm",
    outputs=(
        Output("dx", 2.0, axes=("N", "D"), terms=_layernorm_terms,
               hint="dx has three terms: the mean and the variance depend on x too (part 2)."),
        Output("dgamma", axes=("D",), hint="dgamma = sum_n dout_n * x_hat_n, over axis 0 (part 2)."),
        Output("dbeta", axes=("D",), hint="dbeta = sum_n dout_n, over axis 0 (part 2)."),
    ),
    unpack=fields("dx", "dgamma", "dbeta"),
    draw=draw_layernorm,
    reference=norms.layernorm_backward,
    cases=(
        Case("inputs of mean 0", 8, {"loc": 0.0, "scale": 1.0}),
        Case("inputs of mean 5 and spread 3", 7, {"loc": 5.0, "scale": 3.0}),
    ),
    mistakes=(
        Mistake("treats the mean and variance as constants", "The mean and the variance of each row depend on x: "
                "dx has two more terms (part 2).", _layernorm_constant_statistics),
        Mistake("has the sign flipped", "Check the signs of the three terms of dx (part 2).",
                negated(norms.layernorm_backward)),
        Mistake("takes the means of dx over the examples (axis 0), as batch normalization does",
                "Layer normalization normalises each row over its D features: both means in dx are over axis=1, "
                "with keepdims=True (part 2).", _layernorm_over_the_batch),
        Mistake("leaves out the upstream gradient dout", "g = dout * gamma: every term of dx, dgamma and dbeta "
                "carries the gradient that reaches the layer, dout (part 2).", without_upstream(norms.layernorm_backward)),
    ),
)

QUESTIONS = (LEAKY_RELU, LAYERNORM)
