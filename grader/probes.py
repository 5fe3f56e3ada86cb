"""Probes: public grader code that runs *inside the worker* and drives the student package.

This file is copied into each worker's runtime directory and imported there, next to student
code, so it imports only stdlib and numpy and trusts nothing it gets back from student code:
it only converts results to plain data, which the grader validates again on its side.
A probe never sees labels or expected values; it calls, and returns what the student returned.
"""
from __future__ import annotations

import importlib
import re
from typing import Any, Callable

import numpy as np

MODULE_NAME = re.compile(r"^tp\d+(\.[A-Za-z_]\w*)*$")


class ImportFailed(Exception):
    """The student module did not import: the message carries the Python error."""

    _dlgrade_import = True


def student_function(module: str, function: str) -> Callable:
    if not MODULE_NAME.match(module):
        raise ValueError(f"nom de module refusé : {module!r}")
    try:
        mod = importlib.import_module(module)
    except BaseException as exc:  # SyntaxError, ImportError, an exception at import time...
        failure = ImportFailed(f"{type(exc).__name__}: {exc}")
        failure.__traceback__ = exc.__traceback__
        if isinstance(exc, SyntaxError):
            failure.args = (f"SyntaxError: {exc.msg} (ligne {exc.lineno})",)
        raise failure from None
    target = getattr(mod, function, None)
    if not callable(target):
        raise AttributeError(f"{module} ne définit pas la fonction {function}")
    return target


def make_callable(spec: dict) -> Callable:
    """Functions cannot cross the boundary: the grader names one from this public library."""
    if spec.get("kind") == "polynomial":
        coefs = np.asarray(spec["coefs"], dtype=float)
        return lambda x: np.polyval(coefs, np.asarray(x, dtype=float))
    raise ValueError(f"fonction inconnue : {spec!r}")


def plain(value: Any) -> Any:
    """Student results as plain data: arrays of numbers, scalars, tuples, lists, dicts."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"un tableau de nombres est attendu, pas un tableau de type {value.dtype}")
        return np.array(value)  # a plain copy, not a subclass of the student's
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        items = [plain(item) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if value is None:
        return None
    raise TypeError(f"valeur de type {type(value).__name__} renvoyée : un tableau numpy ou un nombre est attendu")


def call(module: str, function: str, args: list | tuple = (), kwargs: dict | None = None,
         callables: dict | None = None) -> Any:
    """Call one student function; `callables` replaces arguments (by index or name) by functions."""
    args, kwargs = list(args), dict(kwargs or {})
    for key, spec in (callables or {}).items():
        if key.isdigit():
            args[int(key)] = make_callable(spec)
        else:
            kwargs[key] = make_callable(spec)
    return plain(student_function(module, function)(*args, **kwargs))


def call_many(module: str, function: str, calls: list) -> list:
    """One round trip for many calls (a numerical gradient check sends all its inputs at once)."""
    return [call(module, function, args, kwargs) for args, kwargs in calls]


PROBES: dict[str, Callable[..., Any]] = {"call": call, "call_many": call_many, "ping": lambda: "pong"}


def run(name: Any, request: Any) -> Any:
    if name not in PROBES or not isinstance(request, dict):
        raise ValueError(f"sonde inconnue : {name!r}")
    return PROBES[name](**request)
