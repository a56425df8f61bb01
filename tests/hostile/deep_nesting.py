# hostile: returns a list nested 100,000 deep, and forges a frame whose JSON is nested 100,000 deep: neither may raise inside the grader
# expect: dropout = 0
# expect: softmax = 0
# absent: the grader failed
# include: base
# include: channel


def dropout_backward(dout, cache):
    value = []
    for _ in range(100_000):
        value = [value]
    return value


def softmax_backward(da, cache):
    header = b"[" * 100_000 + b"]" * 100_000
    os.write(_channel(), wire._SIZES.pack(len(header), 0) + header)
    raise RuntimeError("the forged frame was not refused")
