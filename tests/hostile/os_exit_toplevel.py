# hostile: os._exit(0) at the end of a .py file: that paragraph (a .py is cut into cells at blank lines) is skipped
# message: the cell starting `os._exit(0)` stopped the worker (the process exited with code 0)
# message: full marks
# include: base

import os

os._exit(0)
