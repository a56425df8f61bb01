"""The call harness: how one graded call of a student's function runs, wherever
it runs. The native grader's worker (worker.py, in the sandbox) and otter's
hidden tests (otter.InProcessSession, in the student's own kernel) both call
`call` here, so that a call means the same in both.

During a call:
- each function named as an oracle is replaced by a stand-in (`stand_in`)
  that asks the grader whether this is the call the reference chain makes,
  and returns the reference's answer if so, else runs the student's own;
- every call of a watched function (the given forward passes, the gradient
  checker's helpers) is counted by its code, however the student reaches it
  (`watching`): through its name, a module attribute, an alias, a copy, or
  the same code pasted; and one that runs anywhere but at the case's own
  numbers (`at_own_point`) and returns anything but them (`returns_own`)
  is flagged: a backward pass has no use for a forward pass at a perturbed,
  batched, complex or dual-number input, which is how a derivative is taken
  numerically in one or two calls;
- an exception becomes text: the frames of the student's code and the
  message, bounded, with the type's name only when it is Python's or numpy's.

This module is copied into the worker's sandbox: it uses only the standard
library and numpy.
"""

import _signal
import _thread
import builtins
import gc
import inspect
import os
import signal
import sys
import time
import traceback
import types

import numpy

# Taken before any student code runs, which could replace sys's attributes.
_setprofile, _getprofile = sys.setprofile, sys.getprofile
_settrace, _gettrace = sys.settrace, sys.gettrace
# (signal.signal is a wrapper of _signal's, which it looks up when called: the C functions themselves.)
_signal_handler, _getsignal, _DEFAULT_INT_HANDLER = _signal.signal, _signal.getsignal, _signal.default_int_handler
_SIG_IGN, _ALL_SIGNALS = int(signal.SIG_IGN), signal.valid_signals()
# The built-in functions this module's functions call (any, all, abs, type, len...), a copy taken before
# any student code runs: a function takes its builtins from its module's __builtins__ when it is
# defined, and the student may replace those of the builtins module (builtins.any = lambda *a: True
# made every forward pass's arguments the case's own numbers, a numerical derivative full marks).
__builtins__ = dict(vars(builtins))
# How this module counts threads (thread_count), taken before any student code runs.
_listdir, _thread_count = os.listdir, _thread._count
# The collector's switches: a gc callback (or a cycle's __del__) runs student code whenever an allocation
# triggers a collection, after the call too, with the hook off (see call).
_gc_enable, _gc_disable, _gc_isenabled = gc.enable, gc.disable, gc.isenabled
_gc_collect, _gc_get_count, _gc_get_threshold = gc.collect, gc.get_count, gc.get_threshold
_gc_after_call = [None]  # whether the collector was on when the last call ended: restored when the next starts
# The last graded call's profiling hook, kept until the next call's is on: the frames it holds, dropped with it, hold
# the student's objects, whose __del__ or weakref callbacks would run with no hook at all.
_last_hook = [None]


# The interpreter's own switches a graded call's count depends on (guard_interpreter, in the worker's process only).
_guarded = [False]
_tampered = [False]  # the student's code called one of them during this graded call: it is unwatched
_held = [False]  # whether the student's signal handlers are gone and the collector off for good (hold_signals)


def guard_interpreter():
    """In the worker's process, before any student code runs: the interpreter's public switches that
    run code out of the profiling hook's sight do nothing during a graded call but make it unwatched:
    sys.setprofile (a hook saved, switched off and put back), sys.settrace (a trace function's code runs
    with the profiling hook suspended: it took the centred differences during the call, or from one
    installed at load time), sys.monitoring's callbacks where it exists, and gc.enable (a collection,
    and so a gc callback or a cycle's __del__, may run inside the hook, where profiling is suspended);
    sys.getprofile and sys.gettrace answer None, sys.addaudithook adds nothing (an audit hook ran on
    the harness's own os.listdir as a call started, before the hook was on). Once the cells have run
    (hold_signals), the signals the student handles are ignored and the collector is off for good: a
    handler runs wherever the interpreter checks for signals, inside the hook too and between the
    calls, out of its sight."""

    def switch(*args, **kwargs):
        _tampered[0] = True

    def nothing(*args, **kwargs):
        return None

    sys.setprofile = sys.settrace = switch
    sys.getprofile = sys.gettrace = nothing
    # An audit hook runs on the harness's own audited calls too, before the profiling hook is on (os.listdir
    # of the thread count, as a call starts): it read the call's arguments there and took their centred
    # differences. None is added in the worker.
    sys.addaudithook = switch
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is not None:
        for name in ("register_callback", "set_events", "set_local_events", "use_tool_id"):
            if hasattr(monitoring, name):
                setattr(monitoring, name, switch)
    def handle(signalnum, handler):  # (signal.signal calls it): once the cells have run, no handler of the student's
        if _held[0] and callable(handler) and handler is not _DEFAULT_INT_HANDLER:
            handler = _SIG_IGN
        return _signal_handler(signalnum, handler)

    _signal.signal = handle
    gc.enable = switch
    _keep_builtin_modules()
    _guarded[0] = True


