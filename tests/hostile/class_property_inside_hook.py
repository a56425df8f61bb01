# hostile: softmax_backward passes the given softmax an object whose __class__ is a property: the profiling hook's isinstance on the forward pass's argument reads it (and the object makes the given softmax return the case's own a), so its code runs inside the hook, where the interpreter suspends profiling, and takes the centred differences of the given softmax there
# expect: softmax = 0
# include: base
# include: centred_softmax


class _Probe:
    def __init__(self, da, cache):
        self.args, self.found = (da, cache), []

    def max(self, axis=None, keepdims=False):
        return 0.0

    def __sub__(self, other):  # the given softmax then computes the case's own a: nothing flags the call
        return np.log(self.args[1]["a"])

    @property
    def __class__(self):
        if not self.found:
            self.found.append(_centred(*self.args))
        return _Probe


def softmax_backward(da, cache):
    probe = _Probe(da, cache)
    softmax(probe)
    return probe.found[0]
