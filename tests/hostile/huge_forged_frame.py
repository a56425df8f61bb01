# hostile: sends a forged 40 MB "started" frame (and would send more), to make the grader buffer it in memory
# expect: softmax = 0
# status: softmax = error
# message: over the limit
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
    padding = " " * (40 * 1024 * 1024)
    header = ('{"~dict": [["op", "started"], ["call", 0], ["pad", "' + padding + '"]]}').encode()
    frame = wire._SIZES.pack(len(header), 0) + header
    for _ in range(3):
        try:
            os.write(_channel(), frame)
        except OSError:
            break
    raise RuntimeError("the grader took the frames")
