"""Run submissions' code in isolation, and talk to it with time limits.

Each grading process keeps one sandbox: a fork server (worker.py's zygote) with
numpy already imported. Every submission runs in a fresh child process of it,
in an empty folder, talking to the grader on a socket of its own; after the
child ends, the sandbox's scratch space is wiped before the next one.

Three levels of isolation, the strongest this machine allows (the result of
every submission records which one was in force):

- "bubblewrap": the sandbox has new PID, network, IPC and UTS namespaces and
  a file system that holds only /usr, the Python installation, numpy and the
  worker's files (never the repository, the reference or the hidden tests,
  and no /proc), with an empty /tmp as scratch space (a tmpfs of SCRATCH_BYTES) and a
  scrubbed environment. Started as
  root, it drops to an unprivileged user of its own per sandbox: a child
  cannot signal the grader or another sandbox, cannot ptrace or read the fork
  server (which is not dumpable), and cannot create processes (the process
  limit counts only that user's: the fork server and the one child).
- "container": root without namespaces (container.py): the same user, limits
  and filter, the machine's file system with what must stay secret made
  unreadable to that user, and checked.
- "rlimits": no bubblewrap. The same fork server, resource limits and
  seccomp filters, an empty temporary folder, a scrubbed environment and
  `python -I`; but the code sees the grader's file system and runs as the
  grader's user.

Every level: a memory limit (address space), a CPU-time limit per
submission, a file-size limit, no core dumps, and a wall-clock limit on
every request by the grader's clock, enforced here by killing the child.
At every level a seccomp filter (seccomp_policy.py) denies the system calls
no student needs, and each child adds one of its own: no new process or
thread, and no signal to any process but itself.
"""

import ctypes
import fcntl
import functools
import os
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy

from autograder import capabilities, container, landlock, replies, seccomp_policy, wire

HERE = Path(__file__).resolve().parent
# The worker and its message format; with the public modules the notebook
# imports (the release's *.py: gradcheck, public_checks...), all the worker
# sees of the repository.
WORKER_FILES = (HERE / "worker.py", HERE / "harness.py", HERE / "wire.py")


def worker_files(release):
    """The files bound into the sandbox for an assignment whose release is the folder `release`."""
    return (*WORKER_FILES, *sorted(Path(release).glob("*.py")))
SANDBOX_UIDS = range(60000, 61000)
PROBE_UID = SANDBOX_UIDS.start - 1  # no sandbox's: for checking what any unprivileged user can read


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


LEVELS = ("bubblewrap", "container", "rlimits")


def isolation_level():
    """The strongest level this machine allows: "bubblewrap" where it can make
    its namespaces, else "container" for a grader running as root, else
    "rlimits"; BACKPROP_SANDBOX forces one."""
    forced = os.environ.get("BACKPROP_SANDBOX")
    if forced in LEVELS:
        return forced
    if os.geteuid() != 0:
        return "rlimits"
    return "bubblewrap" if bubblewrap_works() else "container"


@functools.cache
def bubblewrap_works():
    """Whether bubblewrap is installed and can create its namespaces here (a container may forbid it)."""
    if not shutil.which("bwrap"):
        return False
    command = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
               "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _python_prefix():
    return Path(sys.base_prefix).resolve()


def _python_binary():
    return Path(os.path.realpath(sys.executable))


def _numpy_site():
    return Path(numpy.__file__).resolve().parent.parent


PR_SET_PDEATHSIG = 1
SCRATCH_BYTES = 64 * 1024**2
SCRATCH_INODES = 4096  # files and folders: each costs kernel memory the byte limit does not count
MNT_DETACH = 2


def _unmount(target):
    """Detach every file system mounted at `target`; False where that is not allowed."""
    libc = ctypes.CDLL(None, use_errno=True)
    while os.path.ismount(target):
        if libc.umount2(str(target).encode(), MNT_DETACH) != 0:
            return False
    return True


