# hostile: the right answers, rounded to float32 (assignments/backprop/notes.md: float64 throughout)
# expect: dropout = 0
# expect: softmax = 0
# expect: cross_entropy = 0
# expect: batchnorm = 0
# expect: net = 1.875
# message: right to float32 precision only
# include: base

_reference = {name: globals()[name] for name in
              ("dropout_backward", "softmax_backward", "softmax_cross_entropy", "batchnorm_backward", "bn_net_backward")}


def _f32(value):
    if isinstance(value, tuple):
        return tuple(_f32(v) for v in value)
    if isinstance(value, dict):
        return {k: _f32(v) for k, v in value.items()}
    return np.asarray(value, dtype=np.float32) if isinstance(value, np.ndarray) else value


def dropout_backward(dout, cache):
    return _f32(_reference["dropout_backward"](dout, cache))


def softmax_backward(da, cache):
    return _f32(_reference["softmax_backward"](da, cache))


def softmax_cross_entropy(z, y):
    return _f32(_reference["softmax_cross_entropy"](z, y))


def batchnorm_backward(dout, cache):
    return _f32(_reference["batchnorm_backward"](dout, cache))


def bn_net_backward(dscores, cache):
    return _f32(_reference["bn_net_backward"](dscores, cache))
