# hostile: a lost keepdims (shape (N,) instead of (N, C)) and a dgamma of shape (1, D)
# expect: softmax = 0
# expect: batchnorm = 20
# message: dz has shape
# message: dgamma has shape (1,
# include: base

_reference_batchnorm_backward = batchnorm_backward


def softmax_backward(da, cache):
    a = cache["a"]
    return np.sum(da * a, axis=1)


def batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = _reference_batchnorm_backward(dout, cache)
    return dx, dgamma[None, :], dbeta
