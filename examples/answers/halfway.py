"""No mistake: the student stopped halfway, writing only dropout_backward and softmax_backward (both correct)."""


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout."""
    if cache["train"]:
        mask = cache["keep"] / (1 - cache["p"])
        return dout * mask
    return dout


def softmax_backward(da, cache):
    """Backward pass of softmax: the vector-Jacobian product, row by row."""
    a = cache["a"]
    dot = (da * a).sum(axis=1)[:, None]
    return a * (da - dot)
