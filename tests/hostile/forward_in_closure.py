# hostile: softmax_cross_entropy differentiates softmax_forward reached through a closure made at load time
# expect: cross_entropy = 0
# message: uses numerical differentiation instead of a backward pass
# include: base


def _make_probabilities():
    forward = softmax_forward
    return lambda z: forward(z)[0]


_probabilities = _make_probabilities()


def softmax_cross_entropy(z, y):
    N = z.shape[0]
    loss = lambda w: -np.mean(np.log(_probabilities(w)[np.arange(N), y]))
    work = z.astype(float).copy()
    dz = np.zeros_like(work)
    for index in np.ndindex(work.shape):
        saved = work[index]
        work[index] = saved + 1e-5
        plus = loss(work)
        work[index] = saved - 1e-5
        minus = loss(work)
        work[index] = saved
        dz[index] = (plus - minus) / 2e-5
    return loss(z), dz
