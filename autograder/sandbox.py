"""Run a worker in isolation, and talk to it with time limits.

Two levels of isolation, the strongest this machine allows (the result of
every submission records which one was in force):

- "bubblewrap": the worker runs in new PID, network, IPC and UTS namespaces,
  in a file system that holds only /usr, the Python installation, numpy and
  the two worker files (never the repository, the reference or the hidden
  tests), with an empty /tmp as its working directory and a scrubbed
  environment. Started as root, the sandbox then drops to an unprivileged
  user of its own per job slot, so that one student's processes cannot signal
  another's and the process limit holds.
- "rlimits": no bubblewrap. The worker still runs in a separate process with
  the resource limits below, in an empty temporary directory, with a
  scrubbed environment and `python -I`; but it sees the grader's file system
  and runs as the grader's user.

Either way: a memory limit (address space), a CPU-time limit, a file-size
limit, no core dumps, no new processes (where a user of its own makes the
process limit count), and a wall-clock limit on every request, enforced here.
"""

import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy

from autograder import wire

HERE = Path(__file__).resolve().parent
# The worker, its message format, and the public modules the notebook
# imports (gradcheck, public_checks): nothing else of the repository.
WORKER_FILES = (HERE / "worker.py", HERE / "wire.py", *sorted((HERE.parent / "assignment").glob("*.py")))
SANDBOX_UID_BASE = 60000
MAX_REPLY = 64 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one submission's worker may use."""

    call_seconds: float = 10.0      # wall clock for one cell or one call
    start_seconds: float = 20.0     # wall clock for the worker to start
    cpu_seconds: int = 120          # CPU time of the whole worker
    memory_bytes: int = 2 * 1024**3
    file_bytes: int = 16 * 1024**2


class WorkerFailure(Exception):
    """The worker did not answer: it timed out, died, or broke the protocol."""

    def __init__(self, kind, detail):
        super().__init__(detail)
        self.kind = kind  # "timeout", "died" or "protocol"
        self.detail = detail


def isolation_level():
    """ "bubblewrap" where it can be used here, else "rlimits"; BACKPROP_SANDBOX forces one."""
    forced = os.environ.get("BACKPROP_SANDBOX")
    if forced in ("bubblewrap", "rlimits"):
        return forced
    return "bubblewrap" if shutil.which("bwrap") and os.geteuid() == 0 else "rlimits"


def _python_prefix():
    return Path(sys.base_prefix).resolve()


def _python_binary():
    return Path(os.path.realpath(sys.executable))


def _numpy_site():
    return Path(numpy.__file__).resolve().parent.parent


def _bubblewrap_command(uid):
    prefix, site = _python_prefix(), _numpy_site()
    command = [
        "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session",
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
        "--proc", "/proc", "--dev", "/dev",
        "--perms", "1777", "--tmpfs", "/tmp",
        "--perms", "0755", "--dir", "/sandbox",
    ]
    # bwrap makes the parents of a bind target readable only by root: make
    # each one by hand, so that the unprivileged user can reach Python.
    for parent in reversed(prefix.parents[:-1]):
        command += ["--perms", "0755", "--dir", str(parent)]
    command += ["--ro-bind", str(prefix), str(prefix)]
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists():
            command += ["--ro-bind", str(site / name), f"/sandbox/{name}"]
    for path in WORKER_FILES:
        command += ["--ro-bind", str(path), f"/sandbox/{path.name}"]
    command += ["--chdir", "/tmp", "--clearenv"]
    for key, value in _worker_environment("/tmp").items():
        command += ["--setenv", key, value]
    command += [
        "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
        str(_python_binary()), "-I", "-S", "/sandbox/worker.py", "/sandbox",
    ]
    return command


def _worker_environment(home):
    return {
        "HOME": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }


def _limit_resources(limits, max_processes):
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        if max_processes is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
    return apply


