# hostile: a gc callback run inside the profiling hook's own code (where profiling is suspended), the collector switched on again through a fresh copy of the gc module (removed from sys.modules and imported again: a built-in module of multi-phase init is made anew, with the gc.enable the guard had replaced in the first copy) and gc.set_threshold(1), so that the hook's own allocations run it (the given softmax called again and again at the case's own numbers, which counts once, makes it allocate): it takes the centred differences of the given softmax there
# expect: softmax = 0
# include: base
# include: centred_softmax
import gc
import importlib
import sys
import time


def _fresh(name):
    """A new instance of the built-in module `name`, whatever the worker did to the one in sys.modules."""
    kept = sys.modules.pop(name, None)
    try:
        return importlib.import_module(name)
    finally:
        if kept is not None:
            sys.modules[name] = kept


def softmax_backward(da, cache):
    found = []

    def fill(phase, info):
        frame, names = sys._getframe(1), []
        while frame is not None:
            names.append(frame.f_code.co_name)
            frame = frame.f_back
        if phase == "start" and not found and "hook" in names:
            found.append(None)
            found[0] = _centred(da, cache)

    gc.callbacks[:] = [fill]
    _fresh("gc").enable()
    gc.set_threshold(1)
    give_up = time.monotonic() + 2
    while not (found and found[0] is not None) and time.monotonic() < give_up:
        # The given softmax at the case's own numbers, again and again (the same evaluation: it counts once):
        # the hook allocates for each call, and so may start a collection inside its own code.
        softmax(da)
    gc.callbacks[:] = []
    return found[0] if found and found[0] is not None else np.zeros_like(da)
