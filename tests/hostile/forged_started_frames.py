# hostile: right but 5 s a call under --timeout 3, and sends forged "started" frames every half second to have its time limit reset
# expect: softmax = 0
# max-seconds: 30
# absent: the grader failed
# include: base

import time as _time

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


_reference_softmax_backward = softmax_backward


def softmax_backward(da, cache):
    for _ in range(10):
        _forge({"op": "started", "call": 0})
        _time.sleep(0.5)
    return _reference_softmax_backward(da, cache)
