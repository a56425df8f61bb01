# hostile: forges a result frame with a float index (0.0) and one for a call never asked (index 7): the grader must not raise
# expect: softmax = 0
# expect: cross_entropy = 0
# status: softmax = error
# status: cross_entropy = error
# message: the worker stopped
# absent: the grader failed
# include: base

import fcntl
import os
import stat

import wire  # the worker's own message format, importable in the sandbox


def _channel():
    """The worker's socket to the grader, found by scanning its file descriptors."""
    for fd in range(3, 64):
        try:
            mode, flags = os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if stat.S_ISSOCK(mode) and flags & os.O_ACCMODE == os.O_RDWR:
            return fd
    raise RuntimeError("no channel found")


def _forge(message):
    data = wire.encode(message)
    while data:
        data = data[os.write(_channel(), data):]



def softmax_backward(da, cache):
    _forge({"op": "result", "index": 0.0, "value": da, "error": None, "output": "", "calls": {}, "seconds": 0.0})
    _forge({"op": "done"})
    raise RuntimeError("the forged result was not taken")


def softmax_cross_entropy(z, y):
    _forge({"op": "result", "index": 7, "value": 0.0, "error": None, "output": "", "calls": {}, "seconds": 0.0})
    raise RuntimeError("the forged result was not taken")
