"""The given forward passes (solutions.layers), checked against their definitions
in assignments/backprop/notes.md, independently of the backward passes."""

import warnings

import numpy as np
import pytest

from solutions import layers

N, D, H, C = 8, 5, 6, 3


# --- dropout ----------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.75])
def test_dropout_train_keeps_the_mean_and_drops_a_fraction_p(p):
    rng = np.random.default_rng(0)
    x = rng.uniform(1.0, 2.0, size=(400, 500))
    out, cache = layers.dropout_forward(x, p, train=True, rng=np.random.default_rng(1))
    n = x.size
    # Each output is x / (1 - p) with probability 1 - p and 0 otherwise:
    # mean x, variance x^2 p / (1 - p). Five standard errors of the sample mean.
    stderr = np.sqrt(np.sum(x**2) * p / (1 - p)) / n
    assert abs(out.mean() - x.mean()) < 5 * stderr
    zeros = np.mean(out == 0)
    assert abs(zeros - p) < 5 * np.sqrt(p * (1 - p) / n)
    # The kept units are exactly x / (1 - p), and the cache's mask says which.
    keep = cache["keep"]
    assert keep.dtype == bool and keep.shape == x.shape
    assert np.array_equal(out == 0, ~keep)
    assert np.allclose(out[keep], x[keep] / (1 - p), rtol=1e-15, atol=0)
    assert cache["p"] == p and cache["train"] is True


def test_dropout_mask_is_fixed_by_the_seed():
    x = np.random.default_rng(0).standard_normal((N, D))
    a = layers.dropout_forward(x, 0.5, rng=np.random.default_rng(7))[0]
    b = layers.dropout_forward(x, 0.5, rng=np.random.default_rng(7))[0]
    c = layers.dropout_forward(x, 0.5, rng=np.random.default_rng(8))[0]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("p", [0.0, 0.3, 0.75])
def test_dropout_eval_mode_is_the_identity(p):
    x = np.random.default_rng(0).standard_normal((N, D))
    before = x.copy()
    out, cache = layers.dropout_forward(x, p, train=False, rng=np.random.default_rng(1))
    assert np.array_equal(out, x)
    assert np.array_equal(x, before)
    assert cache["train"] is False


def test_dropout_with_p_zero_is_the_identity_in_train_mode():
    x = np.random.default_rng(0).standard_normal((50, 40))
    out, cache = layers.dropout_forward(x, 0.0, train=True, rng=np.random.default_rng(1))
    assert np.array_equal(out, x)
    assert cache["keep"].all()


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_rejects_p_outside_0_1(p, train):
    x = np.ones((N, D))
    with pytest.raises(ValueError, match="p"):
        layers.dropout_forward(x, p, train=train, rng=np.random.default_rng(0))


# --- softmax ------------------------------------------------------------------------


def test_softmax_rows_are_probabilities(rng):
    z = 3 * rng.standard_normal((N, C))
    a = layers.softmax(z)
    assert a.shape == (N, C)
    assert np.all(a > 0)
    assert np.allclose(a.sum(axis=1), 1, rtol=0, atol=1e-14)
    # Against the textbook formula, fine for small logits.
    e = np.exp(z)
    assert np.allclose(a, e / e.sum(axis=1, keepdims=True), rtol=1e-13, atol=0)


def test_softmax_forward_caches_its_output(rng):
    z = rng.standard_normal((N, C))
    a, cache = layers.softmax_forward(z)
    assert np.array_equal(a, layers.softmax(z))
    assert np.array_equal(cache["a"], a)


def test_softmax_of_logits_near_1e3_raises_no_floating_point_error(rng):
    # Logits of order 1e3 with a small spread: no overflow, and not even an
    # underflow (every shifted logit is within a few units of 0).
    z = 1000.0 + rng.standard_normal((N, C))
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        a = layers.softmax(z)
        loss, _ = layers.softmax_cross_entropy(z, np.arange(N) % C)
    assert np.all(np.isfinite(a)) and np.isfinite(loss)
    assert np.allclose(a, layers.softmax(z - 1000.0), rtol=1e-12, atol=0)


def test_softmax_of_widely_spread_logits_of_order_1e3(rng):
    # Differences of thousands: exp() of the shifted logits underflows to 0,
    # which is correct; overflow, division by zero and NaN are not.
    z = 1e3 * rng.standard_normal((N, C))
    z[0] = [1e3, -1e3, 0.0]
    with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        a = layers.softmax(z)
    assert np.all(np.isfinite(a))
    assert np.allclose(a.sum(axis=1), 1, rtol=0, atol=1e-14)
    assert np.array_equal(a.argmax(axis=1), z.argmax(axis=1))
    assert a[0, 0] == 1.0


