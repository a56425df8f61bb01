"""`autograder check NOTEBOOK`: what the grader will see in a notebook, before it is submitted.

The notebook is read and run exactly as when grading (the same loading,
given cells, limits and sandbox), then its public self-checks run; no hidden
input is drawn, so everything it prints is safe to show. The notebook will
grade when the grader can read it and finds each of the assignment's functions in a
cell that loaded.
"""

from pathlib import Path

from autograder import cells, release, root_causes
from autograder.sandbox import Limits, Sandbox, WorkerFailure, isolation_level
from autograder.session import Session
from autograder.submissions import load


def found_functions(assignment, submission, load_errors):
    """{function: where it is} for each question: found, in a cell that failed to load, or not defined."""
    where = {}
    for question in assignment.questions:
        cells_defining = [number for number, names in submission.defines.items() if question.function in names]
        loaded = [number for number in cells_defining if number not in load_errors]
        # Bound otherwise (`f = lambda ...`, `f = Class.method`, a def under `if`), or before the line at which
        # its cell failed (a test call after the def): found, as the grader finds it.
        bound = [number for number, source in submission.cells
                 if question.function in (cells.bound_names(source) if number not in load_errors
                                          else root_causes.defined_before_failing(source, load_errors[number][1]))]
        if loaded or bound:
            where[question.function] = "found"
        elif cells_defining:
            where[question.function] = f"NOT FOUND: {submission.labels[cells_defining[-1]]} failed to load"
        else:
            where[question.function] = "NOT FOUND: no cell defines it (keep the function's name as in the notebook)"
    return where


def check(assignment, path, limits=Limits(), budget_seconds=120.0, write=print):
    """Report what the grader will see in the notebook at `path`, a submission of
    `assignment`; 0 when it will grade, 1 when not."""
    path = Path(path)
    # The notebook named on the command line is followed when it is a link, as `grade` follows its PATHs.
    submission = load(path.stem, path.resolve(), release.cells_not_run_when_grading(assignment), release.given_cells(assignment))
    if submission.load_error:
        write(f"{path.name}: the grader cannot grade it: {submission.load_error}")
        return 1
    write(f"{path.name}: {submission.code_bytes / 1024:.0f} KB of code, of the {cells.MAX_CODE_BYTES // 1024**2} MB limit "
          f"(outputs do not count); {len(submission.cells)} cells run, with the release's given cells; "
          f"{submission.not_run} cells left as the release has them and defining nothing (the self-checks, the export, "
          "the demo) not run")
    session = Session(submission, Sandbox(limits, isolation_level(), release=assignment.release), budget_seconds)
    try:
        try:
            session.load()
        except WorkerFailure as failure:
            session.notes.append(f"the code could not be loaded: {failure.detail}")
        where = found_functions(assignment, submission, session.load_errors)
        outputs = session.self_checks(list(assignment.functions))
    finally:
        session.close()
        session.sandbox.close()
    if submission.edited_given:
        write("\nGiven code edited (the grader runs the release's instead):")
        for what in submission.edited_given:
            write(f"- {what}")
    notes = submission.notes + session.notes
    if notes:
        write("\nWhile loading (cells skipped, edited or failing):")
        for note in notes:
            write(f"- {note}")
    write("\nFunctions:")
    for function, state in where.items():
        write(f"- {function}: {state}")
    write("\nSelf-checks (public inputs, as in the notebook):")
    passed = 0
    for function in where:
        text = outputs.get(function, f"{function}: the self-check did not run")
        # Session.self_checks ends with its own verdict line; the check's last line already says it.
        text = text.rsplit("\n", 1)[0] if text.endswith(("\nPASS", "\nFAIL")) else text
        passed += text.endswith(f"{function}: PASS")
        write(text)
    write(f"self-checks: {passed} of {len(where)} PASS")
    grades = all(state == "found" for state in where.values())
    write(f"\n{path.name} " + ("will grade." if grades else "will not grade as it is: see the functions above."))
    return 0 if grades else 1
