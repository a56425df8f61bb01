"""What a wrong answer says about itself: the known mistake that explains all
of it, or else what its structure shows next to the reference.

Everything here works from the values the student's function returned and
the grader's own facts (the reference, the case's parameters, the shapes), never
from text the student controls. It runs in the grader's process on arrays
only, and only says what the numbers prove: a true generic sentence rather
than a false specific one.

A known mistake is named when it explains the whole answer: in every case
where it differs from the reference, each output of the answer (passing
outputs too) equals the mistake's output within the tolerance that passing
uses, and nearer than it is to the reference; in every case where it does not
differ, the answer passes. A case that could not be compared (an exception, a
missing output) neither confirms nor refutes. When several mistakes explain
the answer, the one that fits best is named, or none when two fit equally.
"""

import re
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from autograder import specs, vocabulary
from autograder.gradcheck import holds_float32, rel_error

# An answer "agrees to float32 precision" within this relative error: about
# a hundred float32 roundings, far above float64 rounding (1e-15).
FLOAT32_AGREEMENT = 1e-5
FACTOR_MATCH = 1e-6  # a fitted factor is recognised as a named quantity within this relative distance
CLOSE = 1e-4  # below this, and above the pass tolerance, an answer is close but not right


@dataclass
class Attempt:
    """One case as the student's function answered it."""

    case: specs.Case
    args: tuple
    expected: dict  # output name -> the reference value
    returned: object  # what the function returned, as the worker sent it
    answer: dict | None  # output name -> the returned value; None when it could not be unpacked
    passed: dict  # output name -> whether that output passed
    rewrapped: bool = False  # the outputs were read from a list, or from a tuple of the wrong length
    listed: tuple = ()  # the outputs of several returned as lists (or tuples) of numbers, not arrays


def diagnose(question, attempts):
    """The diagnoses of a question's answers, as [{"mistake": ..., "hint": ...}], best first."""
    with np.errstate(all="ignore"):
        return _diagnose(question, attempts)


def diagnose_present(question, attempts):
    """The diagnoses of what a dict without some of the outputs' keys holds:
    the question read as one of only the outputs every case returned. Where
    the chain goes wrong is not said: that would need the outputs left out."""
    usable = [a for a in attempts if a.answer is not None]
    present = tuple(o for o in question.outputs if usable and all(o.name in a.answer for a in usable))
    if not present:
        return []
    names = [output.name for output in present]
    view = replace(question, outputs=present, unpack=specs.keys(*names), locations=(), optional_in_locations=())
    held = []
    for attempt in usable:
        values = {name: attempt.answer[name] for name in names}
        held.append(Attempt(attempt.case, attempt.args, attempt.expected, values, values,
                            {name: attempt.passed[name] for name in names}))
    return diagnose(view, held)


def _diagnose(question, attempts):
    attempts = [_rewrapped(question, attempt) for attempt in attempts]
    container = _container(question, attempts)
    usable = [a for a in attempts if a.answer is not None]
    if not any(not all(a.passed.values()) for a in usable):
        return container
    known = _known_mistake(question, usable)
    if known:
        return container + [known]
    return container + _structural(question, usable)


# --- the container: a list for an array, a tuple of the wrong length --------------------------

def _rewrapped(question, attempt):
    """The attempt with its outputs taken from a list or a tuple of the wrong length when that fits.

    A list read in the tuple's order is then diagnosed like the tuple; a reading
    that had to pick (some items of a longer tuple, a sequence for a dict) is
    used only when it makes every output right: otherwise it is a guess."""
    names = [output.name for output in question.outputs]
    values, guessed = None, False
    if attempt.answer is None:
        values, guessed = _reading(question, attempt.returned, attempt.expected, names)
    elif len(names) == 1 and isinstance(attempt.answer[names[0]], (list, tuple)):
        held = attempt.answer[names[0]]
        if not _holds_items(held, attempt.expected[names[0]]):
            values = {names[0]: held}
        else:  # the array among other items (return dx, cache): read as the array only when that one is right
            values, guessed = _sequence_fit(held, attempt.expected, names), len(held) != 1
            if values is None:
                return Attempt(attempt.case, attempt.args, attempt.expected, attempt.returned, None, {}, rewrapped=True)
    listed = () if values is not None or attempt.answer is None or len(names) == 1 else \
        tuple(name for name in names if isinstance(attempt.answer[name], (list, tuple)))
    if listed:  # each output read as the array its numbers make
        values = dict(attempt.answer)
    if values is None:
        if attempt.answer is None and _expects_dict(question) and _one_dict(attempt.returned) is not None:
            # A dict without some keys in a tuple: the container is still what to say first.
            return Attempt(attempt.case, attempt.args, attempt.expected, attempt.returned, None, {}, rewrapped=True)
        if attempt.answer is None and len(names) > 1 and isinstance(attempt.returned, (list, tuple)):
            # Too few items to hold every output (dx, dgamma without dbeta): the container alone is what is sure.
            return Attempt(attempt.case, attempt.args, attempt.expected, attempt.returned, None, {}, rewrapped=True)
        return attempt
    values = {name: _coerced(value) for name, value in values.items()}
    passed = {name: _agrees(question, name, values[name], attempt.expected[name]) for name in names}
    if guessed and not all(passed.values()):
        return Attempt(attempt.case, attempt.args, attempt.expected, attempt.returned, None, {}, rewrapped=True)
    return Attempt(attempt.case, attempt.args, attempt.expected, attempt.returned, values, passed, rewrapped=True, listed=listed)


