# hostile: rebinds json.loads and numpy.frombuffer, which the worker's message format (wire.py) looked up in their modules when it decoded the next request, before the call, with the profiling hook off: handed the call's header and arrays, they take the centred differences of the given softmax there, and softmax_backward returns them
# expect: softmax = 0
# include: base
import json

import numpy

_H = 1e-5
_FOUND, _SHAPES = {}, {}
_loads, _frombuffer = json.loads, numpy.frombuffer


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


def _arrays(node, found):
    if type(node) is dict:
        for tag, body in node.items():
            if tag == "~array":
                found[body[0]] = tuple(body[2])
            else:
                _arrays(body, found)
    elif type(node) is list:
        for item in node:
            _arrays(item, found)


def _reading(text, *args, **kwargs):
    tree = _loads(text, *args, **kwargs)
    # The header of {"op": "call", ...}: {"~dict": [["op", "call"], ...]}.
    if type(tree) is dict and ["op", "call"] in tree.get("~dict", []):
        _SHAPES.clear()
        _arrays(tree, _SHAPES)
        _SHAPES["pending"] = []
    return tree


def _decoding(payload, dtype=float, count=-1, offset=0):
    array = _frombuffer(payload, dtype=dtype, count=count, offset=offset)
    shape = _SHAPES.get(offset)
    if shape is not None and len(shape) == 2 and "pending" in _SHAPES:
        _SHAPES["pending"].append(array.reshape(shape).copy())
        if len(_SHAPES["pending"]) == 2:  # softmax_backward(da, cache): da, then cache["a"]
            da, a = _SHAPES.pop("pending")
            if da.shape == a.shape and (a > 0).all():
                _FOUND[da.tobytes()] = _centred(da, a)
    return array


json.loads, numpy.frombuffer = _reading, _decoding


def softmax_backward(da, cache):
    found = _FOUND.pop(da.tobytes(), None)
    return found if found is not None else np.zeros_like(da)
