"""Landlock: which files a worker may reach, by path, set by a process without privileges (Linux 5.13+).

The bubblewrap level gives the worker a file system of its own. At the
container and rlimits levels it runs on the machine's: there the fork
server's process, before it runs any of the worker's code, restricts itself
and so every child to reading the system's libraries, the Python installation
without its packages, numpy and the worker's files, and to using its scratch
folder. Nothing else can be opened, listed, made or removed: not the
repository, the reference, the hidden tests, the submissions, the output
folder, nor /proc (the grader's command line and environment). From ABI 6
on, abstract Unix sockets made outside the restricted processes cannot be
reached either, nor can a process outside them be signalled.

A `plan` (the paths and what each allows) is made by the grader before it
starts the fork server; `restrict` applies it in the new process, before
exec. Where the kernel has no Landlock, `abi()` is 0 and nothing is applied.
"""

import ctypes
import functools
import os
from pathlib import Path

# The same numbers on every architecture (system calls added since Linux 5.1 share them).
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3 and 5
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6
# No signal to a process outside the restricted ones (the grader, at the rlimits level its own user's), by kill or
# by the kernel for a file's owner (SIGIO): beside the child's seccomp filter, which covers the fork server too.
_SCOPES = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL

# The file system rights each ABI knows: all of them are handled (denied unless a rule allows them).
_FS_RIGHTS = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
# What a rule on a file (not a folder) may carry.
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

READ = READ_FILE | READ_DIR | EXECUTE
DEVICE = READ_FILE | WRITE_FILE | IOCTL_DEV
ALL = (1 << 16) - 1  # a scratch folder: read, write, make and remove anything inside it

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


@functools.cache
def abi():
    """The kernel's Landlock ABI version, 0 where it has none (or it is disabled)."""
    version = _libc.syscall(ctypes.c_long(_CREATE_RULESET), None, ctypes.c_size_t(0),
                            ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def plan(readable, usable, devices=(), excluded=()):
    """[(path, rights)]: `readable` folders and files read-only (READ), less anything under `excluded`
    (each folder holding one is opened up entry by entry instead, and may be listed: so may the
    folders below it, excluded ones too, though none of their files can be read); `usable` folders
    with every right; `devices` read and written. Paths that do not exist are left out."""
    excluded = [Path(os.path.realpath(path)) for path in excluded]
    rules = []

    def add_readable(path):
        path = Path(os.path.realpath(path))
        if not path.exists() or any(path == out for out in excluded):
            return
        if path.is_dir() and any(out.is_relative_to(path) for out in excluded):
            rules.append((str(path), READ_DIR))  # Python's importer lists a folder on sys.path before it looks inside
            for entry in sorted(os.scandir(path), key=lambda entry: entry.name):
                add_readable(entry.path)
        else:
            rules.append((str(path), READ))

    for path in readable:
        add_readable(path)
    rules += [(os.path.realpath(path), ALL) for path in usable if os.path.isdir(path)]
    rules += [(os.path.realpath(path), DEVICE) for path in devices if os.path.exists(path)]
    return rules


def restrict(rules):
    """Restrict this process (and what it execs and forks) to `rules`; nothing where abi() is 0.
    Sets no_new_privs, which Landlock needs without privileges. Raises OSError."""
    version = abi()
    if not version:
        return
    handled = _FS_RIGHTS[min(version, 5)]
    attr = _RulesetAttr(handled, 0, _SCOPES if version >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if version >= 6 else (16 if version >= 4 else 8)
    ruleset = _libc.syscall(ctypes.c_long(_CREATE_RULESET), ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        for path, rights in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except (FileNotFoundError, PermissionError):  # removed since, or out of this user's reach anyway
                continue
            try:
                allowed = rights & handled & (ALL if os.path.isdir(path) else _FILE_RIGHTS)
                rule = _PathBeneathAttr(allowed, fd)
                if _libc.syscall(ctypes.c_long(_ADD_RULE), ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                                 ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
            finally:
                os.close(fd)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
        if _libc.syscall(ctypes.c_long(_RESTRICT_SELF), ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
