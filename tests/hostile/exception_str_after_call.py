# hostile: softmax_backward's first call raises an exception whose __str__ (run when the harness formats the message, after the profiling hook is off) walks up to the worker's request and computes every case's centred differences with the given softmax; the later calls return them
# expect: softmax = 0
# include: base
import sys

_H = 1e-5
_STASH = {}


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


def _fill_stash(frame):
    """Walk up to the worker's loop and take every case of the request: its hidden inputs."""
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and request.get("function") == "softmax_backward":
            for args in request["calls"]:
                key = args[0].tobytes()
                if key not in _STASH:
                    _STASH[key] = _centred(*args)
            return True
        frame = frame.f_back
    return False


class _Late(Exception):
    def __str__(self):
        if sys.getprofile() is None:
            _fill_stash(sys._getframe(1))
        return "late"


def softmax_backward(da, cache):
    found = _STASH.get(da.tobytes())
    if found is not None:
        return found
    raise _Late()