# The built-in modules whose functions guard_interpreter replaces or the harness relies on. A built-in module taken
# out of sys.modules and imported again is made anew (multi-phase init; sys from the copy of its dict taken at start
# up), and so is one made by _imp.create_dynamic from libpython's init function (PyInit__signal, PyInit_gc): with the
# functions the guard replaced (a signal handler set after the cells had run, the collector on again, an audit hook).
_KEPT_MODULES = ("sys", "_signal", "gc", "_imp", "_thread", "builtins")


def _keep_builtin_modules():
    """In the worker, before any student code runs: the import system's makers of built-in and extension
    modules give back the guarded instance of each of _KEPT_MODULES (by the last part of the name, which
    names the init function), and make any other module from a spec of the harness's own (a spec whose
    `name` the student's property answers one way and then another cannot pass as something else)."""
    import _imp

    kept = {name: sys.modules[name] for name in _KEPT_MODULES if name in sys.modules}
    create_builtin, create_dynamic = _imp.create_builtin, _imp.create_dynamic
    spec_type = type(sys.__spec__)  # importlib's ModuleSpec

    def own_spec(spec):
        name, origin = spec.name, getattr(spec, "origin", None)
        if type(name) is not str or not (origin is None or type(origin) is str):
            raise TypeError("a module spec's name and origin must be strings")
        return name, spec_type(name, None, origin=origin)

    def guarded_builtin(spec):
        name, plain = own_spec(spec)
        module = kept.get(name)
        return module if module is not None else create_builtin(plain)

    def guarded_dynamic(spec, *file):
        name, plain = own_spec(spec)
        module = kept.get(name.rpartition(".")[2])
        return module if module is not None else create_dynamic(plain, *file)

    _imp.create_builtin, _imp.create_dynamic = guarded_builtin, guarded_dynamic


def _handled():
    """The signals a handler of the student's would be called for (not Python's own SIGINT handler)."""
    found = []
    for number in _ALL_SIGNALS:
        try:
            handler = _getsignal(number)
        except (OSError, ValueError):
            continue
        if callable(handler) and handler is not _DEFAULT_INT_HANDLER:
            found.append(number)
    return found


def hold_signals():
    """In the worker, once the cells have run: ignore, for good, every signal a handler of the student's
    is set for (and any set later: guard_interpreter), and switch the collector off. A signal left to its
    default action still ends the process, as it would have."""
    if _guarded[0] and not _held[0]:
        for number in _handled():  # ignored rather than blocked: a thread not blocking it would take it all the same
            _signal_handler(number, _SIG_IGN)
        _gc_disable()
        _held[0] = True


def thread_count():
    """How many threads this process runs, by the kernel's count (/proc/self/task: a thread started
    through ctypes or a C extension too) and by Python's (_thread's), whichever is larger; both
    functions taken at import, before any student code runs."""
    try:
        tasks = len(_listdir("/proc/self/task"))
    except OSError:
        tasks = 1
    return max(tasks, _thread_count() + 1)


# The threads of the worker's process before any student code ran (watch_threads; a fork leaves one).
# A graded call that starts or ends with more alive is unwatched: a thread started at load time, in a
# definition cell, and fed forward passes to run during the call, runs them without the profiling hook
# that counts (sys.setprofile is the calling thread's). None in a process whose own threads come and go
# (otter's kernel, a test run): there only a thread started during the call is seen.
_baseline_threads = [None]


