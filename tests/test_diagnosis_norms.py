"""Diagnoses of the norms assignment's answers that are not its specs' variants (leaky ReLU, layer
normalization): each wrong answer with what its diagnosis must say and must not say, for several
students; correct answers written differently, which must get full marks and no diagnosis. Graded in
the test process by the grader's own check_question (tests/in_process.py)."""

import numpy as np
import pytest

from in_process import NORMS, grade, names
from solutions import norms as R

STUDENTS = ("student", "ada", "grace")


def _leaky(slope_positive, slope_negative):
    def answer(dout, cache):
        x, alpha = cache
        return np.where(x > 0, slope_positive(alpha) * dout, slope_negative(alpha) * dout)
    return answer


def leaky_relu_forward_output(dout, cache):
    x, alpha = cache
    return np.where(x > 0, x, alpha * x)


def leaky_relu_alpha_written_in(dout, cache):
    x, _ = cache
    return np.where(x > 0, dout, 0.01 * dout)


def leaky_relu_with_its_cache(dout, cache):
    return R.leaky_relu_backward(dout, cache), cache


def _layernorm(dx_of, dgamma_of=None):
    """Layer normalization's gradients with dx (and perhaps dgamma) computed otherwise."""
    def answer(dout, cache):
        x_hat, gamma, std = cache
        g = dout * gamma
        dgamma = np.sum(dout * x_hat, axis=0) if dgamma_of is None else dgamma_of(dout, x_hat)
        return dx_of(g, x_hat, std), dgamma, np.sum(dout, axis=0)
    return answer


def _mean(v):
    return v.mean(axis=1, keepdims=True)


def _mean_term(g, x_hat, std):
    return _mean(g) / std


def _variance_term(g, x_hat, std):
    return x_hat * _mean(g * x_hat) / std


def layernorm_unbiased_variance_term(dout, cache):
    x_hat, gamma, std = cache
    D = x_hat.shape[1]
    g = dout * gamma
    dx = (g - _mean(g) - x_hat * np.sum(g * x_hat, axis=1, keepdims=True) / (D - 1)) / std
    return dx, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


