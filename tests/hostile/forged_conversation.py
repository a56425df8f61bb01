# hostile: forges messages out of turn: a stand-in question while no stand-in runs, "done" before any result, a result with NaN seconds and negative call counts
# expect: dropout = 0
# expect: softmax = 0
# expect: cross_entropy = 0
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
