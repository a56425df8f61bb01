"""The "container" isolation level: for a grader that runs as root where
namespaces cannot be made (Gradescope's Docker container, issue 14).

The fork server runs as an unprivileged user of its own (the sandbox's uid,
as at the bubblewrap level) with no supplementary groups, no_new_privs, the
same seccomp filter, the same resource limits, a scrubbed environment and an
empty private working folder. What it must not read is made unreadable to
that user by permissions, and checked by trying, as that user, before any
submission runs:

- protect(paths) takes "other" permissions off each path (the grader's own
  installation, the submissions, the output folder, the salt file);
- exposed(uid, paths) lists those the user can still reach; the grader
  refuses to run unless none.

The worker needs a Python, numpy and its own files. They are staged into a
folder of the sandbox's own, made of hard links (copies across file
systems): the worker's files, numpy alone (never the site-packages it is
installed in), and the Python installation without its site-packages where
the user cannot run it in place (a Python under /root).
"""

import ctypes
import errno
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

from autograder import capabilities, landlock, seccomp_policy

PR_SET_NO_NEW_PRIVS = 38
STAGE_ROOT = Path(tempfile.gettempdir()) / "backprop-lab-container"


class NotProtected(RuntimeError):
    """The sandbox's user could read what it must not: the grader refuses to run."""


def protect(paths):
    """Take read, write and search permission for "other" off each existing path."""
    for path in paths:
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISLNK(mode):
            os.chmod(path, stat.S_IMODE(mode) & ~0o007)


def exposed(uid, paths):
    """Those of `paths` the user `uid` can list or read, found by trying as that user (in a child
    process, so that the ownership, permissions, ACLs and mounts all count as they will)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child)
        try:
            os.close(read_end)
            become(uid)
            found = [str(path) for path in paths if _readable(path)]
            os.write(write_end, "\n".join(found).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        data = reader.read()
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise NotProtected(f"the access check could not run as uid {uid} (wait status {status})")
    return data.decode().split("\n") if data else []


def _readable(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            os.close(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK))
        return True
    except OSError:
        return False


def _git_folders(folder):
    """The git folders holding `folder`'s history, if it is in a repository (the reference is in them)."""
    found = []
    for parent in (folder, *folder.parents):
        dot_git = parent / ".git"
        if dot_git.is_dir():
            found.append(dot_git)
        elif dot_git.is_file():
            pointer = dot_git.read_text().strip()
            if pointer.startswith("gitdir:"):
                gitdir = (parent / pointer[len("gitdir:"):].strip()).resolve()
                found.append(gitdir)
                common = gitdir / "commondir"  # a worktree's: the objects are in the main repository
                if common.is_file():
                    found.append((gitdir / common.read_text().strip()).resolve())
        if found:
            return found
    return found


def secure_grading(uid, out_dir, submissions, salt, content=()):
    """Before any submission runs at the container level: make the grader's
    own files, the assignment's `content` (its specs and reference among
    them), the submissions and the output folder unreadable to other users,
    then check, as `uid`, that they are, with the repository's history and
    the salt; NotProtected says what is not."""
    package = Path(__file__).resolve().parent
    source = package.parent if (package.parent / "pyproject.toml").exists() else None
    folders = {Path(path).resolve().parent for path in [*submissions, *content]}
    owned = [p for p in (package, source, out_dir and Path(out_dir).resolve(), *folders) if p]
    protect(owned)
    checked = [*owned, *(Path(path).resolve() for path in content), *_git_folders(package)]
    checked += [Path(path).resolve() for path in submissions]
    readable = exposed(uid, checked)
    if readable:
        raise NotProtected("at the container level the sandbox's user could read " + ", ".join(readable)
                           + ": make them unreadable to other users (chmod o=), or for trusted code only "
                           "choose BACKPROP_SANDBOX=rlimits")
    with open("/proc/self/cmdline", "rb") as command_line:
        arguments = command_line.read().split(b"\0")
    if salt and any(salt.encode() in (argument, argument.partition(b"=")[2]) for argument in arguments):
        raise NotProtected("the salt is on the command line, which every user can read in /proc: "
                           "give it in $BACKPROP_SALT instead")


def become(uid):
    """In a child about to exec: the unprivileged user `uid`, with no groups, no capability in its bounding set
    and no way to gain privileges."""
    capabilities.drop_bounding_set()  # while root: dropping one needs CAP_SETPCAP
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")


def confine(uid, files):
    """become(uid), then Landlock's `files` (landlock.py), then the seccomp filter: what the fork
    server's process does before exec."""
    become(uid)
    landlock.restrict(files)
    seccomp_policy.load()


