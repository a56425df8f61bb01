# hostile: dropout_backward returns an empty array whose shape spells the hidden inputs (zero bytes, any sizes)
# expect: dropout = 0
# absent: 987654321
# message: dx has another shape
# include: base


def dropout_backward(dout, cache):
    code = 987654000 + int(abs(dout[0, 0]) * 1000) % 1000
    return np.empty((0, 987654321, code))
