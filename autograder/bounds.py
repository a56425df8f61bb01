"""Bounds on what one submission can make the grader write.

Every text in a result that the student's code could have made long (a
note about a cell, a message, a self-check's output) is cut to a limit, and
the notes to a count, each time with a note saying so; the rest of a result
is the grader's own and of fixed size. So each submission's feedback,
results JSON and gradebook row stay of the order of FEEDBACK_LIMIT however
large or hostile the submission. Every such text also shows each of its
characters as itself or as a visible escape (`visible`): none can act on a
terminal or reorder the grader's words.
"""

import re
import unicodedata

TEXT_LIMIT = 3000    # characters of one note, message or self-check output
NOTES_KEPT = 30      # notes shown in full; the others are counted
FEEDBACK_LIMIT = 256 * 1024  # characters of one feedback file


def bounded(text, limit=TEXT_LIMIT):
    """`text` cut to `limit` characters, saying how much was cut."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... {len(text) - limit:,} more characters cut]"


def unseen(char):
    """Whether `char` would not show as itself: a control character (an ANSI escape moves a terminal's
    cursor, erases and rewrites lines, sets a window's title), a format character (a bidi override
    reorders the text after it, a zero-width one hides), a lone surrogate."""
    return unicodedata.category(char) in ("Cc", "Cf", "Cs")


# Where an unseen character can be: the C0 and C1 controls and DEL, and anything outside ASCII.
_MAYBE_UNSEEN = re.compile(r"[^\t\n\x20-\x7e]")


def visible(text):
    """`text` with every unseen character but a newline and a tab as its Python escape (\\x1b, \\u202e)."""
    return _MAYBE_UNSEEN.sub(lambda match: match[0].encode("unicode_escape").decode("ascii") if unseen(match[0])
                             else match[0], str(text))


def shown_text(text):
    """A text of the submission's as a result keeps it: visible, then cut (an escape is longer than its character)."""
    return bounded(visible(text))


def bound_result(result):
    """Cut, in place, every text of `result` that the submission can make long, and make it visible."""
    notes = [shown_text(note) for note in result.notes[:NOTES_KEPT]]
    if len(result.notes) > NOTES_KEPT:
        notes.append(f"{len(result.notes) - NOTES_KEPT:,} more notes like the ones above were cut "
                     f"(skipped lines, cells that raised)")
    result.notes = notes
    result.self_checks = {function: shown_text(text) for function, text in result.self_checks.items()}
    for question in result.questions:
        question.message = shown_text(question.message)
        question.diagnoses = [{key: visible(value) if isinstance(value, str) else value for key, value in found.items()}
                              for found in question.diagnoses]
        for check in question.checks:
            check.message = shown_text(check.message)
    return result
