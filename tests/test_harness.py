"""The call harness's watch on forward passes (autograder/harness.py): what counts as a forward
pass run at the case's own numbers, and what as one run elsewhere (a numerical derivative)."""

import threading
import time

import numpy as np

from autograder import harness

X = np.random.default_rng(1).standard_normal((3, 4))
Y = np.array([0, 2, 1])


def test_a_forward_pass_at_the_cases_own_numbers_is_at_its_own_point():
    own = harness.own_numbers([X, {"y": Y, "p": 0.3}])
    for value in (X, X.copy(), Y, 0.3, np.float64(2), np.zeros(4), np.ones((2, 2)), {"mode": "train", "eps": 1e-5},
                  X > 0, [X, Y], np.random.default_rng()):
        assert harness.at_own_point(value, own), value


def test_perturbed_batched_scaled_or_other_numbers_are_another_point():
    own = harness.own_numbers([X, {"y": Y}])
    for value in (X + 1e-6, X.astype(np.complex128), X.astype(np.longdouble), X.astype(np.float32), np.vstack([X, X]),
                  np.rint(X * 1e15).astype(np.int64), X.tolist(), [1.0, 2.0], np.array([object()] * 3), {"x": X * 2},
                  Y + 1, object()):
        assert not harness.at_own_point(value, own), value


def test_the_own_numbers_are_those_before_the_call_changes_them_in_place():
    x = X.copy()
    own = harness.own_numbers([x])
    x[0, 0] += 1e-5
    assert not harness.at_own_point(x, own)


SQUARE = "def square_forward(x):\n    return x * x\n"
LAYER = "def square_layer(x):\n    out = square_forward(x)\n    return out, {'x': x}\n"
CODES = harness.watched_codes([("square_forward", SQUARE)])


def _square_forward():
    namespace = {}
    exec(SQUARE, namespace)
    return namespace["square_forward"]


def _call(function, *args):
    """harness.call of `function`, with square_forward watched."""
    return harness.call({"target": function}, "target", list(args), [], None, CODES, ["square_forward"])


def test_a_call_is_flagged_when_a_forward_pass_runs_elsewhere_or_in_a_thread():
    forward = _square_forward()
    reply = _call(lambda x: 2 * x, X)
    assert reply["calls"] == {} and reply["elsewhere"] is False and reply["unwatched"] is False
    reply = _call(lambda x: forward(x) * 0 + 2 * x, X)
    assert reply["calls"] == {"square_forward": 1} and reply["elsewhere"] is False
    reply = _call(lambda x: (forward(x + 1e-7) - forward(x - 1e-7)) / 2e-7, X)
    assert reply["calls"] == {"square_forward": 2} and reply["elsewhere"] is True
    reply = _call(lambda x: forward(x + 1e-30j).imag / 1e-30, X)
    assert reply["elsewhere"] is True

    def in_a_thread(x):
        box = []
        worker = threading.Thread(target=lambda: box.append(forward(x + 1e-7)))
        worker.start()
        worker.join()
        return box[0]

    reply = _call(in_a_thread, X)
    assert reply["unwatched"] is True and reply["calls"] == {}


