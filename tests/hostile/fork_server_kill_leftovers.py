# hostile: plants files in /tmp and /dev/shm, then kills the fork server: the restarted sandbox (the next question's worker) must not see them
# expect: dropout = 0
# status: dropout = crashed
# include: base
# %%
import os

# Run in every fresh worker before the planting cell: is anything left from an earlier one?
_left_over = sorted(entry for entry in os.listdir("/tmp") if entry != os.path.basename(os.getcwd()))
_left_over += [entry for entry in (os.listdir("/dev/shm") if os.path.isdir("/dev/shm") else [])]
# %%
for _where in ("/tmp/.planted", "/dev/shm/planted"):
    try:
        with open(_where, "w") as _handle:
            _handle.write("left by an earlier worker")
    except OSError:
        pass
# %%
import signal

_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    try:
        os.kill(os.getppid(), signal.SIGKILL)  # the fork server (refused since the child's filter forbids it)
    except PermissionError:
        pass
    os._exit(1)


def softmax_backward(da, cache):
    if _left_over:
        raise RuntimeError(f"files of an earlier sandbox survived its restart: {_left_over}")
    return _reference_softmax_backward(da, cache)
