"""pytest plugin of `grader check`: records each public test's outcome as plain JSON lines.

Loaded with `-p grader.check_plugin` in the pytest process that runs the student's own public
tests (`check.py` reads what it writes, line by line, while the tests run, to stop one that
hangs). Public tests only: their messages may be shown. Every message is French: a public test's
own `assert …, "message"`, or what the student's code raised and where.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

import pytest

MESSAGE_LIMIT = 500


def write(entry: dict) -> None:
    path = os.environ.get("DLGRADE_CHECK_OUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


def where(exc: BaseException) -> str | None:
    """The last line of the student's package in the traceback: "tp1/mlp.py:25"."""
    root, package = Path(os.environ.get("DLGRADE_CHECK_ROOT", ".")).resolve(), os.environ.get("DLGRADE_CHECK_TP", "")
    found = None
    frames = [(frame.filename, frame.lineno) for frame in traceback.extract_tb(exc.__traceback__)]
    if isinstance(exc, SyntaxError) and exc.filename:
        frames.append((exc.filename, exc.lineno))
    for filename, line in frames:
        try:
            relative = Path(filename).resolve().relative_to(root)
        except ValueError:
            continue
        if relative.parts and relative.parts[0] == package:
            found = f"{relative.as_posix()}:{line}"
    return found


def describe(exc: BaseException) -> str:
    """What a student reads for a failed public test, in French."""
    place = where(exc)
    at = f" ({place})" if place else ""
    if isinstance(exc, AssertionError):  # the public test's own message (plain asserts: no rewriting)
        return str(exc).strip()[:MESSAGE_LIMIT] or "résultat incorrect"
    if isinstance(exc, NotImplementedError):
        return f"fonction pas encore écrite (NotImplementedError){at}"
    if isinstance(exc, SyntaxError):
        return f"votre module ne s'importe pas{at} : SyntaxError: {exc.msg}"
    if place is None:  # raised by the test's own code, reading what the function returned: not the student's error
        return (f"le test n'a pas pu lire ce que votre fonction a renvoyé ({type(exc).__name__} : "
                f"{str(exc)[:200]}) : vérifiez le type et la forme du résultat attendus par la docstring")
    return f"votre code a levé {type(exc).__name__}{at} : {str(exc)[:MESSAGE_LIMIT]}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Import every module of the TP's package first: if one is broken, every test of the file
    that imports it cannot even be collected, and the student must learn which file and line."""
    root, package = Path(os.environ.get("DLGRADE_CHECK_ROOT", ".")), os.environ.get("DLGRADE_CHECK_TP", "")
    if str(root.resolve()) not in sys.path:
        sys.path.insert(0, str(root.resolve()))
    for path in sorted((root / package).glob("*.py")):
        name = package if path.stem == "__init__" else f"{package}.{path.stem}"
        try:
            importlib.import_module(name)
        except BaseException as exc:  # SyntaxError, ImportError, anything raised at import time
            write({"import_error": f"votre module ne s'importe pas ({where(exc) or path.relative_to(root).as_posix()}) : "
                                   f"{type(exc).__name__}: {getattr(exc, 'msg', None) or exc}"[:MESSAGE_LIMIT]})
            return


def pytest_runtest_logstart(nodeid: str) -> None:
    write({"start": nodeid.split("::", 1)[-1], "at": time.time()})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "teardown" and report.passed:
        return
    name = item.nodeid.split("::", 1)[-1]
    if report.failed:
        status = "failed" if report.when == "call" and call.excinfo is not None \
            and call.excinfo.errisinstance(AssertionError) else "error"
        message = describe(call.excinfo.value) if call.excinfo is not None else "échec"
        write({"id": name, "status": status, "message": message, "duration_s": report.duration})
    elif report.skipped:
        write({"id": name, "status": "failed", "message": "test ignoré : il compte comme échoué",
               "duration_s": report.duration})
    elif report.when == "call":
        write({"id": name, "status": "passed", "message": "", "duration_s": report.duration})
