# hostile: an infinite loop at the top level of a .py file: only its paragraph (a .py is cut into cells at blank lines) is skipped
# message: the cell starting `while True:` did not finish within the time limit
# message: full marks
# include: base

while True:
    pass
