# hostile: on hidden inputs, writes their bits into what the scratch folder's wipe leaves: user xattrs, mode bits and times of the scratch root (which the child owns at every level), then raises; the fresh worker that reruns the call on public inputs reads them back and raises with them, a message the feedback shows
# The marker only exists where a child's data outlived it: the public rerun's worker never saw hidden inputs.
# expect: softmax = 0
# message: raised an exception
# absent: CARRIED-
# include: base
# include: self_check
# include: hidden_phase
import os
import stat


def _root():
    return os.path.dirname(os.getcwd())  # the child's folder is scratch/child-PID


def softmax_backward(da, cache):
    root = _root()
    if _graded:  # hidden inputs, in the worker that graded dropout_backward
        bits = int(da.view(np.int64).flat[0]) & (2**63 - 1)
        for name, action in (("xattr", lambda: os.setxattr(root, "user.carry", str(bits).encode())),
                             ("mode", lambda: os.chmod(root, 0o700 | (bits & 0o77))),
                             ("times", lambda: os.utime(root, ns=(bits % 2**40, bits % 2**40)))):
            try:
                action()
            except OSError:
                pass
        raise ValueError("hidden inputs: nothing to see")
    found = []
    try:
        found.append("CARRIED-XATTR " + os.getxattr(root, "user.carry").decode())
    except OSError:
        pass
    try:
        mode = stat.S_IMODE(os.stat(root).st_mode)
        if mode & 0o77:
            found.append(f"CARRIED-MODE {mode:o}")
        times = os.stat(root)
        if times.st_atime_ns < 2**40 or times.st_mtime_ns < 2**40:
            found.append(f"CARRIED-TIMES {times.st_atime_ns} {times.st_mtime_ns}")
    except OSError:
        pass
    raise ValueError("public inputs: " + " ".join(found))
