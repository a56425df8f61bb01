# hostile: softmax_backward returns a structured array whose field names carry the hidden inputs
# expect: softmax = 0
# absent: FIELDLEAK
# include: base
# include: self_check


def softmax_backward(da, cache):
    prefix = "PUBLIC" if _in_self_check() else "FIELDLEAK"
    names = [f"{prefix}_{i}_" + f"{v:.8f}".replace(".", "p").replace("-", "m") for i, v in enumerate(da.ravel()[:20])]
    return np.zeros(da.shape[0], dtype=[(name, "<f8") for name in names])
