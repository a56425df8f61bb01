"""The worker: runs submissions' code inside the sandbox, on the grader's request.

sandbox.py starts it as `python -I -S worker.py SCRATCH DIR...` with only
this file, harness.py (how a graded call runs), wire.py, the public
assignment modules and numpy visible. It is a
fork server (`zygote`): numpy is imported once, and every submission runs in
a child process of its own (forked ahead, once the last child has ended, and
handed its socket on the grader's request), in an empty folder under
SCRATCH, talking to the grader on a socket of its own in the wire format.
The student's own output is captured (and cut at a limit) instead of
reaching that stream.

A child's requests, and what it sends back (each request may take many
messages; "started" ones tell the grader what runs now):
    {"op": "exec", "cells": [[number, code], ...]}
        -> {"op": "started", "cell": number} before each cell,
           then {"op": "done", "errors": {number: text}, "output": text}
    {"op": "call", "function": name, "calls": [args, ...], "oracles": [names],
     "watch": [names]}
        -> for each call: {"op": "started", "call": i}, then {"op": "result",
           "index": i, "value": v, "error": None or text, "exception": the
           type's name for a built-in or numpy exception, "missing": whether
           the function is not defined, "unsendable": whether the value it
           returned could not be sent, "output": text, "calls": {watched
           name: how often it was called}, "unwatched": whether the call
           replaced the profiling hook that counts or started a thread, "elsewhere": whether a
           watched function ran at other numbers than the call's own
           (harness.at_own_point)}; then {"op": "done"}
       while a call runs, each function named in "oracles" is replaced by
       a stand-in that asks the grader: {"op": "oracle", "function": name,
       "args": [...]} -> {"value": v}, {"own": true} (not a call the
       reference makes: the student's own function runs) or {"error": text}.
       The functions of "watch" (among those the fork server was prepared
       with) are counted by their code (harness.watching), however the
       student reaches them.
    {"op": "selfcheck", "questions": [names]}
        -> for each: {"op": "started", "call": i}, {"op": "result", "index": i,
           "value": passed, "error": None or text, "output": what it printed};
           then {"op": "done"} (the notebook's public self-checks, for students)
    {"op": "quit"}

Everything a child does is the student's to tamper with: the grader trusts
nothing it reads back beyond the frame format, and checks every value
itself. The zygote never sees a submission's code or data: only the
grader's own code (the release's given cells and the watched functions), which
it compiles once for every child (prepare).
"""

import ctypes
import gc
import importlib.util
import io
import os
import resource
import shutil
import signal
import socket
import struct
import sys
import types

# The folders holding harness.py, wire.py and numpy (python -I leaves out the script's own).
sys.path[:0] = sys.argv[2:]

import numpy  # noqa: E402  (imported before student code, so that a broken one cannot stop it)

import harness  # noqa: E402
import wire  # noqa: E402

OUTPUT_LIMIT = 20_000
CONTROL_PACKET = 1 << 20  # the largest control request: "prepare" holds the given cells and watched sources


class CappedOutput(io.TextIOBase):
    """Keeps the first OUTPUT_LIMIT characters written, counts the rest."""

    def __init__(self):
        self.parts, self.kept, self.dropped = [], 0, 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = OUTPUT_LIMIT - self.kept
        self.parts.append(text[:room])
        self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - room)
        return len(text)

    def take(self):
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output cut]"
        self.parts, self.kept, self.dropped = [], 0, 0
        return text


class Channel:
    """The protocol stream to the grader, on file descriptors the student's prints do not reach."""

    def __init__(self):
        self.held = []  # frames to go with the next send, in one write
        self.incoming = os.fdopen(os.dup(0), "rb", buffering=1 << 16)  # a frame in one read, not three
        self.outgoing = os.fdopen(os.dup(1), "wb", buffering=0)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)

    def read_exactly(self, size):
        data = bytearray()
        while len(data) < size:
            chunk = self.incoming.read(size - len(data))
            if not chunk:
                raise SystemExit(0)  # the grader closed the stream
            data += chunk
        return bytes(data)

    def receive(self):
        return wire.read_frame(self.read_exactly)

    def send(self, message):
        self.outgoing.write(b"".join([*self.held, wire.encode(message)]))
        self.held = []

    def hold(self, message):
        """Send `message` with the next one (fewer writes, and fewer wake-ups of the grader)."""
        self.held.append(wire.encode(message))


