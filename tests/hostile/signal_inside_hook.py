# hostile: softmax_backward sets a SIGALRM interval timer whose handler, when it finds itself called inside the profiling hook (the interpreter checks for signals in the hook's own code too, where profiling is suspended), takes the centred differences of the given softmax there; the backward pass keeps the hook busy with calls until it has
# expect: softmax = 0
# include: base
import signal
import sys
import time

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

    def handler(signum, frame):
        if not found and frame is not None and frame.f_code.co_name == "hook":
            found.append(_centred(da, cache))

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
    give_up = time.monotonic() + 2
    while not found and time.monotonic() < give_up:
        _nothing()
    signal.setitimer(signal.ITIMER_REAL, 0)
    return found[0] if found else np.zeros_like(da)
