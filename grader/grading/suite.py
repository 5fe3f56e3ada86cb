"""The hidden tests of one TP as a pytest session kept alive: set up and collected once per
grading process, then run once per grading (the trusted stage, beside runner.py).

pytest runs in a thread of its own, in the grader's process, on `reference/tpN/` only, with the
options of runner.py (no plugin autoload, no conftest, plain asserts, no terminal output). Its
test loop waits for gradings: each sets the `student`, `reference` and `heldout` the fixtures give,
runs the items through pytest's own test protocol, and ends by tearing every fixture down, so that
the next grading starts from nothing. Student code never runs here: `student` is the worker's
handle. One TP at a time per process: pytest's importlib mode names every TP's test_losses.py
alike, so changing TP closes the previous session and forgets its modules.
"""
from __future__ import annotations

import ast
import os
import queue
import sys
import threading
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..base.errors import ReferenceSetupError
from ..base.parsing import parse
from .config import TP
from .reference import ReferenceData

ARGS = ("-p", "no:terminal", "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:warnings",
        # unraisableexception/threadexception only warn, and run gc.collect() five times per
        # session (≈ 0.16 s a grading, more as the grader's heap grows): off.
        "-p", "no:unraisableexception", "-p", "no:threadexception", "-p", "no:faulthandler",
        # A session kept alive must not hold the process's stdout and stderr: no capture (the hidden
        # tests print nothing; their warnings are silenced around each grading).
        "-p", "no:capture",
        "--noconftest", "--assert=plain", "--import-mode=importlib", "-c", os.devnull)


@dataclass
class Run:
    """What one run of the suite is given: the fixtures' values, the recorder, which tests."""
    student: Any  # testkit.Student
    reference: Any  # reference.ReferenceData
    heldout: Any  # heldout.HeldOut
    recorder: Any  # runner.GradingPlugin: the hooks that judge each test
    only: frozenset[str]  # test ids to run; empty: all


class HiddenSuite:
    """One TP's hidden tests, collected once; `run` grades one submission with them."""

    def __init__(self, tp: TP) -> None:
        self.tp = tp
        self.key = (str(tp.reference), tp.version)
        self._requests: queue.Queue = queue.Queue()
        self._answers: queue.Queue = queue.Queue()
        self._current: Run | None = None
        self.collection_errors: list[str] = []
        self.hidden_lines = hidden_lines(tp.reference)  # kept out of every student-facing text
        self.reference = ReferenceData.load(tp.reference)  # cases and expected outputs: read once
        self._thread = threading.Thread(target=self._main, name=f"hidden tests {tp.name}", daemon=True)
        self._thread.start()
        kind, detail = self._answer()
        if kind != "ready" or self.collection_errors:
            raise ReferenceSetupError(f"hidden tests of {tp.name} did not run ({detail}): "
                                      + " | ".join(self.collection_errors)[:2000])

    # ------------------------------------------------------------ the pytest thread

    def _main(self) -> None:
        code = None
        try:
            code = pytest.main([*ARGS, "--rootdir", str(self.tp.reference), str(self.tp.reference)],
                               plugins=[self, self._fixtures()])
        finally:
            self._answers.put(("ended", f"pytest exit {int(code) if code is not None else '?'}"))

    def _fixtures(self) -> types.ModuleType:
        """`student`, `reference` and `heldout`, as the grading at hand gives them."""
        module = types.ModuleType("dlgrade_fixtures")
        module.student = pytest.fixture(scope="session", name="student")(lambda: self._current.student)
        module.reference = pytest.fixture(scope="session", name="reference")(lambda: self._current.reference)
        module.heldout = pytest.fixture(scope="session", name="heldout")(lambda: self._current.heldout)
        return module

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._answers.put(("ready", f"{len(session.items)} tests"))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        while True:
            grading = self._requests.get()
            if grading is None:
                return True
            try:
                self._current = grading
                items = [item for item in session.items if not grading.only or item.nodeid in grading.only]
                with warnings.catch_warnings():  # e.g. numpy's overflow in a hidden test's own sigmoid
                    warnings.simplefilter("ignore")
                    for index, item in enumerate(items):
                        item._initrequest()  # fresh fixture state: the same item runs once per grading
                        next_item = items[index + 1] if index + 1 < len(items) else None  # None: tear all down
                        item.config.hook.pytest_runtest_protocol(item=item, nextitem=next_item)
                        forget_last_failure()
                self._answers.put(("done", ""))
            except BaseException as exc:  # noqa: BLE001 - a broken hidden side must not hang the grader
                self._answers.put(("failed", f"{type(exc).__name__}: {exc}"))
            finally:
                self._current = None

    # The recorder of the grading at hand judges each test (runner.GradingPlugin's hooks).
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self._current.recorder.pytest_runtest_setup(item)

    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> None:
        self._current.recorder.pytest_runtest_makereport(item, call)

    # ------------------------------------------------------------ the grader's side

    def _answer(self) -> tuple[str, str]:
        while True:
            try:
                return self._answers.get(timeout=1.0)
            except queue.Empty:
                if not self._thread.is_alive():
                    return "ended", "pytest stopped"

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def run(self, grading: Run) -> None:
        """Run the tests for one grading; its recorder holds the outcomes afterwards."""
        self._requests.put(grading)
        kind, detail = self._answer()
        if kind != "done":
            raise ReferenceSetupError(f"hidden tests of {self.tp.name} stopped: {detail}")

    def close(self) -> None:
        if self._thread.is_alive():
            self._requests.put(None)
            self._thread.join(timeout=30)
        forget_hidden_modules(self.tp.reference.parent)


