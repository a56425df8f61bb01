# hostile: memory bombs: a 800 GB array, and a list grown 100 MB at a time until it fails (MemoryError at 2 GB, or the time limit first)
# expect: softmax = 0
# expect: batchnorm = 0
# message: Unable to allocate
# include: base

import resource


def softmax_backward(da, cache):
    return np.ones(10**11)


def batchnorm_backward(dout, cache):
    try:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        pass
    hoard = []
    while len(hoard) < 400:  # 40 GB at most, in case the memory limit does not hold
        hoard.append(bytearray(100 * 1024 * 1024))
    raise RuntimeError(f"allocated {len(hoard) / 10:.1f} GB")
