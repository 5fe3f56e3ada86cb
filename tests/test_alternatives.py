"""Correct solutions written differently from solutions/ (loops, other formulas, other
initialisations, other caches) and in the conventions met in real code that the docstrings allow
(tests/alternatives/conventions.py) must get full marks: the hidden tests check ideas, not one
implementation."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.grading.runner import RunOptions, grade_checkout
from tests.alternatives.conventions import CONVENTIONS
from tests.mistakes import copy_solutions

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


@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: f"{c.tp}: {c.name}")
def test_a_convention_the_docstring_allows_gets_full_marks_from_the_tests_that_exercise_it(project, tmp_path, convention):
    """tests/alternatives/conventions.py: conventions met in real code, each allowed by its docstring."""
    repo = convention.write_into(copy_solutions(project.solutions, tmp_path / "student"))
    grading, _ = grade_checkout(project, project.tp(convention.tp), repo, options=RunOptions(only=convention.graded))
    failed = [(t.id, t.message) for t in grading.tests if t.status != "passed" or t.points < t.max_points]
    assert not failed, failed
