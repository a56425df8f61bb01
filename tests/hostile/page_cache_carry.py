# hostile: on hidden inputs, writes bits into the machine's page cache (POSIX_FADV_DONTNEED drops a page of a file every user may read, a read with readahead off loads one); the fresh worker that reruns the call on public inputs reads them back (a read with RWF_NOWAIT fails on a page that is not cached) and raises with them, a message the feedback shows
# The marker only exists where the bits carried: a 4-bit marker and 8 bits of the hidden da.
# expect: softmax = 0
# message: raised an exception
# absent: CARRIED-
# include: base
# include: self_check
# include: hidden_phase
import os
import sys

_MAGIC, _PAGE = 0b1011, 4096


def _file():
    """A file of the standard library every worker can read and nothing else reads: pages enough for 12 bits."""
    folder = os.path.dirname(os.__file__)
    path = os.path.join(folder, "pydoc_data", "topics.py")
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)  # no readahead: a read loads its own page only
    return fd


def _cached(fd, page):
    try:
        os.preadv(fd, [bytearray(1)], (page * 2 + 8) * _PAGE, os.RWF_NOWAIT)
        return 1
    except BlockingIOError:
        return 0


def softmax_backward(da, cache):
    if _graded:  # hidden inputs, in the worker that graded dropout_backward
        bits = _MAGIC << 8 | (int(da.view(np.int64).flat[0]) >> 44 & 0xFF)
        fd = _file()
        for page in range(12):
            offset = (page * 2 + 8) * _PAGE
            os.posix_fadvise(fd, offset, _PAGE, os.POSIX_FADV_DONTNEED)
            if bits >> page & 1:
                os.pread(fd, 1, offset)
        raise ValueError("hidden inputs: nothing to see")
    try:
        fd = _file()
        bits = sum(_cached(fd, page) << page for page in range(12))
    except OSError as error:
        raise ValueError(f"public inputs: nothing readable ({error.errno})")
    if bits >> 8 == _MAGIC:
        raise ValueError(f"public inputs: CARRIED-PAGES {bits & 0xFF}")
    raise ValueError(f"public inputs: no carry ({bits:012b})")
