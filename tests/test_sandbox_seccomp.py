"""The sandbox's seccomp filter, tried from inside a worker at the bubblewrap
and the container levels: every denied system call fails with EPERM (clone3
with ENOSYS), and numpy still works; at the container level the worker also
runs as the sandbox's user, with no groups and no way to gain privileges."""

import errno
import os

import pyseccomp
import pytest

from autograder import seccomp_policy
from autograder.sandbox import Limits, Sandbox, isolation_level

PROBE = '''
import ctypes, errno, os
import numpy as np

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def probe(numbers, clone_number, flags):
    """{name: errno} for each system call tried with zero arguments, clone with each namespace flag,
    and numpy's answer to a small linear solve."""
    found = {}
    for name, number in numbers.items():
        ctypes.set_errno(0)
        result = _libc.syscall(ctypes.c_long(number), 0, 0, 0, 0, 0, 0)
        found[name] = ctypes.get_errno() if result == -1 else 0
    for name, flag in flags.items():
        ctypes.set_errno(0)
        result = _libc.syscall(ctypes.c_long(clone_number), ctypes.c_long(flag), 0, 0, 0, 0)
        if result == 0:
            os._exit(0)  # a child made after all: the filter let it through
        found[name] = ctypes.get_errno() if result == -1 else 0
    x = np.linalg.solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 4.0]))
    found["numpy"] = int(round(x.sum()))
    status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    found["uid"], found["groups"] = os.getuid(), len(os.getgroups())
    found["no_new_privs"], found["seccomp"] = int(status["NoNewPrivs"]), int(status["Seccomp"])
    try:
        import socket
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        found["inet_socket"] = 0
    except OSError as error:
        found["inet_socket"] = error.errno
    return found
'''


def _number(name):
    return pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)


@pytest.fixture(scope="module", params=["bubblewrap", "container"])
def probed(request):
    level = request.param
    if isolation_level() == "rlimits" or (level == "bubblewrap" and isolation_level() != "bubblewrap"):
        pytest.skip(f"the {level} level cannot run here")
    sandbox = Sandbox(Limits(call_seconds=10.0), level)
    try:
        worker = sandbox.spawn()
        worker.request({"op": "exec", "cells": [[1, PROBE]]}, on_progress=lambda message: None)
        numbers = {name: _number(name) for name in (*seccomp_policy.DENIED, "clone3")}
        found = {}
        worker.request(
            {"op": "call", "function": "probe",
             "calls": [[numbers, _number("clone"), seccomp_policy.NAMESPACE_FLAGS]], "oracles": [], "watch": []},
            on_progress=lambda message: found.update(message.get("value") or {}),
        )
        worker.close()
        return found
    finally:
        sandbox.close()


@pytest.mark.parametrize("name", seccomp_policy.DENIED)
def test_a_denied_system_call_fails_with_eperm_inside_the_sandbox(probed, name):
    assert probed[name] == errno.EPERM, f"{name}: errno {probed[name]}"


@pytest.mark.parametrize("flag", sorted(seccomp_policy.NAMESPACE_FLAGS))
def test_clone_with_a_namespace_flag_fails_with_eperm(probed, flag):
    assert probed[flag] == errno.EPERM


def test_clone3_fails_with_enosys_so_that_libc_falls_back_to_clone(probed):
    assert probed["clone3"] == errno.ENOSYS


def test_numpy_still_works_under_the_filter(probed):
    assert probed["numpy"] == 2


def test_the_worker_runs_unprivileged_under_the_filter(probed):
    assert probed["uid"] >= 60000 and probed["groups"] == 0
    assert probed["no_new_privs"] == 1 and probed["seccomp"] == 2  # 2: a filter is in force


def test_no_network_socket_can_be_made(probed):
    assert probed["inet_socket"] in (errno.EPERM, errno.EAFNOSUPPORT)


def test_the_filter_is_made_once_per_process():
    assert seccomp_policy.bpf() is seccomp_policy.bpf()
    assert len(seccomp_policy.bpf()) % 8 == 0  # whole BPF instructions
