# hostile: returns a 160 MB array (over the reply limit) and a list nested 100 000 deep
# expect: softmax = 0
# expect: cross_entropy = 0
# message: returned a value that cannot be sent back to the grader
# include: base


def softmax_backward(da, cache):
    return np.ones(20_000_000)


def softmax_cross_entropy(z, y):
    nested = []
    for _ in range(100_000):
        nested = [nested]
    return 0.0, nested
