# hostile: a 1-tuple where an array is expected, a list of 4 where a tuple of 3 is (a list of 3 is read as the tuple), a tuple where a dict is
# expect: softmax = 0
# expect: batchnorm = 0
# expect: net = 0
# message: dz is a tuple of 1, expected a numpy array
# message: should return a tuple (dx, dgamma, dbeta), got a list
# message: should return a dict with keys
# include: base

_reference = {name: globals()[name] for name in ("softmax_backward", "batchnorm_backward", "bn_net_backward")}


def softmax_backward(da, cache):
    return (_reference["softmax_backward"](da, cache),)


def batchnorm_backward(dout, cache):
    return [*_reference["batchnorm_backward"](dout, cache), None]


def bn_net_backward(dscores, cache):
    return tuple(_reference["bn_net_backward"](dscores, cache).values())
