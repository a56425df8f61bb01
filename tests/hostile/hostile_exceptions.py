# hostile: exceptions whose __str__ raises, whose message is 20 MB, whose __str__ never returns, and KeyboardInterrupt
# expect: dropout = 0
# expect: softmax = 0
# expect: cross_entropy = 0
# expect: batchnorm = 0
# message: KeyboardInterrupt
# message: EvilStr
# message: HugeMessage
# message: batchnorm_backward did not finish within the time limit
# bug: B6
# include: base


class EvilStr(Exception):
    def __str__(self):
        raise EvilStr()

    __repr__ = __str__


class HugeMessage(Exception):
    pass


class NeverEnding(Exception):
    def __str__(self):
        while True:
            pass


def dropout_backward(dout, cache):
    raise KeyboardInterrupt


def softmax_backward(da, cache):
    raise EvilStr()


def softmax_cross_entropy(z, y):
    raise HugeMessage("x" * 20_000_000)


def batchnorm_backward(dout, cache):
    raise NeverEnding()
