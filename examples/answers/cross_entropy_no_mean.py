"""Mistake in softmax_cross_entropy: the gradient dz forgets the 1/N of the mean (dz = a - onehot(y))."""


def dropout_backward(dout, cache):
    if cache["train"]:
        p = cache["p"]
        M = cache["keep"] * (1 / (1 - p))
        return dout * M
    else:
        return dout


def softmax_backward(da, cache):
    a = cache["a"]
    s = np.einsum("ij,ij->i", da, a)  # (da)^T a for every row
    dz = a * da - a * s[:, np.newaxis]
    return dz


def softmax_cross_entropy(z, y):
    N = z.shape[0]
    a = softmax(z)
    loss = -np.mean(np.log(a[np.arange(N), y]))
    C = z.shape[1]
    onehot = np.eye(C)[y]
    dz = a - onehot
    return loss, dz


def batchnorm_backward(dout, cache):
    x_hat, gamma = cache["x_hat"], cache["gamma"]
    N, D = dout.shape
    std = np.sqrt(cache["var"] + cache["eps"])
    dx = np.zeros_like(dout)
    # one feature at a time, with the N x N Jacobian of that column
    for j in range(D):
        xh = x_hat[:, j]
        J = gamma[j] / std[j] * (np.eye(N) - 1.0 / N - np.outer(xh, xh) / N)
        dx[:, j] = J.T @ dout[:, j]
    dgamma = np.sum(dout * x_hat, axis=0)
    dbeta = np.sum(dout, axis=0)
    return dx, dgamma, dbeta


def bn_net_backward(dscores, cache):
    grads = {}
    d_zbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
    d_relu = dropout_backward(d_zbn, cache["dropout"])
    d_xbn = relu_backward(d_relu, cache["relu"])
    d_y1, grads["gamma"], grads["beta"] = batchnorm_backward(d_xbn, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = affine_backward(d_y1, cache["affine1"])
    return grads
