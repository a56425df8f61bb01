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
_INT_LOW, _INT_HIGH = INT_RANGE.start, INT_RANGE.stop  # compared with, faster than `in INT_RANGE`


# json.dumps's output; the header is a tree the encoder has just built, at most MAX_DEPTH deep, so there is no cycle to look for.
_HEADER_JSON = json.JSONEncoder(allow_nan=True, check_circular=False)


def _not_json(value):
    raise TypeError(f"{type(value).__name__} is not JSON")


# The same encoder as json's C one, made at import: JSONEncoder.encode and iterencode, and json.encoder's module
# functions, are looked up when called, and the student may replace them; the worker writes a result's header
# after the call, with the profiling hook off (a JSONEncoder.encode of the student's wrote a header saying no
# forward pass had been called). Where json has no C encoder, its Python one (which the student could replace).
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_HEADER_ITERENCODE = _c_make_encoder(
    None, _not_json, json.encoder.encode_basestring_ascii, None, _HEADER_JSON.key_separator,
    _HEADER_JSON.item_separator, False, False, True) if _c_make_encoder is not None else None


def _header_text(tree):
    if _HEADER_ITERENCODE is None:
        return _HEADER_JSON.encode(tree)
    return "".join(_HEADER_ITERENCODE(tree, 0))


# numpy's and json's names as this module was imported with them: in the worker, before any student code, which
# may rebind numpy's and json's module attributes. The worker encodes a result after the graded call and decodes
# the next request before it, with the profiling hook off: a stand-in for numpy.ascontiguousarray, handed the
# result array to encode, answered with the centred differences of a given forward pass (np.frombuffer and json.loads
# would have been handed the next call's inputs).
_NDARRAY, _INTEGER, _FLOATING, _BOOL = np.ndarray, np.integer, np.floating, np.bool_
_ascontiguousarray, _asarray, _frombuffer, _dtype = np.ascontiguousarray, np.asarray, np.frombuffer, np.dtype
_JSON_DECODER = json.JSONDecoder()
_make_scanner = getattr(json.scanner, "c_make_scanner", None)
_scan = _make_scanner(_JSON_DECODER) if _make_scanner is not None else None
_WHITESPACE, _JSONDecodeError = json.decoder.WHITESPACE.match, json.JSONDecodeError  # as json.loads does


def _json_loads(text):
    """json.loads(text), by a scanner made at import (json.loads and JSONDecoder's methods are the student's to replace)."""
    if _scan is None:
        return _JSON_DECODER.decode(text)
    start = _WHITESPACE(text, 0).end()
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        raise _JSONDecodeError("Expecting value", text, stop.value) from None
    end = _WHITESPACE(text, end).end()
    if end != len(text):
        raise _JSONDecodeError("Extra data", text, end)
    return value


class WireError(Exception):
    """A frame that is malformed, too large, or holds a value of a forbidden kind."""


class _Encoder:
    """Turns one message into its JSON-ready header, appending its arrays' bytes to `chunks`."""

    def __init__(self):
        self.items = 0  # values so far, against MAX_ITEMS
        self.chunks = []
        self.offset = 0

    def value(self, value, depth):
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS} values in one message")
        if depth > MAX_DEPTH:
            raise WireError(f"values nested more than {MAX_DEPTH} deep")
        kind = type(value)
        # The exact built-in types first: they are nearly all a message holds.
        if kind is str or kind is float or kind is bool or value is None:
            return value
        if kind is int:
            return value if _INT_LOW <= value < _INT_HIGH else {"~unsupported": "int outside the 64-bit range"}
        if kind is _NDARRAY:
            return self._array(value)
        if kind is dict:
            if all(type(key) is str for key in value):
                return {"~dict": [[key, self.value(item, depth + 1)] for key, item in value.items()]}
        elif kind is list:
            return [self.value(item, depth + 1) for item in value]
        elif kind is tuple:
            return {"~tuple": [self.value(item, depth + 1) for item in value]}
        return self._other(value, depth)

    def _other(self, value, depth):
        """A value of any other type: numpy's, or a subclass of a built-in type."""
        if isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, _INTEGER)) and not isinstance(value, _BOOL):
            if int(value) not in INT_RANGE:
                return {"~unsupported": "int outside the 64-bit range"}
            return int(value)
        if isinstance(value, (float, _FLOATING)):
            return float(value)
        if isinstance(value, (_NDARRAY, _BOOL)):
            return self._array(_NDARRAY.view(_asarray(value), _NDARRAY))
        if isinstance(value, (list, tuple)):
            items = [self.value(item, depth + 1) for item in value]
            return items if type(value) is list else {"~tuple": items}
        if isinstance(value, dict) and all(isinstance(key, str) for key in value):
            return {"~dict": [[key, self.value(item, depth + 1)] for key, item in value.items()]}
        return {"~unsupported": type(value).__name__}

    def _array(self, array):
        """An array (of numpy's own class): its bytes go to the payload."""
        array = _ascontiguousarray(array)
        if array.dtype.kind not in _DTYPE_KINDS:
            return {"~unsupported": f"array of dtype {array.dtype}"}
        data = array.tobytes()
        self.chunks.append(data)
        self.offset += len(data)
        return {"~array": [self.offset - len(data), array.dtype.str, list(array.shape)]}


