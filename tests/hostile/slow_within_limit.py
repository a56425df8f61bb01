# hostile: right but slow: 2 s of work per call, under the per-call limit (--timeout 3 in the corpus; 10 by default)
# message: full marks
# include: base

import time as _time

_reference_dropout_backward = dropout_backward


def dropout_backward(dout, cache):
    started = _time.monotonic()
    while _time.monotonic() - started < 2.0:  # busy: CPU time, not a sleep
        pass
    return _reference_dropout_backward(dout, cache)
