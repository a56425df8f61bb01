"""Grade submissions: load -> run in isolation -> check -> score, one
submission at a time per job, and hand each result to the recorder as soon
as it is ready.
"""

import atexit
import collections
import multiprocessing
import multiprocessing.util
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from autograder import assignment as assignments
from autograder import bounds, checks, container, release, root_causes
from autograder.gradebook import write_result_files
from autograder.intake import shown
from autograder.results import GRADER_FAILED, Check, QuestionResult, SubmissionResult
from autograder.sandbox import PROBE_UID, Limits, Sandbox, WorkerFailure, isolation_level
from autograder.session import Session
from autograder.submissions import load


def grade_submission(assignment, name, path, salt, limits=Limits(), isolation=None, budget_seconds=120.0, self_checks=False):
    """Grade one submission of `assignment`; never raises for anything the submission does.
    With `self_checks`, also keep what the notebook's public self-checks print."""
    started = time.monotonic()
    submission = load(name, path, release.cells_not_run_when_grading(assignment), release.given_cells(assignment))
    loaded = time.monotonic()
    isolation = isolation or isolation_level()
    questions = assignment.questions
    result = SubmissionResult(name, shown(path), submission.digest, isolation, notes=list(submission.notes),
                              assignment=assignment.name)
    if submission.load_error:
        result.status = "unreadable"
        result.notes.append(submission.load_error)
        result.questions = [checks.not_graded(q, "error", f"not graded: {submission.load_error}") for q in questions]
        return bounds.bound_result(result)
    session = Session(submission, sandbox_for(limits, isolation, assignment), budget_seconds,
                      public_sandbox=sandbox_for(limits, isolation, assignment, public=True))
    try:
        try:
            session.load()
        except WorkerFailure as failure:
            session.notes.append(f"the code could not be loaded: {failure.detail}")
        if self_checks:
            # Before any hidden input reaches the worker: what the self-checks print is then the student's own.
            result.self_checks = session.self_checks(list(assignment.functions))
        public_runs = checks.PublicRuns()
        graded = {}
        for question in questions:
            try:
                graded[question.function] = checks.check_question(
                    session, question, salt, name, submission.digest, watch=assignment.watched_sources,
                    error_hints=assignment.error_hints, public_runs=public_runs)
            except Exception as error:  # noqa: BLE001  (a grader bug must cost one question, not the batch)
                graded[question.function] = _grader_failed(question, error)
        try:
            public_runs.run(session)
        except Exception as error:  # noqa: BLE001  (it costs the questions it was for)
            for question in questions:
                if public_runs.asked_for(question.function):
                    graded[question.function] = _grader_failed(question, error)
        for question in questions:
            result.questions.append(root_causes.explain(graded[question.function], question, submission, session.load_errors))
    finally:
        session.close()
        result.notes += session.notes
        bounds.bound_result(result)
        result.seconds = round(time.monotonic() - started, 3)
        result.timings = {
            "load": loaded - started, **session.timings,
            "checks": time.monotonic() - loaded - session.timings["startup"] - session.timings["student_code"],
        }
    return result


def _grader_failed(question, error):
    return checks.not_graded(question, "error", f"{GRADER_FAILED} ({type(error).__name__}: {error}); please report it")


_sandboxes = {}


def sandbox_for(limits, isolation, assignment, public=False):
    """This process's sandbox for `assignment`'s release, kept for its life (its fork server stays warm);
    with `public`, the other one, for the public re-runs alone: no hidden input ever reaches it (Session.go_public)."""
    key = (limits, isolation, assignment.release, public)
    if key not in _sandboxes:
        if not _sandboxes:
            # Pool processes end through multiprocessing's finalizers, not atexit.
            multiprocessing.util.Finalize(None, close_sandboxes, exitpriority=10)
            atexit.register(close_sandboxes)
        _sandboxes[key] = Sandbox(limits, isolation, assignment.watched_sources,
                                  [source for _, source in release.given_cells(assignment)], release=assignment.release,
                                  row_shift_invariant=assignment.row_shift_invariant)
    return _sandboxes[key]


def close_sandboxes():
    while _sandboxes:
        _sandboxes.popitem()[1].close()


def _grade_and_write(assignment, name, path, salt, limits, isolation, budget_seconds, out_dir, previous_score, self_checks):
    result = grade_submission(assignment, name, path, salt, limits, isolation, budget_seconds, self_checks)
    if out_dir is not None:
        started = time.monotonic()
        write_result_files(out_dir, result, previous_score)
        result.timings["writing"] = time.monotonic() - started
    return result


def _grade_in_pool(*task):
    # Results cross between the grader's own processes as plain dicts.
    folder, name, path, salt, limits, isolation, budget_seconds, out_dir, previous_score, self_checks = task
    return _grade_and_write(assignments.load(folder), name, path, salt, limits, isolation, budget_seconds, out_dir, previous_score, self_checks).to_dict()


