"""The system calls a sandboxed worker may not make, as a seccomp filter.

A backward pass needs arithmetic, memory and a few files; it never needs to
build namespaces, mount file systems, keep kernel objects that outlive the
process (SysV IPC, POSIX message queues, keys), hold memory outside its own
address space (memory files), look into or change other processes (their
limits, priorities and CPUs: a child that lowered its fork server's limits
would hand them to every later child, the next students'),
load code into the kernel or open a network socket (only AF_UNIX: the
container level has no network namespace). The filter allows everything else and makes these
calls fail with EPERM, so that numpy and the standard library keep working
and a probe gets a plain error.

It is generated with libseccomp (PyPI `pyseccomp`), once per grading
process, and given to bwrap as BPF (`--seccomp FD`) or loaded in the
container and rlimits levels' fork server before it runs any of the worker's code.

Each child the fork server makes for a submission adds a second filter of
its own (`child_bpf`, sent as BPF with the fork server's "prepare"): no new
process and no thread (nothing a backward pass does needs one, and a thread
runs out of the sight of the profiling hook that counts forward passes), no
new socket (its stream to the grader is its only one), no change to a file's
metadata (what outlives the child, on its scratch root, reached the next), and
no signal to any process but itself (not the fork server, not the grader at
the rlimits level, where they are the same user's). Its own pid is not known
when the program is made: the program compares with SELF, which the child
writes over with its pid before loading it (`own_program`).

User namespaces: bwrap 0.8's `--disable-userns` needs `--unshare-user`,
which as root would map the sandbox's user to root outside; so this filter
carries that rule instead: `unshare` always fails, and so does `clone`
with any namespace flag. `clone3` passes its flags in memory, where seccomp
cannot look: it fails with ENOSYS, on which glibc falls back to `clone`.
"""

import errno
import functools
import os
import socket

import pyseccomp

DENIED = (
    # namespaces and mounts
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # kernel objects that outlive the process
    "keyctl", "add_key", "request_key",
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
    "msgget", "msgsnd", "msgrcv", "msgctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr",
    # asynchronous and kernel-programmable interfaces
    "io_uring_setup", "io_uring_enter", "io_uring_register", "bpf", "perf_event_open", "userfaultfd",
    "fanotify_init",
    # other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    # the machine itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "syslog", "settimeofday", "clock_settime", "adjtimex",
    "clock_adjtime", "iopl", "ioperm", "vhangup", "open_by_handle_at", "name_to_handle_at",
    "lookup_dcookie", "uselib", "memfd_secret",
    # memory outside RLIMIT_AS and the scratch's size: a memory file's pages are the machine's
    "memfd_create",
)
# Calls that change a process named by an argument: allowed on the caller
# itself (0, as glibc's setrlimit, nice and sched_setaffinity(0) pass it),
# never on another process of the sandbox's user. {name: the argument's position}
ON_ANOTHER_PROCESS = {
    "prlimit64": 0, "setpriority": 1, "ioprio_set": 1, "sched_setaffinity": 0, "sched_setscheduler": 0,
    "sched_setparam": 0, "sched_setattr": 0, "migrate_pages": 0, "move_pages": 0,
}
# Calls that also name processes by a kind (their first argument): allowed for the caller's own process only
# (PRIO_PROCESS, IOPRIO_WHO_PROCESS). With a process group or a user, who = 0 is the caller's group or user: the
# fork server, every later child, and at the rlimits level the grader and every process of its user.
ONE_PROCESS_KIND = {"setpriority": 0, "ioprio_set": 1}
NAMESPACE_FLAGS = {
    "CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}


def _known(name):
    """Whether this machine's architecture has the system call (some are x86-only)."""
    try:
        return pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name) >= 0
    except (ValueError, RuntimeError, OSError):
        return False


