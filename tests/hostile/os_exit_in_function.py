# hostile: os._exit(0) inside softmax_backward: that question only
# expect: softmax = 0
# status: softmax = crashed
# message: the worker stopped: the process exited with code 0
# include: base


def softmax_backward(da, cache):
    import os

    os._exit(0)
