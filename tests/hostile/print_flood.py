# hostile: prints 100 MB at import time and 100 MB in every dropout_backward call (stdout, stderr, fd 1 and fd 2)
# absent: FLOOD-MARKER
# message: full marks
# include: base

import os
import sys

_chunk = "FLOOD-MARKER " * 80_000  # about 1 MB
for _ in range(100):
    print(_chunk)
os.write(1, _chunk.encode())
os.write(2, _chunk.encode())

_reference_dropout_backward = dropout_backward


def dropout_backward(dout, cache):
    for _ in range(50):
        print(_chunk)
        sys.stderr.write(_chunk)
    sys.__stdout__.write(_chunk)
    os.write(1, _chunk.encode())
    return _reference_dropout_backward(dout, cache)
