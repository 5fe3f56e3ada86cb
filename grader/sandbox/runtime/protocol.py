"""Wire format between the trusted grader and an untrusted worker.

A message is a frame: an 8-byte big-endian length, a JSON header of that length, then the raw
`.npy` bytes of every array the header lists. Values are trees of JSON scalars, lists, tuples,
string-keyed dicts and numpy arrays. Never pickle: arrays are read with `allow_pickle=False`,
their dtype must be bool, integer or float, and every size is bounded before it is read.

This file is copied into the worker's runtime directory, so it imports only stdlib and numpy.
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import select
import struct
import time
from typing import Any

import numpy as np

HEADER_LIMIT = 4 * 1024 * 1024  # bytes of JSON in one frame
MAX_DEPTH = 32  # nesting of lists/tuples/dicts
MAX_NODES = 200_000  # values in one tree
MAX_STR = 20_000  # characters in one string
ALLOWED_KINDS = "biuf"  # bool, signed int, unsigned int, float: nothing that can carry code
_LEN = struct.Struct(">Q")


class ProtocolError(Exception):
    """The other side sent something that is not a valid frame (or nothing in time)."""


class StreamClosed(ProtocolError):
    """The other side closed the pipe: the worker exited or crashed."""


class ReadTimeout(ProtocolError):
    """No complete frame arrived before the deadline."""


# ---------------------------------------------------------------- value trees


def encode_value(value: Any, arrays: list[tuple[bytes, memoryview]], _depth: int = 0) -> Any:
    """Turn a value into JSON-able data, appending each array's `.npy` payload to `arrays` as
    (header, data): the data is a view of the array's own memory, so large arrays are not copied."""
    if _depth > MAX_DEPTH:
        raise TypeError("structure trop profondément imbriquée")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return number if math.isfinite(number) else {"$float": repr(number)}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in ALLOWED_KINDS:
            raise TypeError(f"tableau de type {value.dtype} non pris en charge (nombres attendus)")
        value = value if value.flags.c_contiguous else value.copy(order="C")  # ascontiguousarray would make 0-d 1-d
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(value))
        arrays.append((header.getvalue(), memoryview(value.reshape(-1)).cast("B")))
        return {"$array": len(arrays) - 1}
    if isinstance(value, (list, tuple)):
        items = [encode_value(item, arrays, _depth + 1) for item in value]
        return {"$tuple": items} if isinstance(value, tuple) else items
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("dictionnaire dont les clés ne sont pas des chaînes")
        return {"$dict": {key: encode_value(item, arrays, _depth + 1) for key, item in value.items()}}
    raise TypeError(f"valeur de type {type(value).__name__} non prise en charge")


