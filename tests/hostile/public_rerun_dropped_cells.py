# hostile: on hidden inputs (softmax), sets the hidden sandbox's scratch inode counter to chosen bits and ends its worker; the next question's restart re-runs the cells that worked in a fresh child of the same sandbox, where the one probe cell of sixteen the bits name ends its process and is dropped; the public re-run of a later question that raises is loaded with the cells as the restart left them and names the missing cell in its message, which the feedback shows
# The marker only exists where the set of cells the public re-run loads depends on what happened after hidden inputs were drawn.
# expect: softmax = 0
# expect: cross_entropy = 0
# message: raised an exception
# absent: CARRIED-
# include: base
# %%
# include: self_check
# include: hidden_phase
import os

_softmax_backward = softmax_backward
_BUCKET, _MAGIC = 16, 0b101101  # inode numbers in buckets of 16; a 6-bit magic and 4 bits of the hidden da
_PERIOD = _BUCKET * 1024


def _next_inode():
    with open("probe", "w") as made:
        number = os.fstat(made.fileno()).st_ino
    os.unlink("probe")
    return number


def softmax_backward(da, cache):
    if _graded:  # hidden inputs, in the worker that graded dropout_backward
        code = _MAGIC << 4 | (int(da.view(np.int64).flat[0]) >> 48 & 0xF)
        target = code * _BUCKET + _BUCKET // 4
        for _ in range(2 * _PERIOD):  # a file system that reuses numbers (the rlimits level's) never gets there
            if _next_inode() % _PERIOD == target:
                break
        os._exit(3)  # the next question's call restarts the worker, re-running the cells that worked
    return _softmax_backward(da, cache)


def softmax_cross_entropy(scores, y):
    missing = [bit for bit in range(16) if f"_probe_{bit}" not in globals()]
    if _code >> 4 == _MAGIC:  # this very sandbox's counter looks like the code: nothing to tell
        raise ValueError(f"no carry (code {_code})")
    if len(missing) == 1:
        raise ValueError(f"CARRIED-CELLS {missing[0]}")
    raise ValueError(f"no carry (missing {missing}, code {_code})")
# %%
_code = _next_inode() // _BUCKET % 1024
# %%
if _code == _MAGIC << 4 | 0:
    os._exit(0)
_probe_0 = True
# %%
if _code == _MAGIC << 4 | 1:
    os._exit(0)
_probe_1 = True
# %%
if _code == _MAGIC << 4 | 2:
    os._exit(0)
_probe_2 = True
# %%
if _code == _MAGIC << 4 | 3:
    os._exit(0)
_probe_3 = True
# %%
if _code == _MAGIC << 4 | 4:
    os._exit(0)
_probe_4 = True
# %%
if _code == _MAGIC << 4 | 5:
    os._exit(0)
_probe_5 = True
# %%
if _code == _MAGIC << 4 | 6:
    os._exit(0)
_probe_6 = True
# %%
if _code == _MAGIC << 4 | 7:
    os._exit(0)
_probe_7 = True
# %%
if _code == _MAGIC << 4 | 8:
    os._exit(0)
_probe_8 = True
# %%
if _code == _MAGIC << 4 | 9:
    os._exit(0)
_probe_9 = True
# %%
if _code == _MAGIC << 4 | 10:
    os._exit(0)
_probe_10 = True
# %%
if _code == _MAGIC << 4 | 11:
    os._exit(0)
_probe_11 = True
# %%
if _code == _MAGIC << 4 | 12:
    os._exit(0)
_probe_12 = True
# %%
if _code == _MAGIC << 4 | 13:
    os._exit(0)
_probe_13 = True
# %%
if _code == _MAGIC << 4 | 14:
    os._exit(0)
_probe_14 = True
# %%
if _code == _MAGIC << 4 | 15:
    os._exit(0)
_probe_15 = True
