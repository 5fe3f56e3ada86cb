"""`grader check TP`: what a student runs on their own machine (and their CI job runs).

The public tests of their repo (`tests/test_tpN.py`) run in a separate pytest process on their
own code — nothing hidden is at stake, so no sandbox is needed and it works on Linux, macOS and
Windows. Each public test weighs the same; the result is a provisional mark: the hidden tests
decide the real one. Each test is reported as it finishes; one that runs past its time limit is
stopped, naming the function, file and line where the student's code was at that moment, and the
others still run. A missing TP folder, a module that does not import, a test module that does not
load: everything is said in French (grader/student/check_messages.py).
"""
from __future__ import annotations

import ast
import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..base.errors import UsageError
from ..grading.config import Rubric
from ..grading.marks import Grading, TestResult, grade
from ..grading.repos import commit_of, committed_folders, uncommitted
from .check_messages import MESSAGE_LIMIT, crashed, dumped_frames, import_timed_out, pytest_failed, timed_out

TEST_TIMEOUT = 20.0  # seconds per public test: the longest public test takes a few seconds on a laptop
GRACE = 3.0  # seconds past the limit before a pytest that did not stop by itself is killed
STARTUP = 120.0  # seconds for Python, pytest and the libraries the TP imports (torch) to start, once
POLL = 0.05  # seconds between two looks at the running tests
NOT_THE_PACKAGE = {"tests", "handouts", "outils", "__pycache__", "venv", "env"}  # folders of the starter repo

Progress = Callable[[TestResult, int, int], None]  # a finished test, its rank (from 1), how many


@dataclass(frozen=True)
class Checkout:
    root: Path  # the repository's root, where tests/ and tpN/ are
    commit: str | None  # HEAD, when the work is committed
    changed: tuple[str, ...] = ()  # uncommitted files in tpN/ or tests/

    @property
    def dirty(self) -> bool:
        return bool(self.changed)


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


def locate(tp: str, start: Path) -> Checkout:
    """The student's repository, its TP package checked to be there (by its exact name: Windows and
    macOS would open TP1/ as tp1/, and Python's import would still not find it)."""
    root = find_root(start, tp)
    if not (tp in os.listdir(root) and (root / tp).is_dir()):
        raise UsageError(missing_package(root, tp))
    commit = commit_of(root)
    return Checkout(root, commit, tuple(uncommitted(root, [tp, "tests"])) if commit else ())


def missing_package(root: Path, tp: str) -> str:
    """ "dossier tp1/ absent", what is there instead, and what to do."""
    folders = sorted(entry.name for entry in root.iterdir() if entry.is_dir() and not entry.name.startswith(".")
                     and entry.name.lower() not in NOT_THE_PACKAGE)
    message = f"dossier {tp}/ absent de {root}"
    others = [name for name in folders if name != tp and re.fullmatch(r"tp\d+", name)]  # the other TPs' packages
    alike = [name for name in folders if name.lower() == tp] or [name for name in folders if tp in name.lower()] \
        or difflib.get_close_matches(tp, [name for name in folders if name not in others], 1, 0.6)
    if alike:
        return (f"{message} : il y a {alike[0]}/ à la place ; renommez-le en {tp}/ (git mv {alike[0]} {tp}), "
                "les tests importent le paquet par ce nom exact")
    loose = [path.name for path in root.glob("*.py")]
    if loose:
        return (f"{message} ; à la racine du dépôt il y a {', '.join(loose[:4])} : les fichiers du TP vont "
                f"dans le dossier {tp}/ du dépôt de départ")
    there = f" (dossiers présents : {', '.join(name + '/' for name in folders[:6])})" if folders else ""
    if commit_of(root) and tp in committed_folders(root):
        return f"{message}{there} : il est dans votre dernier commit, git checkout HEAD -- {tp} le rétablit"
    return f"{message}{there} : copiez-le depuis le dépôt de départ (le dossier {tp}/ et ses fichiers)"


