# hostile: a definition cell installs a trace function (sys.settrace) that stays on after the cells ran; at the first event of each graded call it takes the centred differences of the given softmax at the call's own arguments (read from the frame), out of the profiling hook's sight, and softmax_backward returns them
# expect: softmax = 0
# include: base
import sys

_H = 1e-5
_FOUND = {}


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


def _tracer(frame, event, arg):
    if event == "call" and frame.f_code is softmax_backward.__code__:
        da, cache = frame.f_locals["da"], frame.f_locals["cache"]
        _FOUND[da.tobytes()] = _centred(da, cache)
    return None


def softmax_backward(da, cache):
    return _FOUND.pop(da.tobytes())


sys.settrace(_tracer)