def _mount_scratch(target, options):
    """A fresh tmpfs of SCRATCH_BYTES and SCRATCH_INODES at `target`, so that
    files cannot fill the machine's memory (bwrap 0.8's own --tmpfs has no
    limits); False where mounting is not allowed. A mount left there by an
    earlier sandbox of this user (a fork server that was killed, a grader
    that was stopped, an older version's options) is detached first: nothing
    of it reaches the new sandbox."""
    if not _unmount(target):
        return False
    options = f"size={SCRATCH_BYTES},nr_inodes={SCRATCH_INODES},{options}".encode()
    return ctypes.CDLL(None, use_errno=True).mount(b"tmpfs", str(target).encode(), b"tmpfs", 0, options) == 0


def _scratch_mount(uid):
    """The bubblewrap sandbox's /tmp (see _mount_scratch), or None. Its user's
    alone (mode 0700): it lies in the machine's /tmp, where a world-writable
    folder would let any other user (another grader's sandbox at the container
    level) leave files for this sandbox's next child."""
    target = Path(tempfile.gettempdir()) / "backprop-lab-sandbox-scratch" / str(uid)
    target.mkdir(parents=True, exist_ok=True)
    return target if _mount_scratch(target, f"uid={uid},gid={uid},mode=0700") else None


def _bubblewrap_command(uid, seccomp_fd, files):
    prefix, site = _python_prefix(), _numpy_site()
    scratch = _scratch_mount(uid)
    scratch_options = ["--bind", str(scratch), "/tmp"] if scratch else ["--perms", "1777", "--tmpfs", "/tmp"]
    command = [
        "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--die-with-parent", "--new-session", "--seccomp", str(seccomp_fd),
        "--ro-bind", "/usr", "/usr",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
        # No /proc, as where Landlock holds: the fork server's entry there counts what every child it reaped
        # did (minor faults, CPU ticks: /proc/PPID/stat), which a child set to chosen bits on hidden inputs and
        # the public re-run's fresh worker read back into its message.
        "--dev", "/dev",
        *scratch_options,
        "--perms", "0755", "--dir", "/sandbox",
    ]
    # bwrap makes the parents of a bind target readable only by root: make
    # each one by hand, so that the unprivileged user can reach Python.
    for parent in reversed(prefix.parents[:-1]):
        command += ["--perms", "0755", "--dir", str(parent)]
    command += ["--ro-bind", str(prefix), str(prefix)]
    # Only numpy is importable: hide the packages installed beside Python
    # (the grader itself may be installed there, and with it the reference).
    for packages in _package_folders(prefix):
        command += ["--tmpfs", packages]
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists():
            command += ["--ro-bind", str(site / name), f"/sandbox/{name}"]
    for path in files:
        command += ["--ro-bind", str(path), f"/sandbox/{path.name}"]
    command += ["--chdir", "/tmp", "--clearenv"]
    for key, value in _worker_environment("/tmp").items():
        command += ["--setenv", key, value]
    command += [
        "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs",
        str(_python_binary()), "-I", "-S", "/sandbox/worker.py", "/tmp", "/sandbox",
    ]
    return command


def _package_folders(prefix):
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [
        prefix / "lib" / version / "site-packages", Path("/usr/lib/python3/dist-packages"),
        Path("/usr/local/lib") / version / "dist-packages", Path("/usr/lib") / version / "dist-packages",
    ]
    return [str(path) for path in candidates if path.is_dir()]


def _worker_environment(home):
    return {
        "HOME": home, "TMPDIR": home, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    }


def _files_plan(own, scratch):
    """What Landlock lets the container and rlimits levels' worker reach (landlock.py): the system's
    libraries, the Python installation without its packages, `own` (the worker's files and numpy)
    read-only, and its scratch folder."""
    prefix = _python_prefix()
    return landlock.plan(readable=["/usr", "/lib", "/lib64", "/bin", "/etc/ld.so.cache", prefix, *own],
                         usable=[scratch], devices=[os.devnull], excluded=_package_folders(prefix))


def _confine_rlimits(files):
    """In the rlimits level's fork server before exec: no capability to exec with (a grader run as root), then Landlock
    (with no_new_privs, which needs no privilege), then seccomp."""
    capabilities.drop_bounding_set()
    landlock.restrict(files)
    seccomp_policy.load()


