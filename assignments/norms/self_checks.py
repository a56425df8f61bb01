"""The norms assignment's public self-checks: check_FUNCTION for each
question, given the notebook's functions its parameters name."""

import numpy as np

from gradcheck import numerical_vjp, report


def check_leaky_relu_backward(leaky_relu_forward, leaky_relu_backward, seed=0):
    """Check leaky_relu_backward on a 4 x 5 batch, alpha = 0.1."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5))
    x = np.where(x >= 0, x + 0.1, x - 0.1)  # away from the kink at 0
    dout = rng.standard_normal((4, 5))
    _, cache = leaky_relu_forward(x, 0.1)
    dx = leaky_relu_backward(dout, cache)
    return report("leaky_relu_backward dx", dx, numerical_vjp(lambda: leaky_relu_forward(x, 0.1)[0], x, dout))


def check_layernorm_backward(layernorm_forward, layernorm_backward, seed=0):
    """Check dx, dgamma and dbeta of layernorm_backward on a 3 x 6 batch."""
    rng = np.random.default_rng(seed)
    x = 2 * rng.standard_normal((3, 6)) + 1
    gamma = rng.uniform(0.5, 1.5, size=6)
    beta = rng.standard_normal(6)
    dout = rng.standard_normal((3, 6))
    forward = lambda: layernorm_forward(x, gamma, beta)[0]
    _, cache = layernorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = layernorm_backward(dout, cache)
    ok = report("layernorm_backward dx", dx, numerical_vjp(forward, x, dout))
    ok &= report("layernorm_backward dgamma", dgamma, numerical_vjp(forward, gamma, dout))
    ok &= report("layernorm_backward dbeta", dbeta, numerical_vjp(forward, beta, dout))
    return ok
