# hostile: the centred differences run in a thread of their own, where the profiling hook that counts forward calls is not installed (the thread cannot start at the bubblewrap and container levels: RLIMIT_NPROC)
# expect: softmax = 0
# include: base
import threading

_H = 1e-5


def softmax_backward(da, cache):
    z = np.log(cache["a"])
    box = {}

    def work():
        grad = np.zeros_like(z)
        for index in np.ndindex(z.shape):
            saved = z[index]
            z[index] = saved + _H
            plus = np.sum(softmax(z) * da)
            z[index] = saved - _H
            minus = np.sum(softmax(z) * da)
            z[index] = saved
            grad[index] = (plus - minus) / (2 * _H)
        box["grad"] = grad

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    return box["grad"]
