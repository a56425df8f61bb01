# hostile: pins host memory outside RLIMIT_AS and the 64 MB scratch with memfd_create: 16 MB memory files, as many as the descriptors allow
# message: full marks
# include: base
import os

_reference_dropout_backward = dropout_backward


def dropout_backward(dout, cache):
    chunk = b"\1" * (16 * 1024 * 1024 - 1)
    fds, written = [], 0
    try:
        for number in range(40):
            fd = os.memfd_create(f"pin-{number}")
            fds.append(fd)
            os.write(fd, chunk)
            written += 16
    except OSError:
        pass
    finally:
        for fd in fds:
            os.close(fd)
    if written >= 256:
        raise RuntimeError(f"pinned {written} MB in memory files")
    return _reference_dropout_backward(dout, cache)
