"""Gradient-checking helpers for the assignment. Read them: nothing is hidden here.

A backward pass is checked by comparing it with a numerical gradient, the
centred difference

    df/dx_i  ~  (f(x + h e_i) - f(x - h e_i)) / (2h)

computed one coordinate at a time, in float64.
"""

import numpy as np


def rel_error(a, b):
    """Relative error between two arrays of the same shape:

        max |a - b| / max(|a| + |b|)

    About 1e-12 to 1e-8 means the two agree up to rounding; 1e-3 or more
    means a real mistake. Not meaningful when both are (almost) zero: compare
    those with an absolute tolerance instead.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    scale = np.max(np.abs(a) + np.abs(b), initial=0.0)
    return float(np.max(np.abs(a - b), initial=0.0) / max(scale, 1e-300))


def numerical_gradient(f, x, h=1e-5):
    """Centred-difference gradient of a scalar function f at x.

    Inputs:
    - f: function taking no arguments and returning a float; it must read x
      (this helper changes x in place, one coordinate at a time, and restores it)
    - x: float64 array of any shape
    - h: step size

    Returns:
    - grad: array of the same shape as x, df/dx
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_vjp(forward, x, dout, h=1e-5):
    """Numerical vector-Jacobian product: the gradient of sum(forward() * dout) at x.

    This is what a backward pass should return when its upstream gradient is
    dout.

    Inputs:
    - forward: function taking no arguments, returning an array of dout's
      shape; it must read x
    - x: float64 array, changed in place and restored
    - dout: array of the output's shape, the upstream gradient
    - h: step size

    Returns:
    - grad: array of the same shape as x
    """
    return numerical_gradient(lambda: float(np.sum(forward() * dout)), x, h)


def directional_derivative(f, x, direction, h=1e-5):
    """Centred difference of a scalar function f at x along `direction`:

        (f(x + h v) - f(x - h v)) / (2h)

    which should equal sum(grad * v). Two evaluations of f however large x
    is: checking a gradient along a few random directions is a cheap
    numerical check of all of it.

    Inputs:
    - f: function taking no arguments and returning a float; it must read x
    - x: float64 array, changed in place and restored
    - direction: array of x's shape
    - h: step size
    """
    original = x.copy()
    x += h * direction
    f_plus = f()
    x[...] = original - h * direction
    f_minus = f()
    x[...] = original
    return (f_plus - f_minus) / (2 * h)


def holds_float32(array):
    """Whether an array holds float32 numbers: its dtype is float32 (or half),
    or its float64 values are all exactly float32 numbers (computed in
    float32, then converted). Gradients are float64."""
    if array.dtype.kind != "f":
        return False
    if array.dtype.itemsize < 8:
        return True
    finite = array[np.isfinite(array)]
    return bool(np.any(finite)) and bool(np.all(finite.astype(np.float32).astype(np.float64) == finite))


def report(name, analytic, numeric, tol=1e-7, atol=None):
    """Print one comparison line with PASS/FAIL, and return True on PASS.

    Inputs:
    - name: what is compared, for the printout
    - analytic: your gradient (array)
    - numeric: the numerical gradient (array of the same shape)
    - tol: largest relative error that passes
    - atol: if given, compare by the largest absolute difference instead (for
      gradients that are zero by construction)
    """
    # What the grader refuses, whatever the error: an answer that is not a numpy array, and float32
    # numbers (but for a gradient zero by construction, whose rounding leaves numbers of few digits).
    if not isinstance(analytic, np.ndarray):
        print(f"{name}: a {type(analytic).__name__}, expected a numpy array  FAIL")
        return False
    if atol is None and holds_float32(analytic):
        print(f"{name}: float32 numbers, float64 required (remove the float32 conversion)  FAIL")
        return False
    numeric = np.asarray(numeric)
    if analytic.shape != numeric.shape:
        print(f"{name}: shape {analytic.shape}, expected {numeric.shape}  FAIL")
        return False
    if atol is not None:
        err = float(np.max(np.abs(analytic - numeric), initial=0.0))
        ok = err <= atol
        print(f"{name}: max absolute difference {err:.1e}  {'PASS' if ok else 'FAIL'}")
        return ok
    err = rel_error(analytic, numeric)
    ok = err <= tol
    print(f"{name}: relative error {err:.1e}  {'PASS' if ok else 'FAIL'}")
    return ok
