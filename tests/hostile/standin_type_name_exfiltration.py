# hostile: the illustration: batchnorm_backward and dropout_backward return objects whose class names carry the hidden inputs
# (The marker is only made on hidden inputs: outside the public self-checks, which may show what they like.)
# expect: dropout = 0
# expect: batchnorm = 0
# absent: EXFILTRATED
# include: base
# include: self_check


def _carrier(values):
    prefix = "PUBLIC" if _in_self_check() else "EXFILTRATED"
    return type(prefix + "_" + "_".join(f"{v:.6f}".replace(".", "p").replace("-", "m") for v in values.ravel()[:40]), (), {})()


def batchnorm_backward(dout, cache):
    return _carrier(cache["x"]), _carrier(dout), _carrier(dout)


def dropout_backward(dout, cache):
    return _carrier(dout)