def watch_threads():
    """From now on, a graded call in this process is unwatched while more threads than now are alive."""
    _baseline_threads[0] = thread_count()


def _more_threads():
    return _baseline_threads[0] is not None and thread_count() > _baseline_threads[0]


# How a thread starts, whatever module the student reaches it through: a thread runs without the
# profiling hook that counts (sys.setprofile is the calling thread's).
_THREAD_STARTERS = tuple(getattr(_thread, name) for name in ("start_new_thread", "start_joinable_thread")
                         if hasattr(_thread, name))
# The interpreter's switches of the profiling hook and of a trace function, called during a graded call through any
# name (otter's kernel, where guard_interpreter does not replace them): the call is unwatched, as for a thread.
_UNWATCHING = _THREAD_STARTERS + (_setprofile, _settrace)


# The opcodes that name a global: a copy of a forward pass that reaches numpy by another name (import numpy;
# numpy.exp) computes the same, and so is the same function.
_OPCODES = __import__("dis").opmap
_EXTENDED_ARG, _LOAD_GLOBAL = _OPCODES["EXTENDED_ARG"], _OPCODES["LOAD_GLOBAL"]
_NAMED_GLOBAL = {_OPCODES[name] for name in ("STORE_GLOBAL", "DELETE_GLOBAL") if name in _OPCODES}
_LOAD_GLOBAL_SHIFT = 1 if sys.version_info >= (3, 11) else 0
_CO_OPTIMIZED = inspect.CO_OPTIMIZED  # LOAD_GLOBAL's low bit says whether it pushes a NULL


def _global_names(code):
    """The indices in co_names of the names `code` reads or writes as globals (by its bytecode, 2 bytes
    an instruction; read with this module's own builtins: dis would call the student's)."""
    found, extended, raw = set(), 0, code.co_code
    for at in range(0, len(raw) - 1, 2):
        opcode, argument = raw[at], raw[at + 1] | extended
        extended = argument << 8 if opcode == _EXTENDED_ARG else 0
        if opcode == _LOAD_GLOBAL:
            found.add(argument >> _LOAD_GLOBAL_SHIFT)
        elif opcode in _NAMED_GLOBAL:
            found.add(argument)
    return found


def code_key(code):
    """What makes two code objects the same function, whatever their name,
    file, line numbers, local variables' names (a copy of the code with its
    locals renamed computes the same; only the count of each kind is kept)
    the names of the globals it reads (numpy as np or as numpy) or its docstring."""
    consts = tuple(_const_key(c) for c in code.co_consts)
    if code.co_flags & _CO_OPTIMIZED and consts and consts[0] in (("str", repr(code.co_consts[0])), ("NoneType", "None")):
        consts = ("docstring", *consts[1:])  # a function's first constant is its docstring, or None: a copy may drop it
    globals_ = _global_names(code)
    names = tuple("" if index in globals_ else name for index, name in enumerate(code.co_names))
    return (code.co_code, names, len(code.co_varnames), len(code.co_freevars), len(code.co_cellvars),
            code.co_argcount, code.co_kwonlyargcount, consts)


_CONSTANTS = (int, float, complex, str, bytes, bool, type(None), type(Ellipsis))


def _const_key(value, depth=0):
    """A code object's constant, by its exact type and repr: only the types the compiler makes (the student
    may build a code object with any constants, whose __repr__ would run inside the profiling hook)."""
    kind = type(value)
    if kind is types.CodeType:
        return code_key(value)
    if kind in _CONSTANTS:
        return (kind.__name__, repr(value))
    if depth < _MAX_NESTING and kind in (tuple, frozenset):
        items = tuple(_const_key(item, depth + 1) for item in value)
        return (kind.__name__, tuple(sorted(items, key=repr)) if kind is frozenset else items)
    return ("object", id(value))


def _prefilter(code):
    return code.co_argcount, code.co_nlocals


def watched_codes(sources):
    """{code key: name} of the watched functions' sources ([(name, source), ...])."""
    names = {}
    # Python compiles `np.f(...)` one way where the same cell imports np, another elsewhere.
    for context in ("", "import numpy as np\n"):
        for name, source in sources:
            for code in compile(context + str(source), "<watched>", "exec").co_consts:
                if isinstance(code, types.CodeType) and code.co_name == name:
                    names[code_key(code)] = str(name)
    return names


