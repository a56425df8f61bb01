# hostile: softmax_backward raises with the hidden inputs' bits as integers (str(x.view(np.int64).tolist()) has no decimal point)
# The marker is only raised on hidden inputs (after the graded dropout_backward ran in this worker,
# outside the self-checks): the fresh worker that reproduces the exception on public inputs raises another.
# expect: softmax = 0
# message: ValueError
# message: raised an exception
# message: it raised
# absent: INTLEAK
# include: base
# include: self_check
# include: hidden_phase


def softmax_backward(da, cache):
    if _graded:
        raise ValueError("INTLEAK " + str(da.view(np.int64).tolist()))
    raise ValueError("on public inputs: nothing to see")
