# hostile: bn_net_backward asks the reference stand-ins about the hidden batch-norm inputs part 4 gave it (a reference answer on demand would fill a lookup table)
# The stand-in answers only the reference chain's own call for the case: any other call runs the
# student's own function, here one that cannot compute anything but zeros.
# expect: batchnorm = 0
# include: base

_stash = []


_asking = []


def batchnorm_backward(dout, cache):
    if not _asking:
        _stash.append((dout, cache))
    return np.zeros_like(dout), np.zeros(dout.shape[1]), np.zeros(dout.shape[1])


def bn_net_backward(dscores, cache):
    _asking.append(True)
    answered = [batchnorm_backward(dout, stashed) for dout, stashed in _stash]
    if any(np.any(dx != 0) for dx, _, _ in answered):
        return None  # the stand-in gave the reference's answer for part 4's inputs: the attack worked
    grads = {}
    dzbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
    drelu = dropout_backward(dzbn, cache["dropout"])
    dxbn = relu_backward(drelu, cache["relu"])
    dy1, grads["gamma"], grads["beta"] = batchnorm_backward(dxbn, cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = affine_backward(dy1, cache["affine1"])
    return grads
