# hostile: a list, None and a list of arrays where arrays and a dict are expected
# expect: dropout = 0
# expect: softmax = 0
# expect: net = 0
# message: dx is a list, expected a numpy array
# message: dz is None, expected a numpy array
# message: should return a dict with keys W1
# include: base

_reference_dropout_backward = dropout_backward
_reference_bn_net_backward = bn_net_backward


def dropout_backward(dout, cache):
    return _reference_dropout_backward(dout, cache).tolist()


def softmax_backward(da, cache):
    a = cache["a"]
    dz = (da - np.sum(da * a, axis=1, keepdims=True)) * a  # computed, then not returned


def bn_net_backward(dscores, cache):
    return list(_reference_bn_net_backward(dscores, cache).values())
