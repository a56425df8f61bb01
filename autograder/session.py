"""One submission's code, loaded into a worker of the grading process's sandbox and kept there.

The session runs the submission's cells one by one. A cell that hangs or
ends the process is skipped: the worker is restarted, the cells that worked
are run again, and loading goes on. A graded call that kills or hangs the
worker costs that question only: the next call gets a fresh worker.
The whole submission has a time budget; past it, nothing more is run.
"""

import time

from autograder.cells import relabel
from autograder.sandbox import WorkerFailure


HIDDEN_PHASE_DROP = ("a cell failed when run again after the graded calls began; it was dropped for the later "
                     "graded calls (which one is not said: the worker's sandbox had seen hidden inputs)")


class Session:
    def __init__(self, submission, sandbox, budget_seconds=120.0, public_sandbox=None):
        self.submission = submission
        self.sandbox = sandbox
        self.public_sandbox = public_sandbox  # for the public re-runs (go_public)
        self.limits = sandbox.limits
        self.deadline = time.monotonic() + budget_seconds
        self.notes = []
        self.good_cells = []
        # The good cells as they stood when the first hidden input was sent (call_cases), for the public re-runs
        # (go_public): a restart after that drops a cell as a child of the hidden sandbox chose, whose state (the
        # scratch's inode counter) a child that saw hidden inputs set.
        self.cells_before_hidden = None
        self.public = False
        # cell number -> ("raised", the student's traceback) or ("stopped", what the grader saw), from
        # loading: before any hidden input was drawn
        self.load_errors = {}
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

    def _run_cells(self, cells):
        """Run `cells` in the worker; (the index of the cell that hung or
        stopped the worker, or None; its failure; the errors of the cells run)."""
        running = []

        def progress(message):
            running.append(message["cell"])

        try:
            reply = self._request({"op": "exec", "cells": [list(cell) for cell in cells]},
                                  on_progress=progress, seconds=self._seconds_left(), until=self.deadline)
        except WorkerFailure as failure:
            return (len(running) - 1 if running else 0), failure, {}
        return None, None, reply["errors"]

    def load(self):
        """Run the cells; a note for each one that raised, hung or ended the process."""
        self._start()
        pending = list(self.submission.cells)
        while pending:
            culprit, failure, errors = self._run_cells(pending)
            done = pending if culprit is None else pending[:culprit]
            self.good_cells += done
            for number, _ in done:
                if str(number) in errors:
                    traceback = relabel(str(errors[str(number)]), self.submission.labels)
                    self.load_errors[number] = ("raised", traceback)
                    self.notes.append(f"{self._name(number)} raised an exception (the cells after it still ran):\n{traceback}")
            if culprit is None:
                return
            if failure.detail.startswith("not run"):  # the time budget is spent
                raise failure
            number = pending[culprit][0]
            what = (f"did not finish within the time limit of {self.limits.call_seconds:g} s per cell" if failure.kind == "timeout"
                    else f"stopped the worker ({failure.detail})")
            self.load_errors[number] = ("stopped", what)
            self.notes.append(f"{self._name(number)} {what}; it was skipped and the other cells were run without it")
            pending = pending[culprit + 1:]
            self._restart()

    def _name(self, number):
        return self.submission.labels.get(number, f"code cell {number}")

    def _restart(self):
        """A fresh worker with the good cells run again; a cell that fails this
        time is dropped (with a note) and the rest are run without it."""
        for _ in range(3):
            self.close()
            self._start()
            culprit, failure, _ = self._run_cells(self.good_cells)
            if culprit is None:
                return
            if failure.detail.startswith("not run"):
                raise failure
            number = self.good_cells.pop(culprit)[0]
            if self._hidden_phase():
                # Which cell, and how it failed, are the choice of a sandbox a hidden input reached: not shown.
                if HIDDEN_PHASE_DROP not in self.notes:
                    self.notes.append(HIDDEN_PHASE_DROP)
                continue
            self.load_errors[number] = ("stopped", f"failed when run again ({failure.detail})")
            self.notes.append(f"{self._name(number)} failed when run again ({failure.detail}); it was dropped")
        raise WorkerFailure("died", "the worker could not be restarted with this submission's cells")

    def self_checks(self, questions):
        """The output of the notebook's public self-check of each question, as
        {question: text}; a question whose check hung or crashed says so."""
        outputs = {}

        def progress(message):
            if message["op"] == "result":
                verdict = "PASS" if message["value"] else "FAIL"
                text = message["output"] + (f"\n{message['error']}" if message["error"] else "")
                outputs[question] = f"{text.strip()}\n{verdict}".strip()

        for question in questions:
            try:
                if self.worker is None:
                    self._restart()
                self._request({"op": "selfcheck", "questions": [question]}, on_progress=progress,
                              seconds=self._seconds_left(), until=self.deadline)
            except WorkerFailure as failure:
                self.close()
                for unfinished in questions:
                    outputs.setdefault(unfinished, f"the self-check did not finish: {failure.detail}")
                break
        return outputs

    def call_cases(self, function, calls, oracles, on_oracle, watch=(), last=None):
        """Call `function` once per argument tuple in `calls`, one request
        each (each call has the per-call limit by the grader's clock), counting
        the calls to the functions of `watch` ([(name, source)], which the
        sandbox's fork server compiled: a request names them only). One
        outcome per call: the worker's checked result, a WorkerFailure for the
        call that hung or killed the worker (the next request gets a fresh
        worker), or None for the calls not run after it, or after a result
        for which last(result) is true (one that settles the rest)."""
        watch = tuple((str(name), str(source)) for name, source in watch)
        if not set(watch) <= set(self.sandbox.watch):
            raise ValueError("a watched function the sandbox was not prepared with")
        watched = [name for name, _ in watch]
        outcomes = [None] * len(calls)
        if not self.public and self.cells_before_hidden is None:
            self.cells_before_hidden = list(self.good_cells)

        for index, args in enumerate(calls):
            def progress(message, index=index):
                if message["op"] == "result":
                    outcomes[index] = message

            try:
                if self.worker is None:
                    self._restart()
                self._request(
                    {"op": "call", "function": function, "calls": [list(args)],
                     "oracles": list(oracles), "watch": watched},
                    on_oracle=on_oracle, on_progress=progress, seconds=self._seconds_left(), until=self.deadline,
                )
            except WorkerFailure as failure:
                self.close()
                outcomes[index] = failure
                break
            if last is not None and isinstance(outcomes[index], dict) and last(outcomes[index]):
                break
        return outcomes

    def go_public(self):
        """End the worker; the next one is a child of the public sandbox, whose fork server and scratch
        space no hidden input ever reached (without one, of a new sandbox). What a child changes there
        outlives it: the scratch tmpfs numbers each new inode one more than the last, so the count of
        files a child made on hidden inputs would show in a later child's inode numbers, about 20 bits.
        For the public re-runs (checks.PublicRuns), once the submission's hidden calls are all made:
        no hidden input may follow."""
        self.close()
        if self.public_sandbox is None:
            self.sandbox.close()
        else:
            # The hidden child reaped (killed if it has not ended: a child that forged its last reply runs on) and,
            # at the container level, what it left in the machine's shared folders removed, before a public
            # child is forked: close() only asks for the reap, which the hidden sandbox's next fork would collect.
            self.sandbox.collect()
            self.sandbox = self.public_sandbox
        self.public = True
        if self.cells_before_hidden is not None:  # the public worker loads the cells as no hidden input left them
            self.good_cells = list(self.cells_before_hidden)

    def _hidden_phase(self):
        """Whether a hidden input has been sent and the public re-runs have not begun."""
        return self.cells_before_hidden is not None and not self.public

    def close(self):
        if self.worker is not None:
            self.worker.close()
            self.worker = None