def decode_value(data: Any, arrays: list[np.ndarray]) -> Any:
    """Inverse of `encode_value`, validating the structure's size and every leaf's type."""
    budget = [MAX_NODES]

    def walk(node: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise ProtocolError("valeur trop grande ou trop imbriquée")
        if node is None or isinstance(node, (bool, int, float)):
            return node
        if isinstance(node, str):
            if len(node) > MAX_STR:
                raise ProtocolError("chaîne trop longue")
            return node
        if isinstance(node, list):
            return [walk(item, depth + 1) for item in node]
        if isinstance(node, dict) and len(node) == 1:
            tag, body = next(iter(node.items()))
            if tag == "$array" and type(body) is int and 0 <= body < len(arrays):
                return arrays[body]
            if tag == "$float" and body in ("nan", "inf", "-inf"):
                return float(body)
            if tag == "$tuple" and isinstance(body, list):
                return tuple(walk(item, depth + 1) for item in body)
            if tag == "$dict" and isinstance(body, dict):
                return {str(key): walk(item, depth + 1) for key, item in body.items()}
        raise ProtocolError("valeur mal formée")

    return walk(data, 0)


# The one header layout `encode_value` writes (numpy's `.npy` format 1.0), matched exactly: no
# `ast.literal_eval` of text the worker controls, and a third of the time per array.
_MAGIC = b"\x93NUMPY\x01\x00"
_NPY_HEADER = re.compile(r"\{'descr': '([<>|][biuf][1248])', 'fortran_order': (True|False), "
                         r"'shape': \(((?:\d{1,12}, )*\d{1,12},?|)\), \} *\n")


def load_array(raw: memoryview) -> np.ndarray:
    """Read one `.npy` payload without pickle (and without copying it), refusing non-numbers."""
    try:
        if bytes(raw[:8]) != _MAGIC:
            raise ValueError("magic")
        (length,) = struct.unpack("<H", raw[8:10])
        match = _NPY_HEADER.fullmatch(bytes(raw[10:10 + length]).decode("latin1"))
        if match is None:
            raise ValueError("header")
        descr, fortran, dims = match.groups()
        dtype = np.dtype(descr)
        shape = tuple(int(n) for n in dims.replace(",", " ").split())
        offset, count = 10 + length, math.prod(shape)
        if dtype.kind not in ALLOWED_KINDS or count * dtype.itemsize != len(raw) - offset:
            raise ValueError("size")
        array = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
        return array.reshape(shape, order="F" if fortran == "True" else "C")
    except Exception as exc:  # malformed header, truncated data, object dtype, pickle...
        raise ProtocolError(f"tableau illisible ou non numérique ({type(exc).__name__})") from None


# ---------------------------------------------------------------- frames


def send(fd: int, message: dict, value: Any = None, deadline: float | None = None) -> None:
    """Encode `value` into the message's "value" field and write the whole frame to `fd`. With a
    `deadline` (`fd` non-blocking: the grader's end), a reader that stops reading cannot hold the
    writer past it: ReadTimeout."""
    arrays: list[tuple[bytes, memoryview]] = []
    body = dict(message, value=encode_value(value, arrays))
    body["arrays"] = [len(head) + len(data) for head, data in arrays]
    text = json.dumps(body, allow_nan=False).encode()
    parts = [memoryview(_LEN.pack(len(text)) + text)]
    for head, data in arrays:
        parts += [memoryview(head), data]
    while parts:
        try:
            written = os.writev(fd, parts[:512])
        except BlockingIOError:  # the pipe is full: wait until the reader takes some, or the deadline
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and (left <= 0 or not select.select([], [fd], [], left)[1]):
                raise ReadTimeout("délai dépassé (le processus ne lit plus)") from None
            if left is None:
                select.select([], [fd], [])
            continue
        while parts and written >= len(parts[0]):
            written -= len(parts.pop(0))
        if written:
            parts[0] = parts[0][written:]


def _read_exact(fd: int, count: int, deadline: float | None) -> memoryview:
    buffer = memoryview(bytearray(count))
    done = 0
    while done < count:
        if deadline is not None:
            left = deadline - time.monotonic()
            # A worker that sends half a frame and stalls must not hang the grader.
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise ReadTimeout("délai dépassé")
        got = os.readv(fd, [buffer[done:]])
        if not got:
            raise StreamClosed("le processus a fermé la communication")
        done += got
    return buffer


def receive(fd: int, deadline: float | None = None, max_bytes: int = 1 << 30,
            max_numbers: int | None = None) -> tuple[dict, Any]:
    """Read one frame; return (header, decoded value). Every size is checked before reading; with
    `max_numbers`, the arrays' elements too (a bool array is 8 times larger once in float64)."""
    (length,) = _LEN.unpack(_read_exact(fd, _LEN.size, deadline))
    if length > HEADER_LIMIT:
        raise ProtocolError("en-tête de message trop grand")
    try:
        header = json.loads(bytes(_read_exact(fd, length, deadline)))
    except (ValueError, UnicodeDecodeError):
        raise ProtocolError("en-tête de message illisible") from None
    sizes = header.get("arrays") if isinstance(header, dict) else None
    if not isinstance(sizes, list) or not all(type(n) is int and n >= 0 for n in sizes):
        raise ProtocolError("en-tête de message mal formé")
    if sum(sizes) > max_bytes:
        raise ProtocolError("message trop volumineux")
    arrays = [load_array(_read_exact(fd, size, deadline)) for size in sizes]
    if max_numbers is not None and sum(array.size for array in arrays) > max_numbers:
        arrays.clear()  # now: the error's traceback keeps this frame, and every failure that chains it, alive
        raise ProtocolError("message trop volumineux (trop de nombres)")
    return header, decode_value(header.get("value"), arrays)
