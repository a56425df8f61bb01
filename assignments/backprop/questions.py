"""The backprop assignment's hidden tests: one declarative spec per question
(the vocabulary is autograder/specs.py).

Every problem follows notes.md section 5: float64, non-square shapes, a random
non-uniform upstream gradient, random gamma, inputs away from the ReLU kink,
and numerical derivatives from the reference forward pass with a fixed mask.
"""

import numpy as np

from autograder.gradcheck import rel_error
from autograder.specs import (Case, Mistake, Output, Problem, Question, distinct_sizes, fields, keys, negated, one,
                               RTOL, without_upstream)
from solutions import layers
from solutions.layers import affine_backward, batchnorm_backward, dropout_backward, relu_backward

# The given forward passes, counted while a backward pass runs: a backward
# pass never needs them (softmax_cross_entropy's given loss calls softmax
# once), so more than specs.FORWARD_CALLS_ALLOWED calls is differentiating numerically.
FORWARD_PASSES = (
    "affine_forward", "relu_forward", "dropout_forward", "softmax", "softmax_forward",
    "batchnorm_forward", "bn_net_forward",
)
# Forward passes whose output a constant subtracted from each row of their input does not change:
# the stable softmax's softmax(z - z.max(axis=1, keepdims=True)) is a call at the case's own point.
ROW_SHIFT_INVARIANT = ("softmax", "softmax_forward")
# What an exception's message suggests in this assignment (before the engine's own, checks.ERROR_HINTS).
_NOT_A_DICT = ("Something that is not a dict was indexed by a name: affine_forward's cache is the tuple (x, w, b) "
               "and relu_forward's the array x; the other caches are dicts (each forward pass's docstring).")
ERROR_HINTS = {"indices must be integers": _NOT_A_DICT, "are valid indices": _NOT_A_DICT}


def drop_factors(params):
    """The drop probability and the keep probability, factors a dropout mistake is made of."""
    p = float(params.get("p", 0.0))
    return {"p": p, "(1-p)": 1 - p} if p > 0 else {}


# 1. Dropout -----------------------------------------------------------------

def draw_dropout(rng, p, train):
    N, D = distinct_sizes(rng, 2)
    x = rng.standard_normal((N, D))
    dout = rng.standard_normal((N, D))
    while True:
        mask_seed = int(rng.integers(2**31))
        _, cache = layers.dropout_forward(x, p, train=train, rng=np.random.default_rng(mask_seed))
        # A mask dropping every unit makes dx zero, whatever the scale; one keeping every unit (p > 0)
        # makes the mask itself unneeded: in either a wrong answer would pass.
        if not train or (cache["keep"].any() and (p == 0 or not cache["keep"].all())):
            break

    def forward():
        return layers.dropout_forward(x, p, train=train, rng=np.random.default_rng(mask_seed))[0]

    return Problem((dout, cache), {"dx": x}, lambda: float(np.sum(forward() * dout)))


def _dropout_variant(train_scale, eval_scale=lambda p: 1.0):
    def variant(dout, cache):
        scale = train_scale if cache["train"] else eval_scale
        mask = cache["keep"] if cache["train"] else 1.0
        return dout * mask * scale(cache["p"])
    return variant


