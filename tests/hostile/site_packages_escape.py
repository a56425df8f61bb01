# hostile: adds the host Python installation's site-packages to sys.path and imports scipy from it
# expect: softmax = 0
# message: No module named 'scipy'
# bug: B4
# include: base

import sys


def softmax_backward(da, cache):
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    sys.path += [f"{sys.base_prefix}/lib/{version}/site-packages", f"/usr/lib/{version}/site-packages",
                 f"/usr/lib/python3/dist-packages", f"/usr/local/lib/{version}/site-packages"]
    import scipy.special  # only the standard library and numpy belong in the sandbox

    a = cache["a"]
    return (da - np.sum(da * a, axis=1, keepdims=True)) * a
