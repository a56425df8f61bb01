# The worker's protocol socket, for the cases that forge frames on it (`# include: channel`).

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
