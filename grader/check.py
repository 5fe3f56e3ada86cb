"""`grader check TP`: what a student runs on their own machine (and their CI job runs).

The public tests of their repo (`tests/test_tpN.py`) run in a separate pytest process on their
own code — nothing hidden is at stake, so no sandbox is needed and it works on Linux, macOS and
Windows. Each public test weighs the same; the result is a provisional mark: the hidden tests
decide the real one. As `grader test` does, it stops a test that runs past its time limit (and
runs the others), names the file and line of a module that does not import, and says
everything in French.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .config import Rubric
from .errors import UsageError
from .marks import Grading, TestResult, grade
from .repos import commit_of

TEST_TIMEOUT = 60.0  # seconds per public test (a tiny training included)
MESSAGE_LIMIT = 500
POLL = 0.05  # seconds between two looks at the running tests


@dataclass(frozen=True)
class Checkout:
    root: Path  # the repository's root, where tests/ and tpN/ are
    commit: str | None  # HEAD, when the work is committed
    dirty: bool  # uncommitted changes in tpN/ or tests/


def find_root(start: Path, tp: str) -> Path:
    """The student's repository root: `start` or the nearest folder above it with the TP's tests."""
    for folder in [start.resolve(), *start.resolve().parents]:
        if (folder / "tests" / f"test_{tp}.py").is_file():
            return folder
    for folder in [start.resolve(), *start.resolve().parents]:  # the repository is there, the TP's name is wrong
        known = sorted(path.stem.removeprefix("test_") for path in (folder / "tests").glob("test_tp*.py"))
        if known:
            raise UsageError(f"pas de tests publics tests/test_{tp}.py dans {folder} : les TP de ce dépôt "
                             f"sont {', '.join(known)} (par exemple : grader check {known[0]})")
    raise UsageError(f"pas de tests publics tests/test_{tp}.py dans {start} ni au-dessus : lancez grader check "
                     "depuis votre dépôt")


def checkout_of(root: Path, tp: str) -> Checkout:
    commit = commit_of(root)
    if commit is None:
        return Checkout(root, None, False)
    import git  # gitpython: imported here, so that a checkout without git still works

    repo = git.Repo(root)
    dirty = any(repo.is_dirty(untracked_files=True, path=path) for path in (tp, "tests"))
    return Checkout(root, commit, dirty)


def public_test_names(tests: Path) -> list[str]:
    """The public tests of the file, read without importing it (a broken module must not hide them)."""
    tree = ast.parse(tests.read_text(encoding="utf-8"), str(tests))
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")]


def check(tp: str, repo: Path, student: str | None = None, timeout: float = TEST_TIMEOUT) -> tuple[Grading, Checkout]:
    checkout = checkout_of(find_root(repo, tp), tp)
    tests = checkout.root / "tests" / f"test_{tp}.py"
    try:
        names = public_test_names(tests)
    except SyntaxError as exc:
        raise UsageError(f"{tests}:{exc.lineno} : le fichier de tests publics ne se lit pas ({exc.msg})") from None
    outcomes, errors = run_public_tests(checkout.root, tp, tests, names, timeout)
    results = [TestResult(name, 1.0 if outcomes[name]["status"] == "passed" else 0.0, 1.0, outcomes[name]["status"],
                          outcomes[name]["message"][:MESSAGE_LIMIT], round(outcomes[name]["duration_s"], 4))
               for name in names]
    rubric = Rubric(f"{tp} (tests publics)", {name: 1.0 for name in names} or {"aucun test": 1.0})
    commit = None if checkout.dirty else checkout.commit
    return grade(tp, student or checkout.root.name, commit, rubric, results, errors), checkout


def run_public_tests(root: Path, tp: str, tests: Path, names: list[str], timeout: float) -> tuple[dict, list[str]]:
    """Run the tests; a test past `timeout` is stopped and the run starts again with the others."""
    outcomes: dict[str, dict] = {}
    errors: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "outcomes.jsonl"
        while True:
            remaining = [name for name in names if name not in outcomes]
            if not remaining:
                break
            out.write_text("", encoding="utf-8")
            stalled, stderr = run_once(root, tp, tests, remaining, out, timeout)
            entries = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
            record(outcomes, entries)
            broken = next((entry["import_error"] for entry in entries if "import_error" in entry), None)
            started = [entry["start"] for entry in entries if "start" in entry]
            if stalled is not None:
                late = stalled if stalled in names else None
                for name in [late] if late else [name for name in remaining if name not in outcomes]:
                    outcomes[name] = {"status": "timeout", "duration_s": timeout, "message": (
                        f"délai dépassé : votre code n'a pas répondu en {timeout:g} s (boucle infinie ?) ; il a été "
                        "arrêté" + (" puis relancé pour les tests suivants" if late else ""))}
                continue
            for name in [name for name in remaining if name not in outcomes]:
                message = broken or ("test non exécuté : pytest n'a pas pu lancer les tests publics"
                                     if not started else "test non exécuté")
                outcomes[name] = {"status": "error", "duration_s": 0.0, "message": message}
            if not started and not broken and stderr:
                errors.append(f"pytest : {stderr[-MESSAGE_LIMIT:]}")
    return outcomes, errors


def run_once(root: Path, tp: str, tests: Path, names: list[str], out: Path, timeout: float
             ) -> tuple[str | None, str]:
    """One pytest process on `names`; returns (the test it stopped because it ran too long, or
    "" when nothing started in time, or None; the end of pytest's output)."""
    env = dict(os.environ, DLGRADE_CHECK_OUT=str(out), DLGRADE_CHECK_ROOT=str(root), DLGRADE_CHECK_TP=tp,
               PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "grader.check_plugin",
               "--assert=plain", "--rootdir", str(root), *(f"{tests}::{name}" for name in names)]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        started_at, current = time.monotonic(), ""
        while process.poll() is None:
            time.sleep(POLL)
            lines = out.read_text(encoding="utf-8").splitlines()
            starts = [json.loads(line) for line in lines if line.startswith('{"start"')]
            if starts and starts[-1]["start"] != current:
                current, started_at = starts[-1]["start"], time.monotonic()
            if time.monotonic() - started_at > timeout:  # a test, or what runs after the last one, hangs
                process.kill()
                process.wait()
                return (None if finished(lines, current) else current), ""
        log.seek(0)
        return None, log.read().decode("utf-8", "replace")


def finished(lines: list[str], name: str) -> bool:
    return any(f'"id": {json.dumps(name, ensure_ascii=False)}' in line for line in lines) if name else False


def record(outcomes: dict[str, dict], entries: list[dict]) -> None:
    """Keep each test's worst outcome (a teardown error after a pass is an error)."""
    rank = {"passed": 0, "failed": 1, "error": 2}
    for entry in entries:
        if "id" not in entry:
            continue
        known = outcomes.get(entry["id"])
        if known is None or rank[entry["status"]] > rank.get(known["status"], 0):
            outcomes[entry["id"]] = entry
