# hostile: right but too slow: 6 s of work per call, over the per-call limit: that question earns 0
# expect: cross_entropy = 0
# status: cross_entropy = timeout
# message: softmax_cross_entropy did not finish within the time limit
# include: base

import time as _time

_reference_softmax_cross_entropy = softmax_cross_entropy


def softmax_cross_entropy(z, y):
    started = _time.monotonic()
    while _time.monotonic() - started < 6.0:
        pass
    return _reference_softmax_cross_entropy(z, y)
