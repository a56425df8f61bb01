# hostile: batchnorm_backward takes centred differences through an alias of batchnorm_forward taken at load time
# expect: batchnorm = 0
# message: uses numerical differentiation instead of a backward pass
# include: base

_forward = batchnorm_forward
_H = 1e-5


def _vjp(forward, x, upstream):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        saved = x[index]
        x[index] = saved + _H
        plus = np.sum(forward() * upstream)
        x[index] = saved - _H
        minus = np.sum(forward() * upstream)
        x[index] = saved
        grad[index] = (plus - minus) / (2 * _H)
    return grad


def batchnorm_backward(dout, cache):
    x, gamma = cache["x"].copy(), cache["gamma"].copy()
    beta = np.zeros_like(gamma)
    forward = lambda: _forward(x, gamma, beta, {"mode": "train", "eps": cache["eps"]})[0]
    return _vjp(forward, x, dout), _vjp(forward, gamma, dout), _vjp(forward, beta, dout)
