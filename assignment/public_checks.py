"""The public self-checks run by the notebook after each function you write.

Each check draws small random inputs with non-square shapes (so that a
transposed answer cannot pass by accident), compares your backward pass with
a numerical gradient of the forward pass, prints the relative error and
PASS/FAIL, and returns True when everything passed.

The hidden tests that grade your work check the same thing on other inputs,
and a few more cases: passing these is necessary, not sufficient.

The notebook's `grader` is `Grader` below: grader.check("...") runs these
checks, the same with or without otter-grader (otter's public test of each
question calls `check` too), and so does the grader's --self-checks. Like
the grader, they run the release's given functions (given.py), whatever the
notebook's copies hold.
"""

import contextlib
import functools
import inspect
import os
import traceback
import types

import numpy as np

import given
import grading_cells
from gradcheck import numerical_gradient, numerical_vjp, report


def check_dropout_backward(dropout_forward, dropout_backward, seed=0):
    """Check dropout_backward in training mode (p = 0.3) and in eval mode."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5))
    dout = rng.standard_normal((4, 5))
    ok = True
    for p, train in [(0.3, True), (0.3, False)]:
        # The same seed every call fixes the mask, so the forward pass is a
        # deterministic function of x and the numerical gradient is defined.
        forward = lambda: dropout_forward(x, p, train=train, rng=np.random.default_rng(seed))[0]
        _, cache = dropout_forward(x, p, train=train, rng=np.random.default_rng(seed))
        dx = dropout_backward(dout, cache)
        mode = "train" if train else "eval"
        ok &= report(f"dropout_backward dx (p={p}, {mode} mode)", dx, numerical_vjp(forward, x, dout))
    return ok


def check_softmax_backward(softmax_forward, softmax_backward, seed=0):
    """Check softmax_backward on a 3 x 5 batch of logits."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((3, 5))
    da = rng.standard_normal((3, 5))
    _, cache = softmax_forward(z)
    dz = softmax_backward(da, cache)
    return report("softmax_backward dz", dz, numerical_vjp(lambda: softmax_forward(z)[0], z, da))


