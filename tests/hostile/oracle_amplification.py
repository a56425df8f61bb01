# hostile: asks the legitimate dropout oracle (during bn_net_backward) for a broadcast product: 16 000 numbers sent, 64 million computed by the grader
# expect: net = 0
# max-seconds: 20
# bug: B2
# include: base


def bn_net_backward(dscores, cache):
    side = 8000
    dout = np.ones((side, 1))
    keep = np.ones((1, side), dtype=bool)
    # Not the reference chain's call: the stand-in refuses it, and the student's own dropout_backward
    # computes the side x side array in the worker, within its own limits
    dropout_backward(dout, {"keep": keep, "p": 0.5, "train": True})
    raise RuntimeError("the grader computed a 8000 x 8000 array for us")