def open_to_others(path):
    """Whether any user can reach `path` (search permission on every folder above it, read on it)."""
    path = Path(path)
    for folder in path.parents:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return False
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def library_path(python):
    """LD_LIBRARY_PATH for a staged Python whose libpython sits beside it (its RPATH points at the original)."""
    lib = Path(python).parent.parent / "lib"
    return {"LD_LIBRARY_PATH": str(lib)} if str(lib).startswith(str(STAGE_ROOT)) else {}


def _secure_folder(path, mode=0o755):
    """Make `path` a fresh root-owned folder (nothing an earlier run or another user left there)."""
    if os.path.lexists(path):
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
        else:
            shutil.rmtree(path)
    os.mkdir(path, mode)
    os.chmod(path, mode)


def _link_tree(source, target, skip=()):
    """A copy of the tree `source` at `target`, files as hard links where the file system allows."""
    def link_or_copy(src, dst):
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            shutil.copy2(src, dst, follow_symlinks=False)

    skipped = {str(Path(path)) for path in skip}
    shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy,
                    ignore=lambda folder, names: [n for n in names if os.path.join(folder, n) in skipped])


def stage(uid, prefix, binary, numpy_site, worker_files, package_folders):
    """The folder the fork server of `uid` runs from, and (python, site folders):
    the Python (staged if the user cannot reach it), the worker's files, numpy."""
    STAGE_ROOT.mkdir(mode=0o755, exist_ok=True)
    info = os.lstat(STAGE_ROOT)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise NotProtected(f"{STAGE_ROOT} is not a folder only root can write")
    root = STAGE_ROOT / str(uid)
    _secure_folder(root)
    python = binary
    if not open_to_others(binary):
        _link_tree(prefix, root / "python", skip=[*package_folders, prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "test"])
        python = root / "python" / binary.relative_to(prefix)
    site = root / "site"
    site.mkdir(mode=0o755)
    for path in worker_files:
        shutil.copy(path, site)
        os.chmod(site / Path(path).name, 0o644)
    # numpy alone, never the folder it is installed in (the grader may be installed there too).
    numpy_folder = root / "numpy-site"
    numpy_folder.mkdir(mode=0o755)
    for name in ("numpy", "numpy.libs"):
        if (numpy_site / name).exists():
            _link_tree(numpy_site / name, numpy_folder / name)
    return root, python, [str(site), str(numpy_folder)]


# The folders any user may write in, on a usual Debian or Ubuntu image: what
# the sandbox's user leaves there is removed after each child.
SHARED_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


# How deep the folders inside SHARED_FOLDERS are looked into for world-writable ones.
SHARED_DEPTH = 4


def shared_folders(uid):
    """SHARED_FOLDERS and every folder inside them that `uid` may write in
    without owning it (it has no groups): a world-writable folder reached
    through folders anyone may search (/tmp/.X11-unix, another program's 1777
    folder in /tmp), which a cleanup of the top-level entries alone never
    reaches. Found once per sandbox; links are never followed."""
    found = []

    def visit(path, level):
        try:
            entries = list(os.scandir(path))
        except OSError:
            return
        for entry in entries:
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(status.st_mode) and status.st_uid != uid and status.st_mode & stat.S_IXOTH:
                if status.st_mode & stat.S_IWOTH:
                    found.append(entry.path)
                if level < SHARED_DEPTH:
                    visit(entry.path, level + 1)

    for top in SHARED_FOLDERS:
        if os.path.isdir(top):
            found.append(top)
            visit(top, 1)
    return found


def remove_left_by(uid, folders=SHARED_FOLDERS):
    """Remove what `uid` made in `folders` (shared_folders: the grader, as root, after each child)."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    for inner, folders, _ in os.walk(entry.path):
                        for name in folders:  # folders it made read-only; never through a link
                            if not os.path.islink(os.path.join(inner, name)):
                                os.chmod(os.path.join(inner, name), 0o700)
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue


def private_scratch(root, uid, mount, unmount):
    """An empty folder only `uid` may use, for its files: a tmpfs of the sandbox's limits where
    `mount(path, options)` can make one, else a plain folder. Made anew at every start of the
    fork server, so nothing of an earlier one (killed by its child) is left."""
    scratch = root.parent / f"{root.name}-scratch"  # beside the stage: a mount there never blocks remaking it
    if unmount(scratch):
        _secure_folder(scratch, 0o700)
    else:  # a mount this process may not remove (an earlier grader's, outside a container): empty it
        for entry in os.scandir(scratch):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
    if not mount(scratch, f"uid={uid},gid={uid},mode=0700"):
        os.chown(scratch, uid, uid)
        os.chmod(scratch, 0o700)
    return scratch
