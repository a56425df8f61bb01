# hostile: time.sleep(3600) inside batchnorm_backward
# expect: batchnorm = 0
# status: batchnorm = timeout
# message: batchnorm_backward did not finish within the time limit
# include: base


def batchnorm_backward(dout, cache):
    import time

    time.sleep(3600)
