# hostile: pins 1 GB of SysV shared memory and a POSIX message queue (outside RLIMIT_AS) and looks for them in the next worker
# expect: dropout = 0
# status: dropout = crashed
# include: base

import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p
_KEY, _IPC_CREAT = 0x5EED, 0o1000
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    segment = _libc.shmget(_KEY, 1 << 30, _IPC_CREAT | 0o666)
    if segment >= 0:
        address = _libc.shmat(segment, None, 0)
        if address not in (None, ctypes.c_void_p(-1).value):
            ctypes.memset(address, 1, 1 << 30)  # really pin it
    _libc.mq_open(b"/stash", os.O_CREAT | os.O_RDWR, 0o666, None)
    os._exit(1)  # the next question gets a fresh worker


def softmax_backward(da, cache):
    if _libc.shmget(_KEY, 0, 0) >= 0 or _libc.shmget(_KEY, 4096, _IPC_CREAT | 0o666) >= 0:
        raise RuntimeError("SysV shared memory is there for the taking")
    if _libc.mq_open(b"/stash", os.O_RDWR) >= 0:
        raise RuntimeError("a POSIX message queue of an earlier worker survived")
    return _reference_softmax_backward(da, cache)
