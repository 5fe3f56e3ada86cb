"""The public tests (solutions/tests/test_tpN.py) teach: they pass on solutions/, fail on the stubs,
and see every realistic mistake of tests/mistakes/ that the hidden tests grade.

For each TP, `grader check` gives the solutions 20/20; the stubs fail every public test and the
correct solutions of tests/alternatives pass every one. Each mistake fails the public tests it
names (all of a TP's public runs share one process: tests/mistakes/public_run.py) and, for the new
mistakes, loses the points of the hidden tests it names while still passing the one it names
(`loses_points`' checks, with `RunOptions(only=…)`, two gradings at a time).
benchmarks/bench_agreement.py grades every mistake in full.
"""
from __future__ import annotations

import multiprocessing
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from grader.student.check import check
from grader.grading.config import Project
from grader.grading.runner import RunOptions, grade_checkout, hidden_lines
from tests.conftest import ROOT
from tests.alternatives.conventions import CONVENTIONS
from tests.mistakes import TPS, Mistake, all_mistakes, copy_solutions, new_mistakes, run_public

MISTAKES = [m for tp in TPS for m in all_mistakes(tp)]
GRADED = [m for tp in TPS for m in new_mistakes(tp) if m.hidden]  # the project's variants have their own tests


def label(mistake: Mistake) -> str:
    return f"{mistake.tp}: {mistake.name}"


@cache
def public_runs(tp: str, scratch: Path) -> dict[str, dict[str, str]]:
    """The public tests of a whole TP in one process: for each mistake, {public test it names: failure
    message, "" when it passed}; for "stubs" and "alternative" (tests/alternatives/tpN over the
    solutions), every public test."""
    cases = {m.name: (m.write_into(copy_solutions(ROOT / "solutions", scratch / f"{tp}-{i}")), m.public)
             for i, m in enumerate(all_mistakes(tp))}
    alternative = copy_solutions(ROOT / "solutions", scratch / f"{tp}-alternative")
    for path in (ROOT / "tests" / "alternatives" / tp).glob("*.py"):
        shutil.copy(path, alternative / tp / path.name)
    cases.update(stubs=(ROOT / "assignments", ()), alternative=(alternative, ()))
    for i, convention in enumerate(c for c in CONVENTIONS if c.tp == tp):
        cases[f"convention: {convention.name}"] = (
            convention.write_into(copy_solutions(ROOT / "solutions", scratch / f"{tp}-convention-{i}")), ())
    return dict(zip(cases, run_public(tp, list(cases.values()))))


@pytest.mark.parametrize("tp", TPS)
def test_solutions_pass_and_stubs_fail_every_public_test(project, tp, tmp_path_factory):
    solved, _ = check(tp, project.solutions)
    assert solved.mark == 20 and not solved.errors, [(t.id, t.message) for t in solved.tests if t.status != "passed"]
    stubs = public_runs(tp, tmp_path_factory.getbasetemp())["stubs"]
    assert sorted(stubs) == sorted(t.id for t in solved.tests)
    assert all(message.startswith("NotImplementedError") for message in stubs.values()), stubs


@pytest.mark.parametrize("tp", TPS)
def test_correct_solutions_written_differently_pass_every_public_test(tp, tmp_path_factory):
    """tests/alternatives get full marks from the hidden tests: the public tests must not tell them otherwise."""
    failed = {name: message for name, message in public_runs(tp, tmp_path_factory.getbasetemp())["alternative"].items()
              if message}
    assert not failed, failed


def test_the_issue_s_submission_no_longer_gets_20_from_the_public_check(project, tmp_path):
    """Issue 15: tanh_prime = 1 − z² and an MLP forward without + b got 20/20 from `grader check`."""
    repo = copy_solutions(project.solutions, tmp_path / "repo")
    for mistake in new_mistakes("tp1"):
        if "the issue's example" in mistake.name:
            mistake.write_into(repo)
    grading, _ = check("tp1", repo)
    failed = {t.id: t.message for t in grading.tests if t.status != "passed"}
    assert {"test_derivee_de_tanh", "test_propagation_avant"} <= set(failed) and grading.mark < 20  # backward uses forward
    assert all("attendu" in message and "obtenu" in message for message in failed.values()), failed


@pytest.mark.parametrize("tp", TPS)
def test_public_tests_quote_no_hidden_line_and_name_no_hidden_test(project, tp):
    public = (project.solutions / "tests" / f"test_{tp}.py").read_text(encoding="utf-8")
    public += (project.solutions / "tests" / "aides.py").read_text(encoding="utf-8")
    quoted = [line for name in TPS for line in hidden_lines(project.tp(name).reference) if line in public]
    assert not quoted, quoted[:3]
    hidden_names = set(re.findall(r"^def (test_\w+)", "\n".join(
        p.read_text(encoding="utf-8") for p in project.reference.rglob("test_*.py")), re.M))
    assert not [name for name in hidden_names if name in public]


@pytest.mark.parametrize("convention", CONVENTIONS, ids=lambda c: f"{c.tp}: {c.name}")
def test_a_convention_the_docstring_allows_passes_every_public_test(convention, tmp_path_factory):
    """A convention the hidden tests accept is never rejected by the public check."""
    outcomes = public_runs(convention.tp, tmp_path_factory.getbasetemp())[f"convention: {convention.name}"]
    assert not {name: message for name, message in outcomes.items() if message}


@pytest.mark.parametrize("mistake", MISTAKES, ids=label)
def test_each_mistake_fails_the_public_tests_it_names(mistake, tmp_path_factory):
    assert mistake.public, "a mistake names the public tests that must see it"
    outcomes = public_runs(mistake.tp, tmp_path_factory.getbasetemp())
    assert set(outcomes[mistake.name]) == set(mistake.public), outcomes[mistake.name]  # every name is a public test
    passed = [name for name, message in outcomes[mistake.name].items() if not message]
    assert not passed, f"{passed} passed"


def hidden_statuses(tp: str, repo: str, only: tuple[str, ...]) -> dict[str, str]:
    project = Project.at(ROOT)
    grading, _ = grade_checkout(project, project.tp(tp), Path(repo), options=RunOptions(only=only))
    return {t.id: t.status for t in grading.tests}


@cache
def graded(tp: str, scratch: Path) -> dict[str, dict[str, str]]:
    """Mistake name -> status of each hidden test it names, for the new mistakes of a TP, two at a time."""
    mistakes = [m for m in GRADED if m.tp == tp]
    repos = [str(m.write_into(copy_solutions(ROOT / "solutions", scratch / f"hidden-{tp}-{i}")))
             for i, m in enumerate(mistakes)]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        statuses = pool.map(hidden_statuses, [tp] * len(mistakes), repos, [(*m.hidden, m.passes) for m in mistakes])
        return {m.name: status for m, status in zip(mistakes, statuses)}


@pytest.mark.parametrize("mistake", GRADED, ids=label)
def test_each_new_mistake_loses_the_points_of_the_hidden_tests_it_names(mistake, tmp_path_factory):
    status = graded(mistake.tp, tmp_path_factory.getbasetemp())[mistake.name]
    assert all(status[test] != "passed" for test in mistake.hidden), status
    assert status[mistake.passes] == "passed", status


def test_every_mistake_names_the_hidden_tests_that_catch_it_or_says_why_none_does():
    assert all(bool(m.hidden) != bool(m.hole) for m in MISTAKES), [label(m) for m in MISTAKES if bool(m.hidden) == bool(m.hole)]
    assert all(m.passes for m in GRADED), [label(m) for m in GRADED if not m.passes]
    assert all(len(new_mistakes(tp)) >= 20 for tp in TPS)
