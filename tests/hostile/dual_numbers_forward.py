# hostile: softmax_backward runs the given softmax once on an object array of dual numbers (forward-mode autodiff through the forward pass)
# expect: softmax = 0
# message: uses numerical differentiation instead of a backward pass
# include: base
import math


class _Dual:
    __slots__ = ("v", "d")

    def __init__(self, v, d=0.0):
        self.v, self.d = v, d

    def _lift(self, other):
        return other if isinstance(other, _Dual) else _Dual(float(other))

    def __add__(self, o):
        o = self._lift(o)
        return _Dual(self.v + o.v, self.d + o.d)
    __radd__ = __add__

    def __sub__(self, o):
        o = self._lift(o)
        return _Dual(self.v - o.v, self.d - o.d)

    def __rsub__(self, o):
        return self._lift(o) - self

    def __mul__(self, o):
        o = self._lift(o)
        return _Dual(self.v * o.v, self.d * o.v + self.v * o.d)
    __rmul__ = __mul__

    def __truediv__(self, o):
        o = self._lift(o)
        return _Dual(self.v / o.v, (self.d * o.v - self.v * o.d) / (o.v * o.v))

    def __lt__(self, o):
        return self.v < self._lift(o).v

    def __gt__(self, o):
        return self.v > self._lift(o).v

    def __le__(self, o):
        return self.v <= self._lift(o).v

    def __ge__(self, o):
        return self.v >= self._lift(o).v

    def exp(self):
        e = math.exp(self.v)
        return _Dual(e, e * self.d)


def softmax_backward(da, cache):
    z = np.log(cache["a"])
    duals = np.empty(z.shape, dtype=object)
    for index in np.ndindex(z.shape):
        duals[index] = _Dual(z[index], da[index])
    out = softmax(duals)
    return np.vectorize(lambda d: d.d, otypes=[float])(out)