WRONG = {
    # name: (function, answer, a diagnosis contains, no diagnosis contains)
    "leaky_relu_slopes_swapped": ("leaky_relu_backward", _leaky(lambda a: a, lambda a: 1.0), "swaps the two slopes", "sign"),
    "leaky_relu_one_minus_alpha": ("leaky_relu_backward", _leaky(lambda a: 1.0, lambda a: 1 - a),
                                   "multiplies dout by 1 - alpha where x < 0 (right where x > 0)", "x > 0 and"),
    "leaky_relu_negative_side_sign": ("leaky_relu_backward", _leaky(lambda a: 1.0, lambda a: -a),
                                      "multiplies dout by -alpha where x < 0", "sign flipped"),
    "leaky_relu_one_plus_alpha": ("leaky_relu_backward", lambda dout, cache: dout * (cache[0] > 0) + cache[1] * dout,
                                  "multiplies dout by a wrong number where x > 0 (right where x < 0)", "alpha where"),
    "leaky_relu_forward_output": ("leaky_relu_backward", leaky_relu_forward_output, "returns the forward pass's output", "slope"),
    "leaky_relu_no_upstream": ("leaky_relu_backward", lambda dout, cache: np.where(cache[0] > 0, 1.0, cache[1]),
                               "leaves out the upstream gradient dout", "wrong"),
    "leaky_relu_alpha_written_in": ("leaky_relu_backward", leaky_relu_alpha_written_in,
                                    "a wrong number where x < 0 (right where x > 0) in the case 'alpha = 0.2'", "alpha where"),
    # A tuple holding dx was said to return 'None as dx' (its None), and to be fixed by np.asarray.
    "leaky_relu_with_its_cache": ("leaky_relu_backward", leaky_relu_with_its_cache,
                                  "returns a tuple of 2 instead of a numpy array", "None"),
    "layernorm_like_batchnorm": ("layernorm_backward", _layernorm(lambda g, xh, s: (g - g.mean(axis=0) - xh * (g * xh).mean(axis=0)) / s),
                                 "over the examples (axis 0)", "constants"),
    "layernorm_variance_term_sign": ("layernorm_backward", _layernorm(lambda g, xh, s: g / s - _mean_term(g, xh, s) + _variance_term(g, xh, s)),
                                     "the term through the variance with the wrong sign", "constants"),
    "layernorm_no_mean_term": ("layernorm_backward", _layernorm(lambda g, xh, s: g / s - _variance_term(g, xh, s)),
                               "the term through the mean missing", "variance"),
    "layernorm_no_variance_term": ("layernorm_backward", _layernorm(lambda g, xh, s: g / s - _mean_term(g, xh, s)),
                                   "the term through the variance missing", "constants"),
    "layernorm_sums_for_means": ("layernorm_backward", _layernorm(lambda g, xh, s: (g - g.sum(axis=1, keepdims=True) - xh * (g * xh).sum(axis=1, keepdims=True)) / s),
                                 "the term through the mean multiplied by D and the term through the variance multiplied by D", "N"),
    "layernorm_unbiased_variance_term": ("layernorm_backward", layernorm_unbiased_variance_term,
                                         "the term through the variance multiplied by D/(D-1)", "mean"),
    "layernorm_dbeta_mean": ("layernorm_backward", lambda d, c: (*R.layernorm_backward(d, c)[:2], d.mean(axis=0)),
                             "returns dbeta divided by N", "dx"),
    "layernorm_two_of_three": ("layernorm_backward", lambda d, c: R.layernorm_backward(d, c)[:2],
                               "returns a tuple of 2 instead of the tuple (dx, dgamma, dbeta)", "right"),
    "layernorm_no_upstream": ("layernorm_backward", lambda d, c: R.layernorm_backward(np.ones_like(d), c),
                              "leaves out the upstream gradient dout", "wrong"),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_an_unlisted_mistake_loses_points_and_gets_a_true_specific_diagnosis(name):
    function, answer, says, never = WRONG[name]
    for student in STUDENTS:
        result = grade(function, answer, student)
        assert result.score < result.max_score
        found = names(result)
        assert any(says in mistake for mistake in found), found
        assert never not in " ".join(found), found


CORRECT = {
    "leaky_relu_mask_at_zero_too": ("leaky_relu_backward", lambda d, c: np.where(c[0] >= 0, d, c[1] * d)),
    "leaky_relu_product": ("leaky_relu_backward", lambda d, c: d * ((c[0] > 0) + c[1] * (c[0] <= 0))),
    "leaky_relu_in_place": ("leaky_relu_backward", lambda d, c: np.multiply(d, c[1], out=d, where=c[0] <= 0)),
    "layernorm_step_by_step": ("layernorm_backward", None),
    "layernorm_jacobian": ("layernorm_backward", None),
    "layernorm_transposed_batchnorm": ("layernorm_backward", None),
    "layernorm_row_loop": ("layernorm_backward", None),
}


def layernorm_step_by_step(dout, cache):
    x_hat, gamma, std = cache
    D = x_hat.shape[1]
    x_mu, inv_std = x_hat * std, 1 / std
    dx_hat = dout * gamma
    dvar = np.sum(dx_hat * x_mu, axis=1, keepdims=True) * -0.5 * inv_std**3
    dmu = -np.sum(dx_hat * inv_std, axis=1, keepdims=True) + dvar * np.mean(-2 * x_mu, axis=1, keepdims=True)
    return dx_hat * inv_std + dvar * 2 * x_mu / D + dmu / D, np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)


def layernorm_jacobian(dout, cache):
    x_hat, gamma, std = cache
    D = x_hat.shape[1]
    jacobian = (np.eye(D)[None] - 1 / D - np.einsum("ni,nj->nij", x_hat, x_hat) / D) / std[:, :, None]
    return np.einsum("ni,nij->nj", dout * gamma, jacobian), np.einsum("nd,nd->d", dout, x_hat), dout.sum(axis=0)


def layernorm_transposed_batchnorm(dout, cache):
    x_hat, gamma, std = cache
    g, h = (dout * gamma).T, x_hat.T
    return ((g - g.mean(axis=0) - h * (g * h).mean(axis=0)) / std.T).T, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def layernorm_row_loop(dout, cache):
    x_hat, gamma, std = cache
    D = x_hat.shape[1]
    dx = np.empty_like(dout)
    for n, (row, h) in enumerate(zip(dout * gamma, x_hat)):
        dx[n] = (D * row - row.sum() - h * np.dot(row, h)) / (D * std[n, 0])
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


for _name in ("layernorm_step_by_step", "layernorm_jacobian", "layernorm_transposed_batchnorm", "layernorm_row_loop"):
    CORRECT[_name] = ("layernorm_backward", globals()[_name])


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_a_correct_answer_written_differently_gets_full_marks_and_no_diagnosis(name):
    function, answer = CORRECT[name]
    for student in STUDENTS:
        result = grade(function, answer, student)
        assert result.score == result.max_score and result.diagnoses == [], (result.score, result.diagnoses)


@pytest.mark.parametrize("function", NORMS.functions)
def test_every_listed_mistake_is_named_alone_for_several_students(function):
    (question,) = [q for q in NORMS.questions if q.function == function]
    for mistake in question.mistakes:
        for student in STUDENTS:
            assert names(grade(function, mistake.variant, student)) == [mistake.name]
