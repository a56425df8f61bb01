# hostile: right answers, then every input is overwritten in place (arrays zeroed, caches cleared)
# message: full marks
# include: base

_reference = {name: globals()[name] for name in
              ("dropout_backward", "softmax_backward", "softmax_cross_entropy", "batchnorm_backward", "bn_net_backward")}


def _wreck(value):
    """Zero every array reachable from value, and empty every dict."""
    if isinstance(value, np.ndarray):
        if value.flags.writeable:
            value[...] = 0
    elif isinstance(value, dict):
        for item in list(value.values()):
            _wreck(item)
        value.clear()
    elif isinstance(value, (list, tuple)):
        for item in value:
            _wreck(item)


def _then_wreck(name):
    def function(*args):
        answer = _reference[name](*args)
        if isinstance(answer, dict):
            answer = {key: value.copy() for key, value in answer.items()}
        elif isinstance(answer, tuple):
            answer = tuple(value.copy() for value in answer)
        else:
            answer = answer.copy()
        _wreck(args)
        return answer
    return function


dropout_backward = _then_wreck("dropout_backward")
softmax_backward = _then_wreck("softmax_backward")
batchnorm_backward = _then_wreck("batchnorm_backward")
bn_net_backward = _then_wreck("bn_net_backward")


def softmax_cross_entropy(z, y):
    loss, dz = _reference["softmax_cross_entropy"](z, y)
    dz = dz.copy()
    z[...] = np.nan
    y[...] = -1
    return loss, dz
