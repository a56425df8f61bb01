# hostile: replaces builtins.any and builtins.all (which the watch's own checks call, in the same process) with ones always true, then takes one centred difference along the upstream gradient, to fool the check that a forward pass runs at the case's own numbers
# expect: softmax = 0
# message: uses numerical differentiation instead of a backward pass
# include: base

import builtins as _builtins


def softmax_backward(da, cache):
    _builtins.any = lambda *args, **kwargs: True
    _builtins.all = lambda *args, **kwargs: True
    z = np.log(cache["a"])
    h = 1e-5
    return (softmax(z + h * da) - softmax(z - h * da)) / (2 * h)
