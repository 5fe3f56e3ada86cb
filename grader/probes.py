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


def student_attribute(module: str, name: str) -> Any:
    """A function or class of a student module, importing it (errors carry the Python error)."""
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
    target = getattr(mod, name, None)
    if not callable(target):
        raise AttributeError(f"{module} ne définit pas {name}")
    return target


def student_function(module: str, function: str) -> Callable:
    return student_attribute(module, function)


def make_callable(spec: dict) -> Callable:
    """Functions cannot cross the boundary: the grader names one from this public library."""
    if spec.get("kind") == "polynomial":
        coefs = np.asarray(spec["coefs"], dtype=float)
        return lambda x: np.polyval(coefs, np.asarray(x, dtype=float))
    if spec.get("kind") == "nearest_centroid":
        return nearest_centroid_score
    raise ValueError(f"fonction inconnue : {spec!r}")


def nearest_centroid_score(X_train: Any, y_train: Any, X_val: Any, y_val: Any) -> float:
    """A `fit_and_score` for cross-validation: fit one mean per class, return the accuracy of
    "nearest mean" on the validation set. Public and deterministic, so the grader's side can
    compute the same scores from the same folds."""
    X_train, X_val = np.asarray(X_train, dtype=float), np.asarray(X_val, dtype=float)
    y_train, y_val = np.asarray(y_train), np.asarray(y_val)
    classes = np.unique(y_train)
    centroids = np.stack([X_train[y_train == c].mean(axis=0) for c in classes])  # (C, d)
    distances = ((X_val[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)  # (N_val, C)
    return float(np.mean(classes[distances.argmin(axis=1)] == y_val))


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


def object_steps(module: str, cls: str, args: list | tuple = (), kwargs: dict | None = None,
                 steps: list | None = None) -> list:
    """Build a student object (`cls(*args, **kwargs)`) and call its methods in turn; the object
    stays in the worker, only each step's plain result comes back. A step is
    [method, args, kwargs]; a method name starting with "." reads an attribute instead."""
    target = student_attribute(module, cls)(*args, **(kwargs or {}))
    results = []
    for method, step_args, step_kwargs in steps or []:
        if not isinstance(method, str) or method.startswith("_"):
            raise ValueError(f"méthode refusée : {method!r}")
        if method.startswith("."):
            results.append(plain(getattr(target, method[1:])))
        else:
            results.append(plain(getattr(target, method)(*step_args, **(step_kwargs or {}))))
    return results


PROBES: dict[str, Callable[..., Any]] = {
    "call": call, "call_many": call_many, "object_steps": object_steps, "ping": lambda: "pong"}


def run(name: Any, request: Any) -> Any:
    if name not in PROBES or not isinstance(request, dict):
        raise ValueError(f"sonde inconnue : {name!r}")
    return PROBES[name](**request)
