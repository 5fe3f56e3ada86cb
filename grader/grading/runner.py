"""Run the hidden tests of one TP against one submission (the trusted stage).

pytest runs here, in the grader's process, on `reference/tpN/` only: no plugin autoload, no
conftest, plain asserts, no terminal output. Student code never runs here: every call goes to
the worker through `Student`. Outcomes are read from pytest's hooks, never from printed text.
"""
from __future__ import annotations

import ast
import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path


import pytest

from ..base.errors import IsolationError, ReferenceSetupError, UsageError
from ..base.parsing import parse
from ..sandbox import CallFailure, IsolationReport, Limits, SandboxError, SandboxPolicy, WorkerSession
from ..sandbox.policy import Budget
from ..sandbox.session import MAX_COPIED_TOTAL
from .config import TP, Project, Rubric
from .heldout import HeldOut, dataset_folders
from .marks import Grading, TestResult, grade
from .replayer import Replayer
from .suite import PROCESS_SUITES, Run, hidden_lines
from .testkit import Caller, Feedback, NotCharged, Partial, Student

STUDENT_TEXT_LIMIT = 600  # characters of a message that may carry student text


@dataclass(frozen=True)
class Outcome:
    status: str  # passed, failed, error, timeout
    message: str  # French
    duration_s: float
    fraction: float = 0.0  # share of the points a failed test still earns (a held-out score met in part)
    dependency: str = ""  # a test kept its points because this other test's function is wrong (NotCharged)


class GradingPlugin:
    """The hooks that record each hidden test's outcome, as the trusted side judges it."""

    def __init__(self, hidden_lines: set[str]) -> None:
        self._hidden_lines = hidden_lines
        self.outcomes: dict[str, Outcome] = {}
        self._started: dict[str, float] = {}

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._started[item.nodeid] = time.perf_counter()

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> None:
        # The verdict is the call's outcome, or the setup's when the setup failed; teardown says nothing.
        if call.when == "teardown" or (call.when == "setup" and call.excinfo is None) or item.nodeid in self.outcomes:
            return
        duration = time.perf_counter() - self._started.get(item.nodeid, time.perf_counter())
        self.outcomes[item.nodeid] = self._judge(call.excinfo.value if call.excinfo else None, duration)

    def _judge(self, exc: BaseException | None, duration: float) -> Outcome:
        """The trusted verdict on one test, with the French message the student will read."""
        if exc is None:
            return Outcome("passed", "", duration)
        if isinstance(exc, NotCharged):  # a function it calls is wrong: charged once, by that function's test
            return Outcome("passed", self._clean(str(exc)), duration, dependency=exc.dependency)
        if isinstance(exc, Partial):  # a held-out score between its bounds: part of the points
            return Outcome("failed", str(exc) or "résultat en partie atteint", duration, exc.fraction)
        if isinstance(exc, CallFailure):
            status = "timeout" if exc.kind == "timeout" else "error"
            return Outcome(status, self._clean(exc.message), duration)
        if isinstance(exc, Feedback):  # a hidden test's own French message: trusted text
            return Outcome("failed", str(exc) or "résultat incorrect", duration)
        if isinstance(exc, AssertionError):  # a bare assert or numpy.testing: its text may quote hidden values
            return Outcome("failed", "résultat incorrect", duration)
        if isinstance(exc, pytest.skip.Exception):
            return Outcome("failed", "test non exécuté : il compte comme échoué", duration)
        # Anything else was raised on the trusted side while checking odd student output; its
        # text could quote hidden values, so only the type is shown.
        return Outcome("failed", f"résultat inattendu ({type(exc).__name__}) : vérifiez le type et la "
                       "forme de ce que renvoie votre fonction", duration)

    def _clean(self, message: str) -> str:
        """Cap student text, and mask it if it quotes a line of the hidden tests."""
        message = message[:STUDENT_TEXT_LIMIT]
        if any(line in message for line in self._hidden_lines):
            return "message masqué : il citait le contenu des tests cachés"
        return message


