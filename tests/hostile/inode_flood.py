# hostile: creates 200,000 empty files in /tmp (kernel memory the byte quota does not count, and a slow wipe for the next student)
# message: full marks
# max-seconds: 20
# include: base

import os

_reference_dropout_backward = dropout_backward


def dropout_backward(dout, cache):
    made = 0
    try:
        os.makedirs("/tmp/flood", exist_ok=True)
        for number in range(200_000):
            open(f"/tmp/flood/{number}", "w").close()
            made += 1
    except OSError:
        pass  # the inode limit stopped it: as it should
    if made > 10_000:
        raise RuntimeError(f"created {made} files in /tmp: no inode limit")
    return _reference_dropout_backward(dout, cache)
