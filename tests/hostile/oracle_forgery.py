# hostile: batchnorm_backward forges the worker's oracle request, asking the grader for the reference batchnorm_backward
# expect: batchnorm = 0
# message: a question for a stand-in that is not standing in now
# include: base

import fcntl
import os
import stat


def _channel():
    """(write fd, read fd) of the worker's channel to the grader: two pipes, or one socket."""
    writers, readers = [], []
    for fd in range(3, 64):
        try:
            mode, flags = os.fstat(fd).st_mode, fcntl.fcntl(fd, fcntl.F_GETFL)
        except OSError:
            continue
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            continue
        access = flags & os.O_ACCMODE
        if access in (os.O_WRONLY, os.O_RDWR):
            writers.append(fd)
        if access in (os.O_RDONLY, os.O_RDWR):
            readers.append(fd)
    if not writers or not readers:
        raise RuntimeError(f"no channel found (writers {writers}, readers {readers})")
    return writers[0], readers[0]


def _ask_grader(function, args):
    import wire  # the worker's own copy of the message format

    reply_fd, request_fd = _channel()
    os.set_blocking(request_fd, True)
    os.write(reply_fd, wire.encode({"op": "oracle", "function": function, "args": list(args)}))

    def read_exactly(size):
        data = b""
        while len(data) < size:
            chunk = os.read(request_fd, size - len(data))
            if not chunk:
                raise EOFError("the grader closed the channel")
            data += chunk
        return data

    answer = wire.read_frame(read_exactly)
    if answer.get("error"):
        raise LookupError(f"the grader answered: {answer['error']}")
    return answer["value"]


def batchnorm_backward(dout, cache):
    return _ask_grader("batchnorm_backward", (dout, cache))
