# hostile: batchnorm_backward imports the reference and the hidden tests as modules
# expect: batchnorm = 0
# message: ModuleNotFoundError: No module named 'solutions'
# include: base

import sys


def batchnorm_backward(dout, cache):
    sys.path[:0] = ["@REPO@", "/work/main", "/work", ".", "..", "/sandbox/.."]
    for hidden_tests in ("assignments.backprop.questions", "autograder.specs"):
        try:
            __import__(hidden_tests)
        except ImportError:
            pass
    from solutions import layers

    return layers.batchnorm_backward(dout, cache)
