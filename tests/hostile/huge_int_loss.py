# hostile: returns 10**400 (an int no float holds) as a gradient, and forges a result frame holding 10**400 in the JSON itself
# expect: softmax = 0
# expect: batchnorm = 0
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
    return 10**400


def batchnorm_backward(dout, cache):
    header = ('{"~dict": [["op", "result"], ["index", 0], ["value", ' + str(10**400) + '], ["error", null], '
              '["output", ""], ["calls", {"~dict": []}], ["seconds", 0.0]]}').encode()
    os.write(_channel(), wire._SIZES.pack(len(header), 0) + header)
    raise RuntimeError("the forged result was not taken")