DROPOUT = Question(
    function="dropout_backward",
    label="dropout",
    title="Dropout",
    outputs=(Output("dx", axes=("N", "D"), hint="In training mode dx = dout * keep / (1-p); in eval mode dx = dout (part 1)."),),
    unpack=one("dx"),
    draw=draw_dropout,
    reference=layers.dropout_backward,
    cases=(
        Case("p = 0 (nothing dropped), training mode", 3, {"p": 0.0, "train": True}),
        Case("p = 0.3, training mode", 5, {"p": 0.3, "train": True}),
        Case("p = 0.75, training mode", 4, {"p": 0.75, "train": True}),
        Case("p = 0.3, eval mode", 3, {"p": 0.3, "train": False}),
    ),
    mistakes=(
        Mistake("forgets the 1/(1-p) scale", "The cache holds the boolean keep-mask; the forward pass multiplied the kept units by 1/(1-p), so the gradient must be scaled by 1/(1-p) too (part 1, the mask M).", _dropout_variant(lambda p: 1.0)),
        Mistake("scales by p instead of 1/(1-p)", "p is the probability of DROPPING a unit: kept units are scaled by 1/(1-p), not by p.", _dropout_variant(lambda p: p)),
        Mistake("scales by (1-p) instead of 1/(1-p)", "Kept units are DIVIDED by (1-p) in the forward pass, so the gradient is divided by (1-p) as well.", _dropout_variant(lambda p: 1 - p)),
        Mistake("divides by p instead of (1-p)", "p is the drop probability: the scale is 1/(1-p), the inverse of the keep probability.", _dropout_variant(lambda p: 1 / p if p else 0.0)),
        Mistake("scales the gradient in eval mode", "In eval mode dropout is the identity, so dx = dout: no mask and no scale.", _dropout_variant(lambda p: 1 / (1 - p), eval_scale=lambda p: 1 / (1 - p))),
        Mistake("has the sign flipped", "Check the sign: dropout multiplies by a non-negative mask.", negated(layers.dropout_backward)),
        Mistake("leaves out the upstream gradient dout", "dx = dout * keep / (1-p) in training mode, dout in eval mode: "
                "the chain rule multiplies the layer's derivative by the gradient that reaches it, dout (part 1).",
                without_upstream(layers.dropout_backward)),
        Mistake("leaves out the upstream gradient dout in training mode", "dx = dout * keep / (1-p): the chain rule "
                "multiplies the mask by the gradient that reaches the layer, dout (part 1).",
                lambda dout, cache: without_upstream(layers.dropout_backward)(dout, cache) if cache["train"] else dout.copy()),
    ),
    factors=drop_factors,
    error_hints={"NoneType": "Something is None: in eval mode the dropout cache holds no mask (dropout is the identity there)."},
)


# 2. Softmax -------------------------------------------------------------------

def draw_softmax(rng, offset=0.0, spread=1.0, wide=False):
    N, C = sorted(distinct_sizes(rng, 2))
    if not wide:
        N, C = C, N
    z = offset + spread * rng.standard_normal((N, C))
    da = rng.standard_normal((N, C))
    _, cache = layers.softmax_forward(z)
    return Problem((da, cache), {"dz": z}, lambda: float(np.sum(layers.softmax(z) * da)))


def _softmax_diagonal(da, cache):
    a = cache["a"]
    return da * a * (1 - a)


def _softmax_wrong_axis(da, cache):
    a = cache["a"]
    return (da - np.sum(da * a, axis=0, keepdims=True)) * a


def _softmax_sum_over_both_axes(da, cache):
    a = cache["a"]
    return (da - np.sum(da * a)) * a


def _softmax_sum_term_without_a(da, cache):
    a = cache["a"]
    return da * a - np.sum(da * a, axis=1, keepdims=True)


def _softmax_no_product(da, cache):
    a = cache["a"]
    return (da - np.sum(da, axis=1, keepdims=True)) * a


def _softmax_terms(da, cache):
    a = cache["a"]
    return [("the term da * a", da * a), ("the term -(da . a) a", -np.sum(da * a, axis=1, keepdims=True) * a)]


def _softmax_explicit_jacobian(da, cache):
    """A correct answer written differently: each row's full Jacobian diag(a) - a a^T, applied in a loop."""
    a = cache["a"]
    return np.stack([row_da @ (np.diag(row_a) - np.outer(row_a, row_a)) for row_da, row_a in zip(da, a)])


def _softmax_recomputed_from_the_cache(da, cache):
    """A correct answer that recomputes a from the cache: log(a) is the logits less a constant per
    row, so the given softmax_forward gives the cache's a back (a call that tells nothing new)."""
    a, _ = layers.softmax_forward(np.log(cache["a"]))
    return a * (da - np.sum(a * da, axis=1, keepdims=True))


def _softmax_output_returned(da, cache, dz):
    if rel_error(dz, cache["a"]) <= RTOL:
        return "returns the softmax output a, not its gradient", "The backward pass returns dL/dz, computed from da and a."
    return None


