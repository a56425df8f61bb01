# hostile: softmax_backward saves the profiling hook (sys.getprofile), switches it off, takes the centred differences of the given softmax, and puts the same hook back before returning
# expect: softmax = 0
# include: base
import sys

_H = 1e-5


def softmax_backward(da, cache):
    hook = sys.getprofile()
    sys.setprofile(None)
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
    sys.setprofile(hook)
    return grad
