# hostile: softmax_backward installs a trace function (sys.settrace) that takes the centred differences of the given softmax: code run by a trace function is out of the profiling hook's sight (the interpreter suspends both while a trace function runs); it removes the trace function before returning
# expect: softmax = 0
# include: base
# include: centred_softmax
import sys


def _nothing():
    return None


def softmax_backward(da, cache):
    found = []

    def tracer(frame, event, arg):
        if not found:
            found.append(_centred(da, cache))
        return None

    sys.settrace(tracer)
    _nothing()
    sys.settrace(None)
    return found[0]