SOFTMAX = Question(
    function="softmax_backward",
    label="softmax",
    title="Softmax",
    outputs=(Output("dz", axes=("N", "C"), hint="dz_k = (da_k - da . a) a_k, row by row (part 2).", terms=_softmax_terms,
                    explain=_softmax_output_returned),),
    unpack=one("dz"),
    draw=draw_softmax,
    reference=layers.softmax_backward,
    cases=(
        Case("more examples than classes (N > C)", 7, {}),
        Case("fewer examples than classes (N < C)", 7, {"wide": True}),
        Case("logits of order 1e3", 6, {"offset": 1000.0, "spread": 3.0}, stress="logits of order 1e3",
             stress_hint="Only the case with large logits fails: the formula of part 2 needs only the cache's a, which is "
                         "finite there; anything recomputed from exponentials of the logits overflows.",
             stress_values_hint="Only the case with large logits fails, with finite but wrong values: dz needs only da and "
                                "the cache's a (part 2); look for what your code does differently when the logits are large."),
    ),
    mistakes=(
        Mistake("keeps only the diagonal of the Jacobian", "da * a * (1 - a) is only the i = j term; the i != j terms -a_i a_j add up to -(da . a) a: use dz_k = (da_k - da . a) a_k (part 2).", _softmax_diagonal),
        Mistake("sums over the wrong axis", "The product (da . a) is per example: sum over the classes, axis=1, with keepdims=True.", _softmax_wrong_axis),
        Mistake("sums over both axes", "The product (da . a) is per example, one number per row: sum over axis=1 only, with keepdims=True (part 2).", _softmax_sum_over_both_axes),
        Mistake("leaves the factor a off the term (da . a)", "Both terms are multiplied by a_k: dz_k = (da_k - da . a) a_k (part 2).", _softmax_sum_term_without_a),
        Mistake("sums da instead of da * a", "The inner product is sum_i da_i a_i, weighted by a (part 2).", _softmax_no_product),
        Mistake("has the sign flipped", "Check the sign of each term of dz_k = (da_k - da . a) a_k.", negated(layers.softmax_backward)),
    ),
    shape_hints={"dz": "dz has the shape of z, (N, C). A sum without keepdims=True gives shape (N,), which broadcasts wrongly."},
    alternatives=(_softmax_explicit_jacobian, _softmax_recomputed_from_the_cache),
)


# 3. Softmax with cross-entropy ---------------------------------------------------

def labels(rng, N, C, last_class=None):
    """N correct classes of C, at least two of them different: with one class for every example,
    onehot(y) is a whole column, and subtracting 1 from the columns y (dz[:, y] -= 1) would pass.

    With N < C, some class is N or more: a onehot read from an N-row array (np.eye(N, C)[y])
    would pass without one. `last_class`: whether the last class, C-1, is among them (True),
    is not (False; a onehot of y.max() + 1 columns would pass with it), or either (None)."""
    while True:
        y = rng.integers(0, C if last_class is not False else C - 1, size=N)
        if (np.any(y != y[0]) and (N >= C or np.any(y >= N))
                and (last_class is not True or np.any(y == C - 1))):
            return y


def draw_cross_entropy(rng, offset=0.0, wide=False, last_class=None):
    # Both orientations, as for softmax: an answer right only when N > C (or N < C) cannot pass by the draw's luck.
    N, C = sorted(distinct_sizes(rng, 2), reverse=not wide)
    z = offset + rng.standard_normal((N, C))
    y = labels(rng, N, C, last_class)
    return Problem((z, y), {"dz": z}, lambda: float(layers.softmax_cross_entropy(z, y)[0]))


def _cross_entropy_variant(divide_by_n=True, subtract_onehot=True):
    def variant(z, y):
        N = z.shape[0]
        loss, _ = layers.softmax_cross_entropy(z, y)
        dz = layers.softmax(z)
        if subtract_onehot:
            dz[np.arange(N), y] -= 1
        return loss, dz / N if divide_by_n else dz
    return variant


def _cross_entropy_terms(z, y):
    N, C = z.shape
    return [("the term a / N", layers.softmax(z) / N), ("the term -onehot(y) / N", -np.eye(C)[y] / N)]


def _cross_entropy_onehot_misplaced(z, y, dz):
    """dz = (a - M) / N with M a 0/1 matrix other than onehot(y): the 1s subtracted at the wrong entries."""
    N, C = z.shape
    subtracted = (layers.softmax(z) / N - dz) * N
    ones = np.round(subtracted)
    if (np.max(np.abs(subtracted - ones)) > 1e-8 or not np.all((ones == 0) | (ones == 1))
            or not np.any(ones) or np.array_equal(ones, np.eye(C)[y])):
        return None
    return ("subtracts 1 at a wrong set of entries, not exactly those of onehot(y)",
            "onehot(y) has one 1 per row, in column y[n]: dz[np.arange(N), y] -= 1.")


def _cross_entropy_shifted_softmax(z, y):
    """Each row's maximum subtracted before the given softmax, as the stress case's hint says: the same a."""
    N = z.shape[0]
    a = layers.softmax(z - z.max(axis=1, keepdims=True))
    loss = -np.mean(np.log(a[np.arange(N), y]))
    dz = a.copy()
    dz[np.arange(N), y] -= 1
    return loss, dz / N


