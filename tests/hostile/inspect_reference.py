# hostile: bn_net_backward walks gc, sys.modules and the call stack for anything of the grader (the reference, the tests, expected values)
# expect: net = 0
# message: LookupError: nothing of the grader's in gc, sys.modules or the stack
# include: base

import gc
import inspect
import sys

_SUSPECTS = {"solutions", "layers", "questions", "checks", "autograder", "sandbox", "session", "grade"}


def _grader_things():
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] in _SUSPECTS:  # the grader's, not the public gradcheck or public_checks
            yield f"module {name}"
    for thing in gc.get_objects():
        if inspect.isfunction(thing):
            filename = thing.__code__.co_filename
            if "solutions" in filename or "autograder" in filename:
                yield f"function {thing.__name__} from {filename}"
    frame = sys._getframe()
    while frame is not None:
        for name in frame.f_locals:
            if name in ("expected", "problem", "reference", "salt", "question"):
                yield f"a local {name!r} in {frame.f_code.co_name}"
        frame = frame.f_back
    # During this call dropout_backward and batchnorm_backward stand for the reference:
    # is the reference's code reachable through them?
    for stand_in in (dropout_backward, batchnorm_backward):
        try:
            source = inspect.getsource(stand_in)
        except (OSError, TypeError):
            continue
        if "inv_std" in source or "keep" in source:
            yield f"the source of {stand_in.__name__}"


def bn_net_backward(dscores, cache):
    found = list(_grader_things())
    if found:
        raise RuntimeError(f"found: {found[:5]}")
    raise LookupError("nothing of the grader's in gc, sys.modules or the stack")
