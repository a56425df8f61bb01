# hostile: not hostile: a correct bn_net_backward that calls the stand-ins with keyword arguments, while its own batchnorm_backward is wrong (the stand-in must still answer)
# expect: batchnorm <= 24
# include: base


def batchnorm_backward(dout, cache):
    inv_std = 1 / np.sqrt(cache["var"] + cache["eps"])
    return dout * cache["gamma"] * inv_std, (dout * cache["x_hat"]).sum(axis=0), dout.sum(axis=0)


def bn_net_backward(dscores, cache):
    grads = {}
    dzbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
    drelu = dropout_backward(dout=dzbn, cache=cache["dropout"])
    dxbn = relu_backward(drelu, cache["relu"])
    dy1, grads["gamma"], grads["beta"] = batchnorm_backward(cache=cache["bn"], dout=dxbn)
    grads["X"], grads["W1"], grads["b1"] = affine_backward(dy1, cache["affine1"])
    return grads
