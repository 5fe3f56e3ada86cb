"""Correct solutions written differently from solutions/ (loops, other formulas, other
initialisations, other caches) must get full marks: the hidden tests check ideas, not one
implementation."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.grading.runner import RunOptions, grade_checkout

ALTERNATIVES = Path(__file__).with_name("alternatives")


@pytest.mark.parametrize("tp", ["tp1", "tp2", "tp3", "tp4"])
def test_differently_written_solution_gets_full_marks(project, tmp_path, tp):
    checkout = tmp_path / "student"
    shutil.copytree(ALTERNATIVES / tp, checkout / tp)
    if tp == "tp2":  # the alternative covers the numpy half; its PyTorch half is the reference one
        shutil.copy(project.solutions / "tp2" / "torch_nets.py", checkout / "tp2" / "torch_nets.py")
    only = tuple(t for t in project.tp(tp).rubric.points if not t.startswith("test_torch_nets.py"))
    grading, _ = grade_checkout(project, project.tp(tp), checkout, options=RunOptions(only=only))
    failed = [(t.id, t.message) for t in grading.tests if t.status != "passed"]
    assert not failed and grading.score == grading.max_score
