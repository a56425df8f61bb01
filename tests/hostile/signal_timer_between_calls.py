# hostile: softmax_backward starts an interval timer whose SIGALRM handler, once the profiling hook is off (between graded calls), walks up to the worker's request, takes every case's hidden inputs and computes their centred differences with the given softmax; the later calls return them
# expect: softmax = 0
# include: base
import signal
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


def _tick(signum, frame):
    if sys.getprofile() is None and _fill_stash(frame):
        signal.setitimer(signal.ITIMER_REAL, 0)


def softmax_backward(da, cache):
    found = _STASH.get(da.tobytes())
    if found is not None:
        return found
    signal.signal(signal.SIGALRM, _tick)
    signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
    return np.zeros_like(da)
