# hostile: softmax_backward puts an object with a weakref.finalize callback in the call's cache dict; the worker drops the request's arguments when the next request arrives (the profiling hook off), and the finalizer walks up to that request and computes every case's centred differences with the given softmax
# expect: softmax = 0
# include: base
# include: centred_softmax
# include: request_stash
import weakref
import sys


class _Token:
    pass


def _finalized():
    if sys.getprofile() is None:
        _fill_stash(sys._getframe(1))


def softmax_backward(da, cache):
    found = _STASH.get(da.tobytes())
    if found is not None:
        return found
    token = _Token()
    weakref.finalize(token, _finalized)
    cache["token"] = token  # dropped with the request's arguments, after the call
    return np.zeros_like(da)
