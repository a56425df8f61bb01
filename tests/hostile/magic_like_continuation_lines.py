# hostile: a right answer whose lines inside brackets, a string and after a backslash start like IPython magics and shell lines (`!= False)`, `%d` in a docstring, `% 1e9` after a backslash), which Jupyter runs as Python; the grader left each out as a magic and so lost the function (a SyntaxError): dropout 15 -> 0
# message: full marks
# include: base
del dropout_backward  # the reference's: this file's own is the one graded


def dropout_backward(dout, cache):
    """The inverted-dropout backward pass: each kept unit's gradient scaled by
%d, one over the keep probability.
    """
    if (cache["train"]
            != True):  # noqa: E712  (the student's own way of writing it)
        return dout.copy()
    scale = 1 / (1 - cache["p"]) \
        % 1e9  # (the scale itself: it is below 1e9)
    return dout * cache["keep"] * scale
