# hostile: softmax_backward's first call raises an exception whose __str__ (run when the harness formats the message, after the profiling hook is off) walks up to the worker's request and computes every case's centred differences with the given softmax; the later calls return them
# expect: softmax = 0
# include: base
# include: centred_softmax
# include: request_stash
import sys


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