_PLAIN = (bool, int, float, str, type(None))
# numpy's types as the harness was imported with them: the student's code may rebind numpy's attributes.
_NDARRAY, _GENERIC, _NUMBER, _GENERATOR = numpy.ndarray, numpy.generic, numpy.number, numpy.random.Generator
_EMPTY = numpy.empty
_MAX_NESTING = 8  # a forward pass's arguments: arrays, a cache dict, a parameter dict
# How far a row may be from another (or from it less a constant), relative to the rows' largest numbers:
# the rounding of z - z.max(axis=1, keepdims=True). A finite difference with a step this small is all rounding.
_ROUNDING = 8 * float(numpy.finfo(numpy.float64).eps)


def own_numbers(args):
    """Copies of the numeric arrays a graded call was given (its arguments
    and their caches), by (shape, dtype): the case's own point, taken before
    the student's code can change them in place."""
    found = {}

    def visit(value, depth):
        kind = type(value)
        if kind is _NDARRAY and value.dtype.kind in "iuf":
            copy = value.copy()
            found.setdefault((value.shape, value.dtype), []).append(copy)
            if value.ndim >= 1:
                for row_shape in (value.shape[1:], (1, *value.shape[1:])):
                    found.setdefault(("rows", row_shape, value.dtype), []).append(copy)
        elif depth < _MAX_NESTING and kind in (list, tuple):
            for item in value:
                visit(item, depth + 1)
        elif depth < _MAX_NESTING and kind is dict:
            for item in value.values():
                visit(item, depth + 1)

    visit(args, 0)
    return found


def _is_number(value):
    # By the exact type's class hierarchy: isinstance reads a `__class__` the student may define, code that
    # would run inside the profiling hook, out of its sight.
    kind = type(value)
    return issubclass(kind, (int, float, _NUMBER)) and kind is not bool


def _apart_by_rounding(value, given, row_shift):
    """Whether the floating-point `value` differs from `given` by rounding only: in each row (along
    the last axis), no entry further from it (with `row_shift`: from it less a constant for the
    row) than _ROUNDING times the rows' largest numbers."""
    if value.dtype.kind != "f" or value.ndim == 0:
        return False
    # ndarray's own methods and operators: numpy's module functions are the student's to replace.
    off = value - given
    deviation = off.max(axis=-1) - off.min(axis=-1) if row_shift else abs(off).max(axis=-1)
    scale = abs(value).max(axis=-1) + abs(given).max(axis=-1)
    return bool((deviation <= _ROUNDING * scale).all())


def _within_rounding(value, given):
    """Whether `value` equals `given` up to rounding."""
    return bool((value == given).all()) or _apart_by_rounding(value, given, row_shift=False)


def _same_numbers(value, given, row_shift):
    """Whether `value` equals `given`; with `row_shift`, or differs from it by a constant in each row,
    up to the rounding of that subtraction."""
    return bool((value == given).all()) or (row_shift and _apart_by_rounding(value, given, row_shift=True))


def returns_own(value, own, depth=0):
    """Whether what a forward pass returned holds nothing but the case's own numbers (`own`, from
    own_numbers): each number in it an integer or floating-point array equal, up to rounding, to
    one the graded call was given or to one row of one; in tuples, lists and dicts, with bools,
    strings and None beside them (a cache's flags). No plain number, no constant, boolean or other
    array, no None for the whole (an exception's return): a call at another point that gives back
    only what the student was given tells nothing of a derivative (a normalised exponential of
    the logarithm of its own given output is that output), any
    other result may."""
    kind = type(value)
    if kind is _NDARRAY:
        if value.dtype.kind not in "iuf" or value.size <= 1:
            return False
        return (any(_within_rounding(value, given) for given in own.get((value.shape, value.dtype), ()))
                or any(_within_rounding(value, row)
                       for given in own.get(("rows", value.shape, value.dtype), ()) for row in given))
    if depth == 0 and value is None:
        return False
    if depth > 0 and (kind in (bool, str) or value is None):
        return True
    if depth < _MAX_NESTING and kind in (list, tuple):
        return len(value) > 0 and all(returns_own(item, own, depth + 1) for item in value)
    if depth < _MAX_NESTING and kind is dict:
        return len(value) > 0 and all(returns_own(item, own, depth + 1) for item in value.values())
    return False


