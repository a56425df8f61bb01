"""The capabilities a fork server's process gives up before exec, at the container and rlimits levels.

An exec by a root user gets every capability in its bounding set: a grader run
as root at the rlimits level (BACKPROP_SANDBOX=rlimits) gave its workers root's,
and a child took a real-time scheduling policy and a negative nice value
(CAP_SYS_NICE); CAP_SYS_RESOURCE would have raised its hard limits (memory,
CPU time), CAP_IPC_LOCK locked memory past them. The container level changes
to an unprivileged user, which gets none on exec, but the bounding set goes
too. (Under bubblewrap, setpriv clears it.)
"""

import ctypes

PR_CAPBSET_DROP = 24
_LAST_POSSIBLE = 63  # the kernel refuses (EINVAL) the numbers past its last capability


def drop_bounding_set():
    """Remove every capability from this process's bounding set (needs CAP_SETPCAP, which root has; without it
    there is nothing an exec could give anyway)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for capability in range(_LAST_POSSIBLE + 1):
        prctl(PR_CAPBSET_DROP, ctypes.c_ulong(capability), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
