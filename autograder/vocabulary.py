"""The closed vocabulary in which the grader describes what a worker sent back.

A worker that has seen hidden inputs may encode them in anything it
controls: an exception's message, a type's name, a dtype's field names, the
numbers in a shape. So the grader never repeats such text: it names what it
got with words from the fixed tables below, and shapes only when every size
in them is one the case itself uses.
"""

import builtins

import numpy as np

from autograder.wire import Unsupported

# Exception types a worker may name: Python's built-in ones and numpy's own.
EXCEPTION_NAMES = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
) | {"LinAlgError", "AxisError"}
OTHER_EXCEPTION = "an exception of a type of its own"

# What wire.py reports for a value it cannot send, as the grader says it.
_UNSUPPORTED = {
    **{name: f"a {name}" for name in ("set", "frozenset", "complex", "bytes", "bytearray", "range", "generator",
                                      "function", "type", "module", "map", "filter", "zip", "slice")},
    **{f"array of dtype {kind}": f"an array of dtype {kind}" for kind in ("object", "complex64", "complex128", "<U1")},
}
OTHER_TYPE = "an object of another type"
_DECODED = {type(None): "None", bool: "a bool", int: "an int", float: "a float", str: "a str", list: "a list",
            dict: "a dict"}
DTYPES = frozenset(np.dtype(code).name for code in "?bhilqBHILQefdg")
SHAPE_DIMENSIONS = 4


def exception_name(name):
    """The exception type a worker named, or the grader's words for any other."""
    return name if isinstance(name, str) and name in EXCEPTION_NAMES else OTHER_EXCEPTION


def describe(value):
    """What a decoded value is, in the grader's words (never its own type's name)."""
    if isinstance(value, Unsupported):
        return _UNSUPPORTED.get(value.kind, OTHER_TYPE)
    if isinstance(value, tuple):
        return f"a tuple of {count_text(len(value))}"
    if isinstance(value, np.ndarray):
        return f"an array of dtype {dtype_name(value.dtype)}"
    return _DECODED.get(type(value), OTHER_TYPE)


def count_text(count):
    """How many items a container the student returned holds, as the grader shows it: up to 16 exactly."""
    return str(count) if count <= 16 else "more than 16"


def dtype_name(dtype):
    """A plain numeric dtype's name; any other (a structured one names its fields) as 'another dtype'."""
    return dtype.name if dtype.fields is None and dtype.name in DTYPES else "another dtype"


def shape_text(shape, sizes):
    """`shape` ("shape (3, 5)") as the grader writes it when each of its sizes is one of `sizes`
    (the sizes the case's own inputs have) and it is no deeper than an input;
    else words that carry none of its numbers."""
    allowed = set(sizes) | {0, 1}
    if len(shape) <= SHAPE_DIMENSIONS and all(n in allowed for n in shape):
        return f"shape {tuple(shape)}"
    return "another shape"


def sizes_of(value):
    """Every size of every array in `value` (the case's arguments): the numbers a shape may be shown with."""
    if isinstance(value, np.ndarray):
        return set(value.shape)
    if isinstance(value, (list, tuple)):
        return set().union(*map(sizes_of, value)) if value else set()
    if isinstance(value, dict):
        return sizes_of(list(value.values()))
    return set()
