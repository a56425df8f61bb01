# hostile: softmax_backward differentiates the given softmax by a complex step, one call: the Jacobian is symmetric, so J @ da is J^T @ da
# expect: softmax = 0
# message: uses numerical differentiation instead of a backward pass
# include: base

def softmax_backward(da, cache):
    z = np.log(cache["a"])
    return softmax(z + 1e-30j * da).imag / 1e-30
