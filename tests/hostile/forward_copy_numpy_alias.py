# hostile: softmax_backward takes the centred differences of a copy of the given softmax, without its docstring, that reaches numpy by another name (import numpy; numpy.exp): only its globals' names differ from the watched code
# expect: softmax = 0
# include: base
import numpy

_H = 1e-5


def _copy(z):
    shifted = z - z.max(axis=1, keepdims=True)
    e = numpy.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_backward(da, cache):
    z = np.log(cache["a"])
    grad = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        saved = z[index]
        z[index] = saved + _H
        plus = np.sum(_copy(z) * da)
        z[index] = saved - _H
        minus = np.sum(_copy(z) * da)
        z[index] = saved
        grad[index] = (plus - minus) / (2 * _H)
    return grad