def run_hidden_tests(tp: TP, caller: Caller, only: tuple[str, ...] = (), heldout: HeldOut | None = None,
                     models: Replayer | None = None) -> tuple[list[TestResult], list[str]]:
    """Run the hidden tests of `tp` (all, or the ids in `only`) against the student behind `caller`,
    with `heldout` as the secret of the held-out data (a fixed one when None). Trained models are
    rebuilt and run by `models`, or by a replay process of this call's own when `caller` is a
    worker session. pytest's set-up and collection happen once per TP and process (grader/grading/suite.py)."""
    unknown = [test_id for test_id in only if test_id not in tp.rubric.points]
    if unknown:
        raise UsageError(f"--only: no hidden test {unknown[0]!r} in {tp.name} (ids are file.py::test_name)")
    own = models is None and isinstance(caller, WorkerSession)
    if own:
        models = Replayer(caller.policy, caller.budget)
        if "torch" in caller.policy.preload:  # a TP whose hidden tests replay trained models
            models.warm()
    suite = PROCESS_SUITES.get(tp)
    recorder = GradingPlugin(suite.hidden_lines)
    try:
        suite.run(Run(Student(caller, models), suite.reference, heldout or HeldOut.calibration(0), recorder,
                      frozenset(only)))
    finally:
        if own:
            models.close()
    results, errors = to_results(tp, recorder.outcomes, only)
    return results, errors + (models.problems if models is not None else [])


def to_results(tp: TP, outcomes: dict[str, Outcome], only: tuple[str, ...] = ()) -> tuple[list[TestResult], list[str]]:
    """Attach the rubric's points; a rubric entry with no outcome, or a test with no points, is
    a broken reference, not a student's fault."""
    unknown = sorted(set(outcomes) - set(tp.rubric.points))
    missing = sorted(set(only or tp.rubric.points) - set(outcomes))
    if unknown or missing:
        raise ReferenceSetupError(f"{tp.reference / 'rubric.yaml'}: tests without points: {unknown}; "
                                  f"rubric entries with no test: {missing}")
    budgets = forgiving_budgets(tp, outcomes)
    results = []
    for test_id, outcome in outcomes.items():
        at_stake = tp.rubric.points[test_id]
        earned = at_stake if outcome.status == "passed" else round(at_stake * outcome.fraction, 2)
        status, message = outcome.status, outcome.message
        if outcome.status == "passed" and outcome.message:  # kept its points for another function's mistake
            earned = min(at_stake, budgets.get(outcome.dependency, 0.0))
            budgets[outcome.dependency] = budgets.get(outcome.dependency, 0.0) - earned
            if earned < at_stake:
                status = "failed"
                message += (" ; points gardés dans la limite de ceux que cette fonction a déjà perdus : "
                            f"{earned:g} sur {at_stake:g}")
        results.append(TestResult(test_id, round(earned, 4), at_stake, status, message, round(outcome.duration_s, 4)))
    return results, []


def forgiving_budgets(tp: TP, outcomes: dict[str, Outcome]) -> dict[str, float]:
    """For each dependency a test was forgiven for, the points it may give back: those its own
    test lost (or its points, when that test did not run: `--only`). Breaking a cheap function
    on purpose, so that the tests of the functions calling it are forgiven, never pays."""
    budgets: dict[str, float] = {}
    for outcome in outcomes.values():
        test = outcome.dependency
        if test and test not in budgets:
            own = outcomes.get(test)
            points = tp.rubric.points.get(test, 0.0)
            budgets[test] = points if own is None else points * (0.0 if own.status == "passed" else 1 - own.fraction)
    return budgets




@dataclass(frozen=True)
class RunOptions:
    call_timeout: float | None = None  # seconds per call into student code, a cap on the hidden tests' own delays too; None: rubric.yaml
    without: frozenset[str] = frozenset()  # isolation layers switched off on purpose
    only: tuple[str, ...] = ()  # run only these hidden tests (ids of rubric.yaml); the score is out of their points
    heldout_key: str = ""  # the course's secret for held-out data (DLGRADE_HELDOUT_KEY), mixed into each grading's
    heldout_seed: int | None = None  # a known held-out secret instead (calibration over seeds): never for real marks


