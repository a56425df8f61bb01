# hostile: a syntax error at the end of the file: nothing in it runs
# expect: all = 0
# status: all = missing
# message: SyntaxError
# message: no function named dropout_backward was defined
# include: base


def broken(:
    pass