def _cross_entropy_row_by_row(z, y):
    """One example at a time, each row shifted by its maximum before the given softmax."""
    N = z.shape[0]
    losses, dz = [], np.zeros_like(z)
    for n in range(N):
        a = layers.softmax(z[n:n + 1] - z[n].max())[0]
        losses.append(-np.log(a[y[n]]))
        dz[n] = a
        dz[n, y[n]] -= 1
    return float(np.mean(losses)), dz / N


def _cross_entropy_softmax_forward_per_row(z, y):
    """One example at a time through the given softmax_forward, which calls softmax itself: one
    forward pass per row, not two."""
    N = z.shape[0]
    losses, dz = [], np.zeros_like(z)
    for n in range(N):
        a, _ = layers.softmax_forward(z[n:n + 1])
        losses.append(-np.log(a[0, y[n]]))
        dz[n] = a[0]
        dz[n, y[n]] -= 1
    return float(np.mean(losses)), dz / N


def _cross_entropy_two_loops(z, y):
    """A loop over the examples for the loss, another for the gradient: softmax twice at each row,
    the same evaluation again (no new point)."""
    N = z.shape[0]
    loss = sum(-np.log(layers.softmax(z[n:n + 1])[0, y[n]]) for n in range(N)) / N
    dz = np.zeros_like(z)
    for n in range(N):
        dz[n] = layers.softmax(z[n:n + 1])[0]
        dz[n, y[n]] -= 1
    return loss, dz / N


CROSS_ENTROPY = Question(
    function="softmax_cross_entropy",
    label="cross_ent",
    title="Softmax with cross-entropy",
    # The loss is given code: the points are for dz, earned only in a case whose loss is right too.
    outputs=(Output("loss", weight=0.0, hint="The loss is given code: keep it as the notebook has it (part 3)."),
             Output("dz", axes=("N", "C"), hint="dz = (a - onehot(y)) / N (part 3).", terms=_cross_entropy_terms,
                    explain=_cross_entropy_onehot_misplaced)),
    unpack=fields("loss", "dz"),
    draw=draw_cross_entropy,
    reference=layers.softmax_cross_entropy,
    cases=(
        Case("more examples than classes (N > C)", 4, {"last_class": False}),
        Case("fewer examples than classes (N < C)", 3, {"wide": True}),
        Case("logits of order 1e3", 3, {"offset": 1000.0, "last_class": True}, stress="logits of order 1e3",
             stress_hint="exp(z) overflows for logits of order 1e3: subtract each row's maximum from z before exp, "
                         "as the given softmax does (or call softmax(z)); the result is the same (part 3).",
             stress_values_hint="Only the case with logits of order 1e3 fails, with finite but wrong values: your dz treats "
                                "large logits differently from softmax(z), which is exact there (look for a clip of the "
                                "logits or a step in lower precision); dz = (softmax(z) - onehot(y)) / N (part 3)."),
    ),
    mistakes=(
        Mistake("forgets the 1/N of the mean", "The loss is the MEAN over the N examples, so dz = (a - onehot(y)) / N (part 3).", _cross_entropy_variant(divide_by_n=False)),
        Mistake("forgets to subtract onehot(y)", "dz = (a - onehot(y)) / N: subtract 1 at the correct class of each row.", _cross_entropy_variant(subtract_onehot=False)),
        Mistake("forgets both the 1/N and onehot(y)", "dz = (a - onehot(y)) / N (part 3).", _cross_entropy_variant(divide_by_n=False, subtract_onehot=False)),
    ),
    error_hints={"out of bounds for axis": "An index was out of bounds: in dz[np.arange(N), y] the first index runs over "
                                           "the N examples (rows), the second over the C classes (columns); the hidden "
                                           "tests have N != C (part 3)."},
    alternatives=(_cross_entropy_shifted_softmax, _cross_entropy_row_by_row, _cross_entropy_softmax_forward_per_row,
                  _cross_entropy_two_loops),
)


# 4. Batch normalization ----------------------------------------------------------------

def draw_batchnorm(rng, tall=True, loc=0.0, scale=1.0):
    N, D = sorted(distinct_sizes(rng, 2), reverse=tall)
    x = loc + scale * rng.standard_normal((N, D))
    gamma = rng.uniform(0.5, 2.0, size=D)
    beta = rng.standard_normal(D)
    dout = rng.standard_normal((N, D))

    def forward():
        return layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})[0]

    _, cache = layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    return Problem((dout, cache), {"dx": x, "dgamma": gamma, "dbeta": beta}, lambda: float(np.sum(forward() * dout)))


