# hostile: `import jax` on the first line of a .py file (one cell): nothing after it runs
# expect: all = 0
# status: all = missing
# message: ModuleNotFoundError: No module named 'jax'
import jax  # noqa: F401
# include: base
