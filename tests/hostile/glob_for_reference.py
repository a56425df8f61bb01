# hostile: learns the repository's path from /proc/self/mountinfo, then globs everything visible for the reference and the gradebook
# expect: cross_entropy = 0
# message: LookupError: no reference file is visible
# include: base

import glob
import os
import time


def _candidates():
    roots = {"@REPO@", "/work/main", "/sandbox", "/tmp", "/", os.path.expanduser("~")}
    try:
        mounts = open("/proc/self/mountinfo").readlines()  # reveals the host paths of the files mounted in
    except OSError:  # not readable (Landlock at the container and rlimits levels)
        mounts = []
    for line in mounts:
        source = line.split()[3]
        for parent in (source, *[os.path.dirname(source)] * 1):
            roots.add(parent)
            roots.add(os.path.dirname(parent))
            roots.add(os.path.dirname(os.path.dirname(parent)))
    for root in sorted(roots):
        for pattern in ("solutions/layers.py", "*/solutions/layers.py", "**/layers.py", "**/gradebook.sqlite"):
            yield from glob.glob(os.path.join(root, pattern))


def softmax_cross_entropy(z, y):
    started = time.monotonic()
    for path in _candidates():
        if time.monotonic() - started > 1.5:
            break
        try:
            text = open(path).read()
        except (OSError, UnicodeDecodeError):
            continue
        if "BEGIN SOLUTION" in text:
            namespace = {}
            exec(text, namespace)
            return namespace["softmax_cross_entropy"](z, y)
    raise LookupError("no reference file is visible")
