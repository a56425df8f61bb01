# hostile: `import jax` on the first line of a .py file: only its paragraph (a .py is cut into cells at blank lines) is lost
# message: ModuleNotFoundError: No module named 'jax'
# message: full marks
import jax  # noqa: F401
# include: base