def _holds_items(held, expected):
    """Whether a list or tuple returned where one array belongs holds other things than that array's numbers
    (`return dx, cache`, two arrays): np.asarray of it is not the array."""
    coerced = _coerced(held)
    return coerced is None or (coerced.shape != np.shape(expected) and any(isinstance(item, np.ndarray) for item in held))


def _expects_dict(question):
    try:
        question.unpack({output.name: None for output in question.outputs})
    except ValueError:
        return False
    return True


def _reading(question, returned, expected, names):
    """({name: value} read from a container of the wrong kind, or None; whether that reading is a guess)."""
    if isinstance(returned, dict):
        by_key = _by_key(returned, names)
        if by_key is not None or _expects_dict(question):
            return by_key, True
        return _sequence_fit(list(returned.values()), expected, names), True
    if isinstance(returned, (list, tuple)):
        inner = _inner_dict(returned, names) if _expects_dict(question) else None
        if inner is not None:
            return inner, True
        return _sequence_fit(returned, expected, names), len(returned) != len(names) or _expects_dict(question)
    return None, False


def _one_dict(returned):
    """The one dict among the items of a tuple or list of at most 12 (`return grads, dX`), or None."""
    if not isinstance(returned, (list, tuple)) or len(returned) > 12:
        return None
    dicts = [item for item in returned if isinstance(item, dict)]
    return dicts[0] if len(dicts) == 1 else None


def _inner_dict(returned, names):
    """{name: value} from the one dict among the items of a tuple or list (`return grads, dX`), or None."""
    inner = _one_dict(returned)
    if inner is None:
        return None
    if all(name in inner for name in names):
        return {name: inner[name] for name in names}
    return _by_key(inner, names)


def _plain_key(key):
    key = str(key).lower()
    for prefix in ("grad_", "grad", "d_", "d"):
        key = key.removeprefix(prefix)
    return key


def _by_key(returned, names):
    """{name: value} from a dict whose keys are the names spelled otherwise ('dW1', 'dgamma'), or None.
    The keys are the student's text: they are compared, never shown."""
    keys = {}
    for key in returned:
        keys.setdefault(_plain_key(key), []).append(key)
    if not all(len(keys.get(_plain_key(name), ())) == 1 for name in names):
        return None
    return {name: returned[keys[_plain_key(name)][0]] for name in names}


def _keys_missing(returned, names):
    """The names of `names` that no key of the dict `returned` spells, even otherwise ('dW1')."""
    if len(returned) > 10**4:
        return []
    plain = {_plain_key(key) for key in returned}
    return [name for name in names if name not in returned and _plain_key(name) not in plain]


def _sequence_fit(returned, expected, names):
    """{name: value} read from a list or tuple holding the outputs in order (perhaps among others), or None."""
    if not isinstance(returned, (list, tuple)) or len(returned) > 12:
        return None
    if len(returned) == len(names):
        return dict(zip(names, returned))
    # Each item's shape once: made anew for each of up to 792 choices, one item of 50,000 one-number lists took
    # 14 s of the grader's own time (diagnosis_combinations).
    shapes = [None if (array := _coerced(value)) is None else array.shape for value in returned]
    for chosen in combinations(range(len(returned)), len(names)):
        if all(shapes[i] == np.shape(expected[n]) for n, i in zip(names, chosen)):
            return {n: returned[i] for n, i in zip(names, chosen)}
    return None