def test_softmax_is_shift_invariant(rng):
    z = rng.standard_normal((N, C))
    row_shift = 50 * rng.standard_normal((N, 1))
    assert np.allclose(layers.softmax(z + row_shift), layers.softmax(z), rtol=1e-12, atol=0)
    assert np.allclose(layers.softmax(z - 123.0), layers.softmax(z), rtol=1e-12, atol=0)


# --- cross-entropy -------------------------------------------------------------------


@pytest.mark.parametrize("level", [0.0, 3.7, -250.0])
def test_cross_entropy_of_uniform_scores_is_log_c(level):
    z = np.full((N, C), level)
    y = np.arange(N) % C
    loss, _ = layers.softmax_cross_entropy(z, y)
    assert loss == pytest.approx(np.log(C), rel=1e-12)


def test_cross_entropy_is_the_mean_negative_log_probability(rng):
    z = rng.standard_normal((N, C))
    y = rng.integers(0, C, size=N)
    loss, _ = layers.softmax_cross_entropy(z, y)
    log_probs = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    expected = -np.mean([log_probs[n, y[n]] for n in range(N)])
    assert loss == pytest.approx(expected, rel=1e-12)


# --- batch normalization ------------------------------------------------------------


def _batch(rng):
    return 5 * rng.standard_normal((N, D)) + 3


def test_batchnorm_train_output_is_standardized_per_feature(rng):
    x = _batch(rng)
    eps = 1e-5
    out, cache = layers.batchnorm_forward(x, np.ones(D), np.zeros(D), {"mode": "train", "eps": eps})
    assert out.shape == (N, D)
    assert np.allclose(out.mean(axis=0), 0, atol=1e-12)
    # Biased variance (1/N): the output's biased variance is var / (var + eps),
    # 1 up to the effect of eps. (With 1/(N-1) it would be about (N-1)/N.)
    var = np.mean((x - x.mean(axis=0)) ** 2, axis=0)
    assert np.allclose(out.var(axis=0), var / (var + eps), rtol=1e-10, atol=0)
    assert np.allclose(out.var(axis=0), 1, atol=1e-5)
    assert np.allclose(cache["mu"], x.mean(axis=0), rtol=1e-13)
    assert np.allclose(cache["var"], var, rtol=1e-13)


def test_batchnorm_applies_gamma_and_beta(rng):
    x = _batch(rng)
    gamma = rng.uniform(0.5, 2.0, size=D)
    beta = rng.standard_normal(D)
    eps = 1e-3
    out, cache = layers.batchnorm_forward(x, gamma, beta, {"mode": "train", "eps": eps})
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    assert np.allclose(out, gamma * x_hat + beta, rtol=1e-12, atol=1e-12)
    assert np.allclose(out.mean(axis=0), beta, atol=1e-12)
    assert np.allclose(cache["x_hat"], x_hat, rtol=1e-12, atol=1e-12)
    assert np.array_equal(cache["gamma"], gamma) and cache["eps"] == eps


def test_batchnorm_updates_the_running_averages_with_momentum(rng):
    x1, x2 = _batch(rng), _batch(rng) + 1
    gamma, beta = np.ones(D), np.zeros(D)
    bn_param = {"mode": "train", "momentum": 0.7}
    layers.batchnorm_forward(x1, gamma, beta, bn_param)
    # From the defaults: running_mean = 0, running_var = 1.
    mean1 = 0.3 * x1.mean(axis=0)
    var1 = 0.7 + 0.3 * x1.var(axis=0)
    assert np.allclose(bn_param["running_mean"], mean1, rtol=1e-13)
    assert np.allclose(bn_param["running_var"], var1, rtol=1e-13)
    layers.batchnorm_forward(x2, gamma, beta, bn_param)
    assert np.allclose(bn_param["running_mean"], 0.7 * mean1 + 0.3 * x2.mean(axis=0), rtol=1e-13)
    assert np.allclose(bn_param["running_var"], 0.7 * var1 + 0.3 * x2.var(axis=0), rtol=1e-13)


def test_batchnorm_default_momentum_is_0_9(rng):
    x = _batch(rng)
    bn_param = {"mode": "train", "running_mean": np.full(D, 2.0), "running_var": np.full(D, 4.0)}
    layers.batchnorm_forward(x, np.ones(D), np.zeros(D), bn_param)
    assert np.allclose(bn_param["running_mean"], 0.9 * 2.0 + 0.1 * x.mean(axis=0), rtol=1e-13)
    assert np.allclose(bn_param["running_var"], 0.9 * 4.0 + 0.1 * x.var(axis=0), rtol=1e-13)


