# hostile: sends a forged 40 MB "started" frame (and would send more), to make the grader buffer it in memory
# expect: softmax = 0
# status: softmax = error
# message: over the limit
# absent: the grader failed
# include: base
# include: channel


def softmax_backward(da, cache):
    padding = " " * (40 * 1024 * 1024)
    header = ('{"~dict": [["op", "started"], ["call", 0], ["pad", "' + padding + '"]]}').encode()
    frame = wire._SIZES.pack(len(header), 0) + header
    for _ in range(3):
        try:
            os.write(_channel(), frame)
        except OSError:
            break
    raise RuntimeError("the grader took the frames")
