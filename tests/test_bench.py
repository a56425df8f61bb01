"""The benchmark keeps working: a class of 40 graded in a batch gets the same
scores as one at a time, each kind of submission the score it should, and a
class of correct notebooks full marks.
(Its timings are printed by `make bench`, never asserted.)"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_benchmark_of_40_grades_every_submission_as_expected(tmp_path):
    run = subprocess.run(
        [sys.executable, "bench/throughput.py", "--n", "40", "--serial-sample", "40", "--otter-sample", "0",
         "--correct", "10", "--keep", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "scores identical to one-at-a-time grading: 40 of 40" in run.stdout
    assert "scores as expected for their kind: 40 of 40" in run.stdout
    assert "submissions/s" in run.stdout and "peak memory, worker" in run.stdout
    assert "from the first result written to the last" in run.stdout
    assert "slow and endless ones (sleeps, and loops until the time limit) kept a job waiting" in run.stdout
    assert "floor: the checks of all" in run.stdout and "of the floor; full marks: 10 of 10" in run.stdout
    assert len(list((tmp_path / "class").glob("*.ipynb"))) == 40