def test_batchnorm_eval_mode_uses_the_running_averages(rng):
    x = _batch(rng)
    gamma = rng.uniform(0.5, 2.0, size=D)
    beta = rng.standard_normal(D)
    running_mean = rng.standard_normal(D)
    running_var = rng.uniform(0.5, 3.0, size=D)
    bn_param = {"mode": "eval", "running_mean": running_mean.copy(), "running_var": running_var.copy(), "eps": 1e-5}
    out, cache = layers.batchnorm_forward(x, gamma, beta, bn_param)
    expected = gamma * (x - running_mean) / np.sqrt(running_var + 1e-5) + beta
    assert np.allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert cache is None
    # Eval mode leaves the running averages alone, and does not use the batch's.
    assert np.array_equal(bn_param["running_mean"], running_mean)
    assert np.array_equal(bn_param["running_var"], running_var)
    single = layers.batchnorm_forward(x[:1], gamma, beta, bn_param)[0]
    assert np.allclose(single, out[:1], rtol=1e-12, atol=1e-12)


def test_batchnorm_rejects_an_unknown_mode(rng):
    with pytest.raises(ValueError, match="mode"):
        layers.batchnorm_forward(_batch(rng), np.ones(D), np.zeros(D), {"mode": "test"})


# --- the BN network --------------------------------------------------------------


def _net(rng):
    X = rng.standard_normal((N, D))
    params = layers.init_bn_net(D, H, C, rng, weight_scale=0.5)
    params["gamma"] = rng.uniform(0.5, 1.5, size=H)
    params["beta"] = rng.standard_normal(H)
    return X, params


def test_init_bn_net_shapes(rng):
    params = layers.init_bn_net(D, H, C, rng)
    shapes = {name: value.shape for name, value in params.items()}
    assert shapes == {"W1": (D, H), "b1": (H,), "gamma": (H,), "beta": (H,), "W2": (H, C), "b2": (C,)}


def test_bn_net_forward_scores_have_shape_n_by_c(rng):
    X, params = _net(rng)
    scores, cache = layers.bn_net_forward(X, params, p=0.3, rng=np.random.default_rng(1))
    assert scores.shape == (N, C)
    assert set(cache) == {"affine1", "bn", "relu", "dropout", "affine2"}


def test_bn_net_forward_train_mode_is_the_documented_composition(rng):
    X, params = _net(rng)
    scores, _ = layers.bn_net_forward(X, params, p=0.3, rng=np.random.default_rng(1))
    y1 = X @ params["W1"] + params["b1"]
    xbn = params["gamma"] * (y1 - y1.mean(axis=0)) / np.sqrt(y1.var(axis=0) + 1e-5) + params["beta"]
    keep = np.random.default_rng(1).random((N, H)) >= 0.3
    zbn = np.maximum(xbn, 0) * keep / 0.7
    assert np.allclose(scores, zbn @ params["W2"] + params["b2"], rtol=1e-12, atol=1e-12)


def test_bn_net_forward_eval_mode_is_deterministic(rng):
    X, params = _net(rng)
    bn_param = {}
    for seed in range(3):  # a few training steps fill the running averages
        layers.bn_net_forward(X + seed, params, p=0.5, rng=np.random.default_rng(seed), bn_param=bn_param)
    running = {k: bn_param[k].copy() for k in ("running_mean", "running_var")}
    a, _ = layers.bn_net_forward(X, params, p=0.5, train=False, rng=np.random.default_rng(1), bn_param=bn_param)
    b, _ = layers.bn_net_forward(X, params, p=0.5, train=False, rng=np.random.default_rng(2), bn_param=bn_param)
    assert np.array_equal(a, b)
    assert bn_param["mode"] == "eval"
    for k, value in running.items():
        assert np.array_equal(bn_param[k], value)
    # No dropout, running statistics instead of the batch's.
    y1 = X @ params["W1"] + params["b1"]
    xbn = params["gamma"] * (y1 - running["running_mean"]) / np.sqrt(running["running_var"] + 1e-5) + params["beta"]
    assert np.allclose(a, np.maximum(xbn, 0) @ params["W2"] + params["b2"], rtol=1e-12, atol=1e-12)
    # Training mode, by contrast, depends on the dropout mask.
    t1, _ = layers.bn_net_forward(X, params, p=0.5, rng=np.random.default_rng(1))
    t2, _ = layers.bn_net_forward(X, params, p=0.5, rng=np.random.default_rng(2))
    assert not np.allclose(t1, t2)
