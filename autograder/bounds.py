"""Bounds on what one submission can make the grader write.

Every text in a result that the student's code could have made long (a
note about a cell, a message, a self-check's output) is cut to a limit, and
the notes to a count, each time with a note saying so; the rest of a result
is the grader's own and of fixed size. So each submission's feedback,
results JSON and gradebook row stay of the order of FEEDBACK_LIMIT however
large or hostile the submission.
"""

TEXT_LIMIT = 3000    # characters of one note, message or self-check output
NOTES_KEPT = 30      # notes shown in full; the others are counted
FEEDBACK_LIMIT = 256 * 1024  # characters of one feedback file


def bounded(text, limit=TEXT_LIMIT):
    """`text` cut to `limit` characters, saying how much was cut."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit:,} more characters cut]"


def bound_result(result):
    """Cut, in place, every text of `result` that the submission can make long."""
    notes = [bounded(note) for note in result.notes[:NOTES_KEPT]]
    if len(result.notes) > NOTES_KEPT:
        notes.append(f"{len(result.notes) - NOTES_KEPT:,} more notes like the ones above were cut "
                     f"(skipped lines, cells that raised)")
    result.notes = notes
    result.self_checks = {function: bounded(text) for function, text in result.self_checks.items()}
    for question in result.questions:
        question.message = bounded(question.message)
        for check in question.checks:
            check.message = bounded(check.message)
    return result
