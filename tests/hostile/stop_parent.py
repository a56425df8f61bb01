# hostile: sends SIGSTOP to its parent (the slot's fork server, or the sandbox's init) and returns the right answer: the grader must not be stalled by it
# message: full marks
# max-seconds: 10
# bug: B11
# include: base

import os
import signal

_reference_softmax_backward = softmax_backward


def softmax_backward(da, cache):
    try:
        os.kill(os.getppid(), signal.SIGSTOP)
    except PermissionError:
        pass
    return _reference_softmax_backward(da, cache)
