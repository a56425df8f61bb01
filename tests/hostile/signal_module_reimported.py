# hostile: signal_inside_hook's interval timer, its handler set through a fresh copy of the _signal module (removed from sys.modules and imported again: a built-in module of multi-phase init is made anew, with the C functions the guard had replaced in the first copy), so that the handler the worker should ignore once the cells have run is set all the same; it takes the centred differences of the given softmax inside the profiling hook's own code, where profiling is suspended
# expect: softmax = 0
# include: base
# include: centred_softmax
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


def _nothing():
    return None


def softmax_backward(da, cache):
    found = []
    _signal = _fresh("_signal")

    def handler(signum, frame):
        if not found and frame is not None and frame.f_code.co_name == "hook":
            found.append(_centred(da, cache))

    _signal.signal(_signal.SIGALRM, handler)
    _signal.setitimer(_signal.ITIMER_REAL, 0.0001, 0.0001)
    give_up = time.monotonic() + 2
    while not found and time.monotonic() < give_up:
        _nothing()
    _signal.setitimer(_signal.ITIMER_REAL, 0)
    return found[0] if found else np.zeros_like(da)
