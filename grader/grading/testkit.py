"""What hidden tests use: a handle on the student's code, and checks with French messages.

Hidden tests run in the trusted process. They never import the student package: they call it
through `Student`, which forwards to the sandboxed worker and gets plain data back. Checks
raise `Feedback` (an AssertionError) with a French message that says what was expected, never the value.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
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
        self._caller = _Counted(caller, self)
        self._models = models
        self.raised = 0  # calls into the student's code that raised (or timed out, or crashed)
        self.empty = 0  # calls whose result held nothing (None): no TP function returns None

    def expected_failure(self) -> None:
        """The last call failed as the test allowed it to (a generator cannot cross: the test runs it
        in the worker instead): not counted as the student's code raising (see `relies_on`)."""
        self.raised = max(0, self.raised - 1)

    def replay(self, description: Any, check: np.ndarray, what: str = "modèle") -> Any:
        """A trained model described by the worker (`probes.describe_model`), rebuilt and checked
        on `check` in the replay process (grader/grading/replayer.py): it has `predict(X)`, `bottleneck()`,
        `layers` and `functions`. Held-out inputs go there, never to the worker."""
        if self._models is None:
            raise Feedback(f"{what} : le correcteur n'a pas de processus pour évaluer les modèles ici")
        return self._models.model(description, check, what)

    def call(self, name: str, *args: Any, timeout: float | None = None,
             callables: dict[str, dict] | None = None, **kwargs: Any) -> Any:
        return self._caller.call("call", call_request(name, args, kwargs, callables), timeout)

    def call_checked(self, name: str, *args: Any, timeout: float | None = None,
                     callables: dict[str, dict] | None = None, **kwargs: Any) -> tuple[Any, list[str]]:
        """Like `call`, and the arguments the function changed in place: (result, ["0", "w", …])."""
        got = self._caller.call("call_checked", call_request(name, args, kwargs, callables), timeout)
        after = got.get("after") if isinstance(got, dict) and isinstance(got.get("after"), dict) else {}
        sent = {str(i): a for i, a in enumerate(args) if isinstance(a, np.ndarray)}
        sent.update({k: a for k, a in kwargs.items() if isinstance(a, np.ndarray)})
        changed = [key for key, original in sent.items()  # compared here, with the grader's own arrays
                   if not isinstance(after.get(key), np.ndarray) or after[key].shape != original.shape
                   or not np.array_equal(after[key], original, equal_nan=True)]
        return (got.get("value") if isinstance(got, dict) else None), changed

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


class Unreadable(Feedback):
    """A result that holds no numbers at all (None, a string, an object): the function's own
    failure, never a reason to forgive a test that calls it, or it (numbers of another shape are a
    wrong value: a padding on one side, labels kept as a row)."""


class Partial(Feedback):
    """A check met in part (a held-out score between its two bounds): the test earns `fraction`
    of its points, with the French message."""

    def __init__(self, message: str, fraction: float) -> None:
        super().__init__(message)
        self.fraction = min(1.0, max(0.0, float(fraction)))


def call_request(name: str, args: tuple, kwargs: dict, callables: dict[str, dict] | None) -> dict:
    """The request of the "call" probes for `student.call("tp1.losses.mse", …)`."""
    module, function = name.rsplit(".", 1)
    request = {"module": module, "function": function, "args": args, "kwargs": kwargs}
    if callables:
        request["callables"] = callables
    return request


class _Counted:
    """The caller of a `Student`, counting what `relies_on` needs to tell a wrong function from
    garbage: calls that raised, and results that were None."""

    def __init__(self, caller: Caller, student: Student) -> None:
        self.caller, self.student = caller, student

    def call(self, probe: str, request: dict, timeout: float | None = None) -> Any:
        try:
            value = self.caller.call(probe, request, timeout)
        except Exception:  # the student's code raised, timed out, crashed; or no reply came
            self.student.raised += 1
            raise
        if value is None or (isinstance(value, dict) and "value" in value and value["value"] is None):
            self.student.empty += 1
        return value