def _limit_resources(limits, max_processes, confine=None):
    def apply():
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if max_processes is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (max_processes, max_processes))
        if confine is not None:
            confine()
        # Dies with the grading process (bwrap also has --die-with-parent); after confine, whose change of
        # user would clear it. The grader starts sandboxes from its main thread only: this is that thread's.
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        # Last: the grader's own descriptors are still open here (closed after this, before exec), and
        # Landlock's rules each open one; a process holding more than 64 would find none left.
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    return apply


class Sandbox:
    """One grading process's fork server, restarted whenever it stops answering.

    `watch` ([(name, source)]: the functions whose calls a graded call counts)
    and `given` (the sources of the release's given cells) are the grader's
    own code: the fork server compiles them once, for every child; `release`
    is the folder of the release whose public modules the worker imports;
    `row_shift_invariant` names the watched functions a constant subtracted
    from each row does not change (Assignment.row_shift_invariant)."""

    def __init__(self, limits=Limits(), isolation=None, watch=(), given=(), release=None, row_shift_invariant=()):
        self.limits = limits
        self.isolation = isolation or isolation_level()
        self.watch = tuple((str(name), str(source)) for name, source in watch)
        self.row_shift_invariant = tuple(str(name) for name in row_shift_invariant)
        self.given = tuple(str(source) for source in given)
        self.process = None
        self.control = None
        self.workdir = None
        self.uid_lock = self.uid = None
        self.stage = None  # the container level's (folder, python, site folders), made once
        self.shared = None  # the container level's folders its user may write in (container.shared_folders), found once
        self.reaping = False  # whether a reap request awaits its answer (collect)
        if release is None:
            from autograder import assignment

            release = assignment.load().release
        self.files = worker_files(release)

    def _claim_uid(self):
        """An unprivileged user id no other sandbox is using, held by a lock
        for this sandbox's life, so that the process limit counts this
        sandbox's processes alone. A uid with a live process is passed over
        too: a grader whose temporary folder is another (TMPDIR, a chroot)
        does not see this lock, or leftovers of a killed grader. The lowest
        free one is taken, so that its scratch mount and staged files are
        reused rather than left behind."""
        if self.uid_lock is None:
            folder = Path(tempfile.gettempdir()) / "backprop-lab-sandbox-users"
            folder.mkdir(mode=0o700, exist_ok=True)
            busy = {owner for _, _, owner in _processes()}
            for uid in SANDBOX_UIDS:
                if uid in busy:
                    continue
                lock = open(folder / str(uid), "a")
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    lock.close()
                    continue
                self.uid_lock, self.uid = lock, uid
                break
            else:
                raise WorkerFailure("protocol", "no free sandbox user id")
        return self.uid

    def _start(self):
        grader_end, server_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if self.isolation == "bubblewrap":
            # Processes an earlier sandbox of this user left behind (still
            # dying, or from a grader that was killed) would count against
            # the process limit.
            _kill_user(self._claim_uid())
            # The fork server and its one child are the only processes of the
            # sandbox's user, so a limit of two means the child can create none.
            seccomp_fd = seccomp_policy.bpf_fd()
            kept_fds = (seccomp_fd,)
            command, cwd, env, max_processes = _bubblewrap_command(self._claim_uid(), seccomp_fd, self.files), None, {}, 2
            confine = None
        elif self.isolation == "container":
            kept_fds, uid = (), self._claim_uid()
            _kill_user(uid)
            if self.shared is None:
                self.shared = container.shared_folders(uid)
            container.remove_left_by(uid, self.shared)  # what an earlier sandbox of this user left (its grader killed)
            if self.stage is None:
                prefix = _python_prefix()
                self.stage = container.stage(uid, prefix, _python_binary(), _numpy_site(), self.files,
                                             [Path(p) for p in _package_folders(prefix)])
            root, python, folders = self.stage
            scratch = container.private_scratch(root, uid, _mount_scratch, _unmount)
            command = [str(python), "-I", "-S", f"{folders[0]}/worker.py", str(scratch), *folders]
            cwd, max_processes = scratch, 2
            env = {**_worker_environment(str(scratch)), **container.library_path(python)}
            confine = functools.partial(container.confine, uid, _files_plan([root], scratch))
        else:
            kept_fds = ()
            self.workdir = tempfile.mkdtemp(prefix="backprop-sandbox-")
            site, scratch = self.workdir + "/site", self.workdir + "/scratch"
            os.mkdir(site)
            os.mkdir(scratch, 0o700)  # its user's alone, as the wipe leaves it (and as at the other levels)
            for path in self.files:
                shutil.copy(path, site)
            # numpy alone, not the packages beside it (the grader's among them): what Landlock lets it read.
            numpy_folders = [_numpy_site() / name for name in ("numpy", "numpy.libs") if (_numpy_site() / name).exists()]
            for folder in numpy_folders:
                os.symlink(folder, f"{site}/{folder.name}")
            command = [str(_python_binary()), "-I", "-S", f"{site}/worker.py", scratch, site]
            cwd, env, max_processes = scratch, _worker_environment(scratch), None
            confine = functools.partial(_confine_rlimits, _files_plan([site, *numpy_folders], scratch))
        try:
            self.process = subprocess.Popen(
                command, stdin=server_end, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                cwd=cwd, env=env, preexec_fn=_limit_resources(self.limits, max_processes, confine), close_fds=True,
                pass_fds=kept_fds,
            )
        finally:
            server_end.close()
            for fd in kept_fds:
                os.close(fd)
        self.control = grader_end
        self.control.settimeout(self.limits.start_seconds)
        prepared = self._ask({"op": "prepare", "watch": [list(pair) for pair in self.watch], "given": list(self.given),
                              "row_shift_invariant": list(self.row_shift_invariant),
                              "child_filter": numpy.frombuffer(seccomp_policy.child_bpf(), dtype=numpy.uint8),
                              "child_filter_self": seccomp_policy.SELF})
        if not (isinstance(prepared, dict) and prepared.get("op") == "prepared"):
            self.close()
            raise WorkerFailure("protocol", "the sandbox did not start")

    def _ask(self, message, fds=()):
        """Send a control request and return the fork server's reply, or None if it did not answer."""
        try:
            socket.send_fds(self.control, [wire.encode(message)], list(fds))
            return self._decode(self.control.recv(65536))
        except OSError:
            return None

    @staticmethod
    def _decode(packet):
        try:
            return wire.decode_packet(packet)
        except wire.WireError:
            return None

    def start_ahead(self):
        """Start the fork server now, before the first submission asks for a child (spawn starts it otherwise)."""
        if self.process is None:
            self._start()

    def spawn(self):
        """A fresh child for one submission, as a Worker; restarts the fork server once if it fails."""
        self.collect()
        for attempt in range(2):
            if self.process is None or self.process.poll() is not None:
                self.close()
                try:
                    self._start()
                except WorkerFailure:  # the fork server did not answer "prepare": once more
                    if attempt:
                        raise
                    continue
            grader_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            with child_end:
                reply = self._ask({"op": "fork", "cpu_seconds": self.limits.cpu_seconds}, [child_end.fileno()])
            if isinstance(reply, dict) and reply.get("op") == "forked":
                try:
                    return Worker(self, grader_end)
                except WorkerFailure:
                    if attempt:
                        raise
            grader_end.close()
            self.close()
        raise WorkerFailure("protocol", "the sandbox did not start a worker")

    def kill_children(self):
        """SIGKILL every process below the fork server (the child, and anything it started)."""
        if self.process is None:
            return
        parents = {pid: parent for pid, parent, _ in _processes()}
        # Under bubblewrap the tree is bwrap -> its init -> the fork server ->
        # the child; without it, the fork server is the process itself.
        depth_of_server = 2 if self.isolation == "bubblewrap" else 0
        server = self.process.pid
        for _ in range(depth_of_server):
            server = next((pid for pid, parent in parents.items() if parent == server), None)
            if server is None:
                return
        _kill([pid for pid in parents if _is_below(pid, server, parents)])

    def reap(self, wait=True):
        """Have the fork server wait for the child to end and wipe the scratch
        space; the child's wait status, or None. With wait=False the answer is
        collected before the next fork (collect()), so that the fork server's
        wait and wipe overlap the grader's own work: the fork server answers
        its requests in order, and no child is forked before the grader has
        seen that the scratch space is clean."""
        try:
            socket.send_fds(self.control, [wire.encode({"op": "reap"})], [])
        except (OSError, AttributeError):  # no fork server (it was closed), or it is gone
            pass
        self.reaping = True
        return self.collect() if wait else None

    def collect(self, grace_seconds=2.0):
        """The answer to the last reap request (the child killed after the grace
        time): the child's wait status, or None; the sandbox is started anew
        when the fork server does not answer or the scratch space is not clean."""
        if not self.reaping:
            return None
        self.reaping = False
        reply = None
        try:
            self.control.settimeout(grace_seconds)
            try:
                packet = self.control.recv(65536)
            except TimeoutError:
                self.kill_children()
                packet = self.control.recv(65536)  # a fork server stopped by its child times out here too
            reply = self._decode(packet)
        except (OSError, AttributeError):
            pass
        if self.control is not None:
            self.control.settimeout(self.limits.start_seconds)
        if self.isolation == "container":
            container.remove_left_by(self.uid, self.shared)
        try:
            status, clean = replies.reaped(reply)
        except replies.Invalid:
            self.close()  # a fork server that does not answer is started anew for the next submission
            return None
        if not clean:
            self.close()  # files the next submission could see: start a new sandbox
        return status

    def close(self):
        self.reaping = False
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()
        self.process = None
        if self.control is not None:
            self.control.close()
            self.control = None
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def _processes():
    """(pid, parent pid, real uid) of every process, read from /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
            yield int(entry), int(fields["PPid"]), int(fields["Uid"].split()[0])
        except (OSError, KeyError, ValueError, IndexError):
            continue


def _kill(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _kill_user(uid, seconds=5.0):
    """SIGKILL every process of `uid` and wait until they are gone."""
    deadline = time.monotonic() + seconds
    while True:
        pids = [pid for pid, _, owner in _processes() if owner == uid]
        if not pids or time.monotonic() > deadline:
            return
        _kill(pids)
        time.sleep(0.01)


def _is_below(pid, ancestor, parents):
    while pid in parents and pid != ancestor:
        pid = parents[pid]
        if pid == ancestor:
            return True
    return False


def describe_status(status):
    """Words for a child's wait status."""
    if status is None:
        return "the worker stopped answering (the sandbox was restarted)"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:  # a real-time signal has no name
            name = f"signal {number}"
        reasons = {"SIGXCPU": " (CPU time limit)", "SIGSEGV": " (segmentation fault)", "SIGKILL": " (killed)"}
        return f"the process died from {name}{reasons.get(name, '')}"
    return f"the process exited with code {os.WEXITSTATUS(status)}"


