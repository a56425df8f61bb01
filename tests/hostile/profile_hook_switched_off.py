# hostile: softmax_backward switches off the interpreter's profiling hook before differentiating numerically
# expect: softmax = 0
# message: switches off the grader's count of forward passes
# include: base

import sys

from gradcheck import numerical_vjp


def softmax_backward(da, cache):
    sys.setprofile(None)
    z = np.log(cache["a"])
    return numerical_vjp(lambda: softmax(z), z, da)
