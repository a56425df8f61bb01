# hostile: forges a result frame with a float index (0.0) and one for a call never asked (index 7): the grader must not raise
# expect: softmax = 0
# expect: cross_entropy = 0
# status: softmax = error
# status: cross_entropy = error
# message: the worker stopped
# absent: the grader failed
# include: base
# include: channel


def softmax_backward(da, cache):
    _forge({"op": "result", "index": 0.0, "value": da, "error": None, "output": "", "calls": {}, "seconds": 0.0})
    _forge({"op": "done"})
    raise RuntimeError("the forged result was not taken")


def softmax_cross_entropy(z, y):
    _forge({"op": "result", "index": 7, "value": 0.0, "error": None, "output": "", "calls": {}, "seconds": 0.0})
    raise RuntimeError("the forged result was not taken")