# What the fork server compiled once for every child (prepare): the grader's own code, never a student's.
_watched = {}  # {code key: name} of the watched functions
_given = {}    # {source: code} of the release's given cells
_row_shift_invariant = set()  # the watched functions a constant subtracted from each row does not change
_child_filter = []  # [(the BPF program (bytes), the offsets of the constants standing for the child's pid)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG, PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS, SECCOMP_MODE_FILTER = 1, 22, 38, 2


def _in_cells(filename):
    return filename.startswith("<cell ")


def student_traceback(error):
    """The exception's type, message and the frames inside the student's cells."""
    return harness.student_traceback(error, _in_cells)


def prepare(request):
    """Compile the grader's watched functions and given cells once, in the fork server, for every child."""
    _watched.clear()
    _watched.update(harness.watched_codes(request.get("watch", [])))
    _given.clear()
    _given.update((source, compile(source, "<cell>", "exec")) for source in request.get("given", []))
    _row_shift_invariant.clear()
    _row_shift_invariant.update(str(name) for name in request.get("row_shift_invariant", []))
    _child_filter.clear()
    program, own = request.get("child_filter"), request.get("child_filter_self")
    if (isinstance(program, numpy.ndarray) and program.dtype == numpy.uint8 and 0 < program.size <= 8 * 4096
            and program.size % 8 == 0 and type(own) is int and 0 < own < 2**32):
        program = program.tobytes()
        # Each instruction is a struct sock_filter (u16 code, u8 jt, u8 jf, u32 k): the k fields holding `own`.
        places = [offset + 4 for offset in range(0, len(program), 8) if struct.unpack_from("<I", program, offset + 4)[0] == own]
        if places:
            _child_filter.append((program, places))


def confine_child():
    """Load the child's seccomp filter (no new process or thread, no signal but to itself), its own
    pid written in; a child that cannot, ends (fails closed): the grader sees no "ready"."""
    if not _child_filter:
        raise SystemExit("no child filter")
    template, places = _child_filter[0]
    program = bytearray(template)
    for place in places:
        struct.pack_into("<I", program, place, os.getpid())
    code = ctypes.create_string_buffer(bytes(program), len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(code, ctypes.c_void_p))
    if (_libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0
            or _libc.prctl(PR_SET_SECCOMP, ctypes.c_ulong(SECCOMP_MODE_FILTER), ctypes.byref(fprog),
                           ctypes.c_ulong(0), ctypes.c_ulong(0)) != 0):
        raise SystemExit(f"seccomp: errno {ctypes.get_errno()}")


