"""Expected outputs of the hidden side: cases run on `solutions/`, stored in `expected.npz`.

`reference/tpN/cases.py` defines `CASES`: name -> (student function, args, kwargs), built from
seeds. `grader reference build` runs each case on `solutions/` through the sandbox and stores
the outputs (float64, no pickle). Hidden tests read them through the `reference` fixture; they
never leave the trusted side.
"""
from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..base.errors import ReferenceSetupError
from ..base.files import write_atomically
from .testkit import Caller, Student


@dataclass(frozen=True)
class Case:
    function: str  # "tp1.perceptron.train"
    args: tuple  # positional arguments: arrays and numbers
    kwargs: dict  # keyword arguments


@dataclass(frozen=True)
class ReferenceData:
    cases: dict[str, Case]  # from cases.py
    expected: dict[str, np.ndarray]  # from expected.npz: "name" or "name/i" for tuple items

    @classmethod
    def load(cls, folder: Path) -> ReferenceData:
        cases = load_cases(folder)
        path = folder / "expected.npz"
        if not path.exists():
            return cls(cases, {})
        with np.load(path, allow_pickle=False) as data:
            return cls(cases, {key: data[key] for key in data.files})

    def case(self, name: str) -> Case:
        return self.cases[name]

    def expected_value(self, name: str) -> Any:
        """The solution's output for case `name`: an array, or a tuple of arrays."""
        if name in self.expected:
            return self.expected[name]
        items = sorted((k for k in self.expected if k.startswith(name + "/")), key=lambda k: int(k.rsplit("/", 1)[1]))
        if not items:
            raise ReferenceSetupError(f"no expected output for case {name!r}: run `grader reference build`")
        return tuple(self.expected[k] for k in items)

    def run(self, student: Student, name: str, timeout: float | None = None) -> Any:
        case = self.cases[name]
        return student.call(case.function, *case.args, timeout=timeout, **case.kwargs)


def load_cases(folder: Path) -> dict[str, Case]:
    path = folder / "cases.py"
    if not path.exists():
        return {}
    spec = importlib.util.spec_from_file_location(f"dlgrade_cases_{folder.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # trusted code of the reference, not the student's
    return {name: Case(*entry) if isinstance(entry, tuple) else entry for name, entry in module.CASES.items()}


def build_expected(folder: Path, caller: Caller) -> dict[str, np.ndarray]:
    """Run every case on the solutions behind `caller` and write `expected.npz` atomically."""
    student, arrays = Student(caller), {}
    for name, case in load_cases(folder).items():
        value = student.call(case.function, *case.args, **case.kwargs)
        if isinstance(value, (tuple, list)):
            arrays.update({f"{name}/{i}": np.asarray(item, dtype=float) for i, item in enumerate(value)})
        else:
            arrays[name] = np.asarray(value, dtype=float)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_atomically(folder / "expected.npz", buffer.getvalue())
    return arrays
