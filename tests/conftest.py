"""Shared setup for the test suite.

The student helpers in assignment/ (gradcheck.py, public_checks.py) are plain
modules that the notebook imports from its working directory; the tests import
them the same way, by putting assignment/ on sys.path. Bytecode is not written
while doing so, so running the tests leaves no __pycache__ in assignment/.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignment"

for path in (ROOT, ASSIGNMENT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

_dont_write_bytecode = sys.dont_write_bytecode
sys.dont_write_bytecode = True
try:
    import gradcheck  # noqa: E402,F401  (imported here so that no .pyc lands in assignment/)
    import public_checks  # noqa: E402,F401
finally:
    sys.dont_write_bytecode = _dont_write_bytecode


@pytest.fixture
def rng():
    """A fresh, seeded generator for each test."""
    return np.random.default_rng(0)
