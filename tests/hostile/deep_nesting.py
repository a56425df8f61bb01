# hostile: returns a list nested 100,000 deep, and forges a frame whose JSON is nested 100,000 deep: neither may raise inside the grader
# expect: dropout = 0
# expect: softmax = 0
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
    value = []
    for _ in range(100_000):
        value = [value]
    return value


def softmax_backward(da, cache):
    header = b"[" * 100_000 + b"]" * 100_000
    os.write(_channel(), wire._SIZES.pack(len(header), 0) + header)
    raise RuntimeError("the forged frame was not refused")
