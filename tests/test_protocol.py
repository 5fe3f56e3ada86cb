"""Tests of grader/sandbox/runtime/protocol.py: values round-trip; anything else is refused, in bounded time."""
from __future__ import annotations

import io
import os
import pickle
import struct
import threading
import time

import numpy as np
import pytest

from grader.sandbox.runtime import protocol


def round_trip(value):
    read, write = os.pipe()
    try:
        thread = threading.Thread(target=protocol.send, args=(write, {"id": 1}, value))
        thread.start()
        header, got = protocol.receive(read, time.monotonic() + 5)
        thread.join()
    finally:
        os.close(read)
        os.close(write)
    assert header["id"] == 1
    return got


def test_values_round_trip_with_types_kept():
    value = (np.arange(6.0).reshape(2, 3), [1, 2.5, None, True, "é"], {"w": np.int32(3), "b": np.float32(0.5)},
             np.array([True, False]), np.zeros((0, 4)), np.asfortranarray(np.eye(3)[:, :2]), float("nan"),
             np.array(2.5))
    got = round_trip(value)
    assert isinstance(got, tuple) and isinstance(got[1], list)
    assert np.array_equal(got[0], value[0]) and got[0].dtype == np.float64
    assert got[1] == [1, 2.5, None, True, "é"]
    assert got[2] == {"w": 3, "b": 0.5}
    assert got[3].dtype == bool and got[4].shape == (0, 4)
    assert np.array_equal(got[5], value[5])
    assert np.isnan(got[6])
    assert got[7].shape == () and float(got[7]) == 2.5


def test_big_array_round_trips():
    value = np.random.default_rng(0).normal(size=(1000, 100))
    assert np.array_equal(round_trip(value), value)


@pytest.mark.parametrize("value", [np.array([object()], dtype=object), object(), {1: 2}, lambda: 0,
                                   np.array(["text"])])
def test_non_numeric_values_cannot_be_sent(value):
    with pytest.raises(TypeError):
        protocol.encode_value(value, [])


def frame(header: dict, payloads: list[bytes]) -> bytes:
    text = protocol.json.dumps(dict(header, arrays=[len(p) for p in payloads])).encode()
    return struct.pack(">Q", len(text)) + text + b"".join(payloads)


def receive_bytes(data: bytes, timeout: float = 2.0):
    read, write = os.pipe()
    os.write(write, data)
    try:
        return protocol.receive(read, time.monotonic() + timeout)
    finally:
        os.close(read)
        os.close(write)


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def test_pickled_object_arrays_are_refused():
    payload = npy(np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(protocol.ProtocolError):
        receive_bytes(frame({"value": {"$array": 0}}, [payload]))


def test_raw_pickle_is_refused():
    with pytest.raises(protocol.ProtocolError):
        receive_bytes(frame({"value": {"$array": 0}}, [pickle.dumps([1, 2])]))


def test_array_whose_header_lies_about_its_size_is_refused():
    payload = npy(np.zeros(10))
    with pytest.raises(protocol.ProtocolError):
        receive_bytes(frame({"value": {"$array": 0}}, [payload[:-8]]))


def npy_with_header(text: str, data: bytes) -> bytes:
    """A `.npy` 1.0 payload with a header written by hand (padded as numpy pads it)."""
    head = text + " " * (-(10 + len(text) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head.encode("latin1") + data


@pytest.mark.parametrize("text", [
    "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': __import__('os')}",  # extra key
    "{'shape': (2,), 'fortran_order': False, 'descr': '<f8', }",  # other order: not what we write
    "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",  # complex
    "{'descr': '<U2', 'fortran_order': False, 'shape': (1,), }",  # text
    "{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }",
    "{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }",
])
def test_only_the_header_layout_we_write_is_read(text):
    with pytest.raises(protocol.ProtocolError):
        receive_bytes(frame({"value": {"$array": 0}}, [npy_with_header(text, bytes(16))]))
    good = npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", bytes(16))
    assert receive_bytes(frame({"value": {"$array": 0}}, [good]))[1].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("value", [{"$array": 3}, {"$unknown": 1}, {"$float": "1e999x"}, {"a": 1, "b": 2}])
def test_malformed_value_trees_are_refused(value):
    with pytest.raises(protocol.ProtocolError):
        receive_bytes(frame({"value": value}, []))


def test_oversized_header_is_refused_before_reading_it():
    with pytest.raises(protocol.ProtocolError, match="trop grand"):
        receive_bytes(struct.pack(">Q", protocol.HEADER_LIMIT + 1))


def test_oversized_payload_is_refused_before_reading_it():
    text = protocol.json.dumps({"arrays": [1 << 40], "value": None}).encode()
    with pytest.raises(protocol.ProtocolError, match="volumineux"):
        receive_bytes(struct.pack(">Q", len(text)) + text)


def test_half_a_frame_then_silence_times_out():
    whole = frame({"value": {"$array": 0}}, [npy(np.zeros(1000))])
    start = time.monotonic()
    with pytest.raises(protocol.ReadTimeout):
        receive_bytes(whole[: len(whole) // 2], timeout=0.5)
    assert time.monotonic() - start < 2.0


def test_deeply_nested_values_are_refused():
    value: list = []
    for _ in range(protocol.MAX_DEPTH + 5):
        value = [value]
    with pytest.raises(protocol.ProtocolError):
        receive_bytes(frame({"value": value}, []))
