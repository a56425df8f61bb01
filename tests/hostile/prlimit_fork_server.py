# hostile: the child lowers its fork server's limits with prlimit and renices it (same user): every later child, the next students', would inherit them
# The marker: a later child (the next question's fresh worker) finds its own limits lowered.
# expect: dropout = 0
# status: dropout = crashed
# include: base
# %%
import os
import resource

_low = [resource.getrlimit(r)[1] for r in (resource.RLIMIT_AS, resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE)]
_lowered = _low[0] == 300 * 1024 * 1024 or _low[1] == 4096 or _low[2] == 8 or os.getpriority(os.PRIO_PROCESS, 0) >= 19
# %%
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    parent = os.getppid()
    for kind, value in ((resource.RLIMIT_AS, 300 * 1024 * 1024), (resource.RLIMIT_FSIZE, 4096), (resource.RLIMIT_NOFILE, 8)):
        try:
            resource.prlimit(parent, kind, (value, value))
        except (OSError, ValueError):
            pass
    try:
        os.setpriority(os.PRIO_PROCESS, parent, 19)
    except OSError:
        pass
    os._exit(1)  # the next question gets a fresh child of that fork server


def softmax_backward(da, cache):
    if _lowered:
        raise RuntimeError("a fresh worker inherited limits or a nice value an earlier child set on its fork server")
    return _reference_softmax_backward(da, cache)
