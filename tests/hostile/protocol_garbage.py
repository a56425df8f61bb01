# hostile: writes garbage onto the worker's channel to the grader (a pipe or socket, found by scanning its file descriptors)
# expect: softmax = 0
# status: softmax = error
# message: the worker stopped: the worker sent
# include: base

import fcntl
import os
import stat


def _reply_pipes():
    """The file descriptors that can write to a pipe or a socket: the worker's channel to the grader."""
    found = []
    for fd in range(3, 64):
        try:
            mode, flags = os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)) and flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR):
            found.append(fd)
    return found


def softmax_backward(da, cache):
    for fd in _reply_pipes():
        try:
            os.write(fd, b"\xff\xff\xff\x7f" * 1024)
        except OSError:
            pass
    raise RuntimeError("wrote garbage onto the reply pipe")
