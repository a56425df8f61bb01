"""setup.sh and run_autograder in a fresh Debian rootfs, not this machine's
OS (issue 14): see tests/fresh_os.sh. The rootfs is made with debootstrap the
first time and kept in ROOTFS, unchanged: each run sees it through an overlay
it throws away; needs root, debootstrap, overlayfs and Debian's mirror."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from backprop import BACKPROP

ROOT = Path(__file__).resolve().parent.parent
ROOTFS = Path(os.environ.get("BACKPROP_FRESH_OS_ROOTFS", "/var/tmp/backprop-lab-fresh-os"))

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("debootstrap"),
                       reason="needs root and debootstrap (apt-get install debootstrap)"),
]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("fresh-os")
    run = subprocess.run(["bash", str(ROOT / "tests" / "fresh_os.sh"), str(ROOTFS), str(out)],
                         capture_output=True, text=True, timeout=1800)
    logs = "".join(f"\n--- {p.name}\n{p.read_text()[-1500:]}" for p in sorted(out.glob("*.log")))
    assert run.returncode == 0, run.stderr[-3000:] + logs
    return {name: json.loads((out / f"{name}.json").read_text()) for name in ("reference", "stub", "hostile")}


def test_the_container_level_is_in_force_where_namespaces_are_denied(graded):
    for result in graded.values():
        assert result["extra_data"]["isolation"] == "container"
        assert "Isolation level: container" in result["output"]


def test_the_reference_gets_full_marks_and_the_stub_none(graded):
    assert graded["reference"]["score"] == graded["reference"]["max_score"] == BACKPROP.points
    assert graded["stub"]["score"] == 0


def test_a_submission_reading_the_reference_finds_none(graded):
    dropout = graded["hostile"]["tests"][0]
    assert "dropout_backward" in dropout["name"] and dropout["score"] == 0
    assert "no reference file could be opened" in dropout["output"]
    # every other question graded normally
    assert graded["hostile"]["score"] == BACKPROP.points - BACKPROP.question("dropout_backward").points
