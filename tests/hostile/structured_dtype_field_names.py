# hostile: softmax_backward returns a structured array whose field names carry the hidden inputs
# expect: softmax = 0
# absent: FIELDLEAK
# include: base

import sys


def _in_self_check():
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("public_checks"):
            return True
        frame = frame.f_back
    return False


def softmax_backward(da, cache):
    prefix = "PUBLIC" if _in_self_check() else "FIELDLEAK"
    names = [f"{prefix}_{i}_" + f"{v:.8f}".replace(".", "p").replace("-", "m") for i, v in enumerate(da.ravel()[:20])]
    return np.zeros(da.shape[0], dtype=[(name, "<f8") for name in names])
