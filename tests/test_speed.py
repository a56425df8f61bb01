"""What makes grading fast keeps it right: the given cells the fork server
compiled once run in a child as if compiled there (their tracebacks name the
cell), a request names the watched functions and the child counts them, and a
child's reap collected before the next fork still leaves each child an empty
scratch space, and with a job per CPU each grading process keeps to a CPU of
its own (where its sandbox's children run too)."""

import multiprocessing
import os
import time

import pytest

from autograder import grade, release
from autograder.sandbox import Limits, Sandbox, _processes, isolation_level
from backprop import BACKPROP
from submission_factory import notebook, write

GIVEN = [source for _, source in release.given_cells(BACKPROP)]
AFFINE = next(source for names, source in release.given_cells(BACKPROP) if "affine_forward" in names)


@pytest.fixture(params=["own", "rlimits"])
def sandbox(request):
    level = isolation_level() if request.param == "own" else "rlimits"
    sandbox = Sandbox(Limits(call_seconds=10.0), level, BACKPROP.watched_sources, GIVEN)
    yield sandbox
    sandbox.close()


def _exec(worker, cells):
    return worker.request({"op": "exec", "cells": [list(cell) for cell in cells]}, on_progress=lambda message: None)


def _call(worker, function, watch=()):
    results = []
    worker.request({"op": "call", "function": function, "calls": [[]], "oracles": [], "watch": list(watch)},
                   on_progress=lambda message: results.append(message) if message["op"] == "result" else None)
    return results[0]


def test_a_prepared_given_cell_is_the_cell_it_runs_as(sandbox):
    worker = sandbox.spawn()
    try:
        done = _exec(worker, [(4, AFFINE), (5, "affine_forward(None, None, None)\n")])
    finally:
        worker.close()
    error = done["errors"]["5"]
    assert 'File "<cell 4>"' in error and "in affine_forward" in error and "TypeError" in error


def test_the_watched_functions_a_request_names_are_counted(sandbox):
    worker = sandbox.spawn()
    try:
        _exec(worker, [(1, "import numpy as np\n"), (2, AFFINE),
                       (3, "def twice():\n    f = affine_forward\n    for _ in range(2):\n"
                           "        f(np.ones((2, 3)), np.ones((3, 4)), np.ones(4))\n    return 0.0\n")])
        named = _call(worker, "twice", ["affine_forward", "softmax"])
        unnamed = _call(worker, "twice", ["softmax"])
    finally:
        worker.close()
    assert named["calls"] == {"affine_forward": 2}
    assert unnamed["calls"] == {}


def test_each_child_gets_an_empty_folder_after_a_reap_collected_late(sandbox):
    worker = sandbox.spawn()
    try:
        _exec(worker, [(1, "import os\nopen('left-behind', 'w').write('x')\nos.mkdir('folder')\n")])
    finally:
        worker.close()  # the reap is collected by the next spawn
    worker = sandbox.spawn()
    try:
        done = _exec(worker, [(1, "import os\nprint(os.listdir('.'), len(os.listdir('..')))\n")])
    finally:
        worker.close()
    assert done["output"].strip() == "[] 1"


def test_a_session_asks_only_for_functions_the_sandbox_was_prepared_with(sandbox):
    from autograder.session import Session
    from autograder.submissions import Submission

    session = Session(Submission("x", "x.py"), sandbox)
    with pytest.raises(ValueError):
        session.call_cases("f", [[]], (), None, [("f", "def f(): pass\n")])


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one CPU: nothing to pin")
def test_with_a_job_per_cpu_each_grading_process_takes_a_cpu_of_its_own():
    cpus = sorted(os.sched_getaffinity(0))
    context = multiprocessing.get_context("fork")
    slots = grade._cpu_slots(context, len(cpus))
    taken = []
    for _ in cpus:
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(target=lambda: writer.send(
            # (as at the container level, whose grading processes start no sandbox ahead: only the CPU is taken)
            (grade._start_grading_process(slots, str(BACKPROP.folder), Limits(), "container"),
             sorted(os.sched_getaffinity(0)))[1]))
        process.start()
        taken.append(reader.recv())
        process.join()
    assert sorted(taken) == [[cpu] for cpu in cpus]
    assert grade._cpu_slots(context, len(cpus) - 1) is None  # fewer jobs than CPUs: the scheduler places them


def _children(pids):
    return {parent for _, parent, _ in _processes() if parent in pids}


def test_the_grading_processes_start_their_sandboxes_before_the_first_submission(tmp_path):
    """start_pool's processes start their fork servers at once (while the command reads the class),
    and grade_all grades in them, then shuts them down."""
    limits = Limits(call_seconds=10.0)
    pool = grade.start_pool(BACKPROP, 2, limits)
    try:
        pids = set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (len(pids) == 2 and _children(pids) == pids):
            pids = set(pool._processes)
            time.sleep(0.05)
        assert len(pids) == 2 and _children(pids) == pids, "each grading process has its sandbox running"
        reference = write(tmp_path, "reference", notebook())
        results = []
        grade.grade_all(BACKPROP, [("a", reference), ("b", reference)], "salt", results.append, 2, limits, pool=pool)
        assert sorted(r.submission for r in results) == ["a", "b"]
        assert [r.score for r in results] == [100.0, 100.0]
        assert pool._shutdown_thread
    finally:
        pool.shutdown()
    assert grade.start_pool(BACKPROP, 1, limits) is None  # one job grades in the command's own process


def test_a_question_whose_function_is_not_implemented_or_missing_is_called_once():
    """The first case that raises NotImplementedError, or finds no function, settles the question's
    later cases: they get the same message without being called."""
    from autograder import checks, otter

    question = BACKPROP.question("dropout_backward")
    calls = []

    def halfway(dout, cache):
        calls.append(dout.shape)
        if len(calls) > 1:
            raise NotImplementedError
        return BACKPROP.reference.dropout_backward(dout, cache)

    for env, expected_calls in (({"dropout_backward": halfway}, 2), ({}, 0)):
        calls.clear()
        result = checks.check_question(otter.InProcessSession(env, BACKPROP), question, "salt", "student",
                                       watch=BACKPROP.watched_sources)
        assert len(calls) == expected_calls
        assert len(result.checks) == len(question.cases) and result.status in ("not implemented", "missing")
        assert result.score == (question.cases[0].points if expected_calls else 0)
        assert all(not check.passed for check in result.checks[1 if expected_calls else 0:])