def test_a_call_is_unwatched_while_a_thread_started_before_it_is_alive():
    """A thread started at load time (a definition cell), fed forward passes during the call, runs
    them without the profiling hook: alive when the call starts or ends, the call is unwatched."""
    import queue

    forward = _square_forward()
    jobs, answers = queue.Queue(), queue.Queue()

    def serve():
        while True:
            x = jobs.get()
            if x is None:
                return
            answers.put((forward(x + 1e-7) - forward(x - 1e-7)) / 2e-7)

    def backward(x):
        jobs.put(x)
        return answers.get()

    # An earlier test's thread that has ended may still be listed by the kernel: a baseline taken then is one
    # too many, and the server thread below would not raise the count above it.
    deadline = time.monotonic() + 5
    while True:
        before = harness.thread_count()
        time.sleep(0.05)
        if harness.thread_count() >= before or time.monotonic() > deadline:
            break
    harness.watch_threads()  # as the worker does before any student code runs
    server = threading.Thread(target=serve, daemon=True)
    server.start()
    try:
        reply = _call(backward, X)
    finally:
        jobs.put(None)
        server.join()
        # join() returns once the thread's Python state is released; the kernel lists its task a moment longer.
        deadline = time.monotonic() + 5
        while harness.thread_count() > harness._baseline_threads[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        ended = _call(lambda x: 2 * x, X)
        harness._baseline_threads[0] = None  # this test process's own threads come and go
    assert reply["calls"] == {} and reply["unwatched"] is True
    assert ended["unwatched"] is False  # once it has ended


def test_without_a_thread_baseline_only_a_thread_started_during_the_call_is_seen():
    """Otter's kernel and a test run have threads of their own that come and go: there, a thread
    alive before the call does not make it unwatched (the worker takes a baseline: watch_threads)."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert _call(lambda x: 2 * x, X)["unwatched"] is False
    finally:
        stop.set()
        other.join()


def test_a_forward_pass_that_a_watched_one_calls_itself_is_counted_as_nested():
    codes = harness.watched_codes([("square_forward", SQUARE), ("square_layer", LAYER)])
    namespace = {}
    exec(SQUARE + LAYER, namespace)
    layer, forward = namespace["square_layer"], namespace["square_forward"]
    watched = ["square_forward", "square_layer"]

    def per_row(x):
        return np.vstack([layer(row[None])[0] for row in x])

    reply = harness.call({"target": per_row}, "target", [X], [], None, codes, watched)
    assert reply["calls"] == {"square_layer": 3, "square_forward": 3} and reply["nested"] == {"square_forward": 3}
    reply = harness.call({"target": lambda x: forward(x) + layer(x)[0]}, "target", [X], [], None, codes, watched)
    assert reply["calls"] == {"square_forward": 2, "square_layer": 1} and reply["nested"] == {"square_forward": 1}


def test_nested_forward_passes_are_part_of_their_call_but_a_numerical_helper_counts_wherever_called():
    from autograder import checks
    rows = [X]  # 3 examples: 3 + 3 calls allowed
    assert not checks._finite_differences({"softmax_forward": 3, "softmax": 3}, rows, {"softmax": 3})
    assert checks._finite_differences({"softmax_forward": 4, "softmax": 4}, rows, {})
    assert checks._finite_differences({"softmax_forward": 1, "numerical_vjp": 1}, rows, {"numerical_vjp": 1})


def test_one_row_of_a_given_array_is_the_cases_own_but_a_perturbed_row_is_not():
    own = harness.own_numbers([X])
    assert harness.at_own_point(X[1].copy(), own) and harness.at_own_point(X[1:2].copy(), own)
    perturbed = X[1].copy()
    perturbed[0] += 1e-5
    assert not harness.at_own_point(perturbed, own)


def test_a_given_array_shifted_by_a_constant_per_row_is_its_own_point_only_for_a_shift_invariant_forward_pass():
    own = harness.own_numbers([X])
    shifted = [X - X.max(axis=1, keepdims=True), X - X.max(), X + 1e3, X[1] - X[1].max(), X[1:2] - X[1].max(),
               X - np.log(np.exp(X).sum(axis=1, keepdims=True))]
    for value in shifted:
        assert harness.at_own_point(value, own, row_shift=True), value
        # For any other function (an elementwise one), a shift of every entry is a numerical derivative of all of them.
        assert not harness.at_own_point(value, own), value
    direction = np.random.default_rng(2).standard_normal(X.shape)
    for value in (X + 1e-7 * direction, X - X.max(axis=1, keepdims=True) + 1e-9 * direction, 2 * X,
                  X - X.max(axis=0, keepdims=True), X.astype(np.complex128) - 1):
        assert not harness.at_own_point(value, own, row_shift=True), value


def test_only_the_watched_functions_named_row_shift_invariant_may_be_called_at_a_shifted_point():
    forward = _square_forward()

    def stable(x):
        return forward(x - x.max(axis=1, keepdims=True))

    assert _call(stable, X)["elsewhere"] is True
    reply = harness.call({"target": stable}, "target", [X], [], None, CODES, ["square_forward"],
                         row_shift_invariant=["square_forward"])
    assert reply["elsewhere"] is False and reply["calls"] == {"square_forward": 1}


def test_the_assignment_names_softmax_as_row_shift_invariant_and_nothing_it_does_not_watch():
    from backprop import BACKPROP

    assert set(BACKPROP.row_shift_invariant) == {"softmax", "softmax_forward"}
    assert set(BACKPROP.row_shift_invariant) <= {name for name, _ in BACKPROP.watched_sources}


def test_a_given_matrix_transposed_is_its_own_point_and_a_step_from_it_is_not():
    """softmax(z.T).T, a softmax over the wrong axis, is a call at the case's own numbers rearranged:
    it was taken for a numerical derivative, and the feedback said 'uses numerical differentiation'."""
    own = harness.own_numbers([X, {"y": Y}])
    assert harness.at_own_point(X.T, own) and harness.at_own_point(X.T.copy(), own)
    assert harness.at_own_point(X.T - X.T.max(axis=1, keepdims=True), own, row_shift=True)
    direction = np.random.default_rng(3).standard_normal(X.T.shape)
    for value in (X.T + 1e-7 * direction, 2 * X.T, X.T - X.T.max(axis=1, keepdims=True)):
        assert not harness.at_own_point(value, own), value
    forward = _square_forward()
    assert _call(lambda x: forward(x.T).T, X)["elsewhere"] is False
    assert _call(lambda x: forward(x.T + 1e-6).T, X)["elsewhere"] is True


SOFTMAX = ("def softmax(z):\n    e = np.exp(z - z.max(axis=1, keepdims=True))\n    return e / e.sum(axis=1, keepdims=True)\n")


def test_a_forward_pass_at_another_point_that_returns_only_the_cases_own_numbers_is_not_flagged():
    codes = harness.watched_codes([("softmax", SOFTMAX)])
    namespace = {"np": np}
    exec(SOFTMAX, namespace)
    softmax = namespace["softmax"]
    a = softmax(X)
    da = np.random.default_rng(2).standard_normal(a.shape)

    def run(function):
        return harness.call({"target": function}, "target", [da, {"a": a}], [], None, codes, ["softmax"])

    # log(a) is the logits less a constant per row: softmax gives the cache's a back, up to rounding.
    assert run(lambda g, cache: softmax(np.log(cache["a"])))["elsewhere"] is False
    # A step along da, however small, that changes the result beyond rounding is a derivative.
    for step in (1e-4, 1e-8, 1e-12):
        assert run(lambda g, cache: softmax(np.log(cache["a"]) + step * g))["elsewhere"] is True, step
    assert run(lambda g, cache: softmax(np.log(cache["a"] + 1e-9)))["elsewhere"] is True
    # Raising out of the forward pass (its result None) is no result of the case's own.
    assert run(lambda g, cache: softmax(np.log(cache["a"])[0]))["elsewhere"] is True


def test_what_a_forward_pass_returns_is_the_cases_own_only_if_every_number_is_a_given_array():
    own = harness.own_numbers([X, {"y": Y, "p": 0.3}])
    for value in (X.copy(), (X, {"a": X}), [X[1].copy()], (X + 1e-17, {"train": True, "keep": None, "mode": "train"})):
        assert harness.returns_own(value, own), value
    for value in (None, 0.3, np.float64(0.3), np.zeros(4), np.ones((3, 4)), X > 0, X + 1e-9, X.astype(np.float32),
                  X.astype(np.complex128), (X, 0.3), (X, {"p": 0.3}), (X, {"keep": X > 0}), (), {}, [X, object()]):
        assert not harness.returns_own(value, own), value


def test_a_forward_pass_called_again_with_the_same_own_numbers_is_a_repeat_not_a_new_point():
    forward = _square_forward()

    def two_loops(x):
        first = [forward(row[None]) for row in x]      # the loss, one row at a time
        second = [forward(row[None]) for row in x]     # the gradient, the same rows again
        return np.vstack(first) + np.vstack(second)

    reply = _call(two_loops, X)
    assert reply["calls"] == {"square_forward": 6} and reply["repeats"] == {"square_forward": 3}
    assert reply["elsewhere"] is False
    # Different rows, or the same numbers in another dtype, are different points.
    reply = _call(lambda x: [forward(row[None]) for row in x] + [forward(x), forward(x.copy())], X)
    assert reply["calls"] == {"square_forward": 5} and reply["repeats"] == {"square_forward": 1}
    # Another watched function at a point already called at is that point again.
    codes = harness.watched_codes([("square_forward", SQUARE), ("square_layer", LAYER)])
    namespace = {}
    exec(SQUARE + LAYER, namespace)
    layer, square = namespace["square_layer"], namespace["square_forward"]
    reply = harness.call({"target": lambda x: [square(row[None]) + layer(row[None])[0] for row in x]}, "target", [X],
                         [], None, codes, ["square_forward", "square_layer"])
    assert reply["calls"] == {"square_forward": 6, "square_layer": 3}
    assert reply["nested"] == {"square_forward": 3} and reply["repeats"] == {"square_layer": 3}
    # The same arguments with another result (a global it reads changed each time, as a numpy patched to
    # step would) are a new evaluation, counted; the same result again is a repeat.
    source = "def scaled_forward(x):\n    return x * SCALE\n"
    codes = harness.watched_codes([("scaled_forward", source)])
    namespace = {"SCALE": 1.0}
    exec(source, namespace)
    scaled = namespace["scaled_forward"]

    def stepping(x):
        out = []
        for step in range(4):
            namespace["SCALE"] = 1.0 + 1e-6 * step
            out.append(scaled(x))
        return out

    reply = harness.call({"target": stepping}, "target", [X], [], None, codes, ["scaled_forward"])
    assert reply["calls"] == {"scaled_forward": 4} and reply["repeats"] == {} and reply["elsewhere"] is False
    namespace["SCALE"] = 1.0
    reply = harness.call({"target": lambda x: [scaled(x) for _ in range(4)]}, "target", [X], [], None, codes,
                         ["scaled_forward"])
    assert reply["calls"] == {"scaled_forward": 4} and reply["repeats"] == {"scaled_forward": 3}
    # A perturbed call is never a repeat: it is elsewhere.
    reply = _call(lambda x: [forward(x + 1e-6) for _ in range(3)], X)
    assert reply["repeats"] == {} and reply["elsewhere"] is True


def test_repeated_calls_are_not_counted_again_but_a_numerical_helper_is():
    from autograder import checks
    rows = [X]  # 3 examples: 3 + 3 calls allowed
    assert not checks._finite_differences({"softmax": 6}, rows, {}, {"softmax": 3})
    assert checks._finite_differences({"softmax": 7}, rows, {}, {"softmax": 0})
    assert checks._finite_differences({"softmax": 1, "numerical_vjp": 2}, rows, {}, {"numerical_vjp": 1})


def test_the_watch_keeps_its_own_builtins_whatever_the_student_replaces():
    import builtins
    own = harness.own_numbers([X, {"a": X}])
    saved = {name: getattr(builtins, name) for name in ("any", "all", "abs", "bool", "len", "type", "isinstance")}
    try:
        builtins.any = builtins.all = lambda *args, **kwargs: True
        builtins.abs = lambda value: np.zeros(np.shape(value))
        builtins.bool = lambda value: True
        builtins.len = lambda value: 0
        builtins.type = lambda value: np.ndarray
        builtins.isinstance = lambda value, kinds: True
        perturbed = X + 1e-6 * np.arange(X.size).reshape(X.shape)  # not a constant per row
        checks = (harness.at_own_point(perturbed, own), harness.at_own_point(perturbed, own, row_shift=True),
                  harness.returns_own(perturbed, own), harness.returns_own((perturbed, {"a": perturbed}), own))
    finally:
        for name, value in saved.items():
            setattr(builtins, name, value)
    assert checks == (False, False, False, False)


def test_a_result_is_rebuilt_from_exact_types_while_the_hook_counts():
    """A tuple subclass whose __iter__ took the centred differences ran unwatched, after the call,
    when the worker encoded it: softmax_cross_entropy's numerical gradient earned full marks."""
    forward = _square_forward()

    class Lazy(tuple):
        def __iter__(self):
            x = self[0]
            return iter(((forward(x + 1e-7) - forward(x - 1e-7)) / 2e-7, 1.0))

    reply = _call(lambda x: Lazy((x.copy(),)), X)
    assert type(reply["value"]) is tuple and reply["calls"] == {"square_forward": 2} and reply["elsewhere"] is True

    class Number(float):
        pass

    class Key(str):
        pass

    reply = _call(lambda x: {Key("a"): [Number(1.5), np.asarray(x).view(np.matrix)]}, X)
    ((key, (number, array)),) = reply["value"].items()
    assert type(key) is str and type(number) is float and type(array) is np.ndarray


def test_a_gc_callback_cannot_fill_the_result_after_the_call():
    """A gc callback (gc.set_threshold(1): any allocation runs it) filled the returned array with
    centred differences once the hook was off: softmax_backward earned full marks."""
    import gc
    import sys

    forward = _square_forward()
    threshold = gc.get_threshold()

    def backward(x):
        grad = np.zeros_like(x)

        def fill(phase, info):
            if sys.getprofile() is None and not grad.any():
                grad[...] = (forward(x + 1e-7) - forward(x - 1e-7)) / 2e-7

        gc.callbacks.append(fill)
        gc.set_threshold(1)
        return grad

    try:
        reply = _call(backward, X)
        [object() for _ in range(10)], gc.collect()
    finally:
        gc.callbacks[:] = [c for c in gc.callbacks if getattr(c, "__name__", "") != "fill"]
        gc.set_threshold(*threshold)
        gc.enable()
    assert not reply["value"].any()


def test_no_student_code_runs_inside_the_hook_itself():
    """Code the profiling hook runs (reading an argument's __class__ through isinstance, a dict key's or a
    code constant's __repr__) runs with profiling suspended: a __class__ property took the centred
    differences of softmax there, out of the count, and earned full marks (class_property_inside_hook)."""
    import types

    ran = []

    class Probe:
        @property
        def __class__(self):
            ran.append("__class__")
            return Probe

    class Key:
        def __repr__(self):
            ran.append("__repr__")
            return "k"

        def __hash__(self):
            return 1

    own = harness.own_numbers([X])
    assert not harness.at_own_point(Probe(), own) and not harness.at_own_point([Probe()], own)
    assert harness._point_key({Key(): 1.0}) is None
    code = compile("def f(x):\n    return x\n", "<cell>", "exec").co_consts[0]
    harness.code_key(code.replace(co_consts=(*code.co_consts, Key())))
    assert ran == []


def test_student_code_the_call_leaves_behind_runs_while_the_hook_counts():
    """An exception's __str__ (formatted after the call) and a finalizer on what the student left in the
    arguments (dropped when the worker's next request came) ran with the hook off: the finalizer read the
    next case's inputs from the worker's frame and took their centred differences (finalizer_after_call)."""
    import weakref

    forward = _square_forward()

    class Late(Exception):
        def __str__(self):
            forward(X + 1e-7)
            return "late"

    def raises(x):
        raise Late()

    reply = _call(raises, X)
    assert reply["calls"] == {"square_forward": 1} and reply["elsewhere"] is True

    class Token:
        pass

    def leaves_a_finalizer(x, cache):
        token = Token()
        weakref.finalize(token, lambda: forward(x + 1e-7))
        cache["token"] = token
        return x

    reply = harness.call({"target": leaves_a_finalizer}, "target", [X, {}], [], None, CODES, ["square_forward"],
                         sandboxed=True)
    assert reply["calls"] == {"square_forward": 1} and reply["elsewhere"] is True


def test_a_trace_function_makes_the_call_unwatched_and_one_set_before_it_is_suspended_during_it():
    """A trace function's code runs with the profiling hook suspended: one set during the call took the
    centred differences out of the count (trace_function_forward_calls); one set before it (a definition
    cell's) did the same at every call (trace_function_at_load)."""
    import sys

    forward = _square_forward()

    def traced(x):
        found = []
        sys.settrace(lambda frame, event, arg: found.append(forward(x + 1e-7)) if not found else None)
        (lambda: None)()
        sys.settrace(None)
        return found[0]

    previous = sys.gettrace()
    try:
        assert _call(traced, X)["unwatched"] is True
        seen = []
        sys.settrace(lambda frame, event, arg: seen.append(frame.f_code.co_name))
        reply = _call(lambda x: 2 * x, X)
        assert reply["unwatched"] is False and "<lambda>" not in seen and sys.gettrace() is not None
    finally:
        sys.settrace(previous)


_GUARDED_WORKER = r"""
import gc, signal, sys
import numpy as np
import harness

harness.watch_threads()
harness.guard_interpreter()
CODES = harness.watched_codes([("square_forward", "def square_forward(x):\n    return x * x\n")])
namespace = {}
exec("def square_forward(x):\n    return x * x\n", namespace)
forward = namespace["square_forward"]
X = np.arange(6.0).reshape(2, 3)
fired = []
signal.signal(signal.SIGALRM, lambda *args: fired.append(forward(X + 1e-7)))  # a definition cell's handler
harness.hold_signals()  # the cells have run


def call(function):
    return harness.call({"target": function}, "target", [X], [], None, CODES, ["square_forward"], sandboxed=True)


def restored(x):
    hook = sys.getprofile()
    sys.setprofile(None)
    forward(x + 1e-7)
    sys.setprofile(hook)
    return x


def alarm(x):
    signal.setitimer(signal.ITIMER_REAL, 0.001)
    end = __import__("time").monotonic() + 0.2
    while __import__("time").monotonic() < end:
        pass
    return x


def collector(x):
    gc.enable()
    return gc.isenabled()


audited = []
sys.addaudithook(lambda event, details: audited.append(event))  # a definition cell's, before the hook is on
print(call(restored)["unwatched"], call(alarm)["unwatched"], fired, call(collector)["value"],
      call(lambda x: x)["unwatched"], audited)
"""


def test_in_the_worker_the_interpreters_switches_are_guarded_and_signals_held():
    """sys.setprofile saved, switched off and put back (profile_hook_restored), a signal handler run
    inside the hook's own code, where profiling is suspended (signal_inside_hook), and the collector
    switched on again (a gc callback run inside the hook), and an audit hook run on the harness's own
    os.listdir before the hook was on (audit_hook_before_call) all took code out of the count."""
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(harness.__file__).parent
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(folder)!r}]\n" + _GUARDED_WORKER],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "False", "[]", "False", "False", "[]"], done.stderr