def at_own_point(value, own, depth=0, row_shift=False):
    """Whether an argument of a forward pass holds only the case's own
    numbers (`own`, from own_numbers): plain scalars, boolean arrays (masks),
    constant or single-number arrays, a random generator, and integer and
    floating-point arrays equal to one the graded call was given (labels,
    inputs); dicts of those, and lists and tuples of those but numbers (a
    list of floats is an array in disguise). Anything else (a perturbed or
    batched copy, integers standing for scaled reals, another dtype, complex
    numbers, an object array of dual numbers, an object of the student's) is
    another point.

    With `row_shift`, for a forward pass that a constant subtracted from
    each row does not change (a normalised exponential), a given array so
    shifted is its own point too: the call gives what it gives there, and so
    tells nothing of a derivative. Never for any other function: a constant
    added to every entry of an elementwise one is a numerical derivative of
    all its entries at once."""
    kind = type(value)
    if kind in _PLAIN or kind is _GENERATOR:
        return True
    if issubclass(kind, _GENERIC):
        return value.dtype.kind in "biuf"
    if kind is _NDARRAY:
        if value.dtype.kind == "b":
            return True
        if value.dtype.kind not in "iuf":
            return False
        # ndarray's own methods: numpy's module functions are the student's to replace.
        if value.size <= 1 or bool((value == value.flat[0]).all()):
            return True
        if any(_same_numbers(value, given, row_shift) for given in own.get((value.shape, value.dtype), ())):
            return True
        # A given matrix transposed: the same numbers, rearranged (a row-wise forward pass applied to the
        # columns, a wrong answer), which no step separates from the case's own: a call there tells nothing of a derivative.
        if value.ndim == 2 and any(_same_numbers(value, given.T, row_shift)
                                   for given in own.get((value.shape[::-1], value.dtype), ()) if given.ndim == 2):
            return True
        # One row of a given array: a loop over the examples calling a forward pass on each is a backward pass.
        return any(_same_numbers(value, row, row_shift)
                   for given in own.get(("rows", value.shape, value.dtype), ()) for row in given)
    if depth < _MAX_NESTING and kind in (list, tuple):
        return all(not _is_number(item) and at_own_point(item, own, depth + 1, row_shift) for item in value)
    if depth < _MAX_NESTING and kind is dict:
        return all(at_own_point(item, own, depth + 1, row_shift) for item in value.values())
    return False


_POINTS_KEPT = 4096  # the distinct points a graded call's repeats are told from; later ones all count


def _point_key(value, depth=0):
    """A hashable digest of an argument already found at_own_point, the same for the same numbers
    (an array by its shape, dtype and bytes); None for anything it cannot tell apart (a generator)."""
    kind = type(value)
    if kind in _PLAIN:
        return (kind.__name__, repr(value))
    if issubclass(kind, _GENERIC):
        return ("scalar", value.dtype.str, value.tobytes())
    if kind is _NDARRAY:
        return ("array", value.shape, value.dtype.str, hash(value.tobytes()))
    if depth < _MAX_NESTING and kind in (list, tuple):
        keys = tuple(_point_key(item, depth + 1) for item in value)
        return None if None in keys else (kind.__name__, keys)
    if depth < _MAX_NESTING and kind is dict:
        # A key's own repr only for the exact plain types: any other's is the student's code.
        keys = tuple((repr(key) if type(key) in _PLAIN else None, _point_key(item, depth + 1))
                     for key, item in value.items())
        if any(key is None for key, _ in keys):
            return None
        return None if any(key is None for _, key in keys) else ("dict", keys)
    return None


def _arguments(frame):
    code = frame.f_code
    names = code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]
    local = frame.f_locals
    return [local.get(name) for name in names]