def check_softmax_cross_entropy(softmax_cross_entropy, seed=0):
    """Check the gradient of softmax_cross_entropy on 6 examples and 4 classes."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, size=6)
    _, dz = softmax_cross_entropy(z, y)
    # The loss is computed here, not by your function, so that a changed loss
    # cannot make a wrong gradient look right.
    numeric = numerical_gradient(lambda: _cross_entropy(z, y), z)
    return report("softmax_cross_entropy dz", dz, numeric)


def _cross_entropy(z, y):
    shifted = z - z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(y)), y])


def check_batchnorm_backward(batchnorm_forward, batchnorm_backward, seed=0):
    """Check dx, dgamma and dbeta of batchnorm_backward on a 7 x 5 batch."""
    rng = np.random.default_rng(seed)
    x = 3 * rng.standard_normal((7, 5)) + 2
    gamma = rng.uniform(0.5, 1.5, size=5)
    beta = rng.standard_normal(5)
    dout = rng.standard_normal((7, 5))
    forward = lambda: batchnorm_forward(x, gamma, beta, {"mode": "train"})[0]
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    ok = report("batchnorm_backward dx", dx, numerical_vjp(forward, x, dout))
    ok &= report("batchnorm_backward dgamma", dgamma, numerical_vjp(forward, gamma, dout))
    ok &= report("batchnorm_backward dbeta", dbeta, numerical_vjp(forward, beta, dout))
    return ok


def check_bn_net_backward(bn_net_forward, bn_net_backward, init_bn_net, seed=0):
    """Check every gradient of bn_net_backward on a 6 x 5 batch, 7 hidden units, 3 classes."""
    rng = np.random.default_rng(seed)
    N, D, H, C = 6, 5, 7, 3
    X = rng.standard_normal((N, D))
    params = init_bn_net(D, H, C, rng, weight_scale=0.5)
    params["gamma"] = rng.uniform(0.5, 1.5, size=H)
    params["beta"] = rng.standard_normal(H)
    dscores = rng.standard_normal((N, C))

    def scores():
        return bn_net_forward(X, params, p=0.3, rng=np.random.default_rng(seed))[0]

    _, cache = bn_net_forward(X, params, p=0.3, rng=np.random.default_rng(seed))
    grads = bn_net_backward(dscores, cache)
    ok = True
    for name, value in [*params.items(), ("X", X)]:
        # b1 is followed by batch normalization, which subtracts the mean:
        # its gradient is zero, and only an absolute comparison makes sense.
        atol = 1e-8 if name == "b1" else None
        ok &= report(f"bn_net_backward grads[{name!r}]", grads[name], numerical_vjp(scores, value, dscores), atol=atol)
    return ok


# Each question's self-check, and the notebook functions it is given.
SELF_CHECKS = {
    "dropout_backward": (check_dropout_backward, ("dropout_forward", "dropout_backward")),
    "softmax_backward": (check_softmax_backward, ("softmax_forward", "softmax_backward")),
    "softmax_cross_entropy": (check_softmax_cross_entropy, ("softmax_cross_entropy",)),
    "batchnorm_backward": (check_batchnorm_backward, ("batchnorm_forward", "batchnorm_backward")),
    "bn_net_backward": (check_bn_net_backward, ("bn_net_forward", "bn_net_backward", "init_bn_net")),
}


GIVEN_NAMES = tuple(name for name in dir(given) if callable(getattr(given, name)) and not name.startswith("_")
                    and getattr(getattr(given, name), "__module__", None) == given.__name__)


def _same_code(mine, theirs):
    """Whether two code objects are the same code, wherever they were defined (line numbers aside)."""
    if not (isinstance(mine, types.CodeType) and isinstance(theirs, types.CodeType)):
        return type(mine) is type(theirs) and mine == theirs
    return (mine.co_code == theirs.co_code and mine.co_names == theirs.co_names
            and mine.co_varnames == theirs.co_varnames and len(mine.co_consts) == len(theirs.co_consts)
            and all(_same_code(a, b) for a, b in zip(mine.co_consts, theirs.co_consts)))


@functools.cache
def _given_code(name):
    """The code of the given function `name` compiled on its own, as from a notebook
    cell (in given.py, the import of numpy beside it changes the bytecode)."""
    module = compile(inspect.getsource(getattr(given, name)), "<given>", "exec")
    return next(c for c in module.co_consts if isinstance(c, types.CodeType) and c.co_name == name)


def edited_given(global_env):
    """The given functions whose definition in `global_env` differs from the release's."""
    edited = []
    for name in GIVEN_NAMES:
        mine, theirs = global_env.get(name), getattr(given, name)
        if mine is None or mine is theirs:
            continue
        code = getattr(mine, "__code__", None)
        if not (_same_code(code, _given_code(name)) and getattr(mine, "__defaults__", None) == theirs.__defaults__):
            edited.append(name)
    return edited


def _given_cells():
    """The given functions as the grader's cells.parse takes them (it compares function by function)."""
    return tuple(((name,), inspect.getsource(getattr(given, name)).rstrip()) for name in GIVEN_NAMES)


@contextlib.contextmanager
def _release_given(global_env):
    """The release's given functions in `global_env` while a check runs, as when grading."""
    saved = {name: global_env[name] for name in GIVEN_NAMES if name in global_env}
    global_env.update({name: getattr(given, name) for name in GIVEN_NAMES})
    try:
        yield
    finally:
        for name in GIVEN_NAMES:
            global_env.pop(name, None)
        global_env.update(saved)


_noted = set()


# Files whose frames are the checks' own, not the code checked.
_OWN_FILES = ("public_checks.py", "gradcheck.py", "given.py")


def _described(error):
    """The exception in one line, with the line of the notebook's code it came from."""
    text = f"{type(error).__name__}: {error}"
    text = text if len(text) <= 300 else text[:297] + "..."
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if os.path.basename(frame.filename) not in _OWN_FILES and "site-packages" not in frame.filename]
    return text + (f", in {frames[-1].name} at line {frames[-1].lineno} of its cell" if frames else "")


def check(question, global_env=None):
    """Run the self-check of `question` on the functions the notebook defines
    (those of `global_env`, by default the caller's globals), with the
    release's given functions, as the grader does. Prints what it compared
    and a last line `QUESTION: PASS` or `QUESTION: FAIL (why)`; returns
    whether it passed. An exception of the code checked is reported, not raised."""
    if global_env is None:
        global_env = inspect.currentframe().f_back.f_globals
    self_check, names = SELF_CHECKS[question]
    for name in edited_given(global_env):
        if (name, id(global_env[name])) not in _noted:  # once per edit, not in every check
            _noted.add((name, id(global_env[name])))
            print(f"note: your {name} differs from the given one; this check, like the grader, uses the given one")
    missing = [name for name in names if name not in GIVEN_NAMES and not callable(global_env.get(name))]
    if missing:
        print(f"{question}: FAIL (no function {', '.join(missing)} yet: run the cells above first)")
        return False
    with _release_given(global_env):
        try:
            passed = bool(self_check(*(global_env[name] for name in names)))
        except NotImplementedError:
            print(f"{question}: FAIL (not written yet: it still raises NotImplementedError)")
            return False
        except Exception as error:  # noqa: BLE001  (the student's code runs inside the check)
            print(f"{question}: FAIL (your code raised {_described(error)})")
            return False
    print(f"{question}: {'PASS' if passed else 'FAIL (see the errors above)'}")
    return passed


