# hostile: softmax and batch-norm backward passes as two-call centred differences along the upstream gradient (both Jacobians are symmetric): within the three calls allowed
# expect: softmax = 0
# expect: batchnorm = 0
# message: uses numerical differentiation instead of a backward pass
# include: base

def softmax_backward(da, cache):
    z = np.log(cache["a"])
    h = 1e-4
    return (softmax(z + h * da) - softmax(z - h * da)) / (2 * h)


def batchnorm_backward(dout, cache):
    x, gamma = cache["x"], cache["gamma"]
    beta = np.zeros_like(gamma)
    h = 1e-4 * np.linalg.norm(x) / np.linalg.norm(dout)
    plus, _ = batchnorm_forward(x + h * dout, gamma, beta, {"mode": "train", "eps": cache["eps"]})
    minus, _ = batchnorm_forward(x - h * dout, gamma, beta, {"mode": "train", "eps": cache["eps"]})
    return (plus - minus) / (2 * h), (dout * cache["x_hat"]).sum(axis=0), dout.sum(axis=0)
