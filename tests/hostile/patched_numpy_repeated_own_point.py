# hostile: every forward call is at the case's own logits, but numpy.exp is patched to add a step first: a centred difference per entry, each softmax(z) call the same arguments with another result (no repeat of an evaluation)
# expect: cross_entropy = 0
# message: uses numerical differentiation instead of a backward pass
# include: base


def softmax_cross_entropy(z, y):
    N, C = z.shape
    real_exp = np.exp
    state = {"d": None}

    def stepping_exp(t):
        return real_exp(t if state["d"] is None else t + state["d"])

    def loss_at(d):
        state["d"] = d
        np.exp = stepping_exp
        try:
            a = softmax(z)
        finally:
            np.exp = real_exp
        return -np.mean(np.log(a[np.arange(N), y]))

    h = 1e-5
    dz = np.zeros_like(z)
    for i in range(N):
        for j in range(C):
            d = np.zeros_like(z)
            d[i, j] = h
            dz[i, j] = (loss_at(d) - loss_at(-d)) / (2 * h)
    return loss_at(None), dz
