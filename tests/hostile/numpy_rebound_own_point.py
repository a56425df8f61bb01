# hostile: rebinds numpy.array_equal and numpy.all (which run in its own process) before two centred differences along the upstream gradient, to fool the check that a forward pass runs at the case's own numbers
# expect: softmax = 0
# message: uses numerical differentiation instead of a backward pass
# include: base


def softmax_backward(da, cache):
    np.array_equal = lambda *a, **k: True
    np.all = lambda *a, **k: True
    z = np.log(cache["a"])
    h = 1e-4
    return (softmax(z + h * da) - softmax(z - h * da)) / (2 * h)
