# hostile: softmax_cross_entropy returns a tuple subclass whose __iter__ takes the centred differences of the given softmax: the worker iterates it when it encodes the result, after the call, with the profiling hook that counts forward calls off
# expect: cross_entropy = 0
# include: base

_H = 1e-5


def _loss(z, y):
    return -np.mean(np.log(softmax(z)[np.arange(z.shape[0]), y]))


class _Lazy(tuple):
    def __iter__(self):
        z, y = self[0], self[1]
        grad = np.zeros_like(z)
        for index in np.ndindex(z.shape):
            saved = z[index]
            z[index] = saved + _H
            plus = _loss(z, y)
            z[index] = saved - _H
            minus = _loss(z, y)
            z[index] = saved
            grad[index] = (plus - minus) / (2 * _H)
        return iter((float(_loss(z, y)), grad))


def softmax_cross_entropy(z, y):
    return _Lazy((z.copy(), y.copy()))
