# hostile: sys.exit(3) and exit() inside graded functions
# expect: dropout = 0
# expect: cross_entropy = 0
# status: dropout = failed
# message: SystemExit: the code called exit(3)
# message: SystemExit: the code called exit(None)
# include: base


def dropout_backward(dout, cache):
    import sys

    sys.exit(3)


def softmax_cross_entropy(z, y):
    raise SystemExit
