# hostile: softmax_backward returns an array of zeros and a garbage-collector callback fills it in place with the centred differences of the given softmax once the profiling hook that counts forward calls is off (after the call, while the worker encodes the result); gc.set_threshold(1) makes any allocation run it
# expect: softmax = 0
# include: base
import gc
import sys

_H = 1e-5


def softmax_backward(da, cache):
    z = np.log(cache["a"])
    grad = np.zeros_like(z)
    done = []

    def fill(phase, info):
        if done or sys.getprofile() is not None:
            return
        done.append(True)
        for index in np.ndindex(z.shape):
            saved = z[index]
            z[index] = saved + _H
            plus = np.sum(softmax(z) * da)
            z[index] = saved - _H
            minus = np.sum(softmax(z) * da)
            z[index] = saved
            grad[index] = (plus - minus) / (2 * _H)

    gc.callbacks[:] = [fill]
    gc.set_threshold(1)
    return grad
