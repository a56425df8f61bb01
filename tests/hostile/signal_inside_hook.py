# hostile: softmax_backward sets a SIGALRM interval timer whose handler, when it finds itself called inside the profiling hook (the interpreter checks for signals in the hook's own code too, where profiling is suspended), takes the centred differences of the given softmax there; the backward pass keeps the hook busy with calls until it has
# expect: softmax = 0
# include: base
# include: centred_softmax
import signal
import sys
import time


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
