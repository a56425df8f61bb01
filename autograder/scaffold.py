"""`autograder new DIR`: the skeleton of an assignment that builds and grades
out of the box: a manifest, a reference with one function between solution
markers, its spec with two cases and one known mistake, its self-check and a
template. The instructor then edits these files; the engine stays as it is.
"""

from pathlib import Path

MANIFEST = '''\
# The assignment "{name}": what the engine (autograder/) needs to build, grade and report it.
# Paths are relative to this folder.
name = "{name}"
title = "{title}"
specs = "questions.py"          # the question specs: QUESTIONS, FORWARD_PASSES, ERROR_HINTS
reference = "reference.py"      # the reference: solution regions become the student's stubs
template = "template.md"        # the notebook's text
self_checks = "self_checks.py"  # the public self-checks, one check_FUNCTION per question
release = "release"             # the student release: `autograder build` writes it
notebook = "{name}.ipynb"
'''

REFERENCE = '''\
"""The reference of "{title}": the given functions, and the function students
write with its solution between the markers (the student's stub replaces it)."""

import numpy as np


def square_forward(x):
    """out = x ** 2, element-wise; returns (out, cache)."""
    return x ** 2, x


def square_backward(dout, cache):
    """The gradient dL/dx of square_forward, given dL/dout and the cache."""
    x = cache
    # BEGIN SOLUTION
    dx = 2 * x * dout
    # END SOLUTION
    return dx
'''

SPECS = '''\
"""The hidden tests of "{title}": one declarative spec per question (the
vocabulary is autograder/specs.py)."""

from pathlib import Path

import numpy as np

from autograder.assignment import import_file
from autograder.specs import Case, Mistake, Output, Problem, Question, distinct_sizes, one

reference = import_file(Path(__file__).with_name("reference.py"))

# The given forward passes: a backward pass calling them more than a few times differentiates numerically.
FORWARD_PASSES = ("square_forward",)


def draw_square(rng, scale):
    N, D = distinct_sizes(rng, 2)
    x = scale * rng.standard_normal((N, D))
    dout = rng.standard_normal((N, D))
    _, cache = reference.square_forward(x)
    return Problem((dout, cache), {{"dx": x}}, lambda: float(np.sum(reference.square_forward(x)[0] * dout)))


SQUARE = Question(
    function="square_backward",
    title="The square",
    outputs=(Output("dx", axes=("N", "D"), hint="dx = 2 x dout, element-wise."),),
    unpack=one("dx"),
    draw=draw_square,
    reference=reference.square_backward,
    cases=(
        Case("inputs of order 1", 4, {{"scale": 1.0}}),
        Case("inputs of order 100", 6, {{"scale": 100.0}}),
    ),
    mistakes=(
        Mistake("forgets the factor 2", "The derivative of x ** 2 is 2 x.", lambda dout, cache: dout * cache),
    ),
)

QUESTIONS = (SQUARE,)
'''

SELF_CHECKS = '''\
"""The public self-checks of "{title}": check_FUNCTION for each question, given
the notebook's functions its parameters name."""

import numpy as np

from gradcheck import numerical_vjp, report


def check_square_backward(square_forward, square_backward, seed=0):
    """Check square_backward on a 3 x 4 batch."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 4))
    _, cache = square_forward(x)
    return report("square_backward dx", square_backward(dout, cache), numerical_vjp(lambda: square_forward(x)[0], x, dout))
'''

TEMPLATE = '''\
# {title}

{{{{questions}}}}

```python
import numpy as np

import public_checks

# The self-checks, grader.check("..."): the same with or without otter-grader.
grader = public_checks.Grader()
```

## Given: the forward pass

```given square_forward
```

## {{{{heading square_backward}}}}

The derivative of $x^2$ is $2x$: $\\frac{{\\partial L}}{{\\partial x}} = 2x \\odot \\frac{{\\partial L}}{{\\partial \\text{{out}}}}$.

```student square_backward
```
'''

FILES = {"assignment.toml": MANIFEST, "reference.py": REFERENCE, "questions.py": SPECS,
         "self_checks.py": SELF_CHECKS, "template.md": TEMPLATE}


def new(folder, name=None, title=None):
    """Write the skeleton into `folder` (which must not exist or be empty); the paths written."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty")
    folder.mkdir(parents=True, exist_ok=True)
    name = name or folder.resolve().name
    title = title or name.replace("_", " ").replace("-", " ").capitalize()
    written = []
    for file_name, text in FILES.items():
        path = folder / file_name
        path.write_text(text.format(name=name, title=title))
        written.append(path)
    return written
