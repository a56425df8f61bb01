# hostile: returns 10**400 (an int no float holds) as a gradient, and forges a result frame holding 10**400 in the JSON itself
# expect: softmax = 0
# expect: batchnorm = 0
# absent: the grader failed
# include: base
# include: channel


def softmax_backward(da, cache):
    return 10**400


def batchnorm_backward(dout, cache):
    header = ('{"~dict": [["op", "result"], ["index", 0], ["value", ' + str(10**400) + '], ["error", null], '
              '["output", ""], ["calls", {"~dict": []}], ["seconds", 0.0]]}').encode()
    os.write(_channel(), wire._SIZES.pack(len(header), 0) + header)
    raise RuntimeError("the forged result was not taken")
