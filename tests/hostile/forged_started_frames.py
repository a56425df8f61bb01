# hostile: right but 5 s a call under --timeout 3, and sends forged "started" frames every half second to have its time limit reset
# expect: softmax = 0
# max-seconds: 30
# absent: the grader failed
# include: base
# include: channel

import time as _time


_reference_softmax_backward = softmax_backward


def softmax_backward(da, cache):
    for _ in range(10):
        _forge({"op": "started", "call": 0})
        _time.sleep(0.5)
    return _reference_softmax_backward(da, cache)
