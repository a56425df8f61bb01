# hostile: a fork bomb, a thread bomb and a subprocess (the sandbox allows no new process or thread)
# expect: dropout = 0
# expect: softmax = 0
# expect: cross_entropy = 0
# message: BlockingIOError
# message: can't start new thread
# include: base

import os
import time


def softmax_backward(da, cache):
    children = []
    while len(children) < 200:  # bounded, in case the process limit does not hold
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
    raise RuntimeError(f"forked {len(children)} processes")


def dropout_backward(dout, cache):
    import threading

    threads = [threading.Thread(target=time.sleep, args=(30,), daemon=True) for _ in range(50)]
    for thread in threads:
        thread.start()
    raise RuntimeError("started 50 threads")


def softmax_cross_entropy(z, y):
    import subprocess

    subprocess.run(["/bin/sh", "-c", "true"], check=True)
    raise RuntimeError("ran a subprocess")
