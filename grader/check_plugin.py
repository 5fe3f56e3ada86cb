"""pytest plugin of `grader check`: records each public test's outcome as plain JSON.

Loaded with `-p grader.check_plugin` in the pytest process that runs the student's own public
tests (`check.py` reads what it writes). Public tests only: their assertion text may be shown.
"""
from __future__ import annotations

import json
import os

import pytest

_outcomes: dict[str, dict] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    entry = _outcomes.setdefault(report.nodeid, {"id": report.nodeid.split("::", 1)[-1], "status": "passed",
                                                 "message": "", "duration_s": 0.0})
    entry["duration_s"] += report.duration
    if report.failed and entry["status"] == "passed":
        entry["status"] = "failed" if report.when == "call" else "error"
        crash = getattr(report.longrepr, "reprcrash", None)
        entry["message"] = crash.message if crash else str(report.longrepr)[-300:]
    elif report.skipped and entry["status"] == "passed":
        entry["status"], entry["message"] = "failed", "test ignoré"


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("DLGRADE_CHECK_OUT")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(list(_outcomes.values()), out, ensure_ascii=False)
