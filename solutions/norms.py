"""Reference implementation of the norms assignment (assignments/norms/notes.md):
leaky ReLU and layer normalization, forward and backward."""

import numpy as np


def leaky_relu_forward(x, alpha=0.01):
    """out = x where x > 0, alpha * x elsewhere; returns (out, cache)."""
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    """dL/dx of leaky_relu_forward, given dL/dout and its cache."""
    x, alpha = cache
    # BEGIN SOLUTION
    dx = np.where(x > 0, dout, alpha * dout)
    # END SOLUTION
    return dx


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Normalise each row of x (N, D) to mean 0 and variance 1, then scale by
    gamma and shift by beta (both (D,)); returns (out, cache)."""
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    return gamma * x_hat + beta, (x_hat, gamma, std)


def layernorm_backward(dout, cache):
    """(dx, dgamma, dbeta) of layernorm_forward, given dL/dout and its cache."""
    x_hat, gamma, std = cache
    # BEGIN SOLUTION
    D = x_hat.shape[1]
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    g = dout * gamma
    dx = (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True)) / std
    # END SOLUTION
    return dx, dgamma, dbeta
