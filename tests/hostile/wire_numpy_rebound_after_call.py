# hostile: rebinds numpy.ascontiguousarray, which the worker's message encoder (wire.py) looked up in numpy's module when it sent a result, after the call, with the profiling hook off: softmax_backward returns zeros and keeps its inputs, and the stand-in for ascontiguousarray, handed the result array to encode, answers with the centred differences of the given softmax instead
# expect: softmax = 0
# include: base
import numpy

_H = 1e-5
_KEPT = {}
_ascontiguousarray = numpy.ascontiguousarray


def _centred(da, a):
    z = np.log(a)
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


def _encoding(array, *args, **kwargs):
    kept = _KEPT.get("call")
    if kept is not None and type(array) is np.ndarray and array.shape == kept[0].shape and not array.any():
        del _KEPT["call"]
        array = _centred(*kept)
    return _ascontiguousarray(array, *args, **kwargs)


numpy.ascontiguousarray = _encoding


def softmax_backward(da, cache):
    _KEPT["call"] = (da.copy(), cache["a"].copy())
    return np.zeros_like(da)
