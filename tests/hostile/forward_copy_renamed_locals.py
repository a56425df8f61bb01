# hostile: finite differences through a copy of softmax's code object with its local variables renamed: the count goes by the code, whatever its locals are called
# expect: softmax = 0
# message: uses numerical differentiation instead of a backward pass
# include: base
import types

_H = 1e-5
_code = softmax.__code__
_twin = types.FunctionType(_code.replace(co_varnames=tuple("v" + n for n in _code.co_varnames)), softmax.__globals__)


def softmax_backward(da, cache):
    z = np.log(cache["a"])
    grad = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        saved = z[index]
        z[index] = saved + _H
        plus = np.sum(_twin(z) * da)
        z[index] = saved - _H
        minus = np.sum(_twin(z) * da)
        z[index] = saved
        grad[index] = (plus - minus) / (2 * _H)
    return grad