def watching(codes, watched, calls, own=None, elsewhere=None, threads=None, row_shift_invariant=(), nested=None,
             repeats=None):
    """A profiling hook counting in calls[name] every call of code equal to
    that of a watched function (those of `codes`, {code key: name}, named in
    `watched`), in nested[name] those of them made by a watched function's
    own frame (a layer's call of the function it wraps: part of the outer
    call), and in repeats[name] the others made at the case's own numbers
    with the very arguments of an earlier such call: the first of each other
    watched function there, and any of the same function that returns the
    very same result as its first (the same evaluation again: a numerical
    gradient needs distinct points, or a forward pass whose numpy was made to
    give another result each time); given the case's `own` numbers (own_numbers), appending
    to `elsewhere` the name of the first such call whose arguments are not
    all at_own_point (up to a shift of each row for those named in
    `row_shift_invariant`) and whose result is not returns_own (decided when
    it returns); and to `threads` the first thread started, whose code the
    hook does not see."""
    watched = set(watched)
    row_shift_invariant = set(row_shift_invariant)
    names = {key: name for key, name in codes.items() if name in watched}
    shapes = {(key[5], key[2]) for key in names}
    known = {}  # id(code) -> (code, its watched name or None); the code is kept so that its id is not reused
    pending = {}  # id(frame) -> (frame, name): a watched call at another point, judged by what it returns
    points = {}  # _point_key of the arguments of a call at the case's own numbers -> {name: _point_key of its result}
    at_points = {}  # id(frame) -> (frame, name, its arguments' key): a call at the case's own numbers, until it returns

    def hook(frame, event, arg):
        if event == "return":
            waiting = pending.pop(id(frame), None) if pending else None
            if waiting is not None and waiting[0] is frame and not elsewhere and not returns_own(arg, own):
                elsewhere.append(waiting[1])
            point = at_points.pop(id(frame), None) if at_points else None
            result = _point_key(arg) if point is not None and point[0] is frame and arg is not None else None
            if result is not None:
                results = points.get(point[2])
                if results is None:
                    if len(points) < _POINTS_KEPT:
                        points[point[2]] = {point[1]: result}
                elif point[1] not in results:  # a point another watched function was called at
                    results[point[1]] = result
                    repeats[point[1]] = repeats.get(point[1], 0) + 1
                elif results[point[1]] == result:  # the same function, arguments and result: the same evaluation
                    repeats[point[1]] = repeats.get(point[1], 0) + 1
            return
        if event != "call":
            if event == "c_call" and threads is not None and not threads and arg in _UNWATCHING:
                threads.append(arg)
            return
        code = frame.f_code
        seen = known.get(id(code))
        if seen is None or seen[0] is not code:
            name = names.get(code_key(code)) if _prefilter(code) in shapes else None
            seen = known[id(code)] = (code, name)
        if seen[1] is not None:
            calls[seen[1]] = calls.get(seen[1], 0) + 1
            caller, inner = frame.f_back, False
            if nested is not None and caller is not None:
                outer = known.get(id(caller.f_code))
                if outer is not None and outer[0] is caller.f_code and outer[1] is not None:
                    nested[seen[1]] = nested.get(seen[1], 0) + 1
                    inner = True
            # The first call elsewhere is enough: the others cost the student no more time in this hook.
            if elsewhere is not None and not elsewhere:
                row_shift = seen[1] in row_shift_invariant
                arguments = _arguments(frame)
                if not all(at_own_point(arg, own, row_shift=row_shift) for arg in arguments):
                    pending[id(frame)] = (frame, seen[1])
                elif repeats is not None and not inner:
                    key = _point_key(arguments)
                    if key is not None:
                        at_points[id(frame)] = (frame, seen[1], key)

    hook.pending = pending  # a call still waiting for its result when the graded call ends ran at another point
    return hook


def stand_in(name, own, ask):
    """A stand-in for the student's function `name` during a call: the
    grader's reference answer for the call the reference chain makes, else
    the student's `own`. ask(name, args) -> {"value": v}, {"own": True},
    {"error": text}, or None when the arguments cannot be asked about."""

    def own_function(args, kwargs=None):
        if not callable(own):
            raise NameError(f"name {name!r} is not defined")
        return own(*args, **(kwargs or {}))

    def ask_grader(*args, **kwargs):
        if kwargs:  # the reference calls positionally: keywords in the order of the student's own signature
            try:
                args = inspect.signature(own).bind(*args, **kwargs).args
            except (TypeError, ValueError):
                return own_function(args, kwargs)
        if not all(isinstance(arg, (numpy.ndarray, dict)) for arg in args):
            return own_function(args)  # the reference's calls pass arrays and caches only
        reply = ask(name, list(args))
        if reply is None or reply.get("own"):
            return own_function(args)
        if reply.get("error"):
            raise ValueError(f"{name} (the reference standing in for yours): {reply['error']}")
        return reply["value"]

    ask_grader.__name__ = name
    return ask_grader


