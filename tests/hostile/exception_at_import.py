# hostile: an exception at import time, after the functions are defined
# message: RuntimeError: hostile: boom at import time
# include: base

raise RuntimeError("hostile: boom at import time")