def running_notebook(global_env=None):
    """The path of the notebook this kernel runs, or None when it cannot tell:
    what Jupyter (JPY_SESSION_NAME, __session__) or VS Code (__vsc_ipynb_file__)
    says, else the only notebook in the working folder."""
    global_env = global_env or {}
    named = [global_env.get("__vsc_ipynb_file__"), global_env.get("__session__"), os.environ.get("JPY_SESSION_NAME")]
    for candidate in named:
        if isinstance(candidate, str) and candidate.endswith(".ipynb"):
            # Jupyter's session name is relative to the server's root, the kernel runs beside the notebook.
            for path in (candidate, os.path.basename(candidate)):
                if os.path.isfile(path):
                    return os.path.relpath(path)  # otter's zip names its notebook by this path
    notebooks = [name for name in os.listdir(".") if name.endswith(".ipynb") and not name.startswith(".")]
    return notebooks[0] if len(notebooks) == 1 else None


def _cannot_tell(what):
    notebooks = sorted(name for name in os.listdir(".") if name.endswith(".ipynb") and not name.startswith("."))
    found = f" (this folder holds {', '.join(notebooks)})" if notebooks else ""
    print(f"Cannot tell which notebook this is{found}: run {what}(\"NAME.ipynb\") with your notebook's file name.")


class Grader:
    """The notebook's `grader`: the self-checks, the check before submitting
    and the export, in the same words with or without otter-grader."""

    def check(self, question):
        """Print the self-check of `question` (PASS or FAIL with the errors measured)."""
        check(question, inspect.currentframe().f_back.f_globals)

    def check_all(self, notebook=None):
        """Every self-check, then what the grader will read in the saved notebook."""
        global_env = inspect.currentframe().f_back.f_globals
        passed = [question for question in SELF_CHECKS if check(question, global_env)]
        print(f"\nself-checks: {len(passed)} of {len(SELF_CHECKS)} PASS")
        path = notebook or running_notebook(global_env)
        if path is None:
            _cannot_tell("grader.check_all")
            return
        try:
            with open(path, "rb") as file:
                parsed = grading_cells.parse(file.read(), os.path.splitext(path)[1], given=_given_cells())
        except OSError as error:
            print(f"Cannot read {path} ({error.strerror}): run grader.check_all(\"NAME.ipynb\") with your notebook's file name.")
            return
        print(f"\nThe grader will read {path} as saved (save it first):")
        if parsed.error:
            print(f"- it cannot grade it: {parsed.error}")
            return
        print(f"- code: {parsed.code_bytes / 1024:.0f} KB of the {grading_cells.MAX_CODE_BYTES // 1024**2} MB limit (outputs do not count)")
        found = {name for names in parsed.defines.values() for name in names}
        for question in SELF_CHECKS:
            print(f"- {question}: {'found' if question in found else 'NOT FOUND: it will get no points'}")
        for note in parsed.notes:
            print(f"- {note}")
        print("Before submitting: Kernel > Restart & Run All, then save.")

    def export(self, notebook=None, pdf=False, run_tests=True):
        """The submission zip of this notebook, made by otter-grader; without
        otter-grader, says to submit the notebook itself."""
        path = notebook or running_notebook(inspect.currentframe().f_back.f_globals)
        if path is None:
            _cannot_tell("grader.export")
            return
        try:
            import otter
        except ImportError:
            print(f"otter-grader is not installed, so there is no zip to make: save {path} and submit that file itself.")
            return
        try:
            otter.Notebook(path).export(path, pdf=pdf, run_tests=run_tests)
        except Exception as error:  # noqa: BLE001  (otter's own failure: the notebook itself can still be submitted)
            print(f"otter-grader could not make the zip ({_described(error)}): save {path} and submit that file itself.")
