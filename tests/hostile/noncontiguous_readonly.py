# hostile: right answers as Fortran-ordered, strided, reversed, read-only, broadcast and big-endian arrays
# message: full marks
# include: base

_reference = {name: globals()[name] for name in
              ("dropout_backward", "softmax_backward", "softmax_cross_entropy", "batchnorm_backward", "bn_net_backward")}


def _read_only(array):
    array = np.array(array)
    array.flags.writeable = False
    return array


def _strided(array):
    big = np.zeros(array.shape[:-1] + (3 * array.shape[-1],))
    big[..., ::3] = array
    return big[..., ::3]


def dropout_backward(dout, cache):
    return np.asfortranarray(_reference["dropout_backward"](dout, cache))


def softmax_backward(da, cache):
    return _strided(_reference["softmax_backward"](da, cache))


def softmax_cross_entropy(z, y):
    loss, dz = _reference["softmax_cross_entropy"](z, y)
    return loss, _read_only(dz[::-1])[::-1]


def batchnorm_backward(dout, cache):
    dx, dgamma, dbeta = _reference["batchnorm_backward"](dout, cache)
    row = np.broadcast_to(dgamma, (4, dgamma.size))[2]  # a row of a broadcast view: strides 0 in between
    return dx.astype(">f8"), row, np.lib.stride_tricks.as_strided(dbeta, dbeta.shape, dbeta.strides, writeable=False)


def bn_net_backward(dscores, cache):
    grads = _reference["bn_net_backward"](dscores, cache)
    return {key: (_read_only(np.asfortranarray(value)) if value.ndim == 2 else _strided(value))
            for key, value in grads.items()}
