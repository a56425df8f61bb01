"""Reference implementation of every layer in the assignment (assignments/backprop/notes.md).

This file is the single source of truth for the student notebook:
`autograder build` copies each function into the notebook, and replaces the
code between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` with a stub that
students fill in. Everything outside those markers is given to students.

Shapes: N examples, D input features, H hidden units, C classes.
"""

import numpy as np


def affine_forward(x, w, b):
    """Affine (fully connected) layer: out = x @ w + b.

    Inputs:
    - x: array of shape (N, D), the inputs
    - w: array of shape (D, M), the weights
    - b: array of shape (M,), the biases

    Returns a tuple of:
    - out: array of shape (N, M)
    - cache: tuple (x, w, b), for affine_backward
    """
    out = x @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Backward pass of the affine layer.

    Inputs:
    - dout: array of shape (N, M), the upstream gradient dL/dout
    - cache: tuple (x, w, b) from affine_forward

    Returns a tuple of:
    - dx: array of shape (N, D), dL/dx
    - dw: array of shape (D, M), dL/dw
    - db: array of shape (M,), dL/db
    """
    x, w, _ = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    """ReLU: out = max(x, 0), element-wise.

    Inputs:
    - x: array of any shape

    Returns a tuple of:
    - out: array of the same shape as x
    - cache: x itself, for relu_backward
    """
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """Backward pass of ReLU.

    Inputs:
    - dout: array of any shape, the upstream gradient
    - cache: the input x of relu_forward, same shape as dout

    Returns:
    - dx: array of the same shape as dout
    """
    return dout * (cache > 0)


def dropout_forward(x, p, train=True, rng=None):
    """Inverted dropout.

    Each unit is DROPPED with probability p (kept with probability 1 - p), and
    the kept units are scaled by 1 / (1 - p) so that the expected output equals
    the input. In eval mode (train=False) dropout is the identity.

    Inputs:
    - x: array of any shape
    - p: float in [0, 1), the probability of dropping a unit
    - train: bool, True for training mode, False for eval mode
    - rng: numpy.random.Generator the mask is drawn from (a fixed seed gives a
      fixed mask); a fresh unseeded one if None

    Returns a tuple of:
    - out: array of the same shape as x
    - cache: dict with keys
        "keep":  boolean array of the same shape as x, True where the unit is
                 kept (None in eval mode)
        "p":     the drop probability p
        "train": the mode flag
    """
    if not 0 <= p < 1:
        raise ValueError(f"the drop probability p must be in [0, 1), got {p}")
    if not train:
        return x.copy(), {"keep": None, "p": p, "train": False}
    rng = np.random.default_rng() if rng is None else rng
    keep = rng.random(x.shape) >= p
    out = x * keep / (1 - p)
    return out, {"keep": keep, "p": p, "train": True}


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout.

    Inputs:
    - dout: array of any shape, the upstream gradient dL/dout
    - cache: dict from dropout_forward, with keys "keep", "p" and "train"

    Returns:
    - dx: array of the same shape as dout, dL/dx
    """
    # BEGIN SOLUTION
    if not cache["train"]:
        return dout.copy()
    return dout * cache["keep"] / (1 - cache["p"])
    # END SOLUTION


def softmax(z):
    """Row-wise softmax, numerically stable.

    Inputs:
    - z: array of shape (N, C), the logits

    Returns:
    - a: array of shape (N, C), each row non-negative and summing to 1
    """
    # Subtracting the row maximum changes nothing mathematically and keeps
    # exp() from overflowing on large logits.
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_forward(z):
    """Softmax as a layer.

    Inputs:
    - z: array of shape (N, C), the logits

    Returns a tuple of:
    - a: array of shape (N, C), the softmax of each row
    - cache: dict with key "a", the output a, for softmax_backward
    """
    a = softmax(z)
    return a, {"a": a}


def softmax_backward(da, cache):
    """Backward pass of softmax: the vector-Jacobian product, row by row.

    Inputs:
    - da: array of shape (N, C), the upstream gradient dL/da
    - cache: dict from softmax_forward, with key "a" of shape (N, C)

    Returns:
    - dz: array of shape (N, C), dL/dz
    """
    # BEGIN SOLUTION
    a = cache["a"]
    return (da - np.sum(da * a, axis=1, keepdims=True)) * a
    # END SOLUTION


