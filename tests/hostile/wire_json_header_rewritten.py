# hostile: takes the centred differences of the given softmax in the open, then rebinds json.JSONEncoder.encode, which the worker's message format (wire.py) called to write each result's header after the call, with the profiling hook off: the header it writes says no forward pass was called, none elsewhere, and nothing unwatched
# expect: softmax = 0
# include: base
import json

_H = 1e-5
_encode = json.JSONEncoder.encode


def _quiet(node):
    """The header tree with the call's own account of its forward passes made blank."""
    if type(node) is dict:
        if "~dict" in node:
            pairs = []
            for key, value in node["~dict"]:
                if key in ("calls", "nested", "repeats"):
                    value = {"~dict": []}
                elif key in ("elsewhere", "unwatched"):
                    value = False
                pairs.append([key, _quiet(value)])
            return {"~dict": pairs}
        return {key: _quiet(value) for key, value in node.items()}
    if type(node) is list:
        return [_quiet(item) for item in node]
    return node


def _encoding(self, tree):
    return _encode(self, _quiet(tree))


json.JSONEncoder.encode = _encoding


def softmax_backward(da, cache):
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
