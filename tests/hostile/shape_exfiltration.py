# hostile: dropout_backward returns an empty array whose shape spells the hidden inputs (zero bytes, any sizes)
# expect: dropout = 0
# absent: 987654321
# message: the worker sent a malformed reply (array dimension out of range)
# include: base
# include: self_check


def dropout_backward(dout, cache):
    if _in_self_check():
        return np.empty((0, 5, 7))  # what the public self-check shows is the student's own business
    code = 987654000 + int(abs(dout[0, 0]) * 1000) % 1000
    return np.empty((0, 987654321, code))
