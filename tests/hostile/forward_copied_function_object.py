# hostile: softmax_backward differentiates a copy of softmax made from its code object (another function object, another name)
# expect: softmax = 0
# message: uses numerical differentiation instead of a backward pass
# include: base

import types

_copy = types.FunctionType(softmax.__code__, globals(), "not_softmax")


def softmax_backward(da, cache):
    z = np.log(cache["a"])
    grad = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        saved = z[index]
        z[index] = saved + 1e-5
        plus = np.sum(_copy(z) * da)
        z[index] = saved - 1e-5
        minus = np.sum(_copy(z) * da)
        z[index] = saved
        grad[index] = (plus - minus) / 2e-5
    return grad
