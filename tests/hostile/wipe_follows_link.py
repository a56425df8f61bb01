# hostile: leaves in its scratch folder a symbolic link to a folder outside the sandbox (the test's canary) and ends: the fork server's wipe, making every folder found writable before removing it, changed the mode of the link's target (os.walk lists a link to a folder among the folders), where the fork server's user owns it (the grader's own user, at the rlimits level; Landlock does not cover a file's mode)
# The marker: the next question's fresh worker finds the canary's mode changed (stat is not confined).
# expect: dropout = 0
# status: dropout = crashed
# include: base
# %%
import os
import stat

_CANARY = "@CANARY@"
try:
    _mode = stat.S_IMODE(os.stat(_CANARY).st_mode)
except OSError:
    _mode = None
_changed = _mode is not None and _mode == 0o700
# %%
_reference_softmax_backward = softmax_backward


def dropout_backward(dout, cache):
    if _mode is not None and _mode != 0o700:
        for name in ("link", "deeper/link"):
            try:
                os.makedirs(os.path.dirname(name) or ".", exist_ok=True)
                os.symlink(_CANARY, name)
            except OSError:
                pass
    os._exit(1)  # the worker ends: the fork server wipes the scratch before the next question's worker


def softmax_backward(da, cache):
    if _changed:
        raise RuntimeError("the fork server's wipe changed the mode of a folder outside the sandbox")
    return _reference_softmax_backward(da, cache)
