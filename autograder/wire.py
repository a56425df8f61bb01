"""The message format between the grader and a worker: JSON plus raw array bytes.

Nothing is ever unpickled or evaluated. A message is one frame:

    8 bytes   two little-endian uint32: the header's length, the payload's length
    header    UTF-8 JSON
    payload   the raw bytes of every array, one after another

Values are None, bool, int, float, str, lists, tuples, dicts with string keys
and numpy arrays. In the JSON an array is {"~array": [offset, dtype, shape]},
pointing into the payload, and its dtype must be a plain numeric one (bool,
int, uint, float); a tuple is {"~tuple": [...]}, a dict {"~dict": [[k, v], ...]}.
A value of any other type is sent as {"~unsupported": "its type's name"}, so
the other side can say what came back instead of failing.

This module is copied into the worker's sandbox: it uses only the standard
library and numpy.
"""

import json
import struct

import numpy as np

MAX_FRAME = 256 * 1024 * 1024
_SIZES = struct.Struct("<II")
_DTYPE_KINDS = "biuf"


class WireError(Exception):
    """A frame that is malformed, too large, or holds a value of a forbidden kind."""


def _encode(value, chunks, offset):
    if value is None or isinstance(value, (bool, str)):
        return value, offset
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
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
            encoded, offset = _encode(item, chunks, offset)
            items.append(encoded)
        return (items if type(value) is list else {"~tuple": items}), offset
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        pairs = []
        for key, item in value.items():
            encoded, offset = _encode(item, chunks, offset)
            pairs.append([key, encoded])
        return {"~dict": pairs}, offset
    return {"~unsupported": type(value).__name__}, offset


def encode(message):
    """One frame (bytes) holding `message`."""
    chunks = []
    header, size = _encode(message, chunks, 0)
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


def _decode(node, payload):
    if isinstance(node, list):
        return [_decode(item, payload) for item in node]
    if not isinstance(node, dict):
        return node
    if len(node) != 1:
        raise WireError("malformed value")
    (tag, body), = node.items()
    if tag == "~tuple":
        return tuple(_decode(item, payload) for item in body)
    if tag == "~dict":
        return {str(key): _decode(item, payload) for key, item in body}
    if tag == "~unsupported":
        return Unsupported(body)
    if tag == "~array":
        offset, dtype, shape = body
        dtype = np.dtype(str(dtype))
        if dtype.kind not in _DTYPE_KINDS or dtype.hasobject:
            raise WireError(f"forbidden dtype {dtype}")
        shape = tuple(int(n) for n in shape)
        if any(n < 0 for n in shape):
            raise WireError("negative array dimension")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        end = int(offset) + count * dtype.itemsize
        if not 0 <= int(offset) <= end <= len(payload):
            raise WireError("array runs past the end of the frame")
        return np.frombuffer(payload, dtype=dtype, count=count, offset=int(offset)).reshape(shape).copy()
    raise WireError(f"unknown tag {tag!r}")


def decode(header, payload):
    """The message held by a frame's header and payload bytes."""
    try:
        return _decode(json.loads(header.decode()), payload)
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