def grade_all(assignment, found, salt, on_result, jobs=1, limits=Limits(), budget_seconds=120.0, out_dir=None,
              previous_score=None, self_checks=False, pool=None):
    """Grade every (name, path) in `found` as submissions of `assignment`,
    calling on_result(SubmissionResult) as each finishes.

    With `out_dir`, each submission's results.json and feedback are written
    there as soon as it is graded (`previous_score`: name -> the score of its
    grading before or None, for the feedback to say what a regrade changed). With
    `self_checks`, each result also holds what the public self-checks print.
    `pool`: start_pool's grading processes, started ahead with the same
    `jobs` and `limits` (otherwise grade_all starts its own); grade_all shuts it down.
    """
    isolation = isolation_level()
    if isolation == "container":
        container.secure_grading(PROBE_UID, out_dir, [path for _, path in found], salt, assignment.content_files)
    previous_score = previous_score or (lambda name: None)
    if jobs <= 1:
        for name, path in found:
            try:
                result = _grade_and_write(assignment, name, path, salt, limits, isolation, budget_seconds, out_dir,
                                          previous_score(name), self_checks)
            except Exception as error:  # noqa: BLE001  (as in a pool: a grader bug costs one submission, not the batch)
                result = _process_failed(assignment, name, path, isolation, out_dir, repr(error))
            on_result(result)
        return
    pending = collections.deque(found)
    pool_failures = collections.Counter()
    running = {}
    while pending or running:
        if pool is None:
            pool = _new_pool(assignment, jobs, limits, isolation)
        broken = False
        # A few tasks per job in flight at a time, so that memory stays flat however large the class.
        while pending and len(running) < 4 * jobs:
            name, path = pending.popleft()
            try:
                future = pool.submit(_grade_in_pool, str(assignment.folder), name, str(path), salt, limits, isolation, budget_seconds,
                                     out_dir and str(out_dir), previous_score(name), self_checks)
            except BrokenProcessPool:
                pending.appendleft((name, path))
                broken = True
                break
            running[future] = (name, path)
        done, _ = wait(running, return_when=FIRST_COMPLETED) if running else (set(), set())
        for future in done:
            name, path = running.pop(future)
            try:
                result = SubmissionResult.from_dict(future.result())
            except BrokenProcessPool:
                # A grading process died (killed from outside, or by a submission
                # at the weaker isolation level) and took the pool with it: every
                # submission in flight is graded again in a new pool, once.
                broken = True
                pool_failures[name] += 1
                if pool_failures[name] < 2:
                    pending.appendleft((name, path))
                    continue
                result = _process_failed(assignment, name, path, isolation, out_dir, "its process died twice")
            except Exception as error:  # noqa: BLE001  (a grader bug must cost one submission, not the batch)
                result = _process_failed(assignment, name, path, isolation, out_dir, repr(error))
            on_result(result)
        if broken:
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
    if pool is not None:
        pool.shutdown()


def start_pool(assignment, jobs, limits=Limits()):
    """grade_all's grading processes for `jobs` > 1, started ahead, so that
    they get ready while this process reads the class: each imports the
    grader and starts its sandbox. None for one job (grading then runs in
    this process)."""
    if jobs <= 1:
        return None
    pool = _new_pool(assignment, jobs, limits, isolation_level())
    for _ in range(jobs):
        pool.submit(_ready)  # a pool starts a process for each task it has no idle one for
    return pool


def _ready():
    return None


def _new_pool(assignment, jobs, limits, isolation):
    context = multiprocessing.get_context("forkserver")
    # Imported once, in the process each grading process is forked from, instead of once in each.
    context.set_forkserver_preload(["autograder.grade"])
    return ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_grading_process,
                               initargs=(_cpu_slots(context, jobs), str(assignment.folder), limits, isolation))


def _cpu_slots(context, jobs):
    """The CPU each grading process keeps to, one each, when there are at
    least as many jobs as CPUs (None otherwise: the scheduler places them).
    Its sandbox's children inherit that CPU: a child and its grading process
    take turns, and a round trip between two processes on one CPU costs a
    fraction of one between two (no idle CPU to wake)."""
    cpus = sorted(os.sched_getaffinity(0))
    if jobs < len(cpus) or len(cpus) < 2:
        return None
    slots = context.SimpleQueue()
    for slot in range(jobs):
        slots.put(cpus[slot % len(cpus)])
    return slots


def _start_grading_process(cpu_slots, folder, limits, isolation):
    """A grading process's first steps: its CPU, then its sandbox's fork server, before any
    submission is handed to it. Not at the container level, where grade_all first secures the files."""
    if cpu_slots is not None:
        os.sched_setaffinity(0, {cpu_slots.get()})
    if isolation == "container":
        return
    try:
        sandbox_for(limits, isolation, assignments.load(folder)).start_ahead()
    except Exception:  # noqa: BLE001  (a sandbox that cannot start says why at the first submission's spawn)
        pass


def _process_failed(assignment, name, path, isolation, out_dir, reason):
    result = SubmissionResult(name, shown(path), "", isolation, notes=[f"the grading process failed: {reason}"],
                              assignment=assignment.name)
    result.questions = [checks.not_graded(q, "error", f"{GRADER_FAILED} (the grading process failed)")
                        for q in assignment.questions]
    if out_dir is not None:
        write_result_files(out_dir, result)
    return result


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
