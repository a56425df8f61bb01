# hostile: during a graded call, writes a frame header then dribbles its bytes one every 0.2 s, for ever: the grader's clock must still end the call
# expect: softmax = 0
# status: softmax = timeout
# max-seconds: 30
# include: base
# include: channel
import struct
import time


def softmax_backward(da, cache):
    fd = _channel()
    os.write(fd, struct.pack("<II", 200, 0))
    while True:
        os.write(fd, b" ")
        time.sleep(0.2)
