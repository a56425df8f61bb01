# hostile: bn_net_backward hands the stand-in the right intermediate as float32, which is not the reference chain's call: the student's own (wrong) batchnorm_backward answers
# expect: batchnorm <= 24
# expect: net <= 29
# include: base


def batchnorm_backward(dout, cache):
    inv_std = 1 / np.sqrt(cache["var"] + cache["eps"])
    return dout * cache["gamma"] * inv_std, (dout * cache["x_hat"]).sum(axis=0), dout.sum(axis=0)


def bn_net_backward(dscores, cache):
    grads = {}
    dzbn, grads["W2"], grads["b2"] = affine_backward(dscores, cache["affine2"])
    drelu = dropout_backward(dzbn, cache["dropout"])
    dxbn = relu_backward(drelu, cache["relu"])
    dy1, grads["gamma"], grads["beta"] = batchnorm_backward(dxbn.astype(np.float32), cache["bn"])
    grads["X"], grads["W1"], grads["b1"] = affine_backward(np.asarray(dy1, dtype=float), cache["affine1"])
    return grads
