# hostile: closes every file descriptor, the grader's pipes included, inside dropout_backward
# expect: dropout = 0
# status: dropout = crashed
# message: the worker stopped
# include: base

import os

_reference_dropout_backward = dropout_backward


def dropout_backward(dout, cache):
    answer = _reference_dropout_backward(dout, cache)
    os.closerange(0, 64)
    return answer