def encode(message):
    """One frame (bytes) holding `message`."""
    encoder = _Encoder()
    header = _header_text(encoder.value(message, 0)).encode()
    size = encoder.offset
    if len(header) + size > MAX_FRAME:
        raise WireError(f"message of {len(header) + size} bytes is over the {MAX_FRAME}-byte limit")
    return b"".join([_SIZES.pack(len(header), size), header, *encoder.chunks])


class Unsupported:
    """Stands for a value the sender could not encode; `kind` names its type."""

    def __init__(self, kind):
        self.kind = str(kind)

    def __repr__(self):
        return f"<unsupported {self.kind}>"


class _Decoder:
    """Rebuilds one message from its parsed JSON header (json's own types only) and payload."""

    def __init__(self, payload):
        self.payload = payload
        self.items = 0  # values so far, against MAX_ITEMS

    def value(self, node, depth):
        self.items += 1
        if self.items > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS} values in one message")
        if depth > MAX_DEPTH:
            raise WireError(f"values nested more than {MAX_DEPTH} deep")
        kind = type(node)
        if kind is str or kind is float or kind is bool or node is None:
            return node
        if kind is int:
            if not _INT_LOW <= node < _INT_HIGH:
                raise WireError("an integer outside the 64-bit range")
            return node
        if kind is list:
            return [self.value(item, depth + 1) for item in node]
        if kind is not dict or len(node) != 1:
            raise WireError("malformed value")
        (tag, body), = node.items()
        if tag == "~dict" and type(body) is list:
            pairs = {}
            for pair in body:
                if not (type(pair) is list and len(pair) == 2 and type(pair[0]) is str):
                    raise WireError("malformed dict entry")
                pairs[pair[0]] = self.value(pair[1], depth + 1)
            return pairs
        if tag == "~tuple" and type(body) is list:
            return tuple([self.value(item, depth + 1) for item in body])
        if tag == "~array":
            return self._array(body)
        if tag == "~unsupported" and type(body) is str:
            return Unsupported(body[:200])
        raise WireError("unknown or malformed tag")

    def _array(self, body):
        if not (type(body) is list and len(body) == 3):
            raise WireError("malformed array")
        offset, dtype, shape = body
        if not (type(offset) is int and type(dtype) is str and len(dtype) <= 8 and type(shape) is list
                and len(shape) <= MAX_DIMENSIONS and all(type(n) is int for n in shape)):
            raise WireError("malformed array")
        dtype = _PLAIN_DTYPES.get(dtype) or _plain_dtype(dtype)
        if any(n < 0 or n > MAX_FRAME for n in shape):
            raise WireError("array dimension out of range")
        self.items += len(shape)
        if self.items > MAX_ITEMS:
            raise WireError(f"more than {MAX_ITEMS} values in one message")
        count = 1
        for n in shape:
            count *= n  # exact: a product of bounded dimensions, checked against the payload below
        end = offset + count * dtype.itemsize
        if not 0 <= offset <= end <= len(self.payload):
            raise WireError("array runs past the end of the frame")
        return _frombuffer(self.payload, dtype=dtype, count=count, offset=offset).reshape(tuple(shape)).copy()


def _plain_dtype(name):
    """The dtype `name` spells, when it is plain numbers (_DTYPE_KINDS, no fields, no sub-arrays); else WireError."""
    dtype = _dtype(name)
    if dtype.kind not in _DTYPE_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"forbidden dtype {dtype}")
    return dtype


# The spellings encode writes (dtype.str), looked up instead of parsed; any other is parsed and checked.
_PLAIN_DTYPES = {
    spelling: _plain_dtype(spelling)
    for code in "?bhilqBHILQefdg" for spelling in (np.dtype(code).str, np.dtype(code).newbyteorder().str)
}


def decode(header, payload):
    """The message held by a frame's header and payload bytes."""
    try:
        return _Decoder(payload).value(_json_loads(header.decode()), 0)
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
