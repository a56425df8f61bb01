"""The sandbox's seccomp filters, tried from inside a worker at every level:
every denied system call fails with EPERM (clone3 with ENOSYS), no thread or
process can be started (the child's own filter: EAGAIN), no process but the
child itself can be signalled, and numpy still works; at the bubblewrap and container levels the worker also runs as the
sandbox's user, with no groups and no way to gain privileges."""

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pyseccomp
import pytest

from autograder import landlock, seccomp_policy
from autograder.sandbox import Limits, Sandbox, isolation_level

PROBE = '''
import ctypes, errno, os
import numpy as np

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def probe(numbers, clone_number, flags, secrets):
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
    found["uid"], found["groups"] = os.getuid(), len(os.getgroups())
    PR_GET_SECCOMP, PR_GET_NO_NEW_PRIVS = 21, 39  # (/proc/self/status is out of reach where Landlock holds)
    found["no_new_privs"], found["seccomp"] = _libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), _libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0)
    try:
        import socket
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        found["inet_socket"] = 0
    except OSError as error:
        found["inet_socket"] = error.errno
    import threading
    try:
        threading.Thread(target=lambda: None).start()
        found["thread"] = "started"
    except RuntimeError as error:
        found["thread"] = str(error)
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        found["fork"] = 0
    except OSError as error:
        found["fork"] = error.errno
    import fcntl, signal
    for name, target in (("kill parent", os.getppid()), ("kill all", -1), ("kill group", 0), ("kill self", os.getpid())):
        try:
            os.kill(target, 0)
            found[name] = 0
        except OSError as error:
            found[name] = error.errno
    try:
        signal.pidfd_send_signal(os.open(f"/proc/{os.getppid()}", os.O_RDONLY), 0)
        found["pidfd"] = 0
    except OSError as error:
        found["pidfd"] = error.errno
    try:
        fcntl.fcntl(0, fcntl.F_SETOWN, os.getppid())
        found["F_SETOWN"] = 0
    except OSError as error:
        found["F_SETOWN"] = error.errno
    # The same through the command's high half (the kernel reads 32 bits), and a socket's ioctl's (FIOSETOWN, SIOCSPGRP).
    import socket, struct
    fcntl_number = {"x86_64": 72, "aarch64": 25}.get(os.uname().machine)
    ctypes.set_errno(0)
    found["F_SETOWN high bits"] = errno.EPERM if fcntl_number is None else (ctypes.get_errno() or -1) if _libc.syscall(
        ctypes.c_long(fcntl_number), ctypes.c_long(0), ctypes.c_long((1 << 32) | fcntl.F_SETOWN),
        ctypes.c_long(os.getppid())) else 0
    for name, command in (("FIOSETOWN", 0x8901), ("SIOCSPGRP", 0x8902)):
        try:  # on fd 0 (/dev/null in a child: ENOTTY, were the filter to let it through; no socket can be made)
            fcntl.ioctl(0, command, struct.pack("i", os.getppid()))
            found[name] = 0
        except OSError as error:
            found[name] = error.errno
    # The caller's process group or user (who = 0) holds the fork server: refused; the caller itself is not.
    for name, which in (("renice group", os.PRIO_PGRP), ("renice user", os.PRIO_USER), ("renice self", os.PRIO_PROCESS)):
        try:
            os.setpriority(which, 0, os.getpriority(os.PRIO_PROCESS, 0))
            found[name] = 0
        except OSError as error:
            found[name] = error.errno
    ioprio_set = {"x86_64": 251, "aarch64": 30}.get(os.uname().machine)
    for name, which in (("ioprio group", 2), ("ioprio user", 3), ("ioprio self", 1)):
        ctypes.set_errno(0)
        result = _libc.syscall(ctypes.c_long(ioprio_set), ctypes.c_long(which), ctypes.c_long(0), ctypes.c_long(2 << 13 | 4)) \
            if ioprio_set else (0 if which == 1 else -1)
        found[name] = (ctypes.get_errno() or errno.EPERM) if result == -1 else 0
    # The child's CPU, scheduling policy and a higher priority (a negative nice value, the real-time I/O class):
    # refused, the calls on itself too.
    for name, action in (("affinity", lambda: os.sched_setaffinity(0, os.sched_getaffinity(0))),
                         ("real-time policy", lambda: os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))),
                         ("scheduling parameter", lambda: os.sched_setparam(0, os.sched_param(0))),
                         ("renice below zero", lambda: os.setpriority(os.PRIO_PROCESS, 0, -1))):
        try:
            action()
            found[name] = 0
        except OSError as error:
            found[name] = error.errno
    ctypes.set_errno(0)
    found["ioprio real-time"] = errno.EPERM if not ioprio_set else (ctypes.get_errno() or -1) if _libc.syscall(
        ctypes.c_long(ioprio_set), ctypes.c_long(1), ctypes.c_long(0), ctypes.c_long(1 << 13 | 4)) == -1 else 0
    PR_CAPBSET_READ = 23  # the capabilities an exec could give back (all of them, to a root user, unless dropped)
    found["capabilities"] = sum(_libc.prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 for cap in range(64))
    # A file's metadata, on the child's own folder (which Landlock lets it change): refused.
    here = os.getcwd()
    for name, action in (("chmod", lambda: os.chmod(here, 0o700)), ("utime", lambda: os.utime(here)),
                         ("setxattr", lambda: os.setxattr(here, "user.probe", b"x")),
                         ("chown", lambda: os.chown(here, os.getuid(), -1))):
        try:
            action()
            found[name] = 0
        except OSError as error:
            found[name] = error.errno
    ctypes.set_errno(0)  # setxattrat (Linux 6.13), which libseccomp may not know by name
    found["setxattrat"] = (ctypes.get_errno() or -1) if _libc.syscall(
        ctypes.c_long(463), ctypes.c_long(-100), ctypes.c_char_p(here.encode()), 0, 0, 0, 0) == -1 else 0
    # Which pages of a file every worker reads are in the machine's page cache, and dropping them: refused.
    import mmap
    shared = os.open(os.__file__, os.O_RDONLY)
    mapped = mmap.mmap(shared, 0, prot=mmap.PROT_READ)
    anonymous = mmap.mmap(-1, mmap.PAGESIZE)  # mincore on the child's own page: refused by the filter alone
    start = ctypes.c_void_p(ctypes.addressof(ctypes.c_char.from_buffer(anonymous)))
    vector = ctypes.create_string_buffer(1)
    mincore = {"x86_64": 27, "aarch64": 232}.get(os.uname().machine)
    for name, action in (("fadvise", lambda: os.posix_fadvise(shared, 0, 0, os.POSIX_FADV_DONTNEED)),
                         ("RWF_NOWAIT", lambda: os.preadv(shared, [bytearray(1)], 0, os.RWF_NOWAIT)),
                         ("MADV_PAGEOUT", lambda: mapped.madvise(21)), ("MADV_COLD", lambda: mapped.madvise(20))):
        try:
            action()
            found[name] = 0
        except OSError as error:
            found[name] = error.errno
    for name, number, args in (("cachestat", 451, (shared, ctypes.byref((ctypes.c_uint64 * 2)(0, 4096)),
                                                   ctypes.byref((ctypes.c_uint64 * 5)()), 0)),
                               ("mincore", mincore, (start, mmap.PAGESIZE, vector))):
        ctypes.set_errno(0)
        found[name] = errno.EPERM if number is None else (ctypes.get_errno() or -1) if _libc.syscall(
            ctypes.c_long(number), *args) == -1 else 0
    found["plain read"] = len(os.pread(shared, 1, 0))
    mapped.close()
    os.close(shared)
    # A listening Unix socket of the machine's, at a path the worker may reach (Landlock's ABI 7 does not cover
    # connecting to one): no socket can be made in a child, so none can be reached.
    listening = secrets.pop("listening socket", None)
    for name, make in (("unix socket", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
                       ("socketpair", socket.socketpair)):
        try:
            made = make()
            for one in (made if isinstance(made, tuple) else (made,)):
                one.close()
            found[name] = 0
        except OSError as error:
            found[name] = error.errno
    if listening:
        try:
            stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                stream.connect(listening)
                found["connect listening socket"] = 0
            finally:
                stream.close()
        except OSError as error:
            found["connect listening socket"] = error.errno
    for name, path in secrets.items():
        try:
            (os.listdir if os.path.isdir(path) else lambda p: open(p, "rb").close())(path)
            found[name] = 0
        except OSError as error:
            found[name] = error.errno
    try:  # what the fork server's reaped children did (B48): no /proc where Landlock holds, none under bubblewrap
        open(f"/proc/{os.getppid()}/stat", "rb").close()
        found["the fork server's counters"] = 0
    except OSError as error:
        found["the fork server's counters"] = error.errno
    try:
        open("/tmp/probe-was-here", "w").close()
        found["write /tmp"] = 0
    except OSError as error:
        found["write /tmp"] = error.errno
    return found
'''


