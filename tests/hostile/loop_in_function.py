# hostile: an infinite loop inside softmax_backward
# expect: softmax = 0
# status: softmax = timeout
# message: softmax_backward did not finish within the time limit
# include: base


def softmax_backward(da, cache):
    while True:
        pass
