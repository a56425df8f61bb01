"""The message format between the grader and a worker: JSON plus raw array bytes.

Nothing is ever unpickled or evaluated. A message is one frame:

    8 bytes   two little-endian uint32: the header's length, the payload's length
    header    UTF-8 JSON
    payload   the raw bytes of every array, one after another

Values are None, bool, int, float, str, lists, tuples, dicts with string keys
and numpy arrays. In the JSON an array is {"~array": [offset, dtype, shape]},
pointing into the payload, and its dtype must be a plain numeric one (bool,
int, uint, float); a tuple is {"~tuple": [...]}, a dict {"~dict": [[k, v], ...]}.
A value of any other type (or an int outside 64 bits) is sent as
{"~unsupported": "its type's name"}, so the other side can say what came
back instead of failing. Either side refuses a message nested deeper than
MAX_DEPTH or holding more than MAX_ITEMS values, whoever wrote it.

This module is copied into the worker's sandbox: it uses only the standard
library and numpy.
"""

import json
import struct

import numpy as np

MAX_FRAME = 256 * 1024 * 1024
_SIZES = struct.Struct("<II")
_DTYPE_KINDS = "biuf"
# What a decoded message may hold, whoever sent it: nothing a frame says can
# make the reader recurse deeply, build a huge structure, or hold an integer
# that no later arithmetic or conversion can take.
MAX_DEPTH = 32
MAX_ITEMS = 100_000        # values in one message, counting every nested one
MAX_DIMENSIONS = 32
INT_RANGE = range(-2**63, 2**63)


class WireError(Exception):
    """A frame that is malformed, too large, or holds a value of a forbidden kind."""


class _Budget:
    """Counts the values of one message (encoded or decoded) against MAX_ITEMS."""

    def __init__(self):
        self.items = 0

    def spend(self, count=1):
        self.items += count
        if self.items > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS} values in one message")


def _encode(value, chunks, offset, budget, depth=0):
    budget.spend()
    if depth > MAX_DEPTH:
        raise WireError(f"values nested more than {MAX_DEPTH} deep")
    if value is None or isinstance(value, (bool, str)):
        return value, offset
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        if int(value) not in INT_RANGE:
            return {"~unsupported": "int outside the 64-bit range"}, offset
        return int(value), offset
    if isinstance(value, (float, np.floating)):
        return float(value), offset
    if isinstance(value, (np.ndarray, np.bool_)):
        array = np.ascontiguousarray(np.asarray(value).view(np.ndarray))
        if array.dtype.kind not in _DTYPE_KINDS:
            return {"~unsupported": f"array of dtype {array.dtype}"}, offset
        data = array.tobytes()
        chunks.append(data)
        return {"~array": [offset, array.dtype.str, list(array.shape)]}, offset + len(data)
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            encoded, offset = _encode(item, chunks, offset, budget, depth + 1)
            items.append(encoded)
        return (items if type(value) is list else {"~tuple": items}), offset
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        pairs = []
        for key, item in value.items():
            encoded, offset = _encode(item, chunks, offset, budget, depth + 1)
            pairs.append([key, encoded])
        return {"~dict": pairs}, offset
    return {"~unsupported": type(value).__name__}, offset


def encode(message):
    """One frame (bytes) holding `message`."""
    chunks = []
    header, size = _encode(message, chunks, 0, _Budget())
    header = json.dumps(header, allow_nan=True).encode()
    if len(header) + size > MAX_FRAME:
        raise WireError(f"message of {len(header) + size} bytes is over the {MAX_FRAME}-byte limit")
    return _SIZES.pack(len(header), size) + header + b"".join(chunks)


class Unsupported:
    """Stands for a value the sender could not encode; `kind` names its type."""

    def __init__(self, kind):
        self.kind = str(kind)

    def __repr__(self):
        return f"<unsupported {self.kind}>"


def _decode(node, payload, budget, depth=0):
    budget.spend()
    if depth > MAX_DEPTH:
        raise WireError(f"values nested more than {MAX_DEPTH} deep")
    if isinstance(node, bool) or node is None or isinstance(node, (str, float)):
        return node
    if isinstance(node, int):
        if node not in INT_RANGE:
            raise WireError("an integer outside the 64-bit range")
        return node
    if isinstance(node, list):
        return [_decode(item, payload, budget, depth + 1) for item in node]
    if not isinstance(node, dict) or len(node) != 1:
        raise WireError("malformed value")
    (tag, body), = node.items()
    if tag == "~tuple" and isinstance(body, list):
        return tuple(_decode(item, payload, budget, depth + 1) for item in body)
    if tag == "~dict" and isinstance(body, list):
        pairs = {}
        for pair in body:
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise WireError("malformed dict entry")
            pairs[pair[0]] = _decode(pair[1], payload, budget, depth + 1)
        return pairs
    if tag == "~unsupported" and isinstance(body, str):
        return Unsupported(body[:200])
    if tag == "~array":
        return _decode_array(body, payload, budget)
    raise WireError("unknown or malformed tag")


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _decode_array(body, payload, budget):
    if not (isinstance(body, list) and len(body) == 3):
        raise WireError("malformed array")
    offset, dtype, shape = body
    if not (_is_int(offset) and isinstance(dtype, str) and len(dtype) <= 8 and isinstance(shape, list)
            and len(shape) <= MAX_DIMENSIONS and all(_is_int(n) for n in shape)):
        raise WireError("malformed array")
    dtype = np.dtype(dtype)
    if dtype.kind not in _DTYPE_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"forbidden dtype {dtype}")
    if any(n < 0 or n > MAX_FRAME for n in shape):
        raise WireError("array dimension out of range")
    budget.spend(len(shape))
    count = 1
    for n in shape:
        count *= n  # exact: a product of bounded dimensions, checked against the payload below
    end = offset + count * dtype.itemsize
    if not 0 <= offset <= end <= len(payload):
        raise WireError("array runs past the end of the frame")
    return np.frombuffer(payload, dtype=dtype, count=count, offset=offset).reshape(tuple(shape)).copy()


def decode(header, payload):
    """The message held by a frame's header and payload bytes."""
    try:
        return _decode(json.loads(header.decode()), payload, _Budget())
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError, UnicodeDecodeError) as error:
        raise WireError(f"malformed frame: {type(error).__name__}") from None


def decode_packet(packet):
    """The message held by one whole frame (bytes)."""
    if len(packet) < _SIZES.size:
        raise WireError("truncated frame")
    header_size, payload_size = _SIZES.unpack_from(packet)
    start = _SIZES.size
    if len(packet) != start + header_size + payload_size:
        raise WireError("truncated frame")
    return decode(packet[start:start + header_size], packet[start + header_size:])


def read_frame(read_exactly):
    """Read one frame with `read_exactly(n) -> bytes` and decode it."""
    header_size, payload_size = _SIZES.unpack(read_exactly(_SIZES.size))
    if header_size + payload_size > MAX_FRAME:
        raise WireError(f"frame of {header_size + payload_size} bytes is over the limit")
    header = read_exactly(header_size)
    return decode(header, read_exactly(payload_size))
