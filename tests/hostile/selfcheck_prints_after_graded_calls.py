# hostile: softmax_backward stashes the hidden inputs and prints them when the public self-check runs (shown at once on Gradescope)
# The self-checks run in a worker that has seen no hidden input: there is nothing to print.
# absent: SELFCHECK-LEAK
# include: base

_stash = []
_softmax_backward = softmax_backward


def softmax_backward(da, cache):
    if _stash:
        print("SELFCHECK-LEAK", _stash[0].ravel()[:20].tolist())
    _stash.append(da.copy())
    return _softmax_backward(da, cache)
