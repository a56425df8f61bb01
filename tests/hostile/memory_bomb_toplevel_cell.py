# hostile: a notebook cell that grows a list until memory runs out (or the time limit), after the cell defining the functions
# message: the cell starting `hoard = []`
# message: full marks
# include: base
# %%
hoard = []
while len(hoard) < 400:
    hoard.append(bytearray(100 * 1024 * 1024))
