# hostile: dropout_backward opens the reference (solutions/layers.py) and the hidden tests (assignments/backprop/questions.py) by absolute and relative paths, and would use them
# expect: dropout = 0
# message: LookupError: no reference file could be opened
# include: base

import os


def dropout_backward(dout, cache):
    tried = ["@REPO@/solutions/layers.py", "solutions/layers.py", "../solutions/layers.py",
             "../../solutions/layers.py", "/work/main/solutions/layers.py", os.path.expanduser("~/solutions/layers.py")]
    for path in ["@REPO@/assignments/backprop/questions.py", "assignments/backprop/questions.py",
                 "../assignments/backprop/questions.py"]:
        try:
            open(path).read()
        except OSError:
            continue
        raise RuntimeError("read the hidden tests")
    for path in tried:
        try:
            source = open(path).read()
        except OSError:
            continue
        namespace = {}
        exec(source, namespace)
        return namespace["dropout_backward"](dout, cache)
    raise LookupError("no reference file could be opened")
