# hostile: plants a file in every world-writable folder nested in the machine's shared folders (another sandbox's scratch, /tmp/.X11-unix...), which the per-child cleanup of the top-level entries does not reach, then ends its worker: the next worker must not find it
# expect: dropout = 0
# status: dropout = crashed
# include: base
# %%
import os
import stat


def _writable_folders():
    found = []
    for top in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            for path in [entry.path] + ([e.path for e in os.scandir(entry.path)] if entry.is_dir(follow_symlinks=False) and os.access(entry.path, os.R_OK | os.X_OK) else []):
                try:
                    mode = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISDIR(mode.st_mode) and mode.st_uid != os.getuid() and os.access(path, os.W_OK | os.X_OK):
                    found.append(path)
    return found


_left_over = [p for p in (f"{f}/backprop-nested-planted" for f in _writable_folders()) if os.path.lexists(p)]
# %%
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    for folder in _writable_folders():
        try:
            with open(f"{folder}/backprop-nested-planted", "w") as handle:
                handle.write("left by an earlier worker")
        except OSError:
            pass
    os._exit(1)


def softmax_backward(da, cache):
    if _left_over:
        raise RuntimeError(f"files of an earlier worker survived: {_left_over}")
    return _reference_softmax_backward(da, cache)