def public_test_names(tests: Path) -> list[str]:
    """The public tests of the file, read without importing it (a broken module must not hide them)."""
    tree = ast.parse(tests.read_text(encoding="utf-8"), str(tests))
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test")]


def check(tp: str, repo: Path, student: str | None = None, timeout: float = TEST_TIMEOUT,
          progress: Progress | None = None) -> tuple[Grading, Checkout]:
    checkout = locate(tp, repo)
    return run_check(checkout, tp, student, timeout, progress), checkout


def run_check(checkout: Checkout, tp: str, student: str | None = None, timeout: float = TEST_TIMEOUT,
              progress: Progress | None = None) -> Grading:
    tests = checkout.root / "tests" / f"test_{tp}.py"
    try:
        names = public_test_names(tests)
    except SyntaxError as exc:
        raise UsageError(f"{tests}:{exc.lineno} : le fichier de tests publics ne se lit pas ({exc.msg})") from None
    outcomes = run_public_tests(checkout.root, tp, tests, names, timeout, progress)
    results = [result_of(name, outcomes[name]) for name in names]
    rubric = Rubric(f"{tp} (tests publics)", {name: 1.0 for name in names} or {"aucun test": 1.0})
    commit = None if checkout.dirty else checkout.commit
    return grade(tp, student or checkout.root.name, commit, rubric, results, [])


def result_of(name: str, outcome: dict) -> TestResult:
    return TestResult(name, 1.0 if outcome["status"] == "passed" else 0.0, 1.0, outcome["status"],
                      outcome["message"][:MESSAGE_LIMIT], round(outcome["duration_s"], 4))


@dataclass
class Session:
    """What one pytest process left: its JSON lines, how it ended, the test it was running."""
    entries: list[dict] = field(default_factory=list)
    current: str = ""  # the test running when the process ended ("" before the first one)
    exit_code: int | None = None  # None when grader check killed it
    stack: str = ""  # faulthandler's dump: the time limit expired (in `current`, or during imports)
    crash: str = ""  # faulthandler's dump of a fatal error (a segfault)
    output: str = ""  # the end of pytest's own output

    def first(self, key: str) -> str | None:
        return next((entry[key] for entry in self.entries if key in entry), None)

    def finished(self, name: str) -> bool:
        return name in self.finished_tests()

    def finished_tests(self) -> set[str]:
        return {entry["finish"] for entry in self.entries if "finish" in entry}


def run_public_tests(root: Path, tp: str, tests: Path, names: list[str], timeout: float,
                     progress: Progress | None = None) -> dict[str, dict]:
    """Run the tests; one stopped at `timeout` (or whose process dies) costs that test, and the
    run starts again with the others."""
    outcomes: dict[str, dict] = {}

    def settle(name: str, outcome: dict) -> None:
        if name not in names or name in outcomes:  # a test pytest made of another (a parameter's)
            return
        outcomes[name] = outcome
        if progress is not None:
            progress(result_of(name, outcome), len(outcomes), len(names))

    with tempfile.TemporaryDirectory() as scratch:
        while len(outcomes) < len(names):
            remaining = [name for name in names if name not in outcomes]
            session = run_once(root, tp, tests, remaining, Path(scratch), timeout, settle)
            frames = dumped_frames(session.stack or session.crash, root)
            stopped = not session.stack and session.exit_code is not None  # else: the time limit
            if session.current in remaining and not session.finished(session.current):  # ended during a test
                more = len(remaining) > len(session.finished_tests()) + 1
                settle(session.current, {"status": "error", "duration_s": 0.0,
                                         "message": crashed(session.exit_code, frames, tp, more)} if stopped else
                       {"status": "timeout", "duration_s": timeout, "message": timed_out(timeout, frames, tp, more)})
                continue  # the others run again in a new process
            lost = why_not_run(session, timeout, frames, tp, root)
            for name in remaining:
                settle(name, {"status": "error" if stopped or session.current else "timeout", "duration_s": 0.0,
                              "message": lost})
    return outcomes


