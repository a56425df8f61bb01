"""What a worker may say, checked before the grader uses any of it.

Every frame a child sends is the student's to forge: the child runs the
student's code and can write anything on its socket. Each request the
grader makes allows one conversation (see worker.py): "started" for each
item in order, for a call the stand-in's "oracle" questions and one
"result" per item, then "done". A message out of that order, a field of the
wrong type or out of range, or a text longer than the worker itself ever
writes is refused (Invalid), and sandbox.Worker ends the child for breaking
the protocol. What passes is rebuilt from the checked fields alone, so the
session and the checks only ever see validated values.

The size of every frame is bounded too, before it is read: by what the
request can need in reply (frame_limit).
"""

import math

OUTPUT_LIMIT = 25_000   # characters: the worker keeps 20,000 of what the code printed, and a note
ERROR_LIMIT = 5_000     # characters: the worker's traceback text is at most 3,500
NAME_LIMIT = 100        # characters: an exception's type name (vocabulary.py shows only names of its own table)
MAX_ORACLE_ARGS = 16
FRAME_SLACK = 4 * 1024 * 1024  # a notebook's cells' errors and output, JSON-escaped, with room
FRAME_FACTOR = 4        # a reply (gradients, a cell's errors) is of the order of what was sent


class Invalid(Exception):
    """A message the worker has no business sending now."""


def frame_limit(request_bytes):
    """The largest frame a reply to a request of `request_bytes` may be."""
    return FRAME_SLACK + FRAME_FACTOR * request_bytes


def _text(value, limit, what):
    if not isinstance(value, str) or len(value) > limit:
        raise Invalid(f"a {what} that is not a text of at most {limit} characters")
    return value


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class Conversation:
    """The replies allowed to one request, in order: read(message) -> (kind, checked message)."""

    def __init__(self, request):
        self.op = request["op"]
        if self.op == "exec":
            self.items, self.key = [number for number, _ in request["cells"]], "cell"
        elif self.op == "call":
            self.items, self.key = list(range(len(request["calls"]))), "call"
        elif self.op == "selfcheck":
            self.items, self.key = list(range(len(request["questions"]))), "call"
        else:
            raise ValueError(f"no replies are expected to {self.op!r}")
        self.oracles = set(request.get("oracles", ()))
        self.watch = set(request.get("watch", ()))  # the names of the watched functions
        self.started = 0
        self.results = 0

    def read(self, message):
        """("progress", a started or result message), ("oracle", (function, args)) or ("done", the done message)."""
        if not isinstance(message, dict):
            raise Invalid("something other than a message")
        op = message.get("op")
        if op == "started":
            return "progress", self._started(message)
        if op == "result" and self.op in ("call", "selfcheck"):
            return "progress", self._result(message)
        if op == "oracle" and self.op == "call":
            return "oracle", self._oracle(message)
        if op == "done":
            return "done", self._done(message)
        raise Invalid("an unexpected message")

    def _running(self):
        """Whether an item has started and not yet sent its result (calls and self-checks)."""
        return self.started == self.results + 1

    def _started(self, message):
        answered = self.op == "exec" or self.results == self.started
        if self.started >= len(self.items) or not answered or message.get(self.key) != self.items[self.started] \
                or type(message.get(self.key)) is not type(self.items[self.started]):
            raise Invalid("a \"started\" message out of order")
        self.started += 1
        return {"op": "started", self.key: self.items[self.started - 1]}

    def _result(self, message):
        index = message.get("index")
        if not self._running() or not _count(index) or index != self.results:
            raise Invalid("a result out of order")
        error = message.get("error")
        checked = {
            "op": "result", "index": index,
            "error": None if error is None else _text(error, ERROR_LIMIT, "error"),
            "output": _text(message.get("output"), OUTPUT_LIMIT, "output"),
        }
        if self.op == "selfcheck":
            if not isinstance(message.get("value"), bool):
                raise Invalid("a self-check verdict that is not true or false")
            checked["value"] = message["value"]
        else:
            calls, seconds = message.get("calls"), message.get("seconds")
            if not (isinstance(calls, dict) and all(name in self.watch and _count(n) for name, n in calls.items())):
                raise Invalid("call counts that are not counts of the watched functions")
            nested, repeats = message.get("nested", {}), message.get("repeats", {})
            if not (isinstance(nested, dict) and isinstance(repeats, dict)
                    and all(name in calls and _count(n) for part in (nested, repeats) for name, n in part.items())
                    and all(nested.get(name, 0) + repeats.get(name, 0) <= calls[name] for name in {*nested, *repeats})):
                raise Invalid("counts of nested or repeated calls that are not at most the watched functions' counts")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
                raise Invalid("a duration that is not a non-negative number")
            exception = message.get("exception")
            if exception is not None:
                exception = _text(exception, NAME_LIMIT, "exception type name")
            flags = {flag: message.get(flag, False) for flag in ("missing", "unsendable", "unwatched", "elsewhere")}
            if not all(isinstance(value, bool) for value in flags.values()):
                raise Invalid("a flag that is not true or false")
            checked.update(value=message.get("value"), calls=dict(calls), nested=dict(nested), repeats=dict(repeats), seconds=float(seconds), exception=exception,
                           **flags)
        self.results += 1
        return checked

    def _oracle(self, message):
        function, args = message.get("function"), message.get("args")
        if not self._running() or function not in self.oracles:
            raise Invalid("a question for a stand-in that is not standing in now")
        if not isinstance(args, list) or len(args) > MAX_ORACLE_ARGS:
            raise Invalid("stand-in arguments that are not a short list")
        return function, args

    def _done(self, message):
        finished = self.started == len(self.items) and (self.op == "exec" or self.results == len(self.items))
        if not finished:
            raise Invalid("\"done\" before every item was answered")
        if self.op != "exec":
            return {"op": "done"}
        errors = message.get("errors")
        cells = {str(number) for number in self.items}
        if not (isinstance(errors, dict) and all(key in cells for key in errors)):
            raise Invalid("errors for cells that were not run")
        return {"op": "done", "errors": {key: _text(text, ERROR_LIMIT, "error") for key, text in errors.items()},
                "output": _text(message.get("output"), OUTPUT_LIMIT, "output")}


def reaped(message):
    """The fork server's (status, clean) after a child ended; Invalid unless both are what it sends."""
    if not isinstance(message, dict) or message.get("op") != "reaped":
        raise Invalid("no \"reaped\" reply")
    status, clean = message.get("status"), message.get("clean")
    if not (_count(status) and status < 1 << 16 and isinstance(clean, bool)):
        raise Invalid("a wait status out of range")
    return status, clean