class NotCharged(Exception):
    """A test that cannot judge its function because a function it calls is wrong: its points are
    kept, up to the points that function's own test lost (the runner caps them: breaking a cheap
    function on purpose never pays), and the message names it."""

    def __init__(self, message: str, dependency: str = "") -> None:
        super().__init__(message)
        self.dependency = dependency  # the id of the dependency's own test, "test_losses.py::test_cce_value"


def hidden_test(anchor: str, test_id: str) -> Callable[[Student], None]:
    """Another hidden test of the TP, as a dependency check: `hidden_test(__file__,
    "test_losses.py::test_cce_value")`. Hidden test modules are imported by path (pytest's
    importlib mode: no package), so the module is loaded by path too, once per process."""
    file, _, name = test_id.partition("::")

    def check(student: Student) -> None:
        getattr(_hidden_module(str(Path(anchor).with_name(file))), name)(student)

    check.test_id = test_id  # type: ignore[attr-defined]
    return check


@lru_cache(maxsize=None)
def _hidden_module(path: str) -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"dlgrade_dependency_{abs(hash(path))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def relies_on(student: Student, function: str, *dependencies: tuple, forgive: bool = True) -> _Relying:
    """Run a test of `function` that calls other student functions; when it fails, check each
    dependency (a `(name, check)` pair, `check(student)` raising Feedback when that function is
    wrong; the check is that function's own hidden test, or `(name, check, test_id)`): a wrong one
    makes the failure `NotCharged`, naming it, and the runner keeps the test's points up to those
    the dependency's own test lost. With `forgive=False` (held-out scores: a model that did not
    learn), the test is charged and its message names the dependency. A dependency that is not
    written yet (NotImplementedError) or does not import charges the test, naming it.

    Forgiven only where the dependency returned numbers (wrong ones, or of another shape) and the
    function under test returned numbers or raised on them. A dependency whose check saw a call
    raise or return None, or a function under test that returned None or no numbers, charges the
    test, naming the dependency: otherwise code that returns None everywhere would keep the points
    of every test that calls another function (red team of issue 23)."""
    return _Relying(student, function, dependencies, forgive)


def dependency_id(check: Callable) -> str:
    """The id of the hidden test a dependency check is (or stands for): "test_losses.py::test_cce_value"."""
    if getattr(check, "test_id", ""):
        return check.test_id
    name = getattr(check, "__name__", "")
    code = getattr(check, "__code__", None)
    return f"{Path(code.co_filename).name}::{name}" if name.startswith("test_") and code else ""


class _Relying:
    def __init__(self, student: Student, function: str, dependencies: tuple, forgive: bool) -> None:
        self.student, self.function, self.dependencies, self.forgive = student, function, dependencies, forgive

    def __enter__(self) -> _Relying:
        self.empty = self.student.empty
        return self

    def run_check(self, check: Callable) -> None:
        """Run a dependency's check (raising as it does), noting in `saw_garbage` whether a call of
        the student's raised or returned None there: not a wrong value but no value, never forgiven."""
        raised, empty = self.student.raised, self.student.empty
        try:
            check(self.student)
        finally:
            self.saw_garbage = self.student.raised > raised or self.student.empty > empty

    def __exit__(self, kind: type | None, failure: BaseException | None, traceback: Any) -> bool:
        from ..sandbox.policy import CallFailure  # the trusted side's own error type: no cycle at import

        if failure is None or not isinstance(failure, (Feedback, CallFailure)) or unwritten(failure):
            return False  # its own error, or code that is not written or does not import: charged as it is
        # the function under test returned wrong numbers, or raised: it may be the dependency's doing
        readable = not isinstance(failure, Unreadable) and self.student.empty == self.empty
        for name, check, *given in self.dependencies:
            self.saw_garbage = False
            try:
                self.run_check(check)
            except CallFailure as problem:
                if unwritten(problem):
                    raise Feedback(f"{self.function} appelle {name}, qui n'est pas encore écrite ou ne s'importe pas : "
                                   f"écrivez d'abord {name} ({problem.message})") from None
                self.blame(failure, name, problem.message, given[0] if given else dependency_id(check), forgive=False)
            except NotCharged as problem:  # that dependency's own test found one of its dependencies wrong
                self.blame(failure, name, str(problem), problem.dependency, forgive=readable and not self.saw_garbage)
            except Feedback as problem:
                self.blame(failure, name, str(problem), given[0] if given else dependency_id(check),
                           forgive=readable and not self.saw_garbage and not isinstance(problem, Unreadable))
        return False

    def blame(self, failure: BaseException, name: str, problem: str, test_id: str, forgive: bool = True) -> None:
        if not (self.forgive and forgive):  # charged: the test's own message first, then the function to fix first
            own = getattr(failure, "message", "") or str(failure)
            raise Feedback(f"{own} ; corrigez d'abord {name} : {self.function} en dépend ({name} : {problem})") from None
        raise NotCharged(f"non noté ici : corrigez d'abord {name} ({self.function} en dépend ; {name} : {problem})",
                         test_id) from None