def softmax_cross_entropy(z, y):
    """Softmax followed by the mean cross-entropy loss.

    Inputs:
    - z: array of shape (N, C), the logits (scores)
    - y: integer array of shape (N,), the correct class of each example,
      0 <= y[n] < C

    Returns a tuple of:
    - loss: float, L = -(1/N) * sum_n log softmax(z)[n, y[n]]
    - dz: array of shape (N, C), dL/dz
    """
    N = z.shape[0]
    a = softmax(z)
    loss = -np.mean(np.log(a[np.arange(N), y]))
    # BEGIN SOLUTION
    dz = a.copy()
    dz[np.arange(N), y] -= 1
    dz /= N
    # END SOLUTION
    return loss, dz


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalization.

    Training mode normalizes each feature with the batch mean and the biased
    batch variance (1/N), and updates the running averages in bn_param. Eval
    mode normalizes with the running averages instead.

    Inputs:
    - x: array of shape (N, D)
    - gamma: array of shape (D,), the scale
    - beta: array of shape (D,), the shift
    - bn_param: dict with keys
        "mode": "train" or "eval" (required)
        "eps": float, added to the variance (default 1e-5)
        "momentum": float, for the running averages (default 0.9)
        "running_mean", "running_var": arrays of shape (D,) (zeros and ones
        if absent; updated in place in training mode)

    Returns a tuple of:
    - out: array of shape (N, D)
    - cache: dict with keys (training mode; None in eval mode)
        "x": the input x, shape (N, D)
        "x_hat": the normalized input, shape (N, D)
        "mu": the batch mean, shape (D,)
        "var": the biased batch variance, shape (D,)
        "eps": the eps used
        "gamma": gamma, shape (D,)
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D))
    running_var = bn_param.get("running_var", np.ones(D))

    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        out = gamma * x_hat + beta
        cache = {"x": x, "x_hat": x_hat, "mu": mu, "var": var, "eps": eps, "gamma": gamma}
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    elif mode == "eval":
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
        cache = None
    else:
        raise ValueError(f'bn_param["mode"] must be "train" or "eval", got {mode!r}')
    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization (training mode).

    Inputs:
    - dout: array of shape (N, D), the upstream gradient dL/dout
    - cache: dict from batchnorm_forward in training mode, with keys
      "x", "x_hat", "mu", "var", "eps", "gamma"

    Returns a tuple of:
    - dx: array of shape (N, D), dL/dx
    - dgamma: array of shape (D,), dL/dgamma
    - dbeta: array of shape (D,), dL/dbeta
    """
    # BEGIN SOLUTION
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    N = dout.shape[0]
    inv_std = 1.0 / np.sqrt(cache["var"] + cache["eps"])
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = (gamma * inv_std / N) * (N * dout - dbeta - x_hat * dgamma)
    # END SOLUTION
    return dx, dgamma, dbeta


def init_bn_net(D, H, C, rng, weight_scale=1e-1):
    """Random parameters for the BN network.

    Inputs:
    - D, H, C: input features, hidden units, classes
    - rng: numpy.random.Generator
    - weight_scale: standard deviation of the initial weights

    Returns:
    - params: dict with "W1" (D, H), "b1" (H,), "gamma" (H,), "beta" (H,),
      "W2" (H, C), "b2" (C,)
    """
    return {
        "W1": weight_scale * rng.standard_normal((D, H)),
        "b1": np.zeros(H),
        "gamma": np.ones(H),
        "beta": np.zeros(H),
        "W2": weight_scale * rng.standard_normal((H, C)),
        "b2": np.zeros(C),
    }


def bn_net_forward(X, params, p=0.5, train=True, rng=None, bn_param=None):
    """Forward pass of the two-layer BN network, up to the scores:

        affine -> batchnorm -> ReLU -> dropout -> affine

    (The softmax and the loss come after, in softmax_cross_entropy.)

    Inputs:
    - X: array of shape (N, D)
    - params: dict with "W1" (D, H), "b1" (H,), "gamma" (H,), "beta" (H,),
      "W2" (H, C), "b2" (C,)
    - p: dropout's drop probability
    - train: bool, training mode (batch statistics, a random dropout mask) or
      eval mode (running statistics, no dropout)
    - rng: numpy.random.Generator for the dropout mask
    - bn_param: dict for batchnorm_forward holding the running averages; a
      fresh one if None. Its "mode" is set from train.

    Returns a tuple of:
    - scores: array of shape (N, C)
    - cache: dict with keys
        "affine1": cache of affine_forward for X @ W1 + b1
        "bn": cache of batchnorm_forward
        "relu": cache of relu_forward
        "dropout": cache of dropout_forward
        "affine2": cache of affine_forward for the second layer
    """
    bn_param = {} if bn_param is None else bn_param
    bn_param["mode"] = "train" if train else "eval"
    y1, affine1 = affine_forward(X, params["W1"], params["b1"])
    xbn, bn = batchnorm_forward(y1, params["gamma"], params["beta"], bn_param)
    relu_out, relu = relu_forward(xbn)
    zbn, dropout = dropout_forward(relu_out, p, train=train, rng=rng)
    scores, affine2 = affine_forward(zbn, params["W2"], params["b2"])
    cache = {"affine1": affine1, "bn": bn, "relu": relu, "dropout": dropout, "affine2": affine2}
    return scores, cache


def bn_net_backward(dscores, cache):
    """Backward pass of the BN network, from the scores to every parameter.

    Inputs:
    - dscores: array of shape (N, C), dL/dscores (for the cross-entropy loss,
      the dz of softmax_cross_entropy)
    - cache: dict from bn_net_forward in training mode

    Returns:
    - grads: dict with "W1" (D, H), "b1" (H,), "gamma" (H,), "beta" (H,),
      "W2" (H, C), "b2" (C,) and "X" (N, D), the gradient of L with respect
      to each
    """
    # BEGIN SOLUTION
    grads = {}
    dzbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
    drelu = dropout_backward(dzbn, cache["dropout"])
    dxbn = relu_backward(drelu, cache["relu"])
    dy1, grads["gamma"], grads["beta"] = batchnorm_backward(dxbn, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = affine_backward(dy1, cache["affine1"])
    # END SOLUTION
    return grads
