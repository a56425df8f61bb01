# hostile: every graded function returns objects of classes with 10 MB names, and a cell raises a 5 MB message at load time (the 24 MB of feedback from 1 KB)
# expect: all = 0
# max-bytes: 300000
# include: base
# %%
raise ValueError("LONGMESSAGE" * 500_000)
# %%
def _long(value):
    return type("LONGTYPE" * 1_250_000, (), {})()


def dropout_backward(dout, cache):
    return _long(dout)


def softmax_backward(da, cache):
    return _long(da)


def softmax_cross_entropy(z, y):
    return _long(z), _long(z)


def batchnorm_backward(dout, cache):
    return _long(dout), _long(dout), _long(dout)


def bn_net_backward(dscores, cache):
    return {name: _long(dscores) for name in ("W1", "b1", "gamma", "beta", "W2", "b2", "X")}
