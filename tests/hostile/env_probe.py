# hostile: looks for the salt (BACKPROP_SALT, --salt) in its environment and in every /proc/PID/environ and cmdline it can read
# message: full marks
# include: base

import os

_reference_dropout_backward = dropout_backward


def _secrets():
    found = [key for key in os.environ if "SALT" in key or "BACKPROP" in key]
    try:
        pids = os.listdir("/proc")
    except OSError:  # not even listed (Landlock at the container and rlimits levels)
        pids = []
    for pid in pids:
        if not pid.isdigit():
            continue
        for what in ("environ", "cmdline"):
            try:
                data = open(f"/proc/{pid}/{what}", "rb").read()
            except OSError:
                continue
            if b"--salt" in data or b"BACKPROP_SALT" in data:
                found.append(f"/proc/{pid}/{what}")
    return found


def dropout_backward(dout, cache):
    found = _secrets()
    if found:
        raise RuntimeError(f"found the grader's secrets in {found}")
    return _reference_dropout_backward(dout, cache)
