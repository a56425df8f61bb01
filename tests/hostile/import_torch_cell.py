# hostile: a notebook whose first cell imports torch (not installed): only that cell is lost
# message: ModuleNotFoundError: No module named 'torch'
# message: the cell starting `import torch  # noqa: F401` raised an exception
import torch  # noqa: F401
# %%
# include: base
