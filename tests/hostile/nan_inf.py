# hostile: NaN and infinity in the answers (one entry is enough to fail that output)
# expect: dropout = 0
# expect: batchnorm = 10
# expect: net = 28.125
# message: contains NaN or infinity
# include: base

_reference = {name: globals()[name] for name in ("dropout_backward", "batchnorm_backward", "bn_net_backward")}


def dropout_backward(dout, cache):
    return np.full(dout.shape, np.nan)


def batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = _reference["batchnorm_backward"](dout, cache)
    dx = dx.copy()
    dx[0, 0] = np.inf  # dx is 3/5 of the question: 10 of 25 points remain
    return dx, dgamma, dbeta


def bn_net_backward(dscores, cache):
    grads = _reference["bn_net_backward"](dscores, cache)
    grads["b1"] = grads["b1"] * np.nan  # b1 is 0.5 of 8: 30 * 7.5 / 8 remain
    return grads
