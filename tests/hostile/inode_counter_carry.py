# hostile: on hidden inputs, makes and removes files until the scratch tmpfs's next inode number lands on chosen bits (the tmpfs numbers each new inode one more than the last, and the wipe cannot reset it), then raises; the fresh worker that reruns the call on public inputs makes a file, reads its inode number and raises with the bits, a message the feedback shows
# The marker only exists where the inode numbers carried: a 4-bit marker and 4 bits of the hidden da.
# expect: softmax = 0
# message: raised an exception
# absent: CARRIED-
# include: base
# include: self_check
# include: hidden_phase
import os

_BUCKET, _MAGIC = 16, 0b1011  # inode numbers in buckets of 16 (room for what is made in between)


def _next_inode():
    with open("probe", "w") as made:
        number = os.fstat(made.fileno()).st_ino
    os.unlink("probe")
    return number


def softmax_backward(da, cache):
    if _graded:  # hidden inputs, in the worker that graded dropout_backward
        code = _MAGIC << 4 | (int(da.view(np.int64).flat[0]) >> 48 & 0xF)
        period = _BUCKET * 256
        target = code * _BUCKET + _BUCKET // 4
        for _ in range(2 * period):  # a file system that reuses numbers (the rlimits level's) never gets there
            if _next_inode() % period == target:
                break
        raise ValueError("hidden inputs: nothing to see")
    code = _next_inode() // _BUCKET % 256
    if code >> 4 == _MAGIC:
        raise ValueError(f"public inputs: CARRIED-INODES {code & 0xF}")
    raise ValueError(f"public inputs: no carry (code {code})")