def _batchnorm_variant(dx_formula, dgamma_formula=None):
    def variant(dout, cache):
        x_hat, gamma = cache["x_hat"], cache["gamma"]
        inv_std = 1 / np.sqrt(cache["var"] + cache["eps"])
        dbeta = dout.sum(axis=0)
        dgamma = (dout * x_hat).sum(axis=0) if dgamma_formula is None else dgamma_formula(dout, x_hat)
        return dx_formula(dout, cache, x_hat, gamma, inv_std), dgamma, dbeta
    return variant


def _bn_graph_with(n_minus_one=False, eps=None):
    """The computation-graph backward, with the variance's 1/N or eps changed."""
    def dx_formula(dout, cache, x_hat, gamma, inv_std):
        x, mu = cache["x"], cache["mu"]
        N = x.shape[0]
        divisor = N - 1 if n_minus_one else N
        var = cache["var"] * N / divisor
        istd = 1 / np.sqrt(var + (cache["eps"] if eps is None else eps))
        dx_hat = dout * gamma
        dvar = np.sum(dx_hat * (x - mu), axis=0) * -0.5 * istd**3
        dmu = -np.sum(dx_hat * istd, axis=0)
        return dx_hat * istd + dvar * 2 * (x - mu) / divisor + dmu / N
    return dx_formula


def _batchnorm_terms(dout, cache):
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    scale = gamma / np.sqrt(cache["var"] + cache["eps"])
    return [
        ("the term gamma g / sigma", scale * dout),
        ("the term through the mean", -scale * dout.mean(axis=0)),
        ("the term through the variance", -scale * x_hat * (dout * x_hat).mean(axis=0)),
    ]


def _batchnorm_unbiased_throughout(dout, cache):
    """The exact backward pass of a forward that normalised with the unbiased variance (1/(N-1))."""
    x, mu, gamma = cache["x"], cache["mu"], cache["gamma"]
    N = x.shape[0]
    inv_std = 1 / np.sqrt(cache["var"] * N / (N - 1) + cache["eps"])
    x_hat = (x - mu) * inv_std
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma * inv_std * (dout - dout.mean(axis=0) - x_hat * dgamma / (N - 1))
    return dx, dgamma, dout.sum(axis=0)


# dgamma = sum_n g_n * t_n computed with another tensor t in place of x_hat: (label, t from dout and the cache).
_BN_DGAMMA_FROM = (
    ("x instead of x_hat", lambda dout, cache: cache["x"]),
    ("x - mu instead of x_hat (not divided by sqrt(sigma^2 + eps))", lambda dout, cache: cache["x"] - cache["mu"]),
    ("gamma * x_hat instead of x_hat", lambda dout, cache: cache["gamma"] * cache["x_hat"]),
)


def _batchnorm_dgamma_from_the_wrong_tensor(dout, cache, value):
    for label, tensor in _BN_DGAMMA_FROM:
        candidate = np.sum(dout * tensor(dout, cache), axis=0)
        if candidate.shape == value.shape and np.max(np.abs(candidate - value)) <= 1e-10 * max(np.max(np.abs(value)), 1e-300):
            return f"computes dgamma from {label}", "dgamma is the sum over the examples of dout times the normalised input."
    return None


