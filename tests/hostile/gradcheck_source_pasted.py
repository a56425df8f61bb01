# hostile: softmax_backward uses gradcheck's numerical_gradient re-created from its source under another name (the same code, pasted)
# expect: softmax = 0
# message: uses numerical differentiation instead of a backward pass
# include: base

import inspect

import gradcheck

_scope = {"np": np}
exec(inspect.getsource(gradcheck.numerical_gradient).replace("def numerical_gradient", "def my_own_gradient"), _scope)
_gradient = _scope["my_own_gradient"]


def softmax_backward(da, cache):
    z = np.log(cache["a"])
    return _gradient(lambda: float(np.sum(softmax(z) * da)), z)
