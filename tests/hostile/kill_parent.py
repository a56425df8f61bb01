# hostile: signals the worker's parent (the sandbox's init, or the slot's fork server), every process it may signal, and itself: each costs its own question only
# expect: dropout = 0
# expect: softmax = 0
# expect: cross_entropy = 0
# status: cross_entropy = crashed
# include: base

import os
import signal


def dropout_backward(dout, cache):
    os.kill(os.getppid(), signal.SIGKILL)
    raise RuntimeError("still alive after killing the parent")


def softmax_backward(da, cache):
    os.kill(-1, signal.SIGKILL)  # every process this user may signal but itself
    raise RuntimeError("killed other processes")


def softmax_cross_entropy(z, y):
    os.kill(os.getpid(), signal.SIGKILL)  # itself: the worker dies, this question only
