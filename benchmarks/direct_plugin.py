"""Baseline for bench_tp1.py: the hidden tests' fixtures, calling the student's code *in-process*.

Unsafe by design (student code runs in the test process): it only exists to measure what the
sandbox costs. Load with `python -m pytest -p benchmarks.direct_plugin reference/tp1`, with the
checkout to grade on PYTHONPATH.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.sandbox.runtime import probes
from grader.grading.reference import ReferenceData
from grader.grading.testkit import Student


class DirectCaller:
    def call(self, probe: str, request: dict, timeout: float | None = None):
        return probes.run(probe, request)


@pytest.fixture(scope="session")
def student() -> Student:
    return Student(DirectCaller())


@pytest.fixture(scope="session")
def reference() -> ReferenceData:
    return ReferenceData.load(Path(__file__).resolve().parents[1] / "reference" / "tp1")
