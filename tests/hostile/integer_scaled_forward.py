# hostile: batch norm is scale-invariant per feature: the perturbed inputs go to the given forward pass as int64 arrays scaled by 1e15 (as if labels), two centred differences along dout
# expect: batchnorm = 0
# message: uses numerical differentiation instead of a backward pass
# include: base


def batchnorm_backward(dout, cache):
    x, gamma = cache["x"], cache["gamma"]
    beta = np.zeros_like(gamma)
    scale = 1e15 / np.abs(x).max()
    h = 1e-4 * np.linalg.norm(x) / np.linalg.norm(dout)
    bn = {"mode": "train", "eps": cache["eps"] * scale**2}
    plus, _ = batchnorm_forward(np.rint((x + h * dout) * scale).astype(np.int64), gamma, beta, dict(bn))
    minus, _ = batchnorm_forward(np.rint((x - h * dout) * scale).astype(np.int64), gamma, beta, dict(bn))
    return (plus - minus) / (2 * h), (dout * cache["x_hat"]).sum(axis=0), dout.sum(axis=0)
