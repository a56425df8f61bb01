# hostile: `import jax` in the first paragraph of a .py file: only that paragraph (a .py is cut into cells at blank lines) is lost
# message: ModuleNotFoundError: No module named 'jax'
# message: full marks
import jax  # noqa: F401

# include: base
