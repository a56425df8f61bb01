# hostile: audit_hook_before_call's audit hook, added through a fresh copy of the sys module (removed from sys.modules and imported again: made anew from the copy of its dict taken at start-up, with the sys.addaudithook the guard had replaced in the first copy); the harness's thread count lists /proc/self/task (an audited os.listdir) as each graded call starts, before the profiling hook is on, and the audit hook reads the call's arguments from the harness's frame there and takes their centred differences with the given softmax; softmax_backward returns them
# expect: softmax = 0
# include: base
# include: centred_softmax
import importlib
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
            # (At the call's end the harness has emptied its arguments: nothing to do there, and nothing to raise.)
            if local.get("function") == "softmax_backward" and isinstance(local.get("args"), list) and len(local["args"]) == 2:
                da, cache = local["args"]
                _FOUND[da.tobytes()] = _centred(da, cache)
                break
            frame = frame.f_back
    finally:
        _FOUND["busy"] = False


def _fresh(name):
    """A new instance of the built-in module `name`, whatever the worker did to the one in sys.modules."""
    kept = sys.modules.pop(name, None)
    try:
        return importlib.import_module(name)
    finally:
        if kept is not None:
            sys.modules[name] = kept


_fresh("sys").addaudithook(_audit)


def softmax_backward(da, cache):
    return _FOUND.pop(da.tobytes())
