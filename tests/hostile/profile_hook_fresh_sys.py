# hostile: profile_hook_restored through a fresh copy of the sys module (removed from sys.modules and imported again: made anew from the copy of its dict taken at start-up, with the real sys.getprofile and sys.setprofile the guard had replaced): the hook saved, switched off and put back, each switch called through map() so that no c_call event names it, and the centred differences of the given softmax taken in between
# expect: softmax = 0
# include: base
import importlib
import sys

_H = 1e-5


def _fresh(name):
    """A new instance of the built-in module `name`, whatever the worker did to the one in sys.modules."""
    kept = sys.modules.pop(name, None)
    try:
        return importlib.import_module(name)
    finally:
        if kept is not None:
            sys.modules[name] = kept


def softmax_backward(da, cache):
    real = _fresh("sys")
    hook = real.getprofile()
    list(map(real.setprofile, [None]))
    z = np.log(cache["a"])
    grad = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        saved = z[index]
        z[index] = saved + _H
        plus = np.sum(softmax(z) * da)
        z[index] = saved - _H
        minus = np.sum(softmax(z) * da)
        z[index] = saved
        grad[index] = (plus - minus) / (2 * _H)
    list(map(real.setprofile, [hook]))
    return grad
