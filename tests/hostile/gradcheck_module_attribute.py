# hostile: softmax_backward and dropout_backward differentiate numerically through the gradcheck module's attributes (import gradcheck; gradcheck.numerical_vjp)
# expect: softmax = 0
# expect: dropout = 0
# message: uses numerical differentiation instead of a backward pass
# include: base

import gradcheck


def softmax_backward(da, cache):
    z = np.log(cache["a"])
    return gradcheck.numerical_vjp(lambda: softmax(z), z, da)


def dropout_backward(dout, cache):
    x = np.zeros(dout.shape)
    scale = cache["keep"] / (1 - cache["p"]) if cache["train"] else 1.0
    return getattr(gradcheck, "numerical_" + "vjp")(lambda: x * scale, x, dout)
