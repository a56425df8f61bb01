"""A file the grader writes (results, feedback, reports, CSV tables) appears
whole or not at all: it is written under a temporary name beside it, then
renamed over it, so that a killed grader never leaves one half-written."""

import contextlib
import os
from pathlib import Path


@contextlib.contextmanager
def replacing(path, newline=None):
    """A text file (UTF-8) for `path`'s new content, which replaces `path` when the block ends."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8", newline=newline) as out:
        yield out
    os.replace(temporary, path)


def write_text(path, text):
    with replacing(path) as out:
        out.write(text)
