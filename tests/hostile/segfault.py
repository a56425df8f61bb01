# hostile: a segmentation fault via ctypes inside bn_net_backward
# expect: net = 0
# status: net = crashed
# message: the process died from SIGSEGV (segmentation fault)
# include: base


def bn_net_backward(dscores, cache):
    import ctypes

    return ctypes.string_at(0)
