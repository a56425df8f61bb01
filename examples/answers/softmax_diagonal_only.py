"""Mistake in softmax_backward: keeps only the diagonal of the Jacobian, da * a * (1 - a)."""


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout."""
    if not cache["train"]:
        return dout.copy()
    p = cache["p"]
    dx = np.where(cache["keep"], dout / (1.0 - p), 0.0)
    return dx


def softmax_backward(da, cache):
    """Backward pass of softmax."""
    a = cache["a"]
    # d a_i / d z_i = a_i (1 - a_i)
    dz = da * a * (1 - a)
    return dz


def softmax_cross_entropy(z, y):
    """Softmax followed by the mean cross-entropy loss."""
    N = z.shape[0]
    a = softmax(z)
    loss = -np.mean(np.log(a[np.arange(N), y]))
    dz = a.copy()
    for n in range(N):
        dz[n, y[n]] -= 1
    dz = dz / N
    return loss, dz


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization (training mode)."""
    x_hat = cache["x_hat"]
    std = np.sqrt(cache["var"] + cache["eps"])
    dbeta = dout.sum(axis=0)
    dgamma = (x_hat * dout).sum(axis=0)
    g = dout * cache["gamma"]  # gradient wrt x_hat
    dx = (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / std
    return dx, dgamma, dbeta


def bn_net_backward(dscores, cache):
    """Backward pass of the BN network."""
    zbn, W2, b2 = cache["affine2"]
    X, W1, b1 = cache["affine1"]

    dW2 = zbn.T @ dscores
    db2 = np.sum(dscores, axis=0)
    dzbn = dscores @ W2.T

    dh = dropout_backward(dzbn, cache["dropout"])
    dxbn = dh * (cache["relu"] > 0)

    dy1, dgamma, dbeta = batchnorm_backward(dxbn, cache["bn"])

    dW1 = X.T @ dy1
    db1 = np.sum(dy1, axis=0)
    dX = dy1 @ W1.T
    return {"W1": dW1, "b1": db1, "gamma": dgamma, "beta": dbeta, "W2": dW2, "b2": db2, "X": dX}
