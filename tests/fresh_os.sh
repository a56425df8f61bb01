#!/usr/bin/env bash
# Gradescope's two scripts in a fresh OS (issue 14): a Debian bookworm rootfs made
# with debootstrap (kept in BASE, made when missing, never changed after), seen
# through an overlay that is thrown away after each run, so that every run starts
# from the same fresh OS (nothing an earlier setup.sh left, such as its python3
# wrapper, can hide what a new image lacks); entered as a chroot; setup.sh runs
# there, then run_autograder on the reference, the stub and a hostile submission,
# each under a seccomp filter that denies namespaces and mounts (as Docker's
# default profile does), so that the container level is the one in force. Each
# results.json is copied to OUT/NAME.json.
#     tests/fresh_os.sh BASE OUT       (as root; tests/test_fresh_os.py runs it)
set -euo pipefail
BASE=$1
OUT=$2
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$REPO/.venv/bin/python"
mkdir -p "$OUT"
# The stamp is written once debootstrap has finished: a base without it (cut short, or
# kept by an older version of this script, which changed it in place) is made again.
if [ ! -e "$BASE/.fresh-os-base" ]; then
    umount -l "$BASE/proc" "$BASE/dev" 2>/dev/null || true  # an older version mounted them there
    rm -rf --one-file-system "$BASE"
    debootstrap --variant=minbase bookworm "$BASE" http://deb.debian.org/debian >"$OUT/debootstrap.log" 2>&1
    touch "$BASE/.fresh-os-base"
fi
LAYER="$(mktemp -d "${TMPDIR:-/var/tmp}/fresh-os-run.XXXXXX")"
ROOTFS="$LAYER/root"
mkdir -p "$LAYER/changes" "$LAYER/work" "$ROOTFS"
mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$LAYER/changes,workdir=$LAYER/work" "$ROOTFS"
cleanup() {
    umount -l "$ROOTFS/proc" 2>/dev/null || true
    umount -l "$ROOTFS/dev" 2>/dev/null || true
    umount -l "$ROOTFS" 2>/dev/null || true
    rm -rf --one-file-system "$LAYER"
}
trap cleanup EXIT
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
# The host's CA bundle, for pip inside (setup.sh's PIP_CERT). A fresh minbase rootfs has no
# /etc/ssl/certs until setup.sh installs ca-certificates, so the folder is made here.
mkdir -p "$ROOTFS/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/host-ca.crt"
mount -t proc proc "$ROOTFS/proc"
mount --bind /dev "$ROOTFS/dev"
mkdir -p "$ROOTFS/autograder/source"
cd "$REPO"
"$PY" - "$ROOTFS/autograder/source" <<'PYEOF'
import io, stat, sys, zipfile
from pathlib import Path
from autograder import gradescope
from autograder.assignment import load
with zipfile.ZipFile(io.BytesIO(gradescope.zip_bytes(load(), "fresh-os-salt"))) as archive:
    for info in archive.infolist():
        target = Path(sys.argv[1]) / info.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(info))
        target.chmod(stat.S_IMODE(info.external_attr >> 16) or 0o644)
PYEOF
in_chroot() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root "$@"; }
in_chroot PIP_CERT=/etc/ssl/certs/host-ca.crt bash /autograder/source/setup.sh >"$OUT/setup.log" 2>&1
grade() {  # NAME FILE: grade FILE as the submission, results in OUT/NAME.json
    chmod 755 "$ROOTFS/autograder"  # the grader made it unreadable to others: let this script in again
    rm -rf "$ROOTFS/autograder/results" "$ROOTFS/autograder/submission"
    mkdir -p "$ROOTFS/autograder/results" "$ROOTFS/autograder/submission"
    cp "$2" "$ROOTFS/autograder/submission/"
    echo '{"id": 1, "users": [{"id": 99}]}' >"$ROOTFS/autograder/submission_metadata.json"
    in_chroot python3 -P -c "import os, sys
from autograder import seccomp_policy
seccomp_policy.load()
os.execvp(sys.argv[1], sys.argv[1:])" bash /autograder/source/run_autograder >"$OUT/$1.log" 2>&1
    cp "$ROOTFS/autograder/results/results.json" "$OUT/$1.json"
}
grade reference "$REPO/examples/submissions/reference.ipynb"
grade stub "$REPO/examples/submissions/stub.ipynb"
"$PY" - "$OUT/backprop.py" <<'PYEOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("harness", "tests/hostile/_harness.py")
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)
code = harness.parse_case("tests/hostile/read_reference_file.py").code.replace("@REPO@", "/autograder/source/backprop-lab")
open(sys.argv[1], "w").write(code)
PYEOF
grade hostile "$OUT/backprop.py"
