"""The norms assignment's hidden tests: one declarative spec per question
(the vocabulary is autograder/specs.py), following notes.md."""

import numpy as np

from autograder.specs import Case, Mistake, Output, Problem, Question, distinct_sizes, fields, negated, one
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


LEAKY_RELU = Question(
    function="leaky_relu_backward",
    title="Leaky ReLU",
    label="leaky_relu",
    outputs=(Output("dx", axes=("N", "D"), hint="dx = dout where x > 0, alpha * dout elsewhere (part 1)."),),
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


LAYERNORM = Question(
    function="layernorm_backward",
    title="Layer normalization",
    label="layernorm",
    outputs=(
        Output("dx", 2.0, axes=("N", "D"), hint="dx has three terms: the mean and the variance depend on x too (part 2)."),
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
    ),
)

QUESTIONS = (LEAKY_RELU, LAYERNORM)
