"""Diagnoses of answers that are not the specs' variants (issue 13): real
CS231n-style mistakes, each with what its diagnosis must say and must not
say, and correct answers written differently, which must get full marks and
no diagnosis. Graded in the test process (tests/in_process.py) by the
grader's own check_question, so that the scores and the diagnoses are
exactly what a student would get."""

import numpy as np
import pytest

from autograder import diagnosis, feedback, harness
from assignments.backprop import questions as specs
from autograder.results import SubmissionResult
from in_process import grade, names
from solutions import layers as L
from backprop import BACKPROP


# --- wrong answers: function, code, what the first diagnosis must contain, what no diagnosis may contain ---

def dropout_mask_ignored(dout, cache):
    return dout.copy() if not cache["train"] else dout / (1 - cache["p"])


def dropout_scaled_twice(dout, cache):
    return dout.copy() if not cache["train"] else dout * cache["keep"] / (1 - cache["p"]) ** 2


def dropout_p_as_keep_probability(dout, cache):
    return dout.copy() if not cache["train"] else dout * cache["keep"] / cache["p"] if cache["p"] else dout.copy()


def dropout_eval_zero(dout, cache):
    return np.zeros_like(dout) if not cache["train"] else dout * cache["keep"] / (1 - cache["p"])


def dropout_eval_none(dout, cache):
    return None if not cache["train"] else dout * cache["keep"] / (1 - cache["p"])


def softmax_first_term_only(da, cache):
    return da * cache["a"]


def softmax_second_term_sign(da, cache):
    a = cache["a"]
    return da * a + np.sum(da * a, axis=1, keepdims=True) * a


def softmax_transposed(da, cache):
    return L.softmax_backward(da, cache).T


def softmax_doubled(da, cache):
    return 2 * L.softmax_backward(da, cache)


def softmax_list(da, cache):
    return L.softmax_backward(da, cache).tolist()


def softmax_float32(da, cache):
    a = cache["a"].astype(np.float32)
    da = da.astype(np.float32)
    return (da - np.sum(da * a, axis=1, keepdims=True)) * a


def softmax_float32_returned_as_float64(da, cache):
    return softmax_float32(da, cache).astype(np.float64)


def cross_entropy_no_max_shift(z, y):
    N = z.shape[0]
    with np.errstate(all="ignore"):
        e = np.exp(z)
        a = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(L.softmax(z)[np.arange(N), y]))
    dz = a.copy()
    dz[np.arange(N), y] -= 1
    return loss, dz / N


def cross_entropy_mean_twice(z, y):
    loss, dz = L.softmax_cross_entropy(z, y)
    return loss, dz / z.shape[0]


def cross_entropy_onehot_not_divided(z, y):
    N, C = z.shape
    loss, _ = L.softmax_cross_entropy(z, y)
    return loss, L.softmax(z) / N - np.eye(C)[y]


def cross_entropy_loss_summed(z, y):
    loss, dz = L.softmax_cross_entropy(z, y)
    return loss * z.shape[0], dz


def cross_entropy_loss_overflows(z, y):
    N = z.shape[0]
    with np.errstate(all="ignore"):
        loss = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(N), y]))
    return loss, L.softmax_cross_entropy(z, y)[1]


def cross_entropy_three_outputs(z, y):
    loss, dz = L.softmax_cross_entropy(z, y)
    return loss, dz, L.softmax(z)


def batchnorm_dgamma_keepdims(dout, cache):
    dx, _, dbeta = L.batchnorm_backward(dout, cache)
    return dx, np.sum(dout * cache["x_hat"], axis=0, keepdims=True), dbeta


def batchnorm_dbeta_wrong_axis(dout, cache):
    dx, dgamma, _ = L.batchnorm_backward(dout, cache)
    return dx, dgamma, dout.sum(axis=1)


def _bn_terms(dout, cache, mean_sign=-1.0, variance_factor=-1.0):
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    scale = gamma / np.sqrt(cache["var"] + cache["eps"])
    dx = scale * (dout + mean_sign * dout.mean(axis=0) + variance_factor * x_hat * (dout * x_hat).mean(axis=0))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def batchnorm_mean_term_sign(dout, cache):
    return _bn_terms(dout, cache, mean_sign=+1.0)


def batchnorm_variance_term_twice(dout, cache):
    return _bn_terms(dout, cache, variance_factor=-2.0)


def batchnorm_dgamma_eps_missing(dout, cache):
    dx, _, dbeta = L.batchnorm_backward(dout, cache)
    return dx, np.sum(dout * (cache["x"] - cache["mu"]) / np.sqrt(cache["var"]), axis=0), dbeta


def batchnorm_gamma_twice(dout, cache):
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    return dx * cache["gamma"], dgamma, dbeta


def batchnorm_dgamma_uses_x(dout, cache):
    dx, _, dbeta = L.batchnorm_backward(dout, cache)
    return dx, np.sum(dout * cache["x"], axis=0), dbeta


def batchnorm_list_of_four(dout, cache):
    return [*L.batchnorm_backward(dout, cache), None]


def batchnorm_tuple_of_four(dout, cache):
    return (*L.batchnorm_backward(dout, cache), None)


