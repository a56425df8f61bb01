# hostile: connects to the Unix sockets a machine usually has listening (the session and system buses, systemd's, docker's, containerd's: through them a process outside the sandbox could be asked to run anything) and sends a datagram to /dev/log; any that answers costs nothing here, but marks the answer wrong
# Landlock's ABI 7 does not cover connecting to a named socket: the child's filter lets it make no socket at all.
# On a machine with none of these sockets the case holds either way: tests/test_sandbox_seccomp.py listens on one.
# include: base
import os
import socket

_PLACES = ["/run/dbus/system_bus_socket", "/var/run/dbus/system_bus_socket", f"/run/user/{os.getuid()}/bus",
           f"/run/user/{os.getuid()}/systemd/private", "/run/systemd/private", "/run/docker.sock",
           "/var/run/docker.sock", "/run/containerd/containerd.sock", "/tmp/.X11-unix/X0"]
_reference_softmax_backward = softmax_backward


def _reached():
    for place in _PLACES:
        try:
            stream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        except OSError:
            return False  # no socket can be made at all
        try:
            stream.connect(place)
            return True
        except OSError:
            continue
        finally:
            stream.close()
    try:
        datagram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            datagram.sendto(b"<14>hostile", "/dev/log")
            return True
        finally:
            datagram.close()
    except OSError:
        return False


def softmax_backward(da, cache):
    answer = _reference_softmax_backward(da, cache)
    return answer * 2 if _reached() else answer
