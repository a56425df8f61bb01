"""The backprop assignment's public self-checks: check_FUNCTION for each
question, given the notebook's functions its parameters name (the release's
public_checks.py runs them; `autograder build` checks that each passes on the
reference and fails on the stub).

Each check draws small random inputs with non-square shapes (so that a
transposed answer cannot pass by accident), compares the backward pass with
a numerical gradient of the forward pass, prints the relative error and
PASS/FAIL, and returns True when everything passed.
"""

import numpy as np

from gradcheck import numerical_gradient, numerical_vjp, report


def check_dropout_backward(dropout_forward, dropout_backward, seed=0):
    """Check dropout_backward in training mode (p = 0.3) and in eval mode."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5))
    dout = rng.standard_normal((4, 5))
    ok = True
    for p, train in [(0.3, True), (0.3, False)]:
        # The same seed every call fixes the mask, so the forward pass is a
        # deterministic function of x and the numerical gradient is defined.
        forward = lambda: dropout_forward(x, p, train=train, rng=np.random.default_rng(seed))[0]
        _, cache = dropout_forward(x, p, train=train, rng=np.random.default_rng(seed))
        dx = dropout_backward(dout, cache)
        mode = "train" if train else "eval"
        ok &= report(f"dropout_backward dx (p={p}, {mode} mode)", dx, numerical_vjp(forward, x, dout))
    return ok


def check_softmax_backward(softmax_forward, softmax_backward, seed=0):
    """Check softmax_backward on a 3 x 5 batch of logits."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((3, 5))
    da = rng.standard_normal((3, 5))
    _, cache = softmax_forward(z)
    dz = softmax_backward(da, cache)
    return report("softmax_backward dz", dz, numerical_vjp(lambda: softmax_forward(z)[0], z, da))


def check_softmax_cross_entropy(softmax_cross_entropy, seed=0):
    """Check the gradient of softmax_cross_entropy on 6 examples and 4 classes."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, size=6)
    _, dz = softmax_cross_entropy(z, y)
    # The loss is computed here, not by your function, so that a changed loss
    # cannot make a wrong gradient look right.
    numeric = numerical_gradient(lambda: _cross_entropy(z, y), z)
    return report("softmax_cross_entropy dz", dz, numeric)


def _cross_entropy(z, y):
    shifted = z - z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(y)), y])


def check_batchnorm_backward(batchnorm_forward, batchnorm_backward, seed=0):
    """Check dx, dgamma and dbeta of batchnorm_backward on a 7 x 5 batch."""
    rng = np.random.default_rng(seed)
    x = 3 * rng.standard_normal((7, 5)) + 2
    gamma = rng.uniform(0.5, 1.5, size=5)
    beta = rng.standard_normal(5)
    dout = rng.standard_normal((7, 5))
    forward = lambda: batchnorm_forward(x, gamma, beta, {"mode": "train"})[0]
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    ok = report("batchnorm_backward dx", dx, numerical_vjp(forward, x, dout))
    ok &= report("batchnorm_backward dgamma", dgamma, numerical_vjp(forward, gamma, dout))
    ok &= report("batchnorm_backward dbeta", dbeta, numerical_vjp(forward, beta, dout))
    return ok


def check_bn_net_backward(bn_net_forward, bn_net_backward, init_bn_net, seed=0):
    """Check every gradient of bn_net_backward on a 6 x 5 batch, 7 hidden units, 3 classes."""
    rng = np.random.default_rng(seed)
    N, D, H, C = 6, 5, 7, 3
    X = rng.standard_normal((N, D))
    params = init_bn_net(D, H, C, rng, weight_scale=0.5)
    params["gamma"] = rng.uniform(0.5, 1.5, size=H)
    params["beta"] = rng.standard_normal(H)
    dscores = rng.standard_normal((N, C))

    def scores():
        return bn_net_forward(X, params, p=0.3, rng=np.random.default_rng(seed))[0]

    _, cache = bn_net_forward(X, params, p=0.3, rng=np.random.default_rng(seed))
    grads = bn_net_backward(dscores, cache)
    ok = True
    for name, value in [*params.items(), ("X", X)]:
        # b1 is followed by batch normalization, which subtracts the mean:
        # its gradient is zero, and only an absolute comparison makes sense.
        atol = 1e-8 if name == "b1" else None
        ok &= report(f"bn_net_backward grads[{name!r}]", grads[name], numerical_vjp(scores, value, dscores), atol=atol)
    return ok