def _filter():
    rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    refuse = pyseccomp.ERRNO(errno.EPERM)
    for name in DENIED:
        if _known(name):
            rules.add_rule(refuse, name)
    for flag in NAMESPACE_FLAGS.values():
        rules.add_rule(refuse, "clone", pyseccomp.Arg(0, pyseccomp.MASKED_EQ, flag, flag))
    for name, position in ON_ANOTHER_PROCESS.items():
        if _known(name):
            rules.add_rule(refuse, name, pyseccomp.Arg(position, pyseccomp.NE, 0))
    for name, kind in ONE_PROCESS_KIND.items():
        if _known(name):
            rules.add_rule(refuse, name, pyseccomp.Arg(0, pyseccomp.NE, kind))
    rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")
    # Sockets only to the grader's kind: at the container level there is no
    # network namespace, and nothing a student needs talks to a network.
    rules.add_rule(pyseccomp.ERRNO(errno.EAFNOSUPPORT), "socket", pyseccomp.Arg(0, pyseccomp.NE, socket.AF_UNIX))
    return rules


# What the child's own filter refuses: every way to make a task (a process or a thread). EAGAIN, as
# RLIMIT_NPROC gives: "Resource temporarily unavailable", "can't start new thread".
NEW_TASKS = ("clone", "fork", "vfork")


# Calls that signal the process (or thread group) their first argument names: allowed on the child itself only.
SIGNAL_ONE = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open")
# A pidfd may come from opening /proc/PID: signalling through one is refused whatever it names.
SIGNAL_ANY = ("pidfd_send_signal",)
# fcntl's commands that make the kernel signal a chosen process when a file is ready (F_SETOWN, F_SETSIG, F_SETOWN_EX).
SIGNAL_OWNER_COMMANDS = (8, 10, 15)
# ioctl's that do the same for a socket (FIOSETOWN, SIOCSPGRP: the kernel's f_setown, as F_SETOWN): with O_ASYNC
# and a byte sent to it, SIGIO, whose default action ends the process, went to the fork server or the grader.
SIGNAL_OWNER_IOCTLS = (0x8901, 0x8902)
# The kernel reads fcntl's and ioctl's command as a 32-bit unsigned int, seccomp all 64 bits of the register:
# a command is compared by its low half (F_SETOWN with bit 32 set got through an equality test).
_COMMAND_BITS = 0xFFFFFFFF
# The child's one socket is its stream to the grader, made before it: it may make no other, nor connect one. A Unix
# socket listening on the machine (a session bus, systemd's, docker's, the grading pool's forkserver) could be reached
# at the rlimits level as the grader's own user, at the container level wherever its permissions let any user
# connect (Landlock's ABI 7 does not cover connecting to a named socket), and a datagram could be sent to one.
NEW_SOCKETS = ("socket", "socketpair", "connect")
# Calls that change a file's metadata (mode, owner, times, extended attributes, flags), which Landlock does not
# cover: nothing a backward pass does needs one, and what a child set on a file that outlives it (the scratch
# folder's root, its own at every level) carried hidden inputs to the next child, the public rerun, whose message
# the feedback shows; at the rlimits level it could change the mode of any file of the grader's own user.
METADATA = ("chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime", "utimes",
            "futimesat", "utimensat", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
            "fremovexattr")
# The same, added to Linux after the libseccomp here knew its calls: by number (the calls added since Linux 5.1
# share their numbers on every architecture), where libseccomp does not know the name.
METADATA_BY_NUMBER = {"setxattrat": 463, "removexattrat": 466, "file_setattr": 469}
# ioctl's that set a file's flags (FS_IOC_SETFLAGS, its 32-bit form, FS_IOC_FSSETXATTR): a tmpfs owner may set some.
METADATA_IOCTLS = (0x40086602, 0x40046602, 0x401C5820)
# What shows or changes which pages of a file the machine's page cache holds, a store every process shares: on
# hidden inputs a child dropped some pages of a standard-library file every worker reads (POSIX_FADV_DONTNEED) and
# loaded others, and the public rerun's fresh worker read the bits back (a read with RWF_NOWAIT fails on a page
# that is not cached; cachestat and mincore count them; MADV_COLD and MADV_PAGEOUT drop a mapped file's pages).
PAGE_CACHE = ("fadvise64", "fadvise64_64", "mincore")
PAGE_CACHE_BY_NUMBER = {"cachestat": 451}
RWF_NOWAIT = 0x8
PAGE_CACHE_READS = {"preadv2": 5, "pwritev2": 5}  # {name: the position of the flags argument}
MADV_COLD, MADV_PAGEOUT = 20, 21
# A child keeps its grading process's CPU and priority. With a job per CPU each grading process and its sandbox
# keep to a CPU of their own (grade._cpu_slots): a child that moved itself onto another (sched_setaffinity on
# itself) took half of another job's CPU, whose worker the scheduler cannot move away, and a real-time policy or a
# negative nice value (root's, at the rlimits level) would take nearly all of it.
SCHEDULING = ("sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr")
NEGATIVE_INT = 0x80000000  # setpriority's third argument, an int, read by its low 32 bits
IOPRIO_CLASS_BITS, IOPRIO_CLASS_RT = 0xE000, 0x2000  # ioprio_set's third argument: the real-time class
# Stands for the child's pid in the program; above any pid (pid_max is at most 2**22), and written over by the child.
SELF = 0x5E1F5E1F


