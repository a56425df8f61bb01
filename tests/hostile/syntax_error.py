# hostile: a syntax error at the end of a .py file: only that paragraph (a .py is cut into cells at blank lines) is lost
# message: SyntaxError
# message: full marks
# include: base


def broken(:
    pass
