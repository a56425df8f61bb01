# hostile: patches numpy.allclose, numpy.testing, numpy.isfinite, builtins and math to always agree, then returns zeros for dropout
# expect: dropout = 0
# message: relative error
# include: base

import builtins
import math

import numpy.testing

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isfinite = lambda x: np.ones(np.shape(x), dtype=bool)
np.isnan = lambda x: np.zeros(np.shape(x), dtype=bool)
for _name in dir(numpy.testing):
    if _name.startswith("assert_"):
        setattr(numpy.testing, _name, lambda *args, **kwargs: None)
math.isclose = lambda *args, **kwargs: True
math.isfinite = lambda x: True
builtins.abs = lambda x: 0
builtins.AssertionError = type("AssertionError", (Exception,), {"__init__": lambda self, *a: None})


def dropout_backward(dout, cache):
    return np.zeros_like(dout)