_PLAIN_DEPTH = 32  # wire.py's nesting limit: anything deeper is refused there before any of its code runs


class Unsendable:
    """In a worker's result, what stood there: an object the wire does not send (it refuses this by its type)."""

    __slots__ = ()


_UNSENDABLE = Unsendable()


def plain(value, depth=0, sendable=False):
    """What a graded call returned, rebuilt from the exact built-in and numpy types while the
    profiling hook still counts: a subclass of tuple, list, dict, str, int or float (or of ndarray)
    has methods of the student's (__iter__, items, __float__), which ran unwatched, after the call,
    when the worker encoded the result or otter's checks read it (a tuple whose __iter__ took the
    centred differences earned full marks). Any other object is left as it is (the wire refuses it
    by its type, without calling it); with `sendable` (the worker's result, which the wire must send),
    it is replaced by one of the harness's own (Unsendable), and an array of objects by one of Nones
    of its shape and dtype: none of the student's objects outlives the call in the worker's hands,
    where its __del__ would run unwatched."""
    kind = type(value)
    if kind in _PLAIN or depth > _PLAIN_DEPTH:
        return value
    if kind is _NDARRAY or isinstance(value, _NDARRAY):
        if sendable and value.dtype.hasobject:  # its shape and dtype, not the student's objects: Nones
            return _EMPTY(value.shape, _NDARRAY.view(value, _NDARRAY).dtype)
        if kind is _NDARRAY:
            return _NDARRAY.copy(value)  # the student keeps the original, which code of theirs may change later
        return _NDARRAY.copy(_NDARRAY.view(value, _NDARRAY))
    if isinstance(value, _GENERIC):
        return _EMPTY((), value.dtype)[()] if sendable and value.dtype.hasobject else value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (list, tuple)):
        items = [plain(item, depth + 1, sendable) for item in value]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        return {plain(key, depth + 1, sendable): plain(item, depth + 1, sendable) for key, item in value.items()}
    return _UNSENDABLE if sendable else value


def student_traceback(error, is_students=lambda filename: True):
    """The exception's type, message and the last frames of the student's
    code (those whose file name `is_students`), bounded; never the harness's own."""
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename != __file__ and is_students(frame.filename)
    ]
    lines = traceback.format_list(frames[-6:])
    try:
        message = "".join(traceback.format_exception_only(type(error), error)).strip()
    except BaseException:  # a hostile __str__
        message = type(error).__name__
    if isinstance(error, SystemExit):
        message = f"SystemExit: the code called exit({str(error.code)[:100]})"
    if len(message) > 500:
        message = message[:500] + " [...]"
    return "".join(lines)[-3000:] + message


def _numpy_exceptions():
    """numpy's own exception classes that are not named by the grader (the UFuncTypeError a ufunc raises on a
    string operand, the _ArrayMemoryError of an array too large), as the harness was imported with them."""
    modules = [numpy.exceptions, getattr(getattr(numpy, "_core", None), "_exceptions", None)]
    return frozenset(value for module in modules if module is not None for value in vars(module).values()
                     if isinstance(value, type) and issubclass(value, BaseException))


_NUMPY_EXCEPTIONS = _numpy_exceptions()


def exception_name(error):
    """The name of the error's type when it is Python's or numpy's own (a class the student made can take any name).
    numpy's others are named by their nearest built-in base (a UFuncTypeError is a TypeError): a name of the same
    closed set, which says what kind of error it was."""
    kind = type(error)
    if getattr(builtins, kind.__name__, None) is kind or kind in (numpy.linalg.LinAlgError, numpy.exceptions.AxisError):
        return kind.__name__
    if kind in _NUMPY_EXCEPTIONS:
        return next((base.__name__ for base in kind.__mro__ if getattr(builtins, base.__name__, None) is base), None)
    return None


