"""The worker protocol's bounds: what wire.py refuses to decode, and what
replies.py refuses to pass on, so that nothing a child sends can raise inside
the grader or buy time (the hostile cases forged_* check the same end to end)."""

import math

import numpy as np
import pytest

from autograder import replies, wire


def _decode(header):
    return wire.decode(header.encode(), b"\0" * 64)


def test_a_message_of_every_supported_kind_round_trips():
    message = {"a": [1, -2.5, None, True, "x", (1, 2)], "empty": np.zeros((0, 5)), "m": np.arange(6).reshape(2, 3)}
    decoded = wire.decode_packet(wire.encode(message))
    assert decoded["a"] == message["a"]
    assert decoded["empty"].shape == (0, 5)
    assert np.array_equal(decoded["m"], message["m"])


@pytest.mark.parametrize("header", [
    "1" + "0" * 400,                                   # an int no float or int64 holds
    "[" * 40 + "]" * 40,                               # nesting past MAX_DEPTH
    "[" * 100_000 + "]" * 100_000,                     # nesting past what json's recursion takes
    "[" + ",".join(["0"] * 200_000) + "]",             # more values than MAX_ITEMS
    '{"~array": [0.0, "<f8", [1]]}',                   # a float offset
    '{"~array": [0, "<f8", [1.0]]}',                   # a float dimension
    '{"~array": [0, "<f8", [-1]]}',
    '{"~array": [0, "<f8", [100, 100]]}',              # past the payload
    '{"~array": [0, "V8", [1]]}',                      # a dtype that is not plain numbers
    '{"~array": [0, "O", [1]]}',
    '{"~array": 7}',
    '{"~dict": [[1, 2]]}',
    '{"~tuple": 3}',
    '{"~nothing": 0}',
    '{"a": 1, "b": 2}',
])
def test_the_decoder_refuses_what_no_worker_writes(header):
    with pytest.raises(wire.WireError):
        _decode(header)


@pytest.mark.parametrize("dtype", ["<f8", "float64", "d", "=f8", ">f8", "|b1", "?", "<i4", "u2"])
def test_a_plain_dtype_decodes_however_it_is_spelt(dtype):
    decoded = _decode('{"~array": [0, "%s", [2]]}' % dtype)
    assert decoded.dtype == np.dtype(dtype) and decoded.shape == (2,) and decoded.flags.writeable


def test_an_int_outside_64_bits_is_sent_as_unsupported_not_refused():
    decoded = wire.decode_packet(wire.encode({"value": 10**400}))
    assert isinstance(decoded["value"], wire.Unsupported)


def test_a_value_nested_too_deep_cannot_be_encoded():
    value = []
    for _ in range(100):
        value = [value]
    with pytest.raises(wire.WireError):
        wire.encode(value)


CALL = {"op": "call", "function": "f", "calls": [[1], [2]], "oracles": ["g"], "watch": ["h"]}  # watched names: the sources went to the fork server


def _result(index, **fields):
    return {"op": "result", "index": index, "value": 1.0, "error": None, "output": "", "calls": {}, "seconds": 0.1,
            **fields}


def test_a_well_formed_call_conversation_passes_with_checked_fields():
    conversation = replies.Conversation(CALL)
    assert conversation.read({"op": "started", "call": 0})[0] == "progress"
    assert conversation.read({"op": "oracle", "function": "g", "args": [1]}) == ("oracle", ("g", [1]))
    kind, checked = conversation.read(_result(0, calls={"h": 2}, nested={"h": 1}, extra="dropped"))
    assert kind == "progress" and checked["calls"] == {"h": 2} and checked["nested"] == {"h": 1} and "extra" not in checked
    conversation.read({"op": "started", "call": 1})
    conversation.read(_result(1))
    assert conversation.read({"op": "done"}) == ("done", {"op": "done"})


@pytest.mark.parametrize("forged", [
    [{"op": "started", "call": 0}, {"op": "started", "call": 0}],          # a second start buys no time
    [{"op": "started", "call": 1}],
    [{"op": "started", "call": 0.0}],
    [{"op": "started", "call": 0}, _result(0.0)],
    [{"op": "started", "call": 0}, _result(7)],
    [{"op": "started", "call": 0}, _result(0, seconds=math.nan)],
    [{"op": "started", "call": 0}, _result(0, seconds=-1.0)],
    [{"op": "started", "call": 0}, _result(0, calls={"h": -1})],
    [{"op": "started", "call": 0}, _result(0, calls={"not watched": 1})],
    [{"op": "started", "call": 0}, _result(0, calls={"h": 1}, nested={"h": 2})],    # more nested calls than calls
    [{"op": "started", "call": 0}, _result(0, calls={"h": 1}, nested={"g": 1})],
    [{"op": "started", "call": 0}, _result(0, calls={"h": 1}, nested=[1])],
    [{"op": "started", "call": 0}, _result(0, calls={"h": 2}, nested={"h": 1}, repeats={"h": 2})],
    [{"op": "started", "call": 0}, _result(0, calls={"h": 2}, repeats={"h": -1})],
    [{"op": "started", "call": 0}, _result(0, error=3)],
    [{"op": "started", "call": 0}, _result(0, output="x" * (replies.OUTPUT_LIMIT + 1))],
    [_result(0)],                                                           # a result before its start
    [{"op": "oracle", "function": "g", "args": []}],                        # a question while nothing runs
    [{"op": "started", "call": 0}, {"op": "oracle", "function": "reference", "args": []}],
    [{"op": "started", "call": 0}, {"op": "oracle", "function": "g", "args": "not a list"}],
    [{"op": "done"}],
    [{"op": "started", "call": 0}, _result(0), {"op": "done"}],
    [[1, 2]],
    [{"op": "ready"}],
])
def test_a_forged_or_malformed_reply_is_refused(forged):
    conversation = replies.Conversation(CALL)
    with pytest.raises(replies.Invalid):
        for message in forged:
            conversation.read(message)


def test_exec_errors_only_for_the_cells_run():
    conversation = replies.Conversation({"op": "exec", "cells": [[3, "pass"]]})
    conversation.read({"op": "started", "cell": 3})
    with pytest.raises(replies.Invalid):
        conversation.read({"op": "done", "errors": {"4": "x"}, "output": ""})


def test_a_reaped_status_is_a_wait_status():
    assert replies.reaped({"op": "reaped", "status": 9, "clean": True}) == (9, True)
    for status in (-1, 1 << 16, 2.0, True, 10**30):
        with pytest.raises(replies.Invalid):
            replies.reaped({"op": "reaped", "status": status, "clean": True})


def test_a_frame_may_be_of_the_order_of_the_request():
    assert replies.frame_limit(1000) < 40 * 1024 * 1024  # the forged frames of issue 10 are refused
