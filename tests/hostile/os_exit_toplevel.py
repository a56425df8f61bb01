# hostile: os._exit(0) at the end of a .py file (one cell): the cell is skipped, nothing is defined
# expect: all = 0
# status: all = missing
# message: code cell 1 stopped the worker (the process exited with code 0)
# include: base

import os

os._exit(0)
