# hostile: forges messages out of turn: a stand-in question while no stand-in runs, "done" before any result, a result with NaN seconds and negative call counts
# expect: dropout = 0
# expect: softmax = 0
# expect: cross_entropy = 0
# message: the worker stopped
# absent: the grader failed
# include: base
# include: channel


def dropout_backward(dout, cache):
    _forge({"op": "result", "index": 0, "value": dout, "error": None, "output": "",
            "calls": {"affine_forward": -1}, "seconds": float("nan")})
    raise RuntimeError("the forged result was not refused")


def softmax_backward(da, cache):
    _forge({"op": "oracle", "function": "batchnorm_backward", "args": [da, cache]})
    raise RuntimeError("the forged question was not refused")


def softmax_cross_entropy(z, y):
    _forge({"op": "done"})
    raise RuntimeError("the forged done was not refused")
