# hostile: softmax_backward kills itself with a real-time signal (40), which Python's signal.Signals does not name (a regression test for B1)
# expect: softmax = 0
# status: softmax = crashed
# message: the process died from
# include: base


def softmax_backward(da, cache):
    import os

    os.kill(os.getpid(), 40)
