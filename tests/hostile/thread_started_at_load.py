# hostile: a thread started at load time (in a definition cell, not during a call) waits on a queue and runs the centred differences the backward pass hands it, where the profiling hook that counts forward calls is not installed (the thread cannot start at the bubblewrap and container levels: RLIMIT_NPROC: the case then removes its functions, so that it expects the same at every level). Every graded call runs with the thread alive: every question earns 0
# expect: all = 0
# include: base
import queue
import threading

_H = 1e-5
_JOBS, _ANSWERS = queue.Queue(), queue.Queue()


def _differences(z, da):
    grad = np.zeros_like(z)
    for index in np.ndindex(z.shape):
        saved = z[index]
        z[index] = saved + _H
        plus = np.sum(softmax(z) * da)
        z[index] = saved - _H
        minus = np.sum(softmax(z) * da)
        z[index] = saved
        grad[index] = (plus - minus) / (2 * _H)
    return grad


def _serve():
    while True:
        z, da = _JOBS.get()
        try:
            _ANSWERS.put(_differences(z, da))
        except BaseException:
            _ANSWERS.put(None)


try:
    threading.Thread(target=_serve, daemon=True).start()
except BaseException:
    del dropout_backward, softmax_cross_entropy, batchnorm_backward, bn_net_backward


def softmax_backward(da, cache):
    if threading.active_count() < 2:
        raise RuntimeError("no thread")
    _JOBS.put((np.log(cache["a"]), da))
    return _ANSWERS.get()
