# hostile: the child renices and lowers the I/O priority of its whole process group and of every process of its user (setpriority and ioprio_set with PRIO_PGRP, PRIO_USER and who = 0, "the caller's"), its fork server among them: every later child, the next students', would inherit them
# The marker: a later child (the next question's fresh worker) finds its own nice value or I/O priority lowered.
# Before B39 was closed, PRIO_USER at the rlimits level was every process of the grader's user.
# expect: dropout = 0
# status: dropout = crashed
# include: base
# %%
import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)
_IOPRIO_SET, _IOPRIO_GET = {"x86_64": (251, 252), "aarch64": (30, 31)}.get(os.uname().machine, (None, None))
_IOPRIO_WHO_PROCESS, _IOPRIO_WHO_PGRP, _IOPRIO_WHO_USER = 1, 2, 3
_IDLE = 3 << 13  # IOPRIO_CLASS_IDLE


def _io_priority():
    return _libc.syscall(ctypes.c_long(_IOPRIO_GET), ctypes.c_long(_IOPRIO_WHO_PROCESS), ctypes.c_long(0)) \
        if _IOPRIO_GET else -1


_lowered = os.getpriority(os.PRIO_PROCESS, 0) >= 19 or _io_priority() == _IDLE
# %%
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    for which in (os.PRIO_PGRP, os.PRIO_USER):
        try:
            os.setpriority(which, 0, 19)
        except OSError:
            pass
    if _IOPRIO_SET:
        for which in (_IOPRIO_WHO_PGRP, _IOPRIO_WHO_USER):
            _libc.syscall(ctypes.c_long(_IOPRIO_SET), ctypes.c_long(which), ctypes.c_long(0), ctypes.c_long(_IDLE))
    os._exit(1)  # the next question gets a fresh child of that fork server


def softmax_backward(da, cache):
    if _lowered:
        raise RuntimeError("a fresh worker inherited a nice value or I/O priority an earlier child set on its fork server")
    return _reference_softmax_backward(da, cache)
