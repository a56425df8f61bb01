# hostile: fills the sandbox's /tmp (a tmpfs: host memory, outside the 2 GB address-space limit) with 16 MB files
# message: full marks
# bug: B3
# include: base

import os

_reference_dropout_backward = dropout_backward
_LIMIT_MB = 256  # far more than a backprop homework needs; the hole is that nothing stops it


def dropout_backward(dout, cache):
    chunk = b"\0" * (16 * 1024 * 1024 - 1)  # just under the 16 MB file-size limit
    written = 0
    try:
        for number in range(_LIMIT_MB // 16):
            with open(f"/tmp/fill-{number}", "wb") as handle:
                handle.write(chunk)
            written += 16
    except OSError:
        pass  # a quota stopped us: as it should
    finally:
        for number in range(_LIMIT_MB // 16):
            try:
                os.remove(f"/tmp/fill-{number}")
            except OSError:
                pass
    if written >= _LIMIT_MB:
        raise RuntimeError(f"wrote {written} MB into /tmp: no quota")
    return _reference_dropout_backward(dout, cache)
