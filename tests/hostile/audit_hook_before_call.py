# hostile: a definition cell adds an audit hook (sys.addaudithook); the harness's thread count lists /proc/self/task (an audited os.listdir) as each graded call starts, before the profiling hook is on, and the audit hook reads the call's arguments from the harness's frame there and takes their centred differences with the given softmax; softmax_backward returns them
# expect: softmax = 0
# include: base
# include: centred_softmax
import sys

_FOUND = {}


def _audit(event, details):
    if event != "os.listdir" or _FOUND.get("busy"):
        return
    _FOUND["busy"] = True
    try:
        frame = sys._getframe(1)
        while frame is not None:
            local = frame.f_locals
            if local.get("function") == "softmax_backward" and isinstance(local.get("args"), list):
                da, cache = local["args"]
                _FOUND[da.tobytes()] = _centred(da, cache)
                break
            frame = frame.f_back
    finally:
        _FOUND["busy"] = False


sys.addaudithook(_audit)


def softmax_backward(da, cache):
    return _FOUND.pop(da.tobytes())