def _collect_due():
    """In the worker, where the collector is off once the cells have run (hold_signals): the collection
    it would have made by now, made here, at the end of a call, under the hook that counts."""
    counts, thresholds = _gc_get_count(), _gc_get_threshold()
    for generation in (2, 1, 0):
        if thresholds[0] and counts[generation] >= thresholds[generation]:
            _gc_collect(generation)
            return


def _clear(value, depth=0):
    """Empty the lists and dicts of a call's arguments (the worker's own decoded copies), at every depth."""
    kind = type(value)
    if depth <= _PLAIN_DEPTH and kind in (list, dict):
        for item in list(value.values() if kind is dict else value):
            _clear(item, depth + 1)
        value.clear()


def call(namespace, function, args, oracles, ask, codes, watched, is_students=lambda filename: True,
         row_shift_invariant=(), sandboxed=False):
    """One call of namespace[function](*args), with the functions named in
    `oracles` standing in (asking with `ask`) and the `watched` ones of
    `codes` counted (those of `row_shift_invariant` at their own point up to a
    shift of each row); the reply the grader checks (worker.py's "result")."""
    started = time.perf_counter()
    value, error, exception, calls, nested, repeats, unwatched, elsewhere = None, None, None, {}, {}, {}, False, []
    target = namespace.get(function)
    if not callable(target):
        return {"value": None, "error": f"NameError: name {function!r} is not defined",
                "exception": "NameError", "missing": True, "calls": calls, "seconds": 0.0}
    saved = {name: namespace.get(name) for name in oracles}
    namespace.update({name: stand_in(name, own, ask) for name, own in saved.items()})
    threads = ["alive at the call's start"] if _more_threads() else []
    hook = watching(codes, watched, calls, own_numbers(args), elsewhere, threads, row_shift_invariant, nested, repeats)
    streams = sys.stdout, sys.stderr
    if sandboxed:
        hold_signals()
    _tampered[0] = False
    # A trace function's code runs with the profiling hook suspended: none runs during a call. (Otter's kernel may
    # have one of its own, a debugger's or coverage's: it is put back after the call.)
    tracer = _gettrace()
    if tracer is not None:
        _settrace(None)
    # From the hook's start to its end, and never outside: whatever of the student's runs when the collector
    # is switched on again, a signal held since the last call is delivered, the exception is formatted, or the
    # student's objects are dropped (__del__, weakref callbacks) runs under the hook that counts.
    _setprofile(hook)
    try:
        _last_hook[0] = hook  # the last call's hook (and the frames it holds) dropped under this one
        if _gc_after_call[0] and not _held[0]:
            _gc_enable()
        try:
            value = plain(target(*args), sendable=sandboxed)
        except BaseException as caught:  # noqa: BLE001  (SystemExit and KeyboardInterrupt too: the student's)
            error, exception = student_traceback(caught, is_students), exception_name(caught)
        target = None
        for name, own in saved.items():
            if own is None:
                namespace.pop(name, None)
            else:
                namespace[name] = own
        sys.stdout, sys.stderr = streams
        if sandboxed:  # what the student left in the worker's copies is dropped now, not when the next request comes
            _clear(args)
        if _held[0]:
            _collect_due()
    except BaseException as caught:  # noqa: BLE001  (a hostile object's __del__, a signal's handler raising)
        error, exception = student_traceback(caught, is_students), exception_name(caught)
    finally:
        # No collection until the next call: a gc callback the student registered (fed any allocation by
        # gc.set_threshold(1)) filled the returned array with centred differences after the hook was off.
        _gc_after_call[0] = _gc_isenabled()
        _gc_disable()
        try:
            unwatched = _getprofile() is not hook or bool(threads) or _more_threads() or _tampered[0] or \
                _gettrace() is not None
        except BaseException:  # noqa: BLE001  (an audit hook of the student's raising in the thread count: otter's)
            unwatched = True
        if hook.pending and not elsewhere:
            elsewhere.append(next(iter(hook.pending.values()))[1])
        _setprofile(None)
        _settrace(None if _guarded[0] else tracer)
    return {"value": value, "error": error, "exception": exception, "missing": False, "calls": calls,
            "nested": nested, "repeats": repeats, "unwatched": unwatched, "elsewhere": bool(elsewhere), "seconds": time.perf_counter() - started}
