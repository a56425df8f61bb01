# hostile: tries io_uring, bpf, perf_event_open, userfaultfd, ptrace of the fork server and process_vm_readv, each a way around the limits or into another process
# message: full marks
# include: base

import ctypes
import os

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_reference_batchnorm_backward = batchnorm_backward
# x86_64 numbers
_CALLS = {"io_uring_setup": 425, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323}
_SYS_PTRACE, _SYS_PROCESS_VM_READV, _PTRACE_ATTACH = 101, 310, 16


def batchnorm_backward(dout, cache):
    worked = []
    params = ctypes.create_string_buffer(1024)
    for name, number in _CALLS.items():
        result = _libc.syscall(number, 8 if name == "io_uring_setup" else 0, params, 128, 0, 0)
        if result >= 0:
            worked.append(name)
    if _libc.syscall(_SYS_PTRACE, _PTRACE_ATTACH, os.getppid(), 0, 0) == 0:
        worked.append("ptrace")
    buffer = ctypes.create_string_buffer(16)
    local = (ctypes.c_void_p * 2)(ctypes.addressof(buffer), 16)
    remote = (ctypes.c_void_p * 2)(0x400000, 16)
    if _libc.syscall(_SYS_PROCESS_VM_READV, os.getppid(), local, 1, remote, 1, 0) >= 0:
        worked.append("process_vm_readv")
    if worked:
        raise RuntimeError(f"allowed: {worked}")
    return _reference_batchnorm_backward(dout, cache)
