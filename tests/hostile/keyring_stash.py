# hostile: leaves a key in the user keyring (kernel memory that outlives the process, shared by every worker of the uid) and reads it back
# expect: dropout = 0
# status: dropout = crashed
# include: base

import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_SYS_ADD_KEY, _SYS_REQUEST_KEY, _SYS_KEYCTL = 248, 249, 250  # x86_64
_KEY_SPEC_USER_KEYRING = ctypes.c_long(-4)
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    data = b"hidden inputs seen by an earlier worker"
    _libc.syscall(_SYS_ADD_KEY, b"user", b"stash", data, len(data), _KEY_SPEC_USER_KEYRING)
    os._exit(1)


def softmax_backward(da, cache):
    found = _libc.syscall(_SYS_REQUEST_KEY, b"user", b"stash", None, ctypes.c_long(0))
    made = _libc.syscall(_SYS_ADD_KEY, b"user", b"probe", b"x", 1, _KEY_SPEC_USER_KEYRING)
    if found >= 0 or made >= 0 or _libc.syscall(_SYS_KEYCTL, 0, _KEY_SPEC_USER_KEYRING, 0) >= 0:
        raise RuntimeError(f"the keyring is usable: request_key {found}, add_key {made}")
    return _reference_softmax_backward(da, cache)