ROOT = Path(__file__).resolve().parent.parent
# What no worker may read: the reference, the hidden tests, the repository, the grader's /proc entries.
SECRETS = {"the reference": str(ROOT / "solutions" / "layers.py"),
           "the hidden tests": str(ROOT / "assignments" / "backprop" / "questions.py"),
           "the repository": str(ROOT), "the grader's /proc": f"/proc/{os.getpid()}/cmdline"}


def _number(name):
    return pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name)


@pytest.fixture(scope="module", params=["bubblewrap", "container", "rlimits"])
def probed(request):
    level = request.param
    if level != "rlimits" and (isolation_level() == "rlimits" or (level == "bubblewrap" and isolation_level() != "bubblewrap")):
        pytest.skip(f"the {level} level cannot run here")
    sandbox = Sandbox(Limits(call_seconds=10.0), level)
    folder = tempfile.mkdtemp(prefix="backprop-listening-")
    os.chmod(folder, 0o755)  # within the sandbox user's reach, but for the socket rule
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.path.join(folder, "listening"))
    os.chmod(os.path.join(folder, "listening"), 0o777)
    listener.listen(8)
    try:
        worker = sandbox.spawn()
        worker.request({"op": "exec", "cells": [[1, PROBE]]}, on_progress=lambda message: None)
        numbers = {name: _number(name) for name in (*seccomp_policy.DENIED, "clone3")}
        found = {}
        worker.request(
            {"op": "call", "function": "probe",
             "calls": [[numbers, _number("clone"), seccomp_policy.NAMESPACE_FLAGS,
                        {**SECRETS, "listening socket": os.path.join(folder, "listening")}]], "oracles": [], "watch": []},
            on_progress=lambda message: found.update(message.get("value") or {}),
        )
        worker.close()
        return level, found
    finally:
        sandbox.close()
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("name", seccomp_policy.DENIED)
def test_a_denied_system_call_fails_with_eperm_inside_the_sandbox(probed, name):
    _, found = probed
    assert found[name] == errno.EPERM, f"{name}: errno {found[name]}"


