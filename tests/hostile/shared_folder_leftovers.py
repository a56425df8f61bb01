# hostile: plants files in the machine's shared folders (/tmp, /var/tmp, /dev/shm), a read-only folder among them, then ends its worker: the next question's worker must not find them
# expect: dropout = 0
# status: dropout = crashed
# include: base
# %%
import os

_PLANTED = [f"{folder}/backprop-hostile-planted" for folder in ("/tmp", "/var/tmp", "/dev/shm")]
# Run in every fresh worker before the planting cell: is anything left from an earlier one?
_left_over = [path for path in _PLANTED if os.path.lexists(path)]
# %%
for _path in _PLANTED:
    try:
        os.makedirs(f"{_path}/inner", exist_ok=True)
        with open(f"{_path}/inner/note", "w") as _handle:
            _handle.write("left by an earlier worker")
        os.chmod(f"{_path}/inner", 0o500)
        os.chmod(_path, 0o500)
    except OSError:
        pass  # not writable here: as it should be
# %%
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    os._exit(1)  # the next question gets a fresh worker


def softmax_backward(da, cache):
    if _left_over:
        raise RuntimeError(f"files of an earlier worker survived: {_left_over}")
    return _reference_softmax_backward(da, cache)
