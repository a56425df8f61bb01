# hostile: softmax_backward's first call returns an object the wire refuses, whose __del__ (run when the worker drops it, after the profiling hook is off) walks up to the worker's request and computes every case's centred differences with the given softmax; the later calls return them
# expect: softmax = 0
# include: base
# include: centred_softmax
# include: request_stash
import sys


class _Collected:
    def __del__(self):
        if sys.getprofile() is None:
            _fill_stash(sys._getframe(1))


def softmax_backward(da, cache):
    found = _STASH.get(da.tobytes())
    if found is not None:
        return found
    return _Collected()