_FRESH_MODULES = r"""
import _imp, glob, importlib, importlib.machinery, os, sys, sysconfig
import harness

originals = {"addaudithook": sys.addaudithook, "setprofile": sys.setprofile}
harness.guard_interpreter()


def fresh(name):
    kept = sys.modules.pop(name)
    try:
        return importlib.import_module(name)
    finally:
        sys.modules[name] = kept


found = [fresh(name) is sys.modules[name] for name in ("sys", "_signal", "gc", "_imp", "_thread")]
found.append(fresh("sys").addaudithook is not originals["addaudithook"])
# libpython's own init functions, through an extension module's loader: where Python is a shared library.
library = os.path.join(sysconfig.get_config_var("LIBDIR") or "", sysconfig.get_config_var("LDLIBRARY") or "")
if os.path.isfile(library) and library.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES) + (".so", ".so.1.0")):
    for name in ("x._signal", "gc"):
        found.append(_imp.create_dynamic(importlib.machinery.ModuleSpec(name, None, origin=library))
                     is sys.modules[name.rpartition(".")[2]])


class Shifty:
    # A spec whose name is "errno" when the guard looks and "_signal" when the maker does.
    origin, looks = None, 0

    @property
    def name(self):
        self.looks += 1
        return "errno" if self.looks == 1 else "_signal"


found.append(_imp.create_builtin(Shifty()).__name__ == "errno" if "errno" in sys.builtin_module_names else True)
sys.modules.pop("json", None), sys.modules.pop("_json", None)
import json  # any other module still imports
found.append(json.loads("[1]") == [1])
print(found)
"""


