"""Shared fixtures of dlgrade's own tests: the project, and real student git repos in tmp_path."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import git
import pytest

from grader.grading.config import Project
from grader.grading.runner import RunOptions, grade_checkout
from grader.authoring.stubs import BEGIN, END

ROOT = Path(__file__).resolve().parents[1]

# The hostile repos hold attacks on pytest itself (a conftest.py that flips failures): they are
# data for test_hostile.py, never collected by this test run.
collect_ignore = ["hostile", "alternatives"]


def answer_lines(solutions: Path) -> list[tuple[str, str]]:
    """(file, stripped line) of every line of 20 characters or more between the solution markers:
    what must never reach a student, in the starter repo or in a handout."""
    found = []
    for path in sorted(solutions.glob("tp*/*.py")):
        for block in path.read_text(encoding="utf-8").split(BEGIN)[1:]:
            found += [(f"{path.parent.name}/{path.name}", line.strip())
                      for line in block.split(END)[0].splitlines() if len(line.strip()) >= 20]
    return found


@pytest.fixture(scope="session")
def project() -> Project:
    return Project.at(ROOT)


def replace_function(source: str, name: str, new_body: str) -> str:
    """Swap the body of `def name(...)` (up to the next top-level statement) for `new_body`."""
    pattern = re.compile(rf"(^def {name}\(.*?\):\n)(.*?)(?=^\S|\Z)", re.S | re.M)
    match = pattern.search(source)
    if match is None:
        raise ValueError(f"no function {name}")
    body = "".join(f"    {line}\n" if line else "\n" for line in new_body.strip("\n").splitlines())
    return source[: match.start(2)] + body + "\n\n" + source[match.end(2):]


def commit_fixed(repo: git.Repo, message: str) -> str:
    """Commit with fixed names and dates: the same files give the same sha, hence the same secret
    held-out data (grader/grading/heldout.py), so that this suite grades the same way on every run."""
    actor, date = git.Actor("Étudiant", "e@example.org"), "2026-01-05T10:00:00+0100"  # the form gitpython parses
    return repo.index.commit(message, author=actor, committer=actor, author_date=date, commit_date=date).hexsha


@pytest.fixture
def student_repo(tmp_path: Path, project: Project):
    """Make a real git repo holding solutions/ with some files replaced or functions rewritten."""

    def make(files: dict[str, str] | None = None, functions: dict[tuple[str, str], str] | None = None,
             name: str = "student") -> Path:
        repo_dir = tmp_path / name
        shutil.copytree(project.solutions, repo_dir, ignore=shutil.ignore_patterns("__pycache__"))
        for (relative, function), body in (functions or {}).items():
            path = repo_dir / relative
            path.write_text(replace_function(path.read_text(encoding="utf-8"), function, body), encoding="utf-8")
        for relative, text in (files or {}).items():
            path = repo_dir / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        repo = git.Repo.init(repo_dir, initial_branch="main")
        repo.git.add(A=True)
        commit_fixed(repo, "student work")
        return repo_dir

    return make


def loses_points(project: Project, tp_name: str, repo: Path, should_fail: list[str], should_pass: str):
    """Grade a buggy `repo` only on the hidden tests it should fail plus one it should pass (fast),
    check both, and return the grading."""
    grading, _ = grade_checkout(project, project.tp(tp_name), repo, options=RunOptions(only=(*should_fail, should_pass)))
    status = {t.id: t.status for t in grading.tests}
    assert all(status[test] != "passed" for test in should_fail), status
    assert status[should_pass] == "passed", status
    return grading


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the uid layer needs the grader to run as root")


def simulated_main(argv: list[str]) -> int:
    """`grader` with `--now T` read as the machine's clock (DLGRADE_CLOCK=T): the tests that
    replay a semester record sightings at the times they simulate. The real `--now` (a judgement
    time that records nothing) is tested with `grader.cli.main` itself."""
    from grader.cli import main
    from grader.commands.classrun import CLOCK_ENV

    argv = list(argv)
    if "--now" not in argv:
        return main(argv)
    index = argv.index("--now")
    moment = argv[index + 1]
    del argv[index:index + 2]
    previous = os.environ.get(CLOCK_ENV)
    os.environ[CLOCK_ENV] = moment
    try:
        return main(argv)
    finally:
        if previous is None:
            os.environ.pop(CLOCK_ENV, None)
        else:
            os.environ[CLOCK_ENV] = previous
