# hostile: a definition cell installs a trace function (sys.settrace) that stays on after the cells ran; at the first event of each graded call it takes the centred differences of the given softmax at the call's own arguments (read from the frame), out of the profiling hook's sight, and softmax_backward returns them
# expect: softmax = 0
# include: base
# include: centred_softmax
import sys

_FOUND = {}


def _tracer(frame, event, arg):
    if event == "call" and frame.f_code is softmax_backward.__code__:
        da, cache = frame.f_locals["da"], frame.f_locals["cache"]
        _FOUND[da.tobytes()] = _centred(da, cache)
    return None


def softmax_backward(da, cache):
    return _FOUND.pop(da.tobytes())


sys.settrace(_tracer)
