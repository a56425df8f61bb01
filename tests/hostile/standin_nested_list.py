# hostile: bn_net_backward asks the stand-in about a 2000 x 2000 nested list before doing the right thing: refused at once, no reference computed for it
# max-seconds: 20
# include: base

_reference_net = bn_net_backward


def bn_net_backward(dscores, cache):
    big = [[0.5] * 2000 for _ in range(2000)]
    try:
        batchnorm_backward(big, cache["bn"])
    except Exception:
        pass
    return _reference_net(dscores, cache)
