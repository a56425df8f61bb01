# hostile: a notebook cell that segfaults, between two cells that define functions
# message: the cell starting `import ctypes` stopped the worker (the process died from SIGSEGV (segmentation fault))
# message: full marks
# include: base
# %%
import ctypes

ctypes.string_at(0)
# %%
_defined_after_the_crash = True


def dropout_backward(dout, cache):
    assert _defined_after_the_crash
    if not cache["train"]:
        return dout.copy()
    return dout * cache["keep"] / (1 - cache["p"])
