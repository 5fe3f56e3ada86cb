"""pytest plugin of `grader check`: records each public test's outcome as plain JSON lines.

Loaded with `-p grader.student.check_plugin` in the pytest process that runs the student's own public
tests (`check.py` reads what it writes, line by line, while the tests run: to show each test as
it finishes and to stop one that hangs). Public tests only: their messages may be shown. Every
message is French (grader/student/check_messages.py): a public test's own `assert …, "message"`, or what
the student's code raised and where.

A time limit is armed with faulthandler around the import of the student's package and around
each test: when it expires, the stack of every thread is written to DLGRADE_CHECK_STACK and the
process exits, so that check.py can say where the student's code was stopped.
"""
from __future__ import annotations

import ast
import faulthandler
import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from .check_messages import BreakpointCalled, explain, import_failed, not_loading

_dumps: dict[str, IO[str]] = {}  # faulthandler writes to these files' descriptors: they stay open


def write(entry: dict) -> None:
    path = os.environ.get("DLGRADE_CHECK_OUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


def student() -> tuple[Path, str]:
    """The student's repository root and the TP's package name."""
    return Path(os.environ.get("DLGRADE_CHECK_ROOT", ".")).resolve(), os.environ.get("DLGRADE_CHECK_TP", "")


def arm() -> None:
    """Dump every thread's stack and exit when the time limit expires (cancelled by `disarm`)."""
    timeout = float(os.environ.get("DLGRADE_CHECK_TIMEOUT", "0") or 0)
    if timeout > 0 and "stack" in _dumps:
        faulthandler.dump_traceback_later(timeout, exit=True, file=_dumps["stack"])


def disarm() -> None:
    faulthandler.cancel_dump_traceback_later()


def breakpoint_called(*args: object, **kwargs: object) -> None:
    """sys.breakpointhook of the tests' process (PYTHONBREAKPOINT): nobody can answer a debugger here."""
    raise BreakpointCalled("breakpoint()")


def pytest_configure(config: pytest.Config) -> None:
    for kind in ("stack", "crash"):
        path = os.environ.get(f"DLGRADE_CHECK_{kind.upper()}")
        if path:
            _dumps[kind] = open(path, "w", encoding="utf-8")  # noqa: SIM115 - kept open for faulthandler
    if "crash" in _dumps:  # a crash of Python itself (a segfault in a library): its stack, for check.py
        faulthandler.enable(file=_dumps["crash"])


def pytest_sessionstart(session: pytest.Session) -> None:
    """Import every module of the TP's package first: if one is broken, every test of the file
    that imports it cannot even be collected, and the student must learn which file and line."""
    root, package = student()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    preload(root, package)
    write({"ready": time.time()})  # from here, the student's code runs against the time limit
    arm()  # code at a module's top level that loops is stopped here, naming the module
    try:
        for path in sorted((root / package).glob("*.py")):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            try:
                importlib.import_module(name)
            except BaseException as exc:  # SyntaxError, ImportError, anything raised at import time
                write({"import_error": import_failed(exc, root, package, path.relative_to(root).as_posix())})
                return
    finally:
        disarm()


def preload(root: Path, package: str) -> None:
    """Import the libraries the package and its public tests import (torch…), before the time
    limit is armed: a first import of torch can take many seconds on a laptop, and that is not
    the student's code. A name that is a module of the repository itself is the student's: not
    imported here. A library that fails to import fails again, with its message, in its place."""
    names: set[str] = set()
    for path in [*(root / package).glob("*.py"), root / "tests" / f"test_{package}.py"]:
        try:
            tree = ast.parse(path.read_bytes())
        except (OSError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    for name in sorted(names - {package}):
        try:
            spec = importlib.util.find_spec(name)
            origin = Path(spec.origin or "").resolve() if spec is not None and spec.origin else None
            if spec is None or origin is None or root in origin.parents:
                continue
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - whatever it is, the student's import says it later
            continue


def pytest_exception_interact(node: pytest.Item | pytest.Collector, call: pytest.CallInfo,
                              report: pytest.CollectReport | pytest.TestReport) -> None:
    """A public test module that cannot be collected (a function it imports was renamed…)."""
    if isinstance(node, pytest.Collector) and call.excinfo is not None:
        root, package = student()
        try:
            test_file = Path(str(node.path)).resolve().relative_to(root).as_posix()
        except ValueError:
            test_file = Path(str(node.path)).name
        write({"collect_error": not_loading(test_file, call.excinfo.value, root, package)})


def pytest_runtest_logstart(nodeid: str) -> None:
    write({"start": nodeid.split("::", 1)[-1], "at": time.time()})
    arm()


def pytest_runtest_logfinish(nodeid: str) -> None:
    disarm()
    write({"finish": nodeid.split("::", 1)[-1]})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "teardown" and report.passed:
        return
    name = item.nodeid.split("::", 1)[-1]
    if report.failed:
        status = "failed" if report.when == "call" and call.excinfo is not None \
            and call.excinfo.errisinstance((AssertionError, pytest.fail.Exception)) else "error"
        message = explain(call.excinfo.value, *student(), in_test=True) if call.excinfo is not None else "échec"
        write({"id": name, "status": status, "message": message, "duration_s": report.duration})
    elif report.skipped:
        write({"id": name, "status": "failed", "message": "test ignoré : il compte comme échoué",
               "duration_s": report.duration})
    elif report.when == "call":
        write({"id": name, "status": "passed", "message": "", "duration_s": report.duration})
