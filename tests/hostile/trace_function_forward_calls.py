# hostile: softmax_backward installs a trace function (sys.settrace) that takes the centred differences of the given softmax: code run by a trace function is out of the profiling hook's sight (the interpreter suspends both while a trace function runs); it removes the trace function before returning
# expect: softmax = 0
# include: base
import sys

_H = 1e-5


def _centred(da, cache):
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
    return grad


def _nothing():
    return None


def softmax_backward(da, cache):
    found = []

    def tracer(frame, event, arg):
        if not found:
            found.append(_centred(da, cache))
        return None

    sys.settrace(tracer)
    _nothing()
    sys.settrace(None)
    return found[0]