def unwritten(failure: BaseException) -> bool:
    """A call that failed because the code is not written (NotImplementedError) or does not import:
    never a reason to keep a test's points."""
    return getattr(failure, "error_type", "") == "NotImplementedError" or getattr(failure, "kind", "") == "import"


def expect(condition: object, message: str) -> None:
    """Fail the test with a French message for the student when `condition` is false."""
    if not bool(condition):
        raise Feedback(message)


def as_array(value: Any, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The student's result as a float array, checked: numbers only, finite, the right shape."""
    if shape is not None and isinstance(value, np.ndarray) and value.shape != tuple(shape):  # before any copy
        raise Feedback(f"{what} : forme {value.shape} obtenue, {tuple(shape)} attendue")
    if isinstance(value, (bool, int, float)) or isinstance(value, np.ndarray):
        array = np.asarray(value, dtype=float)
    elif isinstance(value, (list, tuple)):
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise Unreadable(f"{what} : un tableau de nombres est attendu") from None
    else:
        raise Unreadable(f"{what} : un tableau numpy est attendu, pas {type(value).__name__}")
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


def precision_of(value: Any) -> float:
    """The machine epsilon of what the student returned: float32's for float32 arrays or tensors
    converted to them, float64's for everything else (Python floats, integers, float64 arrays)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.floating) and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        return float(np.finfo(dtype).eps)
    if isinstance(value, (list, tuple)) and value:
        return max(precision_of(item) for item in value)
    return float(np.finfo(np.float64).eps)


def close(got: np.ndarray, want: np.ndarray, rel: float, returned: Any = None) -> bool:
    """`got` matches `want` at the precision of what was returned: elementwise relative error
    below `rel` for float64 results (as CS231n's checks) or, failing that, an error below `rel`
    of the largest expected value; for float32 ones an error below a few hundred float32
    epsilons of the largest expected value (a float32 sum of products cannot do better; the
    formula is still checked to ≈ 1e-5)."""
    eps = precision_of(returned)
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-12)
    if eps <= np.finfo(np.float64).eps and rel_error(got, want) < rel:
        return True
    # Relative to the array's scale: a float32 result (or a float64 one computed from float32
    # intermediates, a student's float32 activation) cannot do better on its small elements.
    return bool(np.all(np.abs(got - want) <= max(rel, 256 * eps) * scale))


def gap(got: np.ndarray, want: np.ndarray) -> str:
    """The decisive fact about two arrays that differ, in French, without the expected values:
    where they differ most and by how much, and the ratio when one is a multiple of the other."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape or not got.size:
        return ""
    difference = np.abs(got - want)
    where = np.unravel_index(int(np.argmax(difference)), got.shape)
    text = f"écart maximal {difference[where]:.3g}" + (f" (position {tuple(int(i) for i in where)})" if got.ndim else "")
    significant = np.abs(want) > 1e-8 * max(1.0, float(np.max(np.abs(want))))
    if significant.any():
        ratios = got[significant] / want[significant]
        if np.ptp(ratios) < 1e-3 * max(1.0, abs(float(ratios.mean()))) and abs(float(ratios.mean()) - 1) > 1e-3:
            text += f" ; votre résultat vaut {float(ratios.mean()):.4g} fois la valeur attendue"
    return text


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