def why_not_run(session: Session, timeout: float, frames: list, tp: str, root: Path) -> str:
    """The message of the tests a pytest process ended without running."""
    if session.current:  # the process ran tests, but not these
        return "test non exécuté : pytest ne l'a pas trouvé dans le fichier de tests"
    if session.stack or session.exit_code is None:
        return import_timed_out(timeout, frames, tp)
    for key in ("import_error", "collect_error"):  # a module of the package first: it is the cause
        if session.first(key):
            return session.first(key)
    if session.crash or (session.exit_code not in (0, 1, 2, 4, 5) and not session.output.strip()):
        return crashed(session.exit_code, frames, tp, False)
    return pytest_failed(session.output, session.exit_code, root)


def run_once(root: Path, tp: str, tests: Path, names: list[str], scratch: Path, timeout: float,
             settle: Callable[[str, dict], None]) -> Session:
    """One pytest process on `names`, reporting each test as it finishes."""
    out, stack, crash = scratch / "outcomes.jsonl", scratch / "stack.txt", scratch / "crash.txt"
    for path in (out, stack, crash):
        path.write_text("", encoding="utf-8")
    env = dict(os.environ, DLGRADE_CHECK_OUT=str(out), DLGRADE_CHECK_ROOT=str(root), DLGRADE_CHECK_TP=tp,
               DLGRADE_CHECK_TIMEOUT=repr(timeout), DLGRADE_CHECK_STACK=str(stack), DLGRADE_CHECK_CRASH=str(crash),
               PYTHONDONTWRITEBYTECODE="1", PYTHONBREAKPOINT="grader.student.check_plugin.breakpoint_called",
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")  # the public tests need no plugin; a broken one cannot stop them
    # no:debugging: pdb reads stdin like input(), which the plugin says in French (breakpoint(): its own hook)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:debugging",
               "-p", "no:faulthandler", "-p", "grader.student.check_plugin", "--assert=plain", "--rootdir", str(root),
               *(f"{tests}::{name}" for name in names)]
    session = Session()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
        started_at = time.monotonic()
        while True:
            ended = process.poll() is not None
            started_at = read(out, session, started_at, settle)
            if ended:
                session.exit_code = process.returncode
                break
            limit = timeout if session.entries else max(timeout, STARTUP)
            if time.monotonic() - started_at > limit + GRACE:  # faulthandler did not stop it: kill it
                process.kill()
                process.wait()
                read(out, session, started_at, settle)
                break
            time.sleep(POLL)
        log.seek(0)
        session.output = log.read().decode("utf-8", "replace")[-4000:]
    session.stack = stack.read_text(encoding="utf-8", errors="replace")
    session.crash = crash.read_text(encoding="utf-8", errors="replace")
    return session


def read(out: Path, session: Session, started_at: float, settle: Callable[[str, dict], None]) -> float:
    """Take the new JSON lines; settle each test that finished; return when the current test started."""
    complete = out.read_text(encoding="utf-8").split("\n")[:-1]  # a line still being written waits
    for line in complete[len(session.entries):]:
        entry = json.loads(line)
        session.entries.append(entry)
        if "start" in entry:
            session.current = entry["start"]
        if "start" in entry or "ready" in entry:  # the student's code starts to run against the limit
            started_at = time.monotonic()
        if "finish" in entry:
            outcome = worst([e for e in session.entries if e.get("id") == entry["finish"]])
            settle(entry["finish"], outcome or {"status": "error", "duration_s": 0.0, "message": "test non exécuté"})
    return started_at


def worst(entries: list[dict]) -> dict | None:
    """A test's worst outcome (a teardown error after a pass is an error)."""
    rank = {"passed": 0, "failed": 1, "error": 2}
    found = None
    for entry in entries:
        if found is None or rank[entry["status"]] > rank[found["status"]]:
            found = entry
    if found is not None and len(entries) > 1:  # the durations of setup, call and teardown add up
        found = dict(found, duration_s=sum(entry["duration_s"] for entry in entries))
    return found
