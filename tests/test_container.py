"""The container level (issue 14): chosen by itself where namespaces cannot
be made, and what it makes unreadable, checked as an unprivileged user."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import container, gradescope
from autograder.sandbox import PROBE_UID
from backprop import BACKPROP

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions"
_spec = importlib.util.spec_from_file_location("hostile_harness", ROOT / "tests" / "hostile" / "_harness.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the container level is for a grader running as root")
# Like Docker's default profile: the grader itself may not make namespaces or mount (our own filter does both).
UNDER_A_FILTER = [sys.executable, "-c", "import os, sys\nfrom autograder import seccomp_policy\n"
                  "seccomp_policy.load()\nos.execvp(sys.argv[1], sys.argv[1:])"]


def test_protect_takes_other_permissions_off_and_exposed_finds_what_is_left(tmp_path):
    folder, private, public = tmp_path / "folder", tmp_path / "private.txt", tmp_path / "public.txt"
    folder.mkdir(mode=0o755)
    for path in (private, public):
        path.write_text("x")
        path.chmod(0o644)
    tmp_path.chmod(0o755)
    container.protect([folder, private])
    assert folder.stat().st_mode & 0o007 == 0 and private.stat().st_mode & 0o007 == 0
    # tmp_path's parents are root's own (0700): only what is reachable from / counts, so try below /tmp.
    assert container.exposed(PROBE_UID, ["/usr/bin", "/etc/hostname", str(private)]) == ["/usr/bin", "/etc/hostname"]


def test_the_level_is_container_where_namespaces_cannot_be_made():
    env = {key: value for key, value in os.environ.items() if key != "BACKPROP_SANDBOX"}
    found = subprocess.run([*UNDER_A_FILTER, sys.executable, "-c",
                            "from autograder.sandbox import isolation_level; print(isolation_level())"],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert found.stdout.strip() == "container", found.stderr[-2000:]


def _gradescope_root(tmp_path, submission_name, submission_text):
    zip_path, _ = gradescope.build(BACKPROP, tmp_path / "dist", salt="container-salt")
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    zipfile.ZipFile(zip_path).extractall(root / "source")
    (root / "submission" / submission_name).write_bytes(submission_text)
    (root / "submission_metadata.json").write_text(json.dumps({"id": 1, "users": [{"id": 7}]}))
    return root


def _run_autograder_under_a_filter(root):
    env = {key: value for key, value in os.environ.items() if key not in ("BACKPROP_SANDBOX", "BACKPROP_SALT")}
    env["AUTOGRADER_ROOT"] = str(root)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # From the unzipped source (as on Gradescope), not this repository, whose history holds the reference.
    env["PYTHONPATH"] = str(root / "source" / gradescope.PACKAGE_FOLDER)
    run = subprocess.run([*UNDER_A_FILTER, "bash", str(root / "source" / "run_autograder")], env=env,
                         cwd=root, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert "failed" not in results["output"], run.stderr[-3000:]
    return results


@pytest.mark.slow
def test_run_autograder_grades_at_the_container_level_where_namespaces_are_denied(tmp_path):
    reference = _run_autograder_under_a_filter(
        _gradescope_root(tmp_path / "reference", "backprop.ipynb", (EXAMPLES / "reference.ipynb").read_bytes()))
    assert "Isolation level: container" in reference["output"], reference["output"]
    assert reference["extra_data"]["isolation"] == "container"
    assert reference["score"] == reference["max_score"] == 100

    hostile_root = tmp_path / "hostile"
    hostile_root.mkdir()
    aimed_at = [hostile_root / "autograder" / path for path in (
        "source/salt.txt", f"source/{gradescope.PACKAGE_FOLDER}/solutions/layers.py",
        f"source/{gradescope.PACKAGE_FOLDER}/assignments/backprop/questions.py", "submission/backprop.py")]
    code = corpus.reference_base() + f"""

_reference_dropout_backward = dropout_backward


def dropout_backward(dout, cache):
    opened = []
    for path in {[str(path) for path in aimed_at]!r}:
        try:
            with open(path, "rb"):
                opened.append(path)
        except OSError:
            pass
    if opened:
        raise RuntimeError(f"opened {{len(opened)}} of the grader's files")
    return _reference_dropout_backward(dout, cache)
"""
    hostile = _run_autograder_under_a_filter(_gradescope_root(hostile_root, "backprop.py", code.encode()))
    assert hostile["score"] == 100, hostile["tests"][0]["output"]
    assert all(path.exists() for path in aimed_at)  # they were there to read


def test_the_container_level_refuses_a_salt_on_the_command_line(tmp_path):
    grader = tmp_path / "grader"
    for name in ("autograder", "solutions", "assignments", "assignment"):
        shutil.copytree(ROOT / name, grader / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", grader)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    shutil.copy(EXAMPLES / "stub.ipynb", submissions)
    env = {**os.environ, "BACKPROP_SANDBOX": "container"}
    run = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(tmp_path / "out"),
                          "--salt", "on-the-command-line"], cwd=grader, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode != 0 and "the salt is on the command line" in run.stderr, run.stderr[-2000:]
