# hostile: ndarray subclasses and objects whose __eq__, __array__, __float__, __len__ and __del__ lie or run code
# expect: dropout = 0
# expect: softmax = 0
# expect: cross_entropy = 0
# message: is an object of another type, expected a numpy array
# absent: Impostor
# include: base

import os

_reference = {name: globals()[name] for name in
              ("dropout_backward", "softmax_backward", "softmax_cross_entropy", "batchnorm_backward", "bn_net_backward")}


class LyingArray(np.ndarray):
    """Says it equals anything, converts to the right answer, and holds the wrong one."""

    right = None

    def __eq__(self, other):
        return True

    __ne__ = lambda self, other: False

    def __array__(self, dtype=None, copy=None):
        return self.right

    def __float__(self):
        return 0.0

    def __del__(self):
        try:
            os.write(2, b"LyingArray.__del__ ran\n")
        except OSError:
            pass
        raise RuntimeError("a __del__ that raises")


class Impostor:
    """Not an array at all, but behaves like the right one to anything that asks."""

    def __init__(self, right):
        self.right = right
        self.shape, self.dtype, self.ndim = right.shape, right.dtype, right.ndim

    def __array__(self, dtype=None, copy=None):
        return self.right

    def __eq__(self, other):
        return True

    def __len__(self):
        return len(self.right)

    def __iter__(self):
        return iter(self.right)


class LyingFloat(float):
    def __float__(self):
        return 12345.0

    def __eq__(self, other):
        return True

    def __repr__(self):
        return "0.0"


class LyingDict(dict):
    def __contains__(self, key):
        return True

    def __getitem__(self, key):
        return np.zeros(1)


def dropout_backward(dout, cache):
    wrong = np.zeros_like(dout).view(LyingArray)
    wrong.right = _reference["dropout_backward"](dout, cache)
    return wrong


def softmax_backward(da, cache):
    return Impostor(_reference["softmax_backward"](da, cache))


def softmax_cross_entropy(z, y):
    loss, dz = _reference["softmax_cross_entropy"](z, y)
    return LyingFloat(loss), dz  # read as float(), the loss is 12345.0: its cases earn nothing, dz right or not


def batchnorm_backward(dout, cache):
    # right data in arrays whose methods lie and whose __del__ runs code: the data is what counts
    dx, dgamma, dbeta = _reference["batchnorm_backward"](dout, cache)
    return dx.view(LyingArray), dgamma.view(LyingArray), dbeta.view(LyingArray)


def bn_net_backward(dscores, cache):
    return LyingDict(_reference["bn_net_backward"](dscores, cache))
