# hostile: an infinite loop at the top level of a .py file (one cell: it is skipped whole)
# expect: all = 0
# status: all = missing
# message: code cell 1 did not finish within the time limit
# include: base

while True:
    pass
