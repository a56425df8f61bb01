# hostile: none: a known mistake, as a control (softmax keeps only the Jacobian's diagonal)
# expect: softmax = 0
# status: softmax = failed
# message: keeps only the diagonal of the Jacobian
# include: base


def softmax_backward(da, cache):
    a = cache["a"]
    return da * a * (1 - a)