class Worker:
    """One submission's child process, and the conversation with it."""

    def __init__(self, sandbox, stream):
        self.sandbox = sandbox
        self.limits = sandbox.limits
        self.isolation = sandbox.isolation
        self.stream = stream
        self.stream.setblocking(False)
        self.buffer = bytearray()
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.stream, selectors.EVENT_READ)
        self.finished = False
        self.frame_limit = replies.FRAME_SLACK
        ready = self._receive(time.monotonic() + self.limits.start_seconds)
        if not isinstance(ready, dict) or ready.get("op") != "ready":
            self.close(kill=True)
            raise WorkerFailure("protocol", "the worker did not start")

    def request(self, message, on_oracle=None, seconds=None, on_progress=None, until=None):
        """Send a request and return the worker's checked "done" reply.

        Each item (cell or call) has `seconds` (by default the per-call
        limit) by the grader's clock, never past `until`: item k must end by
        `seconds` after its "started" message and by (k + 1) * `seconds`
        after the request was sent, so forged "started" messages (refused
        beyond the items requested, or out of order) cannot make the request
        last longer. A child that knows every item of a request may still
        share their time among them: the session sends graded calls one per
        request. The checked "started" and "result" messages go to on_progress(message);
        stand-in questions are answered with on_oracle(function, args) ->
        {"value": v} or {"error": text}. Every frame is bounded by what this
        request can need (replies.frame_limit) and every message checked
        (replies.Conversation). Raises WorkerFailure when the worker does not
        answer in time, dies, or sends anything else.
        """
        seconds, until = seconds or self.limits.call_seconds, until or float("inf")
        sent = time.monotonic()
        deadline = min(sent + seconds, until)
        data = wire.encode(message)
        self.frame_limit = replies.frame_limit(len(data))
        conversation = replies.Conversation(message)
        self._send_bytes(data, deadline)
        while True:
            try:
                kind, reply = conversation.read(self._receive(deadline))
            except replies.Invalid as invalid:
                self.close(kill=True)
                raise WorkerFailure("protocol", f"the worker sent {invalid}") from None
            if kind == "progress":
                if reply["op"] == "started":
                    deadline = min(time.monotonic() + seconds, sent + conversation.started * seconds, until)
                if on_progress is not None:
                    on_progress(reply)
            elif kind == "oracle":
                answer = on_oracle(*reply) if on_oracle is not None else {"error": "no stand-in here"}
                try:
                    encoded = wire.encode(answer)
                except wire.WireError:
                    encoded = wire.encode({"error": "the reference's answer is too large to send"})
                self._send_bytes(encoded, deadline)
            else:
                return reply

    def _send_bytes(self, data, deadline):
        data = memoryview(data)
        while data:
            try:
                sent = self.stream.send(data)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.close(kill=True)
                    raise WorkerFailure("timeout", "did not finish within the time limit") from None
                select_write = selectors.DefaultSelector()
                select_write.register(self.stream, selectors.EVENT_WRITE)
                select_write.select(max(0.0, deadline - time.monotonic()))
                select_write.close()
                continue
            except OSError:
                raise WorkerFailure("died", self._death()) from None
            data = data[sent:]

    def _receive(self, deadline):
        while True:
            frame = self._complete_frame()
            if frame is not None:
                return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close(kill=True)
                raise WorkerFailure("timeout", "did not finish within the time limit")
            if not self.selector.select(remaining):
                continue
            try:
                chunk = self.stream.recv(1 << 20)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                raise WorkerFailure("died", self._death())
            self.buffer += chunk

    def _complete_frame(self):
        sizes = wire._SIZES
        if len(self.buffer) < sizes.size:
            return None
        header_size, payload_size = sizes.unpack_from(self.buffer)
        if header_size + payload_size > self.frame_limit:
            self.close(kill=True)
            raise WorkerFailure("protocol", f"the worker sent a frame of {header_size + payload_size} bytes, over the limit")
        end = sizes.size + header_size + payload_size
        if len(self.buffer) < end:
            return None
        header = bytes(self.buffer[sizes.size:sizes.size + header_size])
        payload = bytes(self.buffer[sizes.size + header_size:end])
        del self.buffer[:end]
        try:
            return wire.decode(header, payload)
        except wire.WireError as error:
            self.close(kill=True)
            raise WorkerFailure("protocol", f"the worker sent a malformed reply ({error})") from None

    def _death(self):
        return describe_status(self._end(wait=True))

    def _end(self, wait=False):
        if self.finished:
            return None
        self.finished = True
        self.selector.close()
        self.stream.close()
        return self.sandbox.reap(wait)

    def close(self, kill=False):
        """End the child: ask it to quit, or kill it at once (kill=True, after
        it broke a limit); safe to call twice."""
        if self.finished:
            return
        if kill:
            self.sandbox.kill_children()
        else:
            try:
                self.stream.send(wire.encode({"op": "quit"}))
            except OSError:
                pass
        self._end()