BATCHNORM = Question(
    function="batchnorm_backward",
    label="batchnorm",
    title="Batch normalization",
    outputs=(
        Output("dx", 3.0, axes=("N", "D"), terms=_batchnorm_terms,
               hint="dx = gamma / (N sqrt(sigma^2 + eps)) * (N g - sum_n g_n - x_hat * sum_n g_n x_hat_n) (part 4)."),
        Output("dgamma", axes=("D",), hint="dgamma = sum_n g_n * x_hat_n, over the examples, axis 0 (part 4).",
               explain=_batchnorm_dgamma_from_the_wrong_tensor),
        Output("dbeta", axes=("D",), hint="dbeta = sum_n g_n, over the examples, axis 0 (part 4)."),
    ),
    unpack=fields("dx", "dgamma", "dbeta"),
    draw=draw_batchnorm,
    reference=layers.batchnorm_backward,
    cases=(
        Case("more examples than features (N > D)", 9, {"tall": True}),
        Case("fewer examples than features (N < D)", 8, {"tall": False}),
        Case("inputs with a large mean and spread", 8, {"loc": 5.0, "scale": 4.0}, stress="inputs with a large mean and spread",
             # (E[x^2] - mu^2 for the variance is not a suspect: at this mean and spread it loses no digit that counts.)
             stress_hint="Only the inputs with a large mean fail: look for x used where x - mu (or the cache's x_hat) "
                         "belongs (part 4)."),
    ),
    mistakes=(
        Mistake("treats the mean and variance as constants", "mu and sigma^2 depend on every x_n: dx has two more terms, through the mean and through the variance (part 4).", _batchnorm_variant(lambda g, c, xh, gm, s: g * gm * s)),
        Mistake("drops the path through the mean", "x reaches L through mu too: the term -sum_n g_n is missing (part 4).", _batchnorm_variant(lambda g, c, xh, gm, s: gm * s * (g - xh * (g * xh).mean(axis=0)))),
        Mistake("drops the path through the variance", "x reaches L through sigma^2 too: the term -x_hat * sum_n (g_n x_hat_n) is missing (part 4).", _batchnorm_variant(lambda g, c, xh, gm, s: gm * s * (g - g.mean(axis=0)))),
        Mistake("uses 1/(N-1) in the variance", "Batch normalization uses the biased variance, 1/N, not 1/(N-1).", _batchnorm_variant(_bn_graph_with(n_minus_one=True))),
        Mistake("uses 1/(N-1) in the variance, in x_hat and dgamma too", "Batch normalization uses the biased variance, 1/N, not 1/(N-1): the cache's var and x_hat are already right (part 4).", _batchnorm_unbiased_throughout),
        Mistake("leaves eps out", "The forward pass divides by sqrt(sigma^2 + eps): keep eps in the backward pass too.", _batchnorm_variant(_bn_graph_with(eps=0.0))),
        Mistake("applies gamma to the first term of dx only", "gamma multiplies all three terms of dx: dx = gamma / (N sqrt(sigma^2 + eps)) * (N g - sum_n g_n - x_hat * sum_n g_n x_hat_n) (part 4).", _batchnorm_variant(lambda g, c, xh, gm, s: s * (gm * g - g.mean(axis=0) - xh * (g * xh).mean(axis=0)))),
        Mistake("leaves a factor 1/sqrt(sigma^2 + eps) out of the variance term of dx", "The variance term is x_hat * sum_n g_n x_hat_n / N, with x_hat = (x - mu) / sqrt(sigma^2 + eps): x - mu where x_hat belongs gives this, and so does, step by step, the power -1 where -3/2 belongs in dsigma^2 = -1/2 sum_n dx_hat_n (x_n - mu) (sigma^2 + eps)^(-3/2) (part 4).", _batchnorm_variant(lambda g, c, xh, gm, s: gm * s * (g - g.mean(axis=0) - (c["x"] - c["mu"]) * (g * xh).mean(axis=0)))),
        Mistake("forgets gamma in dx", "y = gamma * x_hat + beta: dx picks up the factor gamma.", _batchnorm_variant(lambda g, c, xh, gm, s: s / g.shape[0] * (g.shape[0] * g - g.sum(axis=0) - xh * (g * xh).sum(axis=0)))),
        Mistake("computes dgamma as sum(dout)", "dgamma = sum_n g_n * x_hat_n: gamma multiplies x_hat.", _batchnorm_variant(lambda g, c, xh, gm, s: layers.batchnorm_backward(g, c)[0], lambda g, xh: g.sum(axis=0))),
        Mistake("has the sign flipped", "Check the signs of the three terms of dx (part 4).", negated(layers.batchnorm_backward)),
    ),
    shape_hints={
        "dgamma": "dgamma has the shape of gamma, (D,): a sum over the examples, axis=0, without keepdims=True.",
        "dbeta": "dbeta has the shape of beta, (D,): a sum over the examples, axis=0, without keepdims=True.",
    },
)


# 5. The BN network ---------------------------------------------------------------------

NET_OUTPUTS = ("W1", "b1", "gamma", "beta", "W2", "b2", "X")