def _coerced(value):
    """A float64 array of the value (an array, a number, a nested list of numbers), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.ndarray)) or (isinstance(value, (list, tuple)) and len(value) <= 10**5):
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            return None
        return array
    return None


def _agrees(question, name, value, expected):
    return value is not None and value.shape == np.shape(expected) and _error(question, name, value, expected) <= _tolerance(question, name)


def _container(question, attempts):
    """What to say about the container when the function returned the wrong kind of object."""
    names = [output.name for output in question.outputs]
    fixed = [a for a in attempts if a.rewrapped]
    if len(attempts) == len(question.cases) and all(a.answer is None and a.returned is None and not a.rewrapped for a in attempts):
        what = ("the dict with the keys " if _expects_dict(question) else
                "the tuple (" if len(names) > 1 else "") + ", ".join(names) + (")" if len(names) > 1 and not _expects_dict(question) else "")
        return [{"mistake": "returns None",
                 "hint": f"Every case returned None, what a function gives when it reaches its end without a return "
                         f"statement (or with a bare return): return {what}, as the function's docstring says "
                         f"({question.title!r} in the notebook)."}]
    if not fixed:
        return _lone(question, attempts)
    returned = fixed[0].returned
    listed = [name for name in names if any(name in a.listed for a in fixed)]
    if listed:
        one = len(listed) == 1
        what = f"returns {_and(listed)} as {'a list instead of a numpy array' if one else 'lists instead of numpy arrays'}"
        fix = f"Return {_and(listed)} as {'a numpy array (np.asarray of it)' if one else 'numpy arrays (np.asarray of each)'}."
    elif isinstance(returned, dict):
        what = "returns a dict with other keys than " + ", ".join(names) if _expects_dict(question) else \
            f"returns a dict instead of the tuple ({', '.join(names)})"
        fix = f"Return the dict with exactly the keys {', '.join(names)}." if _expects_dict(question) else \
            f"Return exactly the tuple ({', '.join(names)})."
    elif len(names) == 1 and _holds_items(returned, fixed[0].expected[names[0]]):
        kind = "list" if isinstance(returned, list) else "tuple"
        what = f"returns a {kind} of {vocabulary.count_text(len(returned))} instead of a numpy array"
        fix = f"Return {names[0]} alone, a numpy array of shape {_symbolic(question.outputs[0])}."
    elif len(names) == 1:
        shape = "a list" if isinstance(returned, list) else "a tuple"
        what = f"returns {shape} instead of a numpy array"
        fix = "Return a numpy array (np.asarray of it)."
    elif _expects_dict(question):
        kind = "list" if isinstance(returned, list) else type(returned).__name__
        holding = isinstance(returned, (list, tuple)) and any(isinstance(item, dict) for item in returned)
        what = f"returns a {kind} of {vocabulary.count_text(len(returned))} holding the dict instead of the dict alone" if holding else \
            f"returns a {kind} instead of a dict"
        held = _one_dict(returned)  # None when it holds several: none of them is the dict
        missing = _keys_missing(held, names) if held is not None else []
        lacking = f" (it has no key{'s' if len(missing) > 1 else ''} {_listing([repr(name) for name in missing])})" if missing else ""
        fix = f"Return the dict alone, with the keys {', '.join(names)}{lacking}." if holding else \
            f"Return a dict with the keys {', '.join(names)}."
    else:
        kind = "list" if isinstance(returned, list) else type(returned).__name__
        count = f" of {vocabulary.count_text(len(returned))}" if isinstance(returned, (list, tuple)) else ""
        what = f"returns a {kind}{count} instead of the tuple ({', '.join(names)})"
        fix = f"Return exactly the tuple ({', '.join(names)})."
    right = all(a.answer is not None and all(a.passed.values()) for a in fixed)
    verdict = "The values are right: only the container is wrong. " if right else ""
    return [{"mistake": what, "hint": f"{verdict}{fix[:-1]}, as the function's docstring says ({question.title!r} in the notebook)."}]


def _and(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _lone(question, attempts):
    """What to say when the function returned one array where a tuple of several belongs."""
    lone = [a for a in attempts if a.answer is None and isinstance(a.returned, np.ndarray)]
    if not lone or len(question.outputs) == 1:
        return []
    names = [output.name for output in question.outputs]
    matches = {next((n for n in names if _agrees(question, n, _coerced(a.returned), a.expected[n])), None) for a in lone}
    tuple_text = f"the tuple ({', '.join(names)})"
    if len(matches) == 1 and None not in matches:
        name = matches.pop()
        return [{"mistake": f"returns only {name} instead of {tuple_text}",
                 "hint": f"{name} is right: return {tuple_text}, as the function's docstring says ({question.title!r} in the notebook)."}]
    return [{"mistake": f"returns one array instead of {tuple_text}",
             "hint": f"Return {tuple_text}, as the function's docstring says ({question.title!r} in the notebook)."}]


# --- known mistakes ----------------------------------------------------------------------------

def _tolerance(question, name):
    output = _output(question, name)
    return specs.ATOL if output.zero_by_construction else specs.RTOL


def _output(question, name):
    return next(output for output in question.outputs if output.name == name)


def _error(question, name, value, reference):
    value, reference = _coerced(value), _coerced(reference)
    if value is None or reference is None or value.shape != reference.shape:
        return np.inf
    if _output(question, name).zero_by_construction:
        return float(np.max(np.abs(value - reference), initial=0.0))
    error = rel_error(value, reference)
    return error if np.isfinite(error) else np.inf


def _known_mistake(question, usable):
    """The known mistake explaining every usable case, or None (none or several equally)."""
    fits = []
    for mistake in question.mistakes:
        fit = _explains(question, mistake, usable)
        if fit is not None:
            fits.append((fit, mistake))
    if not fits:
        return None
    fits.sort(key=lambda item: item[0])
    best, mistake = fits[0]
    if len(fits) > 1 and fits[1][0] <= 10 * max(best, 1e-16):
        return None  # two mistakes explain it equally: naming one could be false
    return {"mistake": mistake.name, "hint": mistake.hint}


def _explains(question, mistake, usable):
    """The worst relative error of `mistake` against the answer if it explains every case, else None."""
    worst, differs_somewhere = 0.0, False
    for attempt in usable:
        try:
            wrong = question.unpack(mistake.variant(*attempt.args))
        except Exception:  # noqa: BLE001  (a variant that does not apply to this case)
            continue
        names = list(attempt.answer)
        differs = any(_error(question, n, wrong[n], attempt.expected[n]) > _tolerance(question, n) for n in names)
        if not differs:
            if not all(attempt.passed.values()):
                return None  # the mistake gives the right answer here, the student did not
            continue
        differs_somewhere = True
        for name in names:
            value = attempt.answer[name]
            if value is None:
                return None
            to_mistake = _error(question, name, value, wrong[name])
            if to_mistake > _tolerance(question, name):
                return None
            to_reference = _error(question, name, value, attempt.expected[name])
            if to_reference > _tolerance(question, name) and to_mistake >= to_reference:
                return None
            worst = max(worst, to_mistake / _tolerance(question, name))
    return worst if differs_somewhere else None


# --- structural diagnoses ------------------------------------------------------------------------

def _structural(question, usable):
    """One diagnosis per wrong output, from how it differs from the reference across the cases."""
    names = [output.name for output in question.outputs if output.weight > 0 or _ever_fails(usable, output.name)]
    wrong = [name for name in names if _ever_fails(usable, name)]
    found = []
    for name in wrong:
        finding = _output_finding(question, name, usable)
        if finding:
            found.append(finding)
    if len(names) > 1 and found:
        right = [name for name in names if name not in wrong and _output(question, name).weight > 0]
        lead = f"{_listing(right)} {'is' if len(right) == 1 else 'are'} right. " if right else ""
        found = _merged(wrong, _swaps(question, found))
        location = _location(question, wrong)
        if location:
            # Where the chain goes wrong says more than each output's "wrong"; specific findings stay.
            specific = [f for f in found if not f["mistake"].startswith("returns a wrong ")]
            if len(specific) == 1 and len(wrong) > 1 and specific == found:
                return [{"mistake": specific[0]["mistake"], "hint": lead + location[1] + " " + specific[0]["hint"]}]
            return [{"mistake": location[0], "hint": lead + location[1]}] + specific
        found[0] = {"mistake": found[0]["mistake"], "hint": lead + found[0]["hint"]}
    return found


_IN_PLACE_OF = re.compile(r"returns as (\S+) the gradient (\S+)(.*)")


def _swaps(question, found):
    """Two outputs each returned in the other's place, as one finding."""
    places = {m.group(1): (m.group(2), m.group(3)) for m in (_IN_PLACE_OF.fullmatch(f["mistake"]) for f in found) if m}
    for first, (second, rest) in places.items():
        if places.get(second, (None, None)) == (first, rest):
            pair = {f"returns as {first} the gradient {second}{rest}", f"returns as {second} the gradient {first}{rest}"}
            kept = [f for f in found if f["mistake"] not in pair]
            swapped = {"mistake": f"returns {first} and {second} in each other's place{rest}",
                       "hint": "Check the order of what you return, and of what you unpack from a function that returns "
                               f"several values ({question.title!r} in the notebook)."}
            return [swapped] + kept
    return found


