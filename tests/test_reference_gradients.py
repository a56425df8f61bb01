"""The reference backward passes (solutions.layers) agree with numerical gradients.

Every check follows assignments/backprop/notes.md section 5: float64, centred differences with
h = 1e-5 of the reference forward pass, a random non-uniform upstream
gradient, non-square shapes (N, D, H, C all different), random gamma, inputs
away from the ReLU kink, and a dropout mask fixed by re-seeding the generator
on every forward call. Non-zero gradients are compared by the normwise
relative error max|a - b| / max(|a| + |b|); grads["b1"] of the BN network,
zero by construction, by an absolute tolerance.
"""

import numpy as np
import pytest

import gradcheck
from solutions import layers

H_STEP = 1e-5
REL_TOL = 1e-7
B1_ATOL = 1e-8

# All different, so that a transposed or wrong-axis gradient cannot pass.
N, D, H, C = 7, 5, 9, 4
assert len({N, D, H, C}) == 4


def rel_error(a, b):
    """assignments/backprop/notes.md's normwise relative error, written independently of gradcheck.py."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), 1e-300))


def numeric_vjp(forward, x, dout, h=H_STEP):
    """Centred-difference gradient of sum(forward() * dout) with respect to x.

    `forward` takes no arguments and must read x, which is perturbed in place
    one coordinate at a time and restored.
    """
    assert x.dtype == np.float64
    grad = np.zeros_like(x)
    flat = x.reshape(-1)  # a view: writing to it perturbs x
    assert np.shares_memory(flat, x)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = float(np.sum(forward() * dout))
        flat[i] = old - h
        minus = float(np.sum(forward() * dout))
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2 * h)
    return grad


def assert_gradient(analytic, numeric, name, tol=REL_TOL):
    assert analytic.shape == numeric.shape, f"{name}: shape {analytic.shape}, expected {numeric.shape}"
    assert analytic.dtype == np.float64, f"{name}: dtype {analytic.dtype}"
    # A relative error is only meaningful for a gradient that is not ~0.
    assert np.max(np.abs(numeric)) > 1e-3, f"{name}: the numerical gradient is ~0, the check proves nothing"
    err = rel_error(analytic, numeric)
    assert err < tol, f"{name}: relative error {err:.2e} >= {tol:.0e}"


# --- the helpers the notebook uses (assignment/gradcheck.py) -----------------


def test_gradcheck_helpers_agree_with_an_analytic_gradient(rng):
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((3, 4))
    forward = lambda: np.sin(x) * x**2
    expected = w * (np.cos(x) * x**2 + 2 * x * np.sin(x))
    before = x.copy()
    got = gradcheck.numerical_vjp(forward, x, w)
    assert np.array_equal(x, before), "numerical_vjp must restore x"
    assert rel_error(got, expected) < 1e-9
    assert rel_error(numeric_vjp(forward, x, w), expected) < 1e-9


def test_gradcheck_rel_error_is_the_normwise_one():
    a = np.array([1.0, -2.0, 3.0])
    b = np.array([1.0, -2.5, 2.0])
    # max|a - b| = 1.0, max(|a| + |b|) = 5.0
    assert gradcheck.rel_error(a, b) == pytest.approx(0.2)
    assert rel_error(a, b) == pytest.approx(0.2)
    assert gradcheck.rel_error(np.zeros(3), np.zeros(3)) == 0.0


# --- given layers -------------------------------------------------------------


def test_affine_backward(rng):
    x = rng.standard_normal((N, D))
    w = rng.standard_normal((D, H))
    b = rng.standard_normal(H)
    dout = rng.standard_normal((N, H))
    _, cache = layers.affine_forward(x, w, b)
    dx, dw, db = layers.affine_backward(dout, cache)
    forward = lambda: layers.affine_forward(x, w, b)[0]
    assert_gradient(dx, numeric_vjp(forward, x, dout), "affine dx")
    assert_gradient(dw, numeric_vjp(forward, w, dout), "affine dw")
    assert_gradient(db, numeric_vjp(forward, b, dout), "affine db")


def test_relu_backward(rng):
    # |x| >= 0.1: far from the kink compared with h.
    x = np.sign(rng.standard_normal((N, D))) * (0.1 + rng.random((N, D)))
    assert (x > 0).any() and (x < 0).any()
    dout = rng.standard_normal((N, D))
    _, cache = layers.relu_forward(x)
    dx = layers.relu_backward(dout, cache)
    assert_gradient(dx, numeric_vjp(lambda: layers.relu_forward(x)[0], x, dout), "relu dx")
    assert np.all(dx[x < 0] == 0)


# --- 1. dropout ---------------------------------------------------------------


@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("p", [0.0, 0.3, 0.75])
def test_dropout_backward(p, train):
    seed = 11
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, D))
    dout = rng.standard_normal((N, D))
    # The same seed on every call fixes the mask: the forward pass is then a
    # deterministic function of x.
    forward = lambda: layers.dropout_forward(x, p, train=train, rng=np.random.default_rng(seed))[0]
    _, cache = layers.dropout_forward(x, p, train=train, rng=np.random.default_rng(seed))
    if train and p > 0:
        keep = cache["keep"]
        assert keep.any() and not keep.all(), "the mask should drop some units and keep others"
    dx = layers.dropout_backward(dout, cache)
    assert_gradient(dx, numeric_vjp(forward, x, dout), f"dropout dx (p={p}, train={train})")
    if not train or p == 0:
        assert np.allclose(dx, dout, rtol=0, atol=1e-15)


# --- 2. softmax ---------------------------------------------------------------


def test_softmax_backward(rng):
    z = 2 * rng.standard_normal((N, C))
    da = rng.standard_normal((N, C))
    _, cache = layers.softmax_forward(z)
    dz = layers.softmax_backward(da, cache)
    assert_gradient(dz, numeric_vjp(lambda: layers.softmax_forward(z)[0], z, da), "softmax dz")
    # Softmax is shift invariant along each row, so each row of dz sums to 0.
    assert np.allclose(dz.sum(axis=1), 0, atol=1e-14)


# --- 3. softmax + cross-entropy -------------------------------------------------


def test_softmax_cross_entropy_gradient(rng):
    z = 2 * rng.standard_normal((N, C))
    y = rng.integers(0, C, size=N)
    loss, dz = layers.softmax_cross_entropy(z, y)
    assert np.isfinite(loss) and loss > 0
    numeric = numeric_vjp(lambda: np.array(layers.softmax_cross_entropy(z, y)[0]), z, 1.0)
    assert_gradient(dz, numeric, "cross-entropy dz")


# --- 4. batch normalization ----------------------------------------------------


def test_batchnorm_backward(rng):
    x = 3 * rng.standard_normal((N, H)) + 2
    gamma = rng.uniform(0.5, 2.0, size=H) * rng.choice([-1.0, 1.0], size=H)
    beta = rng.standard_normal(H)
    dout = rng.standard_normal((N, H))
    forward = lambda: layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})[0]
    _, cache = layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = layers.batchnorm_backward(dout, cache)
    assert_gradient(dx, numeric_vjp(forward, x, dout), "batchnorm dx")
    assert_gradient(dgamma, numeric_vjp(forward, gamma, dout), "batchnorm dgamma")
    assert_gradient(dbeta, numeric_vjp(forward, beta, dout), "batchnorm dbeta")


# --- 5. the BN network ------------------------------------------------------------

P_NET = 0.3


def _net_problem(seed):
    """A BN-network problem whose pre-ReLU values are all at least 1e-3 from 0,
    and whose dropout mask drops some hidden units and keeps others."""
    for attempt in range(100):
        rng = np.random.default_rng([seed, attempt])
        X = rng.standard_normal((N, D))
        params = layers.init_bn_net(D, H, C, rng, weight_scale=0.5)
        params["b1"] = rng.standard_normal(H)
        params["gamma"] = rng.uniform(0.5, 1.5, size=H)
        params["beta"] = 0.5 * rng.standard_normal(H)
        params["b2"] = rng.standard_normal(C)
        dscores = rng.standard_normal((N, C))
        mask_seed = int(rng.integers(2**31))
        _, cache = layers.bn_net_forward(X, params, p=P_NET, rng=np.random.default_rng(mask_seed))
        pre_relu = cache["relu"]
        keep = cache["dropout"]["keep"]
        if np.min(np.abs(pre_relu)) > 1e-3 and keep.any() and not keep.all() and (pre_relu > 0).any():
            return X, params, dscores, mask_seed
    raise AssertionError("could not draw a BN-network problem away from the ReLU kink")


def _net_gradients(seed):
    X, params, dscores, mask_seed = _net_problem(seed)

    def scores():
        return layers.bn_net_forward(X, params, p=P_NET, rng=np.random.default_rng(mask_seed))[0]

    _, cache = layers.bn_net_forward(X, params, p=P_NET, rng=np.random.default_rng(mask_seed))
    grads = layers.bn_net_backward(dscores, cache)
    numeric = {name: numeric_vjp(scores, value, dscores) for name, value in [*params.items(), ("X", X)]}
    return grads, numeric


@pytest.fixture(scope="module")
def net_gradients():
    return _net_gradients(seed=5)


@pytest.mark.parametrize("name", ["W1", "gamma", "beta", "W2", "b2", "X"])
def test_bn_net_backward(net_gradients, name):
    grads, numeric = net_gradients
    assert_gradient(grads[name], numeric[name], f"bn_net grads[{name!r}]")


def test_bn_net_backward_b1_is_zero(net_gradients):
    grads, numeric = net_gradients
    assert grads["b1"].shape == (H,)
    # BN subtracts the batch mean: b1 cannot change the loss. Compare with an
    # absolute tolerance, and check that both gradients really are ~0.
    assert np.max(np.abs(grads["b1"] - numeric["b1"])) < B1_ATOL
    assert np.max(np.abs(grads["b1"])) < 1e-12
    assert np.max(np.abs(numeric["b1"])) < B1_ATOL
    # ... while the gradient of W1, on the same path, is not.
    assert np.max(np.abs(grads["W1"])) > 1e-3


def test_bn_net_backward_returns_exactly_the_parameter_gradients(net_gradients):
    grads, _ = net_gradients
    assert set(grads) == {"W1", "b1", "gamma", "beta", "W2", "b2", "X"}


def test_bn_net_end_to_end_with_cross_entropy():
    """The whole chain, loss included: d(cross-entropy)/d(every parameter)."""
    X, params, _, mask_seed = _net_problem(seed=8)
    y = np.random.default_rng(3).integers(0, C, size=N)

    def loss():
        scores = layers.bn_net_forward(X, params, p=P_NET, rng=np.random.default_rng(mask_seed))[0]
        return np.array(layers.softmax_cross_entropy(scores, y)[0])

    scores, cache = layers.bn_net_forward(X, params, p=P_NET, rng=np.random.default_rng(mask_seed))
    _, dscores = layers.softmax_cross_entropy(scores, y)
    grads = layers.bn_net_backward(dscores, cache)
    for name, value in [*params.items(), ("X", X)]:
        if name != "b1":
            assert_gradient(grads[name], numeric_vjp(loss, value, 1.0), f"loss grads[{name!r}]")
    assert np.max(np.abs(grads["b1"] - numeric_vjp(loss, params["b1"], 1.0))) < B1_ATOL
