# hostile: a notebook cell with an infinite loop, after the cell defining the functions: only it is skipped
# message: the cell starting `while True:` did not finish within the time limit
# message: full marks
# include: base
# %%
while True:
    pass
# %%
x = 1  # a cell after the hanging one still runs