@pytest.mark.parametrize("flag", sorted(seccomp_policy.NAMESPACE_FLAGS))
def test_clone_with_a_namespace_flag_is_refused(probed, flag):
    # EAGAIN: the child's own filter, loaded last, refuses every clone (for the fork server's alone, see below).
    _, found = probed
    assert found[flag] == errno.EAGAIN


def test_clone3_fails_with_enosys_so_that_libc_falls_back_to_clone(probed):
    _, found = probed
    assert found["clone3"] == errno.ENOSYS


def test_a_child_can_start_no_thread_and_no_process(probed):
    _, found = probed
    assert found["thread"] == "can't start new thread"
    assert found["fork"] == errno.EAGAIN


def test_a_child_can_signal_itself_only(probed):
    _, found = probed
    assert found["kill self"] == 0
    refused = ("kill parent", "kill all", "kill group", "F_SETOWN", "F_SETOWN high bits", "FIOSETOWN", "SIOCSPGRP")
    assert {name: found[name] for name in refused} == dict.fromkeys(refused, errno.EPERM)
    # EACCES: where Landlock holds, /proc/PID cannot be opened; ENOENT: under bubblewrap there is no /proc
    assert found["pidfd"] in (errno.EPERM, errno.EACCES, errno.ENOENT)


def test_a_child_may_renice_itself_but_not_its_process_group_or_user(probed):
    _, found = probed
    assert (found["renice self"], found["ioprio self"]) == (0, 0)
    refused = ("renice group", "renice user", "ioprio group", "ioprio user")
    assert {name: found[name] for name in refused} == dict.fromkeys(refused, errno.EPERM)


def test_a_child_keeps_its_cpu_and_cannot_raise_its_priority(probed):
    """With a job per CPU each grading process keeps to one: a child that moved itself onto another took
    half of another job's CPU (cpu_affinity_escape), and a real-time policy or a negative nice value (root's,
    at the rlimits level) would take nearly all of it."""
    _, found = probed
    refused = ("affinity", "real-time policy", "scheduling parameter", "renice below zero", "ioprio real-time")
    assert {name: found[name] for name in refused} == dict.fromkeys(refused, errno.EPERM)


def test_a_child_has_no_capability_even_as_root(probed):
    """At the rlimits level a grader running as root gave its workers root's capabilities: CAP_SYS_NICE
    took a real-time policy, CAP_SYS_RESOURCE would raise a hard limit, CAP_IPC_LOCK lock memory."""
    _, found = probed
    assert found["capabilities"] == 0


