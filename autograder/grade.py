"""Grade submissions: load -> run in isolation -> check -> score, one
submission at a time per job, and hand each result to the recorder as soon
as it is ready.
"""

import atexit
import itertools
import multiprocessing
import multiprocessing.util
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from autograder import checks, release
from autograder.gradebook import write_result_files
from autograder.questions import QUESTIONS
from autograder.results import GRADER_FAILED, Check, QuestionResult, SubmissionResult
from autograder.sandbox import Limits, Sandbox, WorkerFailure, isolation_level
from autograder.session import Session
from autograder.submissions import load


def _not_graded(question, status, message):
    checks_ = [
        Check(case.name, output.name, 0.0, checks._points(case, question, output), False, message)
        for case in question.cases for output in question.outputs
    ]
    return QuestionResult(question.function, question.title, question.points, status, message, checks_)


def grade_submission(name, path, salt, limits=Limits(), slot=0, isolation=None, budget_seconds=120.0):
    """Grade one submission; never raises for anything the submission does."""
    started = time.monotonic()
    submission = load(name, path, release.cells_not_run_when_grading())
    loaded = time.monotonic()
    isolation = isolation or isolation_level()
    result = SubmissionResult(name, str(path), submission.digest, isolation, notes=list(submission.notes))
    if submission.load_error:
        result.notes.append(submission.load_error)
        result.questions = [_not_graded(q, "error", f"not graded: {submission.load_error}") for q in QUESTIONS]
        return result
    session = Session(submission, sandbox_for(slot, limits, isolation), budget_seconds)
    try:
        try:
            session.load()
        except WorkerFailure as failure:
            session.notes.append(f"the code could not be loaded: {failure.detail}")
        for question in QUESTIONS:
            try:
                result.questions.append(checks.check_question(session, question, salt, name))
            except Exception as error:  # noqa: BLE001  (a grader bug must cost one question, not the batch)
                result.questions.append(_not_graded(question, "error", f"{GRADER_FAILED} ({type(error).__name__}: {error}); please report it"))
    finally:
        session.close()
        result.notes += session.notes
        result.seconds = round(time.monotonic() - started, 3)
        result.timings = {
            "load": loaded - started, **session.timings,
            "checks": time.monotonic() - loaded - session.timings["startup"] - session.timings["student_code"],
        }
    return result


_slot = 0
_sandboxes = {}


def sandbox_for(slot, limits, isolation):
    """The slot's sandbox, kept for the life of this process (its fork server stays warm)."""
    key = (slot, limits, isolation)
    if key not in _sandboxes:
        if not _sandboxes:
            # Pool processes end through multiprocessing's finalizers, not atexit.
            multiprocessing.util.Finalize(None, close_sandboxes, exitpriority=10)
            atexit.register(close_sandboxes)
        _sandboxes[key] = Sandbox(limits, slot, isolation)
    return _sandboxes[key]


def close_sandboxes():
    while _sandboxes:
        _sandboxes.popitem()[1].close()


def _claim_slot(slots):
    global _slot
    _slot = slots.get()


def _grade_and_write(name, path, salt, limits, slot, isolation, budget_seconds, out_dir, previous_score):
    result = grade_submission(name, path, salt, limits, slot, isolation, budget_seconds)
    if out_dir is not None:
        started = time.monotonic()
        write_result_files(out_dir, result, previous_score)
        result.timings["writing"] = time.monotonic() - started
    return result


def _grade_in_pool(*task):
    # Results cross between the grader's own processes as plain dicts.
    name, path, salt, limits, isolation, budget_seconds, out_dir, previous_score = task
    return _grade_and_write(name, path, salt, limits, _slot, isolation, budget_seconds, out_dir, previous_score).to_dict()


def grade_all(found, salt, on_result, jobs=1, limits=Limits(), budget_seconds=120.0, out_dir=None, previous_scores=None):
    """Grade every (name, path) in `found`, calling on_result(SubmissionResult) as each finishes.

    With `out_dir`, each submission's results.json and feedback are written
    there as soon as it is graded (`previous_scores`: {name: score} of the
    gradings before, for the feedback to say what a regrade changed).
    """
    isolation = isolation_level()
    previous_scores = previous_scores or {}
    if jobs <= 1:
        for name, path in found:
            on_result(_grade_and_write(name, path, salt, limits, 0, isolation, budget_seconds, out_dir, previous_scores.get(name)))
        return
    context = multiprocessing.get_context("forkserver")
    slots = context.Queue()
    for slot in range(jobs):
        slots.put(slot)
    tasks = iter(found)
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_claim_slot, initargs=(slots,)) as pool:
        # A few tasks per job in flight at a time, so that memory stays flat however large the class.
        running = {}
        while True:
            for name, path in itertools.islice(tasks, 4 * jobs - len(running)):
                future = pool.submit(_grade_in_pool, name, str(path), salt, limits, isolation, budget_seconds,
                                     out_dir and str(out_dir), previous_scores.get(name))
                running[future] = (name, path)
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                name, path = running.pop(future)
                try:
                    result = SubmissionResult.from_dict(future.result())
                except Exception as error:  # noqa: BLE001  (a grading process that died)
                    result = SubmissionResult(name, str(path), "", isolation, notes=[f"the grading process failed: {error!r}"])
                    result.questions = [_not_graded(q, "error", f"{GRADER_FAILED} (its process died)") for q in QUESTIONS]
                    if out_dir is not None:
                        write_result_files(out_dir, result)
                on_result(result)


def default_jobs():
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def progress(done, total, name, stream=sys.stderr):
    """A one-line progress bar on a terminal; nothing otherwise."""
    if not stream.isatty():
        return
    width = 30
    filled = int(width * done / max(total, 1))
    stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:30]:<30}")
    if done == total:
        stream.write("\n")
    stream.flush()
