# hostile: softmax_cross_entropy's gradient by centred differences of the given softmax, every perturbed row in ONE batched call
# expect: cross_entropy = 0
# message: uses numerical differentiation instead of a backward pass
# include: base

def softmax_cross_entropy(z, y):
    N, C = z.shape
    a = softmax(z)
    loss = -np.mean(np.log(a[np.arange(N), y]))
    h = 1e-5
    rows = []
    for n in range(N):
        for j in range(C):
            for sign in (1, -1):
                row = z[n].copy()
                row[j] += sign * h
                rows.append(row)
    out = softmax(np.array(rows)).reshape(N, C, 2, C)
    picked = np.log(out[np.arange(N), :, :, y])  # (N, C, 2)
    dz = -(picked[:, :, 0] - picked[:, :, 1]) / (2 * h) / N
    return loss, dz