def draw_bn_net(rng, p, upstream):
    N, D, H_, C = distinct_sizes(rng, 4, low=3, high=14)
    while True:
        mask_seed = int(rng.integers(2**31))  # drawn anew with the rest: a mask keeping every unit is refused
        X = rng.standard_normal((N, D))
        params = layers.init_bn_net(D, H_, C, rng, weight_scale=0.5)
        params["b1"] = rng.standard_normal(H_)
        params["gamma"] = rng.uniform(0.5, 2.0, size=H_)
        params["beta"] = rng.standard_normal(H_)
        scores, cache = layers.bn_net_forward(X, params, p=p, rng=np.random.default_rng(mask_seed))
        # Keep the ReLU inputs away from the kink, where the numerical
        # gradient would straddle it (notes.md section 5); some on each side
        # of it, and some units dropped when p > 0, so that neither mask is unneeded.
        keep = cache["dropout"]["keep"]
        if (np.min(np.abs(cache["relu"])) > 1e-3 and np.any(cache["relu"] < 0) and np.any(cache["relu"] > 0)
                and (p == 0 or not keep.all())):
            break
    if upstream == "cross-entropy":
        y = labels(rng, N, C)
        _, dscores = layers.softmax_cross_entropy(scores, y)
    else:
        dscores = rng.standard_normal((N, C))

    masks = np.random.default_rng(mask_seed)
    first_mask = masks.bit_generator.state

    def loss():
        masks.bit_generator.state = first_mask  # the same dropout mask on every pass (cheaper than a new generator)
        return float(np.sum(layers.bn_net_forward(X, params, p=p, rng=masks)[0] * dscores))

    return Problem((dscores, cache), {**params, "X": X}, loss)


def _net_variant(relu_mask=True, dropout=True, batchnorm=True):
    def variant(dscores, cache):
        grads = {}
        dzbn, grads["W2"], grads["b2"] = layers.affine_backward(dscores, cache["affine2"])
        d = layers.dropout_backward(dzbn, cache["dropout"]) if dropout else dzbn
        d = layers.relu_backward(d, cache["relu"]) if relu_mask else d
        if batchnorm:
            d, grads["gamma"], grads["beta"] = layers.batchnorm_backward(d, cache["bn"])
        else:
            grads["gamma"], grads["beta"] = (d * cache["bn"]["x_hat"]).sum(axis=0), d.sum(axis=0)
        grads["X"], grads["W1"], grads["b1"] = layers.affine_backward(d, cache["affine1"])
        return grads
    return variant


def _net_from_the_wrong_tensor(output, candidates):
    """An explanation of a net gradient computed by the right formula from another tensor of the chain."""
    def explain(dscores, cache, value):
        steps = _net_steps(dscores, cache)
        for label, formula in candidates:
            candidate = formula(steps, cache, dscores)
            if candidate.shape == value.shape and np.max(np.abs(candidate - value)) <= 1e-7 * max(np.max(np.abs(value)), 1e-300):
                return f"computes {output} from {label}", "Follow the chain back one step at a time."
        return None
    return explain


def _net_steps(dscores, cache):
    """The reference's gradients along the chain: dL/dZ (dropout's output), dL/dX_BN, dL/dY1."""
    dz, _, _ = layers.affine_backward(dscores, cache["affine2"])
    dxbn = layers.relu_backward(layers.dropout_backward(dz, cache["dropout"]), cache["relu"])
    dy1, _, _ = layers.batchnorm_backward(dxbn, cache["bn"])
    return {"dZ": dz, "dX_BN": dxbn, "dY1": dy1}


_NET_W1_FROM = (
    ("dL/dX_BN instead of dL/dY1 (skipping batch normalization)", lambda s, c, ds: c["affine1"][0].T @ s["dX_BN"]),
    ("dL/dZ instead of dL/dY1", lambda s, c, ds: c["affine1"][0].T @ s["dZ"]),
)
_NET_X_FROM = (
    ("dL/dX_BN instead of dL/dY1 (skipping batch normalization)", lambda s, c, ds: s["dX_BN"] @ c["affine1"][1].T),
    ("dL/dZ instead of dL/dY1", lambda s, c, ds: s["dZ"] @ c["affine1"][1].T),
)
_NET_W2_FROM = (
    ("the ReLU's input X_BN instead of the dropout's output", lambda s, c, ds: c["relu"].T @ ds),
    ("the ReLU's output instead of the dropout's output", lambda s, c, ds: np.maximum(c["relu"], 0).T @ ds),
)


