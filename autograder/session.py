"""One submission's code, loaded into a worker of the slot's sandbox and kept there.

The session runs the submission's cells one by one. A cell that hangs or
ends the process is skipped: the worker is restarted, the cells that worked
are run again, and loading goes on. A graded call that kills or hangs the
worker costs that question only: the next call gets a fresh worker.
The whole submission has a time budget; past it, nothing more is run.
"""

import time

from autograder.sandbox import WorkerFailure


class Session:
    def __init__(self, submission, sandbox, budget_seconds=120.0):
        self.submission = submission
        self.sandbox = sandbox
        self.limits = sandbox.limits
        self.deadline = time.monotonic() + budget_seconds
        self.notes = []
        self.good_cells = []
        self.worker = None
        self.timings = {"startup": 0.0, "student_code": 0.0}  # seconds, for the benchmark

    def _seconds_left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise WorkerFailure("timeout", "not run: the submission used up its time budget")
        return min(left, self.limits.call_seconds)

    def _start(self):
        started = time.perf_counter()
        self.worker = self.sandbox.spawn()
        self.timings["startup"] += time.perf_counter() - started

    def _request(self, message, **options):
        started = time.perf_counter()
        try:
            return self.worker.request(message, **options)
        finally:
            self.timings["student_code"] += time.perf_counter() - started

    def load(self):
        """Run the cells; a note for each one that raised, hung or ended the process."""
        self._start()
        for number, source in self.submission.cells:
            try:
                reply = self._request({"op": "exec", "cell": number, "source": source}, seconds=self._seconds_left())
            except WorkerFailure as failure:
                what = "did not finish within the time limit" if failure.kind == "timeout" else f"stopped the worker ({failure.detail})"
                self.notes.append(f"code cell {number} {what}; it was skipped and the other cells were run without it")
                self._restart()
                continue
            self.good_cells.append((number, source))
            if reply.get("error"):
                self.notes.append(f"code cell {number} raised an exception (the cells after it still ran):\n{reply['error']}")

    def _restart(self):
        """A fresh worker with the good cells run again; a cell that fails this
        time is dropped (with a note) and the rest are run without it."""
        for _ in range(3):
            self.close()
            self._start()
            try:
                for number, source in list(self.good_cells):
                    current = (number, source)
                    self._request({"op": "exec", "cell": number, "source": source}, seconds=self._seconds_left())
                return
            except WorkerFailure as failure:
                if failure.detail.startswith("not run"):  # the time budget is spent
                    raise
                self.good_cells.remove(current)
                self.notes.append(f"code cell {current[0]} failed when run again ({failure.detail}); it was dropped")
        raise WorkerFailure("died", "the worker could not be restarted with this submission's cells")

    def call(self, function, args, oracles, on_oracle, watch=()):
        """The worker's reply to calling `function(*args)`, counting the calls
        to the functions named in `watch`; WorkerFailure if it hangs or dies
        (the next call gets a fresh worker)."""
        try:
            if self.worker is None:
                self._restart()
            return self._request(
                {"op": "call", "function": function, "args": list(args), "oracles": list(oracles), "watch": list(watch)},
                on_oracle=on_oracle, seconds=self._seconds_left(),
            )
        except WorkerFailure:
            self.close()
            raise

    def close(self):
        if self.worker is not None:
            self.worker.close()
            self.worker = None