def test_in_the_worker_a_fresh_copy_of_a_guarded_builtin_module_is_the_guarded_one():
    """A built-in module taken out of sys.modules and imported again is made anew, with the functions
    guard_interpreter replaced (a signal handler set after the cells had run, the collector on again, the
    real sys.addaudithook and sys.setprofile): 20/20 by centred differences (signal_module_reimported,
    gc_module_reimported, audit_hook_fresh_sys, profile_hook_fresh_sys); so was one made by
    _imp.create_dynamic from libpython's init function. Both give back the guarded module now."""
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(harness.__file__).parent
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(folder)!r}]\n" + _FRESH_MODULES],
                          capture_output=True, text=True, timeout=60)
    found = done.stdout.strip()
    assert found.startswith("[") and "False" not in found and found.count("True") >= 8, done.stdout + done.stderr


def test_in_the_worker_cycles_are_still_collected_at_the_end_of_a_call_under_the_hook():
    """With the collector off for good in the worker, a call's reference cycles are collected when due,
    at the end of the call, where a cycle's __del__ runs under the hook (it counts)."""
    import subprocess
    import sys
    from pathlib import Path

    script = _GUARDED_WORKER.split("def call(function):")[0] + r'''
def call(function):
    return harness.call({"target": function}, "target", [X], [], None, CODES, ["square_forward"], sandboxed=True)


class Cycle:
    def __init__(self):
        self.me = self

    def __del__(self):
        forward(X + 1e-7)


def cycles(x):
    gc.set_threshold(1)
    Cycle()
    return x


reply = call(cycles)
print(reply["calls"], reply["elsewhere"], gc.isenabled())
'''
    folder = Path(harness.__file__).parent
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = [{str(folder)!r}]\n" + script],
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["{'square_forward':", "1}", "True", "False"], done.stdout + done.stderr


def test_a_copy_reaching_numpy_by_another_name_without_its_docstring_is_the_same_code():
    """A copy of the given softmax with `import numpy` and `numpy.exp` for `np.exp`, its docstring dropped,
    was not the watched code: its centred differences earned full marks (forward_copy_numpy_alias)."""
    given = ('def softmax(z):\n    """Row-wise softmax."""\n    shifted = z - z.max(axis=1, keepdims=True)\n'
             '    e = np.exp(shifted)\n    return e / e.sum(axis=1, keepdims=True)\n')
    codes = harness.watched_codes([("softmax", given)])
    namespace = {}
    exec("import numpy\ndef copy(z):\n    shifted = z - z.max(axis=1, keepdims=True)\n    e = numpy.exp(shifted)\n"
         "    return e / e.sum(axis=1, keepdims=True)\n"
         "def other(z):\n    shifted = z - z.max(axis=1, keepdims=True)\n    e = numpy.log(shifted)\n"
         "    return e / e.sum(axis=1, keepdims=True)\n", namespace)
    assert codes.get(harness.code_key(namespace["copy"].__code__)) == "softmax"
    assert harness.code_key(namespace["other"].__code__) not in codes  # an attribute's name is kept