def _net_relu_mask_before_dropout(dscores, cache):
    """A correct chain in another order: the ReLU mask before the dropout backward (two element-wise
    masks commute). It calls the oracles by name, so that its calls get the stand-ins too (standins.py)."""
    grads = {}
    dzbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
    d = dropout_backward(relu_backward(dzbn, cache["relu"]), cache["dropout"])
    dy1, grads["gamma"], grads["beta"] = batchnorm_backward(d, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = affine_backward(dy1, cache["affine1"])
    return grads


def _net_relu_mask_from_the_output_before_dropout(dscores, cache):
    """Another correct order: the ReLU mask read from the network's hidden output Z_BN (zero where ReLU or
    dropout zeroed it), before the dropout backward, which zeroes the dropped units anyway."""
    grads = {}
    zbn = cache["affine2"][0]
    dzbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
    d = dropout_backward(dzbn * (zbn > 0), cache["dropout"])
    dy1, grads["gamma"], grads["beta"] = batchnorm_backward(d, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = affine_backward(dy1, cache["affine1"])
    return grads


NET = Question(
    function="bn_net_backward",
    label="bn_net",
    title="The BN network",
    outputs=(
        Output("W1", 2.0, axes=("D", "H"), hint="grads['W1'] = X.T @ dY1, dY1 the gradient batchnorm_backward returns (part 5).",
               explain=_net_from_the_wrong_tensor("W1", _NET_W1_FROM)),
        Output("b1", 0.5, zero_by_construction=True, axes=("H",),
               hint="grads['b1'] = sum_n dY1_n over axis 0, which batch normalization makes zero (part 5)."),
        Output("gamma", axes=("H",), hint="grads['gamma'] comes from batchnorm_backward, given dL/dX_BN (part 5)."),
        Output("beta", axes=("H",), hint="grads['beta'] comes from batchnorm_backward, given dL/dX_BN (part 5)."),
        Output("W2", axes=("H", "C"), hint="grads['W2'] = Z_BN.T @ dscores, with Z_BN after dropout (part 5).",
               explain=_net_from_the_wrong_tensor("W2", _NET_W2_FROM)),
        Output("b2", 0.5, axes=("C",), hint="grads['b2'] = sum_n dscores_n, over axis 0 (part 5)."),
        Output("X", 2.0, axes=("N", "D"), hint="grads['X'] = dY1 @ W1.T (part 5).",
               explain=_net_from_the_wrong_tensor("X", _NET_X_FROM)),
    ),
    unpack=keys(*NET_OUTPUTS),
    draw=draw_bn_net,
    reference=layers.bn_net_backward,
    cases=(
        Case("cross-entropy upstream gradient, p = 0.3", 12, {"p": 0.3, "upstream": "cross-entropy"}),
        Case("random upstream gradient, p = 0.5", 10, {"p": 0.5, "upstream": "random"}),
        Case("random upstream gradient, no dropout (p = 0)", 8, {"p": 0.0, "upstream": "random"}),
    ),
    mistakes=(
        Mistake("forgets the ReLU mask", "ReLU passes the gradient only where its input was positive: apply relu_backward (the [X_BN > 0] factor of part 5).", _net_variant(relu_mask=False)),
        Mistake("skips the dropout backward", "The dropout mask M multiplies the hidden layer: apply dropout_backward (part 5).", _net_variant(dropout=False)),
        Mistake("treats batch normalization as the identity", "Between Y1 and X_BN lies batch normalization: use batchnorm_backward to reach dL/dY1, dgamma and dbeta.", _net_variant(batchnorm=False)),
        Mistake("has the sign flipped", "Check the signs along the chain.", negated(layers.bn_net_backward)),
    ),
    oracles=("dropout_backward", "batchnorm_backward"),
    alternatives=(_net_relu_mask_before_dropout, _net_relu_mask_from_the_output_before_dropout),
    locations=(
        (("gamma", "beta", "W1", "b1", "X"),
         "goes wrong between the second affine layer and gamma, beta",
         "Either the gradient reaching batch normalization, dL/dX_BN, is wrong (look at the dropout backward and at "
         "the ReLU mask, [X_BN > 0] with X_BN the input of ReLU, the cache's 'relu') or batch normalization's own "
         "backward pass is (part 5)."),
        (("W1", "b1", "X"),
         "goes wrong after batch normalization",
         "dL/dY1 (the dx of batchnorm_backward) or the first affine layer is wrong: grads['W1'] = X.T @ dY1, "
         "grads['X'] = dY1 @ W1.T (part 5)."),
    ),
    optional_in_locations=("b1",),
    shape_hints={
        "W1": "grads['W1'] has the shape of W1, (D, H): X.T @ dY1.",
        "W2": "grads['W2'] has the shape of W2, (H, C): Z_BN.T @ dscores.",
        "X": "grads['X'] has the shape of X, (N, D): dY1 @ W1.T.",
    },
    factors=drop_factors,
)

QUESTIONS = (DROPOUT, SOFTMAX, CROSS_ENTROPY, BATCHNORM, NET)
