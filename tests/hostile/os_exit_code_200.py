# hostile: os._exit(200) inside batchnorm_backward: an exit code above 128, which is not a signal (a regression test for B1)
# expect: batchnorm = 0
# status: batchnorm = crashed
# message: the process exited with code 200
# include: base


def batchnorm_backward(dout, cache):
    import os

    os._exit(200)
