# hostile: softmax_backward raises an exception class made on the fly, named after the hidden inputs; softmax_cross_entropy one posing as the builtin ValueError
# expect: softmax = 0
# expect: cross_entropy = 0
# message: an exception of a type of its own
# absent: EXCLEAK
# include: base
# include: self_check
# include: hidden_phase


def softmax_backward(da, cache):
    prefix = "EXCLEAK" if _graded else "PublicError"
    raise type(prefix + "_" + "_".join(f"{v:.5f}".replace(".", "p").replace("-", "m") for v in da.ravel()[:30]),
               (Exception,), {})("x")


def softmax_cross_entropy(z, y):
    kind = type("ValueError", (ValueError,), {"__module__": "builtins"})
    raise kind(("EXCLEAK " if _graded else "public ") + str(z.view(np.int64).tolist()))
