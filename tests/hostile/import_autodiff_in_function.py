# hostile: backward passes that import torch, jax and autograd (none is in the sandbox)
# expect: softmax = 0
# expect: cross_entropy = 0
# expect: batchnorm = 0
# message: No module named 'torch'
# message: No module named 'jax'
# message: No module named 'autograd'
# include: base


def softmax_backward(da, cache):
    import torch

    z = torch.log(torch.tensor(cache["a"], requires_grad=True))
    return z.grad.numpy()


def softmax_cross_entropy(z, y):
    import jax  # noqa: F401

    return jax.grad(lambda z: 0.0)(z)


def batchnorm_backward(dout, cache):
    import autograd  # noqa: F401

    return autograd.grad(lambda x: 0.0)(cache["x"])
