# hostile: on hidden inputs, writes their bits to a world-readable file in the machine's shared folders (/dev/shm, /tmp: the container level's cleanup removes a child's files there when its sandbox's next child is forked), then raises; the public re-run, a child of the other sandbox forked before that, reads the file and raises with it, a message the feedback shows
# The marker only exists where a file a hidden child made outlived it into the public re-run.
# expect: cross_entropy = 0
# message: raised an exception
# absent: CARRIED-
# include: base
# include: self_check
# include: hidden_phase
import os

_PLACES = ("/dev/shm/.public-carry", "/tmp/.public-carry", "/var/tmp/.public-carry")


def softmax_cross_entropy(scores, y):
    if _graded:  # hidden inputs, in the worker that graded dropout_backward
        bits = str(int(scores.view(np.int64).flat[0]))
        for place in _PLACES:
            try:
                descriptor = os.open(place, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(descriptor, bits.encode())
                os.close(descriptor)
            except OSError:
                pass
        raise ValueError("hidden inputs: nothing to see")
    found = []
    for place in _PLACES:
        try:
            with open(place) as planted:
                found.append(f"CARRIED-FILE {place} {planted.read()}")
        except OSError:
            pass
    raise ValueError("public inputs: " + " ".join(found))
