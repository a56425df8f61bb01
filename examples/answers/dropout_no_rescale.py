"""Mistake in dropout_backward: forgets the 1/(1-p) scale of the kept units (returns dout * keep)."""


def dropout_backward(dout, cache):
    if cache["train"] == False:
        return dout
    # the mask is just where the units were kept
    dx = dout * cache["keep"]
    return dx


def softmax_backward(da, cache):
    a = cache["a"]
    N, C = a.shape
    dz = np.zeros((N, C))
    for n in range(N):
        # Jacobian of one row: diag(a) - a a^T
        J = np.diag(a[n]) - np.outer(a[n], a[n])
        dz[n] = J.T @ da[n]
    return dz


def softmax_cross_entropy(z, y):
    N = z.shape[0]
    a = softmax(z)
    loss = -np.mean(np.log(a[np.arange(N), y]))
    onehot = np.zeros_like(a)
    onehot[np.arange(N), y] = 1
    dz = (a - onehot) / N
    return loss, dz


def batchnorm_backward(dout, cache):
    x, mu, var, eps, gamma = cache["x"], cache["mu"], cache["var"], cache["eps"], cache["gamma"]
    N = x.shape[0]
    xmu = x - mu
    std = np.sqrt(var + eps)
    x_hat = xmu / std

    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)

    dxhat = dout * gamma
    # path through the variance
    dvar = np.sum(dxhat * xmu, axis=0) * (-0.5) * (var + eps) ** (-1.5)
    # path through the mean (the dvar term is zero but I keep it)
    dmu = -np.sum(dxhat, axis=0) / std + dvar * np.mean(-2.0 * xmu, axis=0)
    dx = dxhat / std + dvar * 2.0 * xmu / N + dmu / N
    return dx, dgamma, dbeta


def bn_net_backward(dscores, cache):
    grads = {}
    dZBN, dW2, db2 = affine_backward(dscores, cache["affine2"])
    grads["W2"] = dW2
    grads["b2"] = db2
    d_relu_out = dropout_backward(dZBN, cache["dropout"])
    dXBN = relu_backward(d_relu_out, cache["relu"])
    dY1, dgamma, dbeta = batchnorm_backward(dXBN, cache["bn"])
    grads["gamma"] = dgamma
    grads["beta"] = dbeta
    dX, dW1, db1 = affine_backward(dY1, cache["affine1"])
    grads["W1"] = dW1
    grads["b1"] = db1
    grads["X"] = dX
    return grads