def _merged(wrong, found):
    """The findings as one when every wrong output has the same one (all divided by (1-p))."""
    if len(wrong) < 2 or len(found) != len(wrong) or not all(f["mistake"].startswith(f"returns {n} ") for n, f in zip(wrong, found)):
        return found
    rests = {f["mistake"].removeprefix(f"returns {name} ") for name, f in zip(wrong, found)}
    if len(rests) != 1:
        return found
    return [{"mistake": f"returns {_listing(wrong)} {rests.pop()}", "hint": found[0]["hint"]}]


def _ever_fails(usable, name):
    return any(not a.passed.get(name, True) for a in usable)


def _in_cases(question, failing, passing):
    """'in the case ...', or 'in every case but ...' when that is shorter and true."""
    if len(passing) == 1 and len(failing) > 1 and len(failing) + 1 == len(question.cases):
        return f"in every case but '{passing[0].case.name}'"
    cases = _listing([f"'{a.case.name}'" for a in failing])
    return f"in {'the case' if len(failing) == 1 else 'the cases'} {cases}"


def _listing(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _location(question, wrong):
    for outputs, mistake, hint in question.locations:
        if set(wrong) <= set(outputs) and set(outputs) - set(wrong) <= set(question.optional_in_locations):
            return mistake, hint
    return None


def _output_finding(question, name, usable):
    """The diagnosis of one output that fails somewhere, qualified by its cases when some pass."""
    output = _output(question, name)
    failing = [a for a in usable if not a.passed[name]]
    nonfinite = [a for a in failing if _kind(question, output, a)[0] == "nonfinite"]
    rest = [a for a in usable if a not in nonfinite]
    if nonfinite and any(not a.passed[name] for a in rest):
        # NaN in some cases, another finding in the others: say both, each for its cases (an overflow on
        # large inputs, with that case's own hint, when those are the stress cases).
        found = _output_kind_finding(question, name, rest)
        failing = [a for a in rest if not a.passed[name]]
        hints = {a.case.stress_hint for a in nonfinite}
        why = hints.pop() if all(a.case.stress for a in nonfinite) and len(hints) == 1 and "" not in hints else \
            "look for a division by zero or a log of zero."
        found["hint"] += f" It returns NaN or infinity {_in_cases(question, nonfinite, [])}: {why}"
    else:
        found = _output_kind_finding(question, name, usable)
        if not found.get("qualify"):
            found = _two_findings(question, name, usable) or found
    if found.get("qualify") and len(failing) < len(usable):
        found["mistake"] += " " + _in_cases(question, failing, [a for a in usable if a.passed[name]])
    return {"mistake": found["mistake"], "hint": found["hint"]}


def _two_findings(question, name, usable):
    """When the failing cases fall into two groups with a specific finding each, both, each for its cases."""
    output = _output(question, name)
    failing = [a for a in usable if not a.passed[name]]
    passing = [a for a in usable if a.passed[name]]
    groups = {}
    for attempt in failing:
        groups.setdefault(_kind(question, output, attempt)[0], []).append(attempt)
    if len(groups) != 2:
        return None
    parts = []
    for group in groups.values():
        found = _output_kind_finding(question, name, group + passing)
        if not found.get("qualify") or not found["mistake"].startswith(f"returns {name} "):
            return None
        parts.append((found["mistake"].removeprefix(f"returns {name} ") + " " + _in_cases(question, group, []), found["hint"]))
    (first, hint), (second, _) = parts
    return {"mistake": f"returns {name} {first}, and {second}", "hint": hint}


def _output_kind_finding(question, name, usable):
    output = _output(question, name)
    failing = [a for a in usable if not a.passed[name]]
    passing = [a for a in usable if a.passed[name]]
    kinds = [_kind(question, output, a) for a in failing]
    stressed = [a for a in failing if a.case.stress]
    hint = output.hint
    # Right except on the cases with large inputs: numerical stability.
    if stressed and len(stressed) == len(failing) and any(not a.case.stress for a in passing):
        case = stressed[0].case
        nonfinite = all(k[0] == "nonfinite" for k in kinds)
        what = "NaN or infinity" if nonfinite else "wrong values"
        return {"mistake": f"returns {what} in {name} only for {case.stress}",
                "hint": case.stress_hint if nonfinite or not case.stress_values_hint else case.stress_values_hint}
    if {k[0] for k in kinds} == {"inverted", "zero"}:
        kinds = [("inverted", None)] * len(kinds)  # zero everywhere is an inverted mask where nothing was dropped
    first = kinds[0][0]
    if all(k[0] == first for k in kinds):
        if first == "nonfinite":
            hint = "Look for a division by zero, a log of zero or an exp that overflows. " + hint
            order = [case.name for case in question.cases]
            where = sorted(order.index(a.case.name) for a in failing)
            if len(failing) < len(question.cases) and where == list(range(where[0], len(order))):
                return {"mistake": f"returns NaN or infinity in {name} from the case '{order[where[0]]}' on", "hint": hint}
            return {"qualify": True, "mistake": f"returns NaN or infinity in {name}", "hint": hint}
        if first == "float32":
            return {"qualify": True, "mistake": f"returns {name} right to float32 precision only", "hint": FLOAT32_HINT}
        if first == "keepdims":
            return {"qualify": True, "mistake": f"returns {name} with an extra axis of length 1 (keepdims)",
                    "hint": f"The values are right once reshaped: {name} has the shape {_symbolic(output)}; sum without keepdims=True (or reshape)."}
        if first == "transposed":
            return {"qualify": True, "mistake": f"returns {name} transposed",
                    "hint": f"The values are right but transposed: {name} has the shape {_symbolic(output)}. " + hint}
        if first == "axis":
            sizes = _quantities(question, output, failing[0])
            length = float(np.size(failing[0].answer[name]))
            symbols = [symbol for symbol in sizes if sizes[symbol] == length and symbol in "NDHC"]
            what = f"of length {symbols[0]} instead of {output.axes[0]}" if len(symbols) == 1 and output.axes else "of the wrong length"
            return {"qualify": True, "mistake": f"returns {name} {what}",
                    "hint": f"{name} has the shape {_symbolic(output)}: a sum over the wrong axis gives another length. " + hint}
        if first == "missing":
            none = all(a.answer[name] is None for a in failing)
            return {"qualify": True, "mistake": f"returns {'None' if none else 'no numbers'} as {name}",
                    "hint": f"{name} must be a numpy array of shape {_symbolic(output)}. " + hint}
        if first == "zero":
            return {"qualify": True, "mistake": f"returns {name} as zero everywhere", "hint": hint}
        if first == "swapped" and len({k[1] for k in kinds}) == 1:
            other = kinds[0][1]
            return {"qualify": True, "mistake": f"returns as {name} the gradient {other}",
                    "hint": f"The value returned as {name} equals {other}: it is computed from the wrong tensor, or returned "
                            f"in the wrong place (check the order of what you return and unpack)." + (" " + hint if hint else "")}
        if first == "inverted":
            return {"qualify": True, "mistake": f"returns {name} non-zero exactly where the gradient is zero, and zero where it is not",
                    "hint": "A mask or condition is inverted: it selects the entries it should leave out. " + hint}
        if first == "zeroed":
            return {"qualify": True, "mistake": f"returns {name} zero at entries where the gradient is not",
                    "hint": "The other entries are right (up to a factor): a mask or a condition zeroes too much. " + hint}
        if first == "spurious":
            return {"qualify": True, "mistake": f"returns {name} non-zero where the gradient is zero",
                    "hint": "Entries that a mask or condition leaves out must get no gradient: apply it. " + hint}
        if first == "explained" and len({k[1] for k in kinds}) == 1:
            mistake, because = kinds[0][1]
            return {"qualify": True, "mistake": mistake, "hint": because + (" " + hint if hint else "")}
        if first == "terms":
            change = _consistent_terms([k[1] for k in kinds])
            if change:
                return {"qualify": True, "mistake": f"returns {name} with {change}", "hint": hint}
        if first == "factor":
            named = _consistent_factor(question, output, failing)
            if named == "-1":
                return {"qualify": True, "mistake": f"returns {name} with the sign flipped", "hint": hint}
            if named:
                return {"qualify": True, "mistake": f"returns {name} {_factor_phrase(named)}", "hint": f"A factor {named} too many or too few. " + hint}
            if all(np.size(a.answer[name]) == 1 for a in failing):
                pass  # any number is some multiple of another: an unnamed factor says nothing of a single number
            elif all(k[1] > 0 for k in kinds):
                return {"qualify": True, "mistake": f"returns {name} off by a constant factor", "hint": "The direction is right, the scale is not: look for a missing or extra constant. " + hint}
            elif all(k[1] < 0 for k in kinds):
                return {"qualify": True, "mistake": f"returns {name} off by a negative constant factor",
                        "hint": "The direction is reversed and the scale is off: look for a sign and a missing or extra constant. " + hint}
            else:
                return {"qualify": True, "mistake": f"returns {name} off by a constant factor",
                        "hint": "A multiple of the gradient, by another number in each case, in some of them negative: look for a sign and a missing or extra constant. " + hint}
        if first in ("rows", "columns"):
            axis = "example (row)" if first == "rows" else "column"
            return {"qualify": True, "mistake": f"returns {name} off by a different factor in each {axis}",
                    "hint": f"Each {axis} is a multiple of the right one: a per-{axis.split()[0]} scale (a sum, a mean, a parameter) is wrong. " + hint}
        if first == "close":
            return {"qualify": True, "mistake": f"returns {name} close to the gradient but not within rounding",
                    "hint": "A small term is off (an eps, a constant, a rounding to lower precision). " + hint}
        if first == "shape":
            return {"qualify": True, "mistake": f"returns {name} with the wrong shape", "hint": f"{name} has the shape {_symbolic(output)}. " + hint}
    if len(failing) < len(usable):
        return {"mistake": f"returns a wrong {name} {_in_cases(question, failing, passing)}",
                "hint": "The other cases are right: compare what differs in these. " + hint}
    return {"mistake": f"returns a wrong {name}", "hint": hint}


FLOAT32_HINT = ("The values agree with the gradient to about 7 digits, the precision of float32, not to float64's 16: "
                "the grader wants float64 (numpy's default; see Precision at the top of the notebook). "
                "Remove the float32 conversion (astype, dtype=np.float32).")


def _kind(question, output, attempt):
    """What one failing output is, next to the reference: (kind, detail)."""
    raw = attempt.answer[output.name]
    expected = np.asarray(attempt.expected[output.name], dtype=np.float64)
    value = _coerced(raw)
    if value is None:
        return ("missing", None)
    for other in question.outputs:
        # Agreeing with a gradient zero by construction says only that the value is (almost) zero.
        if (other.name != output.name and not other.zero_by_construction
                and _agrees(question, other.name, value, attempt.expected[other.name])):
            return ("swapped", other.name)
    if value.shape != expected.shape:
        if value.size == expected.size and np.all(np.isfinite(value)):
            if value.ndim == 2 and value.shape == expected.shape[::-1] and _agrees(question, output.name, value.T, expected):
                return ("transposed", None)
            if (np.squeeze(value).shape == np.squeeze(expected).shape
                    and _agrees(question, output.name, value.reshape(expected.shape), expected)):
                return ("keepdims", None)
        if value.ndim == expected.ndim == 1:
            return ("axis", None)
        return ("shape", None)
    if not np.all(np.isfinite(value)):
        return ("nonfinite", None)
    if is_float32(raw) and rel_error(value, expected) <= FLOAT32_AGREEMENT:
        return ("float32", None)
    if output.zero_by_construction:
        return ("wrong", None)
    if not np.any(value) and np.any(expected):
        return ("zero", None)
    zero, zero_here = expected == 0, value == 0
    if np.any(zero) and np.any(~zero):
        if np.all(zero_here[~zero]) and not np.any(zero_here[zero]):
            return ("inverted", None)
        if np.any(~zero_here[zero]) and _right_up_to_a_factor(value[~zero], expected[~zero]):
            return ("spurious", None)
    if np.any(zero_here & ~zero) and np.any(~zero_here & ~zero) and _right_up_to_a_factor(value[~zero_here], expected[~zero_here]):
        return ("zeroed", None)
    factor = _factor(value, expected)
    if factor is not None:
        return ("factor", factor)
    if output.explain is not None:
        explained = output.explain(*attempt.args, value)
        if explained:
            return ("explained", explained)
    if output.terms is not None:
        change = _term_change(question, output, attempt, value)
        if change:
            return ("terms", change)
    if value.ndim == 2:
        # N free factors fit an answer that is merely close along either axis: the axis whose factors
        # fit far better is named, neither when both fit about as well.
        fits = sorted((residual, kind) for kind, residual in
                      (("rows", _factors_along(value, expected, axis=1)), ("columns", _factors_along(value, expected, axis=0)))
                      if residual is not None)
        if len(fits) == 1 or (len(fits) == 2 and fits[0][0] * 100 <= fits[1][0]):
            return (fits[0][1], None)
    if rel_error(value, expected) <= CLOSE:
        return ("close", None)
    return ("wrong", None)


def _right_up_to_a_factor(value, expected):
    return rel_error(value, expected) <= specs.RTOL or _factor(value, expected) is not None


def is_float32(raw):
    """Whether a returned array holds float32 numbers (gradcheck.holds_float32, the self-checks' rule too)."""
    return isinstance(raw, np.ndarray) and holds_float32(raw)


def _factor(value, expected):
    """The least-squares scalar c with value = c * expected, when it fits within RTOL; else None."""
    norm = float(np.sum(expected * expected))
    if norm == 0:
        return None
    c = float(np.sum(value * expected)) / norm
    if c == 0 or abs(c - 1) <= CLOSE:
        return None  # no named quantity is that near 1: the answer is merely close
    return c if rel_error(value, c * expected) <= specs.RTOL else None


def _factors_along(value, expected, axis):
    """When each row (axis=1) or column (axis=0) of value is its own multiple of expected's, the
    fit's relative error; else None. Not when the multiples are all one number, or all so near 1
    that the answer is merely close (as for _factor): then they fit along either axis, whatever the mistake."""
    norm = np.sum(expected * expected, axis=axis, keepdims=True)
    if np.any(norm == 0):
        return None
    c = np.sum(value * expected, axis=axis, keepdims=True) / norm
    if np.ptp(c) <= specs.RTOL * np.max(np.abs(c)) or np.all(np.abs(c - 1) <= CLOSE):
        return None
    residual = rel_error(value, c * expected)
    return residual if residual <= specs.RTOL else None


def _quantities(question, output, attempt):
    """The case's named numbers (the sizes of the outputs' axes, and the spec's own factors) a factor may be made of."""
    found = {}
    for source in question.outputs:
        for symbol, size in zip(source.axes, np.shape(attempt.expected[source.name])):
            found.setdefault(symbol, float(size))
    if question.factors is not None:
        found.update(question.factors(attempt.case.params))
    return found


def _candidates(quantities):
    """Named factors, simplest first: {name: value}."""
    found = {"-1": -1.0, "2": 2.0, "1/2": 0.5}
    for name, value in quantities.items():
        found[name] = value
        found[f"1/{name}"] = 1 / value
    for (a, x), (b, y) in combinations(quantities.items(), 2):
        found[f"{a}/{b}"] = x / y
        found[f"{b}/{a}"] = y / x
    for name, n in quantities.items():  # a count less one where the count belongs (an unbiased variance)
        if len(name) == 1 and name.isupper() and n > 1:
            found[f"{name}/({name}-1)"], found[f"({name}-1)/{name}"] = n / (n - 1), (n - 1) / n
    for name, value in list(found.items()):
        if name != "-1":
            found.setdefault(f"-{name}", -value)
    return found


def _consistent_factor(question, output, failing):
    """The named factor that is the fitted factor in every failing case, when only one is: two names of
    the same number (H/N and (1-p)/p are both 7/3 when H = 7, N = 3 and p = 0.3) say nothing of which one
    the code has."""
    names = None
    # Passing cases do not refute a factor: it may come from a branch they do not take (eval mode).
    for attempt in failing:
        c = _kind(question, output, attempt)[1]
        table = _candidates(_quantities(question, output, attempt))
        fitting = {name for name, value in table.items() if abs(c - value) <= FACTOR_MATCH * abs(value)}
        names = fitting if names is None else names & fitting
    fitting = [name for name in _candidates(_quantities(question, output, failing[0])) if names and name in names]
    return fitting[0] if len(fitting) == 1 else None


def _factor_phrase(name):
    if name.startswith("1/"):
        return f"divided by {name[2:]}"
    return f"multiplied by {name}"


def _term_change(question, output, attempt, value):
    """How the answer recombines the reference's terms (each with coefficient 1): for each term
    whose coefficient is not 1, (its label, the phrases that say what it is instead, simplest
    first), or None when no recombination of the terms gives the answer."""
    table = _candidates(_quantities(question, output, attempt))
    terms = output.terms(*attempt.args)
    matrix = np.stack([np.ravel(np.broadcast_to(term, value.shape)) for _, term in terms], axis=1)
    coefficients, *_ = np.linalg.lstsq(matrix, np.ravel(value), rcond=None)
    if rel_error(matrix @ coefficients, np.ravel(value)) > specs.RTOL:
        return None
    changes = []
    for (label, _), c in zip(terms, coefficients):
        if abs(c - 1) <= CLOSE:
            continue
        phrases = [phrase for target, phrase in ((0.0, "missing"), (-1.0, "with the wrong sign"), (2.0, "counted twice"))
                   if abs(c - target) <= FACTOR_MATCH]
        phrases += [_factor_phrase(n) for n, v in table.items() if abs(c - v) <= FACTOR_MATCH * abs(v)]
        changes.append((label, tuple(phrases) + ("scaled wrongly",)))
    return tuple(changes) or None


def _consistent_terms(changes):
    """The changes of the terms in words, when every case changes the same terms and some phrase
    of each fits them in every case (N/D is 2 in one case, 3/2 in another: 'multiplied by N/D'), or ''."""
    labels = [label for label, _ in changes[0]]
    if any([label for label, _ in change] != labels for change in changes):
        return ""
    parts = []
    for index, label in enumerate(labels):
        common = [phrase for phrase in changes[0][index][1] if all(phrase in change[index][1] for change in changes)]
        # Two names of the same number (N/D is 1/2 when N = 3 and D = 6) say nothing of which one the code has.
        claims = {_SAME_CLAIM.get(phrase, phrase) for phrase in common if phrase != "scaled wrongly"}
        parts.append(f"{label} {common[0] if len(claims) <= 1 else 'scaled wrongly'}")
    return _listing(parts)


# A term's phrases that make one claim: a coefficient of 2 is the term counted twice.
_SAME_CLAIM = {"counted twice": "multiplied by 2", "with the wrong sign": "multiplied by -1"}


def _symbolic(output):
    """The output's shape in the notebook's symbols: (N, D), (D,), or () for a number."""
    return "(" + ", ".join(output.axes) + ("," if len(output.axes) == 1 else "") + ")"
