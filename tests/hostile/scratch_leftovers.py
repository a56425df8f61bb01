# hostile: plants files in /tmp that the scratch wipe cannot remove (inside a directory made read-only); dropout_backward ends its worker, so the next question runs in a fresh one, which must not see them
# expect: dropout = 0
# status: dropout = crashed
# bug: B10
# include: base
# %%
import os

# Run in every fresh worker before the planting cell: is anything left from an earlier one?
_left_over = sorted(entry for entry in os.listdir("/tmp") if entry != os.path.basename(os.getcwd()))
# %%
os.makedirs("/tmp/.stash/inner", exist_ok=True)
if not os.path.exists("/tmp/.stash/inner/note"):
    with open("/tmp/.stash/inner/note", "w") as _handle:
        _handle.write("left by an earlier worker")
    os.chmod("/tmp/.stash/inner", 0o500)
    os.chmod("/tmp/.stash", 0o500)
# %%
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    os._exit(1)  # end this worker: the next question gets a fresh one


def softmax_backward(da, cache):
    if _left_over:
        raise RuntimeError(f"files of an earlier worker survived the scratch wipe: {_left_over}")
    return _reference_softmax_backward(da, cache)
