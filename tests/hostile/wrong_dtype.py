# hostile: complex, boolean, float16, string and object arrays
# expect: dropout = 0
# expect: softmax = 0
# expect: cross_entropy = 0
# expect: batchnorm = 0
# expect: net = 26.25
# message: dx is an array of dtype complex128
# message: dz has dtype bool, expected floating point
# message: relative error
# message: is an object of another type
# message: is an array of dtype object
# include: base

_reference = {name: globals()[name] for name in
              ("dropout_backward", "softmax_backward", "softmax_cross_entropy", "batchnorm_backward", "bn_net_backward")}


def dropout_backward(dout, cache):
    return _reference["dropout_backward"](dout, cache) + 0j


def softmax_cross_entropy(z, y):
    loss, dz = _reference["softmax_cross_entropy"](z, y)
    return loss, dz > 0


def softmax_backward(da, cache):
    return _reference["softmax_backward"](da, cache).astype(np.float16)


def batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = _reference["batchnorm_backward"](dout, cache)
    return dx.astype(str), dgamma.astype(object), dbeta.astype(str)


def bn_net_backward(dscores, cache):
    grads = _reference["bn_net_backward"](dscores, cache)
    grads["W2"] = grads["W2"].astype(object)
    return grads
