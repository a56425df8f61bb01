# hostile: every backward pass is a centred finite difference of the given forward passes, with the inputs rebuilt from the cache (no derivation at all)
# Policy: a graded function that calls the forward passes (or a numerical-gradient helper) more than a
# few times is differentiating numerically, and the assignment asks for the derivation: no points.
# dropout_backward below differentiates an inline copy of the forward formula, which the call count
# cannot see: it keeps its marks (the limit of the policy, stated in the README).
# expect: softmax = 0
# expect: cross_entropy = 0
# expect: batchnorm = 0
# expect: net = 0
# message: uses numerical differentiation instead of a backward pass
# include: base

_H = 1e-5


def _vjp(forward, x, upstream):
    """sum(upstream * d forward / d x), by centred differences, x changed in place and restored."""
    grad = np.zeros_like(x, dtype=float)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + _H
        plus = np.sum(forward() * upstream)
        x[index] = saved - _H
        minus = np.sum(forward() * upstream)
        x[index] = saved
        grad[index] = (plus - minus) / (2 * _H)
    return grad


def dropout_backward(dout, cache):
    # the forward pass is linear: any x will do; the mask is in the cache
    x = np.zeros(dout.shape)
    if not cache["train"]:
        return _vjp(lambda: x.copy(), x, dout)
    return _vjp(lambda: x * cache["keep"] / (1 - cache["p"]), x, dout)


def softmax_backward(da, cache):
    z = np.log(cache["a"])  # softmax(log a) = a
    return _vjp(lambda: softmax(z), z, da)


def softmax_cross_entropy(z, y):
    N = z.shape[0]
    loss = lambda: -np.mean(np.log(softmax(z)[np.arange(N), y]))
    value = loss()
    work = z.astype(float).copy()
    dz = _vjp(lambda: -np.mean(np.log(softmax(work)[np.arange(N), y])), work, np.ones(()))
    return value, dz


def batchnorm_backward(dout, cache):
    x, gamma = cache["x"].copy(), cache["gamma"].copy()
    beta = np.zeros_like(gamma)  # dL/dx and dL/dgamma do not depend on beta
    bn_param = {"mode": "train", "eps": cache["eps"]}
    forward = lambda: batchnorm_forward(x, gamma, beta, dict(bn_param))[0]
    return _vjp(forward, x, dout), _vjp(forward, gamma, dout), _vjp(forward, beta, dout)


def bn_net_backward(dscores, cache):
    X, W1, b1 = (np.array(v, dtype=float) for v in cache["affine1"])
    _, W2, b2 = (np.array(v, dtype=float) for v in cache["affine2"])
    bn = cache["bn"]
    gamma = np.array(bn["gamma"], dtype=float)
    beta = cache["relu"][0] - gamma * bn["x_hat"][0]  # the BN output is gamma * x_hat + beta
    drop = cache["dropout"]
    params = {"W1": W1, "b1": b1, "gamma": gamma, "beta": beta, "W2": W2, "b2": b2}

    def scores():
        y1 = X @ params["W1"] + params["b1"]
        xbn = batchnorm_forward(y1, params["gamma"], params["beta"], {"mode": "train", "eps": bn["eps"]})[0]
        hidden = np.maximum(xbn, 0)
        if drop["train"]:
            hidden = hidden * drop["keep"] / (1 - drop["p"])
        return hidden @ params["W2"] + params["b2"]

    grads = {name: _vjp(scores, value, dscores) for name, value in params.items()}
    grads["X"] = _vjp(scores, X, dscores)
    return grads