def content_hash(folder: Path, limit: int = MAX_COPIED_TOTAL) -> str:
    """A submission's identity for its held-out secret: what its files *do*. Every file the worker
    would see counts (a top-level `knobs.py` the package imports too, symlinks by their target's
    name), Python files by their syntax tree without docstrings (a changed comment, docstring or
    layout draws the same data: no choosing the held-out data by editing a comment), other files
    by their bytes; at most `limit` bytes are read (the sandbox refuses more anyway)."""
    digest, budget = hashlib.sha256(), limit
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        relative = path.relative_to(folder)
        if {".git", "__pycache__"} & set(relative.parts) or budget <= 0:
            continue
        if path.is_symlink():
            digest.update(b"L" + relative.as_posix().encode() + b"\0" + os.readlink(path).encode(errors="replace"))
        elif path.is_file():
            with path.open("rb") as handle:
                data = handle.read(budget)
            budget -= len(data)
            digest.update(b"F" + relative.as_posix().encode() + b"\0" + meaning(path.name, data) + b"\0")
    return digest.hexdigest()


def meaning(name: str, data: bytes) -> bytes:
    """A Python file as its syntax tree without docstrings and comments; any other file as it is."""
    tree = parse(data) if name.endswith(".py") and len(data) <= 1 << 20 else None
    if tree is None:
        return data
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body \
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    try:
        return ast.dump(tree).encode()
    except (RecursionError, MemoryError, ValueError):
        return data


def sandbox_policy(project: Project, tp: TP, options: RunOptions = RunOptions()) -> SandboxPolicy:
    return SandboxPolicy(
        probes_path=project.probes, call_timeout=options.call_timeout or tp.call_timeout, timeout_cap=options.call_timeout,
        limits=Limits(memory_bytes=tp.memory_bytes), without=options.without,
        hidden_paths=hidden_paths(project), masked_paths=dataset_folders(), preload=tp.preload)


def hidden_paths(project: Project) -> tuple[Path, ...]:
    """What the worker must never see: the hidden side, the solutions, the project's history."""
    return (project.reference, project.solutions, project.root / ".git")


def grade_checkout(project: Project, tp: TP, checkout: Path, student: str | None = None,
                   commit: str | None = None, options: RunOptions = RunOptions(),
                   scratch: bool = False) -> tuple[Grading, IsolationReport]:
    """Grade one TP of one student checkout: worker up, hidden tests, marks, worker down.
    `scratch`: the checkout is a throwaway export, which the sandbox may take instead of copying."""
    # The held-out secret is keyed on what is graded, not on the commit: the same files committed
    # again draw the same data, hence the same mark. Hashed before the sandbox may take the checkout.
    identity = content_hash(checkout)
    budget = Budget(tp.budget)  # every call of this grading, the worker's and the replay's
    try:
        session = WorkerSession(checkout, sandbox_policy(project, tp, options), take=scratch, budget=budget)
    except OSError as exc:
        raise IsolationError(f"cannot set up the sandbox: {exc}") from None
    if options.heldout_seed is not None:
        heldout = HeldOut.calibration(options.heldout_seed)
    else:
        heldout = HeldOut.derive(tp.version, identity, options.heldout_key)
    try:
        results, errors = run_hidden_tests(tp, session, options.only, heldout)
        if session.skipped:
            errors.append("fichiers non copiés pour la notation (trop gros, ou le rendu dépasse "
                          f"{MAX_COPIED_TOTAL >> 20} Mo) : " + ", ".join(session.skipped[:5])
                          + (" …" if len(session.skipped) > 5 else ""))
        if session.restarts:
            errors.append(f"le processus de test a été relancé {session.restarts} fois "
                          "(plantage ou délai dépassé : voir les tests concernés)")
    except SandboxError as exc:
        raise IsolationError(str(exc)) from None
    finally:
        session.close()
    rubric = tp.rubric if not options.only else Rubric(tp.rubric.title, {t: tp.rubric.points[t] for t in options.only},
                                                           tp.rubric.held_out & set(options.only))
    grading = grade(tp.name, student or checkout.resolve().name, commit, rubric, results, errors)
    return grading, session.isolation