def test_a_child_can_change_no_files_metadata(probed):
    """Mode, times, owner and extended attributes of what outlives a child (its scratch root) carried hidden
    inputs to the next child (scratch_metadata_carry): refused, setxattrat by its number too."""
    _, found = probed
    refused = ("chmod", "utime", "setxattr", "chown", "setxattrat")
    assert {name: found[name] for name in refused} == dict.fromkeys(refused, errno.EPERM)


def test_a_child_can_neither_see_nor_drop_what_the_page_cache_holds(probed):
    """The page cache is the machine's: which pages of a file every worker reads it holds carried
    hidden inputs to the next child (page_cache_carry). Reading the file still works."""
    _, found = probed
    refused = ("fadvise", "RWF_NOWAIT", "MADV_PAGEOUT", "MADV_COLD", "cachestat", "mincore")
    assert {name: found[name] for name in refused} == dict.fromkeys(refused, errno.EPERM)
    assert found["plain read"] == 1


def test_a_child_can_make_no_socket_and_reach_no_listening_one(probed):
    """A child's one socket is its stream to the grader: a Unix socket listening on the machine
    (a session bus, systemd's, docker's, the grading pool's forkserver) was reachable at the rlimits
    level, as the grader's own user, and at the container level wherever its permissions let any
    user connect: Landlock's ABI 7 does not cover connecting to a named socket."""
    _, found = probed
    assert found["connect listening socket"] in (errno.EPERM, errno.EACCES, errno.ENOENT), found["connect listening socket"]
    assert found["unix socket"] == found["socketpair"] == errno.EPERM


def test_the_worker_reaches_none_of_the_graders_files(probed):
    level, found = probed
    if level != "bubblewrap" and not landlock.abi():
        pytest.skip("no Landlock: at this level the files are the machine's (README, Isolation levels)")
    # ENOENT under bubblewrap (not in its file system), EACCES where Landlock holds; /tmp is the scratch under bubblewrap.
    for name in SECRETS:
        assert found[name] in (errno.ENOENT, errno.EACCES), (name, found[name])
    assert found["write /tmp"] == (0 if level == "bubblewrap" else errno.EACCES)


def test_the_worker_reads_nothing_of_its_fork_server(probed):
    """The fork server's /proc/PID/stat adds up what every child it reaped did: a child that took a chosen
    number of page faults on hidden inputs left bits there for the public re-run's worker (B48)."""
    _, found = probed
    assert found["the fork server's counters"] in (errno.EACCES, errno.ENOENT)


def test_numpy_still_works_under_the_filter(probed):
    _, found = probed
    assert found["numpy"] == 2


def test_the_worker_runs_unprivileged_under_the_filter(probed):
    level, found = probed
    if level != "rlimits":  # which runs as the grader's own user
        assert found["uid"] >= 60000 and found["groups"] == 0
    assert found["no_new_privs"] == 1 and found["seccomp"] == 2  # 2: a filter is in force


def test_no_network_socket_can_be_made(probed):
    _, found = probed
    assert found["inet_socket"] in (errno.EPERM, errno.EAFNOSUPPORT)


FORK_SERVERS_FILTER_ALONE = """
import ctypes, json, sys
from autograder import seccomp_policy
seccomp_policy.load()
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
found = {}
for name, flag in seccomp_policy.NAMESPACE_FLAGS.items():
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(int(sys.argv[1])), ctypes.c_long(flag), 0, 0, 0, 0)
    if result == 0:
        libc._exit(0)
    found[name] = ctypes.get_errno() if result == -1 else 0
print(json.dumps(found))
"""


def test_the_fork_servers_filter_alone_refuses_clone_with_a_namespace_flag():
    process = subprocess.run([sys.executable, "-c", FORK_SERVERS_FILTER_ALONE, str(_number("clone"))],
                             capture_output=True, text=True, timeout=60)
    assert process.returncode == 0, process.stderr
    found = json.loads(process.stdout)
    assert found == {name: errno.EPERM for name in seccomp_policy.NAMESPACE_FLAGS}


def test_the_filters_are_made_once_per_process():
    assert seccomp_policy.bpf() is seccomp_policy.bpf()
    assert seccomp_policy.child_bpf() is seccomp_policy.child_bpf()
    assert len(seccomp_policy.bpf()) % 8 == 0 and len(seccomp_policy.child_bpf()) % 8 == 0  # whole BPF instructions