def _net(dscores, cache, relu_on=None, **changes):
    """The reference chain, with one link changed."""
    grads = {}
    dzbn, grads["W2"], grads["b2"] = L.affine_backward(dscores, cache["affine2"])
    d = L.dropout_backward(dzbn, cache["dropout"])
    mask_input = cache["relu"] if relu_on is None else relu_on(cache)
    d = d * (mask_input > 0)
    dy1, grads["gamma"], grads["beta"] = L.batchnorm_backward(d, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = L.affine_backward(dy1, cache["affine1"])
    for name, change in changes.items():
        grads[name] = change(grads, cache, dscores, dzbn)
    return grads


def net_b1_from_wrong_tensor(dscores, cache):
    return _net(dscores, cache, b1=lambda g, c, ds, dzbn: dzbn.sum(axis=0))


def net_relu_mask_on_y1(dscores, cache):
    return _net(dscores, cache, relu_on=lambda c: c["bn"]["x"])


def net_dw2_transposed(dscores, cache):
    return _net(dscores, cache, W2=lambda g, c, ds, dzbn: g["W2"].T)


def net_db2_wrong_axis(dscores, cache):
    return _net(dscores, cache, b2=lambda g, c, ds, dzbn: ds.sum(axis=1))


def net_dx_sign(dscores, cache):
    return _net(dscores, cache, X=lambda g, c, ds, dzbn: -g["X"])


def net_dw1_doubled(dscores, cache):
    return _net(dscores, cache, W1=lambda g, c, ds, dzbn: 2 * g["W1"])


WRONG = {
    # name: (question, answer, a diagnosis contains, no diagnosis contains)
    "dropout_mask_ignored": ("dropout_backward", dropout_mask_ignored, "non-zero where the gradient is zero", "scale"),
    "dropout_scaled_twice": ("dropout_backward", dropout_scaled_twice, "dx divided by (1-p)", "eval"),
    "dropout_p_as_keep_probability": ("dropout_backward", dropout_p_as_keep_probability, "dx multiplied by (1-p)/p", "eval"),
    "dropout_eval_zero": ("dropout_backward", dropout_eval_zero, "dx as zero everywhere in the case 'p = 0.3, eval mode'", "scale"),
    "dropout_eval_none": ("dropout_backward", dropout_eval_none, "returns None as dx in the case 'p = 0.3, eval mode'", "shape"),
    "softmax_first_term_only": ("softmax_backward", softmax_first_term_only, "the term -(da . a) a missing", "diagonal"),
    "softmax_second_term_sign": ("softmax_backward", softmax_second_term_sign, "the term -(da . a) a with the wrong sign", "sign flipped"),
    "softmax_transposed": ("softmax_backward", softmax_transposed, "returns dz transposed", "wrong axis"),
    "softmax_doubled": ("softmax_backward", softmax_doubled, "dz multiplied by 2", "diagonal"),
    "softmax_list": ("softmax_backward", softmax_list, "returns a list instead of a numpy array", "wrong dz"),
    "softmax_float32": ("softmax_backward", softmax_float32, "right to float32 precision only", "eps"),
    "softmax_float32_as_float64": ("softmax_backward", softmax_float32_returned_as_float64, "right to float32 precision only", "eps"),
    "cross_entropy_no_max_shift": ("softmax_cross_entropy", cross_entropy_no_max_shift, "NaN or infinity in dz only for logits of order 1e3", "1/N"),
    "cross_entropy_mean_twice": ("softmax_cross_entropy", cross_entropy_mean_twice, "dz divided by N", "onehot(y)\u00a0"),
    "cross_entropy_onehot_not_divided": ("softmax_cross_entropy", cross_entropy_onehot_not_divided, "the term -onehot(y) / N multiplied by N", "forgets"),
    "cross_entropy_loss_summed": ("softmax_cross_entropy", cross_entropy_loss_summed, "returns loss multiplied by N", "dz"),
    "cross_entropy_loss_overflows": ("softmax_cross_entropy", cross_entropy_loss_overflows, "NaN or infinity in loss only for logits of order 1e3", "dz"),
    "cross_entropy_three_outputs": ("softmax_cross_entropy", cross_entropy_three_outputs, "returns a tuple of 3 instead of the tuple (loss, dz)", "wrong dz"),
    "batchnorm_dgamma_keepdims": ("batchnorm_backward", batchnorm_dgamma_keepdims, "dgamma with an extra axis of length 1 (keepdims)", "dx"),
    "batchnorm_dbeta_wrong_axis": ("batchnorm_backward", batchnorm_dbeta_wrong_axis, "dbeta of length N instead of D", "dx"),
    "batchnorm_mean_term_sign": ("batchnorm_backward", batchnorm_mean_term_sign, "the term through the mean with the wrong sign", "constants"),
    "batchnorm_variance_term_twice": ("batchnorm_backward", batchnorm_variance_term_twice, "the term through the variance counted twice", "constants"),
    "batchnorm_dgamma_eps_missing": ("batchnorm_backward", batchnorm_dgamma_eps_missing, "returns dgamma close to the gradient", "constants"),
    "batchnorm_gamma_twice": ("batchnorm_backward", batchnorm_gamma_twice, "dx off by a different factor in each column", "forgets gamma"),
    "batchnorm_dgamma_uses_x": ("batchnorm_backward", batchnorm_dgamma_uses_x, "computes dgamma from x instead of x_hat", "sum(dout)"),
    "batchnorm_list_of_four": ("batchnorm_backward", batchnorm_list_of_four, "returns a list of 4 instead of the tuple (dx, dgamma, dbeta)", "wrong"),
    "batchnorm_tuple_of_four": ("batchnorm_backward", batchnorm_tuple_of_four, "returns a tuple of 4 instead of the tuple (dx, dgamma, dbeta)", "wrong"),
    "net_b1_from_wrong_tensor": ("bn_net_backward", net_b1_from_wrong_tensor, "returns a wrong b1", "identity"),
    "net_relu_mask_on_y1": ("bn_net_backward", net_relu_mask_on_y1, "goes wrong between the second affine layer and gamma, beta", "forgets the ReLU mask"),
    "net_dw2_transposed": ("bn_net_backward", net_dw2_transposed, "returns W2 transposed", "identity"),
    "net_db2_wrong_axis": ("bn_net_backward", net_db2_wrong_axis, "returns b2 of length N instead of C", "identity"),
    "net_dx_sign": ("bn_net_backward", net_dx_sign, "returns X with the sign flipped", "identity"),
    "net_dw1_doubled": ("bn_net_backward", net_dw1_doubled, "returns W1 multiplied by 2", "identity"),
}

# What the whole diagnosis text must also say (the right outputs, where to look, the fix).
ALSO = {
    "dropout_eval_none": "numpy array of shape (N, D)",
    "softmax_list": "The values are right",
    "cross_entropy_no_max_shift": "subtract each row's maximum",
    "cross_entropy_three_outputs": "The values are right",
    "batchnorm_dgamma_keepdims": "dx and dbeta are right",
    "batchnorm_dbeta_wrong_axis": "dx and dgamma are right",
    "batchnorm_list_of_four": "The values are right",
    "batchnorm_dict": "The values are right",
    "cross_entropy_dz_only": "dz is right",
    "net_keys_with_d": "The values are right",
    "net_without_x_and_w2_doubled": "returns a dict without the key 'X'",
    "net_grads_and_dx_without_x": "X (it has no key 'X'), as",
    "net_tuple_of_seven_with_two_dicts": "the keys W1, b1, gamma, beta, W2, b2, X, as",
    "batchnorm_tuple_of_four": "The values are right",
    "cross_entropy_no_max_shift_nor_mean": "NaN or infinity in the case 'logits of order 1e3': exp(z) overflows",
    "softmax_with_its_cache": "The values are right: only the container is wrong. Return dz alone, a numpy array",
    "net_b1_from_wrong_tensor": "W1, gamma, beta, W2, b2 and X are right",
    "net_relu_mask_on_y1": "ReLU mask",
    "net_dw2_transposed": "The values are right but transposed",
    "dropout_cs231n_keep_probability": "NaN or infinity in the case 'p = 0 (nothing dropped), training mode'",
    "net_dropout_backward_twice": "dropout backward",
    "net_b1_summed_before_batchnorm": "W1, gamma, beta, W2, b2 and X are right",
}


def batchnorm_n_from_the_wrong_axis(dout, cache):
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    D = dout.shape[1]  # meant N = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    return gamma / (D * np.sqrt(cache["var"] + cache["eps"])) * (D * dout - dbeta - x_hat * dgamma), dgamma, dbeta


def batchnorm_dgamma_dbeta_swapped(dout, cache):
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    return dx, dbeta, dgamma


def net_gamma_beta_unpacked_in_the_wrong_order(dscores, cache):
    grads = _net(dscores, cache)
    grads["gamma"], grads["beta"] = grads["beta"], grads["gamma"]
    return grads


def cross_entropy_divided_by_c(z, y):
    loss, dz = L.softmax_cross_entropy(z, y)
    return loss, dz * z.shape[0] / z.shape[1]


def dropout_cs231n_keep_probability(dout, cache):
    # CS231n's p is the keep probability; here it is the drop probability (and p = 0 divides by zero).
    with np.errstate(all="ignore"):
        return dout * cache["keep"] / cache["p"] if cache["train"] else dout * cache["keep"]


def batchnorm_variance_term_summed_not_averaged(dout, cache):
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    N = x.shape[0]
    xmu, ivar = x - mu, 1 / np.sqrt(var + eps)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * ivar ** 3
    dmu = np.sum(-dxhat * ivar, axis=0) + dvar * np.mean(-2 * xmu, axis=0)
    return dxhat * ivar + dvar * 2 * xmu + dmu / N, np.sum(dout * cache["x_hat"], axis=0), np.sum(dout, axis=0)


def batchnorm_without_one_over_n(dout, cache):
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    return dx * dout.shape[0], dgamma, dbeta


def batchnorm_both_keepdims(dout, cache):
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    return dx, dgamma.reshape(1, -1), dbeta.reshape(1, -1)


def cross_entropy_dz_sign(z, y):
    loss, dz = L.softmax_cross_entropy(z, y)
    return loss, -dz


def net_dropout_backward_twice(dscores, cache):
    grads = {}
    dzbn, grads["W2"], grads["b2"] = L.affine_backward(dscores, cache["affine2"])
    d = L.dropout_backward(L.dropout_backward(dzbn, cache["dropout"]), cache["dropout"])
    dy1, grads["gamma"], grads["beta"] = L.batchnorm_backward(L.relu_backward(d, cache["relu"]), cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = L.affine_backward(dy1, cache["affine1"])
    return grads


def net_b1_summed_before_batchnorm(dscores, cache):
    grads = {}
    dzbn, grads["W2"], grads["b2"] = L.affine_backward(dscores, cache["affine2"])
    d = L.relu_backward(L.dropout_backward(dzbn, cache["dropout"]), cache["relu"])
    dy1, grads["gamma"], grads["beta"] = L.batchnorm_backward(d, cache["bn"])
    X, W1, _ = cache["affine1"]
    grads.update(X=dy1 @ W1.T, W1=X.T @ dy1, b1=d.sum(axis=0))
    return grads


def batchnorm_dict(dout, cache):
    return dict(zip(("dx", "dgamma", "dbeta"), L.batchnorm_backward(dout, cache)))


def cross_entropy_dz_only(z, y):
    return L.softmax_cross_entropy(z, y)[1]


def cross_entropy_swapped(z, y):
    loss, dz = L.softmax_cross_entropy(z, y)
    return dz, loss


def net_without_x_and_w2_doubled(dscores, cache):
    grads = L.bn_net_backward(dscores, cache)
    del grads["X"]
    grads["W2"] = 2 * grads["W2"]
    return grads


def net_grads_and_dx_without_x(dscores, cache):
    grads = L.bn_net_backward(dscores, cache)
    return grads, grads.pop("X")


def net_tuple_of_seven_with_two_dicts(dscores, cache):
    grads = L.bn_net_backward(dscores, cache)
    return grads, dict(grads), 1, 2, 3, 4, 5


def net_keys_with_d(dscores, cache):
    return {"d" + key: value for key, value in L.bn_net_backward(dscores, cache).items()}


def cross_entropy_rows_indexed_by_y(z, y):
    N = z.shape[0]
    loss, _ = L.softmax_cross_entropy(z, y)
    dz = L.softmax(z)
    dz[y] -= 1  # whole rows y, not the entries (n, y[n])
    return loss, dz / N


def net_dw2_from_relu_input(dscores, cache):
    return _net(dscores, cache, W2=lambda g, c, ds, dzbn: c["relu"].T @ ds)


def net_dw1_skipping_batchnorm(dscores, cache):
    def from_dxbn(g, c, ds, dzbn):
        dxbn = L.relu_backward(L.dropout_backward(dzbn, c["dropout"]), c["relu"])
        return c["affine1"][0].T @ dxbn
    return _net(dscores, cache, W1=from_dxbn)


def softmax_with_its_cache(da, cache):
    return L.softmax_backward(da, cache), cache


def batchnorm_dgamma_from_x_minus_mu(dout, cache):
    dx, _, dbeta = L.batchnorm_backward(dout, cache)
    return dx, np.sum(dout * (cache["x"] - cache["mu"]), axis=0), dbeta


def batchnorm_dgamma_times_gamma(dout, cache):
    dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
    return dx, dgamma * cache["gamma"], dbeta


def cross_entropy_no_max_shift_nor_mean(z, y):
    dz = cross_entropy_no_max_shift(z, y)[1] * z.shape[0]
    return L.softmax_cross_entropy(z, y)[0], dz


def batchnorm_without_dbeta(dout, cache):
    return L.batchnorm_backward(dout, cache)[:2]


WRONG.update({
    # A tuple holding dz was said to return 'None as dz' and told to use np.asarray; too few items, nothing.
    "softmax_with_its_cache": ("softmax_backward", softmax_with_its_cache, "returns a tuple of 2 instead of a numpy array", "None"),
    # NaN on the large logits and the 1/N left out elsewhere was only 'returns a wrong dz'.
    "cross_entropy_no_max_shift_nor_mean": ("softmax_cross_entropy", cross_entropy_no_max_shift_nor_mean,
                                            "returns dz multiplied by N in the cases", "wrong"),
    # The layer's output for its gradient was only 'returns a wrong dz'.
    "softmax_returns_a": ("softmax_backward", lambda da, cache: cache["a"].copy(), "returns the softmax output a", "wrong"),
    # dgamma from another tensor than x_hat was only 'returns a wrong dgamma'.
    "batchnorm_dgamma_from_x_minus_mu": ("batchnorm_backward", batchnorm_dgamma_from_x_minus_mu,
                                         "computes dgamma from x - mu instead of x_hat", "constants"),
    "batchnorm_dgamma_times_gamma": ("batchnorm_backward", batchnorm_dgamma_times_gamma,
                                     "computes dgamma from gamma * x_hat instead of x_hat", "wrong"),
    "batchnorm_without_dbeta": ("batchnorm_backward", batchnorm_without_dbeta,
                                "returns a tuple of 2 instead of the tuple (dx, dgamma, dbeta)", "wrong"),
    "batchnorm_dgamma_dbeta_swapped": ("batchnorm_backward", batchnorm_dgamma_dbeta_swapped, "returns dgamma and dbeta in each other's place", "keepdims"),
    "net_gamma_beta_swapped": ("bn_net_backward", net_gamma_beta_unpacked_in_the_wrong_order, "returns gamma and beta in each other's place", "identity"),
    "dropout_cs231n_keep_probability": ("dropout_backward", dropout_cs231n_keep_probability, "dx multiplied by (1-p)/p in the cases 'p = 0.3, training mode' and 'p = 0.75, training mode'", "sign"),
    "batchnorm_variance_term_summed_not_averaged": ("batchnorm_backward", batchnorm_variance_term_summed_not_averaged, "the term through the variance multiplied by N", "constants"),
    "batchnorm_without_one_over_n": ("batchnorm_backward", batchnorm_without_one_over_n, "returns dx multiplied by N", "gamma"),
    "batchnorm_both_keepdims": ("batchnorm_backward", batchnorm_both_keepdims, "returns dgamma and dbeta with an extra axis of length 1 (keepdims)", "dx"),
    "cross_entropy_dz_sign": ("softmax_cross_entropy", cross_entropy_dz_sign, "returns dz with the sign flipped", "forgets"),
    "net_dropout_backward_twice": ("bn_net_backward", net_dropout_backward_twice, "returns W1, gamma, beta and X divided by (1-p) in every case but 'random upstream gradient, no dropout (p = 0)'", "identity"),
    "net_b1_summed_before_batchnorm": ("bn_net_backward", net_b1_summed_before_batchnorm, "returns as b1 the gradient beta", "identity"),
    "batchnorm_dict": ("batchnorm_backward", batchnorm_dict, "returns a dict instead of the tuple (dx, dgamma, dbeta)", "wrong"),
    "cross_entropy_dz_only": ("softmax_cross_entropy", cross_entropy_dz_only, "returns only dz instead of the tuple (loss, dz)", "wrong"),
    "cross_entropy_swapped": ("softmax_cross_entropy", cross_entropy_swapped, "returns loss and dz in each other's place", "shape"),
    # A key missing says nothing of the outputs there: each is diagnosed, without a place in the chain (that needs X).
    "net_without_x_and_w2_doubled": ("bn_net_backward", net_without_x_and_w2_doubled, "returns W2 multiplied by 2", "between"),
    "net_grads_and_dx_without_x": ("bn_net_backward", net_grads_and_dx_without_x, "returns a tuple of 2 holding the dict instead of the dict alone", "wrong"),
    # Two dicts: neither is the dict, so none is said to lack a key (that diagnosis once raised, and none was made).
    "net_tuple_of_seven_with_two_dicts": ("bn_net_backward", net_tuple_of_seven_with_two_dicts,
                                          "returns a tuple of 7 holding the dict instead of the dict alone", "no key"),
    "net_keys_with_d": ("bn_net_backward", net_keys_with_d, "returns a dict with other keys than W1, b1, gamma, beta, W2, b2, X", "wrong"),
    "cross_entropy_rows_indexed_by_y": ("softmax_cross_entropy", cross_entropy_rows_indexed_by_y, "subtracts 1 at a wrong set of entries, not exactly those of onehot(y)", "1/N"),
    "net_dw2_from_relu_input": ("bn_net_backward", net_dw2_from_relu_input, "computes W2 from the ReLU's input X_BN instead of the dropout's output", "identity"),
    "net_dw1_skipping_batchnorm": ("bn_net_backward", net_dw1_skipping_batchnorm, "computes W1 from dL/dX_BN instead of dL/dY1", "identity"),
    "cross_entropy_divided_by_c": ("softmax_cross_entropy", cross_entropy_divided_by_c, "returns dz multiplied by N/C", "forgets"),
    # N/D is a different number in each case, 2 in some: each term's phrase must fit every case.
    "batchnorm_n_from_the_wrong_axis": ("batchnorm_backward", batchnorm_n_from_the_wrong_axis,
                                        "the term through the mean multiplied by N/D and the term through the variance multiplied by N/D", "twice"),
})


@pytest.mark.parametrize("name", sorted(WRONG))
def test_an_unlisted_mistake_loses_points_and_gets_a_true_specific_diagnosis(name):
    function, answer, says, never = WRONG[name]
    result = grade(function, answer)
    assert result.score < result.max_score
    found = names(result)
    assert any(says in mistake for mistake in found), found
    text = " ".join(d["mistake"] + " " + d["hint"] for d in result.diagnoses)
    assert never not in " ".join(found), found
    assert ALSO.get(name, "") in text, text
    # Never a listed mistake: these answers are none of them.
    listed = {m.name for q in specs.QUESTIONS for m in q.mistakes}
    assert not listed & set(found), found


def test_a_case_whose_given_loss_is_wrong_earns_nothing_though_its_dz_is_right():
    # The loss has weight 0: its points are dz's, which a wrong loss must not keep.
    for answer, score in ((cross_entropy_loss_summed, 0.0), (cross_entropy_loss_overflows, 7.0)):
        result = grade("softmax_cross_entropy", answer)
        assert result.score == score, (answer.__name__, result.score)
        for case in {check.case for check in result.checks}:
            dz, loss = sorted((c for c in result.checks if c.case == case), key=lambda c: c.output)
            assert dz.passed == loss.passed and dz.points == (dz.max_points if loss.passed else 0.0)
            if not loss.passed:
                assert dz.message == "right, but this case earns nothing: its loss is wrong", dz.message
                rows = {(row[0], row[1]): row[2] for row in feedback.check_rows(result)}
                assert rows[case, "loss"] == rows[case, "dz"] == "FAIL"


# --- correct answers written differently: full marks, no diagnosis, no FAIL row -------------------

def dropout_where(dout, cache):
    if not cache["train"]:
        return dout
    return np.where(cache["keep"], dout / (1 - cache["p"]), 0.0)


def dropout_mask_twice(dout, cache):
    if not cache["train"]:
        return dout * 1.0
    keep = cache["keep"]
    return dout * keep * keep / (1 - cache["p"])


def softmax_einsum_jacobian(da, cache):
    a = cache["a"]
    jacobian = np.einsum("ni,ij->nij", a, np.eye(a.shape[1])) - np.einsum("ni,nj->nij", a, a)
    return np.einsum("nij,ni->nj", jacobian, da)


def softmax_expanded(da, cache):
    a = cache["a"]
    return a * da - a * (a * da).sum(axis=1)[:, None]


def cross_entropy_own_stable_softmax(z, y):
    N = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_a = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dz = np.exp(log_a)
    dz[np.arange(N), y] -= 1
    return -np.mean(log_a[np.arange(N), y]), dz / N


def cross_entropy_loss_shape_one(z, y):
    loss, dz = L.softmax_cross_entropy(z, y)
    return np.array([loss]), dz


def batchnorm_centred_form(dout, cache):
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    N = x.shape[0]
    xc = x - mu
    inv = 1 / np.sqrt(var + eps)
    dgamma = np.einsum("nd,nd->d", dout, xc * inv)
    dx = gamma * inv / N * (N * dout - dout.sum(axis=0) - xc * inv ** 2 * np.sum(dout * xc, axis=0))
    return dx, dgamma, dout.sum(axis=0)


def batchnorm_per_feature_loop(dout, cache):
    dx, dgamma, dbeta = np.empty_like(dout), np.empty(dout.shape[1]), np.empty(dout.shape[1])
    for d in range(dout.shape[1]):
        g, xh = dout[:, d], cache["x_hat"][:, d]
        inv = 1 / np.sqrt(cache["var"][d] + cache["eps"])
        dbeta[d], dgamma[d] = g.sum(), (g * xh).sum()
        dx[:, d] = cache["gamma"][d] * inv * (g - g.mean() - xh * (g * xh).mean())
    return dx, dgamma, dbeta


def net_relu_after_dropout_output(dscores, cache):
    # The ReLU mask read from dropout's output: zero where a unit was dropped, where the gradient is zero anyway.
    grads = {}
    zd = cache["affine2"][0]
    dzbn, grads["W2"], grads["b2"] = L.affine_backward(dscores, cache["affine2"])
    keep = cache["dropout"]["keep"]
    d = L.dropout_backward(dzbn, cache["dropout"]) * ((zd > 0) | ~keep if keep is not None else zd > 0)
    dy1, grads["gamma"], grads["beta"] = L.batchnorm_backward(d, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = L.affine_backward(dy1, cache["affine1"])
    return grads


def net_relu_before_dropout(dscores, cache):
    grads = {}
    dzbn, grads["W2"], grads["b2"] = L.affine_backward(dscores, cache["affine2"])
    d = L.dropout_backward(L.relu_backward(dzbn, cache["relu"]), cache["dropout"])
    dy1, grads["gamma"], grads["beta"] = L.batchnorm_backward(d, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = L.affine_backward(dy1, cache["affine1"])
    return dict(reversed(list(grads.items())))


def cross_entropy_through_softmax_backward(z, y):
    N, C = z.shape
    a = L.softmax(z)
    loss = -np.mean(np.log(a[np.arange(N), y]))
    da = -np.eye(C)[y] / (N * a)  # the gradient of the loss with respect to a
    return loss, L.softmax_backward(da, {"a": a})


def batchnorm_variance_from_the_second_moment(dout, cache):
    # E[x^2] - mu^2: exact enough at the large-mean case's mean and spread (so the hint does not blame it).
    x, gamma, eps = cache["x"], cache["gamma"], cache["eps"]
    mu = x.mean(axis=0)
    inv_std = 1 / np.sqrt((x ** 2).mean(axis=0) - mu ** 2 + eps)
    x_hat = (x - mu) * inv_std
    dgamma = (dout * x_hat).sum(axis=0)
    return gamma * inv_std * (dout - dout.mean(axis=0) - x_hat * dgamma / len(x)), dgamma, dout.sum(axis=0)


def batchnorm_list(dout, cache):
    # Unpacked as the tuple is, by the self-check and any caller: right.
    return list(L.batchnorm_backward(dout, cache))


def cross_entropy_list(z, y):
    return list(L.softmax_cross_entropy(z, y))


def dropout_eval_returns_dout_itself(dout, cache):
    return dout if not cache["train"] else dout * (cache["keep"] / (1 - cache["p"]))


CORRECT = {
    "dropout_where": ("dropout_backward", dropout_where),
    "dropout_mask_twice": ("dropout_backward", dropout_mask_twice),
    "softmax_einsum_jacobian": ("softmax_backward", softmax_einsum_jacobian),
    "softmax_expanded": ("softmax_backward", softmax_expanded),
    "cross_entropy_own_stable_softmax": ("softmax_cross_entropy", cross_entropy_own_stable_softmax),
    "cross_entropy_loss_shape_one": ("softmax_cross_entropy", cross_entropy_loss_shape_one),
    "batchnorm_centred_form": ("batchnorm_backward", batchnorm_centred_form),
    "batchnorm_per_feature_loop": ("batchnorm_backward", batchnorm_per_feature_loop),
    "net_relu_after_dropout_output": ("bn_net_backward", net_relu_after_dropout_output),
    "net_relu_before_dropout": ("bn_net_backward", net_relu_before_dropout),
    "cross_entropy_through_softmax_backward": ("softmax_cross_entropy", cross_entropy_through_softmax_backward),
    "dropout_eval_returns_dout_itself": ("dropout_backward", dropout_eval_returns_dout_itself),
    "batchnorm_list": ("batchnorm_backward", batchnorm_list),
    "batchnorm_variance_from_the_second_moment": ("batchnorm_backward", batchnorm_variance_from_the_second_moment),
    "cross_entropy_list": ("softmax_cross_entropy", cross_entropy_list),
}


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_a_correct_answer_written_differently_gets_full_marks_and_no_diagnosis(name):
    function, answer = CORRECT[name]
    result = grade(function, answer)
    failing = [(c.case, c.output, c.message) for c in result.checks if not c.passed]
    assert result.score == result.max_score and not failing, failing
    assert result.diagnoses == []
    assert "FAIL" not in feedback.question_text(result, 1) and "wrong" not in feedback.question_text(result, 1)


# --- the listed mistakes, one salt after another ------------------------------------------------------

@pytest.mark.parametrize("function", [q.function for q in specs.QUESTIONS])
def test_every_listed_mistake_is_named_alone_for_several_students(function):
    (question,) = [q for q in specs.QUESTIONS if q.function == function]
    for mistake in question.mistakes:
        for student in ("ada", "grace"):
            result = grade(function, mistake.variant, submission=student)
            assert result.score < result.max_score
            assert names(result) == [mistake.name], (mistake.name, student, names(result))


# --- float32: one policy, whatever the inputs drawn -----------------------------------------------

def test_float32_answers_score_the_same_for_every_student():
    for student in ("ada", "grace", "alan", "barbara"):
        result = grade("softmax_backward", softmax_float32, submission=student)
        assert result.score == 0 and names(result) == ["returns dz right to float32 precision only"]


def test_an_answer_only_rounded_to_float32_fails_with_the_reason_in_its_rows():
    result = grade("dropout_backward", lambda dout, cache: L.dropout_backward(dout, cache).astype(np.float32))
    assert result.score == 0
    assert all("float32" in check.message for check in result.checks)
    assert "float32 precision only" in feedback.question_text(result, 1)


def test_float32_signature_needs_every_value_to_be_a_float32_number():
    values = np.random.default_rng(0).standard_normal(20)
    assert not diagnosis.is_float32(values)
    assert diagnosis.is_float32(values.astype(np.float32))
    assert diagnosis.is_float32(values.astype(np.float32).astype(np.float64))
    assert not diagnosis.is_float32(np.zeros(5))


@pytest.mark.parametrize("answer", [softmax_float32, softmax_float32_returned_as_float64, softmax_list])
def test_the_self_check_fails_what_the_grader_gives_no_points(answer, capsys):
    """float32 numbers and a list for an array earn nothing in the grader: the notebook's
    self-check said PASS for them (a float32 softmax agrees with the numerical gradient to 5e-8)."""
    import gradcheck
    import self_checks

    assert grade("softmax_backward", answer).score == 0
    assert not self_checks.check_softmax_backward(L.softmax_forward, answer)
    assert "FAIL" in capsys.readouterr().out
    assert self_checks.check_softmax_backward(L.softmax_forward, L.softmax_backward)
    # A gradient zero by construction is compared absolutely: its few-digit rounding is no float32 answer.
    assert gradcheck.report("b1", np.array([2.0**-56, 0.0]), np.zeros(2), atol=1e-8)


def cross_entropy_onehot_from_eye_of_n(z, y):
    # np.eye(N) where np.eye(C) belongs, cut to C columns: right when N > C, an IndexError when N < C.
    N, C = z.shape
    loss, _ = L.softmax_cross_entropy(z, y)
    return loss, (L.softmax(z) - np.eye(N)[y][:, :C]) / N


def cross_entropy_columns_of_y(z, y):
    N = z.shape[0]
    loss, _ = L.softmax_cross_entropy(z, y)
    dz = L.softmax(z)
    dz[:, y] -= 1  # whole columns y, not the entries (n, y[n])
    return loss, dz / N


def test_no_case_has_one_class_for_every_example():
    """With y constant, onehot(y) is one whole column and dz[:, y] -= 1 is right: a student's
    draw of 5 examples of 3 classes, y = [1 1 1 1 1], gave that answer the case's points."""
    for seed in range(300):
        for case in specs.CROSS_ENTROPY.cases:
            _, y = specs.CROSS_ENTROPY.draw(np.random.default_rng(seed), **case.params).args
            assert len(set(y.tolist())) > 1
    for student in ("alice", "bob", "carol"):
        result = grade("softmax_cross_entropy", cross_entropy_columns_of_y, submission=student)
        assert result.score == 0, [c.case for c in result.checks if c.passed and c.output == "dz"]


def cross_entropy_onehot_from_eye_of_n_by_c(z, y):
    # np.eye(N, C): its rows are onehot vectors only for classes below N; with N < C a label >= N raises.
    N, C = z.shape
    loss, _ = L.softmax_cross_entropy(z, y)
    return loss, (L.softmax(z) - np.eye(N, C)[y]) / N


def cross_entropy_onehot_of_the_classes_seen(z, y):
    # y.max() + 1 columns: right only when the last class occurs among the labels.
    N = z.shape[0]
    loss, _ = L.softmax_cross_entropy(z, y)
    onehot = np.zeros((N, y.max() + 1))
    onehot[np.arange(N), y] = 1
    return loss, (L.softmax(z) - onehot) / N


def test_the_labels_do_not_tell_a_onehot_its_width():
    """With N < C, labels all below N (about one draw in three) gave np.eye(N, C)[y] the case's
    points, and a student's draw full marks; a onehot of y.max() + 1 columns is right whenever the
    last class occurs, so one case leaves it out (and another keeps it, for an answer wrong only there)."""
    for seed in range(300):
        seen = []
        for case in specs.CROSS_ENTROPY.cases:
            z, y = specs.CROSS_ENTROPY.draw(np.random.default_rng(seed), **case.params).args
            N, C = z.shape
            assert N > C or y.max() >= N
            seen.append(y.max() == C - 1)
        assert False in seen and True in seen
    for student in ("alice", "bob", "carol", "dave", "erin", "frank", "x"):
        for answer in (cross_entropy_onehot_from_eye_of_n_by_c, cross_entropy_onehot_of_the_classes_seen):
            result = grade("softmax_cross_entropy", answer, submission=student)
            assert 0 < result.score < result.max_score, (answer.__name__, student)


def test_no_case_makes_a_mask_unneeded():
    """A dropout mask keeping every unit (p > 0), or ReLU inputs all of one sign, would let an
    answer that leaves that mask out pass the case (5 of the first 3,000 draws of p = 0.3 kept every unit)."""
    (p_03,) = [case for case in specs.DROPOUT.cases if case.params == {"p": 0.3, "train": True}]
    for seed in range(3000):
        _, cache = specs.DROPOUT.draw(np.random.default_rng(seed), **p_03.params).args
        assert cache["keep"].any() and not cache["keep"].all()
    for seed in range(100):
        for case in specs.NET.cases[:2]:
            _, cache = specs.NET.draw(np.random.default_rng(seed), **case.params).args
            assert not cache["dropout"]["keep"].all()
            assert (cache["relu"] < 0).any() and (cache["relu"] > 0).any()


@pytest.mark.parametrize("student", ["alice", "bob", "carol", "dave", "erin", "frank"])
def test_an_answer_right_in_one_orientation_only_loses_points_for_every_student(student):
    """Each question with an (N, C) layout has a case with N > C and one with N < C: the
    cross-entropy's two cases used to draw theirs at random, and this answer got full marks
    for about one student in four."""
    result = grade("softmax_cross_entropy", cross_entropy_onehot_from_eye_of_n, submission=student)
    assert 0 < result.score < result.max_score


def _mean_of(x):
    x.mean(axis=0)  # the return forgotten: the helper gives None


def batchnorm_helper_without_return(dout, cache):
    mu = _mean_of(cache["x"])
    return L.batchnorm_backward(dout, {**cache, "x": cache["x"] - mu})


def dropout_mask_read_in_eval_mode(dout, cache):
    return dout * cache["keep"] / (1 - cache["p"])


def test_an_exception_about_none_gets_the_hint_of_its_own_question():
    """"NoneType" in a message meant the dropout cache's mask in eval mode, in every question: a
    batchnorm_backward whose helper forgot its return was told about dropout's eval mode."""
    hints = [d["hint"] for d in grade("batchnorm_backward", batchnorm_helper_without_return).diagnoses]
    assert any("missing return" in hint for hint in hints) and not any("dropout" in hint for hint in hints), hints
    hints = [d["hint"] for d in grade("dropout_backward", dropout_mask_read_in_eval_mode).diagnoses]
    assert any("in eval mode the dropout cache holds no mask" in hint for hint in hints), hints


# --- the headline ---------------------------------------------------------------------------------

def _submission(*questions):
    return SubmissionResult("s", "s.py", "0", "rlimits", questions=list(questions))


def test_the_headline_names_the_question_that_cost_the_most():
    dropout = grade("dropout_backward", dropout_scaled_twice)  # loses some of its points
    batchnorm = grade("batchnorm_backward", batchnorm_mean_term_sign)  # loses all of its points
    line = feedback.headline(_submission(dropout, batchnorm))
    most = specs.DROPOUT.points + specs.BATCHNORM.points
    assert line.startswith(f"{dropout.score + batchnorm.score:g}/{most:g} — batchnorm_backward returns dx with the term")


def test_the_headline_without_a_diagnosis_is_a_sentence():
    dropout = grade("dropout_backward", lambda dout, cache: (_ for _ in ()).throw(NotImplementedError("x")))
    line = feedback.headline(_submission(dropout))
    points = f"{specs.DROPOUT.points:g}"
    assert line == f"0/{points} — most points lost on dropout_backward ({points} of {points}): it is not implemented yet"


# --- the class report counts structural diagnoses too -----------------------------------------------

def test_the_class_report_counts_structural_diagnoses():
    from autograder import report

    class Grading:
        def __init__(self, result):
            self.result = result

    results = [_submission(grade("batchnorm_backward", batchnorm_dgamma_keepdims, submission=n)) for n in ("a", "b")]
    for result, name in zip(results, ("a", "b")):
        result.submission = name
    counts = dict(report.mistake_counts([Grading(r) for r in results]))
    key = ("batchnorm_backward", "returns dgamma with an extra axis of length 1 (keepdims)")
    assert sorted(counts[key]) == ["a", "b"]


def test_an_inverted_dropout_mask_gets_one_diagnosis_not_two_that_exclude_each_other():
    result = grade("dropout_backward", lambda dout, cache: dout.copy() if not cache["train"] else dout * ~cache["keep"] / (1 - cache["p"]))
    assert names(result) == ["returns dx non-zero exactly where the gradient is zero, and zero where it is not "
                             "in every case but 'p = 0.3, eval mode'"]


def test_a_cross_entropy_whose_onehot_term_is_n_times_too_large_says_so():
    result = grade("softmax_cross_entropy", cross_entropy_onehot_not_divided)
    assert names(result) == ["returns dz with the term -onehot(y) / N multiplied by N"]


def test_a_diagnosis_survives_any_value_the_wire_can_carry():
    for odd in ([10**400], ["x"], [[1.0], [1.0, 2.0]], {"dx": 1}, (None,), [None] * 3, np.array([np.inf])):
        result = grade("batchnorm_backward", lambda dout, cache, odd=odd: odd)
        assert result.score == 0



def test_a_container_read_by_guessing_is_used_only_when_it_makes_every_output_right():
    in_order = grade("bn_net_backward", lambda dscores, cache: tuple(_net(dscores, cache)[n] for n in specs.NET_OUTPUTS))
    assert names(in_order) == ["returns a tuple instead of a dict"]
    assert in_order.diagnoses[0]["hint"].startswith("The values are right")
    reordered = grade("bn_net_backward", lambda dscores, cache: tuple(_net(dscores, cache)[n] for n in reversed(specs.NET_OUTPUTS)))
    assert names(reordered) == ["returns a tuple instead of a dict"]
    assert "right" not in reordered.diagnoses[0]["hint"]


# --- end to end: one notebook, graded in the sandbox ------------------------------------------------

def test_end_to_end_the_feedback_names_each_unlisted_mistake_and_the_costliest_question(tmp_path):
    import submission_factory as sf
    from autograder.grade import grade_submission

    answers = {
        "softmax_backward": sf.source("""
            def softmax_backward(da, cache):
                a, da = cache["a"].astype(np.float32), da.astype(np.float32)
                return (da - np.sum(da * a, axis=1, keepdims=True)) * a
        """),
        "softmax_cross_entropy": sf.source("""
            def softmax_cross_entropy(z, y):
                N = z.shape[0]
                a = softmax(z)
                loss = -np.mean(np.log(a[np.arange(N), y]))
                e = np.exp(z)
                dz = e / e.sum(axis=1, keepdims=True)
                dz[np.arange(N), y] -= 1
                return np.array([loss]), dz / N
        """),
        "batchnorm_backward": sf.source("""
            def batchnorm_backward(dout, cache):
                x_hat, gamma = cache["x_hat"], cache["gamma"]
                N = dout.shape[0]
                inv_std = 1.0 / np.sqrt(cache["var"] + cache["eps"])
                dbeta = dout.sum(axis=0)
                dgamma = (dout * x_hat).sum(axis=0, keepdims=True)
                dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
                return dx, dgamma, dbeta
        """),
    }
    path = sf.write(tmp_path, "three_mistakes", sf.notebook(answers))
    result = grade_submission(BACKPROP, "three_mistakes", path, "e2e-salt")
    questions = {q.function: q for q in result.questions}
    points = {q.function: q.points for q in specs.QUESTIONS}
    stress = next(case.points for case in specs.CROSS_ENTROPY.cases if case.stress)
    weights = {output.name: output.weight for output in specs.BATCHNORM.outputs}
    dgamma = points["batchnorm_backward"] * weights["dgamma"] / sum(weights.values())  # of shape (1, D) in every case
    assert [q.score for q in result.questions] == pytest.approx([
        points["dropout_backward"], 0, points["softmax_cross_entropy"] - stress, points["batchnorm_backward"] - dgamma,
        points["bn_net_backward"]])
    assert [d["mistake"] for d in questions["softmax_backward"].diagnoses] == ["returns dz right to float32 precision only"]
    assert [d["mistake"] for d in questions["softmax_cross_entropy"].diagnoses] == [
        "returns NaN or infinity in dz only for logits of order 1e3"]
    assert [d["mistake"] for d in questions["batchnorm_backward"].diagnoses] == [
        "returns dgamma with an extra axis of length 1 (keepdims)"]
    assert feedback.headline(result) == f"{result.score:g}/100 — softmax_backward returns dz right to float32 precision only"
    assert result.score == pytest.approx(100 - points["softmax_backward"] - stress - dgamma)
    text = feedback.markdown(result)
    assert "subtract each row's maximum" in text and "dx and dbeta are right" in text
    # The loss of shape (1,) is accepted: its rows pass.
    assert all(c.passed for c in questions["softmax_cross_entropy"].checks if c.output == "loss")


def test_nan_says_in_which_cases_or_from_which_case_on():
    def overflowing(dout, cache):
        dx, dgamma, dbeta = L.batchnorm_backward(dout, cache)
        return (dx * np.inf if cache["x"].mean() > 2 else dx), dgamma, dbeta

    result = grade("batchnorm_backward", overflowing)
    assert names(result) == ["returns NaN or infinity in dx only for inputs with a large mean and spread"]

    def nan_when_wide(da, cache):
        return L.softmax_backward(da, cache) * (np.nan if da.shape[0] < da.shape[1] else 1.0)

    result = grade("softmax_backward", nan_when_wide)
    assert names(result) == ["returns NaN or infinity in dz in the case 'fewer examples than classes (N < C)'"]

    def nan_from_p_075(dout, cache):
        return L.dropout_backward(dout, cache) * (np.nan if cache["p"] == 0.75 or not cache["train"] else 1.0)

    result = grade("dropout_backward", nan_from_p_075)
    assert names(result) == ["returns NaN or infinity in dx from the case 'p = 0.75, training mode' on"]


def test_two_findings_in_two_groups_of_cases_are_both_named():
    def unscaled_and_zero_in_eval(dout, cache):
        return dout * cache["keep"] if cache["train"] else np.zeros_like(dout)

    result = grade("dropout_backward", unscaled_and_zero_in_eval)
    assert names(result) == ["returns dx multiplied by (1-p) in the cases 'p = 0.3, training mode' and 'p = 0.75, training mode', "
                             "and as zero everywhere in the case 'p = 0.3, eval mode'"]


def batchnorm_eps_outside_the_root(dout, cache):
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    N = dout.shape[0]
    inv_std = 1 / (np.sqrt(cache["var"]) + cache["eps"])  # sqrt(var) + eps for sqrt(var + eps)
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    return gamma * inv_std / N * (N * dout - dbeta - x_hat * dgamma), dgamma, dbeta


@pytest.mark.parametrize("student", ["student", "alice", "bob", "x"])
def test_an_answer_merely_close_is_not_said_to_be_off_by_a_factor_per_row(student):
    """eps outside the square root scales each column of dx by its own number within 1e-5 of 1; N free
    factors, one per row, fit that within the passing tolerance too, and the diagnosis said
    'off by a different factor in each example (row)', which the code does not do."""
    result = grade("batchnorm_backward", batchnorm_eps_outside_the_root, submission=student)
    assert result.score < result.max_score
    found = names(result)
    assert not any("factor in each" in mistake for mistake in found), found
    assert any("returns dx close to the gradient but not within rounding" in mistake for mistake in found), found


def net_dropout_divided_by_p(dscores, cache):
    """The dropout backward written inline, dividing by p where 1 - p belongs (and by 1 when p = 0)."""
    grads = {}
    dzbn, grads["W2"], grads["b2"] = L.affine_backward(dscores, cache["affine2"])
    p = cache["dropout"]["p"]
    d = L.relu_backward(dzbn * cache["dropout"]["keep"] / (p if p else 1.0), cache["relu"])
    dy1, grads["gamma"], grads["beta"] = L.batchnorm_backward(d, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = L.affine_backward(dy1, cache["affine1"])
    return grads


@pytest.mark.parametrize("student", ["s0", "s15", "s18"])
def test_a_factor_two_names_fit_is_named_by_neither(student):
    """Only the case p = 0.3 fails (at p = 0.5 dividing by p is right), by (1-p)/p = 7/3; for s15 H = 7
    and N = 3, and the diagnosis named H/N, a factor the code does not have."""
    result = grade("bn_net_backward", net_dropout_divided_by_p, submission=student)
    mistake = names(result)[0]
    assert "multiplied by (1-p)/p" in mistake or "off by a constant factor" in mistake, mistake


def batchnorm_n_as_the_larger_size(dout, cache):
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    N = max(dout.shape)  # right when N > D: D where N belongs otherwise
    inv_std = 1 / np.sqrt(cache["var"] + cache["eps"])
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    return gamma * inv_std / N * (N * dout - dbeta - x_hat * dgamma), dgamma, dbeta


@pytest.mark.parametrize("student", ["s0", "s7", "s1"])
def test_a_term_scaled_by_a_number_two_names_fit_is_named_by_neither(student):
    """D used for N scales two terms of dx by N/D in the one failing case; for s0 N/D = 1/2 there,
    and the diagnosis said each term was 'divided by 2', which the code does not do."""
    result = grade("batchnorm_backward", batchnorm_n_as_the_larger_size, submission=student)
    (mistake,) = names(result)
    assert "divided by 2" not in mistake, mistake
    assert "the term through the mean" in mistake, mistake


def net_only_the_second_layer(dscores, cache):
    """Half done: the second layer's gradients, zeros for the rest."""
    grads = {name: np.zeros_like(value) for name, value in L.bn_net_backward(dscores, cache).items()}
    _, grads["W2"], grads["b2"] = L.affine_backward(dscores, cache["affine2"])
    return grads


def test_zeros_are_not_said_to_be_a_gradient_zero_by_construction():
    """gamma and beta returned as zeros agree with b1 (zero by construction): the diagnosis said
    'returns as gamma the gradient b1 ... computed from the wrong tensor', which the code does not do."""
    result = grade("bn_net_backward", net_only_the_second_layer)
    found = names(result)
    assert not any("the gradient b1" in mistake for mistake in found), found
    assert any("gamma" in mistake and "zero everywhere" in mistake for mistake in found), found


def dropout_negated_root_scale(dout, cache):
    return dout.copy() if not cache["train"] else -dout * cache["keep"] / np.sqrt(1 - cache["p"])


def test_a_negative_factor_is_not_said_to_keep_the_direction():
    """-1/sqrt(1-p) is no named factor: the diagnosis said 'The direction is right', of a dx pointing the other way."""
    result = grade("dropout_backward", dropout_negated_root_scale)
    text = " ".join(d["mistake"] + " " + d["hint"] for d in result.diagnoses)
    assert "direction is right" not in text and "negative constant factor" in text, text


# --- a dict without some of the keys: the others are graded, and the student is told which key ---------

def _net_without(*left_out, rename=None):
    def answer(dscores, cache):
        grads = {k: v for k, v in L.bn_net_backward(dscores, cache).items() if k not in left_out}
        if rename:
            grads[rename[1]] = grads.pop(rename[0])
        return grads
    return answer


def test_a_net_dict_without_one_key_fails_that_key_only_and_says_which_keys_were_expected():
    result = grade("bn_net_backward", _net_without("X"))
    weights = {o.name: o.weight for o in specs.NET.outputs}
    assert abs(result.score - result.max_score * (1 - weights["X"] / sum(weights.values()))) < 1e-9
    failing = [c for c in result.checks if not c.passed]
    assert {c.output for c in failing} == {"X"} and len(failing) == len(specs.NET.cases)
    expected = "returned a dict without the key 'X' (the keys expected: W1, b1, gamma, beta, W2, b2, X)"
    assert all(expected in c.message for c in failing), failing[0].message
    assert names(result) == ["returns a dict without the key 'X'"]
    assert "W1, b1, gamma, beta, W2, b2, X" in result.diagnoses[0]["hint"]


def test_a_net_dict_without_two_keys_and_a_wrong_one_loses_each_and_both_are_diagnosed():
    def answer(dscores, cache):
        grads = _net(dscores, cache, W2=lambda g, c, ds, dzbn: 2 * g["W2"])
        del grads["b1"], grads["beta"]
        return grads
    result = grade("bn_net_backward", answer)
    assert {c.output for c in result.checks if not c.passed} == {"b1", "beta", "W2"}
    assert names(result) == ["returns a dict without the keys 'b1', 'beta'", "returns W2 multiplied by 2"]


def test_a_net_dict_with_a_key_spelled_otherwise_is_told_the_container_alone():
    result = grade("bn_net_backward", _net_without(rename=("gamma", "Gamma")))
    assert {c.output for c in result.checks if not c.passed} == {"gamma"}
    assert names(result) == ["returns a dict with other keys than W1, b1, gamma, beta, W2, b2, X"]
    assert result.diagnoses[0]["hint"].startswith("The values are right")


def test_an_empty_net_dict_earns_nothing():
    result = grade("bn_net_backward", lambda dscores, cache: {})
    assert result.score == 0
    assert names(result) == ["returns a dict without the keys 'W1', 'b1', 'gamma', 'beta', 'W2', 'b2', 'X'"]


def test_a_net_dict_returned_inside_a_tuple_is_told_to_return_the_dict_alone():
    def answer(dscores, cache):
        grads = L.bn_net_backward(dscores, cache)
        return grads, grads["X"]
    result = grade("bn_net_backward", answer)
    assert result.score == 0
    assert names(result) == ["returns a tuple of 2 holding the dict instead of the dict alone"]
    assert result.diagnoses[0]["hint"].startswith("The values are right")
    wrong = grade("bn_net_backward", lambda dscores, cache: (_net(dscores, cache, X=lambda g, c, ds, dzbn: 2 * g["X"]), 1.0))
    assert names(wrong) == ["returns a tuple of 2 holding the dict instead of the dict alone"]
    assert "right" not in wrong.diagnoses[0]["hint"]


def test_outputs_returned_as_lists_are_told_so_never_close_or_wrong():
    # Each value exact, only a list: "close to the gradient but not within rounding" was false.
    as_lists = grade("bn_net_backward", lambda dscores, cache: {k: v.tolist() for k, v in L.bn_net_backward(dscores, cache).items()})
    assert as_lists.score == 0
    assert names(as_lists) == ["returns W1, b1, gamma, beta, W2, b2 and X as lists instead of numpy arrays"]
    assert as_lists.diagnoses[0]["hint"].startswith("The values are right")
    one = grade("batchnorm_backward", lambda dout, cache: (lambda dx, dg, db: (dx, dg.tolist(), db))(*L.batchnorm_backward(dout, cache)))
    assert one.score < one.max_score
    assert names(one) == ["returns dgamma as a list instead of a numpy array"]
    # A list that is also wrong: the mistake in its numbers is diagnosed too, the values not called right.
    doubled = grade("batchnorm_backward", lambda dout, cache: (lambda dx, dg, db: (2 * dx, dg.tolist(), db))(*L.batchnorm_backward(dout, cache)))
    found = names(doubled)
    assert found[0] == "returns dgamma as a list instead of a numpy array" and "right" not in doubled.diagnoses[0]["hint"]
    assert any("dx multiplied by 2" in f for f in found), found
    assert not any("close to the gradient" in f for f in found), found


def test_a_function_that_returns_none_is_told_so():
    def net_without_return(dscores, cache):
        L.bn_net_backward(dscores, cache)
    result = grade("bn_net_backward", net_without_return)
    assert result.score == 0
    assert names(result) == ["returns None"]
    assert "return the dict with the keys W1, b1, gamma, beta, W2, b2, X" in result.diagnoses[0]["hint"]
    result = grade("batchnorm_backward", lambda dout, cache: None)
    assert names(result) == ["returns None"] and "return the tuple (dx, dgamma, dbeta)" in result.diagnoses[0]["hint"]


# --- a float32 step inside a float64 answer: never full marks, whatever the draw ------------------

def batchnorm_dgamma_from_float32_x_hat(dout, cache):
    dx, _, dbeta = L.batchnorm_backward(dout, cache)
    return dx, np.sum(dout * cache["x_hat"].astype(np.float32), axis=0), dbeta


def softmax_inner_product_in_float32(da, cache):
    a32 = cache["a"].astype(np.float32)
    return (da - np.sum(da * a32, axis=1, keepdims=True)) * cache["a"]


@pytest.mark.parametrize("student", ["s0", "s1", "s2", "s3", "s4", "s5"])
def test_a_float32_step_in_a_float64_answer_never_passes(student):
    """x_hat cast to float32 in dgamma (float64 values, not float32 numbers) was off by 1e-8 to 1e-7
    and earned 25/25 in every draw; a float32 softmax inner product earned 20/20 in most draws and
    failed in some (up to 3.5e-7): the notebook says a gradient computed in float32 earns no points,
    whatever the inputs. Now 20/25 and 0/20, each output said to be close but not within rounding."""
    result = grade("batchnorm_backward", batchnorm_dgamma_from_float32_x_hat, submission=student)
    assert {c.output for c in result.checks if not c.passed} == {"dgamma"}
    assert names(result) == ["returns dgamma close to the gradient but not within rounding"]
    result = grade("softmax_backward", softmax_inner_product_in_float32, submission=student)
    assert result.score == 0 and names(result) == ["returns dz close to the gradient but not within rounding"]


def test_every_correct_answer_agrees_with_the_reference_far_within_the_tolerance():
    """The tolerance (1e-10) leaves the float64 answers of CORRECT three orders of magnitude."""
    from autograder import specs as engine
    from autograder.gradcheck import rel_error
    questions = {q.function: q for q in specs.QUESTIONS}
    for function, answer in list(CORRECT.values()) + [(q.function, a) for q in specs.QUESTIONS for a in q.alternatives]:
        question = questions[function]
        for seed in range(20):
            for case in question.cases:
                problem = question.draw(np.random.default_rng(seed), **case.params)
                got, expected = question.unpack(answer(*problem.args)), question.unpack(question.reference(*problem.args))
                for output in question.outputs:
                    if not output.zero_by_construction:
                        error = rel_error(np.asarray(got[output.name], dtype=np.float64), expected[output.name])
                        assert error <= engine.RTOL / 1000, (answer.__name__, case.name, output.name, error)


def cross_entropy_clipped_logits(z, y):
    """Its own softmax of the logits clipped to [-50, 50] "against overflow": right unless the logits are large."""
    N = z.shape[0]
    loss, _ = L.softmax_cross_entropy(z, y)
    e = np.exp(np.clip(z, -50, 50))
    dz = e / e.sum(axis=1, keepdims=True)
    dz[np.arange(N), y] -= 1
    return loss, dz / N


def test_finite_wrong_values_on_large_logits_are_not_said_to_overflow():
    """Only the 1e3 case fails, with finite values: the hint said 'exp(z) overflows for logits of order 1e3:
    subtract each row's maximum', of an answer in which nothing overflows."""
    result = grade("softmax_cross_entropy", cross_entropy_clipped_logits)
    assert result.score == result.max_score - 3
    assert names(result) == ["returns wrong values in dz only for logits of order 1e3"]
    assert "overflow" not in result.diagnoses[0]["hint"] and "clip" in result.diagnoses[0]["hint"]
    # NaN there is still said to come from an overflow.
    overflowing = grade("softmax_cross_entropy", cross_entropy_no_max_shift)
    assert "subtract each row's maximum" in overflowing.diagnoses[0]["hint"]


def batchnorm_graph_dvar_power_minus_one(dout, cache):
    """The step-by-step backward, d(sigma^2 + eps)^(-1/2) taken as -1/2 (sigma^2 + eps)^(-1): the
    variance term a factor 1/sqrt(sigma^2 + eps) short, as with x - mu where x_hat belongs."""
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    N = x.shape[0]
    xmu, ivar = x - mu, 1 / np.sqrt(var + eps)
    dxhat = dout * gamma
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * ivar ** 2
    dmu = np.sum(-dxhat * ivar, axis=0)
    return dxhat * ivar + dvar * 2 * xmu / N + dmu / N, np.sum(dout * cache["x_hat"], axis=0), np.sum(dout, axis=0)


def test_a_mistake_two_codes_share_is_named_by_what_both_do():
    """The listed mistake was named 'uses x - mu instead of x_hat in the variance term of dx', false of this
    answer, which uses x - mu rightly and has the wrong power in dsigma^2: the same numbers."""
    result = grade("batchnorm_backward", batchnorm_graph_dvar_power_minus_one)
    assert names(result) == ["leaves a factor 1/sqrt(sigma^2 + eps) out of the variance term of dx"]
    assert "-3/2" in result.diagnoses[0]["hint"] and "x - mu where x_hat belongs" in result.diagnoses[0]["hint"]


def cross_entropy_loss_after_the_in_place_update(z, y):
    """The given loss moved below dz's in-place update of a, and abs() added when its log gave NaN."""
    N = z.shape[0]
    a = L.softmax(z)
    dz = a
    dz[np.arange(N), y] -= 1
    dz /= N
    return -np.mean(np.log(np.abs(a[np.arange(N), y]))), dz


def test_a_wrong_number_is_not_said_to_be_off_by_a_constant_factor():
    """Any number is a multiple of another: the loss was 'off by a constant factor: the direction is right,
    the scale is not', which says nothing true of a single number. A named factor still is said (N)."""
    result = grade("softmax_cross_entropy", cross_entropy_loss_after_the_in_place_update)
    assert result.score == 0
    assert names(result) == ["returns a wrong loss"]
    assert "direction" not in result.diagnoses[0]["hint"] and result.diagnoses[0]["hint"].startswith("dz is right")
    assert names(grade("softmax_cross_entropy", cross_entropy_loss_summed)) == ["returns loss multiplied by N"]


def cross_entropy_indices_swapped(z, y):
    N = z.shape[0]
    loss, _ = L.softmax_cross_entropy(z, y)
    dz = L.softmax(z)
    dz[y, np.arange(N)] -= 1  # rows y, columns n: out of bounds when N != C
    return loss, dz / N


def _net_dx(product):
    def answer(dscores, cache):
        grads = L.bn_net_backward(dscores, cache)
        dz, _, _ = L.affine_backward(dscores, cache["affine2"])
        dy1, _, _ = L.batchnorm_backward(L.relu_backward(L.dropout_backward(dz, cache["dropout"]), cache["relu"]), cache["bn"])
        grads["X"] = product(dy1, cache["affine1"][1])  # W1 not transposed
        return grads
    return answer


@pytest.mark.parametrize("function, answer, says", [
    ("softmax_cross_entropy", cross_entropy_indices_swapped, "the first index runs over the N examples"),
    ("bn_net_backward", _net_dx(lambda dy1, W1: dy1 @ W1), "check which factor is transposed"),
    ("bn_net_backward", _net_dx(lambda dy1, W1: np.einsum("nh,hd->nd", dy1, W1)), "its subscripts"),
])
def test_common_exceptions_get_a_hint(function, answer, says):
    """An IndexError, the @ operator's and np.einsum's shape errors got no diagnosis (np.dot's did: its
    message has 'shapes'), or for einsum the broadcasting hint about keepdims."""
    result = grade(function, answer)
    assert result.score == 0
    assert names(result) == ["raises an exception"] and says in result.diagnoses[0]["hint"], result.diagnoses
    assert "keepdims" not in result.diagnoses[0]["hint"]


def net_whole_cache_to_batchnorm(dscores, cache):
    grads = {}
    dz, grads["W2"], grads["b2"] = L.affine_backward(dscores, cache["affine2"])
    d = L.relu_backward(L.dropout_backward(dz, cache["dropout"]), cache["relu"])
    dy1, grads["gamma"], grads["beta"] = L.batchnorm_backward(d, cache)  # the network's cache, not cache["bn"]
    grads["X"], grads["W1"], grads["b1"] = L.affine_backward(dy1, cache["affine1"])
    return grads


def net_affine_cache_read_by_name(dscores, cache):
    X = cache["affine1"]["x"]  # the tuple (x, w, b)
    return L.bn_net_backward(dscores, cache) | {"X": X}


def batchnorm_cache_unpacked_as_a_tuple(dout, cache):
    x, x_hat, mu = cache  # a dict of six keys
    return L.batchnorm_backward(dout, cache)


def batchnorm_cache_unpacked_into_six_names(dout, cache):
    x, x_hat, mu, var, eps, gamma = cache  # six names for six keys: each holds a key, a string
    std = np.sqrt(var + eps)  # 'var' + 'eps' is a string, which np.sqrt does not take
    return L.batchnorm_backward(dout * gamma / std, cache)


def batchnorm_cache_unpacked_into_six_names_used_at_once(dout, cache):
    x, x_hat, mu, var, eps, gamma = cache
    return L.batchnorm_backward(dout, cache)[0], np.sum(dout * x_hat, axis=0), dout.sum(axis=0)


def softmax_cache_unpacked_into_one_name(da, cache):
    a, = cache  # the key 'a'
    return (da - np.sum(da * a, axis=1, keepdims=True)) * a


def dropout_cache_unpacked_into_three_names(dout, cache):
    keep, p, train = cache
    return dout * keep / (1 - p)


@pytest.mark.parametrize("function, answer, says", [
    # A dict unpacked into as many names as it has keys raised a numpy UFuncTypeError (named 'an exception
    # of a type of its own') or a TypeError with no hint.
    ("batchnorm_backward", batchnorm_cache_unpacked_into_six_names, "gives its keys, not its values"),
    ("batchnorm_backward", batchnorm_cache_unpacked_into_six_names_used_at_once, "gives its keys, not its values"),
    ("softmax_backward", softmax_cache_unpacked_into_one_name, "gives its keys, not its values"),
    ("dropout_backward", dropout_cache_unpacked_into_three_names, "gives its keys, not its values"),
    ("dropout_backward", lambda dout, cache: dout * cache.keep / (1 - cache.p), "not as attributes (cache.a)"),
    ("leaky_relu_backward", lambda dout, cache: np.where(cache.x > 0, dout, cache.alpha * dout), "not as attributes"),
    ("bn_net_backward", net_whole_cache_to_batchnorm, "read at a key it does not have"),
    ("dropout_backward", lambda dout, cache: dout * cache["mask"] / (1 - cache["p"]), "read at a key it does not have"),
    ("bn_net_backward", net_affine_cache_read_by_name, "the tuple (x, w, b)"),
    ("batchnorm_backward", batchnorm_cache_unpacked_as_a_tuple, "more or fewer names than values"),
])
def test_cache_mistakes_that_raise_get_a_hint(function, answer, says):
    """A KeyError, a tuple indexed by a name and an unpacking of the wrong length scored 0 with no diagnosis."""
    result = grade(function, answer)
    assert result.score == 0
    assert names(result) == ["raises an exception"] and says in result.diagnoses[0]["hint"], result.diagnoses
    assert all("of a type of its own" not in check.message for check in result.checks), result.checks[0].message


def test_numpy_exceptions_are_named_by_their_built_in_base():
    """numpy's UFuncTypeError (a ufunc given a string) is a TypeError; a class of the student's is named by none."""
    with pytest.raises(TypeError) as caught:
        np.ones(3) * np.array("x_hat")
    assert harness.exception_name(caught.value) == "TypeError"

    class TypeError_(TypeError):
        pass
    assert harness.exception_name(TypeError_()) is None


def test_a_long_sequence_is_read_for_its_outputs_with_each_item_made_an_array_once(monkeypatch):
    """Choosing 7 outputs among 12 items tries up to 792 ways: an item of 50,000 one-number lists made an
    array for each took 14 s of the grader's own time (diagnosis_combinations). Each item is made one once."""
    made = []
    coerced = diagnosis._coerced
    monkeypatch.setattr(diagnosis, "_coerced", lambda value: made.append(1) or coerced(value))
    names = ["W1", "b1", "gamma", "beta", "W2", "b2", "X"]
    expected = {name: np.zeros((3, 4)) for name in names}
    returned = [[[0.5]] * 100] + [0.0] * 4 + [np.ones((3, 4))] * 7
    found = diagnosis._sequence_fit(returned, expected, names)
    assert list(found) == names and all(value is returned[5] for value in found.values())
    assert len(made) == len(returned)
