# hostile: the illustration: batchnorm_backward and dropout_backward return objects whose class names carry the hidden inputs
# (The marker is only made on hidden inputs: outside the public self-checks, which may show what they like.)
# expect: dropout = 0
# expect: batchnorm = 0
# absent: EXFILTRATED
# include: base

import sys


def _in_self_check():
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__", "").startswith("public_checks"):
            return True
        frame = frame.f_back
    return False


def _carrier(values):
    prefix = "PUBLIC" if _in_self_check() else "EXFILTRATED"
    return type(prefix + "_" + "_".join(f"{v:.6f}".replace(".", "p").replace("-", "m") for v in values.ravel()[:40]), (), {})()


def batchnorm_backward(dout, cache):
    return _carrier(cache["x"]), _carrier(dout), _carrier(dout)


def dropout_backward(dout, cache):
    return _carrier(dout)