def _child_filter():
    rules = pyseccomp.SyscallFilter(defaction=pyseccomp.ALLOW)
    for name in NEW_TASKS:
        if _known(name):
            rules.add_rule(pyseccomp.ERRNO(errno.EAGAIN), name)
    rules.add_rule(pyseccomp.ERRNO(errno.ENOSYS), "clone3")  # as above: so that libc tries clone, and gets EAGAIN
    refuse = pyseccomp.ERRNO(errno.EPERM)
    for name in SIGNAL_ONE:
        if _known(name):
            rules.add_rule(refuse, name, pyseccomp.Arg(0, pyseccomp.NE, SELF))
    for name in SIGNAL_ANY + NEW_SOCKETS + METADATA:
        if _known(name):
            rules.add_rule(refuse, name)
    for name, number in {**METADATA_BY_NUMBER, **PAGE_CACHE_BY_NUMBER}.items():
        rules.add_rule(refuse, name if _known(name) else number)
    for name in PAGE_CACHE:
        if _known(name):
            rules.add_rule(refuse, name)
    for name, position in PAGE_CACHE_READS.items():
        rules.add_rule(refuse, name, pyseccomp.Arg(position, pyseccomp.MASKED_EQ, RWF_NOWAIT, RWF_NOWAIT))
    for name in SCHEDULING:
        if _known(name):
            rules.add_rule(refuse, name)
    rules.add_rule(refuse, "setpriority", pyseccomp.Arg(2, pyseccomp.MASKED_EQ, NEGATIVE_INT, NEGATIVE_INT))
    rules.add_rule(refuse, "ioprio_set", pyseccomp.Arg(2, pyseccomp.MASKED_EQ, IOPRIO_CLASS_BITS, IOPRIO_CLASS_RT))
    for advice in (MADV_COLD, MADV_PAGEOUT):
        rules.add_rule(refuse, "madvise", pyseccomp.Arg(2, pyseccomp.EQ, advice))
    for command in SIGNAL_OWNER_COMMANDS:
        rules.add_rule(refuse, "fcntl", pyseccomp.Arg(1, pyseccomp.MASKED_EQ, _COMMAND_BITS, command))
    for command in SIGNAL_OWNER_IOCTLS + METADATA_IOCTLS:
        rules.add_rule(refuse, "ioctl", pyseccomp.Arg(1, pyseccomp.MASKED_EQ, _COMMAND_BITS, command))
    return rules


def _export(rules):
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "wb", closefd=True) as sink:
            rules.export_bpf(sink)
        chunks = []
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(read_end)


@functools.cache
def child_bpf():
    """The child's filter (no new process or thread) as BPF (bytes: `struct sock_filter`s), made once per process."""
    return _export(_child_filter())


@functools.cache
def bpf():
    """The filter as the kernel's BPF program (bytes), made once per process."""
    return _export(_filter())


def bpf_fd():
    """A file descriptor to read the BPF program from (for bwrap's --seccomp); the caller closes it."""
    program = bpf()
    read_end, write_end = os.pipe()
    os.write(write_end, program)  # a few KB: within the pipe's buffer
    os.close(write_end)
    return read_end


def load():
    """Apply the filter to this process and its future children (needs no_new_privs or CAP_SYS_ADMIN)."""
    _filter().load()