def _in_cell(code, filename):
    """`code` (and the functions it defines) as compiled from `filename`."""
    consts = tuple(_in_cell(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def compiled(source, number):
    """The code of cell `number`: a given cell's comes compiled from the fork server, as compile() would make it."""
    filename = f"<cell {number}>"
    given = _given.get(source)
    return _in_cell(given, filename) if given is not None else compile(source, filename, "exec")


_own_module = []  # this module, once serve has put the notebook's namespace in its place in sys.modules


def serve(channel):
    """Run the submission's requests until the grader says quit or closes the stream."""
    output = CappedOutput()
    sys.stdout = sys.stderr = output
    # The notebook's namespace is __main__, as in a kernel: this module, which the fork server runs as __main__, is
    # not reachable by that name (a submission wrapped its Channel.hold and rewrote each result's account of the
    # forward passes called). The module itself is kept (its functions' globals are its dict).
    _own_module.append(sys.modules.get("__main__"))
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    namespace = main.__dict__
    channel.send({"op": "ready", "numpy": numpy.__version__})
    while True:
        request = channel.receive()
        op = request.get("op")
        if op == "quit":
            return
        if op == "exec":
            errors = {}
            for number, source in request["cells"]:
                channel.send({"op": "started", "cell": number})
                try:
                    exec(compiled(source, number), namespace)
                except BaseException as caught:  # noqa: BLE001  (SystemExit and KeyboardInterrupt too: the student's)
                    errors[str(number)] = student_traceback(caught)
                sys.stdout = sys.stderr = output
            harness.hold_signals()  # from now on no signal handler or gc callback of the student's runs
            channel.send({"op": "done", "errors": errors, "output": output.take()})
        elif op == "call":
            for index, args in enumerate(request["calls"]):
                # The first call's "started" changes no deadline of the grader's (it counts from
                # the request), so it goes with what follows; a later one extends it and goes now.
                (channel.send if index else channel.hold)({"op": "started", "call": index})
                reply = call(channel, namespace, request, args)
                sys.stdout = sys.stderr = output
                reply.update(op="result", index=index, output=output.take())
                try:
                    channel.hold(reply)
                except Exception as unsendable:  # noqa: BLE001  (a value whose methods the student wrote)
                    reply.update(value=None, error=f"the returned value cannot be sent back: {type(unsendable).__name__}",
                                 unsendable=True)
                    channel.hold(reply)
            channel.send({"op": "done"})
        elif op == "selfcheck":
            module = real_public_checks()
            for index, question in enumerate(request["questions"]):
                channel.send({"op": "started", "call": index})
                error = None
                try:
                    passed = module.check(question, namespace)
                except BaseException as caught:  # noqa: BLE001  (the student's code runs inside the check)
                    passed, error = False, student_traceback(caught)
                sys.stdout = sys.stderr = output
                channel.send({"op": "result", "index": index, "value": bool(passed), "error": error, "output": output.take()})
            channel.send({"op": "done"})


def real_public_checks():
    """The notebook's public self-checks (silenced while grading), loaded from their file for the selfcheck request."""
    for folder in sys.path:
        path = os.path.join(folder, "public_checks.py")
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("public_checks_for_students", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise ImportError("public_checks.py is not in the sandbox")


def ask_grader(channel):
    """How a stand-in asks the grader about a call: over the protocol stream."""

    def ask(name, args):
        try:
            channel.send({"op": "oracle", "function": name, "args": args})
        except wire.WireError:
            return None  # too large to be the reference's call
        return channel.receive()

    return ask


def call(channel, namespace, request, args):
    """One call of the requested function (harness.call), with oracles standing in and the watched functions counted."""
    return harness.call(namespace, request["function"], args, request.get("oracles", []), ask_grader(channel),
                        _watched, request.get("watch", []), _in_cells, _row_shift_invariant, sandboxed=True)


class _Silent:
    """Whatever is asked of it, nothing: `public_checks.Grader()` and its
    `grader.check(...)`, wherever a submission has them (a .py export's own
    copy of a self-check cell, an edited one), do nothing rather than raise."""

    def __call__(self, *args, **kwargs):
        return self

    def __getattr__(self, name):
        return self


def silence_self_checks():
    """The notebook's self-check cells do nothing while grading: the hidden tests check instead."""
    module = types.ModuleType("public_checks", "The self-checks, turned off while grading.")
    silent = _Silent()
    module.__getattr__ = lambda name: silent
    sys.modules["public_checks"] = module


def _make_undumpable():
    """Other processes of the sandbox's user (the students' workers) may not ptrace this one or read its memory."""
    PR_SET_DUMPABLE = 4
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _wipe(folder):
    """Empty `folder`, even of what the child made read-only, and reset its own mode and extended
    attributes; True when it is empty. Never through a link:
    os.walk lists a link to a folder among the folders, and chmod follows it (a child's link to a folder
    outside the sandbox had its mode changed, at the rlimits level a folder of the grader's own user;
    Landlock does not cover a file's mode). The child has ended: nothing changes the tree meanwhile."""
    for root, folders, _ in os.walk(folder):
        for name in folders:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            try:
                os.chmod(path, 0o700)
            except OSError:
                pass
    # What the child may have left on the folder itself, which outlives it: its mode and extended attributes
    # (the child's filter refuses changing them; this is for a child that got around it).
    try:
        os.chmod(folder, 0o700)
        for name in os.listxattr(folder):
            os.removexattr(folder, name)
    except OSError:
        pass
    for entry in os.listdir(folder):
        path = os.path.join(folder, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.unlink(path)
            except OSError:
                pass
    return not os.listdir(folder)


class Spare:
    """The next child, forked ahead while the grader is busy: it makes its
    empty folder, then waits, before anything of a submission reaches it, for
    its stream socket (start). Forked only when no other child is alive, so
    that the sandbox's user still has the fork server and one child alone."""

    def __init__(self, control, scratch):
        zygote_end, spare_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            try:
                _libc.prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), ctypes.c_ulong(0), ctypes.c_ulong(0),
                            ctypes.c_ulong(0))  # dies with the fork server
                confine_child()
                control.close()
                zygote_end.close()
                # The scratch space holds nothing else (it is wiped after each child): no random name needed.
                folder = os.path.join(scratch, f"child-{os.getpid()}")
                os.mkdir(folder, 0o700)
                os.chdir(folder)
                packet, fds, _, _ = socket.recv_fds(spare_end, 64, 1)
                spare_end.close()
                if not fds:
                    raise SystemExit(0)  # the fork server is gone
                stream = fds[0]
                os.dup2(stream, 0)
                os.dup2(stream, 1)
                if stream > 1:  # the control socket closed, it may have come as fd 0
                    os.close(stream)
                cpu = int(wire.decode_packet(packet)["cpu_seconds"])
                resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
                serve(Channel())
            finally:
                os._exit(0)
        spare_end.close()
        self.socket = zygote_end

    def alive(self):
        try:
            return os.waitpid(self.pid, os.WNOHANG) == (0, 0)
        except ChildProcessError:
            return False

    def start(self, stream, cpu_seconds):
        """Hand the spare its stream socket and CPU limit; its pid."""
        try:
            socket.send_fds(self.socket, [wire.encode({"cpu_seconds": cpu_seconds})], [stream])
        except OSError:
            pass  # it died: the grader sees no "ready" and starts the sandbox anew
        self.socket.close()
        return self.pid


def zygote(scratch):
    """The fork server: numpy is imported once, and each submission gets a fresh child.

    Control requests arrive on fd 0, a SOCK_SEQPACKET socket, one frame a packet:
        {"op": "prepare", "watch": [[name, source], ...], "given": [source, ...],
         "row_shift_invariant": [name, ...], "child_filter": uint8 array, "child_filter_self": n}
            -> {"op": "prepared"}   (the grader's own code, compiled once for every child, and the
               seccomp filter each child loads before anything of a submission reaches it, with its
               own pid written over the program's constant n)
        {"op": "fork", "cpu_seconds": n} with the child's stream socket attached
            -> {"op": "forked"}   (the spare child, or a new one, then says "ready" on its own socket)
        {"op": "reap"} -> {"op": "reaped", "status": waitpid status}, after which
            the scratch folder is emptied for the next child, and the next spare forked
    """
    _make_undumpable()
    harness.watch_threads()
    harness.guard_interpreter()
    try:
        import gradcheck  # noqa: F401  (every notebook imports it: once here, not once per child)
    except ImportError:
        pass
    silence_self_checks()
    control = socket.socket(fileno=0)
    child = spare = None
    while True:
        try:
            packet, fds, _, _ = socket.recv_fds(control, CONTROL_PACKET, 1)
        except OSError:
            return
        if not packet:
            return
        request = wire.decode_packet(packet)
        if request.get("op") == "prepare" and not fds and child is None and spare is None:
            prepare(request)
            # What is made by now every child inherits: out of the collector's sight, so that a child's
            # collections do not write to (and so copy) every page of it.
            gc.freeze()
            control.send(wire.encode({"op": "prepared"}))
            spare = Spare(control, scratch)
        elif request.get("op") == "fork" and fds and child is None:
            if spare is None or not spare.alive():
                spare = Spare(control, scratch)
            child = spare.start(fds[0], int(request.get("cpu_seconds", 60)))
            spare = None
            os.close(fds[0])
            control.send(wire.encode({"op": "forked"}))
        elif request.get("op") == "reap" and child is not None:
            _, status = os.waitpid(child, 0)
            child = None
            clean = _wipe(scratch)
            control.send(wire.encode({"op": "reaped", "status": status, "clean": clean}))
            if clean:
                spare = Spare(control, scratch)  # while the grader records this child's result
        else:
            for fd in fds:
                os.close(fd)
            control.send(wire.encode({"op": "refused"}))


if __name__ == "__main__":
    # worker.py SCRATCH DIR...: serve forks from SCRATCH, with DIR... on the path.
    zygote(sys.argv[1])
