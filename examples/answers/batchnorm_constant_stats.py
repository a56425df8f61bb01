"""Mistake in batchnorm_backward: treats mu and var as constants (dx = dout * gamma / sqrt(var + eps))."""


def dropout_backward(dout, cache):
    train = cache["train"]
    if not train:
        return dout.copy()
    keep = cache["keep"]
    p = cache["p"]
    dx = np.zeros_like(dout)
    for idx in np.ndindex(dout.shape):
        if keep[idx]:
            dx[idx] = dout[idx] / (1 - p)
    return dx


def softmax_backward(da, cache):
    a = cache["a"]
    N = a.shape[0]
    dz = np.empty_like(a)
    for i in range(N):
        s = da[i] @ a[i]
        dz[i] = a[i] * (da[i] - s)
    return dz


def softmax_cross_entropy(z, y):
    N = z.shape[0]
    a = softmax(z)
    loss = -np.mean(np.log(a[np.arange(N), y]))
    dz = a.copy()
    dz[range(N), y] = dz[range(N), y] - 1.0
    dz *= 1.0 / N
    return loss, dz


def batchnorm_backward(dout, cache):
    gamma = cache["gamma"]
    var = cache["var"]
    eps = cache["eps"]
    x_hat = cache["x_hat"]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    # y = gamma * (x - mu) / sqrt(var + eps) + beta
    dx = dout * gamma / np.sqrt(var + eps)
    return dx, dgamma, dbeta


def bn_net_backward(dscores, cache):
    zbn, W2, _ = cache["affine2"]
    X, W1, _ = cache["affine1"]
    grads = {}
    grads["W2"] = np.dot(zbn.T, dscores)
    grads["b2"] = dscores.sum(axis=0)
    dzbn = np.dot(dscores, W2.T)
    dxbn = relu_backward(dropout_backward(dzbn, cache["dropout"]), cache["relu"])
    dy1, grads["gamma"], grads["beta"] = batchnorm_backward(dxbn, cache["bn"])
    grads["W1"] = np.dot(X.T, dy1)
    grads["b1"] = dy1.sum(axis=0)
    grads["X"] = np.dot(dy1, W1.T)
    return grads
