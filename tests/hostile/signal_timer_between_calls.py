# hostile: softmax_backward starts an interval timer whose SIGALRM handler, once the profiling hook is off (between graded calls), walks up to the worker's request, takes every case's hidden inputs and computes their centred differences with the given softmax; the later calls return them
# expect: softmax = 0
# include: base
# include: centred_softmax
# include: request_stash
import signal
import sys


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