def forget_last_failure() -> None:
    """pytest keeps the last failed test's traceback in sys.last_traceback, and with it every frame
    and what they hold (a student's 256 MiB reply): dropped after each test, so that one test's
    data never outlives it, nor the grading."""
    for name in ("last_type", "last_value", "last_traceback", "last_exc"):
        if hasattr(sys, name):
            setattr(sys, name, None)


def trusted_imports(tps: list[TP]) -> list[str]:
    """What a grading process of these TPs imports, for a pool's fork server to import once: the
    grader's trusted side, what the hidden test files import (absolute imports only) and what each
    TP's workers preload (torch…), which the trusted side's own checks use too."""
    # Names, not imports (collect's module is above this one); grader.cli: the pool runs `grader`'s main.
    names = ["grader.classrun.collect", "grader.grading.runner", "grader.grading.suite", "grader.cli"]
    for tp in tps:
        for path in sorted(tp.reference.glob("*.py")):
            try:
                tree = parse(path.read_bytes())
            except OSError:
                tree = None
            for node in ast.walk(tree) if tree else ():  # one that does not parse: collection says why
                if isinstance(node, ast.Import):
                    names += [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.append(node.module)
        names += tp.preload
    local = {path.stem for tp in tps for path in tp.reference.glob("*.py")}  # the hidden modules themselves
    return list(dict.fromkeys(name for name in names if name.split(".")[0] not in local))


def hidden_lines(folder: Path) -> set[str]:
    """Distinctive lines of the hidden test files, to keep them out of any student-facing text."""
    lines = set()
    for path in folder.glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(line.strip()) >= 24:
                lines.add(line.strip())
    return lines


def forget_hidden_modules(reference: Path) -> None:
    """Drop hidden test modules from sys.modules: pytest's importlib mode reuses a module of the
    same name, and every TP has its own test_losses.py."""
    root = str(reference.resolve()) + os.sep
    for name, module in list(sys.modules.items()):
        origin = getattr(module, "__file__", None) or ""
        if origin.startswith(root):
            del sys.modules[name]


class Suites:
    """The live suite of this grading process (one TP at a time, see the module's docstring)."""

    def __init__(self) -> None:
        self._suite: HiddenSuite | None = None

    def get(self, tp: TP) -> HiddenSuite:
        suite = self._suite
        if suite is None or suite.key != (str(tp.reference), tp.version) or not suite.alive:
            if suite is not None:
                suite.close()
            self._suite = None
            previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # read when pytest starts, in its thread
            forget_hidden_modules(tp.reference.parent)
            try:
                self._suite = HiddenSuite(tp)
            finally:
                if previous is None:
                    os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
                else:
                    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous
        return self._suite

    def close(self) -> None:
        if self._suite is not None:
            self._suite.close()
            self._suite = None


# One live suite per grading process, like the worker templates: a process-wide cache of what
# does not depend on the submission (pytest's set-up and collection of the hidden tests).
PROCESS_SUITES = Suites()
