# hostile: batchnorm_backward raises (the network question uses the reference batchnorm, so it is unaffected)
# expect: batchnorm = 0
# status: batchnorm = failed
# message: ValueError: hostile: failure inside batchnorm_backward
# include: base


def batchnorm_backward(dout, cache):
    raise ValueError("hostile: failure inside batchnorm_backward")
