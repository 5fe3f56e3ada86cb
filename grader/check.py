"""`grader check TP`: what a student runs on their own machine (and their CI job runs).

The public tests of their repo (`tests/test_tpN.py`) run in a separate pytest process on their
own code — nothing hidden is at stake, so no sandbox is needed and it works on Linux, macOS and
Windows. Each public test weighs the same; the result is a provisional mark: the hidden tests
decide the real one.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .config import Rubric
from .errors import UsageError
from .marks import Grading, TestResult, grade
from .repos import commit_of

TIMEOUT = 900  # seconds for the whole public test run
MESSAGE_LIMIT = 500


def check(tp: str, repo: Path, student: str | None = None) -> Grading:
    tests = repo / "tests" / f"test_{tp}.py"
    if not tests.is_file():
        raise UsageError(f"{tests}: no public tests for {tp} here (run grader check from your repository's root)")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "outcomes.json"
        env = dict(os.environ, DLGRADE_CHECK_OUT=str(out), PYTHONDONTWRITEBYTECODE="1")
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "grader.check_plugin",
                   "--rootdir", str(repo), str(tests)]
        try:
            done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=TIMEOUT)
            outcomes = json.loads(out.read_text(encoding="utf-8")) if out.exists() else []
            errors = [] if outcomes else [f"les tests publics n'ont pas pu s'exécuter : {done.stdout[-MESSAGE_LIMIT:]}"]
        except subprocess.TimeoutExpired:
            outcomes, errors = [], [f"les tests publics ont dépassé {TIMEOUT} s"]
    results = [TestResult(item["id"], 1.0 if item["status"] == "passed" else 0.0, 1.0, item["status"],
                          item["message"][:MESSAGE_LIMIT], round(item["duration_s"], 4)) for item in outcomes]
    rubric = Rubric(f"{tp} (tests publics)", {result.id: 1.0 for result in results} or {"aucun test": 1.0})
    return grade(tp, student or repo.resolve().name, commit_of(repo), rubric, results, errors)