class Worker:
    """One submission's worker process, and the conversation with it."""

    def __init__(self, limits=Limits(), slot=0, isolation=None):
        self.limits = limits
        self.isolation = isolation or isolation_level()
        self.workdir = None
        if self.isolation == "bubblewrap":
            # The sandbox's user owns no other process, so a limit of one
            # process means the worker can create none.
            command, cwd, env, max_processes = _bubblewrap_command(SANDBOX_UID_BASE + slot), None, {}, 1
        else:
            self.workdir = tempfile.mkdtemp(prefix="backprop-worker-")
            site = self.workdir + "/site"
            os.mkdir(site)
            for path in WORKER_FILES:
                shutil.copy(path, site)
            command = [str(_python_binary()), "-I", "-S", f"{site}/worker.py", site, str(_numpy_site())]
            cwd, env, max_processes = self.workdir, _worker_environment(self.workdir), None
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=cwd, env=env, preexec_fn=_limit_resources(limits, max_processes), close_fds=True,
        )
        self.buffer = bytearray()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        ready = self._receive(time.monotonic() + limits.start_seconds)
        if ready.get("op") != "ready":
            self.close()
            raise WorkerFailure("protocol", "the worker did not start")

    def request(self, message, on_oracle=None, seconds=None):
        """Send a request and return the worker's "done" reply.

        Oracle requests that arrive meanwhile are answered with
        on_oracle(function, args) -> {"value": v} or {"error": text}.
        Raises WorkerFailure when the worker does not answer in time, dies, or
        sends something that is not a frame.
        """
        deadline = time.monotonic() + (seconds or self.limits.call_seconds)
        self._send(message)
        while True:
            reply = self._receive(deadline)
            if not isinstance(reply, dict):
                raise WorkerFailure("protocol", "the worker sent something other than a reply")
            if reply.get("op") == "oracle" and on_oracle is not None:
                self._send(on_oracle(reply.get("function"), reply.get("args")))
                continue
            if reply.get("op") != "done":
                raise WorkerFailure("protocol", "the worker sent an unexpected message")
            return reply

    def _send(self, message):
        try:
            self.process.stdin.write(wire.encode(message))
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerFailure("died", self._death()) from None

    def _receive(self, deadline):
        fd = self.process.stdout.fileno()
        while True:
            frame = self._complete_frame()
            if frame is not None:
                return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise WorkerFailure("timeout", "did not finish within the time limit")
            if not self.selector.select(remaining):
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise WorkerFailure("died", self._death())
            self.buffer += chunk

    def _complete_frame(self):
        sizes = wire._SIZES
        if len(self.buffer) < sizes.size:
            return None
        header_size, payload_size = sizes.unpack_from(self.buffer)
        if header_size + payload_size > MAX_REPLY:
            self.close()
            raise WorkerFailure("protocol", f"the worker sent a reply of {header_size + payload_size} bytes, over the limit")
        end = sizes.size + header_size + payload_size
        if len(self.buffer) < end:
            return None
        header = bytes(self.buffer[sizes.size:sizes.size + header_size])
        payload = bytes(self.buffer[sizes.size + header_size:end])
        del self.buffer[:end]
        try:
            return wire.decode(header, payload)
        except wire.WireError as error:
            self.close()
            raise WorkerFailure("protocol", f"the worker sent a malformed reply ({error})") from None

    def _death(self):
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.close()
            return "stopped answering"
        self.close()
        if code > 128:  # bubblewrap's init reports a signal death as 128 + signal
            code = 128 - code
        if code < 0:
            name = signal.Signals(-code).name
            reasons = {"SIGXCPU": " (CPU time limit)", "SIGSEGV": " (segmentation fault)", "SIGKILL": " (killed)"}
            return f"the process died from {name}{reasons.get(name, '')}"
        return f"the process exited with code {code}"

    def close(self):
        """Stop the worker and everything it started; safe to call twice."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.selector.close()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
