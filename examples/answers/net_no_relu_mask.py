"""Mistake in bn_net_backward: forgets the ReLU mask (dropout backward goes straight into batchnorm backward)."""


def dropout_backward(dout, cache):
    if not cache["train"]:
        return dout.copy()
    scale = 1.0 / (1.0 - cache["p"])
    dx = dout * cache["keep"].astype(float) * scale
    return dx


def softmax_backward(da, cache):
    a = cache["a"]
    dz = a * da
    # sum_k da_k a_k is the row sum of a * da
    dz -= a * dz.sum(axis=1, keepdims=True)
    return dz


def softmax_cross_entropy(z, y):
    N = z.shape[0]
    a = softmax(z)
    loss = -np.mean(np.log(a[np.arange(N), y]))
    Y = (np.arange(z.shape[1]) == y[:, None]).astype(float)
    dz = (a - Y) / len(y)
    return loss, dz


def batchnorm_backward(dout, cache):
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    N = x.shape[0]
    xmu = x - mu
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar

    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma

    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / sqrtvar**2 * divar
    dvar = 0.5 / sqrtvar * dsqrtvar
    dsq = np.ones_like(x) / N * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -np.sum(dx1, axis=0)
    dx2 = np.ones_like(x) / N * dmu
    dx = dx1 + dx2
    return dx, dgamma, dbeta


def bn_net_backward(dscores, cache):
    grads = {}
    dzbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
    dxbn = dropout_backward(dzbn, cache["dropout"])
    dy1, grads["gamma"], grads["beta"] = batchnorm_backward(dxbn, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = affine_backward(dy1, cache["affine1"])
    return grads
