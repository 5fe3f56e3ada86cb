"""What hidden tests use: a handle on the student's code, and checks with French messages.

Hidden tests run in the trusted process. They never import the student package: they call it
through `Student`, which forwards to the sandboxed worker and gets plain data back. Checks
raise `Feedback` (an AssertionError) with a French message that says what was expected, never the value.
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

import numpy as np


class Caller(Protocol):
    def call(self, probe: str, request: dict, timeout: float | None = None) -> Any: ...


class Models(Protocol):
    def model(self, description: Any, check: np.ndarray, what: str = "modèle") -> Any: ...


class Student:
    """The student's package as the hidden tests see it: `student.call("tp1.losses.mse", a, y)`;
    and its trained models, rebuilt elsewhere from their descriptions: `student.replay(...)`."""

    def __init__(self, caller: Caller, models: Models | None = None) -> None:
        self._caller = caller
        self._models = models

    def replay(self, description: Any, check: np.ndarray, what: str = "modèle") -> Any:
        """A trained model described by the worker (`probes.describe_model`), rebuilt and checked
        on `check` in the replay process (grader/grading/replayer.py): it has `predict(X)`, `bottleneck()`,
        `layers` and `functions`. Held-out inputs go there, never to the worker."""
        if self._models is None:
            raise Feedback(f"{what} : le correcteur n'a pas de processus pour évaluer les modèles ici")
        return self._models.model(description, check, what)

    def call(self, name: str, *args: Any, timeout: float | None = None,
             callables: dict[str, dict] | None = None, **kwargs: Any) -> Any:
        module, function = name.rsplit(".", 1)
        request = {"module": module, "function": function, "args": args, "kwargs": kwargs}
        if callables:
            request["callables"] = callables
        return self._caller.call("call", request, timeout)

    def call_many(self, name: str, calls: list[tuple], timeout: float | None = None) -> list:
        """Many calls of one function in one round trip; each item is a tuple of arguments."""
        module, function = name.rsplit(".", 1)
        request = {"module": module, "function": function, "calls": [(tuple(args), {}) for args in calls]}
        return self._caller.call("call_many", request, timeout)


    def steps(self, name: str, *args: Any, steps: list[tuple], timeout: float | None = None,
              **kwargs: Any) -> list:
        """Build `name(*args, **kwargs)` in the worker and run `steps` on it, in one round trip.

        Each step is `(method, args)` or `(method, args, kwargs)`; `(".attr", ())` reads an
        attribute. Returns the list of each step's result."""
        module, cls = name.rsplit(".", 1)
        plan = [(step[0], tuple(step[1]) if len(step) > 1 else (), step[2] if len(step) > 2 else {}) for step in steps]
        request = {"module": module, "cls": cls, "args": args, "kwargs": kwargs, "steps": plan}
        return self._caller.call("object_steps", request, timeout)


    def probe(self, name: str, timeout: float | None = None, **request: Any) -> Any:
        """Any other probe of grader/sandbox/runtime/probes.py (e.g. "torch_forward"), with its named arguments."""
        return self._caller.call(name, request, timeout)


class Feedback(AssertionError):
    """A failed check with its French message for the student: the only text of a hidden test
    that reaches students (a bare assert or numpy.testing's message could quote hidden values)."""


def expect(condition: object, message: str) -> None:
    """Fail the test with a French message for the student when `condition` is false."""
    if not bool(condition):
        raise Feedback(message)


def as_array(value: Any, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The student's result as a float array, checked: numbers only, finite, the right shape."""
    if isinstance(value, (bool, int, float)) or isinstance(value, np.ndarray):
        array = np.asarray(value, dtype=float)
    elif isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise Feedback(f"{what} : un tableau de nombres est attendu") from None
    else:
        raise Feedback(f"{what} : un tableau numpy est attendu, pas {type(value).__name__}")
    if shape is not None and array.shape != tuple(shape):
        raise Feedback(f"{what} : forme {array.shape} obtenue, {tuple(shape)} attendue")
    if not np.all(np.isfinite(array)):
        raise Feedback(f"{what} : le résultat contient des NaN ou des infinis")
    return array


def as_float(value: Any, what: str) -> float:
    """A scalar result: a Python or numpy number, or an array holding exactly one number."""
    array = as_array(value, what)
    expect(array.size == 1, f"{what} : un seul nombre est attendu, {array.size} valeurs obtenues")
    return float(array.reshape(()))


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest relative error between two arrays, as in CS231n's gradient checks."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))) if a.size else 0.0


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of a scalar function f at x (trusted side, no student code)."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        plus = f(x)
        x[index] = old - h
        minus = f(x)
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad
